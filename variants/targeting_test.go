package variants_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/variants"
)

// targeted returns a body block restricted to tiers and relationships,
// with one subject named after it.
func targeted(id string, prio int, tiers, rels []string, interests ...string) variants.Block {
	b := body(id, prio, interests...)
	b.Tiers, b.Relationships = tiers, rels
	return b
}

// targetingBlocks is a template set with tier and retention blocks: two
// intros (one for lapsing clusters only), interest blocks for dining (one
// for platinum clusters), fuel and pets, a default for everyone and one
// for platinum, tier blocks for gold (two) and platinum, retention blocks
// for the committed, for lapsing and lost, and for lapsing gold, and a
// closing.
func targetingBlocks() []variants.Block {
	return []variants.Block{
		{ID: "intro", Position: variants.PositionIntro},
		{ID: "intro-missed", Position: variants.PositionIntro, Priority: 5, Relationships: []string{"lapsing"}},
		body("dining", 0, "dining"),
		targeted("dining-platinum", 0, []string{"platinum"}, nil, "dining"),
		body("fuel", 0, "fuel"),
		targeted("pets-loyal", 0, nil, []string{"lost-for-good"}, "pets"),
		{ID: "default", Default: true, Subjects: []string{"subject default"}},
		{ID: "default-platinum", Default: true, Priority: 5, Tiers: []string{"platinum"}, Subjects: []string{"subject default-platinum"}},
		targeted("tier-gold", 2, []string{"gold"}, nil),
		targeted("tier-gold-more", 1, []string{"gold"}, nil),
		targeted("tier-platinum", 0, []string{"platinum"}, nil),
		targeted("tier-premium", 0, []string{"gold", "platinum"}, nil),
		targeted("retention-loyal", 0, nil, []string{"lost-for-good"}),
		targeted("retention-winback", 0, nil, []string{"lapsing", "lost"}),
		targeted("retention-gold-winback", 0, []string{"gold"}, []string{"lapsing"}),
		{ID: "closing", Position: variants.PositionClosing},
	}
}

// The slots of targetingBlocks, as parts writes them: each recipient gets
// the first alternative that fits them.
const (
	tierSlot      = "tier[tier-gold|tier-platinum]"
	retentionSlot = "retention[retention-gold-winback|retention-loyal|retention-winback]"
)

// parts writes v's parts in reading order: block ids, and each slot as
// name[alternatives].
func parts(v variants.Variant) []string {
	var out []string
	for _, p := range v.Parts() {
		if p.Slot == nil {
			out = append(out, p.Block)
			continue
		}
		var ids []string
		for _, a := range p.Slot.Alternatives {
			ids = append(ids, a.Block)
		}
		out = append(out, p.Slot.Name+"["+strings.Join(ids, "|")+"]")
	}
	return out
}

