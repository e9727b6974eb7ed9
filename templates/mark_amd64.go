package templates

// The AVX2 kernel of indexMark.
//
// indexMarkAVX2 (mark_amd64.s) looks at 32 bytes at a time for a byte
// from markStart to markBreak: each byte less one (VPSUBB), as an unsigned
// byte, is at most markBreak-markStart only for those (VPMINUB,
// VPCMPEQB), and the first of them is the lowest bit of the mask
// (VPMOVMSKB). It reads only whole vectors inside the bytes it is given;
// the last bytes, fewer than 32, and CPUs without AVX2 are left to the Go
// code, which finds the same mark.

import "golang.org/x/sys/cpu"

// useAVX2 reports whether the CPU supports AVX2 and the operating system
// saves the YMM registers. It is read once, at start-up; only the tests
// switch it off, to run the Go code.
var useAVX2 = cpu.X86.HasAVX2

// indexMarkAVX2 returns the index of the first mark in the n bytes at p
// among the whole vectors of 32 it looks at, else the index where it
// stopped, with fewer than 32 bytes left.
//
//go:noescape
func indexMarkAVX2(p *byte, n int) int

// indexMarkArch returns the index of the first mark in b as far as the
// kernel looks, else where it stopped: 0 without it.
func indexMarkArch(b []byte) int {
	if !useAVX2 || len(b) < 32 {
		return 0
	}
	return indexMarkAVX2(&b[0], len(b))
}
