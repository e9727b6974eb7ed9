package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

func TestVocabulary(t *testing.T) {
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	var interests []string
	for _, in := range tax.Interests() {
		interests = append(interests, in.ID)
	}
	rels := []string{"lost-for-good", "intermediate", "always-a-share", "lapsing", "lost", "inactive"}
	def, err := DefaultVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		voc   variants.Vocabulary
		tiers []string
	}{
		{"default", def, []string{"green", "gold", "platinum"}},
		{"campaign without tiers", vocabularyOf(tax, nil), []string{"green", "gold", "platinum"}},
		{"campaign tiers", vocabularyOf(tax, []string{"classic", "premier"}), []string{"classic", "premier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Equal(tt.voc.Interests, interests) || !slices.Contains(tt.voc.Interests, "other") {
				t.Errorf("interests %v, want the taxonomy's %v", tt.voc.Interests, interests)
			}
			if !slices.Equal(tt.voc.Tiers, tt.tiers) {
				t.Errorf("tiers %v, want %v", tt.voc.Tiers, tt.tiers)
			}
			if !slices.Equal(tt.voc.Relationships, rels) {
				t.Errorf("relationships %v, want %v", tt.voc.Relationships, rels)
			}
		})
	}
	// The campaign's list is copied, not shared.
	tiers := []string{"classic"}
	voc := vocabularyOf(tax, tiers)
	voc.Tiers[0] = "edited"
	if tiers[0] != "classic" {
		t.Error("the vocabulary shares the campaign's tiers")
	}
}

// TestDefaultSetServesTheVocabulary checks the default template set
// against the real taxonomy and relationship types: every value it
// targets is known, every interest but "other" has an interest block,
// every default tier a tier block and every relationship type a
// retention block.
func TestDefaultSetServesTheVocabulary(t *testing.T) {
	voc, err := DefaultVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(voc); err != nil {
		t.Fatalf("Validate:\n%v", err)
	}
	served := map[string]map[string]bool{}
	for _, b := range set.Meta() {
		slot := b.Slot()
		if served[slot] == nil {
			served[slot] = map[string]bool{}
		}
		for _, v := range slices.Concat(b.Interests, b.Tiers, b.Relationships) {
			served[slot][v] = true
		}
	}
	for _, f := range []struct {
		slot string
		want []string
	}{
		{variants.SlotInterest, slices.DeleteFunc(slices.Clone(voc.Interests), func(id string) bool { return id == "other" })},
		{variants.SlotTier, DefaultTiers()},
		{variants.SlotRetention, voc.Relationships},
	} {
		for _, v := range f.want {
			if !served[f.slot][v] {
				t.Errorf("no %s block for %q", f.slot, v)
			}
		}
	}
}

