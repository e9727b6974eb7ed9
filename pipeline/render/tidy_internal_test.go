package render

import (
	"bytes"
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
