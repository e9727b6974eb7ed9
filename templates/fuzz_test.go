package templates_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/tailor-mail/tailor/templates"
)

// FuzzMarkdown converts random Markdown to HTML and text. Neither may
// panic. When the input's actions are all closed and none holds another,
// and the input has no text like the converter's placeholders, every
// action must come out verbatim in the HTML and no placeholder may leak.
// Goldmark drops raw HTML and link reference definitions, and heading
// attributes ({#id}) keep only known attribute names, so an input with
// "<", "]:" or a brace outside its actions is checked for panics only.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{
		"Hello {{ .Recipient.FirstName }}",
		"## For {{ .Recipient.FirstName }}\n\n- a {{ .A }}\n- b\n  1. c\n",
		"[x](https://e.com/?t={{ .Recipient.Tier }})",
		"![alt {{ .A }}](https://e.com/{{ .B }}.png)",
		`{{ .Recipient.FirstName | printf "%s" }} {{ .B }}`,
		"| a | {{ .A }} |\n|---|---|\n| {{ .B }} | c |\n",
		"> quote {{ .A }}\n> > nested\n",
		"**{{ .A }}**_{{ .B }}_~~{{ .C }}~~`{{ .D }}`",
		"TLRAC{{ .A }}TLRX",
		"{{ .A }}1{{ .B }}TLRX0",
		"a\\\nb  \nc",
		strings.Repeat("> ", 45) + "# deep\n",
		strings.Repeat("- ", 45) + "## deep\n",
		"```\n{{ .A }}\n```\n",
		"<b>{{ .A }}</b>\n\n[r]: {{ .B }}\n",
		"# H {#id}\n",
		"{{ unclosed",
		"{{ {{ .A }} }}",
	} {
		f.Add(s)
	}
	md := templates.NewMarkdown()
	f.Fuzz(func(t *testing.T, src string) {
		html, err := md.HTML(src)
		if err != nil {
			t.Fatalf("HTML: %v", err)
		}
		_ = md.Text(src, width)
		_ = md.Text(src, 10)
		acts, ok := scanActions(src)
		if !ok || strings.Contains(src, "TLRACT") {
			return
		}
		rest := src
		for _, a := range acts {
			rest = strings.Replace(rest, a, "", 1)
		}
		if strings.ContainsAny(rest, "<{") || strings.Contains(rest, "]:") {
			return
		}
		for _, a := range acts {
			if !strings.Contains(html, a) {
				t.Fatalf("action %q lost:\n%s", a, html)
			}
		}
		if strings.Contains(html, "TLRACT") {
			t.Fatalf("placeholder leaked:\n%s", html)
		}
	})
}

// FuzzLoad loads a set whose one block file is random. Load must not
// panic; it returns either a set holding the block, with its body and
// body line consistent with the file, or Errors that each name a file.
func FuzzLoad(f *testing.F) {
	f.Add(okBlock)
	f.Add("+++\nid = \"ok\"\n+++\n")
	f.Add("+++\nid = \"ok\"\npriority = \"high\"\ncolour = 1\n+++\nx {{ .A }\n")
	f.Add("\uFEFF+++\r\nid = \"ok\"\r\n+++\r\nText\r\n")
	f.Add("+++\nid = \"ok\"\nsubjects = [\"a\\nb\", \"{{ x\"]\npreheaders = [\"{{ .A }}\"]\n+++\n{{ end }}")
	f.Add("+++\n+++\n+++\n")
	f.Add("+++\nid = \"ok\"\ntiers = [\n  \"gold\",\n  'silver',\n]\nrelationships = [\"loyal\"]\n+++\nText\n")
	f.Add("+++\nid = \"ok\"\nposition = \"footer\"\ninterests = [\"\\u0000\"]\ntiers = []\n+++\nText\n")
	f.Add("+++\nid = \"ok\"\ntiers = [\"\"]\nrelationships=[\"lost\",]\n+++\nText\n")
	f.Fuzz(func(t *testing.T, src string) {
		m := baseFS()
		m["blocks/ok.md"] = &fstest.MapFile{Data: []byte(src)}
		set, err := templates.Load(m)
		if err != nil {
			var es templates.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T %v is not Errors", err, err)
			}
			for _, e := range es {
				if e.File == "" || e.Line < 0 {
					t.Fatalf("problem without a position: %+v", e)
				}
			}
			return
		}
		b, ok := set.Block("ok")
		if !ok {
			t.Fatal("loaded without its block")
		}
		norm := strings.ReplaceAll(strings.TrimPrefix(src, "\uFEFF"), "\r\n", "\n")
		if !strings.HasSuffix(norm, b.Body) || strings.TrimSpace(b.Body) == "" {
			t.Fatalf("body %q is not the end of the file", b.Body)
		}
		if want := strings.Count(norm[:len(norm)-len(b.Body)], "\n") + 1; b.BodyLine != want {
			t.Fatalf("BodyLine %d, want %d", b.BodyLine, want)
		}
		if set.Hash() == "" || set.MetaHash() == "" {
			t.Fatal("no hash")
		}
		// Checking what the block targets reports every value outside
		// the vocabulary, each at a line of the front matter.
		err = set.Validate(vocabulary)
		bad := 0
		for _, f := range []struct{ vals, known []string }{
			{b.Interests, vocabulary.Interests}, {b.Tiers, vocabulary.Tiers}, {b.Relationships, vocabulary.Relationships},
		} {
			for _, v := range f.vals {
				if !slices.Contains(f.known, v) {
					bad++
				}
			}
		}
		var es templates.Errors
		if bad == 0 {
			if err != nil {
				t.Fatalf("Validate: %v, want nil", err)
			}
			return
		}
		if !errors.As(err, &es) || len(es) != bad {
			t.Fatalf("Validate: %v, want %d problems", err, bad)
		}
		for _, e := range es {
			if e.File != "blocks/ok.md" || e.Line < 2 || e.Line >= b.BodyLine {
				t.Fatalf("problem outside the front matter: %+v (body at line %d)", e, b.BodyLine)
			}
		}
	})
}

