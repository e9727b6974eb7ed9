package fit

import "testing"

// checkKernel checks indexSpenAVX2 on b, whose first "spen" or "Spen" is
// at want (-1: none): it stops there, or, with none at the places it
// looks at, where fewer than 35 bytes are left.
func checkKernel(t *testing.T, b []byte, want int) {
	t.Helper()
	if !useAVX2 || len(b) < 35 {
		return
	}
	got := indexSpenAVX2(&b[0], len(b))
	stop := (len(b) - 3) / 32 * 32 // where the places in whole vectors end
	if got != want && !(got == stop && (want < 0 || want >= stop)) {
		t.Fatalf("indexSpenAVX2(%q) = %d; the first is at %d, the kernel's places end at %d", b, got, want, stop)
	}
}
