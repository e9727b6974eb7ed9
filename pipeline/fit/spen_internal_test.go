package fit

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestIndexSpen checks indexSpen, with the AVX2 kernel where the CPU has
// it and with the Go code alone, against a plain search, on generated
// bytes of every length up to 300 from alphabets heavy in the letters of
// "spen", and with "spen" or "Spen" at every place.
func TestIndexSpen(t *testing.T) {
	plain := func(b []byte) int {
		for i := 0; i+4 <= len(b); i++ {
			if (b[i] == 's' || b[i] == 'S') && string(b[i+1:i+4]) == "pen" {
				return i
			}
		}
		return -1
	}
	check := func(t *testing.T, b []byte) {
		t.Helper()
		want := plain(b)
		checkKernel(t, b, want)
		for _, avx := range []bool{useAVX2, false} {
			was := useAVX2
			useAVX2 = avx
			got := indexSpen(b)
			useAVX2 = was
			if got != want {
				t.Fatalf("AVX2 %v: indexSpen(%q) = %d, want %d", avx, b, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, alphabet := range []string{"spenSPENsspp eenn\x00\xf3\xd3", "spen", "ssssspppeeennnS3", "abcdefghijklmnopqrstuvwxyz sp"} {
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
	for n := 0; n <= 120; n++ {
		for at := 0; at+4 <= n; at++ {
			for _, word := range []string{"spen", "Spen", "sPen", "spe", "\xf3pen", "3pen", "pen"} {
				b := bytes.Repeat([]byte("x"), n)
				copy(b[at:], word)
				check(t, b)
			}
		}
	}
}
