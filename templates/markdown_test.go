package templates_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tailor-mail/tailor/templates"
)

// width is the plain-text width the renderer uses.
const width = 78

// golden compares got with the file, or rewrites the file under -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}

// TestMarkdownGolden converts testdata/markdown/*.md to HTML and text and
// compares both with the goldens beside them.
func TestMarkdownGolden(t *testing.T) {
	md := templates.NewMarkdown()
	inputs, err := filepath.Glob(filepath.Join("testdata", "markdown", "*.md"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".md")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			html, err := md.HTML(string(src))
			if err != nil {
				t.Fatal(err)
			}
			text := md.Text(string(src), width)
			base := strings.TrimSuffix(in, ".md")
			golden(t, base+".html", html)
			golden(t, base+".txt", text)
			for _, act := range actionsOf(string(src)) {
				if !strings.Contains(html, act) {
					t.Errorf("HTML lost the action %s", act)
				}
			}
			for _, out := range []string{html, text} {
				if strings.Contains(out, "TLRACT") {
					t.Errorf("a placeholder leaked into the output:\n%s", out)
				}
			}
			checkWidth(t, text)
		})
	}
}

// actionsOf returns the {{ ... }} actions of src, found as the converter
// finds them; ok is false when an action is not closed or has an action
// inside it.
func actionsOf(src string) []string {
	acts, _ := scanActions(src)
	return acts
}

func scanActions(src string) (acts []string, ok bool) {
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			return acts, true
		}
		j := strings.Index(src[i+2:], "}}")
		if j < 0 {
			return acts, false
		}
		act := src[i : i+2+j+2]
		if strings.Contains(act[2:], "{{") {
			return acts, false
		}
		acts = append(acts, act)
		src = src[i+2+j+2:]
	}
}

// checkWidth reports text lines over the width that hold no action: an
// action's width is only known once it executes.
func checkWidth(t *testing.T, text string) {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(l); n > width && !strings.Contains(l, "{{") {
			t.Errorf("text line %d has %d runes, over %d: %q", i+1, n, width, l)
		}
	}
}

