package variants_test

import (
	"errors"
	"fmt"
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

func TestPlanShare(t *testing.T) {
	slot := func(recipients, unmatched int) []variants.Slot {
		return []variants.Slot{{Name: variants.SlotTier, Unmatched: unmatched, Alternatives: []variants.Alternative{
			{Block: "tier-gold", Target: variants.Target{Tiers: []string{"gold"}}, Recipients: recipients}}}}
	}
	plan := variants.Plan{Variants: []variants.Variant{
		{ID: "v0001", Size: 10, Eligible: 8, Blocks: []string{"fuel"}, Slots: slot(5, 3), Subject: "s",
			Interests: []variants.Interest{interest("fuel", 0.7, 9), interest("pets", 0.1, 2)}},
		{ID: "v0002", Size: 4, Eligible: 4, Blocks: []string{"pets"}, Subject: "s"},
		{ID: "v0003", Size: 6, Eligible: 5, Blocks: []string{"fuel"}, Slots: slot(1, 4), Subject: "s",
			Interests: []variants.Interest{interest("fuel", 0.8, 7), interest("dining", 0.1, 2)}},
		{ID: "v0004", Size: 1, Eligible: 1, Blocks: []string{"fuel"}, Slots: slot(1, 0), Subject: "s",
			Interests: []variants.Interest{interest("dining", 0.4, 3), interest("travel", 0.2, 2)}},
	}}
	if n := plan.Share(); n != 2 {
		t.Errorf("Share = %d, want 2", n)
	}
	var sameAs []string
	for _, v := range plan.Variants {
		sameAs = append(sameAs, v.SameAs)
	}
	if want := []string{"", "", "v0001", "v0001"}; !reflect.DeepEqual(sameAs, want) {
		t.Errorf("SameAs = %q, want %q", sameAs, want)
	}
	if want := []string{"v0003", "v0004"}; !reflect.DeepEqual(plan.Variants[0].Also, want) {
		t.Errorf("Also = %q, want %q", plan.Variants[0].Also, want)
	}
	if got, want := plan.NewsletterOf(), map[string]string{"v0001": "v0001", "v0002": "v0002", "v0003": "v0001", "v0004": "v0001"}; !reflect.DeepEqual(got, want) {
		t.Errorf("NewsletterOf = %v, want %v", got, want)
	}
	if err := plan.CheckShared(); err != nil {
		t.Errorf("CheckShared: %v", err)
	}

	ns := plan.Newsletters()
	if len(ns.Variants) != 2 || ns.Variants[0].ID != "v0001" || ns.Variants[1].ID != "v0002" {
		t.Fatalf("Newsletters = %+v", ns.Variants)
	}
	n := ns.Variants[0]
	if n.Size != 17 || n.Eligible != 14 {
		t.Errorf("newsletter size %d, eligible %d; want 17, 14", n.Size, n.Eligible)
	}
	if s := n.Slots[0]; s.Unmatched != 7 || s.Alternatives[0].Recipients != 7 {
		t.Errorf("newsletter slot: unmatched %d, recipients %d; want 7, 7", s.Unmatched, s.Alternatives[0].Recipients)
	}
	var also []string
	for _, in := range n.AlsoInterests {
		also = append(also, in.ID)
	}
	if want := []string{"dining", "travel"}; !reflect.DeepEqual(also, want) {
		t.Errorf("AlsoInterests = %q, want %q", also, want)
	}
	// The plan itself is left as it was.
	if v := plan.Variants[0]; v.Size != 10 || v.Slots[0].Unmatched != 3 || v.Slots[0].Alternatives[0].Recipients != 5 || v.AlsoInterests != nil {
		t.Errorf("Newsletters changed the plan's variant: %+v", v)
	}

	// Share again starts over: with another subject, v0004 stands alone.
	plan.Variants[3].Subject = "another"
	if n := plan.Share(); n != 3 || plan.Variants[3].SameAs != "" || !reflect.DeepEqual(plan.Variants[0].Also, []string{"v0003"}) {
		t.Errorf("Share again = %d; v0004 same as %q, v0001 also %q", n, plan.Variants[3].SameAs, plan.Variants[0].Also)
	}
	// A plan that shares nothing is its own newsletters.
	alone := variants.Plan{Variants: plan.Variants[:2]}
	if got := alone.Newsletters(); got != &alone {
		t.Error("Newsletters of a plan without SameAs is not the plan")
	}
}

func TestCheckShared(t *testing.T) {
	tests := []struct {
		name string
		same []string
		want string
	}{
		{"none", []string{"", "", ""}, ""},
		{"one", []string{"", "v0001", "v0001"}, ""},
		{"unknown", []string{"", "v0009", ""}, `variant v0002: same_as "v0009": the plan has no such variant`},
		{"chained", []string{"", "v0001", "v0002"}, `variant v0003: same_as "v0002": that variant is itself the same as another`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plan variants.Plan
			for i, s := range tt.same {
				plan.Variants = append(plan.Variants, variants.Variant{ID: variants.ID(i), SameAs: s})
			}
			err := plan.CheckShared()
			if got := fmt.Sprint(err); tt.want == "" && err != nil || tt.want != "" && got != tt.want {
				t.Errorf("CheckShared = %v, want %q", err, tt.want)
			}
		})
	}
}
