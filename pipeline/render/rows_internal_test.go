package render

import (
	"strings"
	"testing"
)

func FuzzIndexBlockClass(f *testing.F) {
	f.Add(`<td style="font-family:x; border-top:1px" class="block block-dining">` + "k-k-" + `class="block block-`)
	f.Add(`class="block block-`)
	f.Add(`lass="block block-`)
	f.Fuzz(func(t *testing.T, html string) {
		if got, want := indexBlockClass([]byte(html)), strings.Index(html, BlockClass); got != want {
			t.Errorf("indexBlockClass(%q) = %d, want %d", html, got, want)
		}
	})
}

// TestInsideRow checks the tests of a piece of static text against a row
// that would cross its start or its end.
func TestInsideRow(t *testing.T) {
	for _, tt := range []struct {
		text         string
		starts, ends bool
	}{
		{`<p>plain</p>`, false, false},
		{`-->`, true, false},
		{` `, true, false},
		{`ss="bl`, true, false},
		{`ock block-x" style="">`, true, false},
		{`<td class`, false, true},
		{`<td class="block block-`, false, true},
		{`<td class="block block-x`, false, true},
		{`<td class="block block-x">`, false, false},
		{`c`, true, true},
		{`"block block-x"`, true, false},
		{`<b>`, false, false},
	} {
		if got := startsInRow([]byte(tt.text)); got != tt.starts {
			t.Errorf("startsInRow(%q) = %v, want %v", tt.text, got, tt.starts)
		}
		if got := endsInRow([]byte(tt.text)); got != tt.ends {
			t.Errorf("endsInRow(%q) = %v, want %v", tt.text, got, tt.ends)
		}
	}
}

// FuzzInsideRow checks startsInRow and endsInRow against their
// definitions, written plainly.
func FuzzInsideRow(f *testing.F) {
	for _, s := range []string{`<td class="block block-x`, `ss="bl`, `x" class="block block-a" class="block block-`, `"c`, `class="block block-" `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		starts := false
		for i := 1; i < len(BlockClass); i++ {
			n := min(len(text), len(BlockClass)-i)
			starts = starts || n > 0 && text[:n] == BlockClass[i:i+n]
		}
		ends := false
		for n := 1; n < len(BlockClass); n++ {
			ends = ends || strings.HasSuffix(text, BlockClass[:n])
		}
		if i := strings.LastIndex(text, BlockClass); i >= 0 {
			ends = ends || !strings.Contains(text[i+len(BlockClass):], `"`)
		}
		if got := startsInRow([]byte(text)); got != starts {
			t.Errorf("startsInRow(%q) = %v, want %v", text, got, starts)
		}
		if got := endsInRow([]byte(text)); got != ends {
			t.Errorf("endsInRow(%q) = %v, want %v", text, got, ends)
		}
	})
}