// TestVariantsSlotsCountTheirRecipients runs the example and checks that
// each cluster's majority tier and relationship type are those of its
// members, and that each variant has a tier and a retention slot whose
// alternatives count the mailable members they are chosen for.
func TestVariantsSlotsCountTheirRecipients(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	var cf segment.File
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.ClustersFile), &cf); err != nil {
		t.Fatal(err)
	}
	var plan variants.Plan
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	// Recount the members from the run's profiles and assignments.
	ps := runProfiles(t, res.Dir)
	variantOf, err := readAssignments(filepath.Join(res.Dir, rundir.AssignmentsFile))
	if err != nil {
		t.Fatal(err)
	}
	tiers := map[string]map[string]int{}
	rels := map[string]map[string]int{}
	type kind struct{ tier, rel string }
	kinds := map[string]map[kind]int{} // mailable members
	for _, p := range ps {
		v, ok := variantOf[p.ID]
		if !ok {
			continue
		}
		if tiers[v] == nil {
			tiers[v], rels[v], kinds[v] = map[string]int{}, map[string]int{}, map[kind]int{}
		}
		tiers[v][p.Tier]++
		rels[v][string(p.Relationship)]++
		if p.Status() == profile.StatusMail {
			kinds[v][kind{p.Tier, string(p.Relationship)}]++
		}
	}
	withTier, withRetention := 0, 0
	for i, c := range cf.Clusters {
		t.Run(c.Variant, func(t *testing.T) {
			size := 0
			for _, n := range tiers[c.Variant] {
				size += n
			}
			if size != c.Size {
				t.Fatalf("%d members in assignments.csv, size %d", size, c.Size)
			}
			for _, m := range []struct {
				what  string
				got   string
				share float64
				mix   map[string]int
			}{{"tier", c.Tier, c.TierShare, tiers[c.Variant]}, {"relationship", c.Relationship, c.RelationshipShare, rels[c.Variant]}} {
				if m.got == "" {
					t.Errorf("no majority %s: %v", m.what, m.mix)
					continue
				}
				for v, n := range m.mix {
					if n > m.mix[m.got] {
						t.Errorf("majority %s %q with %d members, but %q has %d", m.what, m.got, m.mix[m.got], v, n)
					}
				}
				if want := float64(m.mix[m.got]) / float64(size); m.share != want {
					t.Errorf("%s share %v, want %v", m.what, m.share, want)
				}
			}
			v := plan.Variants[i]
			if v.ID != c.Variant || v.Tier != c.Tier || v.Relationship != c.Relationship {
				t.Fatalf("variant %s (%s, %s) for cluster %s (%s, %s)", v.ID, v.Tier, v.Relationship, c.Variant, c.Tier, c.Relationship)
			}
			// The default set has a tier block for each tier and a
			// retention block for each relationship type: one slot of
			// each, which every mailable member matches, and each
			// alternative counts the members recounted here.
			names := map[string]int{}
			for _, sl := range v.Slots {
				names[sl.Name]++
				if sl.Unmatched != 0 {
					t.Errorf("slot %s: %d unmatched", sl.Name, sl.Unmatched)
				}
				for _, a := range sl.Alternatives {
					want := 0
					for k, n := range kinds[c.Variant] {
						m := variants.Member{Tier: k.tier, Relationship: k.rel}
						if i := sl.Choose(m); i >= 0 && sl.Alternatives[i].Block == a.Block {
							want += n
						}
					}
					if a.Recipients != want {
						t.Errorf("slot %s: %s for %d recipients, recounted %d", sl.Name, a.Block, a.Recipients, want)
					}
				}
			}
			if names[variants.SlotTier] != 1 || names[variants.SlotRetention] != 1 {
				t.Errorf("slots %v: want one tier and one retention slot", names)
			}
			withTier += names[variants.SlotTier]
			withRetention += names[variants.SlotRetention]
		})
	}
	counts := res.Manifest.Stage("variants").Counts
	if counts["variants_with_tier_block"] != withTier || counts["variants_with_retention_block"] != withRetention {
		t.Errorf("counts %v, want %d with a tier block and %d with a retention block", counts, withTier, withRetention)
	}
	// The variants' previews carry the facts.
	b, err := os.ReadFile(filepath.Join(res.Dir, rundir.VariantsDir, plan.Variants[0].ID, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		variants.Variant
		PreviewSlots []struct{ Slot, Block string } `json:"preview_slots"`
		Sample       struct{ Recipient string }     `json:"sample"`
	}
	if err := json.Unmarshal(b, &meta); err != nil || meta.Tier != plan.Variants[0].Tier || meta.Relationship != plan.Variants[0].Relationship {
		t.Errorf("meta.json: %v, tier %q relationship %q", err, meta.Tier, meta.Relationship)
	}
	// The previews' reader is the sample's recipient: the slots took the
	// blocks of their tier and relationship type.
	var reader *profile.Profile
	for i := range ps {
		if ps[i].ID == meta.Sample.Recipient {
			reader = &ps[i]
		}
	}
	if reader == nil || len(meta.Slots) != 2 || len(meta.PreviewSlots) != 2 ||
		meta.PreviewSlots[0].Block != "tier-"+reader.Tier || !strings.HasPrefix(meta.PreviewSlots[1].Block, "retention-") {
		t.Fatalf("meta.json: slots %d, preview slots %+v, sample to %q", len(meta.Slots), meta.PreviewSlots, meta.Sample.Recipient)
	}
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := set.Block(meta.PreviewSlots[1].Block); !slices.Contains(b.Relationships, string(reader.Relationship)) {
		t.Errorf("preview slot %s for a cardholder who is %s", b.ID, reader.Relationship)
	}
}

// TestUnknownTargetStopsTheRun checks that a block targeting a tier the
// campaign does not know stops the run at the variants stage, with the
// file and line, and that the campaign's own tiers are accepted.
func TestUnknownTargetStopsTheRun(t *testing.T) {
	cfg, dir := templateCampaign(t)
	editFile(t, filepath.Join(dir, "blocks/tier-gold.md"), `tiers = ["gold"]`, `tiers = ["gold", "silver"]`)
	_, err := Run(t.Context(), cfg)
	want := `variants: templates:` + "\n" + `blocks/tier-gold.md:4: front matter: tiers: unknown tier "silver" (want green, gold, platinum)`
	if err == nil || err.Error() != want {
		t.Fatalf("Run: %v, want %q", err, want)
	}
	c := *cfg.Campaign
	c.Inputs.Tiers = append(slices.Clone(c.Inputs.Tiers), "silver")
	cfg.Campaign = &c
	res := mustRun(t, cfg)
	if !strings.Contains(strings.Join(res.Ran, ","), "variants") {
		t.Errorf("ran %v", res.Ran)
	}
}

// TestOldClusterFile checks that a clusters.json written before clusters
// had majorities still loads and plans, without tier or retention blocks.
func TestOldClusterFile(t *testing.T) {
	old := `{"k": 1, "seed": 1, "features": ["share_dining"], "rows": 40, "iterations": 3, "converged": true, "inertia": 1.5,
		"population": [{"interest": "dining", "share": 0.2}],
		"clusters": [{"id": 0, "size": 40, "eligible": 30, "label": "Dining, mid spend, loyal", "variant": "v0003",
			"interests": [{"id": "dining", "name": "Dining", "share": 0.5, "lift": 2.5}], "centroid": [0.5]}]}`
	var cf segment.File
	if err := json.Unmarshal([]byte(old), &cf); err != nil {
		t.Fatal(err)
	}
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	voc, err := DefaultVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := variants.Build([]variants.Cluster{cf.Clusters[0].Cluster}, set.Meta(), variants.Options{Vocabulary: voc})
	if err != nil {
		t.Fatal(err)
	}
	v := plan.Variants[0]
	if v.ID != "v0003" || !slices.Contains(v.Blocks, "dining-table") {
		t.Errorf("variant %s blocks %v", v.ID, v.Blocks)
	}
	for _, id := range v.Blocks {
		if b, _ := set.Block(id); b.Slot() == variants.SlotTier || b.Slot() == variants.SlotRetention {
			t.Errorf("block %s chosen without a majority", id)
		}
	}
}
