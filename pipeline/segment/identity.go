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
	// Flows says, per variant of either month, where its cardholders
	// came from and went, sorted by variant id; empty when last month's
	// assignments could not be read.
	Flows []Flow `json:"flows,omitempty"`
}

// Flow is how one variant's cardholders moved since last month. Stayed,
// MovedIn and New are its cardholders this month: those in it both
// months, those in another variant last month and those not assigned
// last month. Stayed, MovedOut and Left are its cardholders last month:
// MovedOut are in another variant now, Left are not clustered this
// month. A retired variant has only MovedOut and Left, a born one only
// MovedIn and New.
type Flow struct {
	Variant  string `json:"variant"`
	Stayed   int    `json:"stayed"`
	MovedIn  int    `json:"moved_in"`
	New      int    `json:"new"`
	MovedOut int    `json:"moved_out"`
	Left     int    `json:"left"`
}

// MatchPrevious gives clusters the variant ids of last month's clusters,
// one to one by nearest centroid (greedily, the closest pair first); new
// clusters get fresh ids after last month's highest. It returns nil, and
// leaves clusters alone, when there is no previous month (prev is nil) or
// it clustered on other features. The caller sets PreviousMonth, Changed
// and Flows (see Flows).
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

// Flows compares the clustering with last month's assignments, before,
// which maps a cardholder id to last month's variant (as ReadAssignments
// returns it); clusters[i] is cluster i of c. It returns the number of
// cardholders in both months whose variant changed, and the flow of every
// variant of either month, sorted by variant id. Cardholder ids are unique
// in c.Profiles, as ingest makes them, so the flows reconcile: their
// Stayed+MovedIn+New sum to the clustered rows, their Stayed+MovedOut+Left
// to len(before), and their MovedIn and MovedOut each to changed.
func Flows(c Clustering, clusters []Cluster, before map[string]string) (changed int, flows []Flow) {
	at := map[string]*Flow{}
	flow := func(v string) *Flow {
		f := at[v]
		if f == nil {
			f = &Flow{Variant: v}
			at[v] = f
		}
		return f
	}
	for _, cl := range clusters {
		flow(cl.Variant)
	}
	for row, cl := range c.Assign {
		now := clusters[cl].Variant
		was, ok := before[c.Profiles[c.Rows[row]].ID]
		switch {
		case !ok:
			flow(now).New++
		case was == now:
			flow(now).Stayed++
		default:
			flow(now).MovedIn++
			flow(was).MovedOut++
			changed++
		}
	}
	// Left is what remains of each variant's cardholders of last month
	// once those that stayed or moved out are counted.
	for _, v := range before {
		flow(v).Left++
	}
	flows = make([]Flow, 0, len(at))
	for _, f := range at {
		f.Left -= f.Stayed + f.MovedOut
		flows = append(flows, *f)
	}
	sort.Slice(flows, func(i, j int) bool { return flows[i].Variant < flows[j].Variant })
	return changed, flows
}
