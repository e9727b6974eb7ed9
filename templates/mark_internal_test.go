package templates

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestIndexMark checks indexMark, with the AVX2 kernel where the CPU has
// it and with the Go code alone, against a plain search, on generated
// bytes of every length up to 300, heavy in the marks and the bytes
// around them, with the first mark at every offset.
func TestIndexMark(t *testing.T) {
	// The kernel looks for the bytes from 1 to 5.
	if markStart != 1 || markBreak != 5 {
		t.Fatalf("the marks are %d to %d; indexMarkAVX2 looks for 1 to 5", markStart, markBreak)
	}
	plain := func(b []byte) int {
		for i, c := range b {
			if isMark(c) {
				return i
			}
		}
		return len(b)
	}
	check := func(t *testing.T, b []byte) {
		t.Helper()
		want := plain(b)
		checkKernel(t, b, want)
		for _, avx := range []bool{useAVX2, false} {
			was := useAVX2
			useAVX2 = avx
			got := indexMark(b)
			useAVX2 = was
			if got != want {
				t.Fatalf("AVX2 %v: indexMark(%q) = %d, want %d", avx, b, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, alphabet := range []string{"\x00\x01\x02\x03\x04\x05\x06\xff a", "abcdefghijklmnop \x06\x00\xff\x80", "abcdefghij\x05"} {
		for n := 0; n <= 300; n++ {
			for range 8 {
				b := make([]byte, n)
				for i := range b {
					b[i] = alphabet[rng.IntN(len(alphabet))]
				}
				check(t, b)
			}
		}
	}
	for n := 0; n <= 200; n++ {
		for at := 0; at <= n; at++ {
			b := bytes.Repeat([]byte{'a'}, n)
			for _, m := range []byte{0, markStart, markField, markText, markEnd, markBreak, markBreak + 1, 0xff} {
				if at < n {
					b[at] = m
				}
				check(t, b)
			}
		}
	}
}
