package render

import "testing"

// checkKernel checks tidyScanAVX2 on s: it stops at the first line feed
// tidyText changes from index 2 on, or, with none in the whole vectors it
// looks at, where fewer than 32 bytes are left.
func checkKernel(t *testing.T, s []byte) {
	t.Helper()
	if !useAVX2 || len(s) < 2 {
		return
	}
	want := tidyScanGo(s, 2)
	got := tidyScanAVX2(&s[0], len(s))
	stop := 2 + (len(s)-2)/32*32 // where whole vectors end
	if got != want && !(got == stop && want >= stop) {
		t.Fatalf("tidyScanAVX2(%q) = %d; the first line feed to change is at %d, whole vectors end at %d", s, got, want, stop)
	}
}
