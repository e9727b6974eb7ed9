package segment

import (
	"fmt"
	"sort"

	"github.com/tailor-mail/tailor/variants"
)

// Identity is how this month's clusters relate to last month's.
type Identity struct {
	PreviousMonth string `json:"previous_month"`
	// Matched counts clusters that kept last month's variant id; Born
	// lists the ids of new clusters, Retired those of last month's
	// clusters with no successor.
	Matched int      `json:"matched"`
	Born    []string `json:"born"`
	Retired []string `json:"retired"`
	// Changed counts cardholders in both months whose variant changed.
	Changed int `json:"changed_cardholders"`
}

// MatchPrevious gives clusters the variant ids of last month's clusters,
// one to one by nearest centroid (greedily, the closest pair first); new
// clusters get fresh ids after last month's highest. It returns nil, and
// leaves clusters alone, when there is no previous month (prev is nil) or
// it clustered on other features. The caller sets PreviousMonth and
// Changed.
func MatchPrevious(clusters []Cluster, prev *File, features []string) *Identity {
	if prev == nil || len(prev.Features) != len(features) {
		return nil
	}
	for i := range features {
		if prev.Features[i] != features[i] {
			return nil
		}
	}
	type pair struct {
		d    float64
		i, j int
	}
	var pairs []pair
	for i := range clusters {
		for j := range prev.Clusters {
			var d float64
			for k, v := range clusters[i].Centroid {
				x := v - prev.Clusters[j].Centroid[k]
				d += x * x
			}
			pairs = append(pairs, pair{d, i, j})
		}
	}
	sort.Slice(pairs, func(a, b int) bool {
		if pairs[a].d != pairs[b].d {
			return pairs[a].d < pairs[b].d
		}
		if pairs[a].i != pairs[b].i {
			return pairs[a].i < pairs[b].i
		}
		return pairs[a].j < pairs[b].j
	})
	id := &Identity{}
	taken := make([]bool, len(prev.Clusters))
	assigned := make([]bool, len(clusters))
	highest := 0
	for _, c := range prev.Clusters {
		var n int
		if _, err := fmt.Sscanf(c.Variant, "v%d", &n); err == nil && n > highest {
			highest = n
		}
	}
	for _, p := range pairs {
		if assigned[p.i] || taken[p.j] {
			continue
		}
		assigned[p.i], taken[p.j] = true, true
		clusters[p.i].Variant = prev.Clusters[p.j].Variant
		id.Matched++
	}
	for i := range clusters {
		if !assigned[i] {
			highest++
			clusters[i].Variant = variants.ID(highest - 1)
			id.Born = append(id.Born, clusters[i].Variant)
		}
	}
	for j, t := range taken {
		if !t {
			id.Retired = append(id.Retired, prev.Clusters[j].Variant)
		}
	}
	sort.Strings(id.Retired)
	return id
}

// Changed counts the clustered cardholders whose variant differs from
// before, which maps a cardholder id to last month's variant (as
// ReadAssignments returns it); clusters[i] is cluster i of c. Cardholders
// absent from before are not counted.
func Changed(c Clustering, clusters []Cluster, before map[string]string) int {
	n := 0
	for row, cl := range c.Assign {
		if v, was := before[c.Profiles[c.Rows[row]].ID]; was && v != clusters[cl].Variant {
			n++
		}
	}
	return n
}
