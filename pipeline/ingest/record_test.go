package ingest

import "testing"

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
