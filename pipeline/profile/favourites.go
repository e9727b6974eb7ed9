package profile

import (
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Favourite is a cardholder's favourite merchant in an interest.
type Favourite struct {
	Interest string // interest id
	Merchant string
}

// Favourites lists a cardholder's favourite merchants, at most one per
// interest, sorted by interest id. The zero value lists none.
//
// A million profiles hold about four favourites each. Their interest ids
// and merchant names are numbers in a table of the process (favouriteNames),
// each name once, shared by every profile that names the same merchant: 8
// bytes a favourite, against 32 for two strings, and nothing the garbage
// collector has to follow, where two canonical handles would give it 8
// million pointers to visit at every collection. Favourites values compare
// equal, with reflect.DeepEqual too, when they list the same favourites.
type Favourites struct {
	list []favourite
}

// favourite is a Favourite as Favourites holds it: the numbers of its
// interest id and merchant name in favouriteNames.
type favourite struct {
	interest, merchant uint32
}

// favouriteNames numbers the interest ids and merchant names of
// favourites. It only grows: with the names of the merchants that are
// someone's favourite, a few thousand in a month's data.
var favouriteNames nameTable

// nameTable numbers strings, each once, for the life of the process. Names
// are read without a lock: a number is handed out only once its name is in
// place, in a block that never moves.
type nameTable struct {
	mu     sync.Mutex
	ids    map[string]uint32
	n      uint32
	blocks atomic.Pointer[[]*[nameBlock]string]
}

// nameBlock is how many names a block of a nameTable holds.
const nameBlock = 1024

// id returns the number of s, giving it the next one the first time.
func (t *nameTable) id(s string) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.ids[s]; ok {
		return id
	}
	if t.ids == nil {
		t.ids = map[string]uint32{}
	}
	var blocks []*[nameBlock]string
	if b := t.blocks.Load(); b != nil {
		blocks = *b
	}
	id := t.n
	if int(id/nameBlock) == len(blocks) {
		// A new list, so that readers of the old one are left alone.
		blocks = append(slices.Clip(blocks), new([nameBlock]string))
	}
	blocks[id/nameBlock][id%nameBlock] = s
	t.blocks.Store(&blocks)
	t.ids[s] = id
	t.n++
	return id
}

// name returns the string numbered id.
func (t *nameTable) name(id uint32) string {
	return (*t.blocks.Load())[id/nameBlock][id%nameBlock]
}

// MakeFavourites makes Favourites of a list in any order, sorted by
// interest id. When an interest comes twice, the last merchant stands.
func MakeFavourites(list ...Favourite) Favourites {
	if len(list) == 0 {
		return Favourites{}
	}
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b Favourite) int { return strings.Compare(a.Interest, b.Interest) })
	f := Favourites{list: make([]favourite, 0, len(list))}
	for i, x := range list {
		if i+1 < len(list) && list[i+1].Interest == x.Interest {
			continue
		}
		f.list = append(f.list, favourite{favouriteNames.id(x.Interest), favouriteNames.id(x.Merchant)})
	}
	return f
}

// FavouritesOf makes Favourites of a map from interest id to merchant.
func FavouritesOf(m map[string]string) Favourites {
	list := make([]Favourite, 0, len(m))
	for k, v := range m {
		list = append(list, Favourite{k, v})
	}
	return MakeFavourites(list...)
}

// Len returns the number of favourites.
func (f Favourites) Len() int { return len(f.list) }

// At returns the i-th favourite, in interest id order.
func (f Favourites) At(i int) Favourite {
	x := f.list[i]
	return Favourite{favouriteNames.name(x.interest), favouriteNames.name(x.merchant)}
}

// All yields each favourite's interest id and merchant, in interest id
// order.
func (f Favourites) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, x := range f.list {
			if !yield(favouriteNames.name(x.interest), favouriteNames.name(x.merchant)) {
				return
			}
		}
	}
}

// Get returns the favourite merchant in an interest, or "".
func (f Favourites) Get(interest string) string {
	for _, x := range f.list {
		if favouriteNames.name(x.interest) == interest {
			return favouriteNames.name(x.merchant)
		}
	}
	return ""
}

// Map returns the favourites as a map from interest id to merchant; nil
// when there are none.
func (f Favourites) Map() map[string]string {
	if len(f.list) == 0 {
		return nil
	}
	m := make(map[string]string, len(f.list))
	for _, x := range f.list {
		m[favouriteNames.name(x.interest)] = favouriteNames.name(x.merchant)
	}
	return m
}

// String writes the favourites as interest=merchant pairs in order, for
// messages.
func (f Favourites) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range f.list {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(favouriteNames.name(x.interest))
		b.WriteByte('=')
		b.WriteString(favouriteNames.name(x.merchant))
	}
	b.WriteByte(']')
	return b.String()
}
