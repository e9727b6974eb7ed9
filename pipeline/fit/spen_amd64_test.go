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

// checkStopKernels checks indexStopAVX2 and lastStopAVX2 on b, whose
// first and last stop bytes are at first and last (-1: none): each stops
// there, or, with none in the vectors it looks at, where fewer than 32
// bytes are left.
func checkStopKernels(t *testing.T, b []byte, first, last int) {
	t.Helper()
	if !useAVX2 || len(b) < 32 {
		return
	}
	stop := len(b) / 32 * 32 // where the whole vectors from the start end
	if got := indexStopAVX2(&b[0], len(b)); got != first && !(got == stop && (first < 0 || first >= stop)) {
		t.Fatalf("indexStopAVX2(%q) = %d; the first is at %d, the kernel's vectors end at %d", b, got, first, stop)
	}
	left := len(b) % 32 // the bytes before the whole vectors from the end
	if got := lastStopAVX2(&b[0], len(b)); got != last && !(got == -1-left && last < left) {
		t.Fatalf("lastStopAVX2(%q) = %d; the last is at %d, the kernel's vectors start at %d", b, got, last, left)
	}
}