func TestBuildTargeting(t *testing.T) {
	dining := []variants.Interest{interest("dining", 0.5, 2)}
	const introSlot = "intro[intro-missed]"
	tests := []struct {
		name      string
		interests []variants.Interest
		opts      variants.Options
		blocks    []variants.Block // targetingBlocks() when nil
		want      []string
		subject   string
	}{
		{
			name:      "the interest's targeted block, then its block for everyone, then the tier and retention slots",
			interests: dining,
			want:      []string{introSlot, "intro", "interest[dining-platinum|dining]", tierSlot, retentionSlot, "closing"},
			subject:   "subject dining",
		},
		{
			name:      "an interest with one block for everyone is no slot",
			interests: []variants.Interest{interest("fuel", 0.4, 2)},
			want:      []string{introSlot, "intro", "fuel", tierSlot, retentionSlot, "closing"},
			subject:   "subject fuel",
		},
		{
			name:      "MaxTierBlocks 2 and MaxRetentionBlocks 2: a second tier slot of the blocks left, no second retention slot",
			interests: dining,
			opts:      variants.Options{MaxTierBlocks: 2, MaxRetentionBlocks: 2},
			want:      []string{introSlot, "intro", "interest[dining-platinum|dining]", tierSlot, "tier[tier-gold-more|tier-premium]", retentionSlot, "closing"},
			subject:   "subject dining",
		},
		{
			name:      "negative caps: no tier or retention slot",
			interests: dining,
			opts:      variants.Options{MaxTierBlocks: -1, MaxRetentionBlocks: -1},
			want:      []string{introSlot, "intro", "interest[dining-platinum|dining]", "closing"},
			subject:   "subject dining",
		},
		{
			name:      "an interest whose only block targets some: a slot without a default; the subject from a block for everyone",
			interests: []variants.Interest{interest("pets", 0.5, 3), interest("fuel", 0.3, 2)},
			want:      []string{introSlot, "intro", "interest[pets-loyal]", "fuel", tierSlot, retentionSlot, "closing"},
			subject:   "subject fuel",
		},
		{
			name:      "defaults: the targeted one a slot of its own",
			interests: []variants.Interest{interest("charity", 0.5, 3)},
			want:      []string{introSlot, "intro", "default[default-platinum]", "default", tierSlot, retentionSlot, "closing"},
			subject:   "subject default",
		},
		{
			name:      "a block that replaces another is tried first, in its place",
			interests: dining,
			blocks: append(targetingBlocks(),
				variants.Block{ID: "intro-fr", Position: variants.PositionIntro, Locales: []string{"fr"}, Replaces: "intro"},
				variants.Block{ID: "fuel-student", Interests: []string{"fuel"}, Attributes: map[string][]string{"segment": {"student"}}, Replaces: "dining"}),
			want:    []string{introSlot, "intro[intro-fr|intro]", "interest[dining-platinum|fuel-student|dining]", tierSlot, retentionSlot, "closing"},
			subject: "subject dining",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := tt.blocks
			if blocks == nil {
				blocks = targetingBlocks()
			}
			// The cluster's majorities choose nothing.
			for _, maj := range [][2]string{{"gold", "lapsing"}, {"platinum", "lost-for-good"}, {"", ""}} {
				c := variants.Cluster{ID: 0, Interests: tt.interests, Tier: maj[0], Relationship: maj[1]}
				plan, err := variants.Build([]variants.Cluster{c}, blocks, tt.opts)
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				v := plan.Variants[0]
				if got := parts(v); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("majorities %q: parts\n got %q\nwant %q", maj, got, tt.want)
				}
				if v.Subject != tt.subject {
					t.Errorf("majorities %q: subject %q, want %q", maj, v.Subject, tt.subject)
				}
				if v.Tier != maj[0] || v.Relationship != maj[1] {
					t.Errorf("variant tier %q relationship %q, want %q", v.Tier, v.Relationship, maj)
				}
			}
		})
	}
}

// TestBuildDeterministic checks that the order blocks are given in does
// not change the plan.
func TestBuildDeterministic(t *testing.T) {
	clusters := []variants.Cluster{
		{ID: 0, Tier: "gold", Relationship: "lapsing", Interests: []variants.Interest{interest("dining", 0.5, 2), interest("fuel", 0.3, 2)}},
		{ID: 1, Tier: "platinum", Relationship: "lost-for-good", Interests: []variants.Interest{interest("pets", 0.5, 2)}},
		{ID: 2, Tier: "green", Relationship: "lost"},
	}
	opts := variants.Options{MaxTierBlocks: 3, MaxRetentionBlocks: 3}
	want, err := variants.Build(clusters, targetingBlocks(), opts)
	if err != nil {
		t.Fatal(err)
	}
	blocks := targetingBlocks()
	for i := range 5 {
		// Reverse, then rotate: every block moves.
		for l, r := 0, len(blocks)-1; l < r; l, r = l+1, r-1 {
			blocks[l], blocks[r] = blocks[r], blocks[l]
		}
		blocks = append(blocks[i+1:], blocks[:i+1]...)
		got, err := variants.Build(clusters, blocks, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("order %d: plan\n%+v\nwant\n%+v", i, got, want)
		}
	}
}

