package render

import (
	"fmt"
	htmltemplate "html/template"
	"reflect"
	"strings"
	"unicode/utf8"
)

// The escapers of the fast path. html/template escapes a value by adding
// escaper functions to the end of each action's pipeline when it first
// executes a template; the fast path runs the escaped template and must
// write exactly what html/template would, so these are the same functions,
// byte for byte, for the contexts a newsletter uses: HTML text, quoted
// attribute values, RCDATA (<title>), URLs and unquoted attribute values.
// An escaper not listed here makes the fast path refuse the template, and
// a value it cannot escape here (HTML-typed content in an attribute, which
// html/template strips of its tags) makes it hand that recipient to
// html/template. TestFastPathMatches and FuzzFastPath compare the two.

// contentType is the type of a value as html/template sees it.
type contentType uint8

const (
	contentPlain contentType = iota
	contentHTML
	contentURL
)

// filterFailsafe is what html/template writes in place of an unsafe value.
const filterFailsafe = "ZgotmplZ"

// escaper turns a value into its escaped form; ok is false when only
// html/template can escape it.
type escaper func(s string, t contentType) (out string, ok bool)

// escapers are the html/template escapers the fast path knows, by the
// name html/template gives them in a pipeline.
var escapers = map[string]escaper{
	"_html_template_htmlescaper": func(s string, t contentType) (string, bool) {
		if t == contentHTML {
			return s, true
		}
		return htmlReplacer(s, htmlReplacementTable, true), true
	},
	"_html_template_attrescaper": func(s string, t contentType) (string, bool) {
		if t == contentHTML {
			return "", false // html/template strips the tags first
		}
		return htmlReplacer(s, htmlReplacementTable, true), true
	},
	"_html_template_rcdataescaper": func(s string, t contentType) (string, bool) {
		if t == contentHTML {
			return htmlReplacer(s, htmlNormReplacementTable, true), true
		}
		return htmlReplacer(s, htmlReplacementTable, true), true
	},
	"_html_template_nospaceescaper": func(s string, t contentType) (string, bool) {
		switch {
		case s == "":
			return filterFailsafe, true
		case t == contentHTML:
			return "", false
		}
		return htmlReplacer(s, htmlNospaceReplacementTable, false), true
	},
	"_html_template_urlfilter": func(s string, t contentType) (string, bool) {
		if t == contentURL || isSafeURL(s) {
			return s, true
		}
		return "#" + filterFailsafe, true
	},
	"_html_template_urlnormalizer": func(s string, t contentType) (string, bool) {
		return processURL(s, true), true
	},
	"_html_template_urlescaper": func(s string, t contentType) (string, bool) {
		return processURL(s, t == contentURL), true
	},
}

// contentTypes are the html/template content types the fast path passes
// through; a value of another (CSS, JS, ...) goes to html/template.
var contentTypes = map[reflect.Type]contentType{
	reflect.TypeFor[htmltemplate.HTML](): contentHTML,
	reflect.TypeFor[htmltemplate.URL]():  contentURL,
}

var htmlReplacementTable = []string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

var htmlNormReplacementTable = []string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

var htmlNospaceReplacementTable = []string{
	0:    "&#xfffd;",
	'\t': "&#9;",
	'\n': "&#10;",
	'\v': "&#11;",
	'\f': "&#12;",
	'\r': "&#13;",
	' ':  "&#32;",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'=':  "&#61;",
	'>':  "&gt;",
	'`':  "&#96;",
}

// htmlReplacer is html/template's: it replaces the runes the table lists
// and, unless badRunes, writes the noncharacters U+FDD0..U+FDEF and
// U+FFF0..U+FFFF as numeric references.
func htmlReplacer(s string, table []string, badRunes bool) string {
	// Most values need nothing: find out a byte at a time.
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		c := s[i]
		clean = !(int(c) < len(table) && table[c] != "" || !badRunes && c == 0xef)
	}
	if clean {
		return s
	}
	written := 0
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if int(r) < len(table) {
			if repl := table[r]; repl != "" {
				if written == 0 {
					b.Grow(len(s) + 16)
				}
				b.WriteString(s[written:i])
				b.WriteString(repl)
				written = i + w
			}
		} else if !badRunes && (0xfdd0 <= r && r <= 0xfdef || 0xfff0 <= r && r <= 0xffff) {
			if written == 0 {
				b.Grow(len(s) + 16)
			}
			fmt.Fprintf(&b, "%s&#x%x;", s[written:i], r)
			written = i + w
		}
		i += w
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// isSafeURL reports whether s is a relative URL or has the protocol http,
// https or mailto.
func isSafeURL(s string) bool {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return false
		}
	}
	return true
}

// processURL normalizes (norm) or escapes s as a URL or a part of one.
func processURL(s string, norm bool) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']':
			if norm {
				continue
			}
		case '-', '.', '_', '~':
			continue
		case '%':
			if norm && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				continue
			}
		default:
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				continue
			}
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		fmt.Fprintf(&b, "%%%02x", c)
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
