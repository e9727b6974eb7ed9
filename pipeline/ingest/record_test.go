package ingest

import (
	"encoding/binary"
	"testing"
)

func TestMerchantKey(t *testing.T) {
	same := [][]string{
		{"Olive & Thyme", "OLIVE & THYME", "olive & thyme", "oLiVe & tHyMe"},
		{"Café Noir", "CAFé NOIR"},
		{"A very long merchant name that runs well past sixty-four bytes, Inc.", "A VERY LONG MERCHANT NAME THAT RUNS WELL PAST SIXTY-FOUR BYTES, INC."},
		{"@[`{", "@[`{"}, // the bytes around the capitals are left alone
	}
	for _, group := range same {
		for _, name := range group[1:] {
			if MerchantKey([]byte(name)) != MerchantKey([]byte(group[0])) {
				t.Errorf("%q and %q have different keys", name, group[0])
			}
		}
	}
	different := []string{"Olive & Thyme", "Olive Thyme Bistro", "Olive  &  Thyme", "@", "`", "[", "{", "Café Noir", "CAFÉ NOIR", "Thyme Olive", "Olive & Thym", "A", "B", "ab", "a b",
		"A very long merchant name that runs well past sixty-four bytes, Inc.", "A very long merchant name that runs well past sixty-four bytes, Ltd."}
	seen := map[uint64]string{}
	for _, name := range different {
		k := MerchantKey([]byte(name))
		if prev, dup := seen[k]; dup {
			t.Errorf("%q and %q share a key", name, prev)
		}
		seen[k] = name
	}
	if k := MerchantKey(nil); k != 0 {
		t.Errorf("MerchantKey(nil) = %d, want 0", k)
	}
	for c := 0; c < 256; c++ {
		want := byte(c)
		if c >= 'A' && c <= 'Z' {
			want += 'a' - 'A'
		}
		w := uint64(c) | uint64(c)<<56
		if got := lower8(w); byte(got) != want || byte(got>>56) != want || got&0x00FFFFFFFFFFFF00 != 0 {
			t.Errorf("lower8 of byte %#x = %#x, want %#x", c, byte(got), want)
		}
	}
}

func BenchmarkMerchantKey(b *testing.B) {
	name := []byte("Olive & Thyme Bistro")
	for b.Loop() {
		MerchantKey(name)
	}
}

// merchantKeyBytewise is MerchantKey with its last bytes copied into a
// word, as it first read them: the keys must not change.
func merchantKeyBytewise(name []byte) uint64 {
	if len(name) == 0 {
		return 0
	}
	h := uint64(0x9E3779B97F4A7C15) ^ uint64(len(name))
	for len(name) >= 8 {
		h = mix(h, lower8(binary.LittleEndian.Uint64(name)))
		name = name[8:]
	}
	if len(name) > 0 {
		var tail [8]byte
		copy(tail[:], name)
		h = mix(h, lower8(binary.LittleEndian.Uint64(tail[:])))
	}
	return finishKey(h)
}

func TestMerchantKeyWords(t *testing.T) {
	name := []byte("Brightbyte Software & Sons, Greater Springfield Branch No. 7")
	for l := range len(name) + 1 {
		for from := 0; from+l <= len(name) && from < 8; from++ {
			s := name[from : from+l]
			if got, want := MerchantKey(s), merchantKeyBytewise(s); got != want {
				t.Fatalf("MerchantKey(%q) = %#x, want %#x", s, got, want)
			}
		}
	}
}

func FuzzMerchantKey(f *testing.F) {
	for _, s := range []string{"", "a", "Olive & Thyme", "HopRide Taxi", "Brightbyte Software", "CAFÉ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := MerchantKey([]byte(s)), merchantKeyBytewise([]byte(s)); got != want {
			t.Fatalf("MerchantKey(%q) = %#x, want %#x", s, got, want)
		}
	})
}
