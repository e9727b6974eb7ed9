package ingest

import (
	"hash/maphash"
	"math/bits"
)

// idIndex maps cardholder ids to their position in a list. It is an open
// addressing table whose 32-byte slots hold the id itself when it is at
// most idInline bytes long, so that looking one up costs one cache line:
// a transactions file in date order looks up a different cardholder on
// every row, and a map of strings costs there a miss for its group and
// another for the key's bytes (see BenchmarkIDIndex). Longer ids keep their
// first idInline bytes in the slot and are compared in full against the
// list on a match.
type idIndex struct {
	slots []idSlot
	n     int // ids held
	seed  maphash.Seed
}

// idInline is the longest id held whole in its slot.
const idInline = 27

type idSlot struct {
	pos1 int32 // position + 1; 0: an empty slot
	n    uint8 // the id's length, 255 for 255 bytes and more
	key  [idInline]byte
}

// newIDIndex returns an empty index made for about n ids.
func newIDIndex(n int) *idIndex {
	x := &idIndex{seed: maphash.MakeSeed()}
	x.resize(slotsFor(n), nil)
	return x
}

// slotsFor returns the number of slots for n ids: three quarters full.
func slotsFor(n int) int { return max(n+n/3+1, 16) }

// home returns the first slot to look at for a hash: the high word of
// hash × slots, which spreads hashes over any number of slots.
func (x *idIndex) home(hash uint64) uint64 {
	hi, _ := bits.Mul64(hash, uint64(len(x.slots)))
	return hi
}

// next returns the slot after j, the first after the last.
func (x *idIndex) next(j uint64) uint64 {
	if j++; j == uint64(len(x.slots)) {
		return 0
	}
	return j
}

// resize moves the ids into size slots; list holds them all.
func (x *idIndex) resize(size int, list []Cardholder) {
	old := x.slots
	x.slots = make([]idSlot, size)
	for i := range old {
		s := &old[i]
		if s.pos1 == 0 {
			continue
		}
		var h uint64
		if s.n <= idInline {
			h = maphash.Bytes(x.seed, s.key[:s.n])
		} else {
			h = x.hashOf(list[s.pos1-1].ID)
		}
		j := x.home(h)
		for x.slots[j].pos1 != 0 {
			j = x.next(j)
		}
		x.slots[j] = *s
	}
}

func (x *idIndex) hashOf(id string) uint64 { return maphash.String(x.seed, id) }

// Len returns the number of ids held.
func (x *idIndex) Len() int {
	if x == nil {
		return 0
	}
	return x.n
}

// get returns the position of id, looking long ids up in list.
func (x *idIndex) get(id string, list []Cardholder) (int32, bool) {
	if x == nil {
		return 0, false
	}
	s := &x.slots[x.find(id, list)]
	return s.pos1 - 1, s.pos1 != 0
}

// find returns the slot of id, or the empty slot where it would go.
func (x *idIndex) find(id string, list []Cardholder) uint64 {
	return x.findFrom(x.home(x.hashOf(id)), id, list)
}

// homeOf returns the slot where looking id up starts, for lookups made
// in groups (see txParser.resolve).
func (x *idIndex) homeOf(id []byte) uint64 { return x.home(maphash.Bytes(x.seed, id)) }

// touch reads the slots at homes, so that their cache misses overlap, and
// returns a sum of what it read.
func (x *idIndex) touch(homes []uint64) int32 {
	var sum int32
	for _, j := range homes {
		// A lookup often goes on past the home slot: its neighbour's
		// line is read too.
		sum += x.slots[j].pos1 + x.slots[x.next(x.next(j))].pos1
	}
	return sum
}

// getFrom returns the position of id, looking from its home slot on.
func (x *idIndex) getFrom(home uint64, id string, list []Cardholder) (int32, bool) {
	s := &x.slots[x.findFrom(home, id, list)]
	return s.pos1 - 1, s.pos1 != 0
}

// findFrom is find from id's home slot.
func (x *idIndex) findFrom(home uint64, id string, list []Cardholder) uint64 {
	n := uint8(min(len(id), 255))
	short := len(id) <= idInline
	prefix := id[:min(len(id), idInline)]
	for j := home; ; j = x.next(j) {
		s := &x.slots[j]
		if s.pos1 == 0 || s.n == n && string(s.key[:len(prefix)]) == prefix && (short || list[s.pos1-1].ID == id) {
			return j
		}
	}
}

// add adds id at position pos unless it is already there, and returns the
// position the id has and whether it was added; with replace, an id
// already there moves to pos. list holds the ids already added.
func (x *idIndex) add(id string, pos int32, list []Cardholder, replace bool) (int32, bool) {
	j := x.find(id, list)
	if s := &x.slots[j]; s.pos1 != 0 {
		if replace {
			s.pos1 = pos + 1
		}
		return s.pos1 - 1, false
	}
	if (x.n+1)*4 > len(x.slots)*3 {
		x.resize(slotsFor(2*x.n), list)
		j = x.find(id, list)
	}
	s := &x.slots[j]
	*s = idSlot{pos1: pos + 1, n: uint8(min(len(id), 255))}
	copy(s.key[:], id)
	x.n++
	return pos, true
}
