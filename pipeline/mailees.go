package pipeline

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
)

// mailees holds the merge fields of a send's recipients, packed in blocks
// of bytes and found by cardholder id: a million recipients take about a
// tenth of what their profiles take, which a send never holds whole.
type mailees struct {
	// ids are the taxonomy's interest ids and other the index of "other",
	// for the recipients' Spending, packed as indexes.
	ids    []string
	other  int
	blocks [][]byte
	// recs locates each recipient: block index in the high 32 bits, the
	// offset in the block in the low ones.
	recs []uint64
	// byID lists the recipients by cardholder id, for lookups.
	byID []uint32
}

// maileeBlock is the size of a block: a recipient never spans two.
const maileeBlock = 1 << 20

// add packs p's merge fields, as recipientOf gives them.
func (m *mailees) add(p *profile.Profile) {
	var b []byte
	for _, s := range []string{p.ID, p.FirstName, p.LastName, p.Email, p.Tier, p.Locale, string(p.Relationship), p.FavouriteMerchant} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(p.TopMerchants.Len()))
	for interest, merchant := range p.TopMerchants.All() {
		b = appendString(appendString(b, interest), merchant)
	}
	// Attrs: nil and empty are told apart, as the templates see them.
	if p.Attrs == nil {
		b = binary.AppendUvarint(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(p.Attrs))+1)
		keys := make([]string, 0, len(p.Attrs))
		for k := range p.Attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = appendString(appendString(b, k), p.Attrs[k])
		}
	}
	idx := spendingIndexes(p.Shares, m.other)
	b = binary.AppendUvarint(b, uint64(len(idx)))
	for _, k := range idx {
		b = binary.AppendUvarint(b, uint64(k))
	}
	last := len(m.blocks) - 1
	if last < 0 || len(m.blocks[last])+len(b) > cap(m.blocks[last]) {
		m.blocks = append(m.blocks, make([]byte, 0, max(maileeBlock, len(b))))
		last++
	}
	m.recs = append(m.recs, uint64(last)<<32|uint64(len(m.blocks[last])))
	m.blocks[last] = append(m.blocks[last], b...)
}

// finish sorts the recipients by id; add may not be called after.
func (m *mailees) finish() {
	m.byID = make([]uint32, len(m.recs))
	for i := range m.byID {
		m.byID[i] = uint32(i)
	}
	sort.Slice(m.byID, func(i, j int) bool { return bytes.Compare(m.id(m.byID[i]), m.id(m.byID[j])) < 0 })
}

// get returns the merge fields of the recipient with cardholder id id.
func (m *mailees) get(id string) (render.Recipient, bool) {
	key := []byte(id)
	i, ok := slices.BinarySearchFunc(m.byID, key, func(rec uint32, key []byte) int {
		return bytes.Compare(m.id(rec), key)
	})
	if !ok {
		return render.Recipient{}, false
	}
	return m.recipient(m.byID[i]), true
}

// record returns the bytes of record rec, from its start.
func (m *mailees) record(rec uint32) []byte {
	at := m.recs[rec]
	return m.blocks[at>>32][at&0xffffffff:]
}

// id returns the cardholder id of record rec, in place.
func (m *mailees) id(rec uint32) []byte {
	b := m.record(rec)
	n, k := binary.Uvarint(b)
	return b[k : k+int(n)]
}

func (m *mailees) recipient(rec uint32) render.Recipient {
	b := m.record(rec)
	var f [8]string
	for i := range f {
		f[i], b = readString(b)
	}
	r := render.Recipient{ID: f[0], FirstName: f[1], LastName: f[2], Email: f[3], Tier: f[4], Locale: f[5],
		Relationship: f[6], FavouriteMerchant: f[7]}
	n, k := binary.Uvarint(b)
	b = b[k:]
	if n > 0 {
		r.TopMerchants = make(map[string]string, n)
		for range n {
			var in, mer string
			in, b = readString(b)
			mer, b = readString(b)
			r.TopMerchants[in] = mer
		}
	}
	n, k = binary.Uvarint(b)
	b = b[k:]
	if n > 0 {
		r.Attrs = make(map[string]string, n-1)
		for range n - 1 {
			var key, v string
			key, b = readString(b)
			v, b = readString(b)
			r.Attrs[key] = v
		}
	}
	n, k = binary.Uvarint(b)
	b = b[k:]
	if n > 0 {
		r.Spending = make([]string, n)
		for i := range r.Spending {
			x, k := binary.Uvarint(b)
			b = b[k:]
			r.Spending[i] = m.ids[x]
		}
	}
	return r
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func readString(b []byte) (string, []byte) {
	n, k := binary.Uvarint(b)
	return string(b[k : k+int(n)]), b[k+int(n):]
}
