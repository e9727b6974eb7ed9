package segment

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/variants"
)

// testTaxonomy has three interests and "other".
func testTaxonomy(t *testing.T) *profile.Taxonomy {
	t.Helper()
	tax, err := profile.LoadTaxonomy(
		strings.NewReader("id,name\ndining,Dining\ntravel,Travel\ngrocery,Grocery\nother,Other\n"),
		strings.NewReader("mcc,interest\n5812,dining\n"))
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

// member is a cardholder as Describe reads one.
type member struct {
	id        string
	shares    []float64 // dining, travel, grocery, other
	spend     int64
	tier      string
	rel       profile.Relationship
	consent   bool
	cancelled bool
}

func profiles(ms []member) []profile.Profile {
	ps := make([]profile.Profile, len(ms))
	for i, m := range ms {
		ps[i] = profile.Profile{
			Cardholder: &ingest.Cardholder{ID: m.id, Tier: m.tier, Consent: m.consent, Cancelled: m.cancelled},
			Shares:     m.shares, Spend: m.spend, Relationship: m.rel,
		}
	}
	return ps
}

func TestDescribe(t *testing.T) {
	tax := testTaxonomy(t)
	ps := profiles([]member{
		// Cluster 0: diners of low spend, mostly loyal gold cardholders.
		{"c1", []float64{0.8, 0.1, 0.1, 0}, 10000, "gold", profile.RelationshipLostForGood, true, false},
		{"c2", []float64{0.7, 0.2, 0.1, 0}, 20000, "gold", profile.RelationshipLostForGood, true, false},
		{"c3", []float64{0.9, 0, 0.1, 0}, 5000, "green", profile.RelationshipIntermediate, false, false},
		// Not clustered: no spend.
		{"c4", []float64{0, 0, 0, 0}, 0, "platinum", profile.RelationshipInactive, true, false},
		// Cluster 1: travellers of mid spend, mostly occasional
		// platinum cardholders.
		{"c5", []float64{0.1, 0.8, 0, 0.1}, 100000, "platinum", profile.RelationshipAlwaysAShare, true, false},
		{"c6", []float64{0, 0.9, 0.1, 0}, 200000, "platinum", profile.RelationshipLost, true, true},
		{"c7", []float64{0.2, 0.6, 0.2, 0}, 150000, "", profile.RelationshipAlwaysAShare, false, false},
	})
	c := Clustering{
		Profiles: ps, Rows: []int{0, 1, 2, 4, 5, 6}, Dim: 2,
		Assign:    []int32{0, 0, 0, 1, 1, 1},
		Centroids: []float64{0.8, 0.1, 0.1, 0.77},
		Sizes:     []int{3, 3}, K: 2,
	}
	population, clusters := Describe(tax, c)

	// The population's shares weigh each cardholder's by spend.
	const total = 485000.0
	wantPop := []Share{{"dining", 66500 / total}, {"travel", 355000 / total}, {"grocery", 53500 / total}, {"other", 10000 / total}}
	if len(population) != len(wantPop) {
		t.Fatalf("population %v, want %v", population, wantPop)
	}
	for i, s := range population {
		if s.Interest != wantPop[i].Interest || math.Abs(s.Share-wantPop[i].Share) > 1e-12 {
			t.Errorf("population[%d] = %v, want %v", i, s, wantPop[i])
		}
	}

	type want struct {
		size, eligible int
		interests      []string // ids, strongest first
		label          string
		tier           string
		tierShare      float64
		rel            string
		relShare       float64
		firstShare     float64 // of the strongest interest
		firstLift      float64
		centroid       []float64
	}
	wants := []want{
		{
			size: 3, eligible: 2, interests: []string{"dining", "grocery", "travel"},
			label: "Dining, low spend, loyal", tier: "gold", tierShare: 2.0 / 3,
			rel: "lost-for-good", relShare: 2.0 / 3,
			firstShare: 0.8, firstLift: 0.8 / (66500 / total), centroid: []float64{0.8, 0.1},
		},
		{
			size: 3, eligible: 1, interests: []string{"travel", "grocery", "dining"},
			label: "Travel, mid spend, occasional", tier: "platinum", tierShare: 2.0 / 3,
			rel: "always-a-share", relShare: 2.0 / 3,
			firstShare: 2.3 / 3, firstLift: (2.3 / 3) / (355000 / total), centroid: []float64{0.1, 0.77},
		},
	}
	if len(clusters) != len(wants) {
		t.Fatalf("%d clusters, want %d", len(clusters), len(wants))
	}
	for i, w := range wants {
		got := clusters[i]
		if got.ID != i || got.Variant != variants.ID(i) || got.Size != w.size || got.Eligible != w.eligible {
			t.Errorf("cluster %d: id %d, variant %s, size %d, eligible %d; want %d, %s, %d, %d",
				i, got.ID, got.Variant, got.Size, got.Eligible, i, variants.ID(i), w.size, w.eligible)
		}
		var ids []string
		for _, in := range got.Interests {
			ids = append(ids, in.ID)
		}
		if !reflect.DeepEqual(ids, w.interests) {
			t.Errorf("cluster %d: interests %v, want %v", i, ids, w.interests)
		} else if in := got.Interests[0]; math.Abs(in.Share-w.firstShare) > 1e-12 || math.Abs(in.Lift-w.firstLift) > 1e-9 ||
			in.Name != strings.ToUpper(in.ID[:1])+in.ID[1:] {
			t.Errorf("cluster %d: strongest interest %+v, want share %v, lift %v", i, in, w.firstShare, w.firstLift)
		}
		if got.Label != w.label {
			t.Errorf("cluster %d: label %q, want %q", i, got.Label, w.label)
		}
		if got.Tier != w.tier || got.TierShare != w.tierShare {
			t.Errorf("cluster %d: tier %q, %v; want %q, %v", i, got.Tier, got.TierShare, w.tier, w.tierShare)
		}
		if got.Relationship != w.rel || got.RelationshipShare != w.relShare {
			t.Errorf("cluster %d: relationship %q, %v; want %q, %v", i, got.Relationship, got.RelationshipShare, w.rel, w.relShare)
		}
		if !reflect.DeepEqual(got.Centroid, w.centroid) {
			t.Errorf("cluster %d: centroid %v, want %v", i, got.Centroid, w.centroid)
		}
	}
	// The centroids are copies.
	c.Centroids[0] = 99
	if clusters[0].Centroid[0] != 0.8 {
		t.Error("a cluster's centroid shares the clustering's memory")
	}
}

func TestDescribeEmptyCluster(t *testing.T) {
	// A cluster with no members (as k-means may leave when distinct rows
	// are too close) is described without dividing by zero.
	tax := testTaxonomy(t)
	ps := profiles([]member{{"c1", []float64{0, 1, 0, 0}, 100, "gold", profile.RelationshipIntermediate, true, false}})
	_, clusters := Describe(tax, Clustering{Profiles: ps, Rows: []int{0}, Dim: 1, Assign: []int32{0},
		Centroids: []float64{1, 2}, Sizes: []int{1, 0}, K: 2})
	if len(clusters) != 2 {
		t.Fatalf("%d clusters, want 2", len(clusters))
	}
	empty := clusters[1]
	if empty.Size != 0 || empty.Interests != nil || empty.Label != "Mixed spending, low spend" ||
		empty.Tier != "" || empty.Relationship != "" {
		t.Errorf("empty cluster %+v", empty)
	}
	// The only member is the whole population: travel has lift 1, and
	// its spend is neither low nor high.
	if got := clusters[0].Label; got != "Mixed spending, mid spend, steady" {
		t.Errorf("label %q", got)
	}
}

// describeGroups describes a clustering in which cluster i has the members
// groups[i], every one of them clustered.
func describeGroups(tax *profile.Taxonomy, groups [][]member) []Cluster {
	var ms []member
	c := Clustering{Dim: 1, K: len(groups), Centroids: make([]float64, len(groups))}
	for cl, g := range groups {
		for _, m := range g {
			c.Rows = append(c.Rows, len(ms))
			c.Assign = append(c.Assign, int32(cl))
			ms = append(ms, m)
		}
		c.Sizes = append(c.Sizes, len(g))
	}
	c.Profiles = profiles(ms)
	_, clusters := Describe(tax, c)
	return clusters
}

func TestDescribeLabels(t *testing.T) {
	tax, err := profile.LoadTaxonomy(
		strings.NewReader("id,name\ndining,Dining\ngroceries,Groceries\nfuel,Fuel\nfashion,Fashion\ntravel,Travel\n"+
			"entertainment,Entertainment\npets,Pets\nother,Other\n"),
		strings.NewReader("mcc,interest\n5812,dining\n"))
	if err != nil {
		t.Fatal(err)
	}
	// one is a loyal cardholder of the given shares of dining, groceries,
	// fuel, fashion, travel, entertainment, pets and other; all spend
	// alike, so that the population's shares are the mean shares.
	one := func(shares ...float64) []member {
		return []member{{id: "c", shares: shares, spend: 10000, rel: profile.RelationshipLostForGood, consent: true}}
	}
	tests := []struct {
		name      string
		groups    [][]member
		want      []string
		notListed string // an interest named by a label but not among the five listed
	}{
		{
			name: "mostly other, small interests of low lift",
			groups: [][]member{
				one(0.05, 0.05, 0.05, 0.04, 0, 0, 0, 0.81),
				one(0.3, 0.3, 0.2, 0.2, 0, 0, 0, 0),
			},
			want: []string{"Mixed spending, mid spend, loyal", "Dining + Groceries, mid spend, loyal"},
		},
		{
			name: "fuel, fashion without share",
			groups: [][]member{
				one(0, 0.04, 0.96, 0, 0, 0, 0, 0),
				one(0, 0.5, 0, 0.5, 0, 0, 0, 0),
			},
			want: []string{"Fuel, mid spend, loyal", "Fashion + Groceries, mid spend, loyal"},
		},
		{
			// Entertainment has the highest lift, 2, but the smallest
			// share: the five others of lift 1.5 gain more share.
			name: "the strongest need not be listed",
			groups: [][]member{
				one(0.18, 0.18, 0.18, 0.18, 0.18, 0.05, 0, 0.05),
				one(0.06, 0.06, 0.06, 0.06, 0.06, 0, 0.65, 0.05),
			},
			want:      []string{"Entertainment + Dining, mid spend, loyal", "Pets, mid spend, loyal"},
			notListed: "entertainment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clusters := describeGroups(tax, tt.groups)
			var got []string
			for _, c := range clusters {
				got = append(got, c.Label)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("labels %q, want %q", got, tt.want)
			}
			if tt.notListed == "" {
				return
			}
			for _, in := range clusters[0].Interests {
				if in.ID == tt.notListed {
					t.Errorf("%s listed: %+v", in.ID, clusters[0].Interests)
				}
			}
		})
	}
}

