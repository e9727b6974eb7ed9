// Package segment turns a k-means clustering of cardholder profiles into
// the preference groups variants are planned from: each group's
// interests, label, tier and relationship majorities, and its identity
// from one month to the next; and the formats of clusters.json and
// assignments.csv.
//
// It knows nothing of how the clustering was made: the caller runs
// k-means (merging small clusters with cluster.Config.MinSize) and hands
// over the assignments and centroids.
package segment

import (
	"math"
	"sort"
	"sync"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/variants"
)

// File is clusters.json.
//
// Iterations, Converged and Inertia describe the final clusters, those
// listed: Inertia is the sum of the squared distances of every
// clustered row to its cluster's centroid, in the space of Features.
// Merged counts the clusters merged into their neighbours for being
// below the minimum audience (with k = "auto"): k-means first ran with
// K+Merged clusters and ran again after each merge, and Iterations
// counts the iterations of every run.
type File struct {
	K          int       `json:"k"`
	Seed       uint64    `json:"seed"`
	Features   []string  `json:"features"`
	Rows       int       `json:"rows"`
	Iterations int       `json:"iterations"`
	Converged  bool      `json:"converged"`
	Inertia    float64   `json:"inertia"`
	Merged     int       `json:"merged,omitempty"`
	Population []Share   `json:"population"`
	Clusters   []Cluster `json:"clusters"`
	// Identity relates the clusters to last month's, when there was a
	// last month; WarmStart says k-means started from its centroids.
	Identity  *Identity `json:"identity,omitempty"`
	WarmStart bool      `json:"warm_start,omitempty"`
}

// Share is an interest's share of the whole population's spend.
type Share struct {
	Interest string  `json:"interest"`
	Share    float64 `json:"share"`
}

// Cluster is one preference group: what planning needs to know of it,
// and its centroid.
type Cluster struct {
	variants.Cluster
	Centroid []float64 `json:"centroid"`
}

// Clustering is a clustering of profiles, as Describe and Flows read it.
type Clustering struct {
	// Profiles are all profiles; Rows[i] is the index in Profiles of
	// clustered row i.
	Profiles []profile.Profile
	Rows     []int
	// Dim is the number of features of a row.
	Dim int
	// Assign is the cluster of each row, 0 to K-1.
	Assign []int32
	// Centroids holds K*Dim values, row-major; Sizes counts each
	// cluster's rows.
	Centroids []float64
	Sizes     []int
	K         int
}

// Describe builds the groups of a clustering of profiles. Population is
// each interest's share of the spend of all profiles, clustered or not, in
// taxonomy order. Cluster i is cluster i of c, with variant id
// variants.ID(i), its size, the members who get mail, its five strongest
// interests over the population by its members' mean shares, as
// profile.TopInterests ranks them, its label (see Label and describeLabel),
// its majority tier and relationship type, and a copy of its centroid.
func Describe(tax *profile.Taxonomy, c Clustering) (population []Share, clusters []Cluster) {
	ps, k := c.Profiles, c.K
	// Four passes over the profiles, side by side, each adding up in row
	// order as it would alone.
	var wg sync.WaitGroup
	var pop []float64
	wg.Go(func() { pop = profile.Population(ps, tax.Len()) })
	eligible := make([]int, k)
	mixes := make([]map[profile.Relationship]int, k)
	tierMixes := make([]map[string]int, k)
	logSpend := make([]float64, k)
	wg.Go(func() {
		for cl := range mixes {
			mixes[cl] = map[profile.Relationship]int{}
			tierMixes[cl] = map[string]int{}
		}
		for row, cl := range c.Assign {
			p := &ps[c.Rows[row]]
			if p.Status() == profile.StatusMail {
				eligible[cl]++
			}
			mixes[cl][p.Relationship]++
			tierMixes[cl][p.Tier]++
			logSpend[cl] += math.Log1p(math.Max(float64(p.Spend), 0))
		}
	})
	var lo, hi float64
	wg.Go(func() { lo, hi = spendLevels(ps, c.Rows) })
	// A cluster's interests are its members' mean shares: the centroid's
	// share columns when clustering on shares, and the only measure when
	// clustering on pre-aggregated features.
	n := tax.Len()
	meanShares := make([]float64, k*n)
	wg.Go(func() {
		for row, cl := range c.Assign {
			for j, v := range ps[c.Rows[row]].Shares {
				meanShares[int(cl)*n+j] += v
			}
		}
	})
	wg.Wait()
	for i, in := range tax.Interests() {
		population = append(population, Share{in.ID, pop[i]})
	}
	for cl := 0; cl < k; cl++ {
		centroid := c.Centroids[cl*c.Dim : (cl+1)*c.Dim]
		shares := meanShares[cl*n : (cl+1)*n]
		for j := range shares {
			shares[j] /= float64(max(c.Sizes[cl], 1))
		}
		item := Cluster{Centroid: append([]float64(nil), centroid...)}
		item.Variant = variants.ID(cl)
		item.ID, item.Size, item.Eligible = cl, c.Sizes[cl], eligible[cl]
		for _, ri := range profile.TopInterests(tax, shares, pop, 5) {
			item.Interests = append(item.Interests, variants.Interest{ID: ri.Interest.ID, Name: ri.Interest.Name, Share: ri.Share, Lift: ri.Lift})
		}
		item.Label = describeLabel(labelInterests(tax, shares, pop), logSpend[cl]/float64(max(c.Sizes[cl], 1)), lo, hi, mixes[cl])
		// The majorities describe the cluster; they choose no block.
		item.Tier, item.TierShare = MajorityTier(tierMixes[cl])
		rel, share := MajorityRelationship(mixes[cl])
		item.Relationship, item.RelationshipShare = string(rel), share
		clusters = append(clusters, item)
	}
	return population, clusters
}