func TestSlot(t *testing.T) {
	tests := []struct {
		name string
		b    variants.Block
		want string
	}{
		{"intro", variants.Block{Position: variants.PositionIntro, Interests: []string{"dining"}}, variants.SlotIntro},
		{"closing", variants.Block{Position: variants.PositionClosing, Tiers: []string{"gold"}}, variants.SlotClosing},
		{"interest", variants.Block{Interests: []string{"dining"}, Tiers: []string{"gold"}, Default: true}, variants.SlotInterest},
		{"default", variants.Block{Position: variants.PositionBody, Default: true, Relationships: []string{"lost"}}, variants.SlotDefault},
		{"retention before tier", variants.Block{Tiers: []string{"gold"}, Relationships: []string{"lapsing"}}, variants.SlotRetention},
		{"tier", variants.Block{Tiers: []string{"gold"}}, variants.SlotTier},
		{"targets nothing", variants.Block{Position: variants.PositionBody}, ""},
		{"unknown position", variants.Block{Position: "footer", Default: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Slot(); got != tt.want {
				t.Errorf("Slot() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTargetMatches(t *testing.T) {
	gold := variants.Member{Tier: "gold", Relationship: "lapsing", Locale: "en_GB", Attrs: map[string]string{"segment": " Student ", "region": "north"}}
	none := variants.Member{}
	tests := []struct {
		name       string
		t          variants.Target
		gold, none bool
	}{
		{"everyone", variants.Target{}, true, true},
		{"tier listed", variants.Target{Tiers: []string{"green", "gold"}}, true, false},
		{"tier not listed", variants.Target{Tiers: []string{"platinum"}}, false, false},
		{"tiers match exactly", variants.Target{Tiers: []string{"Gold"}}, false, false},
		{"relationship listed", variants.Target{Relationships: []string{"lapsing"}}, true, false},
		{"relationship not listed", variants.Target{Relationships: []string{"lost"}}, false, false},
		{"one of two listed", variants.Target{Tiers: []string{"gold"}, Relationships: []string{"lost"}}, false, false},
		{"locale, another case and separator", variants.Target{Locales: []string{"EN-gb"}}, true, false},
		{"a language matches its regions", variants.Target{Locales: []string{"en"}}, true, false},
		{"a region does not match another", variants.Target{Locales: []string{"en-US"}}, false, false},
		{"a language does not match a longer one", variants.Target{Locales: []string{"e"}}, false, false},
		{"attribute value, any case and space", variants.Target{Attributes: map[string][]string{"segment": {"graduate", "student"}}}, true, false},
		{"every attribute must match", variants.Target{Attributes: map[string][]string{"segment": {"student"}, "region": {"south"}}}, false, false},
		{"an attribute the member lacks", variants.Target{Attributes: map[string][]string{"language": {"fr"}}}, false, false},
		{"all at once", variants.Target{Tiers: []string{"gold"}, Relationships: []string{"lapsing"}, Locales: []string{"en"}, Attributes: map[string][]string{"region": {"north"}}}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.Matches(gold); got != tt.gold {
				t.Errorf("Matches(%+v) = %v, want %v", gold, got, tt.gold)
			}
			if got := tt.t.Matches(none); got != tt.none {
				t.Errorf("Matches(nobody) = %v, want %v", got, tt.none)
			}
			if got := tt.t.Everyone(); got != (tt.name == "everyone") {
				t.Errorf("Everyone() = %v", got)
			}
		})
	}
}

// vocabulary is a small vocabulary for the tests.
var vocabulary = variants.Vocabulary{
	Interests:     []string{"dining", "fuel", "pets", "travel", "groceries"},
	Tiers:         []string{"green", "gold", "platinum"},
	Relationships: []string{"lost-for-good", "intermediate", "always-a-share", "lapsing", "lost", "inactive"},
}

func TestVocabularyValidate(t *testing.T) {
	tests := []struct {
		name   string
		voc    variants.Vocabulary
		blocks []variants.Block
		want   []variants.Problem
	}{
		{
			name:   "every value known",
			voc:    vocabulary,
			blocks: targetingBlocks(),
		},
		{
			name: "tier and retention blocks target something",
			voc:  vocabulary,
			blocks: []variants.Block{
				{ID: "tier", Tiers: []string{"gold"}},
				{ID: "retention", Position: variants.PositionBody, Relationships: []string{"lapsing"}},
			},
		},
		{
			name: "a typo gets a suggestion",
			voc:  vocabulary,
			blocks: []variants.Block{
				{ID: "a", Interests: []string{"dining", "dinning"}},
				{ID: "b", Tiers: []string{"Gold"}},
				{ID: "c", Relationships: []string{"lost-for-goods"}},
			},
			want: []variants.Problem{
				{Block: "a", Key: "interests", Value: "dinning", Msg: `unknown interest "dinning" (did you mean "dining"?)`},
				{Block: "b", Key: "tiers", Value: "Gold", Msg: `unknown tier "Gold" (did you mean "gold"?)`},
				{Block: "c", Key: "relationships", Value: "lost-for-goods", Msg: `unknown relationship type "lost-for-goods" (did you mean "lost-for-good"?)`},
			},
		},
		{
			name: "a short list is given in full",
			voc:  vocabulary,
			blocks: []variants.Block{
				{ID: "a", Tiers: []string{"diamond", "platinum"}},
				{ID: "b", Relationships: []string{"loyal"}},
			},
			want: []variants.Problem{
				{Block: "a", Key: "tiers", Value: "diamond", Msg: `unknown tier "diamond" (want green, gold, platinum)`},
				{Block: "b", Key: "relationships", Value: "loyal", Msg: `unknown relationship type "loyal" (want lost-for-good, intermediate, always-a-share, lapsing, lost, inactive)`},
			},
		},
		{
			name:   "a long list is not",
			voc:    variants.Vocabulary{Interests: strings.Fields("a1 b1 c1 d1 e1 f1 g1 h1 i1")},
			blocks: []variants.Block{{ID: "a", Interests: []string{"sailing"}}},
			want:   []variants.Problem{{Block: "a", Key: "interests", Value: "sailing", Msg: `unknown interest "sailing"`}},
		},
		{
			name:   "an empty value",
			voc:    vocabulary,
			blocks: []variants.Block{{ID: "a", Tiers: []string{""}}},
			want:   []variants.Problem{{Block: "a", Key: "tiers", Value: "", Msg: `unknown tier "" (want green, gold, platinum)`}},
		},
		{
			name:   "an empty vocabulary checks no value",
			blocks: []variants.Block{{ID: "a", Interests: []string{"sailing"}, Tiers: []string{"diamond"}, Relationships: []string{"loyal"}}},
		},
		{
			name:   "only the lists given are checked",
			voc:    variants.Vocabulary{Tiers: vocabulary.Tiers},
			blocks: []variants.Block{{ID: "a", Interests: []string{"sailing"}, Tiers: []string{"diamond"}, Relationships: []string{"loyal"}}},
			want:   []variants.Problem{{Block: "a", Key: "tiers", Value: "diamond", Msg: `unknown tier "diamond" (want green, gold, platinum)`}},
		},
		{
			name:   "a misspelt position",
			blocks: []variants.Block{{ID: "a", Position: "bdy", Default: true}},
			want:   []variants.Problem{{Block: "a", Key: "position", Value: "bdy", Msg: `unknown position "bdy" (did you mean "body"?)`}},
		},
		{
			name: "targets nothing, and an unknown tier in an intro",
			voc:  vocabulary,
			blocks: []variants.Block{
				{ID: "nothing", Subjects: []string{"s"}},
				{ID: "intro", Position: variants.PositionIntro, Tiers: []string{"silver"}},
			},
			want: []variants.Problem{
				{Block: "nothing", Msg: "targets nothing: give it interests, tiers or relationships, mark it default, or name the block it replaces"},
				{Block: "intro", Key: "tiers", Value: "silver", Msg: `unknown tier "silver" (want green, gold, platinum)`},
			},
		},
		{
			name: "locales and attributes",
			voc:  variants.Vocabulary{Attributes: []string{"region", "segment"}},
			blocks: []variants.Block{
				{ID: "ok", Default: true, Locales: []string{"en", "en-GB", "fr_CA", "zh-Hant-TW"}, Attributes: map[string][]string{"segment": {"student"}}},
				{ID: "bad", Default: true, Locales: []string{"english", "GB-", "1e"}, Attributes: map[string][]string{"segmnt": {"student"}, "region": nil}},
			},
			want: []variants.Problem{
				{Block: "bad", Key: "locales", Value: "english", Msg: `"english" is not a locale: want a language tag such as "en", "en-GB" or "fr-CA"`},
				{Block: "bad", Key: "locales", Value: "GB-", Msg: `"GB-" is not a locale: want a language tag such as "en", "en-GB" or "fr-CA"`},
				{Block: "bad", Key: "locales", Value: "1e", Msg: `"1e" is not a locale: want a language tag such as "en", "en-GB" or "fr-CA"`},
				{Block: "bad", Key: "attributes", Value: "region", Msg: `attribute "region" lists no value`},
				{Block: "bad", Key: "attributes", Value: "segmnt", Msg: `unknown attribute "segmnt" (did you mean "segment"?): the attributes are the cardholders' extra columns`},
			},
		},
		{
			name:   "an attribute when no cardholder has any",
			voc:    variants.Vocabulary{Attributes: []string{}},
			blocks: []variants.Block{{ID: "a", Default: true, Attributes: map[string][]string{"segment": {"student"}}}},
			want:   []variants.Problem{{Block: "a", Key: "attributes", Value: "segment", Msg: `no cardholder has a value for attribute "segment"`}},
		},
		{
			name: "what a block replaces",
			blocks: []variants.Block{
				{ID: "intro", Position: variants.PositionIntro},
				{ID: "intro-fr", Position: variants.PositionIntro, Locales: []string{"fr"}, Replaces: "intro"},
				{ID: "intro-qc", Position: variants.PositionIntro, Locales: []string{"fr-CA"}, Replaces: "intro-fr"},
				{ID: "intro-all", Position: variants.PositionIntro, Replaces: "intro"},
				{ID: "body-fr", Locales: []string{"fr"}, Replaces: "nowhere"},
				{ID: "self", Locales: []string{"fr"}, Replaces: "self"},
			},
			want: []variants.Problem{
				{Block: "intro-qc", Key: "replaces", Value: "intro-fr", Msg: `replaces "intro-fr", which itself replaces "intro": name "intro"`},
				{Block: "intro-all", Key: "replaces", Value: "intro", Msg: `replaces "intro" for everyone: give it the tiers, relationships, locales or attributes of the recipients it is for`},
				{Block: "body-fr", Key: "replaces", Value: "nowhere", Msg: `replaces "nowhere", which is no block of the set`},
				{Block: "self", Key: "replaces", Value: "self", Msg: "replaces itself"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.voc.Validate(variants.Plan{}, tt.blocks)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			var ve *variants.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, variants.ErrInvalid) {
				t.Fatalf("Validate error %T %v, want a *ValidationError", err, err)
			}
			if !reflect.DeepEqual(ve.Problems, tt.want) {
				t.Errorf("problems\n got %+v\nwant %+v", ve.Problems, tt.want)
			}
		})
	}
}

// TestBuildChecksVocabulary checks that Build validates the blocks
// against Options.Vocabulary.
func TestBuildChecksVocabulary(t *testing.T) {
	blocks := append(targetingBlocks(), targeted("tier-silver", 0, []string{"silver"}, nil))
	clusters := []variants.Cluster{{ID: 0, Tier: "gold", Relationship: "intermediate"}}
	if _, err := variants.Build(clusters, blocks, variants.Options{}); err != nil {
		t.Fatalf("Build without a vocabulary: %v", err)
	}
	plan, err := variants.Build(clusters, blocks, variants.Options{Vocabulary: vocabulary})
	var ve *variants.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Block != "tier-silver" {
		t.Fatalf("Build with a vocabulary: %v, want one problem with tier-silver", err)
	}
	if got := ve.Problems[0].Error(); got != `block tier-silver: tiers: unknown tier "silver" (want green, gold, platinum)` {
		t.Errorf("problem %q", got)
	}
	if len(plan.Variants) != 1 {
		t.Errorf("got %d variants, want the plan along with the error", len(plan.Variants))
	}
}

// A variant cannot be led by a block chosen per recipient: with no interest
// or default block that fits, it has no content.
func TestBuildSlotsCannotLead(t *testing.T) {
	for _, blocks := range [][]variants.Block{
		{{ID: "intro", Position: variants.PositionIntro}, targeted("tier-gold", 0, []string{"gold"}, nil)},
		{targeted("winback", 0, nil, []string{"lapsing"}), targeted("tier-platinum", 0, []string{"platinum"}, nil)},
	} {
		_, err := variants.Build([]variants.Cluster{{Tier: "gold", Relationship: "lapsing"}}, blocks, variants.Options{})
		if err == nil || !strings.Contains(err.Error(), "no content") {
			t.Errorf("Build: %v, want no content", err)
		}
	}
}

// Each slot counts the eligible members each alternative is chosen for,
// from the cluster's kinds, and those no alternative fits.
func TestSlotCounts(t *testing.T) {
	kind := func(tier, rel string, n int) variants.Kind {
		return variants.Kind{Member: variants.Member{Tier: tier, Relationship: rel}, Eligible: n}
	}
	c := variants.Cluster{Interests: []variants.Interest{interest("dining", 0.5, 2)}, Kinds: []variants.Kind{
		kind("gold", "lapsing", 5),
		kind("gold", "intermediate", 7),
		kind("platinum", "lost-for-good", 3),
		kind("green", "lost", 11),
		kind("", "inactive", 2),
	}}
	plan, err := variants.Build([]variants.Cluster{c}, targetingBlocks(), variants.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range plan.Variants[0].Slots {
		for _, a := range s.Alternatives {
			got[a.Block] = a.Recipients
		}
		got[s.Name+" unmatched"] = s.Unmatched
	}
	want := map[string]int{
		"intro-missed": 5, "intro unmatched": 23,
		"dining-platinum": 3, "dining": 25, "interest unmatched": 0,
		"tier-gold": 12, "tier-platinum": 3, "tier unmatched": 13,
		"retention-gold-winback": 5, "retention-loyal": 3, "retention-winback": 11, "retention unmatched": 9,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts\n got %v\nwant %v", got, want)
	}
	s := plan.Variants[0].Slots[2]
	if s.Name != variants.SlotTier {
		t.Fatalf("slot 2 is %s, want the tier slot", s.Name)
	}
	for _, tt := range []struct {
		tier, rel string
		want      int
	}{{"gold", "lapsing", 0}, {"platinum", "", 1}, {"green", "lost", -1}, {"", "", -1}} {
		if got := s.Choose(variants.Member{Tier: tt.tier, Relationship: tt.rel}); got != tt.want {
			t.Errorf("Choose(%q, %q) = %d, want %d", tt.tier, tt.rel, got, tt.want)
		}
	}
}

func TestBlockIDs(t *testing.T) {
	alt := func(ids ...string) []variants.Alternative {
		var out []variants.Alternative
		for _, id := range ids {
			out = append(out, variants.Alternative{Block: id})
		}
		return out
	}
	tests := []struct {
		name string
		v    variants.Variant
		want []string
	}{
		{"no blocks", variants.Variant{}, nil},
		{"blocks only", variants.Variant{Blocks: []string{"intro", "dining", "closing"}}, []string{"intro", "dining", "closing"}},
		{"slots in reading order", variants.Variant{Blocks: []string{"intro", "dining", "closing"}, Slots: []variants.Slot{
			{Name: "intro", At: 0, Alternatives: alt("intro-fr")},
			{Name: "tier", At: 2, Alternatives: alt("tier-gold", "tier-green")},
		}}, []string{"intro-fr", "intro", "dining", "tier-gold", "tier-green", "closing"}},
		{"each once", variants.Variant{Blocks: []string{"intro", "dining"}, Slots: []variants.Slot{
			{Name: "dining", At: 1, Alternatives: alt("dining-platinum", "dining")},
			{Name: "retention", At: 2, Alternatives: alt("dining-platinum", "retention")},
		}}, []string{"intro", "dining-platinum", "dining", "retention"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.BlockIDs(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BlockIDs() = %q, want %q", got, tt.want)
			}
		})
	}
}