func TestDescribeSpendLevel(t *testing.T) {
	tax := testTaxonomy(t)
	// group is a cluster of diners, one for each spend.
	group := func(spends ...int64) []member {
		var g []member
		for _, s := range spends {
			g = append(g, member{id: "c", shares: []float64{1, 0, 0, 0}, spend: s, rel: profile.RelationshipIntermediate, consent: true})
		}
		return g
	}
	tests := []struct {
		name   string
		small  []int64 // the spends of a cluster of small spenders
		others [][]int64
		want   string // the small spenders' level
	}{
		{"below everybody", []int64{100, 200, 300}, [][]int64{{100000, 200000, 300000}}, "low spend"},
		{"below most", []int64{100, 200}, [][]int64{{5000, 6000}, {100000, 200000}}, "low spend"},
		{"most spend alike", []int64{100, 100, 100, 100}, [][]int64{{1000000, 1000000}}, "mid spend"},
		{"the smallest spenders spend alike", []int64{100, 100, 100}, [][]int64{{100, 100, 5000}, {1000000}}, "mid spend"},
		{"everybody spends alike", []int64{500, 500}, [][]int64{{500, 500}}, "mid spend"},
		{"nobody has spend: no level", []int64{0, 0}, [][]int64{{0, 0, 0}}, "steady"},
		{"refunds", []int64{-500, 0}, [][]int64{{100, 200}, {300, 400}}, "low spend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := [][]member{group(tt.small...)}
			for _, o := range tt.others {
				groups = append(groups, group(o...))
			}
			clusters := describeGroups(tax, groups)
			got := strings.Split(clusters[0].Label, ", ")[1]
			if got == "high spend" || got != tt.want {
				t.Errorf("small spenders labelled %q, want %s", clusters[0].Label, tt.want)
			}
		})
	}
}

