package pipeline

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/variants"
)

func TestMergeSmall(t *testing.T) {
	// Three groups on a line: 5 points at 0, 3 at 10, 1 at 11.
	data := []float64{0, 0, 0, 0, 0, 10, 10, 10, 11}
	assign := []int32{0, 0, 0, 0, 0, 1, 1, 1, 2}
	centroids := []float64{0, 10, 11}
	got, sizes, k := mergeSmall(data, 1, assign, centroids, 3, 4)
	// The single point joins its nearest neighbour (10); that cluster of
	// 4 is large enough.
	if k != 2 || !slices.Equal(sizes, []int{5, 4}) || got[0] != 0 || got[1] != 10.25 {
		t.Errorf("k %d sizes %v centroids %v", k, sizes, got)
	}
	if !slices.Equal(assign, []int32{0, 0, 0, 0, 0, 1, 1, 1, 1}) {
		t.Errorf("assign %v", assign)
	}
	// A minimum no cluster reaches leaves one cluster.
	assign = []int32{0, 0, 0, 0, 0, 1, 1, 1, 2}
	_, sizes, k = mergeSmall(data, 1, assign, centroids, 3, 100)
	if k != 1 || sizes[0] != 9 {
		t.Errorf("k %d sizes %v", k, sizes)
	}
}

func TestMatchPrevious(t *testing.T) {
	item := func(c ...float64) clusterItem { return clusterItem{Centroid: c} }
	prev := &clusterFile{Features: []string{"a", "b"}, Clusters: []clusterItem{
		{Cluster: variants.Cluster{Variant: "v0001"}, Centroid: []float64{0, 0}},
		{Cluster: variants.Cluster{Variant: "v0002"}, Centroid: []float64{10, 0}},
		{Cluster: variants.Cluster{Variant: "v0007"}, Centroid: []float64{0, 10}},
	}}
	items := []clusterItem{item(9, 1), item(0.5, 0), item(50, 50), item(1, 0)}
	id := matchPrevious(items, prev, []string{"a", "b"})
	var got []string
	for _, it := range items {
		got = append(got, it.Variant)
	}
	// (0.5,0) is nearest v0001, (9,1) v0002; (1,0) takes what is left,
	// v0007; (50,50) is new and numbered after the highest, v0007.
	if !slices.Equal(got, []string{"v0002", "v0001", "v0008", "v0007"}) {
		t.Errorf("variants %v", got)
	}
	if id.Matched != 3 || !slices.Equal(id.Born, []string{"v0008"}) || len(id.Retired) != 0 {
		t.Errorf("identity %+v", id)
	}
	if matchPrevious(items, prev, []string{"a", "c"}) != nil {
		t.Error("clusters on other features were matched")
	}
}

// TestVariantsKeepTheirIDs runs September, then October: October's
// variants take September's ids, and the report says what changed.
func TestVariantsKeepTheirIDs(t *testing.T) {
	cfg := quickstartConfig(t)
	cfg.Month = "2026-09"
	sep := mustRun(t, cfg)
	cfg.Month = "2026-10"
	oct := mustRun(t, cfg)
	var s, o clusterFile
	if err := readJSON(sep.Dir+"/"+clustersFile, &s); err != nil {
		t.Fatal(err)
	}
	if err := readJSON(oct.Dir+"/"+clustersFile, &o); err != nil {
		t.Fatal(err)
	}
	if s.Identity != nil || s.WarmStart {
		t.Errorf("September has no previous month, but identity %+v, warm start %v", s.Identity, s.WarmStart)
	}
	if !o.WarmStart {
		t.Error("October did not start from September's centroids")
	}
	id := o.Identity
	if id == nil || id.PreviousMonth != "2026-09" || id.Matched != len(o.Clusters) || id.Changed == 0 ||
		id.Changed > oct.Audience.Cardholders/2 {
		t.Fatalf("October identity %+v", id)
	}
	septIDs := map[string]bool{}
	for _, c := range s.Clusters {
		septIDs[c.Variant] = true
	}
	for _, c := range o.Clusters {
		if !septIDs[c.Variant] {
			t.Errorf("October cluster %d has variant %s, not one of September's", c.ID, c.Variant)
		}
	}
	// The same cardholders mostly keep their variant.
	before, _ := readVariants(sep.Dir + "/" + assignmentsFile)
	after, _ := readVariants(oct.Dir + "/" + assignmentsFile)
	same := 0
	for id, v := range after {
		if before[id] == v {
			same++
		}
	}
	if same < len(after)/2 {
		t.Errorf("only %d of %d cardholders kept their variant", same, len(after))
	}
}

func TestAutoK(t *testing.T) {
	cfg := quickstartConfig(t)
	c := *cfg.Campaign
	c.Clustering.K = "auto"
	c.Clustering.MinAudience = 150
	cfg.Campaign = &c
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var cf clusterFile
	if err := readJSON(res.Dir+"/"+clustersFile, &cf); err != nil {
		t.Fatal(err)
	}
	if cf.K < 2 || cf.K > cf.Rows/150 {
		t.Errorf("k = %d for %d rows and a minimum audience of 150", cf.K, cf.Rows)
	}
	total := 0
	for i, cl := range cf.Clusters {
		total += cl.Size
		if cl.Size < 150 {
			t.Errorf("cluster %d has %d cardholders, below the minimum audience", cl.ID, cl.Size)
		}
		if i > 0 && cl.Size > cf.Clusters[i-1].Size {
			t.Errorf("clusters not by decreasing size")
		}
	}
	if total != cf.Rows {
		t.Errorf("sizes sum to %d, want %d", total, cf.Rows)
	}
}

func TestLabels(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	var cf clusterFile
	if err := readJSON(res.Dir+"/"+clustersFile, &cf); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^[A-Z][^,]*( \+ [A-Z][^,]*)?, (low|mid|high) spend, (loyal|steady|occasional|lapsing|lost|inactive)$`)
	levels := map[string]bool{}
	for _, c := range cf.Clusters {
		if !re.MatchString(c.Label) {
			t.Errorf("label %q", c.Label)
		}
		levels[strings.Split(c.Label, ", ")[1]] = true
	}
	if len(levels) < 2 {
		t.Errorf("every cluster has the same spend level: %v", levels)
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
			got, share := majorityTier(tt.mix)
			if got != tt.want || share != tt.share {
				t.Errorf("majorityTier = %q, %v; want %q, %v", got, share, tt.want, tt.share)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, share := majorityRelationship(tt.mix)
			if got != tt.want || share != tt.share {
				t.Errorf("majorityRelationship = %q, %v; want %q, %v", got, share, tt.want, tt.share)
			}
			// The label names the same relationship.
			l := describeLabel(nil, 1, 0, 2, tt.mix)
			if want := strings.TrimSuffix("Mixed spending, mid spend, "+tt.word, ", "); l != want {
				t.Errorf("label %q, want %q", l, want)
			}
		})
	}
}
