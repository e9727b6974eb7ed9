package ingest

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// idIndex maps cardholder ids to their position in a list. It is an open
// addressing table of fixed-size slots in one array, each holding a
// position and the id itself, so that an id is found in one cache line and
// the lines of many ids can be read together before they are looked up
// (touch): a transactions file in date order looks up a different
// cardholder on every row, each a cache miss, and a map gives no way to
// make those misses overlap. Looked up one by one the index is no faster
// than a map of strings; in groups it is twice as fast (BenchmarkIDIndex:
// a million short ids in random order, 5.3-5.4 million lookups a second
// one by one, 15.6-16.5 million in groups of 16, the map 6.9-7.1 million).
//
// The slots are 16 bytes while every id is at most 11 bytes long, and grow
// to 32 and 64 bytes for longer ones (27 and 59 bytes: UUIDs, hashes in
// hex of up to 59 digits). An id longer than 59 bytes keeps its first 51
// bytes and its hash in its slot, and is compared in full against the list
// when they match.
//
// Slot layout: bytes 0-3 the position plus one (little endian; 0 for an
// empty slot), byte 4 the id's length (255 for 255 bytes and more), then
// the id, or a long id's start and its hash in the last 8 bytes.
type idIndex struct {
	slots  []byte
	stride int // bytes a slot: 16, 32 or 64
	size   int // slots
	n      int // ids held
	seed   maphash.Seed
}

// maxStride is the largest slot, one cache line.
const maxStride = 64

// strideFor returns the slot size that holds an id of n bytes whole, up
// to maxStride.
func strideFor(n int) int {
	switch {
	case n <= 16-5:
		return 16
	case n <= 32-5:
		return 32
	}
	return maxStride
}

// newIDIndex returns an empty index made for about n ids.
func newIDIndex(n int) *idIndex {
	x := &idIndex{seed: maphash.MakeSeed(), stride: 16}
	x.resize(slotsFor(n), x.stride)
	return x
}

// slotsFor returns the number of slots for n ids: three quarters full.
func slotsFor(n int) int { return max(n+n/3+1, 16) }

// home returns the first slot to look at for a hash: the high word of
// hash × slots, which spreads hashes over any number of slots.
func (x *idIndex) home(hash uint64) int {
	hi, _ := bits.Mul64(hash, uint64(x.size))
	return int(hi)
}

// next returns the slot after j, the first after the last.
func (x *idIndex) next(j int) int {
	if j++; j == x.size {
		return 0
	}
	return j
}

func (x *idIndex) slot(j int) []byte {
	return x.slots[j*x.stride : (j+1)*x.stride : (j+1)*x.stride]
}

// inline is the longest id a slot holds whole.
func (x *idIndex) inline() int { return x.stride - 5 }

func (x *idIndex) hashOf(id string) uint64 { return maphash.String(x.seed, id) }

// hashOfBytes is hashOf for an id in bytes.
func (x *idIndex) hashOfBytes(id []byte) uint64 { return maphash.Bytes(x.seed, id) }

// resize moves the ids into size slots of stride bytes, a stride at least
// the current one.
func (x *idIndex) resize(size, stride int) {
	old, oldStride := x.slots, x.stride
	x.slots, x.size, x.stride = make([]byte, size*stride), size, stride
	for o := 0; o < len(old); o += oldStride {
		s := old[o : o+oldStride]
		if binary.LittleEndian.Uint32(s) == 0 {
			continue
		}
		var h uint64
		if n := int(s[4]); n <= oldStride-5 {
			h = maphash.Bytes(x.seed, s[5:5+n])
		} else {
			h = binary.LittleEndian.Uint64(s[oldStride-8:]) // long ids only in the largest slots
		}
		j := x.home(h)
		for binary.LittleEndian.Uint32(x.slot(j)) != 0 {
			j = x.next(j)
		}
		copy(x.slot(j), s)
	}
}

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
	return x.getHashed(x.hashOf(id), id, list)
}

// getHashed is get for an id whose hash is known.
func (x *idIndex) getHashed(hash uint64, id string, list []Cardholder) (int32, bool) {
	pos1 := binary.LittleEndian.Uint32(x.slot(x.find(hash, id, list)))
	return int32(pos1) - 1, pos1 != 0
}

// find returns the slot of id, or the empty slot where it would go.
func (x *idIndex) find(hash uint64, id string, list []Cardholder) int {
	n := byte(min(len(id), 255))
	inline := x.inline()
	for j := x.home(hash); ; j = x.next(j) {
		s := x.slot(j)
		pos1 := binary.LittleEndian.Uint32(s)
		if pos1 == 0 {
			return j
		}
		if s[4] != n {
			continue
		}
		if len(id) <= inline {
			if string(s[5:5+len(id)]) == id {
				return j
			}
			continue
		}
		start := x.stride - 13
		if string(s[5:5+start]) == id[:start] && binary.LittleEndian.Uint64(s[x.stride-8:]) == hash && list[pos1-1].ID == id {
			return j
		}
	}
}

// touch reads the slots where the ids of hashes start, and the next cache
// line's, which a lookup often goes on into, so that their cache misses
// overlap; it returns a sum of what it read.
func (x *idIndex) touch(hashes []uint64) int {
	sum := 0
	ahead := maxStride / x.stride
	for _, h := range hashes {
		j := x.home(h)
		sum += int(x.slots[j*x.stride]) + int(x.slots[(j+ahead)%x.size*x.stride])
	}
	return sum
}

// add adds id at position pos unless it is already there, and returns the
// position the id has and whether it was added; with replace, an id
// already there moves to pos. list holds the ids already added.
func (x *idIndex) add(id string, pos int32, list []Cardholder, replace bool) (int32, bool) {
	if len(id) > x.inline() && x.stride < maxStride {
		x.resize(x.size, strideFor(len(id)))
	}
	hash := x.hashOf(id)
	j := x.find(hash, id, list)
	if s := x.slot(j); binary.LittleEndian.Uint32(s) != 0 {
		if replace {
			binary.LittleEndian.PutUint32(s, uint32(pos)+1)
		}
		return int32(binary.LittleEndian.Uint32(s)) - 1, false
	}
	if (x.n+1)*4 > x.size*3 {
		x.resize(slotsFor(2*x.n), x.stride)
		j = x.find(hash, id, list)
	}
	s := x.slot(j)
	binary.LittleEndian.PutUint32(s, uint32(pos)+1)
	s[4] = byte(min(len(id), 255))
	if len(id) <= x.inline() {
		copy(s[5:], id)
	} else {
		copy(s[5:x.stride-8], id)
		binary.LittleEndian.PutUint64(s[x.stride-8:], hash)
	}
	x.n++
	return pos, true
}
