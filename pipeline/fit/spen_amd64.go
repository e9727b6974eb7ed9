package fit

// The AVX2 kernel of indexSpen.
//
// indexSpenAVX2 (spen_amd64.s) compares 32 places at a time with "spen",
// in either case of its s: the bytes at each place with an s once the
// case bit is set, and those one, two and three places on with p, e and n
// (VPCMPEQB), and stops at the first place all four match (VPMOVMSKB). It
// reads only whole vectors inside the bytes it is given; the last places,
// and CPUs without AVX2, are left to the Go code, which finds the same.

import "golang.org/x/sys/cpu"

// useAVX2 reports whether the CPU supports AVX2 and the operating system
// saves the YMM registers. It is read once, at start-up; only the tests
// switch it off, to run the Go code.
var useAVX2 = cpu.X86.HasAVX2

// indexSpenAVX2 returns the index of the first "spen" or "Spen" in the n
// bytes at p, n at least 35, among the places it looks at, 32 at a time
// with the three bytes after them; else the index where it stopped, with
// fewer than 35 bytes left.
//
//go:noescape
func indexSpenAVX2(p *byte, n int) int

// indexSpenArch returns the index of the first "spen" or "Spen" in b as
// far as the kernel looks, else where it stopped: 0 without it.
func indexSpenArch(b []byte) int {
	if !useAVX2 || len(b) < 35 {
		return 0
	}
	return indexSpenAVX2(&b[0], len(b))
}
