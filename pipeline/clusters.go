package pipeline

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/variants"
)

// mergeSmall merges every cluster with fewer than min members into the
// cluster whose centroid is nearest, smallest first, until none is left
// or one cluster remains. It rewrites assign and returns the surviving
// clusters' new centroids (the means of their members) and sizes,
// renumbered by decreasing size, ties by index.
func mergeSmall(data []float64, dim int, assign []int32, centroids []float64, k, min int) ([]float64, []int, int) {
	sizes := make([]int, k)
	for _, c := range assign {
		sizes[c]++
	}
	alive := make([]bool, k)
	for c := range alive {
		alive[c] = sizes[c] > 0
	}
	count := func() (n int) {
		for _, a := range alive {
			if a {
				n++
			}
		}
		return n
	}
	target := make([]int, k) // where each cluster's members go
	for c := range target {
		target[c] = c
	}
	for count() > 1 {
		small := -1
		for c := 0; c < k; c++ {
			if alive[c] && sizes[c] < min && (small < 0 || sizes[c] < sizes[small]) {
				small = c
			}
		}
		if small < 0 {
			break
		}
		best, bestD := -1, math.Inf(1)
		for c := 0; c < k; c++ {
			if c == small || !alive[c] {
				continue
			}
			var d float64
			for j := 0; j < dim; j++ {
				x := centroids[small*dim+j] - centroids[c*dim+j]
				d += x * x
			}
			if d < bestD {
				best, bestD = c, d
			}
		}
		alive[small] = false
		sizes[best] += sizes[small]
		sizes[small] = 0
		for c := range target {
			if target[c] == small {
				target[c] = best
			}
		}
	}
	// Renumber the survivors by decreasing size.
	var order []int
	for c := 0; c < k; c++ {
		if alive[c] {
			order = append(order, c)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return sizes[order[i]] > sizes[order[j]] })
	newID := make([]int32, k)
	for i, c := range order {
		newID[c] = int32(i)
	}
	kk := len(order)
	out := make([]float64, kk*dim)
	outSizes := make([]int, kk)
	for row, c := range assign {
		n := newID[target[c]]
		assign[row] = n
		outSizes[n]++
		for j := 0; j < dim; j++ {
			out[int(n)*dim+j] += data[row*dim+j]
		}
	}
	for c := 0; c < kk; c++ {
		for j := 0; j < dim; j++ {
			out[c*dim+j] /= float64(max(outSizes[c], 1))
		}
	}
	return out, outSizes, kk
}

// previousMonth returns the run directory of the month before, if it holds
// a finished clustering.
func (r *run) previousMonth() (string, bool) {
	prev := filepath.Join(filepath.Dir(r.dir), r.month.AddDate(0, -1, 0).Format("2006-01"))
	_, err := os.Stat(filepath.Join(prev, clustersFile))
	return prev, err == nil
}

// identity is how this month's clusters relate to last month's.
type identity struct {
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

// matchPrevious gives clusters the variant ids of last month's clusters,
// one to one by nearest centroid (greedily, the closest pair first); new
// clusters get fresh ids after last month's highest. It returns nil when
// there is no previous month or it clustered on other features.
func matchPrevious(items []clusterItem, prev *clusterFile, features []string) *identity {
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
	for i := range items {
		for j := range prev.Clusters {
			var d float64
			for k, v := range items[i].Centroid {
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
	id := &identity{}
	taken := make([]bool, len(prev.Clusters))
	assigned := make([]bool, len(items))
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
		items[p.i].Variant = prev.Clusters[p.j].Variant
		id.Matched++
	}
	for i := range items {
		if !assigned[i] {
			highest++
			items[i].Variant = variants.ID(highest - 1)
			id.Born = append(id.Born, items[i].Variant)
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

// readVariants reads an assignments.csv: the variant of every cardholder
// that has one.
func readVariants(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReader(f))
	if _, err := cr.Read(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) != 4 {
			return nil, fmt.Errorf("%s: %d fields, want 4", path, len(rec))
		}
		if rec[2] != "" {
			out[rec[0]] = rec[2]
		}
	}
}

// spendLevels returns the tertiles of log spend over the clustered
// profiles, to call a cluster's spend low, mid or high.
func spendLevels(ps []profile.Profile, rows []int) (lo, hi float64) {
	xs := make([]float64, 0, len(rows))
	for _, i := range rows {
		xs = append(xs, math.Log1p(math.Max(float64(ps[i].Spend), 0)))
	}
	if len(xs) == 0 {
		return 0, 0
	}
	sort.Float64s(xs)
	return xs[len(xs)/3], xs[2*len(xs)/3]
}

// relationshipWord is how a label names a cluster's dominant relationship.
func relationshipWord(r profile.Relationship) string {
	switch r {
	case profile.RelationshipLostForGood:
		return "loyal"
	case profile.RelationshipIntermediate:
		return "steady"
	case profile.RelationshipAlwaysAShare:
		return "occasional"
	}
	return string(r) // lapsing, lost, inactive
}

// describeLabel names a cluster by its two strongest interests, its spend
// level and its members' dominant relationship: "Dining + Travel, high
// spend, loyal".
func describeLabel(ins []variants.Interest, meanLogSpend, lo, hi float64, mix map[profile.Relationship]int) string {
	l := label(ins)
	switch {
	case meanLogSpend >= hi:
		l += ", high spend"
	case meanLogSpend < lo:
		l += ", low spend"
	default:
		l += ", mid spend"
	}
	if best, _ := majorityRelationship(mix); best != "" {
		l += ", " + relationshipWord(best)
	}
	return l
}

// majorityRelationship returns the relationship type most of a cluster's
// members have and their share of the members; ties go to the type
// profile.Relationships lists first, committed first. It returns "" for no
// members.
func majorityRelationship(mix map[profile.Relationship]int) (profile.Relationship, float64) {
	best, n, total := profile.Relationship(""), 0, 0
	for _, rel := range profile.Relationships() {
		total += mix[rel]
		if mix[rel] > n {
			best, n = rel, mix[rel]
		}
	}
	if n == 0 {
		return "", 0
	}
	return best, float64(n) / float64(total)
}

// majorityTier returns the card tier most of a cluster's members hold and
// their share of the members, mix counting members by tier with "" for
// those without one. It returns "" when the members without a tier are at
// least as many as those of every tier; ties between tiers go to the name
// that sorts first.
func majorityTier(mix map[string]int) (string, float64) {
	tiers := make([]string, 0, len(mix))
	total := 0
	for t, n := range mix {
		total += n
		if t != "" {
			tiers = append(tiers, t)
		}
	}
	sort.Strings(tiers)
	best, n := "", mix[""]
	for _, t := range tiers {
		if mix[t] > n {
			best, n = t, mix[t]
		}
	}
	if best == "" {
		return "", 0
	}
	return best, float64(n) / float64(total)
}
