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
