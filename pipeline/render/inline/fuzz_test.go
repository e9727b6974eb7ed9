package inline_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render/inline"
)

var cssSeeds = []string{
	"",
	"p { color: red }",
	".block p, .block li { margin: 0 0 14px; font-family: Georgia, 'Times New Roman', serif; }",
	"td.block > a.button:hover { color: blue !important } #main { width: 600px }",
	"@media only screen and (max-width: 620px) { .container { width: 100% !important; } }",
	"[data-ogsc] .x { color: #fff } a[x-apple-data-detectors] { color: inherit }",
	"/* c */ p { content: \"}{;\" ; background: url(data:image/png;base64,AAA=) }",
	"p { color: {{ .Colour }} } {{/* note */}}",
	"<!-- p { margin: 0 } -->",
	"p { color: red",
	"p { color: \"red }",
	"/* open",
	"}",
	"p..x {}",
	".a { color: red; & b { color: blue } }",
	"@import url(a.css); @font-face { font-family: x; src: url(x.woff2) }",
	"p { content: \"a\\\nb\" }",
}

func FuzzCompile(f *testing.F) {
	for _, s := range cssSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, css string) {
		s, err := inline.Compile(css)
		if err != nil {
			var e *inline.Error
			if !errors.As(err, &e) || e.Line < 1 || e.Column < 1 {
				t.Fatalf("error %v is not positioned", err)
			}
			if e.Line > strings.Count(css, "\n")+1 {
				t.Fatalf("error at line %d of a %d-line stylesheet", e.Line, strings.Count(css, "\n")+1)
			}
			return
		}
		// What stays in the head compiles again, to itself.
		s2, err := inline.Compile(s.Kept())
		if err != nil {
			t.Fatalf("Kept() %q does not compile: %v", s.Kept(), err)
		}
		if s2.Kept() != s.Kept() {
			t.Fatalf("Kept() %q, then %q", s.Kept(), s2.Kept())
		}
		_ = s.Apply(`<p class="a b" id="c"><a style="color:red">x</a><img src="i.png"></p>`)
	})
}

func FuzzInline(f *testing.F) {
	src, err := os.ReadFile(filepath.Join("testdata", "newsletter.html"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(src))
	for _, s := range cssSeeds {
		f.Add(page(s, `<td class="block"><p style="color:{{ .C }}">{{ .Name }}</p><a href='{{ index .M "x" }}'>go</a></td>`))
	}
	for _, s := range []string{
		"<p>no style</p>",
		"<style>p{margin:0}</style><p style=x>a<p style>b<p style='c'>c",
		"<style data-inline=keep>p{margin:0}</style><p>a</p>",
		"<style>p{margin:0}",
		"<head><style>\n\n p{margin:0}\n</style>\n<style>a:hover{x:y}</style></head><body>{{ if .X }}<p>{{ end }}",
		"<!--[if mso]><style>p{margin:0}</style><![endif]--><p {{ .Attr }}>x</p>",
		"<style>p{margin:0}</style><p title=\"{{ \"\\\"}}\" }}\">x</p>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, err := inline.Inline(src)
		if err != nil {
			var e *inline.Error
			if !errors.As(err, &e) || e.Line < 1 || e.Column < 1 {
				t.Fatalf("error %v is not positioned", err)
			}
			return
		}
		if !strings.Contains(strings.ToLower(src), "<style") && out != src {
			t.Fatalf("a source without <style> changed:\n%q\n%q", src, out)
		}
		if a, b := strings.Count(out, "\n"), strings.Count(src, "\n"); a != b {
			t.Fatalf("%d lines out of %d:\n%q\n%q", a+1, b+1, src, out)
		}
		again, err := inline.Inline(out)
		if err != nil {
			t.Fatalf("the output does not inline again: %v\n%q", err, out)
		}
		if again != out {
			t.Fatalf("a second pass changed the output:\n%q\n%q", out, again)
		}
	})
}

// FuzzEditAttrs edits the attributes of random HTML: an edit that keeps
// every value changes nothing, and one that marks every value changes only
// attribute values, each of which holds the mark afterwards.
func FuzzEditAttrs(f *testing.F) {
	for _, s := range []string{
		`<a href="x?a=1&amp;b=2" class="c">x</a>`,
		`<a href='u/{{ index .M "k>" }}' {{ .A }} title=t>u</a><!-- <a href="c"> -->`,
		`<style>a[href="s"]{}</style><a href`,
		`<a href="unclosed`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if out := inline.EditAttrs(src, func(_, _, v string) (string, bool) { return v, true }); out != src {
			t.Fatalf("an edit keeping every value changed %q to %q", src, out)
		}
		n := 0
		out := inline.EditAttrs(src, func(_, _, v string) (string, bool) {
			n++
			return v + "\x00", true
		})
		if len(out) != len(src)+n {
			t.Fatalf("%d values edited, but %d bytes added: %q -> %q", n, len(out)-len(src), src, out)
		}
		if strings.ReplaceAll(out, "\x00", "") != strings.ReplaceAll(src, "\x00", "") {
			t.Fatalf("more than the values changed: %q -> %q", src, out)
		}
	})
}