func TestLabel(t *testing.T) {
	// in is an interest with its share of the cluster's spend and its lift.
	in := func(name string, share, lift float64) variants.Interest {
		return variants.Interest{ID: strings.ToLower(name), Name: name, Share: share, Lift: lift}
	}
	other := variants.Interest{ID: "other", Name: "Other", Share: 0.81, Lift: 3}
	tests := []struct {
		name string
		ins  []variants.Interest
		want string
	}{
		{"no interest", nil, "Mixed spending"},
		{"one interest", []variants.Interest{in("Dining", 0.6, 2)}, "Dining"},
		{"two interests", []variants.Interest{in("Dining", 0.5, 3), in("Travel", 0.3, 2)}, "Dining + Travel"},
		{"at most two", []variants.Interest{in("Travel", 0.3, 4), in("Dining", 0.3, 3), in("Fuel", 0.2, 2)}, "Travel + Dining"},
		{"in any order", []variants.Interest{in("Fuel", 0.2, 2), in("Dining", 0.3, 3), in("Travel", 0.3, 4)}, "Travel + Dining"},
		{"mostly other, small interests of low lift", []variants.Interest{
			other, in("Fashion", 0.06, 0.8), in("Auto care", 0.05, 0.9), in("Dining", 0.03, 0.2),
		}, "Mixed spending"},
		{"mostly other, one interest qualifies", []variants.Interest{
			other, in("Fashion", 0.04, 1.5), in("Auto care", 0.08, 2.5), in("Dining", 0.05, 0.6),
		}, "Auto care"},
		{"other is never named", []variants.Interest{other}, "Mixed spending"},
		{"an interest without share", []variants.Interest{in("Fuel", 0.7, 5), in("Fashion", 0, 0)}, "Fuel"},
		{"a rare interest below the minimum share", []variants.Interest{in("Fuel", 0.7, 5), in("Luxury", 0.049, 30)}, "Fuel"},
		{"the minimum share qualifies", []variants.Interest{in("Fuel", 0.7, 5), in("Luxury", 0.05, 30)}, "Luxury + Fuel"},
		{"by lift, not by share", []variants.Interest{
			in("Dining", 0.30, 1.2), in("Groceries", 0.25, 1.1), in("Entertainment", 0.20, 4.59),
		}, "Entertainment + Dining"},
		{"a small share of high lift beats a large one of low lift", []variants.Interest{
			in("Dining", 0.504, 7.12), in("Groceries", 0.186, 1.63), in("Entertainment", 0.057, 4.59),
		}, "Dining + Entertainment"},
		{"equal lifts go to the larger share", []variants.Interest{in("Travel", 0.1, 2), in("Dining", 0.3, 2)}, "Dining + Travel"},
		{"equal lifts for second place", []variants.Interest{in("Travel", 0.1, 2), in("Dining", 0.2, 3), in("Fuel", 0.15, 2)}, "Dining + Fuel"},
		{"equal lifts and shares go to the id", []variants.Interest{in("Travel", 0.2, 2), in("Fuel", 0.2, 2), in("Dining", 0.2, 2)}, "Dining + Fuel"},
		{"lift 1 is not named", []variants.Interest{in("Dining", 0.5, 1), in("Travel", 0.1, 1.5)}, "Travel"},
		{"only lift 1", []variants.Interest{in("Dining", 1, 1)}, "Mixed spending"},
		{"lift below 1", []variants.Interest{in("Dining", 0.5, 0.99)}, "Mixed spending"},
		{"no lift", []variants.Interest{in("Dining", 0.5, math.NaN())}, "Mixed spending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Label(tt.ins); got != tt.want {
				t.Errorf("Label = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDescribeLabel(t *testing.T) {
	dining := []variants.Interest{{ID: "dining", Name: "Dining", Share: 0.5, Lift: 2}}
	loyal := map[profile.Relationship]int{profile.RelationshipLostForGood: 1}
	tests := []struct {
		name         string
		meanLogSpend float64
		mix          map[profile.Relationship]int
		want         string
	}{
		{"below the lower tertile", 0.5, loyal, "Dining, low spend, loyal"},
		{"at the lower tertile", 1, loyal, "Dining, mid spend, loyal"},
		{"between", 1.5, loyal, "Dining, mid spend, loyal"},
		{"at the upper tertile", 2, loyal, "Dining, high spend, loyal"},
		{"no members", 0, nil, "Dining, low spend"},
		{"lapsing", 3, map[profile.Relationship]int{profile.RelationshipLapsing: 2}, "Dining, high spend, lapsing"},
		{"lost", 3, map[profile.Relationship]int{profile.RelationshipLost: 2}, "Dining, high spend, lost"},
		{"inactive", 3, map[profile.Relationship]int{profile.RelationshipInactive: 2}, "Dining, high spend, inactive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeLabel(dining, tt.meanLogSpend, 1, 2, tt.mix); got != tt.want {
				t.Errorf("describeLabel = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSpendLevels(t *testing.T) {
	ps := profiles([]member{
		{id: "a", spend: 0}, {id: "b", spend: 10}, {id: "c", spend: 100}, {id: "d", spend: -5},
		{id: "e", spend: 1000}, {id: "f", spend: 10000}, {id: "g", spend: 100000},
	})
	tests := []struct {
		name   string
		rows   []int
		lo, hi float64
	}{
		{"none", nil, 0, 0},
		{"one", []int{2}, math.Log1p(100), math.Log1p(100)},
		{"tertiles of the rows only", []int{6, 5, 4, 2, 1, 0}, math.Log1p(100), math.Log1p(10000)},
		{"refunds count as no spend", []int{3, 2, 4}, math.Log1p(100), math.Log1p(1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := spendLevels(ps, tt.rows)
			if lo != tt.lo || hi != tt.hi {
				t.Errorf("spendLevels = %v, %v; want %v, %v", lo, hi, tt.lo, tt.hi)
			}
		})
	}
}

func TestMajorityTier(t *testing.T) {
	tests := []struct {
		name  string
		mix   map[string]int
		want  string
		share float64
	}{
		{"no members", map[string]int{}, "", 0},
		{"one tier", map[string]int{"gold": 4}, "gold", 1},
		{"plurality", map[string]int{"green": 5, "gold": 3, "platinum": 2}, "green", 0.5},
		{"ties go to the name that sorts first", map[string]int{"platinum": 3, "gold": 3, "green": 1}, "gold", 3.0 / 7},
		{"members without a tier count", map[string]int{"": 2, "gold": 3, "green": 3}, "gold", 3.0 / 8},
		{"most without a tier", map[string]int{"": 5, "gold": 3}, "", 0},
		{"a tie with those without a tier", map[string]int{"": 3, "gold": 3}, "", 0},
		{"nobody has a tier", map[string]int{"": 9}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, share := MajorityTier(tt.mix)
			if got != tt.want || share != tt.share {
				t.Errorf("MajorityTier = %q, %v; want %q, %v", got, share, tt.want, tt.share)
			}
		})
	}
}

func TestMajorityRelationship(t *testing.T) {
	tests := []struct {
		name  string
		mix   map[profile.Relationship]int
		want  profile.Relationship
		share float64
		word  string // in the label
	}{
		{"no members", map[profile.Relationship]int{}, "", 0, ""},
		{"plurality", map[profile.Relationship]int{profile.RelationshipLapsing: 2, profile.RelationshipIntermediate: 5, profile.RelationshipLostForGood: 3}, profile.RelationshipIntermediate, 0.5, "steady"},
		{"ties go to the committed", map[profile.Relationship]int{profile.RelationshipAlwaysAShare: 4, profile.RelationshipLostForGood: 4}, profile.RelationshipLostForGood, 0.5, "loyal"},
		{"ties in the order of Relationships", map[profile.Relationship]int{profile.RelationshipLost: 1, profile.RelationshipLapsing: 1}, profile.RelationshipLapsing, 0.5, "lapsing"},
		{"unknown types are not counted", map[profile.Relationship]int{"bogus": 9, profile.RelationshipAlwaysAShare: 1}, profile.RelationshipAlwaysAShare, 1, "occasional"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, share := MajorityRelationship(tt.mix)
			if got != tt.want || share != tt.share {
				t.Errorf("MajorityRelationship = %q, %v; want %q, %v", got, share, tt.want, tt.share)
			}
			// The label names the same relationship.
			l := describeLabel(nil, 1, 0, 2, tt.mix)
			if want := strings.TrimSuffix("Mixed spending, mid spend, "+tt.word, ", "); l != want {
				t.Errorf("label %q, want %q", l, want)
			}
		})
	}
}

// TestFileJSON holds clusters.json's format: its fields, their order and
// what is left out when empty.
func TestFileJSON(t *testing.T) {
	tests := []struct {
		name string
		f    File
		want string
	}{
		{
			name: "first month",
			f: File{K: 1, Seed: 7, Features: []string{"share_dining"}, Rows: 2, Iterations: 3, Converged: true, Inertia: 0.5,
				Population: []Share{{"dining", 1}},
				Clusters: []Cluster{{Cluster: variants.Cluster{ID: 0, Size: 2, Eligible: 1,
					Interests: []variants.Interest{{ID: "dining", Name: "Dining", Share: 1, Lift: 1}}, Label: "Dining, mid spend, loyal",
					Variant: "v0001", Tier: "gold", TierShare: 0.5, Relationship: "lost-for-good", RelationshipShare: 1}, Centroid: []float64{1}}}},
			want: `{"k":1,"seed":7,"features":["share_dining"],"rows":2,"iterations":3,"converged":true,"inertia":0.5,` +
				`"population":[{"interest":"dining","share":1}],` +
				`"clusters":[{"id":0,"size":2,"eligible":1,"interests":[{"id":"dining","name":"Dining","share":1,"lift":1}],` +
				`"label":"Dining, mid spend, loyal","variant":"v0001","tier":"gold","tier_share":0.5,` +
				`"relationship":"lost-for-good","relationship_share":1,"centroid":[1]}]}`,
		},
		{
			name: "a month after another",
			f: File{K: 0, Identity: &Identity{PreviousMonth: "2026-09", Matched: 2, Born: []string{"v0003"}, Changed: 4},
				WarmStart: true},
			want: `{"k":0,"seed":0,"features":null,"rows":0,"iterations":0,"converged":false,"inertia":0,` +
				`"population":null,"clusters":null,"identity":{"previous_month":"2026-09","matched":2,"born":["v0003"],` +
				`"retired":null,"changed_cardholders":4},"warm_start":true}`,
		},
		{
			name: "flows from last month",
			f: File{K: 0, Identity: &Identity{PreviousMonth: "2026-09", Matched: 1, Retired: []string{"v0002"}, Changed: 3,
				Flows: []Flow{{Variant: "v0001", Stayed: 5, MovedIn: 3, New: 2}, {Variant: "v0002", MovedOut: 3, Left: 1}}}},
			want: `{"k":0,"seed":0,"features":null,"rows":0,"iterations":0,"converged":false,"inertia":0,` +
				`"population":null,"clusters":null,"identity":{"previous_month":"2026-09","matched":1,"born":null,` +
				`"retired":["v0002"],"changed_cardholders":3,"flows":[` +
				`{"variant":"v0001","stayed":5,"moved_in":3,"new":2,"moved_out":0,"left":0},` +
				`{"variant":"v0002","stayed":0,"moved_in":0,"new":0,"moved_out":3,"left":1}]}}`,
		},
		{
			name: "small clusters merged",
			f:    File{K: 2, Rows: 40, Iterations: 9, Converged: true, Inertia: 3.25, Merged: 5},
			want: `{"k":2,"seed":0,"features":null,"rows":40,"iterations":9,"converged":true,"inertia":3.25,"merged":5,` +
				`"population":null,"clusters":null}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("JSON\n%s\nwant\n%s", b, tt.want)
			}
			var back File
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.f) {
				t.Errorf("read back %+v, want %+v", back, tt.f)
			}
		})
	}
}