// FuzzFill fills random marked text. Fill must not panic nor leave a mark
// in its output; text without units comes out as it went in, marks aside;
// and when the units are well formed, as Convert writes them, every word
// of their text comes out, and with no prefixes no line is over the width
// unless it is one word.
func FuzzFill(f *testing.F) {
	for _, s := range []string{
		"",
		"plain\ntext\n",
		"\x01- \x02  \x02\x03one two three four five six seven\x04\n",
		"\x01\x02\x02=\x03Heading that is long enough to wrap at least once here\x04\n",
		"\x01> \x02> \x02\x03a\x05b\x05\x05c\x04",
		"\x01\x02\x02\x03unclosed and \x01 nested \x02\x03\x04\x04",
		"\x04\x03\x02\x05",
		"\x01\x02\x02\x03a verylongwordthatcannotbesplitatall b\x04\n\n\x01\x02\x02\x03c\x04\n",
	} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, src string, w int) {
		w = 1 + abs(w%120)
		out := string(templates.Fill(nil, []byte(src), w))
		// A memo fills the same, the first time and from memory.
		var memo templates.FillMemo
		for range 2 {
			if got := string(memo.Fill(nil, []byte(src), w)); got != out {
				t.Fatalf("FillMemo.Fill(%q, %d) = %q, Fill wrote %q", src, w, got, out)
			}
		}
		for i := 0; i < len(out); i++ {
			if out[i] >= 1 && out[i] <= 5 {
				t.Fatalf("a mark in the output: %q", out)
			}
		}
		if !strings.Contains(src, "\x01") {
			if want := templates.StripMarks(src); out != want {
				t.Fatalf("text without units changed: %q -> %q", src, out)
			}
			return
		}
		words, noPrefix, ok := wellFormed(src)
		if !ok {
			return
		}
		for _, word := range words {
			if !strings.Contains(out, word) {
				t.Fatalf("word %q lost: %q -> %q", word, src, out)
			}
		}
		if !noPrefix {
			return
		}
		for _, l := range strings.Split(out, "\n") {
			if utf8.RuneCountInString(l) > w && strings.ContainsAny(l, " ") {
				t.Fatalf("line %q over %d columns: %q -> %q", l, w, src, out)
			}
		}
	})
}

// wellFormed reads marked text as Convert writes it: units of a header
// (two prefixes and an underline without marks) and words, with text
// between them that holds only line breaks. It returns the units' words
// and whether no unit has a prefix or an underline.
func wellFormed(src string) (words []string, noPrefix, ok bool) {
	noPrefix = true
	for src != "" {
		i := strings.IndexByte(src, '\x01')
		if i < 0 {
			return words, noPrefix, strings.Trim(src, "\n") == ""
		}
		if strings.Trim(src[:i], "\n") != "" {
			return nil, false, false
		}
		src = src[i+1:]
		head, rest, found := strings.Cut(src, "\x03")
		parts := strings.Split(head, "\x02")
		if !found || len(parts) != 3 || strings.ContainsAny(head, "\x01\x04\x05") {
			return nil, false, false
		}
		noPrefix = noPrefix && head == "\x02\x02"
		body, after, found := strings.Cut(rest, "\x04")
		if !found || strings.ContainsAny(body, "\x01\x02\x03") {
			return nil, false, false
		}
		words = append(words, strings.Fields(strings.ReplaceAll(body, "\x05", " "))...)
		src = after
	}
	return words, noPrefix, true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
