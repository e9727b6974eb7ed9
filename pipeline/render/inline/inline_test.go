package inline_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render/inline"
)

var update = flag.Bool("update", false, "rewrite golden files")

// page wraps css and body into a newsletter.
func page(css, body string) string {
	return "<html><head><style>" + css + "</style></head><body>" + body + "</body></html>"
}

// bodyOf returns what Inline made of a page's body.
func bodyOf(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "<body")
	_, rest, _ = strings.Cut(rest, ">")
	body, _, ok2 := strings.Cut(rest, "</body>")
	if !ok || !ok2 {
		t.Fatalf("no body in %q", out)
	}
	return body
}

func TestInlineSelectors(t *testing.T) {
	tests := []struct {
		name, css, body, want string
	}{{
		name: "type",
		css:  "p { color: red }",
		body: "<p>Hi</p><div>no</div>",
		want: `<p style="color:red;">Hi</p><div>no</div>`,
	}, {
		name: "type is case-insensitive",
		css:  "P { color: red }",
		body: "<p>a</p><P>b</P>",
		want: `<p style="color:red;">a</p><P style="color:red;">b</P>`,
	}, {
		name: "universal",
		css:  "* { margin: 0 }",
		body: "<div><span>a</span></div>",
		want: `<div style="margin:0;"><span style="margin:0;">a</span></div>`,
	}, {
		name: "class among several",
		css:  ".cta { font-weight: 700 }",
		body: `<a class="link cta big">Go</a><a class="ctas">No</a>`,
		want: `<a class="link cta big" style="font-weight:700;">Go</a><a class="ctas">No</a>`,
	}, {
		name: "id",
		css:  "#main { width: 600px }",
		body: `<table id="main"></table><table id="other"></table>`,
		want: `<table id="main" style="width:600px;"></table><table id="other"></table>`,
	}, {
		name: "compound",
		css:  "td.block { padding: 8px } a.button.primary { color: white }",
		body: `<td class="block">a</td><div class="block">b</div><a class="button primary">c</a><a class="button">d</a>`,
		want: `<td class="block" style="padding:8px;">a</td><div class="block">b</div><a class="button primary" style="color:white;">c</a><a class="button">d</a>`,
	}, {
		name: "descendant",
		css:  ".block p { margin: 0 }",
		body: `<td class="block"><div><p>in</p></div></td><p>out</p>`,
		want: `<td class="block"><div><p style="margin:0;">in</p></div></td><p>out</p>`,
	}, {
		name: "child",
		css:  ".block > p { margin: 0 }",
		body: `<td class="block"><p>child</p><div><p>grandchild</p></div></td>`,
		want: `<td class="block"><p style="margin:0;">child</p><div><p>grandchild</p></div></td>`,
	}, {
		name: "child and descendant",
		css:  "table > tr .x > b { color: red }",
		body: `<table><tr><td><div class="x"><b>yes</b><i><b>no</b></i></div></td></tr></table>`,
		want: `<table><tr><td><div class="x"><b style="color:red;">yes</b><i><b>no</b></i></div></td></tr></table>`,
	}, {
		name: "child chain needs a later ancestor",
		css:  ".a > .b p { color: red }",
		body: `<div class="a"><div class="b"><div class="b"><p>yes</p></div></div></div><div class="b"><p>no</p></div>`,
		want: `<div class="a"><div class="b"><div class="b"><p style="color:red;">yes</p></div></div></div><div class="b"><p>no</p></div>`,
	}, {
		name: "selector list",
		css:  "h1, h2 { font-family: Georgia }",
		body: "<h1>a</h1><h2>b</h2><h3>c</h3>",
		want: `<h1 style="font-family:Georgia;">a</h1><h2 style="font-family:Georgia;">b</h2><h3>c</h3>`,
	}, {
		name: "one element matched twice by one rule",
		css:  ".a, .b { color: red }",
		body: `<p class="a b">x</p>`,
		want: `<p class="a b" style="color:red;">x</p>`,
	}, {
		name: "class made by an action matches no selector",
		css:  ".block { color: red } .x { color: blue }",
		body: `<p class="block-{{ .ID }} x">a</p><p class="{{ .Class }}">b</p>`,
		want: `<p class="block-{{ .ID }} x" style="color:blue;">a</p><p class="{{ .Class }}">b</p>`,
	}, {
		name: "void elements close themselves",
		css:  "p img { border: 0 } p span { color: red }",
		body: `<p><img src="a.png" alt="A"><br><span>x</span></p>`,
		want: `<p><img src="a.png" alt="A" style="border:0;"><br><span style="color:red;">x</span></p>`,
	}, {
		name: "implied end tags",
		css:  "li li { color: red } p p { color: red } td td { color: red }",
		body: `<ul><li>a<li>b</ul><p>c<div><p>d</div><table><tr><td>e<td>f</table>`,
		want: `<ul><li>a<li>b</ul><p>c<div><p>d</div><table><tr><td>e<td>f</table>`,
	}, {
		name: "stray end tags are ignored",
		css:  ".x p { color: red }",
		body: `<div class="x"></span><p>a</p></div>`,
		want: `<div class="x"></span><p style="color:red;">a</p></div>`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := inline.Inline(page(tt.css, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := bodyOf(t, out); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestInlineCascade(t *testing.T) {
	tests := []struct {
		name, css, body, want string
	}{{
		name: "specificity before order",
		css:  ".block p { color: red } p { color: blue }",
		body: `<td class="block"><p>x</p></td>`,
		want: `<td class="block"><p style="color:red;">x</p></td>`,
	}, {
		name: "id beats classes",
		css:  "#a { color: red } .b.c.d { color: blue }",
		body: `<p id="a" class="b c d">x</p>`,
		want: `<p id="a" class="b c d" style="color:red;">x</p>`,
	}, {
		name: "later rule wins at equal specificity",
		css:  ".a { color: red } .b { color: blue }",
		body: `<p class="b a">x</p>`,
		want: `<p class="b a" style="color:blue;">x</p>`,
	}, {
		name: "shorthand then longhand keep their order",
		css:  "p { margin: 0 } .x { margin-top: 4px }",
		body: `<p class="x">x</p>`,
		want: `<p class="x" style="margin:0;margin-top:4px;">x</p>`,
	}, {
		name: "a fallback in one rule is kept",
		css:  "p { background: #fff; background: rgba(255, 255, 255, .9) }",
		body: `<p>x</p>`,
		want: `<p style="background:#fff;background:rgba(255, 255, 255, .9);">x</p>`,
	}, {
		name: "the element's own declarations win",
		css:  "p { color: red; margin: 0 }",
		body: `<p style="color: green">x</p>`,
		want: `<p style="margin:0;color: green">x</p>`,
	}, {
		name: "an important rule beats the element's own, after it",
		css:  "p { color: red !important; margin: 0 }",
		body: `<p style="color:green;padding:0">x</p>`,
		want: `<p style="margin:0;color:green;padding:0;color:red;">x</p>`,
	}, {
		name: "an important rule beats a later normal one",
		css:  ".a { color: red !important } .a.b { color: blue }",
		body: `<p class="a b">x</p>`,
		want: `<p class="a b" style="color:red;">x</p>`,
	}, {
		name: "an important own declaration wins over an important rule",
		css:  "p { color: red !important }",
		body: `<p style="color: green !important">x</p>`,
		want: `<p style="color: green !important">x</p>`,
	}, {
		name: "an important rule saying what the element says adds nothing",
		css:  "body { width: 100% !important; margin: 0 }",
		body: `<div style="width:100%;">x</div>`,
		want: `<div style="width:100%;">x</div>`,
	}, {
		name: "own style in single quotes",
		css:  `p { font-family: "Times New Roman", serif }`,
		body: `<p style='color:red'>x</p>`,
		want: `<p style='font-family:"Times New Roman", serif;color:red'>x</p>`,
	}, {
		name: "double-quoted strings take single quotes",
		css:  `p { font-family: "Times New Roman", serif; content: "it's" }`,
		body: `<p>x</p>`,
		want: `<p style="font-family:'Times New Roman', serif;content:&#34;it's&#34;;">x</p>`,
	}, {
		name: "ampersands are escaped",
		css:  `p { background: url(https://img.example.com/a?x=1&y=2) }`,
		body: `<p>x</p>`,
		want: `<p style="background:url(https://img.example.com/a?x=1&amp;y=2);">x</p>`,
	}, {
		name: "unquoted own style gets quotes",
		css:  "p { margin: 0 }",
		body: `<p style=color:red>x</p>`,
		want: `<p style="margin:0;color:red">x</p>`,
	}, {
		name: "style attribute without a value",
		css:  "p { margin: 0 }",
		body: `<p style>x</p>`,
		want: `<p style="margin:0;">x</p>`,
	}, {
		name: "own style with an action",
		css:  "p { margin: 0; color: red }",
		body: `<p style="color: {{ .Colour }}">x</p>`,
		want: `<p style="margin:0;color: {{ .Colour }}">x</p>`,
	}, {
		name: "own style made by an action",
		css:  "p { margin: 0 }",
		body: `<p style="{{ .Style }}">x</p>`,
		want: `<p style="margin:0;{{ .Style }}">x</p>`,
	}, {
		name: "comments and white space in values",
		css:  "p { margin : 0  /* top */  auto ; color:red/* brand */}",
		body: `<p>x</p>`,
		want: `<p style="margin:0 auto;color:red;">x</p>`,
	}, {
		name: "self-closing tag",
		css:  "img { border: 0 }",
		body: `<img src="a.png" alt="A" />`,
		want: `<img src="a.png" alt="A" style="border:0;" />`,
	}, {
		name: "property names are case-insensitive",
		css:  "p { COLOR: red }",
		body: `<p style="Color: green">x</p>`,
		want: `<p style="Color: green">x</p>`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := inline.Inline(page(tt.css, tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := bodyOf(t, out); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestInlineHead checks what stays in the head and what leaves it.
func TestInlineHead(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{{
		name: "inlined rules leave, the style element too",
		src:  "<head><style>p { color: red }</style></head><body><p>x</p></body>",
		want: `<head></head><body><p style="color:red;">x</p></body>`,
	}, {
		name: "at-rules, pseudo-classes and attribute selectors stay",
		src: "<head><style>\n" +
			"  p { color: red }\n" +
			"  a:hover { color: blue }\n" +
			"  p::before { content: 'x' }\n" +
			"  [data-ogsc] .x { color: white }\n" +
			"  a[x-apple-data-detectors] { color: inherit !important }\n" +
			"  h1 + p { margin: 0 }\n" +
			"  @media (max-width: 620px) { p { color: green !important } }\n" +
			"  @media (prefers-color-scheme: dark) { .x { color: white !important } }\n" +
			"  @font-face { font-family: Brand; src: url(brand.woff2) }\n" +
			"  @supports (display: grid) { .x { display: grid } }\n" +
			"</style></head><body><p>x</p></body>",
		want: "<head><style>{{/*\n*/}}\n" +
			"  a:hover { color: blue }\n" +
			"  p::before { content: 'x' }\n" +
			"  [data-ogsc] .x { color: white }\n" +
			"  a[x-apple-data-detectors] { color: inherit !important }\n" +
			"  h1 + p { margin: 0 }\n" +
			"  @media (max-width: 620px) { p { color: green !important } }\n" +
			"  @media (prefers-color-scheme: dark) { .x { color: white !important } }\n" +
			"  @font-face { font-family: Brand; src: url(brand.woff2) }\n" +
			"  @supports (display: grid) { .x { display: grid } }\n" +
			"</style></head><body><p style=\"color:red;\">x</p></body>",
	}, {
		name: "a list keeps the selectors it cannot inline",
		src:  "<head><style>a, a:hover { color: red }</style></head><body><a>x</a></body>",
		want: `<head><style>a:hover { color: red }</style></head><body><a style="color:red;">x</a></body>`,
	}, {
		name: "nested rules stay",
		src:  "<head><style>.x { color: red; & a { color: blue } }</style></head><body><p class=\"x\">x</p></body>",
		want: "<head><style>.x { color: red; & a { color: blue } }</style></head><body><p class=\"x\">x</p></body>",
	}, {
		name: "data-inline keep",
		src:  `<head><style data-inline="keep">p { color: red }</style><style>b { color: blue }</style></head><body><p><b>x</b></p></body>`,
		want: `<head><style data-inline="keep">p { color: red }</style></head><body><p><b style="color:blue;">x</b></p></body>`,
	}, {
		name: "print styles",
		src:  `<head><style media="print">p { color: black }</style></head><body><p>x</p></body>`,
		want: `<head><style media="print">p { color: black }</style></head><body><p>x</p></body>`,
	}, {
		name: "a stylesheet with actions depends on the data",
		src:  `<head><style>p { color: {{ .Colour }} }</style></head><body><p>x</p></body>`,
		want: `<head><style>p { color: {{ .Colour }} }</style></head><body><p>x</p></body>`,
	}, {
		name: "a stylesheet with nothing to inline is untouched, comments and all",
		src:  "<head><style>/* dark */ @media (prefers-color-scheme: dark) { p { color: white } }</style></head><body><p>x</p></body>",
		want: "<head><style>/* dark */ @media (prefers-color-scheme: dark) { p { color: white } }</style></head><body><p>x</p></body>",
	}, {
		name: "elements in the head get no style",
		src:  "<html><head><style>* { margin: 0 } title, meta { color: red }</style><title>T</title><meta charset=\"utf-8\"></head><body><p>x</p></body></html>",
		want: "<html style=\"margin:0;\"><head><title>T</title><meta charset=\"utf-8\"></head><body style=\"margin:0;\"><p style=\"margin:0;\">x</p></body></html>",
	}, {
		name: "styles in the body are inlined too",
		src:  "<body><style>p { color: red }</style><p>x</p></body>",
		want: `<body><p style="color:red;">x</p></body>`,
	}, {
		name: "Outlook conditional comments pass through",
		src: "<head><style>td { padding: 0 } p { margin: 0 }</style></head><body>" +
			"<!--[if mso]><table><tr><td><style>p { color: red }</style><![endif]-->" +
			"<!--[if !mso]><!--><p>web</p><!--<![endif]--></body>",
		want: "<head></head><body>" +
			"<!--[if mso]><table><tr><td><style>p { color: red }</style><![endif]-->" +
			"<!--[if !mso]><!--><p style=\"margin:0;\">web</p><!--<![endif]--></body>",
	}, {
		name: "actions pass through, quotes and > inside",
		src: `<head><style>a { color: red } p { margin: 0 }</style></head><body>` +
			`<p title="{{ index .Recipient.TopMerchants "dining" }}">{{ if gt .N 1 }}<b>></b>{{ end }}</p>` +
			`<a href="https://e.com/?m={{ index .Recipient.TopMerchants "a>b" }}" {{ if .X }}data-x{{ end }}>{{ "<p>" }}</a></body>`,
		want: `<head></head><body>` +
			`<p title="{{ index .Recipient.TopMerchants "dining" }}" style="margin:0;">{{ if gt .N 1 }}<b>></b>{{ end }}</p>` +
			`<a href="https://e.com/?m={{ index .Recipient.TopMerchants "a>b" }}" {{ if .X }}data-x{{ end }} style="color:red;">{{ "<p>" }}</a></body>`,
	}, {
		name: "template comments and raw strings",
		src:  "<head><style>p { margin: 0 }</style></head><body>{{/* <p> */}}<p title={{ `a\"}}b` }}>x</p></body>",
		want: "<head></head><body>{{/* <p> */}}<p title={{ `a\"}}b` }} style=\"margin:0;\">x</p></body>",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := inline.Inline(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.want {
				t.Errorf("got\n%s\nwant\n%s", out, tt.want)
			}
			if a, b := strings.Count(out, "\n"), strings.Count(tt.src, "\n"); a != b {
				t.Errorf("%d lines out of %d", a+1, b+1)
			}
		})
	}
}

// TestLinesKept checks that what leaves the head leaves its line breaks in
// a template comment: a template error after it keeps its line.
func TestLinesKept(t *testing.T) {
	src := "<html>\n<head>\n<style>\n  p {\n    color: red;\n  }\n  a:hover { color: blue }\n  /* gone */\n  b { font-weight: 700 }\n</style>\n<style>\n  i { color: red }\n</style>\n</head>\n<body><p>x</p>\n</body>\n</html>\n"
	out, err := inline.Inline(src)
	if err != nil {
		t.Fatal(err)
	}
	want := "<html>\n<head>\n<style>{{/*\n\n\n*/}}\n  a:hover { color: blue }{{/*\n\n*/}}\n</style>\n{{/*\n\n*/}}\n</head>\n<body><p style=\"color:red;\">x</p>\n</body>\n</html>\n"
	if out != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
}

func TestPassThrough(t *testing.T) {
	for _, src := range []string{
		"",
		"plain text",
		"<p>no style</p>",
		"<p style=\"color:red\">x</p><!-- a < b --><![CDATA[ x ]]>",
		"<a href='{{ .URL }}'>x</a> <br/> <p",
		"<unclosed <tags",
		"<!DOCTYPE html><html><head><title>{{ .T }}</title></head><body>{{ template \"content\" . }}</body></html>",
	} {
		out, err := inline.Inline(src)
		if err != nil {
			t.Errorf("%q: %v", src, err)
		}
		if out != src {
			t.Errorf("%q came out as %q", src, out)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, css string
		line, col int
		msg       string
	}{
		{"unclosed comment", "p { color: red }\n/* brand", 2, 1, "unclosed comment"},
		{"unclosed string", "p {\n  font-family: \"Times New Roman;\n}", 2, 16, "unclosed string"},
		{"unclosed block", "p { color: red }\n.a { color: blue;\n", 2, 4, "unclosed {"},
		{"stray brace", "p { color: red } }", 1, 18, "unexpected }"},
		{"block without a selector", "{ color: red }", 1, 1, "declarations without a selector"},
		{"selector without a block", "p { color: red }\nh1", 2, 1, `"h1" has no declarations`},
		{"semicolon after a selector", "p; h1 { color: red }", 1, 2, `unexpected ";" after selector "p"`},
		{"missing colon", "p {\n  color red;\n}", 2, 9, `property "color": want ":"`},
		{"missing value", "p { color: ; }", 1, 5, `property "color" has no value`},
		{"missing property", "p { : red }", 1, 5, "want a property name"},
		{"empty selector in a list", "h1, , h2 { color: red }", 1, 4, "empty selector in a list"},
		{"two dots", "p..x { color: red }", 1, 2, `want a class name after "."`},
		{"hash alone", "# { color: red }", 1, 1, `want an id after "#"`},
		{"leading combinator", "> p { color: red }", 1, 1, "unexpected >"},
		{"trailing combinator", "p > { color: red }", 1, 3, "ends with >"},
		{"two combinators", "p > > a { color: red }", 1, 5, "unexpected >"},
		{"stray character", "p % a { color: red }", 1, 3, `unexpected "% a"`},
		{"condition around rules", "p { margin: 0 }\n{{ if .Dark }}p { color: white }{{ end }}", 2, 1, "template action between rules"},
		{"column counts characters", "/* café */ p..x { color: red }", 1, 13, "class name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inline.Compile(tt.css)
			var e *inline.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want an *inline.Error", err)
			}
			if e.Line != tt.line || e.Column != tt.col || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q at %d:%d, want %q at %d:%d", err, e.Line, e.Column, tt.msg, tt.line, tt.col)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("%d:%d: css: ", tt.line, tt.col)) {
				t.Errorf("error %q does not start with its position", err)
			}
		})
	}
}

// TestFromHTMLErrors checks that an error in a <style> element is placed in
// the HTML document.
func TestFromHTMLErrors(t *testing.T) {
	src := "<html>\n<head>\n  <style>\n    p { color: red }\n    .block p { margin: 0 0 14px; color #333 }\n  </style>\n</head>\n</html>\n"
	_, err := inline.FromHTML(src)
	var e *inline.Error
	if !errors.As(err, &e) || e.Line != 5 || e.Column != 40 {
		t.Fatalf("error %v, want one at 5:40", err)
	}
	if _, err := inline.Inline(src); err == nil {
		t.Error("Inline ignored the error")
	}
}

// TestCompileActions checks that actions in values are inlined as they
// are, and that a selector with an action stays in the head.
func TestCompileActions(t *testing.T) {
	s, err := inline.Compile(`p { color: {{ .Colour }}; font-family: {{ index .Fonts "brand" }} } .tier-{{ .Tier }} p { margin: 0 }`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Apply("<p>x</p>"), `<p style="color:{{ .Colour }};font-family:{{ index .Fonts "brand" }};">x</p>`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := s.Kept(), ".tier-{{ .Tier }} p { margin: 0 }"; got != want {
		t.Errorf("Kept() = %q, want %q", got, want)
	}
}

func TestKept(t *testing.T) {
	s, err := inline.Compile("/* c */ p { color: red } @media (max-width: 600px) { p { color: blue } }\na, a:hover { color: green }")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Kept(), "@media (max-width: 600px) { p { color: blue } }\na:hover { color: green }"; got != want {
		t.Errorf("Kept() = %q, want %q", got, want)
	}
}

// TestApplyContext inlines fragments as a layout includes them.
func TestApplyContext(t *testing.T) {
	layout := `<html><head><style>.block p { margin: 0 } .card > table td { padding: 0 } .card td { color: red }</style></head>` +
		`<body><div class="card"><table>{{ template "content" . }}</table></div></body></html>`
	s, err := inline.FromHTML(layout)
	if err != nil {
		t.Fatal(err)
	}
	at := strings.Index(layout, "{{ template")
	ctx := inline.Ancestors(layout, at)
	if want := []string{"<html>", "<body>", `<div class="card">`, "<table>"}; strings.Join(ctx, "") != strings.Join(want, "") {
		t.Fatalf("Ancestors = %q, want %q", ctx, want)
	}
	row := `<tr><td class="block">{{ template "block" . }}</td></tr>`
	if got, want := s.Apply(row, ctx...), `<tr><td class="block" style="color:red;padding:0;">{{ template "block" . }}</td></tr>`; got != want {
		t.Errorf("row: got\n%s\nwant\n%s", got, want)
	}
	in := append(ctx, inline.Ancestors(row, strings.Index(row, "{{"))...)
	if got, want := s.Apply("<p>Hello</p></td></tr></table><p>after</p>", in...), `<p style="margin:0;">Hello</p></td></tr></table><p style="margin:0;">after</p>`; got != want {
		t.Errorf("block: got\n%s\nwant\n%s (a fragment's end tags must not close its context)", got, want)
	}
	if got := s.Apply("<p>Hello</p>"); got != "<p>Hello</p>" {
		t.Errorf("without context: %s", got)
	}
	if got, want := s.Apply(layout), `<html><head></head><body><div class="card"><table>{{ template "content" . }}</table></div></body></html>`; got != want {
		t.Errorf("layout: got\n%s\nwant\n%s", got, want)
	}
}

func TestAncestors(t *testing.T) {
	src := `<html><head><title>{{ .T }}</title></head><body><!-- <div> --><table><tr><td class="a">x<td class="b"><p>y<img src="i.png"><br/>{{ "<div>" }}HERE</p></td></tr></table></body></html>`
	got := inline.Ancestors(src, strings.Index(src, "HERE"))
	want := []string{"<html>", "<body>", "<table>", "<tr>", `<td class="b">`, "<p>"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := inline.Ancestors(src, len(src)); len(got) != 0 {
		t.Errorf("at the end: %q", got)
	}
	if got := inline.Ancestors(src, -5); len(got) != 0 {
		t.Errorf("before the start: %q", got)
	}
}

func TestJoin(t *testing.T) {
	a, err := inline.Compile("p { color: red } .x { color: green }")
	if err != nil {
		t.Fatal(err)
	}
	b, err := inline.Compile("p { color: blue } @media print { p { color: black } }")
	if err != nil {
		t.Fatal(err)
	}
	s := inline.Join(a, b)
	if got, want := s.Apply(`<p>x</p><p class="x">y</p>`), `<p style="color:blue;">x</p><p class="x" style="color:green;">y</p>`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := s.Kept(), "@media print { p { color: black } }"; got != want {
		t.Errorf("Kept() = %q, want %q", got, want)
	}
}

// TestGolden inlines a whole newsletter template: the default layout with
// its partials and blocks, and a block with the hard cases.
func TestGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "newsletter.html"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := inline.Inline(string(src))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "newsletter.golden.html")
	if *update {
		if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal([]byte(out), want) {
		t.Errorf("%s differs (run go test -update to accept); got:\n%s", file, out)
	}
	if a, b := strings.Count(out, "\n"), strings.Count(string(src), "\n"); a != b {
		t.Errorf("%d lines out of %d", a, b)
	}
	actions := regexp.MustCompile(`\{\{[^/].*?\}\}`)
	if a, b := actions.FindAllString(out, -1), actions.FindAllString(string(src), -1); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("actions changed:\n%q\nwant\n%q", a, b)
	}
	comments := regexp.MustCompile(`(?s)<!--.*?-->`)
	if a, b := comments.FindAllString(out, -1), comments.FindAllString(string(src), -1); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("comments changed:\n%q\nwant\n%q", a, b)
	}
	// Every Markdown element of the blocks got the block's styles.
	blocks := out[strings.Index(out, `<td class="block `):strings.Index(out, "<strong>Why you got this")]
	for _, tag := range []string{"h2", "p", "a", "ul", "li", "strong", "table", "th", "td", "blockquote", "hr", "img"} {
		all := regexp.MustCompile(`<`+tag+`[ >]`).FindAllString(blocks, -1)
		styled := regexp.MustCompile(`<`+tag+` [^>]*style="`).FindAllString(blocks, -1)
		if len(all) == 0 || len(styled) != len(all) {
			t.Errorf("%d of %d <%s> in the blocks got a style", len(styled), len(all), tag)
		}
	}
	for _, gone := range []string{".block p {", "body {", "table, td {"} {
		if strings.Contains(out, gone) {
			t.Errorf("the head still has %q", gone)
		}
	}
	for _, kept := range []string{"@media only screen", "prefers-color-scheme: dark", "[data-ogsc]", "a[x-apple-data-detectors]"} {
		if !strings.Contains(out, kept) {
			t.Errorf("the head lost %q", kept)
		}
	}
}
