package segment

import (
	"reflect"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/variants"
)

func TestMatchPrevious(t *testing.T) {
	prevOf := func(features []string, cs ...Cluster) *File { return &File{Features: features, Clusters: cs} }
	was := func(variant string, c ...float64) Cluster {
		return Cluster{Cluster: variants.Cluster{Variant: variant}, Centroid: c}
	}
	ab := []string{"a", "b"}
	threeBefore := prevOf(ab, was("v0001", 0, 0), was("v0002", 10, 0), was("v0007", 0, 10))
	tests := []struct {
		name      string
		prev      *File
		features  []string
		centroids [][]float64
		// The clusters' variants after MatchPrevious, and what it returns.
		want   []string
		wantID *Identity
	}{
		{
			// (0.5,0) is nearest v0001, (9,1) v0002; (1,0) takes what is
			// left, v0007; (50,50) is new and numbered after the highest,
			// v0007.
			name: "nearest first, new ones after the highest", prev: threeBefore, features: ab,
			centroids: [][]float64{{9, 1}, {0.5, 0}, {50, 50}, {1, 0}},
			want:      []string{"v0002", "v0001", "v0008", "v0007"},
			wantID:    &Identity{Matched: 3, Born: []string{"v0008"}},
		},
		{
			name: "clusters without a successor retire, in order", features: ab,
			prev:      prevOf(ab, was("v0009", 0, 0), was("v0005", 10, 0), was("v0003", 0, 10)),
			centroids: [][]float64{{1, 1}},
			want:      []string{"v0009"},
			wantID:    &Identity{Matched: 1, Retired: []string{"v0003", "v0005"}},
		},
		{
			name: "ids that are not numbered are kept but not counted", features: ab,
			prev:      prevOf(ab, was("winter", 0, 0), was("v0002", 5, 5)),
			centroids: [][]float64{{0, 0}, {5, 5}, {100, 100}},
			want:      []string{"winter", "v0002", "v0003"},
			wantID:    &Identity{Matched: 2, Born: []string{"v0003"}},
		},
		{
			name: "equal distances go to the cluster listed first", features: ab,
			prev:      prevOf(ab, was("v0004", 0, 0)),
			centroids: [][]float64{{1, 0}, {-1, 0}},
			want:      []string{"v0004", "v0005"},
			wantID:    &Identity{Matched: 1, Born: []string{"v0005"}},
		},
		{
			name: "a previous month without clusters", prev: prevOf(ab), features: ab,
			centroids: [][]float64{{1, 0}, {0, 1}},
			want:      []string{"v0001", "v0002"},
			wantID:    &Identity{Born: []string{"v0001", "v0002"}},
		},
		{
			name: "no previous month", features: ab,
			centroids: [][]float64{{1, 0}},
			want:      []string{"x"},
		},
		{
			name: "other features", prev: threeBefore, features: []string{"a", "c"},
			centroids: [][]float64{{1, 0}},
			want:      []string{"x"},
		},
		{
			name: "fewer features", prev: threeBefore, features: []string{"a"},
			centroids: [][]float64{{1}},
			want:      []string{"x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clusters []Cluster
			for _, c := range tt.centroids {
				clusters = append(clusters, was("x", c...))
			}
			id := MatchPrevious(clusters, tt.prev, tt.features)
			if !reflect.DeepEqual(id, tt.wantID) {
				t.Errorf("MatchPrevious = %+v, want %+v", id, tt.wantID)
			}
			var got []string
			for _, c := range clusters {
				got = append(got, c.Variant)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("variants %v, want %v", got, tt.want)
			}
		})
	}
}

// withIDs returns profiles with the given cardholder ids and nothing else.
func withIDs(ids ...string) []profile.Profile {
	ps := make([]profile.Profile, len(ids))
	for i, id := range ids {
		ps[i] = profile.Profile{Cardholder: &ingest.Cardholder{ID: id}}
	}
	return ps
}

