package variants_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/variants"
)

// interest returns an interest with the given share and lift.
func interest(id string, share, lift float64) variants.Interest {
	return variants.Interest{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Share: share, Lift: lift}
}

// body returns a body block serving the given interests, with one subject
// and one preheader named after it.
func body(id string, prio int, interests ...string) variants.Block {
	return variants.Block{ID: id, Position: variants.PositionBody, Priority: prio, Interests: interests,
		Subjects: []string{"subject " + id}, Preheaders: []string{"preheader " + id}}
}

// testBlocks is a template set with an intro, a closing, two defaults and
// body blocks for dining, travel, fuel, pets and groceries; "trip-dinner"
// serves both dining and travel.
func testBlocks() []variants.Block {
	return []variants.Block{
		{ID: "zz-closing", Position: variants.PositionClosing},
		{ID: "b-intro", Position: variants.PositionIntro, Priority: 1},
		{ID: "a-intro", Position: variants.PositionIntro, Priority: 1},
		{ID: "top-intro", Position: variants.PositionIntro, Priority: 9},
		{ID: "aa-closing", Position: variants.PositionClosing},
		{ID: "default-b", Default: true, Subjects: []string{"subject default-b"}},
		{ID: "default-a", Default: true, Priority: -1, Subjects: []string{"subject default-a"}},
		body("dining", 0, "dining"),
		body("trip-dinner", 5, "dining", "travel"),
		body("travel", 1, "travel"),
		body("fuel", 0, "fuel"),
		body("pets", 0, "pets"),
		body("groceries", 0, "groceries"),
	}
}

