package templates

import "testing"

// checkKernel checks indexMarkAVX2 on b, whose first mark is at want: it
// stops there, or, with none in the whole vectors it looks at, where
// fewer than 32 bytes are left.
func checkKernel(t *testing.T, b []byte, want int) {
	t.Helper()
	if !useAVX2 || len(b) == 0 {
		return
	}
	got := indexMarkAVX2(&b[0], len(b))
	stop := len(b) / 32 * 32
	if got != want && !(got == stop && want >= stop) {
		t.Fatalf("indexMarkAVX2(%q) = %d; the first mark is at %d, whole vectors end at %d", b, got, want, stop)
	}
}
