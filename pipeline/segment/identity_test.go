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

func TestChanged(t *testing.T) {
	// c2 is not clustered; the others are in clusters 1, 0, 1.
	c := Clustering{Profiles: withIDs("c1", "c2", "c3", "c4"), Rows: []int{0, 2, 3}, Assign: []int32{1, 0, 1}}
	clusters := []Cluster{{Cluster: variants.Cluster{Variant: "v0003"}}, {Cluster: variants.Cluster{Variant: "v0001"}}}
	tests := []struct {
		name   string
		before map[string]string
		want   int
	}{
		{"nothing before", nil, 0},
		{"all kept their variant", map[string]string{"c1": "v0001", "c3": "v0003", "c4": "v0001"}, 0},
		{"one changed", map[string]string{"c1": "v0001", "c3": "v0001", "c4": "v0001"}, 1},
		{"all changed", map[string]string{"c1": "v0002", "c3": "v0001", "c4": "v0003"}, 3},
		{"new cardholders do not count", map[string]string{"c3": "v0001"}, 1},
		{"cardholders no longer clustered do not count", map[string]string{"c2": "v0001", "gone": "v0002"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Changed(c, clusters, tt.before); got != tt.want {
				t.Errorf("Changed = %d, want %d", got, tt.want)
			}
		})
	}
}
