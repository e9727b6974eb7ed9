package render_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// TestFuncsKnownToLoader checks that the loader's syntax check accepts
// every function the engine gives templates, and still refuses others.
func TestFuncsKnownToLoader(t *testing.T) {
	for name := range render.Funcs() {
		t.Run(name, func(t *testing.T) {
			fsys := defaultFS(t)
			fsys["blocks/x.md"] = &fstest.MapFile{Data: []byte(fmt.Sprintf("+++\nid = \"x\"\ninterests = [\"dining\"]\n+++\n{{ %s \"en-US\" 1 }}\n", name))}
			if _, err := templates.Load(fsys); err != nil {
				t.Errorf("the loader refuses %s: %v", name, err)
			}
		})
	}
	fsys := defaultFS(t)
	fsys["blocks/x.md"] = &fstest.MapFile{Data: []byte("+++\nid = \"x\"\ninterests = [\"dining\"]\n+++\n{{ currency \"en-US\" 1 }}\n")}
	if _, err := templates.Load(fsys); err == nil || !strings.Contains(err.Error(), `function "currency" not defined`) {
		t.Errorf("the loader accepts an unknown function: %v", err)
	}
}

const formatBlock = `+++
id = "formats"
interests = ["dining"]
subjects = ["{{ money .Recipient.Locale \"15\" \"EUR\" }} for {{ .Recipient.FirstName }}"]
preheaders = ["p"]
+++
## Your month

You have {{ number .Recipient.Locale 12480 }} points, worth {{ money .Recipient.Locale 12480 "EUR" }}, until {{ date .Recipient.Locale "2026-10-31" }} ({{ date .Recipient.Locale "2026-10-31" "short" }}).
`

// TestFormattingInTemplates renders the formatting functions for
// recipients of several locales, in the HTML, the text and the subject.
func TestFormattingInTemplates(t *testing.T) {
	set := setWith(t, map[string]string{"blocks/formats.md": formatBlock})
	n, err := newEngine(t, set).Compile(variants.Variant{ID: "v0001", Label: "Dining", Blocks: []string{"formats"},
		Subject: `{{ money .Recipient.Locale "15" "EUR" }} for {{ .Recipient.FirstName }}`, Preheader: "p"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ locale, sentence, subject string }{
		{"en-US", "You have 12,480 points, worth €124.80, until October 31, 2026 (10/31/26).", "€15.00 for Ann"},
		{"en-GB", "You have 12,480 points, worth €124.80, until 31 October 2026 (31/10/2026).", "€15.00 for Ann"},
		{"de-DE", "You have 12.480 points, worth 124,80\u00a0€, until 31. Oktober 2026 (31.10.26).", "15,00\u00a0€ for Ann"},
		{"fr-FR", "You have 12\u202f480 points, worth 124,80\u00a0€, until 31 octobre 2026 (31/10/2026).", "15,00\u00a0€ for Ann"},
		{"", "You have 12,480 points, worth €124.80, until October 31, 2026 (10/31/26).", "€15.00 for Ann"},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			r := render.Recipient{ID: "C1", FirstName: "Ann", Locale: tt.locale}
			m, err := n.Personalize(r, unsubscribe(t, r.ID))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(m.HTML), ">"+htmlEscape(tt.sentence)+"</p>") {
				t.Errorf("HTML lacks %q", tt.sentence)
			}
			if !strings.Contains(words(string(m.Text)), tt.sentence) {
				t.Errorf("text lacks %q:\n%s", tt.sentence, m.Text)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject %q, want %q", m.Subject, tt.subject)
			}
		})
	}
}
