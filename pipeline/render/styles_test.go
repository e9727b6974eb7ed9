package render_test

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/render/inline"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// TestInlinedStyles checks the default layout's CSS reached the elements:
// Gmail and other clients ignore the head.
func TestInlinedStyles(t *testing.T) {
	set := defaultSet(t)
	e := newEngine(t, set)
	for _, v := range plan(t, set) {
		t.Run(v.ID, func(t *testing.T) {
			n, err := e.Compile(v)
			if err != nil {
				t.Fatal(err)
			}
			m, err := n.Personalize(recipient, unsubscribe(t, recipient.ID))
			if err != nil {
				t.Fatal(err)
			}
			html := string(m.HTML)
			head, body, ok := strings.Cut(html, "</head>")
			if !ok {
				t.Fatal("no </head>")
			}
			// The blocks' Markdown elements carry the designer's styles.
			start := strings.Index(body, `<td class="block `)
			end := strings.Index(body, "<strong>Why you got this")
			if start < 0 || end < start {
				t.Fatal("no block rows")
			}
			blocks := body[start:end]
			tags := regexp.MustCompile(`<(?:h[1-3]|p|a|ul|ol|li|strong|table|th|td|blockquote|hr|img)\b[^>]*>`).FindAllString(blocks, -1)
			if len(tags) < 10 {
				t.Fatalf("only %d Markdown elements in the blocks", len(tags))
			}
			for _, tag := range tags {
				if !strings.Contains(tag, ` style="`) {
					t.Errorf("%s has no style", tag)
				}
			}
			for _, want := range []string{
				`<h2 style="margin:0 0 12px;font-family:Georgia, 'Times New Roman', serif;font-size:22px;line-height:29px;font-weight:700;color:#14213d;">`,
				`<p style="margin:0 0 14px;font-size:16px;line-height:25px;color:#33394a;">`,
				`style="border-collapse:collapse;mso-table-lspace:0pt;mso-table-rspace:0pt;padding:8px 32px 16px;"`,
			} {
				if !strings.Contains(blocks, want) {
					t.Errorf("the blocks lack %s", want)
				}
			}
			// Inlined rules left the head; the responsive, dark-mode and
			// client rules stayed.
			for _, gone := range []string{".block p {", "table, td {", "body {"} {
				if strings.Contains(head, gone) {
					t.Errorf("the head still has %q", gone)
				}
			}
			for _, kept := range []string{"@media only screen and (max-width: 620px)", "@media (prefers-color-scheme: dark)", "[data-ogsc] .block a", "[data-ogsb] .bg-card", "a[x-apple-data-detectors]"} {
				if !strings.Contains(head, kept) {
					t.Errorf("the head lost %q", kept)
				}
			}
			if strings.Contains(html, "{{") || strings.Contains(html, "\n\n\n") {
				t.Error("the line breaks of the rules that left the head reached the message")
			}
			// Gmail clips a message past 102 KB, hiding the footer and
			// its unsubscribe link.
			if len(m.HTML) > 100<<10 {
				t.Errorf("the HTML has %d bytes", len(m.HTML))
			}
			for _, img := range regexp.MustCompile(`<img\b[^>]*>`).FindAllString(html, -1) {
				if !strings.Contains(img, ` alt="`) {
					t.Errorf("%s has no alt text", img)
				}
			}
		})
	}
}

// styledSet is a small set whose stylesheet crosses the boundaries between
// the layout, its partials and the blocks.
func styledSet(t *testing.T, layout string) *templates.Set {
	t.Helper()
	return setWith(t, map[string]string{
		"layout.html": layout,
		"partials/header.html": `{{ define "header" }}<p class="masthead">{{ .Campaign.MonthName }}</p>
<p style="color: {{ .Recipient.FirstName }}" title="{{ .Recipient.LastName }}">{{ .Recipient.FirstName }}</p>{{ end }}`,
		"partials/footer.html": `{{ define "footer" }}<p>{{ .Sender.PostalAddress }} <a href="{{ .UnsubscribeURL }}">Unsubscribe</a></p>{{ end }}`,
	})
}

