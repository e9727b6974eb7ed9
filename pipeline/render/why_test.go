package render_test

import (
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/variants"
)

// TestWhy checks what "why you got this" names: the reader's spending,
// strongest first, among the variant's interests and, for a newsletter
// several clusters share, theirs (AlsoInterests); at most three.
func TestWhy(t *testing.T) {
	set := setWith(t, map[string]string{
		"layout.txt": "{{ template \"content\" . }}\nWHY[{{ range $i, $n := .Why }}{{ if $i }}|{{ end }}{{ $n }}{{ end }}]\n",
	})
	e := newEngine(t, set)
	v := plan(t, set)[0]
	v.Interests = []variants.Interest{{ID: "dining", Name: "Dining"}, {ID: "travel", Name: "Travel"}}
	shared := v
	shared.AlsoInterests = []variants.Interest{{ID: "pets", Name: "Pets"}, {ID: "fuel", Name: "Fuel"}, {ID: "dining", Name: "Dining again"}}
	tests := []struct {
		name     string
		v        variants.Variant
		spending []string
		want     string
	}{
		{"the variant's", v, []string{"travel", "pets", "dining"}, "Travel|Dining"},
		{"none of them", v, []string{"pets"}, ""},
		{"shared: the other clusters' too", shared, []string{"pets", "travel"}, "Pets|Travel"},
		{"shared: the variant's name first", shared, []string{"dining"}, "Dining"},
		{"at most three", shared, []string{"fuel", "pets", "travel", "dining"}, "Fuel|Pets|Travel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := e.Compile(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			m, err := n.Personalize(render.Recipient{FirstName: "Ann", Email: "ann@example.com", Spending: tt.spending}, "https://example.com/u")
			if err != nil {
				t.Fatal(err)
			}
			if got := string(m.Text); !strings.Contains(got, "WHY["+tt.want+"]") {
				t.Errorf("text has no WHY[%s]:\n%s", tt.want, got[max(0, len(got)-200):])
			}
		})
	}
}

// TestPersonalizeInto checks that a message written into the room of the
// one before is the message Personalize writes, for readers whose
// messages differ in length both ways.
func TestPersonalizeInto(t *testing.T) {
	set := defaultSet(t)
	e := newEngine(t, set)
	// The second variant has a slot that the readers' tiers fill with
	// one block, another or none.
	v := plan(t, set)[0]
	slotted := v
	slotted.ID = "v0009"
	slotted.Slots = []variants.Slot{{Name: variants.SlotTier, At: 1, Alternatives: []variants.Alternative{
		{Block: "tier-platinum", Target: variants.Target{Tiers: []string{"platinum"}}},
		{Block: "default-benefits", Target: variants.Target{Tiers: []string{"gold"}}}}}}
	var ns []*render.Newsletter
	for _, v := range []variants.Variant{v, slotted} {
		n, err := e.Compile(v)
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, n)
	}
	readers := []render.Recipient{
		{ID: "C1", FirstName: "Bartholomew-Alexander", Email: "b@example.com", Tier: "platinum", Spending: []string{"dining", "travel"}},
		{ID: "C2", FirstName: "Al", Email: "a@example.com", Tier: "green"},
		{ID: "C3", FirstName: "Zoë", Email: "z@example.com", Tier: "gold", Spending: []string{"dining"}},
		{ID: "C4", FirstName: "Ana", Email: "n@example.com", Tier: "platinum", Spending: []string{"airlines", "dining", "lodging", "fuel"}},
	}
	room := new(render.Message)
	for i := range 2 * len(readers) {
		n, r := ns[i%2], readers[i/2]
		want, err := n.Personalize(r, "https://example.com/u")
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.PersonalizeInto(room, r, "https://example.com/u")
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != want.Subject || got.Preheader != want.Preheader || string(got.HTML) != string(want.HTML) || string(got.Text) != string(want.Text) {
			t.Errorf("%s, %s: the message written into the room of the one before differs from its own", n.Variant.ID, r.ID)
		}
	}
}
