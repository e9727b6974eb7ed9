package render_test

import (
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/variants"
)

const wrapBlock = `+++
id = "wrap"
interests = ["dining"]
subjects = ["s"]
preheaders = ["p"]
+++
## Picked for {{ .Recipient.FirstName }}

Your points keep working while you travel, {{ .Recipient.FirstName }}. {{ with index .Recipient.Attrs "points" }}All {{ number $.Recipient.Locale . }} of them.{{ end }}{{ with index .Recipient.TopMerchants "dining" }} Book a table at {{ . }} and earn more.{{ end }}

{{ if eq .Recipient.Tier "platinum" }}Platinum cardmembers also get lounge access at more than a thousand airports, with two guests at no cost.{{ end }}

- Your favourite, {{ .Recipient.FavouriteMerchant }}, now gives 4x points on every visit through the end of the month
- Nothing else

[See the offers for {{ .Recipient.FirstName }}](https://www.example.com/offers/dining/{{ .Recipient.Tier }}/a/rather/long/path/that/never/breaks)
`

// TestTextFilledAfterMerge checks that the text part is filled for each
// recipient once the values are in: lines take what fits, whatever the
// length of the names, a paragraph a condition empties leaves no gap, a
// list item keeps its hanging indent and a long address its own line.
func TestTextFilledAfterMerge(t *testing.T) {
	set := setWith(t, map[string]string{"blocks/wrap.md": wrapBlock, "layout.txt": "{{ template \"content\" . }}\n"})
	n, err := newEngine(t, set).Compile(variants.Variant{ID: "v0001", Label: "Dining", Blocks: []string{"wrap"}, Subject: "s", Preheader: "p"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    render.Recipient
		want string
	}{{
		name: "short values",
		r:    render.Recipient{ID: "C1", FirstName: "Ann", Tier: "gold", FavouriteMerchant: "Bo's", Attrs: map[string]string{"points": "12480"}},
		want: `Picked for Ann
--------------

Your points keep working while you travel, Ann. All 12,480 of them.

- Your favourite, Bo's, now gives 4x points on every visit through the end of
  the month
- Nothing else

See the offers for Ann
(https://www.example.com/offers/dining/gold/a/rather/long/path/that/never/breaks)
`,
	}, {
		name: "long values",
		r: render.Recipient{ID: "C2", FirstName: "Maximiliana-Josefina", Tier: "platinum", Locale: "fr-FR",
			FavouriteMerchant: "The Grand Harbourside Brasserie & Oyster Bar",
			TopMerchants:      map[string]string{"dining": "The Grand Harbourside Brasserie & Oyster Bar"},
			Attrs:             map[string]string{"points": "1234567"}},
		want: `Picked for Maximiliana-Josefina
-------------------------------

Your points keep working while you travel, Maximiliana-Josefina. All 1` + "\u202f" + `234` + "\u202f" + `567
of them. Book a table at The Grand Harbourside Brasserie & Oyster Bar and earn
more.

Platinum cardmembers also get lounge access at more than a thousand airports,
with two guests at no cost.

- Your favourite, The Grand Harbourside Brasserie & Oyster Bar, now gives 4x
  points on every visit through the end of the month
- Nothing else

See the offers for Maximiliana-Josefina
(https://www.example.com/offers/dining/platinum/a/rather/long/path/that/never/breaks)
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := n.Personalize(tt.r, unsubscribe(t, tt.r.ID))
			if err != nil {
				t.Fatal(err)
			}
			if string(m.Text) != tt.want {
				t.Errorf("text:\n%s\nwant:\n%s", m.Text, tt.want)
			}
			checkFill(t, string(m.Text))
		})
	}
}
