package inline_test

import (
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render/inline"
)

func TestEditAttrs(t *testing.T) {
	upper := func(tag, attr, value string) (string, bool) {
		if attr != "href" {
			return "", false
		}
		return strings.ToUpper(value), true
	}
	tests := []struct{ name, src, want string }{
		{"double quotes", `<a href="x?a=1&amp;b=2" class="c">x</a>`, `<a href="X?A=1&AMP;B=2" class="c">x</a>`},
		{"single quotes and upper-case names", `<A HREF='y'>y</A>`, `<A HREF='Y'>y</A>`},
		{"unquoted", `<a href=z>z</a>`, `<a href=Z>z</a>`},
		{"an action with quotes and >", `<a href="u/{{ index .M "k>" }}">u</a>`, `<a href="U/{{ INDEX .M "K>" }}">u</a>`},
		{"an action between attributes", `<a {{ if .X }}id="i"{{ end }} href="v">v</a>`, `<a {{ if .X }}id="i"{{ end }} href="V">v</a>`},
		{"several tags", `<a href="a">1</a><area href="b"><a title="t">`, `<a href="A">1</a><area href="B"><a title="t">`},
		{"comments untouched", `<!--[if mso]><a href="m">m</a><![endif]--><a href="n">`, `<!--[if mso]><a href="m">m</a><![endif]--><a href="N">`},
		{"raw text untouched", `<style>a[href="s"] {}</style><script>"<a href='j'>"</script>`, `<style>a[href="s"] {}</style><script>"<a href='j'>"</script>`},
		{"attribute without a value", `<a href>x</a>`, `<a href>x</a>`},
		{"text with an href", `href="t" <a href="a">`, `href="t" <a href="A">`},
		{"a tag cut short", `<a href="x`, `<a href="x`},
		{"nothing to edit", `<p>plain</p>`, `<p>plain</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inline.EditAttrs(tt.src, upper); got != tt.want {
				t.Errorf("EditAttrs(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
	var seen []string
	inline.EditAttrs(`<a href="h" data-x='y'><img src=s alt="">`, func(tag, attr, value string) (string, bool) {
		seen = append(seen, tag+" "+attr+"="+value)
		return "", false
	})
	if got, want := strings.Join(seen, "|"), "a href=h|a data-x=y|img src=s|img alt="; got != want {
		t.Errorf("edit saw %q, want %q", got, want)
	}
}
