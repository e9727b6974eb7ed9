package render

// The AVX2 kernel of tidyText's scan.
//
// tidyScanAVX2 (tidy_amd64.s) compares 32 bytes at a time with a line
// feed, and the bytes one and two before them with a space, a tab, a
// carriage return and a line feed (VPCMPEQB), and stops at the first
// vector with a line feed that tidyText changes (VPMOVMSKB). It reads only
// whole vectors inside the bytes it is given; the last bytes, fewer than
// 32, and CPUs without AVX2 are left to tidyScanGo, which finds the same
// line feed.

import "golang.org/x/sys/cpu"

// useAVX2 reports whether the CPU supports AVX2 and the operating system
// saves the YMM registers. It is read once, at start-up; only the tests
// switch it off, to run the Go code.
var useAVX2 = cpu.X86.HasAVX2

// tidyScanAVX2 returns the index in the n bytes at p, n at least 2, of
// the first line feed from index 2 on after a space, a tab, a carriage
// return or two line feeds, among the bytes it looks at, whole vectors
// of 32; else the index where it stopped, with fewer than 32 bytes left.
//
//go:noescape
func tidyScanAVX2(p *byte, n int) int

// tidyScan is tidyScanGo from the start, the bulk of it in vectors.
func tidyScan(s []byte) int {
	if !useAVX2 || len(s) < 34 {
		return tidyScanGo(s, 1)
	}
	// Index 1 is the kernel's blind spot: it starts where two bytes are
	// behind it.
	if s[1] == '\n' {
		switch s[0] {
		case ' ', '\t', '\r':
			return 1
		}
	}
	return tidyScanGo(s, tidyScanAVX2(&s[0], len(s)))
}
