package fit

// The AVX2 kernels of indexSpen and of eachClaim's search for the ends of
// sentences.
//
// indexSpenAVX2 (spen_amd64.s) compares 32 places at a time with "spen",
// in either case of its s: the bytes at each place with an s once the
// case bit is set, and those one, two and three places on with p, e and n
// (VPCMPEQB), and stops at the first place all four match (VPMOVMSKB). It
// reads only whole vectors inside the bytes it is given; the last places,
// and CPUs without AVX2, are left to the Go code, which finds the same.
// indexStopAVX2 and lastStopAVX2 compare 32 bytes at a time with '.',
// '!', '?' and the line break, the first forwards, the second backwards
// from the end, whole vectors only as well.

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

// indexStopAVX2 returns the index of the first '.', '!', '?' or line
// break in the n bytes at p, 32 at a time, else the index where it
// stopped, with fewer than 32 bytes left.
//
//go:noescape
func indexStopAVX2(p *byte, n int) int

// lastStopAVX2 returns the index of the last '.', '!', '?' or line break
// in the n bytes at p, looking at 32 at a time from the end; with none in
// the bytes it looked at, -1-i, where the fewer than 32 bytes before i
// are left.
//
//go:noescape
func lastStopAVX2(p *byte, n int) int

// indexStopArch returns the index of the first stop byte of b as far as
// the kernel looks, else where it stopped: 0 without it.
func indexStopArch(b []byte) int {
	if !useAVX2 || len(b) < 32 {
		return 0
	}
	return indexStopAVX2(&b[0], len(b))
}

// lastStopArch returns the index of the last stop byte of b as far as the
// kernel looks, else -1-i, where the bytes before i are left to look at:
// -1-len(b) without it.
func lastStopArch(b []byte) int {
	if !useAVX2 || len(b) < 32 {
		return -1 - len(b)
	}
	return lastStopAVX2(&b[0], len(b))
}