// wrap puts a body between the intros and the closings of testBlocks.
func wrap(ids ...string) []string {
	out := []string{"top-intro", "a-intro", "b-intro"}
	out = append(out, ids...)
	return append(out, "aa-closing", "zz-closing")
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name      string
		interests []variants.Interest
		opts      variants.Options
		blocks    []variants.Block // testBlocks() when nil
		want      []string         // block ids of the variant
		subject   string
	}{
		{
			name:      "interests in the cluster's order",
			interests: []variants.Interest{interest("fuel", 0.4, 2), interest("pets", 0.3, 3), interest("groceries", 0.2, 1.5)},
			want:      wrap("fuel", "pets", "groceries"),
			subject:   "subject fuel",
		},
		{
			name:      "default cap of three interest blocks",
			interests: []variants.Interest{interest("fuel", 0.3, 2), interest("pets", 0.3, 2), interest("groceries", 0.2, 2), interest("travel", 0.2, 2)},
			want:      wrap("fuel", "pets", "groceries"),
			subject:   "subject fuel",
		},
		{
			name:      "MaxInterestBlocks",
			interests: []variants.Interest{interest("fuel", 0.3, 2), interest("pets", 0.3, 2), interest("groceries", 0.2, 2)},
			opts:      variants.Options{MaxInterestBlocks: 2},
			want:      wrap("fuel", "pets"),
			subject:   "subject fuel",
		},
		{
			name:      "MaxInterestBlocks 1",
			interests: []variants.Interest{interest("pets", 0.3, 2), interest("fuel", 0.3, 2)},
			opts:      variants.Options{MaxInterestBlocks: 1},
			want:      wrap("pets"),
			subject:   "subject pets",
		},
		{
			name:      "below default MinShare",
			interests: []variants.Interest{interest("fuel", 0.5, 2), interest("pets", 0.049, 5), interest("groceries", 0.05, 2)},
			want:      wrap("fuel", "groceries"),
			subject:   "subject fuel",
		},
		{
			name:      "first interest below MinShare",
			interests: []variants.Interest{interest("fuel", 0.01, 9), interest("pets", 0.3, 2)},
			want:      wrap("pets"),
			subject:   "subject pets",
		},
		{
			name:      "MinShare option",
			interests: []variants.Interest{interest("fuel", 0.5, 2), interest("pets", 0.15, 2)},
			opts:      variants.Options{MinShare: 0.2},
			want:      wrap("fuel"),
			subject:   "subject fuel",
		},
		{
			name:      "below default MinLift",
			interests: []variants.Interest{interest("fuel", 0.5, 2), interest("pets", 0.3, 1.09), interest("groceries", 0.1, 1.1)},
			want:      wrap("fuel", "groceries"),
			subject:   "subject fuel",
		},
		{
			name:      "first interest exempt from MinLift",
			interests: []variants.Interest{interest("fuel", 0.5, 0.5), interest("pets", 0.3, 1)},
			want:      wrap("fuel"),
			subject:   "subject fuel",
		},
		{
			name:      "second interest not exempt when first has too little share",
			interests: []variants.Interest{interest("fuel", 0.01, 3), interest("pets", 0.3, 1)},
			want:      wrap("default-b", "default-a"),
			subject:   "subject default-b",
		},
		{
			name:      "MinLift option",
			interests: []variants.Interest{interest("fuel", 0.5, 3), interest("pets", 0.3, 1.5)},
			opts:      variants.Options{MinLift: 2},
			want:      wrap("fuel"),
			subject:   "subject fuel",
		},
		{
			name:      "defaults when nothing fits",
			interests: []variants.Interest{interest("fuel", 0.01, 3)},
			want:      wrap("default-b", "default-a"),
			subject:   "subject default-b",
		},
		{
			name:    "defaults when the cluster has no interests",
			want:    wrap("default-b", "default-a"),
			subject: "subject default-b",
		},
		{
			name:      "interest without blocks skipped without using the cap",
			interests: []variants.Interest{interest("charity", 0.4, 3), interest("fuel", 0.3, 2)},
			opts:      variants.Options{MaxInterestBlocks: 1},
			want:      wrap("fuel"),
			subject:   "subject fuel",
		},
		{
			name:      "block serving two interests used once",
			interests: []variants.Interest{interest("travel", 0.4, 3), interest("dining", 0.3, 2)},
			want:      wrap("trip-dinner", "dining"),
			subject:   "subject trip-dinner",
		},
		{
			name:      "interest left without a block when its only block is used",
			interests: []variants.Interest{interest("dining", 0.4, 3), interest("fuel", 0.3, 2)},
			blocks: []variants.Block{
				body("both", 0, "dining", "fuel"),
				{ID: "intro", Position: variants.PositionIntro},
			},
			want:    []string{"intro", "both"},
			subject: "subject both",
		},
		{
			name:      "priority before id",
			interests: []variants.Interest{interest("fuel", 0.5, 2)},
			blocks:    []variants.Block{body("fuel-a", 1, "fuel"), body("fuel-z", 2, "fuel")},
			want:      []string{"fuel-z"},
			subject:   "subject fuel-z",
		},
		{
			name:      "id breaks priority ties",
			interests: []variants.Interest{interest("fuel", 0.5, 2)},
			blocks:    []variants.Block{body("fuel-z", 1, "fuel"), body("fuel-b", 1, "fuel"), body("fuel-a", 0, "fuel")},
			want:      []string{"fuel-b"},
			subject:   "subject fuel-b",
		},
		{
			name:      "empty position is body",
			interests: []variants.Interest{interest("fuel", 0.5, 2)},
			blocks:    []variants.Block{{ID: "fuel", Interests: []string{"fuel"}, Subjects: []string{"s"}}},
			want:      []string{"fuel"},
			subject:   "s",
		},
		{
			name:      "subject from the leading body block, not the intro",
			interests: []variants.Interest{interest("fuel", 0.5, 2)},
			blocks: []variants.Block{
				{ID: "intro", Position: variants.PositionIntro, Subjects: []string{"intro subject"}},
				body("fuel", 0, "fuel"),
			},
			want:    []string{"intro", "fuel"},
			subject: "subject fuel",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := tt.blocks
			if blocks == nil {
				blocks = testBlocks()
			}
			c := variants.Cluster{ID: 0, Size: 10, Eligible: 7, Interests: tt.interests, Label: "label"}
			plan, err := variants.Build([]variants.Cluster{c}, blocks, tt.opts)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if len(plan.Variants) != 1 {
				t.Fatalf("got %d variants, want 1", len(plan.Variants))
			}
			v := plan.Variants[0]
			if !reflect.DeepEqual(v.Blocks, tt.want) {
				t.Errorf("blocks\n got %q\nwant %q", v.Blocks, tt.want)
			}
			if v.Subject != tt.subject {
				t.Errorf("subject %q, want %q", v.Subject, tt.subject)
			}
		})
	}
}

