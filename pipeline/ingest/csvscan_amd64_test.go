package ingest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// TestSplitRecordAssemblyAndGoAgree splits generated inputs with the
// AVX2 kernel and with the Go code that CPUs without AVX2 run, and checks
// that every record comes out the same: every length up to 300 bytes,
// bytes drawn from alphabets heavy in delimiters, quotes, CR and LF, and
// lines that end, or meet a quote, at every offset.
func TestSplitRecordAssemblyAndGoAgree(t *testing.T) {
	if !useAVX2 {
		t.Skip("this CPU has no AVX2: only the Go code runs")
	}
	alphabets := []struct {
		name string
		// The bytes to draw from, each as often as it appears.
		bytes string
	}{
		{"mixed", ",,,,;;;||\t\t\"\"\r\r\n\nabcXYZ0123456789 \x80\xc3\xa9\xff"},
		{"few line ends", ",,,,,,;;;;||||\t\t\t\tabcdefgh0123456789 .-\x80\xff\r\n"},
		{"delimiters", ",;|\t,;|\t,;|\t,;|\ta\n"},
		{"no specials", "abcdefghijklmnop0123456789 .-\x7f\x80\xfe\xff"},
		{"quotes", "\"\"\",,a\r\n"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, a := range alphabets {
		t.Run(a.name, func(t *testing.T) {
			for n := 0; n <= 300; n++ {
				for range 8 {
					data := make([]byte, n)
					for i := range data {
						data[i] = a.bytes[rng.IntN(len(a.bytes))]
					}
					for _, d := range delims {
						checkAssembly(t, data, d)
					}
				}
			}
		})
	}
	t.Run("line ends", func(t *testing.T) {
		// A line of n bytes without specials but for delimiters, then
		// each way a line can end or meet a quote.
		for n := 0; n <= 300; n++ {
			for _, end := range []string{"", "\n", "\r\n", "\r", "\"", "\",x\n", "\r\r\n", ",\n"} {
				for _, d := range delims {
					var sb strings.Builder
					for i := range n {
						switch {
						case i%7 == 3:
							sb.WriteByte(d)
						case i%11 == 5:
							sb.WriteByte('\r')
						default:
							sb.WriteByte(byte('a' + i%26))
						}
					}
					sb.WriteString(end)
					checkAssembly(t, []byte(sb.String()), d)
					checkAssembly(t, []byte(sb.String()+"next,line\n"), d)
				}
			}
		}
	})
	t.Run("many delimiters", func(t *testing.T) {
		// Lines of nothing but delimiters: every bit of the masks set.
		for n := 0; n <= 300; n++ {
			for _, d := range delims {
				line := strings.Repeat(string(d), n)
				checkAssembly(t, []byte(line), d)
				checkAssembly(t, []byte(line+"\n"+line), d)
				checkAssembly(t, []byte("x"+line+"\"\n"), d)
			}
		}
	})
}

// TestSplitRecordRealistic checks the AVX2 kernel against the Go code on
// the benchmarks' transactions.
func TestSplitRecordRealistic(t *testing.T) {
	if !useAVX2 {
		t.Skip("this CPU has no AVX2: only the Go code runs")
	}
	data, err := benchCSV()
	if err != nil {
		t.Fatal(err)
	}
	checkAssembly(t, data[:1<<20], ',')
}

// checkAssembly splits data record by record with the AVX2 kernel and
// with the Go code, and fails t unless they give the same fields (see
// sameSplit), the same bytes consumed and lines counted, and the same
// errors. data is copied to the start of a longer buffer whose other
// bytes would end a record, so that reading past it would show.
func checkAssembly(t *testing.T, data []byte, delim byte) {
	t.Helper()
	if !useAVX2 {
		return
	}
	buf := make([]byte, len(data), len(data)+96)
	copy(buf, data)
	after := buf[len(data):cap(buf)]
	for i := range after {
		after[i] = [...]byte{'\n', '"', delim}[i%3]
	}
	var (
		fastFields, goFields   [][]byte
		fastScratch, goScratch []byte
	)
	for off := 0; off < len(buf); {
		rest := buf[off:]
		var (
			fastN, fastLines, goN, goLines int
			fastErr, goErr                 *scanError
		)
		fastFields, fastScratch, fastN, fastLines, fastErr = splitRecord(rest, delim, fastFields, fastScratch)
		useAVX2 = false
		goFields, goScratch, goN, goLines, goErr = splitRecord(rest, delim, goFields, goScratch)
		useAVX2 = true
		if !sameSplit(rest, fastFields, goFields) || fastN != goN || fastLines != goLines ||
			(fastErr == nil) != (goErr == nil) || fastErr != nil && *fastErr != *goErr {
			t.Fatalf("%q (delimiter %q) at %d:\nassembly %s\nGo       %s", data, delim, off,
				describeSplit(rest, fastFields, fastScratch, fastN, fastLines, fastErr),
				describeSplit(rest, goFields, goScratch, goN, goLines, goErr))
		}
		if fastN <= 0 {
			t.Fatalf("%q (delimiter %q) at %d: no progress", data, delim, off)
		}
		off += fastN
	}
}

// sameSplit reports whether the fields a and b split from data are the
// same: the same bytes with the same capacities, and the same sub-slices
// of data where they are in data. Fields elsewhere were unescaped into a
// scratch buffer, which may have grown since.
func sameSplit(data []byte, a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		fa, fb := a[i], b[i]
		if string(fa) != string(fb) || cap(fa) != cap(fb) {
			return false
		}
		oa, ina := offset(fa, data)
		ob, inb := offset(fb, data)
		if ina != inb || ina && oa != ob {
			return false
		}
	}
	return true
}

// offset returns the offset of the start of f in b, and whether f starts
// within b's capacity.
func offset(f, b []byte) (int, bool) {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(f)))
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return int(p - base), p >= base && p <= base+uintptr(cap(b))
}

// describeSplit describes a result of splitRecord on data: n, lines, the
// error, and each field as its bytes, its length and capacity, and where
// it starts: an offset in data or in scratch.
func describeSplit(data []byte, fields [][]byte, scratch []byte, n, lines int, err *scanError) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "n=%d lines=%d", n, lines)
	if err != nil {
		fmt.Fprintf(&sb, " error=%+v", *err)
	}
	for _, f := range fields {
		where := "elsewhere"
		if i, ok := offset(f, data); ok {
			where = fmt.Sprintf("data[%d]", i)
		} else if i, ok := offset(f, scratch); ok {
			where = fmt.Sprintf("scratch[%d]", i)
		}
		fmt.Fprintf(&sb, " %q(%s len %d cap %d)", f, where, len(f), cap(f))
	}
	return sb.String()
}