func TestMarkdownActions(t *testing.T) {
	md := templates.NewMarkdown()
	tests := []struct {
		name string
		src  string
		html []string // substrings of the HTML
		text []string // substrings of the text
	}{{
		name: "text",
		src:  "Hello {{ .Recipient.FirstName }}, welcome.",
		html: []string{"<p>Hello {{ .Recipient.FirstName }}, welcome.</p>"},
		text: []string{"Hello {{ .Recipient.FirstName }}, welcome.\n"},
	}, {
		name: "link target",
		src:  "[x](https://e.com/?t={{ .Recipient.Tier }})",
		html: []string{`<a href="https://e.com/?t={{ .Recipient.Tier }}" class="cta-link">x</a>`},
		text: []string{"x (https://e.com/?t={{ .Recipient.Tier }})"},
	}, {
		name: "link target with several query actions",
		src:  "[offers](https://e.com/o?t={{ .Recipient.Tier }}&m={{ .Campaign.Month }}#{{ .Variant.ID }})",
		html: []string{`href="https://e.com/o?t={{ .Recipient.Tier }}&amp;m={{ .Campaign.Month }}#{{ .Variant.ID }}"`},
		text: []string{"offers (https://e.com/o?t={{ .Recipient.Tier }}&m={{ .Campaign.Month }}#{{ .Variant.ID }})"},
	}, {
		name: "link text and title",
		src:  `[For {{ .Recipient.FirstName }}](https://e.com/ "Hi {{ .Recipient.FirstName }}")`,
		html: []string{`<a href="https://e.com/" title="Hi {{ .Recipient.FirstName }}" class="cta-link">For {{ .Recipient.FirstName }}</a>`},
		text: []string{"For {{ .Recipient.FirstName }} (https://e.com/)"},
	}, {
		name: "whole link target",
		src:  "[x]({{ .UnsubscribeURL }})",
		html: []string{`<a href="{{ .UnsubscribeURL }}" class="cta-link">x</a>`},
		text: []string{"x ({{ .UnsubscribeURL }})"},
	}, {
		name: "autolink",
		src:  "<https://e.com/t/{{ .Recipient.Tier }}>",
		html: []string{`<a href="https://e.com/t/{{ .Recipient.Tier }}">https://e.com/t/{{ .Recipient.Tier }}</a>`},
		text: []string{"https://e.com/t/{{ .Recipient.Tier }}\n"},
	}, {
		name: "image alt and src",
		src:  "![Card of {{ .Recipient.FirstName }}](https://img.e.com/{{ .Recipient.Tier }}.png)",
		html: []string{`<img src="https://img.e.com/{{ .Recipient.Tier }}.png" alt="Card of {{ .Recipient.FirstName }}">`},
		text: []string{"Card of {{ .Recipient.FirstName }}\n"},
	}, {
		name: "heading",
		src:  "## For {{ .Recipient.FirstName }}\n\nText.",
		html: []string{"<h2>For {{ .Recipient.FirstName }}</h2>"},
		text: []string{"For {{ .Recipient.FirstName }}\n---"},
	}, {
		name: "list items",
		src:  "- one {{ .Recipient.FirstName }}\n- two {{ .Recipient.Tier }}\n\n1. first {{ .Campaign.MonthName }}",
		html: []string{"<li>one {{ .Recipient.FirstName }}</li>", "<li>two {{ .Recipient.Tier }}</li>", "<li>first {{ .Campaign.MonthName }}</li>"},
		text: []string{"- one {{ .Recipient.FirstName }}\n- two {{ .Recipient.Tier }}\n", "1. first {{ .Campaign.MonthName }}\n"},
	}, {
		name: "emphasis",
		src:  "**{{ .Recipient.Tier }}** and _{{ .Campaign.MonthName }}_ and ~~{{ .Variant.Label }}~~",
		html: []string{"<strong>{{ .Recipient.Tier }}</strong>", "<em>{{ .Campaign.MonthName }}</em>", "<del>{{ .Variant.Label }}</del>"},
		text: []string{"{{ .Recipient.Tier }} and {{ .Campaign.MonthName }} and {{ .Variant.Label }}\n"},
	}, {
		name: "table",
		src:  "| Tier | Name |\n|---|---|\n| {{ .Recipient.Tier }} | {{ .Recipient.FirstName }} {{ .Recipient.LastName }} |",
		html: []string{"<td>{{ .Recipient.Tier }}</td>", "<td>{{ .Recipient.FirstName }} {{ .Recipient.LastName }}</td>"},
		text: []string{"{{ .Recipient.Tier }} | {{ .Recipient.FirstName }} {{ .Recipient.LastName }}\n"},
	}, {
		name: "two actions on one line",
		src:  "{{ .Recipient.FirstName }} {{ .Recipient.LastName }}",
		html: []string{"<p>{{ .Recipient.FirstName }} {{ .Recipient.LastName }}</p>"},
		text: []string{"{{ .Recipient.FirstName }} {{ .Recipient.LastName }}\n"},
	}, {
		name: "adjacent actions",
		src:  "{{ .Recipient.FirstName }}{{ .Recipient.LastName }}x{{ .Recipient.Tier }}",
		html: []string{"<p>{{ .Recipient.FirstName }}{{ .Recipient.LastName }}x{{ .Recipient.Tier }}</p>"},
	}, {
		name: "pipeline with quotes",
		src:  `Hi {{ .Recipient.FirstName | printf "%s" }}!`,
		html: []string{`<p>Hi {{ .Recipient.FirstName | printf "%s" }}!</p>`},
		text: []string{`Hi {{ .Recipient.FirstName | printf "%s" }}!`},
	}, {
		name: "Markdown and HTML characters inside an action",
		src:  `{{ printf "*%s* <b>%s</b> _x_ [a](b) & \\" .Recipient.FirstName .Recipient.Tier }}`,
		html: []string{`<p>{{ printf "*%s* <b>%s</b> _x_ [a](b) & \\" .Recipient.FirstName .Recipient.Tier }}</p>`},
		text: []string{`{{ printf "*%s* <b>%s</b> _x_ [a](b) & \\" .Recipient.FirstName .Recipient.Tier }}`},
	}, {
		name: "trim markers",
		src:  "a {{- .Recipient.FirstName -}} b",
		html: []string{"<p>a {{- .Recipient.FirstName -}} b</p>"},
	}, {
		name: "action across lines",
		src:  "Hi {{ printf \"%s\"\n  .Recipient.FirstName }} there",
		html: []string{"{{ printf \"%s\"\n  .Recipient.FirstName }}"},
		text: []string{"{{ printf \"%s\"\n  .Recipient.FirstName }}"},
	}, {
		name: "code span",
		src:  "Code: `{{ .Recipient.FirstName }}`",
		html: []string{"<code>{{ .Recipient.FirstName }}</code>"},
		text: []string{"Code: {{ .Recipient.FirstName }}"},
	}, {
		name: "blockquote",
		src:  "> Dear {{ .Recipient.FirstName }}",
		html: []string{"<blockquote>\n<p>Dear {{ .Recipient.FirstName }}</p>\n</blockquote>"},
		text: []string{"> Dear {{ .Recipient.FirstName }}\n"},
	}, {
		name: "text that looks like the start of a placeholder",
		src:  "TLRAC{{ .Recipient.FirstName }} and TLRX{{ .Recipient.Tier }}TLRX",
		html: []string{"<p>TLRAC{{ .Recipient.FirstName }} and TLRX{{ .Recipient.Tier }}TLRX</p>"},
		text: []string{"TLRAC{{ .Recipient.FirstName }} and TLRX{{ .Recipient.Tier }}TLRX\n"},
	}, {
		name: "unclosed action is left as text",
		src:  "{{ .Recipient.FirstName }} and {{ open",
		html: []string{"<p>{{ .Recipient.FirstName }} and {{ open</p>"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html, err := md.HTML(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.html {
				if !strings.Contains(html, want) {
					t.Errorf("HTML lacks %q:\n%s", want, html)
				}
			}
			text := md.Text(tt.src, width)
			for _, want := range tt.text {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

func TestMarkdownText(t *testing.T) {
	md := templates.NewMarkdown()
	tests := []struct {
		name, src, want string
	}{{
		name: "headings underlined",
		src:  "# Title\n\n## Sub title\n\n### Small\n\nText.",
		want: "Title\n=====\n\nSub title\n---------\n\nSmall\n-----\n\nText.\n",
	}, {
		name: "non-ASCII heading underlined by runes",
		src:  "## Café für Zoë",
		want: "Café für Zoë\n------------\n",
	}, {
		name: "emphasis and code dropped",
		src:  "Some **bold**, _italic_, ~~gone~~ and `code`.",
		want: "Some bold, italic, gone and code.\n",
	}, {
		name: "bullet list",
		src:  "- one\n- two\n- three",
		want: "- one\n- two\n- three\n",
	}, {
		name: "ordered list from its start number",
		src:  "3. three\n4. four",
		want: "3. three\n4. four\n",
	}, {
		name: "nested lists",
		src:  "1. one\n2. two\n   - two a\n   - two b\n3. three\n\nAfter.",
		want: "1. one\n2. two\n   - two a\n   - two b\n3. three\n\nAfter.\n",
	}, {
		name: "ordered list inside bullets",
		src:  "- a\n  1. a one\n  2. a two\n- b",
		want: "- a\n  1. a one\n  2. a two\n- b\n",
	}, {
		name: "links as text and url",
		src:  "See [the offers](https://e.com/offers) or <https://e.com/help>.",
		want: "See the offers (https://e.com/offers) or https://e.com/help.\n",
	}, {
		name: "link whose text is its url",
		src:  "[https://e.com](https://e.com)",
		want: "https://e.com\n",
	}, {
		name: "blockquote",
		src:  "> Quoted\n> text.",
		want: "> Quoted text.\n",
	}, {
		name: "wrapped blockquote",
		src:  "> " + strings.Repeat("word ", 30),
		want: "> " + strings.TrimSpace(strings.Repeat("word ", 15)) + "\n> " + strings.TrimSpace(strings.Repeat("word ", 15)) + "\n",
	}, {
		name: "hard line break",
		src:  "Warm regards,\\\nThe Meridian Card team",
		want: "Warm regards,\nThe Meridian Card team\n",
	}, {
		name: "hard line break by two spaces",
		src:  "Line one  \nLine two",
		want: "Line one\nLine two\n",
	}, {
		name: "hard line break in a list item",
		src:  "- first\\\n  second",
		want: "- first\n  second\n",
	}, {
		name: "soft line break joins",
		src:  "one\ntwo",
		want: "one two\n",
	}, {
		name: "paragraphs",
		src:  "One.\n\nTwo.",
		want: "One.\n\nTwo.\n",
	}, {
		name: "table",
		src:  "| a | b |\n|---|---|\n| 1 | 2 |",
		want: "a | b\n1 | 2\n",
	}, {
		name: "raw HTML dropped",
		src:  "<div>hidden</div>\n\nShown <b>bold</b>.",
		want: "Shown bold.\n",
	}, {
		name: "thematic break",
		src:  "a\n\n---\n\nb",
		want: "a\n\n--------------------\n\nb\n",
	}, {
		name: "code block indented",
		src:  "```\nkeep  this\n```",
		want: "    keep  this\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := md.Text(tt.src, width); got != tt.want {
				t.Errorf("Text(%q) =\n%s\nwant\n%s", tt.src, got, tt.want)
			}
		})
	}
}

// TestMarkdownTextWrap checks the fill: no line over the width unless an
// action is on it, no word lost or split, and prefixes kept on every line.
func TestMarkdownTextWrap(t *testing.T) {
	md := templates.NewMarkdown()
	long := "Earn four times the points at restaurants worldwide through the end of the month, from the neighborhood bistro you love to the tasting menu you have been saving for, and at every café, brasserie and taquería on the way home."
	tests := []struct {
		name, src, prefix string
	}{
		{name: "paragraph", src: long},
		{name: "non-ASCII", src: strings.Repeat("crème brûlée à la carte für Zoë ", 12)},
		{name: "bullet", src: "- " + long, prefix: "  "},
		{name: "ordered", src: "10. " + long, prefix: "    "},
		{name: "blockquote", src: "> " + long, prefix: "> "},
		{name: "nested", src: "- a\n  - " + long, prefix: "    "},
		{name: "with actions", src: strings.Repeat("Dear {{ .Recipient.FirstName }} {{ .Recipient.LastName }}, ", 8)},
		{name: "heading", src: "## " + long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := md.Text(tt.src, width)
			checkWidth(t, text)
			lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
			if len(lines) < 2 {
				t.Fatalf("not wrapped: %q", text)
			}
			from := 1
			if tt.name == "nested" {
				from = 2 // the first two lines are the items' own
			}
			for _, l := range lines[from:] {
				if tt.name != "heading" && !strings.HasPrefix(l, tt.prefix) {
					t.Errorf("line %q lacks the prefix %q", l, tt.prefix)
				}
			}
			if tt.name == "heading" {
				lines = lines[:len(lines)-1] // the underline
			}
			var words []string
			for _, l := range lines {
				words = append(words, strings.Fields(strings.TrimPrefix(l, ">"))...)
			}
			srcWords := strings.Fields(strings.NewReplacer("- ", "", "10. ", "", "> ", "", "## ", "").Replace(tt.src))
			if tt.name == "nested" {
				srcWords = srcWords[1:] // "a" has a line of its own
				words = words[2:]
			}
			// Text drops the list markers: compare words only.
			if got, want := strings.Join(stripMarkers(words), " "), strings.Join(srcWords, " "); got != want {
				t.Errorf("words changed:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func stripMarkers(words []string) []string {
	if len(words) > 0 && (words[0] == "-" || words[0] == "10.") {
		return words[1:]
	}
	return words
}

// TestMarkdownTextDeepNesting feeds structures nested deeper than the
// width: Text must not panic on a negative underline or prefix width.
func TestMarkdownTextDeepNesting(t *testing.T) {
	md := templates.NewMarkdown()
	tests := []struct{ name, src string }{
		{"blockquotes", strings.Repeat("> ", 50) + "# Heading\n"},
		{"lists", strings.Repeat("- ", 50) + "## Heading\n"},
		{"blockquoted rule", strings.Repeat("> ", 50) + "---\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := md.Text(tt.src, width)
			if !strings.Contains(text, "Heading") && !strings.Contains(text, "-") {
				t.Errorf("content lost: %q", text)
			}
		})
	}
}

// execute stands in for a template execution of marked text: it replaces
// each action with a value.
func execute(marked string, values map[string]string) []byte {
	for act, v := range values {
		marked = strings.ReplaceAll(marked, act, templates.StripMarks(v))
	}
	return []byte(marked)
}

// TestFillAfterMerge checks that the text is filled once merge fields
// have their values: a long value moves the words after it, a short one
// lets the next words up, and nothing is broken around an action.
func TestFillAfterMerge(t *testing.T) {
	md := templates.NewMarkdown()
	const src = "## A table for {{ .Name }}\n\n" +
		"Hello {{ .Name }}, all {{ .Count }} of them are yours to book through the end of the month, with points on every one.\n\n" +
		"- A table at {{ .Merchant }}, held back for cardmembers on Friday and Saturday nights\n" +
		"- Two\n\n" +
		"[See the offers at {{ .Merchant }}](https://www.example.com/offers/dining?m={{ .Code }})\n"
	doc, err := md.Convert(src, templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		values map[string]string
		want   string
	}{{
		name:   "short values",
		values: map[string]string{"{{ .Name }}": "Ann", "{{ .Count }}": "12", "{{ .Merchant }}": "Bo", "{{ .Code }}": "b1"},
		want: `A table for Ann
---------------

Hello Ann, all 12 of them are yours to book through the end of the month, with
points on every one.

- A table at Bo, held back for cardmembers on Friday and Saturday nights
- Two

See the offers at Bo (https://www.example.com/offers/dining?m=b1)
`,
	}, {
		name: "long values",
		values: map[string]string{"{{ .Name }}": "Maximiliana-Josefina von Hohenberg-Castellanos", "{{ .Count }}": "12,480",
			"{{ .Merchant }}": "The Grand Harbourside Brasserie & Oyster Bar", "{{ .Code }}": strings.Repeat("x", 40)},
		want: `A table for Maximiliana-Josefina von Hohenberg-Castellanos
----------------------------------------------------------

Hello Maximiliana-Josefina von Hohenberg-Castellanos, all 12,480 of them are
yours to book through the end of the month, with points on every one.

- A table at The Grand Harbourside Brasserie & Oyster Bar, held back for
  cardmembers on Friday and Saturday nights
- Two

See the offers at The Grand Harbourside Brasserie & Oyster Bar
(https://www.example.com/offers/dining?m=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)
`,
	}, {
		name:   "values with marks and line breaks",
		values: map[string]string{"{{ .Name }}": "A\x01n\x04n\nB", "{{ .Count }}": "\x0512", "{{ .Merchant }}": "Bo\x02", "{{ .Code }}": "b1"},
		want: `A table for Ann B
-----------------

Hello Ann B, all 12 of them are yours to book through the end of the month,
with points on every one.

- A table at Bo, held back for cardmembers on Friday and Saturday nights
- Two

See the offers at Bo (https://www.example.com/offers/dining?m=b1)
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(templates.Fill(nil, execute(doc.Text, tt.values), width))
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestFill(t *testing.T) {
	unit := func(first, rest, under, text string) string {
		return "\x01" + first + "\x02" + rest + "\x02" + under + "\x03" + text + "\x04"
	}
	tests := []struct {
		name, in string
		width    int
		want     string
	}{
		{"text outside units is copied", "a  b\n\nc\n", 5, "a  b\n\nc\n"},
		{"stray marks are dropped", "a\x02b\x04c\x05\n", 5, "abc\n"},
		{"filled with prefixes", unit("- ", "  ", "", "one two three four"), 9, "- one two\n  three\n  four\n"},
		{"a word longer than the line", unit("", "", "", "a https://example.com/a/long/path b"), 10, "a\nhttps://example.com/a/long/path\nb\n"},
		{"hard line break", unit("> ", "> ", "", "one\x05two"), 20, "> one\n> two\n"},
		{"underline as wide as the longest line", unit("", "", "=", "Hello there world"), 11, "Hello there\nworld\n===========\n"},
		{"underline within the width", unit("> ", "> ", "-", "abc"), 4, "> abc\n> --\n"},
		{"empty unit writes nothing", "x\n" + unit("- ", "  ", "-", "  \n ") + "\ny\n", 20, "x\n\ny\n"},
		{"runs of white space are one space", unit("", "", "", "a \t\n\r b"), 20, "a b\n"},
		{"no-break spaces join", unit("", "", "", "1\u00a0234,50\u00a0€ x"), 9, "1\u00a0234,50\u00a0€\nx\n"},
		{"non-ASCII counted in runes", unit("", "", "", "Zoë Zoë Zoë"), 7, "Zoë Zoë\nZoë\n"},
		{"unit cut short by the end", "\x01- \x02  \x02\x03one two", 20, "- one two\n"},
		{"header cut short", "\x01- ", 20, ""},
		{"a new unit ends the last", unit("", "", "", "a") + "\x01\x02\x02\x03b\x04", 20, "a\nb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(templates.Fill(nil, []byte(tt.in), tt.width)); got != tt.want {
				t.Errorf("Fill(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
			}
		})
	}
}

func TestStripMarks(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {"plain", "plain"}, {"a\x01b\x02c\x03d\x04e\x05f", "abcdef"}, {"\x00\x06\t\n", "\x00\x06\t\n"}, {"Zoë\x01", "Zoë"},
	} {
		if got := templates.StripMarks(tt.in); got != tt.want {
			t.Errorf("StripMarks(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestConvertLink checks the Link option: every link and URL autolink is
// rewritten alike in HTML and text, actions intact; images and email
// autolinks are not.
func TestConvertLink(t *testing.T) {
	md := templates.NewMarkdown()
	var seen []string
	opts := templates.Options{Link: func(target string) string {
		seen = append(seen, target)
		return target + "#tagged{{ .Variant.ID }}"
	}}
	src := "[Offers](https://e.com/o?t={{ .Recipient.Tier }}&x=1) and <https://e.com/help> and <me@e.com>.\n\n" +
		"![Card](https://img.e.com/card.png)\n\n[Write](mailto:help@e.com)\n"
	doc, err := md.Convert(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantSeen := []string{"https://e.com/o?t={{ .Recipient.Tier }}&x=1", "mailto:help@e.com", "https://e.com/help"}
	if strings.Join(seen, "\n") != strings.Join(wantSeen, "\n") {
		t.Errorf("Link saw %q, want %q", seen, wantSeen)
	}
	for _, want := range []string{
		`<a href="https://e.com/o?t={{ .Recipient.Tier }}&amp;x=1#tagged{{ .Variant.ID }}">Offers</a>`,
		`<a href="https://e.com/help#tagged{{ .Variant.ID }}">https://e.com/help</a>`,
		`<a href="mailto:me@e.com">me@e.com</a>`,
		`<img src="https://img.e.com/card.png" alt="Card">`,
	} {
		if !strings.Contains(doc.HTML, want) {
			t.Errorf("HTML lacks %s:\n%s", want, doc.HTML)
		}
	}
	text := string(templates.Fill(nil, []byte(doc.Text), 200))
	for _, want := range []string{
		"Offers (https://e.com/o?t={{ .Recipient.Tier }}&x=1#tagged{{ .Variant.ID }}) and https://e.com/help#tagged{{ .Variant.ID }} and me@e.com.",
		"Write (mailto:help@e.com#tagged{{ .Variant.ID }})",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %s:\n%s", want, text)
		}
	}
	plain, err := md.Convert(src, templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if html, _ := md.HTML(src); plain.HTML != html {
		t.Error("Convert without options differs from HTML")
	}
	// Without actions, whose width Text guesses, Convert and Fill are Text.
	noActions := "[Offers](https://e.com/o?x=1) and <https://e.com/help> and some more words to wrap the line, and <me@e.com>.\n\n- a list item\n"
	doc, err = md.Convert(noActions, templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(templates.Fill(nil, []byte(doc.Text), width)), md.Text(noActions, width); got != want {
		t.Errorf("Convert then Fill:\n%s\nText:\n%s", got, want)
	}
}

// TestTypographer checks the typographic punctuation in the HTML and the
// text alike, and that the quotes inside template actions stay straight.
func TestTypographer(t *testing.T) {
	md := templates.NewMarkdown()
	tests := []struct {
		name, src, html, text string
	}{
		{"apostrophe", "This month's picks", "<p>This month\u2019s picks</p>", "This month\u2019s picks"},
		{"double quotes", `Say "hello" -- or don't...`, "<p>Say \u201chello\u201d \u2013 or don\u2019t\u2026</p>", "Say \u201chello\u201d \u2013 or don\u2019t\u2026"},
		{"em dash", "Fly further --- today", "<p>Fly further \u2014 today</p>", "Fly further \u2014 today"},
		{"quotes around an action", `"{{ index .Recipient.TopMerchants "dining" }}" is your favourite`,
			"<p>\u201c{{ index .Recipient.TopMerchants \"dining\" }}\u201d is your favourite</p>",
			"\u201c{{ index .Recipient.TopMerchants \"dining\" }}\u201d is your favourite"},
		{"action in a link", `See: [It's yours](https://example.com/?q={{ printf "%s" .Recipient.Tier }})`,
			"<p>See: <a href=\"https://example.com/?q={{ printf \"%s\" .Recipient.Tier }}\">It\u2019s yours</a></p>",
			"See: It\u2019s yours (https://example.com/?q={{ printf \"%s\" .Recipient.Tier }})"},
		{"code stays straight", "Type `\"quoted\" -- text`", "<p>Type <code>&quot;quoted&quot; -- text</code></p>", "Type \"quoted\" -- text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html, err := md.HTML(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(html); got != tt.html {
				t.Errorf("HTML\n got %q\nwant %q", got, tt.html)
			}
			if got := strings.TrimSpace(md.Text(tt.src, width)); got != tt.text {
				t.Errorf("text\n got %q\nwant %q", got, tt.text)
			}
		})
	}
}

// A paragraph that is only a link, a block's call to action, is a button:
// a one-cell table around the link; a link among words is not.
func TestCallToActionButton(t *testing.T) {
	md := templates.NewMarkdown()
	for _, tt := range []struct {
		src, html string
	}{
		{"[Book a table](https://example.com/dining)",
			`<table role="presentation" cellpadding="0" cellspacing="0" border="0" class="cta"><tr><td class="cta-cell"><a href="https://example.com/dining" class="cta-link">Book a table</a></td></tr></table>` + "\n"},
		{"Book [a table](https://example.com/dining) today.", `<p>Book <a href="https://example.com/dining">a table</a> today.</p>` + "\n"},
		{"[A](https://a.example) and [B](https://b.example)", `<p><a href="https://a.example">A</a> and <a href="https://b.example">B</a></p>` + "\n"},
		{"Plain words.", "<p>Plain words.</p>\n"},
	} {
		doc, err := md.Convert(tt.src, templates.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if doc.HTML != tt.html {
			t.Errorf("%q:\n got %q\nwant %q", tt.src, doc.HTML, tt.html)
		}
	}
}
