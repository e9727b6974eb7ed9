package ingest

import "testing"

func TestMerchantKey(t *testing.T) {
	same := [][]string{
		{"Olive & Thyme", "OLIVE & THYME", "olive  &  thyme", " Olive&Thyme ", "olive-thyme"},
		{"Café Noir", "CAFé NOIR"},
		{"A very long merchant name that runs well past sixty-four bytes, Inc.", "a very long merchant name that runs well past sixty four bytes inc"},
	}
	for _, group := range same {
		for _, name := range group[1:] {
			if MerchantKey([]byte(name)) != MerchantKey([]byte(group[0])) {
				t.Errorf("%q and %q have different keys", name, group[0])
			}
		}
	}
	different := []string{"Olive & Thyme", "Olive Thyme Bistro", "Thyme Olive", "Olive & Thym", "A", "B", "ab", "a b",
		"A very long merchant name that runs well past sixty-four bytes, Inc.", "A very long merchant name that runs well past sixty-four bytes, Ltd."}
	seen := map[uint64]string{}
	for _, name := range different {
		k := MerchantKey([]byte(name))
		if prev, dup := seen[k]; dup {
			t.Errorf("%q and %q share a key", name, prev)
		}
		seen[k] = name
	}
	for _, empty := range []string{"", " ", "&-.", "\t"} {
		if k := MerchantKey([]byte(empty)); k != 0 {
			t.Errorf("MerchantKey(%q) = %d, want 0", empty, k)
		}
	}
}

func BenchmarkMerchantKey(b *testing.B) {
	name := []byte("Olive & Thyme Bistro")
	for b.Loop() {
		MerchantKey(name)
	}
}