// minLabelShare is the share of a cluster's spend an interest needs to be
// named in the cluster's label: the share variants.Options asks of an
// interest block by default.
const minLabelShare = 0.05

// otherInterest is the id of the taxonomy's catch-all interest "other",
// the spending of merchant codes no interest covers.
const otherInterest = "other"

// Label names a cluster by its strongest interests. ins are the cluster's
// interests, in any order, each with its share of the cluster's spend and
// its lift over the population. An interest may be named only when its
// lift is above 1 (the cluster spends more of its money on it than all
// cardholders do) and its share is at least 0.05; "other", the spending
// of unmapped merchant codes, never is. Of those, the strongest is the one
// of highest lift; equal lifts go to the larger share, then to the id that
// sorts first. Label names the two strongest, "Dining + Travel", the only
// one, "Dining", or, when none may be named, "Mixed spending".
func Label(ins []variants.Interest) string {
	var named []variants.Interest
	for _, in := range ins {
		if in.Lift > 1 && in.Share >= minLabelShare && in.ID != otherInterest {
			named = append(named, in)
		}
	}
	sort.SliceStable(named, func(i, j int) bool {
		a, b := named[i], named[j]
		if a.Lift != b.Lift {
			return a.Lift > b.Lift
		}
		if a.Share != b.Share {
			return a.Share > b.Share
		}
		return a.ID < b.ID
	})
	switch len(named) {
	case 0:
		return "Mixed spending"
	case 1:
		return named[0].Name
	}
	return named[0].Name + " + " + named[1].Name
}

// labelInterests returns every interest of a cluster's mean shares but
// "other", with its share and lift over the population pop, for Label to
// choose from: the strongest by Label's rule need not be among the five a
// cluster lists.
func labelInterests(tax *profile.Taxonomy, shares, pop []float64) []variants.Interest {
	var ins []variants.Interest
	for _, ri := range profile.TopInterests(tax, shares, pop, tax.Len()) {
		ins = append(ins, variants.Interest{ID: ri.Interest.ID, Name: ri.Interest.Name, Share: ri.Share, Lift: ri.Lift})
	}
	return ins
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

// describeLabel names a cluster by its interests (see Label), its spend
// level and its members' dominant relationship: "Dining + Travel, high
// spend, loyal". The spend level compares the mean log spend of the
// cluster's members with the tertiles lo and hi of the clustered
// cardholders' (see spendLevels): low below lo, high at or above hi and
// above lo, mid otherwise.
func describeLabel(ins []variants.Interest, meanLogSpend, lo, hi float64, mix map[profile.Relationship]int) string {
	l := Label(ins)
	switch {
	case hi == 0 && meanLogSpend == 0:
		// No spend to compare: pre-aggregated profiles without a spend
		// column.
	case meanLogSpend+1e-9 >= hi && meanLogSpend > lo:
		// (A mean of equal logs can fall an ulp short of them.)
		// Above lo too: when most cardholders spend alike the tertiles
		// meet, and a cluster of the population's smallest spenders would
		// reach hi.
		l += ", high spend"
	case meanLogSpend < lo:
		l += ", low spend"
	default:
		l += ", mid spend"
	}
	if best, _ := MajorityRelationship(mix); best != "" && best != profile.RelationshipUnknown {
		l += ", " + relationshipWord(best)
	}
	return l
}

// MajorityRelationship returns the relationship type most of a cluster's
// members have and their share of the members, mix counting members by
// type; ties go to the type profile.Relationships lists first, committed
// first. It returns "" for no members.
func MajorityRelationship(mix map[profile.Relationship]int) (profile.Relationship, float64) {
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

// MajorityTier returns the card tier most of a cluster's members hold and
// their share of the members, mix counting members by tier with "" for
// those without one. It returns "" when the members without a tier are at
// least as many as those of every tier; ties between tiers go to the name
// that sorts first.
func MajorityTier(mix map[string]int) (string, float64) {
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
