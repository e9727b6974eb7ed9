package profile

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Hash identifies the taxonomy's content: its interests and its mapping. It
// changes whenever a code would map to another interest.
func (t *Taxonomy) Hash() string {
	h := sha256.New()
	for _, in := range t.interests {
		h.Write([]byte(in.ID + "\x00" + in.Name + "\x00"))
	}
	var buf [2]byte
	for _, v := range t.codes {
		binary.LittleEndian.PutUint16(buf[:], uint16(v))
		h.Write(buf[:])
	}
	for _, k := range t.sortedCategories() {
		h.Write([]byte(k + "\x00"))
		binary.LittleEndian.PutUint16(buf[:], uint16(t.categories[k]))
		h.Write(buf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}
