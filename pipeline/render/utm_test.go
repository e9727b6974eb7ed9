package render_test

import (
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

const linksBlock = `+++
id = "links"
interests = ["dining"]
subjects = ["s"]
preheaders = ["p"]
+++
## Links

[Offers](https://www.example.com/offers?tier={{ .Recipient.Tier }}&n={{ .Recipient.LastName }}#top) and
[partner](https://partner.example.org/x?utm_source=partner) and <https://www.example.com/help> and
[write to us](mailto:help@example.com?subject={{ .Recipient.FirstName }}) and [home](/home).
`

const linksFooter = `{{ define "footer" }}
<p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a> or <a href="https://www.example.com/preferences?id={{ .Recipient.ID }}">manage your preferences</a>.</p>
<p><a href="mailto:help@example.com">Write to us</a></p>
{{ end }}
`

const linksText = `{{ template "content" . }}

Preferences: https://www.example.com/preferences?id={{ .Recipient.ID }}.
Unsubscribe: {{ .UnsubscribeURL }}
`

// TestUTM renders a variant with links everywhere: in a block, in the
// HTML footer and in the text layout. Every literal http(s) link gets the
// campaign's parameters and the variant's id once, after the designer's
// own parameters and before the fragment; the unsubscribe link and mailto
// links are left alone; a recipient's values in a tagged link are still
// escaped.
func TestUTM(t *testing.T) {
	set := setWith(t, map[string]string{"blocks/links.md": linksBlock, "partials/footer.html": linksFooter, "layout.txt": linksText})
	e, err := render.New(set, templates.NewMarkdown(), render.Config{Campaign: campaign, Sender: sender,
		Links: render.Links{UTM: true, Source: "bank news", SkipDomains: []string{"partner.example.org"}}})
	if err != nil {
		t.Fatal(err)
	}
	v := variants.Variant{ID: "v0042", Label: "Dining", Blocks: []string{"links"}, Subject: "s", Preheader: "p",
		Interests: []variants.Interest{{ID: "dining", Name: "Dining"}}}
	n, err := e.Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	r := render.Recipient{ID: "C&1", FirstName: "Ann", LastName: `O'Brien & "Co" <x>`, Tier: "gold&utm_source=evil", Email: "ann@example.com"}
	unsub := unsubscribe(t, r.ID)
	m, err := n.Personalize(r, unsub)
	if err != nil {
		t.Fatal(err)
	}
	const utm = "utm_source=bank+news&amp;utm_medium=email&amp;utm_campaign=october-rewards&amp;utm_content=v0042"
	html := string(m.HTML)
	for _, want := range []string{
		`href="https://www.example.com/offers?tier=gold%26utm_source%3devil&amp;n=O%27Brien%20%26%20%22Co%22%20%3cx%3e&amp;` + utm + `#top"`,
		`href="https://partner.example.org/x?utm_source=partner"`,
		`href="https://www.example.com/help?` + utm + `"`, `underline;">https://www.example.com/help</a>`,
		`href="mailto:help@example.com?subject=Ann"`,
		`href="/home"`,
		`href="` + htmlEscape(unsub) + `"`,
		`href="https://www.example.com/preferences?id=C%261&amp;` + utm + `"`,
		`href="mailto:help@example.com"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	if got := strings.Count(html, "utm_content="); got != 3 {
		t.Errorf("%d tagged links in the HTML, want 3", got)
	}
	text := string(m.Text)
	textUTM := strings.ReplaceAll(utm, "&amp;", "&")
	for _, want := range []string{
		`Offers (https://www.example.com/offers?tier=gold&utm_source=evil&n=O'Brien & "Co" <x>&` + textUTM + `#top)`,
		"https://www.example.com/help?" + textUTM,
		"Preferences: https://www.example.com/preferences?id=C&1&" + textUTM + ".",
		"Unsubscribe: " + unsub + "\n",
	} {
		if !strings.Contains(words(text)+"\n", words(want)) && !strings.Contains(text, want) {
			t.Errorf("text lacks %s:\n%s", want, text)
		}
	}
	// Another variant of the same engine gets its own id.
	v.ID = "v0043"
	n2, err := e.Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := n2.Personalize(r, unsub)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(m2.HTML), "v0042") || strings.Count(string(m2.HTML), "utm_content=v0043") != 3 {
		t.Error("the second variant does not carry its own id in every tagged link")
	}
}

// TestUTMOff checks that an engine without UTM leaves the links as written.
func TestUTMOff(t *testing.T) {
	set := setWith(t, map[string]string{"blocks/links.md": linksBlock, "partials/footer.html": linksFooter, "layout.txt": linksText})
	n, err := newEngine(t, set).Compile(variants.Variant{ID: "v0042", Label: "Dining", Blocks: []string{"links"}, Subject: "s", Preheader: "p"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := n.Personalize(recipient, unsubscribe(t, recipient.ID))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(m.HTML)+string(m.Text), "utm_") && !strings.Contains(string(m.HTML), "utm_source=partner") {
		t.Error("links tagged without UTM")
	}
	if strings.Count(string(m.HTML)+string(m.Text), "utm_") != 2 {
		t.Error("the designer's own parameter is not the only one")
	}
}

// TestCopiedTrees checks that layouts and blocks parsed once, with the
// variant's id put into the copies of their tagged links, write what
// parsing them for each variant writes: for ids that need escaping in a
// query, and with the id in a link inside a condition.
func TestCopiedTrees(t *testing.T) {
	set := setWith(t, map[string]string{"blocks/links.md": linksBlock + "\n{{ if .Recipient.Tier }}[tier page](https://www.example.com/tier){{ end }}\n",
		"partials/footer.html": linksFooter, "layout.txt": linksText})
	engine := func(perVariant bool) *render.Engine {
		e, err := render.New(set, templates.NewMarkdown(), render.Config{Campaign: campaign, Sender: sender, Links: render.Links{UTM: true}})
		if err != nil {
			t.Fatal(err)
		}
		if perVariant {
			e.ParseEachVariant()
		}
		return e
	}
	copied, parsed := engine(false), engine(true)
	if !copied.CopiesLayouts() {
		t.Fatal("the layouts are parsed for each variant")
	}
	r := render.Recipient{ID: "C1", FirstName: "Ann", Tier: "gold", Email: "ann@example.com"}
	for _, id := range []string{"v0001", "v 2&x=<y>", "v3"} {
		for _, blocks := range [][]string{{"links"}, {"intro-greeting", "links", "dining-table"}} {
			v := variants.Variant{ID: id, Label: "Dining", Blocks: blocks, Subject: "s", Preheader: "p",
				Interests: []variants.Interest{{ID: "dining", Name: "Dining"}}}
			var msgs [2]*render.Message
			for i, e := range []*render.Engine{copied, parsed} {
				n, err := e.Compile(v)
				if err != nil {
					t.Fatal(err)
				}
				if msgs[i], err = n.PersonalizeSlow(r, unsubscribe(t, r.ID)); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(string(msgs[0].HTML), "utm_content=") {
				t.Fatalf("variant %q: no tagged link", id)
			}
			diff(t, id, msgs[0], msgs[1])
		}
	}
}