func TestFlows(t *testing.T) {
	variant := func(ids ...string) []Cluster {
		cs := make([]Cluster, len(ids))
		for i, id := range ids {
			cs[i] = Cluster{Cluster: variants.Cluster{ID: i, Variant: id}}
		}
		return cs
	}
	// c2 is not clustered; the others are in clusters 1, 0, 1.
	small := Clustering{Profiles: withIDs("c1", "c2", "c3", "c4"), Rows: []int{0, 2, 3}, Assign: []int32{1, 0, 1}}
	smallVariants := variant("v0003", "v0001")
	// Last month had v0001, v0002 and v0004; v0004 retired and v0005 was
	// born. c4 is no longer clustered, "gone" no longer a cardholder, c5
	// and c7 are new.
	born := Clustering{Profiles: withIDs("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"), Rows: []int{0, 1, 2, 4, 5, 6, 7},
		Assign: []int32{1, 0, 2, 2, 0, 1, 1}}
	bornVariants := variant("v0002", "v0001", "v0005")
	tests := []struct {
		name     string
		c        Clustering
		clusters []Cluster
		before   map[string]string
		changed  int
		flows    []Flow
	}{
		{"nothing before", small, smallVariants, nil, 0,
			[]Flow{{Variant: "v0001", New: 2}, {Variant: "v0003", New: 1}}},
		{"all kept their variant", small, smallVariants, map[string]string{"c1": "v0001", "c3": "v0003", "c4": "v0001"}, 0,
			[]Flow{{Variant: "v0001", Stayed: 2}, {Variant: "v0003", Stayed: 1}}},
		{"one changed", small, smallVariants, map[string]string{"c1": "v0001", "c3": "v0001", "c4": "v0001"}, 1,
			[]Flow{{Variant: "v0001", Stayed: 2, MovedOut: 1}, {Variant: "v0003", MovedIn: 1}}},
		{"all changed", small, smallVariants, map[string]string{"c1": "v0002", "c3": "v0001", "c4": "v0003"}, 3,
			[]Flow{{Variant: "v0001", MovedIn: 2, MovedOut: 1}, {Variant: "v0002", MovedOut: 1}, {Variant: "v0003", MovedIn: 1, MovedOut: 1}}},
		{"new cardholders do not count as changed", small, smallVariants, map[string]string{"c3": "v0001"}, 1,
			[]Flow{{Variant: "v0001", New: 2, MovedOut: 1}, {Variant: "v0003", MovedIn: 1}}},
		{"cardholders no longer clustered left", small, smallVariants, map[string]string{"c2": "v0001", "gone": "v0002"}, 0,
			[]Flow{{Variant: "v0001", New: 2, Left: 1}, {Variant: "v0002", Left: 1}, {Variant: "v0003", New: 1}}},
		{"a variant born, one retired", born, bornVariants,
			map[string]string{"c1": "v0001", "c2": "v0001", "c3": "v0004", "c4": "v0004", "c6": "v0002", "c8": "v0002", "gone": "v0002"}, 3,
			[]Flow{
				{Variant: "v0001", Stayed: 1, MovedIn: 1, New: 1, MovedOut: 1},  // c1 stayed, c8 came, c7 is new, c2 went
				{Variant: "v0002", Stayed: 1, MovedIn: 1, MovedOut: 1, Left: 1}, // c6 stayed, c2 came, c8 went, gone left
				{Variant: "v0004", MovedOut: 1, Left: 1},                        // retired: c3 went, c4 left
				{Variant: "v0005", MovedIn: 1, New: 1},                          // born: c3 came, c5 is new
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed, flows := Flows(tt.c, tt.clusters, tt.before)
			if changed != tt.changed {
				t.Errorf("changed = %d, want %d", changed, tt.changed)
			}
			if !reflect.DeepEqual(flows, tt.flows) {
				t.Errorf("flows\n got %+v\nwant %+v", flows, tt.flows)
			}
			var now, then, in, out int
			for _, f := range flows {
				now += f.Stayed + f.MovedIn + f.New
				then += f.Stayed + f.MovedOut + f.Left
				in += f.MovedIn
				out += f.MovedOut
			}
			if now != len(tt.c.Assign) || then != len(tt.before) || in != changed || out != changed {
				t.Errorf("flows do not reconcile: %d this month (want %d), %d last month (want %d), %d moved in and %d out (want %d)",
					now, len(tt.c.Assign), then, len(tt.before), in, out, changed)
			}
		})
	}
}
