package variants_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/variants"
)

// strength returns a fuel block for clusters whose share of fuel is in
// [min, max).
func strength(id string, prio int, min, max float64) variants.Block {
	b := body(id, prio, "fuel")
	b.MinShare, b.MaxShare = min, max
	return b
}

func TestBuildShareOfSpend(t *testing.T) {
	blocks := []variants.Block{
		strength("fuel-strong", 2, 0.6, 0),
		strength("fuel-mid", 1, 0.25, 0.6),
		body("fuel", 0, "fuel"),
		strength("pets-light", 1, 0, 0.2),
		body("pets", 0, "pets"),
	}
	blocks[3].Interests = []string{"pets"}
	tests := []struct {
		name      string
		interests []variants.Interest
		want      []string
	}{
		{"strong", []variants.Interest{interest("fuel", 0.7, 9)}, []string{"fuel-strong"}},
		{"at min_share", []variants.Interest{interest("fuel", 0.6, 9)}, []string{"fuel-strong"}},
		{"below max_share", []variants.Interest{interest("fuel", 0.59, 9)}, []string{"fuel-mid"}},
		{"weak: the block for any share", []variants.Interest{interest("fuel", 0.12, 9)}, []string{"fuel"}},
		{"each interest by its own share", []variants.Interest{interest("fuel", 0.3, 9), interest("pets", 0.1, 2)}, []string{"fuel-mid", "pets-light"}},
		{"max_share alone", []variants.Interest{interest("pets", 0.5, 9)}, []string{"pets"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := variants.Build([]variants.Cluster{{Interests: tt.interests}}, blocks, variants.Options{})
			if err != nil {
				t.Fatal(err)
			}
			v := plan.Variants[0]
			if !reflect.DeepEqual(v.Blocks, tt.want) {
				t.Errorf("blocks %q, want %q", v.Blocks, tt.want)
			}
			if want := "subject " + tt.want[0]; v.Subject != want {
				t.Errorf("subject %q, want %q", v.Subject, want)
			}
		})
	}
}

func TestValidateShareOfSpend(t *testing.T) {
	tests := []struct {
		name  string
		block variants.Block
		want  string // "" for valid
	}{
		{"a range", strength("a", 0, 0.2, 0.5), ""},
		{"min alone", strength("a", 0, 0.4, 0), ""},
		{"max alone", strength("a", 0, 0, 0.4), ""},
		{"max of one", strength("a", 0, 0.5, 1), ""},
		{"above one", strength("a", 0, 40, 0), "block a: min_share: 40 is not a share of spend: want a number from 0 to 1, such as 0.4 for 40%"},
		{"negative", strength("a", 0, 0, -0.1), "block a: max_share: -0.1 is not a share of spend"},
		{"empty range", strength("a", 0, 0.5, 0.3), "block a: max_share: 0.3 is not above min_share 0.5: no cluster could get the block"},
		{"no interests", variants.Block{ID: "a", Default: true, MinShare: 0.3}, "block a: min_share: only an interest block can ask for a share of spend: give it interests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := variants.Validate(variants.Plan{}, []variants.Block{tt.block})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, variants.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPlanDistinct(t *testing.T) {
	clusters := []variants.Cluster{
		{ID: 0, Label: "Fuel, high spend", Interests: []variants.Interest{interest("fuel", 0.7, 9)}},
		{ID: 1, Label: "Pets", Interests: []variants.Interest{interest("pets", 0.7, 9)}},
		// Another label and other figures, the same newsletter as cluster 0.
		{ID: 2, Label: "Fuel, low spend", Interests: []variants.Interest{interest("fuel", 0.8, 7)}},
		// The same blocks, but a strong share reads another block.
		{ID: 3, Interests: []variants.Interest{interest("fuel", 0.2, 7)}},
	}
	blocks := []variants.Block{body("fuel", 0, "fuel"), body("pets", 0, "pets"), strength("fuel-light", 1, 0, 0.3)}
	plan, err := variants.Build(clusters, blocks, variants.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := plan.Distinct()
	if want := [][]int{{0, 2}, {1}, {3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Distinct = %v, want %v", got, want)
	}
	if got, want := variants.Largest(got), []int{0, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Largest = %v, want %v", got, want)
	}
	// Another subject is another newsletter.
	plan.Variants[2].Subject = "another"
	if n := len(plan.Distinct()); n != 4 {
		t.Errorf("with another subject: %d distinct, want 4", n)
	}
	// So is another alternative of a slot.
	plan.Variants[2].Subject = plan.Variants[0].Subject
	plan.Variants[0].Slots = []variants.Slot{{Name: variants.SlotTier, Alternatives: []variants.Alternative{{Block: "t", Target: variants.Target{Tiers: []string{"gold"}}}}}}
	plan.Variants[2].Slots = []variants.Slot{{Name: variants.SlotTier, Alternatives: []variants.Alternative{{Block: "t", Target: variants.Target{Tiers: []string{"green"}}, Recipients: 3}}}}
	if n := len(plan.Distinct()); n != 4 {
		t.Errorf("with another target: %d distinct, want 4", n)
	}
	// The recipients an alternative counts make no other newsletter.
	plan.Variants[2].Slots[0].Alternatives[0].Tiers = []string{"gold"}
	if n := len(plan.Distinct()); n != 3 {
		t.Errorf("with other counts: %d distinct, want 3", n)
	}
}
