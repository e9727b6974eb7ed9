package render

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// tidyLines is tidyText line by line into a new slice: the reference
// tidyText, which works in place, must match.
func tidyLines(b []byte) []byte {
	var out []byte
	blank := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimRight(bytes.TrimSuffix(line, []byte("\r")), " \t")
		if len(line) == 0 {
			blank++
			continue
		}
		if len(out) > 0 && blank > 0 {
			out = append(out, '\n')
		}
		blank = 0
		out = append(append(out, line...), '\n')
	}
	if len(out) == 0 {
		out = append(out, '\n')
	}
	return out
}

func TestTidyText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a\nb\n", "a\nb\n"},
		{"a\n\nb\n", "a\n\nb\n"},
		{"  a\n", "  a\n"},
		{"a\n\n\nb\n", "a\n\nb\n"},
		{"a \nb\t\n", "a\nb\n"},
		{"a\r\nb\r\n", "a\nb\n"},
		{"x \r\n", "x\n"},
		{"\r \n", "\r\n"},
		{"\na\n", "a\n"},
		{"  \na\n", "a\n"},
		{"a\n\n", "a\n"},
		{"a", "a\n"},
		{"a  ", "a\n"},
		{"a\n \n \nb", "a\n\nb\n"},
		{"", "\n"},
		{"\n\n \n", "\n"},
	} {
		if got := string(tidyText([]byte(tt.in))); got != tt.want {
			t.Errorf("tidyText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzTidyText(f *testing.F) {
	for _, s := range []string{"", "\n", "a\nb\n", "a \r\n\n\n b\t\n\n", "\n\nx", "x\r", "a\n\nb\n", "\r \n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := tidyLines([]byte(s))
		if got := tidyText([]byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("tidyText(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestTidyTextLong tidies generated texts of every length up to 300
// bytes, from alphabets heavy in the bytes tidyText looks at, with the
// AVX2 kernel (where the CPU has it) and with the Go code alone, against
// tidyLines; and checks the kernel's scan against tidyScanGo's.
func TestTidyTextLong(t *testing.T) {
	alphabets := []string{
		"aaaa \t\r\n\n\n",
		"abcdefghij.,;: \n",
		"abcdefghijklmnopqrstuvwxyz0123456789 .\n\n\n",
		"\n\n\n\n a",
		"abc\r\n",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(t *testing.T, text []byte) {
		t.Helper()
		want := tidyLines(text)
		if s := text[min(1, len(text)):]; len(s) > 0 && s[0] != '\n' {
			if g, w := tidyScan(s), tidyScanGo(s, 1); g != w {
				t.Fatalf("tidyScan(%q) = %d, tidyScanGo %d", s, g, w)
			}
			checkKernel(t, s)
		}
		for _, avx := range []bool{useAVX2, false} {
			was := useAVX2
			useAVX2 = avx
			got := tidyText(bytes.Clone(text))
			useAVX2 = was
			if !bytes.Equal(got, want) {
				t.Fatalf("AVX2 %v: tidyText(%q) = %q, want %q", avx, text, got, want)
			}
		}
	}
	for _, a := range alphabets {
		for n := 0; n <= 300; n++ {
			for range 8 {
				text := make([]byte, n)
				for i := range text {
					text[i] = a[rng.IntN(len(a))]
				}
				check(t, text)
			}
		}
	}
	// Tidy lines of text, then one line tidyText changes at every
	// offset, and the text's end in every way.
	line := "The quick brown fox jumps over the lazy dog, and then some.\n"
	tidy := strings.Repeat(line+"\n"+line, 4)
	for at := 0; at <= len(tidy); at++ {
		for _, bad := range []string{" \n", "\t\n", "\r\n", "\n\n\n", "\n \n", "\n\n\n\n"} {
			for _, end := range []string{"", "\n", "\n\n", "x", " ", "\n \n"} {
				check(t, []byte(tidy[:at]+bad+tidy[at:]+end))
			}
		}
	}
}