func TestBuildVariantFields(t *testing.T) {
	ins := []variants.Interest{interest("fuel", 0.5, 2)}
	clusters := []variants.Cluster{
		{ID: 3, Size: 40, Eligible: 31, Interests: ins, Label: "Fuel", Tier: "gold", TierShare: 0.6, Relationship: "lapsing", RelationshipShare: 0.4},
		{ID: 1, Size: 12, Eligible: 2, Label: "Mixed"},
	}
	plan, err := variants.Build(clusters, testBlocks(), variants.Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := []variants.Variant{
		{ID: "v0001", Cluster: 3, Label: "Fuel", Size: 40, Eligible: 31, Interests: ins, Tier: "gold", Relationship: "lapsing",
			Blocks: wrap("fuel"), Subject: "subject fuel", Preheader: "preheader fuel",
			Subjects: []variants.SubjectChoice{{Block: "fuel", Interests: []string{"fuel"}, Subject: "subject fuel", Preheader: "preheader fuel"},
				{Block: "default-b", Subject: "subject default-b"}}},
		{ID: "v0002", Cluster: 1, Label: "Mixed", Size: 12, Eligible: 2,
			Blocks: wrap("default-b", "default-a"), Subject: "subject default-b"},
	}
	if !reflect.DeepEqual(plan.Variants, want) {
		t.Errorf("variants\n got %+v\nwant %+v", plan.Variants, want)
	}
}

func TestBuildNoClusters(t *testing.T) {
	plan, err := variants.Build(nil, testBlocks(), variants.Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if plan.Variants == nil || len(plan.Variants) != 0 {
		t.Errorf("variants %#v, want empty and non-nil (JSON [])", plan.Variants)
	}
}

func TestBuildRotatesSubjects(t *testing.T) {
	blocks := []variants.Block{{
		ID: "fuel", Interests: []string{"fuel"},
		Subjects:   []string{"s0", "s1", "s2"},
		Preheaders: []string{"p0", "p1"},
	}, {
		ID: "pets", Interests: []string{"pets"},
		Subjects:   []string{"q0", "q1", "q2"},
		Preheaders: []string{"r0", "r1"},
	}}
	fuel := []variants.Interest{interest("fuel", 0.5, 2)}
	pets := []variants.Interest{interest("pets", 0.5, 2)}
	tests := []struct {
		id                 int
		interests          []variants.Interest
		subject, preheader string
	}{
		// The first variant of its blocks: by its cluster id.
		{4, fuel, "s1", "p0"},
		// The next ones with the same blocks take turns through the
		// subjects, then the preheaders: every pair before one repeats.
		{0, fuel, "s2", "p0"},
		{1, fuel, "s0", "p0"},
		{2, fuel, "s1", "p1"},
		{3, fuel, "s2", "p1"},
		{7, fuel, "s0", "p1"},
		{8, fuel, "s1", "p0"},
		// Other blocks turn on their own; a negative id (a hand-edited
		// clusters.json) still rotates.
		{-1, pets, "q2", "r1"},
		{5, pets, "q0", "r1"},
	}
	var clusters []variants.Cluster
	for _, tt := range tests {
		clusters = append(clusters, variants.Cluster{ID: tt.id, Interests: tt.interests})
	}
	plan, err := variants.Build(clusters, blocks, variants.Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	for i, w := range tests {
		t.Run(fmt.Sprintf("cluster %d", w.id), func(t *testing.T) {
			v := plan.Variants[i]
			if v.Subject != w.subject || v.Preheader != w.preheader {
				t.Errorf("subject, preheader = %q, %q; want %q, %q", v.Subject, v.Preheader, w.subject, w.preheader)
			}
		})
	}
}

func TestBuildVariantIDs(t *testing.T) {
	clusters := make([]variants.Cluster, 12)
	for i := range clusters {
		clusters[i] = variants.Cluster{ID: i}
	}
	plan, err := variants.Build(clusters, testBlocks(), variants.Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	for i, v := range plan.Variants {
		if want := fmt.Sprintf("v%04d", i+1); v.ID != want || v.Cluster != i {
			t.Errorf("variant %d: id %q cluster %d, want %q cluster %d", i, v.ID, v.Cluster, want, i)
		}
	}
}

func TestID(t *testing.T) {
	tests := []struct {
		i    int
		want string
	}{
		{0, "v0001"},
		{1, "v0002"},
		{9, "v0010"},
		{998, "v0999"},
		{9998, "v9999"},
		{9999, "v10000"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := variants.ID(tt.i); got != tt.want {
				t.Errorf("ID(%d) = %q, want %q", tt.i, got, tt.want)
			}
		})
	}
}

func TestBuildValidates(t *testing.T) {
	tests := []struct {
		name   string
		blocks []variants.Block
		want   []variants.Problem
	}{
		{
			name:   "leading block without subjects",
			blocks: []variants.Block{{ID: "fuel", Interests: []string{"fuel"}}},
			want:   []variants.Problem{{Variant: "v0001", Msg: "missing subject: the leading block has no subjects"}},
		},
		{
			name:   "leading block with a blank subject",
			blocks: []variants.Block{{ID: "fuel", Interests: []string{"fuel"}, Subjects: []string{" \t"}}},
			want:   []variants.Problem{{Variant: "v0001", Msg: "missing subject: the leading block has no subjects"}},
		},
		{
			name:   "nothing fits and no default",
			blocks: []variants.Block{body("pets", 0, "pets")},
			want: []variants.Problem{
				{Variant: "v0001", Msg: "no content: no interest or default block for every recipient fits (blocks that target some recipients, such as tier and retention blocks, cannot lead)"},
				{Variant: "v0001", Msg: "missing subject: the leading block has no subjects"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := variants.Cluster{ID: 0, Interests: []variants.Interest{interest("fuel", 0.5, 2)}}
			plan, err := variants.Build([]variants.Cluster{c}, tt.blocks, variants.Options{})
			if !errors.Is(err, variants.ErrInvalid) {
				t.Fatalf("Build error %v, want one wrapping ErrInvalid", err)
			}
			var ve *variants.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Build error %T, want *ValidationError", err)
			}
			if !reflect.DeepEqual(ve.Problems, tt.want) {
				t.Errorf("problems\n got %+v\nwant %+v", ve.Problems, tt.want)
			}
			if len(plan.Variants) != 1 {
				t.Errorf("got %d variants, want the plan returned along with the error", len(plan.Variants))
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := []variants.Block{
		{ID: "intro", Position: variants.PositionIntro},
		body("fuel", 0, "fuel"),
		{ID: "default", Default: true},
		{ID: "closing", Position: variants.PositionClosing},
	}
	goodVariant := variants.Variant{ID: "v0001", Blocks: []string{"intro", "fuel", "closing"}, Subject: "Hi"}
	with := func(extra ...variants.Block) []variants.Block {
		return append(append([]variants.Block(nil), good...), extra...)
	}
	plan := func(vs ...variants.Variant) variants.Plan { return variants.Plan{Variants: vs} }

	tests := []struct {
		name   string
		plan   variants.Plan
		blocks []variants.Block
		want   []variants.Problem
	}{
		{
			name:   "valid",
			plan:   plan(goodVariant, variants.Variant{ID: "v0002", Blocks: []string{"default"}, Subject: "Hello"}),
			blocks: good,
		},
		{
			name:   "empty plan",
			blocks: good,
		},
		{
			name:   "duplicate block id",
			plan:   plan(goodVariant),
			blocks: with(body("fuel", 2, "fuel")),
			want:   []variants.Problem{{Block: "fuel", Msg: "defined more than once"}},
		},
		{
			name:   "block targeting nothing",
			plan:   plan(goodVariant),
			blocks: with(variants.Block{ID: "lost"}, variants.Block{ID: "lost-body", Position: variants.PositionBody}),
			want: []variants.Problem{
				{Block: "lost", Msg: "targets nothing: give it interests, tiers or relationships, mark it default, or name the block it replaces"},
				{Block: "lost-body", Msg: "targets nothing: give it interests, tiers or relationships, mark it default, or name the block it replaces"},
			},
		},
		{
			name:   "bad position",
			plan:   plan(goodVariant),
			blocks: with(variants.Block{ID: "foot", Position: "footer", Default: true}),
			want:   []variants.Problem{{Block: "foot", Key: "position", Value: "footer", Msg: `unknown position "footer" (want intro, body, closing)`}},
		},
		{
			name:   "unknown block in a variant",
			plan:   plan(variants.Variant{ID: "v0001", Blocks: []string{"intro", "fuel", "ghost"}, Subject: "Hi"}),
			blocks: good,
			want:   []variants.Problem{{Variant: "v0001", Msg: `unknown block "ghost"`}},
		},
		{
			name:   "variant without body block",
			plan:   plan(variants.Variant{ID: "v0001", Blocks: []string{"intro", "closing"}, Subject: "Hi"}),
			blocks: good,
			want:   []variants.Problem{{Variant: "v0001", Msg: "no content: no interest or default block for every recipient fits (blocks that target some recipients, such as tier and retention blocks, cannot lead)"}},
		},
		{
			name:   "only unknown blocks",
			plan:   plan(variants.Variant{ID: "v0001", Blocks: []string{"ghost"}, Subject: "Hi"}),
			blocks: good,
			want: []variants.Problem{
				{Variant: "v0001", Msg: `unknown block "ghost"`},
				{Variant: "v0001", Msg: "no content: no interest or default block for every recipient fits (blocks that target some recipients, such as tier and retention blocks, cannot lead)"},
			},
		},
		{
			name:   "missing subject",
			plan:   plan(variants.Variant{ID: "v0001", Blocks: []string{"fuel"}, Subject: "  "}),
			blocks: good,
			want:   []variants.Problem{{Variant: "v0001", Msg: "missing subject: the leading block has no subjects"}},
		},
		{
			name:   "duplicate variant id",
			plan:   plan(goodVariant, goodVariant),
			blocks: good,
			want:   []variants.Problem{{Variant: "v0001", Msg: "id used twice"}},
		},
		{
			name: "every problem at once",
			plan: plan(
				variants.Variant{ID: "v0001", Blocks: []string{"intro", "ghost"}},
				variants.Variant{ID: "v0001", Blocks: []string{"fuel"}, Subject: "Hi"},
			),
			blocks: with(body("fuel", 1, "fuel"), variants.Block{ID: "lost"}, variants.Block{ID: "foot", Position: "footer"}),
			want: []variants.Problem{
				{Block: "fuel", Msg: "defined more than once"},
				{Block: "lost", Msg: "targets nothing: give it interests, tiers or relationships, mark it default, or name the block it replaces"},
				{Block: "foot", Key: "position", Value: "footer", Msg: `unknown position "footer" (want intro, body, closing)`},
				{Variant: "v0001", Msg: `unknown block "ghost"`},
				{Variant: "v0001", Msg: "no content: no interest or default block for every recipient fits (blocks that target some recipients, such as tier and retention blocks, cannot lead)"},
				{Variant: "v0001", Msg: "missing subject: the leading block has no subjects"},
				{Variant: "v0001", Msg: "id used twice"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := variants.Validate(tt.plan, tt.blocks)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, variants.ErrInvalid) {
				t.Fatalf("Validate error %v, want one wrapping ErrInvalid", err)
			}
			var ve *variants.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate error %T, want *ValidationError", err)
			}
			if !reflect.DeepEqual(ve.Problems, tt.want) {
				t.Errorf("problems\n got %+v\nwant %+v", ve.Problems, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, fmt.Sprintf("%d problem(s): ", len(tt.want))) {
				t.Errorf("message %q does not start with the problem count %d", msg, len(tt.want))
			}
			for _, p := range tt.want {
				if !strings.Contains(msg, p.Error()) {
					t.Errorf("message %q lacks %q", msg, p.Error())
				}
			}
		})
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		name string
		p    variants.Problem
		want string
	}{
		{"variant", variants.Problem{Variant: "v0002", Msg: "id used twice"}, "variant v0002: id used twice"},
		{"block", variants.Problem{Block: "fuel", Msg: "defined more than once"}, "block fuel: defined more than once"},
		{"block key", variants.Problem{Block: "fuel", Key: "tiers", Value: "x", Msg: `unknown tier "x"`}, `block fuel: tiers: unknown tier "x"`},
		{"variant first", variants.Problem{Variant: "v0001", Block: "fuel", Key: "tiers", Msg: "m"}, "variant v0001: m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func ExampleBuild() {
	blocks := []variants.Block{
		{ID: "hello", Position: variants.PositionIntro},
		{ID: "dining", Interests: []string{"dining"}, Subjects: []string{"A table for two", "Eat out this month"}},
		{ID: "travel", Interests: []string{"travel"}, Subjects: []string{"Pack your bags"}},
		{ID: "picks", Default: true, Subjects: []string{"Our picks for you"}},
		{ID: "bye", Position: variants.PositionClosing},
	}
	clusters := []variants.Cluster{
		{ID: 0, Label: "Dining + Travel", Interests: []variants.Interest{
			{ID: "dining", Share: 0.45, Lift: 2.1},
			{ID: "travel", Share: 0.30, Lift: 1.8},
		}},
		{ID: 1, Label: "Dining", Interests: []variants.Interest{
			{ID: "dining", Share: 0.60, Lift: 2.8},
			{ID: "travel", Share: 0.02, Lift: 0.2},
		}},
		{ID: 2, Label: "Mixed spending"},
	}
	plan, err := variants.Build(clusters, blocks, variants.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range plan.Variants {
		fmt.Printf("%s %-15s %-24s %q\n", v.ID, v.Label, strings.Join(v.Blocks, ","), v.Subject)
	}
	// Output:
	// v0001 Dining + Travel hello,dining,travel,bye  "A table for two"
	// v0002 Dining          hello,dining,bye         "Eat out this month"
	// v0003 Mixed spending  hello,picks,bye          "Our picks for you"
}

func ExampleBuild_targeting() {
	blocks := []variants.Block{
		{ID: "dining", Interests: []string{"dining"}, Subjects: []string{"A table for two"}},
		{ID: "gold-benefits", Tiers: []string{"gold"}},
		{ID: "platinum-lounges", Tiers: []string{"platinum"}},
		{ID: "thank-you", Relationships: []string{"lost-for-good"}},
		{ID: "we-miss-you", Relationships: []string{"lapsing", "lost"}},
		{ID: "bye", Position: variants.PositionClosing},
	}
	dining := []variants.Interest{{ID: "dining", Share: 0.5, Lift: 2}}
	clusters := []variants.Cluster{{ID: 0, Interests: dining, Tier: "gold", Relationship: "lost-for-good"}}
	plan, err := variants.Build(clusters, blocks, variants.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	v := plan.Variants[0]
	fmt.Println(strings.Join(v.Blocks, ","))
	for _, s := range v.Slots {
		for _, who := range [][2]string{{"gold", "lost-for-good"}, {"platinum", "lapsing"}, {"green", "intermediate"}} {
			got := "nothing"
			if i := s.Choose(variants.Member{Tier: who[0], Relationship: who[1]}); i >= 0 {
				got = s.Alternatives[i].Block
			}
			fmt.Printf("%s slot, %s %s: %s\n", s.Name, who[0], who[1], got)
		}
	}
	// Output:
	// dining,bye
	// tier slot, gold lost-for-good: gold-benefits
	// tier slot, platinum lapsing: platinum-lounges
	// tier slot, green intermediate: nothing
	// retention slot, gold lost-for-good: thank-you
	// retention slot, platinum lapsing: we-miss-you
	// retention slot, green intermediate: nothing
}

// A recipient gets the subject of the first interest block of the variant
// that targets them and serves an interest they have spend on, a default
// block's without one, and the variant's own when the set has no default
// block with subjects.
func TestSubjectFor(t *testing.T) {
	c := variants.Cluster{Interests: []variants.Interest{interest("dining", 0.4, 2), interest("fuel", 0.3, 2), interest("pets", 0.2, 2)}}
	plan, err := variants.Build([]variants.Cluster{c}, targetingBlocks(), variants.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := plan.Variants[0]
	var got []string
	for _, s := range v.Subjects {
		got = append(got, s.Block)
	}
	if want := []string{"dining-platinum", "dining", "fuel", "pets-loyal", "default-platinum", "default"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("subjects %q, want %q", got, want)
	}
	gold := variants.Member{Tier: "gold", Relationship: "intermediate"}
	platinum := variants.Member{Tier: "platinum", Relationship: "lost-for-good"}
	for _, tt := range []struct {
		m        variants.Member
		spending []string
		want     int
	}{
		{gold, []string{"dining", "fuel"}, 1},
		{platinum, []string{"dining", "fuel"}, 0},
		{gold, []string{"fuel", "dining"}, 1},
		{gold, []string{"groceries", "fuel"}, 2},
		{gold, []string{"pets"}, 5},
		{platinum, []string{"pets"}, 3},
		{gold, nil, 5},
		{platinum, nil, 4},
	} {
		if got := v.SubjectFor(tt.m, tt.spending); got != tt.want {
			t.Errorf("SubjectFor(%+v, %v) = %d, want %d", tt.m, tt.spending, got, tt.want)
		}
	}
	var noDefault []variants.Block
	for _, b := range targetingBlocks() {
		if !b.Default {
			noDefault = append(noDefault, b)
		}
	}
	plan, err = variants.Build([]variants.Cluster{c}, noDefault, variants.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Variants[0].SubjectFor(gold, []string{"pets"}); got != -1 {
		t.Errorf("without a default block: SubjectFor = %d, want -1", got)
	}
}
