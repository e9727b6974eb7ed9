package ingest

// The AVX2 kernel of splitRecord.
//
// lineMasks (csvscan_amd64.s) compares 128 bytes of a record, four
// 32-byte vectors, with the delimiter, '\n' and '"' (VPCMPEQB), and
// gathers the results into bit masks (VPMOVMSKB), one bit per byte. It
// keeps the delimiters before the first line feed or quote, and finds
// that byte, without a branch, so that a record that ends in the first or
// in the second 64 bytes costs the same; splitLineArch then walks the
// delimiters' bits in Go to cut the fields. The kernel reads only whole
// vectors inside the bytes it is given, never past the end of data, even
// where data is a slice of a longer buffer: the last bytes of data, fewer
// than 64, are left to splitRecord's SWAR loop, as are records on CPUs
// without AVX2. The fields, their number and places, and everything
// splitRecord returns are the same either way.

import (
	"math/bits"

	"golang.org/x/sys/cpu"
)

// useAVX2 reports whether the CPU supports AVX2 and BMI1 and the
// operating system saves the YMM registers, which lineMasks needs. It is
// set once, at start-up.
//
// It is a fact of the machine, read once when the package starts and
// never written again by the package: an immutable table of one entry.
// Only the tests switch it off, to run the Go code.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasBMI1

// lineMasks looks at the first 128 bytes at p, or the first 64 when n,
// the number of bytes there, is less than 128, for the delimiter, line
// feeds and quotes; n must be at least 64. It returns the delimiters
// before the first line feed or quote as bit masks: bit i of lo for p[i],
// bit i of hi for p[64+i]. With stop set, at is the offset of that line
// feed or quote; with stop false, there is none, and at is the number of
// bytes it looked at.
//
//go:noescape
func lineMasks(p *byte, n int, delim byte) (lo, hi uint64, at int, stop bool)

// splitLineArch starts splitRecord's work with the AVX2 kernel, if the
// CPU supports it: it appends to fields the fields of data that end with
// a delimiter before the first line feed or quote, and returns them with
// start, the start of the field after them. at is the index of that line
// feed or quote; or -1 when the kernel stopped looking before it found
// one, at i, with fewer than 64 bytes of data left, for splitRecord's loop
// to go on from there. On a CPU without AVX2 it returns at once, with i 0
// and at -1; for data that starts with a quote, at is 0.
func splitLineArch(data []byte, delim byte, fields [][]byte) (out [][]byte, start, i, at int) {
	if !useAVX2 {
		return fields, 0, 0, -1
	}
	if len(data) > 0 && data[0] == '"' {
		return fields, 0, 0, 0 // a quoted first field, as in files that quote every field
	}
	for len(data)-i >= 64 {
		lo, hi, n, stop := lineMasks(&data[i], len(data)-i, delim)
		for ; lo != 0; lo &= lo - 1 {
			k := i + bits.TrailingZeros64(lo)
			fields = append(fields, data[start:k:k])
			start = k + 1
		}
		for ; hi != 0; hi &= hi - 1 {
			k := i + 64 + bits.TrailingZeros64(hi)
			fields = append(fields, data[start:k:k])
			start = k + 1
		}
		if stop {
			return fields, start, i + n, i + n
		}
		i += n
	}
	return fields, start, i, -1
}