const styledLayout = `<!DOCTYPE html>
<html>
<head>
<title>{{ .Sender.Name }}</title>
<style>
  .card p { margin: 0; color: #33394a }
  .card .block p { font-size: 16px }
  #top p { font-weight: 700 }
  .foot a { color: #0b6e4f }
  .block > h2 { color: #14213d }
  a:hover { color: red }
</style>
</head>
<body>
<div id="top">{{ template "header" . }}</div>
<table class="card"><tr><td>
<table>{{ template "content" . }}</table>
</td></tr></table>
<div class="foot">{{ template "footer" . }}</div>
</body>
</html>
`

// TestInlineContext checks that the partials and the blocks are styled as
// where the layout includes them, and that merge fields in and next to
// inlined styles still execute and escape.
func TestInlineContext(t *testing.T) {
	set := styledSet(t, styledLayout)
	v := variants.Variant{ID: "v0001", Label: "Dining", Blocks: []string{"intro-greeting", "dining-table", "closing-signoff"},
		Interests: []variants.Interest{{ID: "dining", Name: "Dining"}}, Subject: "Hi", Preheader: "Picks"}
	n, err := newEngine(t, set).Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	evil := recipient
	evil.FirstName = `red;background:url(javascript:alert(1))`
	evil.LastName = `"><script>alert(1)</script>`
	m, err := n.Personalize(evil, unsubscribe(t, evil.ID))
	if err != nil {
		t.Fatal(err)
	}
	html := string(m.HTML)
	for _, want := range []string{
		`<p class="masthead" style="font-weight:700;">October 2026</p>`,                                      // header, in #top
		`<p style="font-weight:700;color: ZgotmplZ" title="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">`, // merge fields escaped by context
		`<p style="margin:0;color:#33394a;font-size:16px;">Hello red;background:url(javascript:alert(1)),</p>`,
		`<h2 style="color:#14213d;">`,                        // .block > h2 and nothing else
		`<a href="https://www.meridian.example/unsubscribe?`, // footer, in .foot
		`style="color:#0b6e4f;">Unsubscribe</a>`,
		"<style>\n  a:hover { color: red }\n</style>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "javascript:alert(1))\"") {
		t.Error("a merge field escaped its context")
	}
	if strings.Contains(html, `<p style="margin:0;color:#33394a;">`+sender.PostalAddress) {
		t.Error("the footer, outside .card, got the card's styles")
	}
}

// TestStyleLines checks that a template error after the inlined rules
// still names the layout's own line.
func TestStyleLines(t *testing.T) {
	layout := strings.Replace(styledLayout, `<div class="foot">`, `<div class="foot" title="{{ .Sender.Fax }}">`, 1)
	line := 1 + strings.Count(layout[:strings.Index(layout, ".Sender.Fax")], "\n")
	e := newEngine(t, styledSet(t, layout))
	_, err := e.Compile(variants.Variant{ID: "v0001", Label: "X", Blocks: []string{"intro-greeting"}, Subject: "s", Preheader: "p"})
	if err == nil {
		t.Fatal("Compile succeeded")
	}
	if want := "layout.html:" + strconv.Itoa(line) + ":"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Fax") {
		t.Errorf("error %q, want one at %s naming Fax", err, want)
	}
}

func TestStyleErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
		line  int
	}{{
		name:  "layout",
		files: map[string]string{"layout.html": strings.Replace(styledLayout, "font-size: 16px }", "font-size 16px }", 1)},
		want:  "render: layout.html:7:",
		line:  7,
	}, {
		name:  "partial",
		files: map[string]string{"partials/footer.html": "{{ define \"footer\" }}\n<style>\n  .foot p { color: red\n</style>\n<p>x</p>{{ end }}"},
		want:  "render: partials/footer.html:3:",
		line:  3,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render.NewEngine(setWith(t, tt.files), templates.NewMarkdown(), campaign, sender)
			var ie *inline.Error
			if !errors.As(err, &ie) || ie.Line != tt.line {
				t.Fatalf("error %v, want an *inline.Error at line %d", err, tt.line)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), "css: ") {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
		})
	}
}
