package cluster

import (
	"context"
	"math"
	"sync/atomic"
)

// Pruning with distance bounds.
//
// boundedAssigner is exact: it returns the assignment and distances of
// exactAssigner bit for bit, but skips most distance computations once
// the centroids settle. It keeps, for every row, lower bounds on the
// distances to the centroids of each group (a fixed partition of the
// centroids), excluding the row's own centroid:
//
//   - with one group (k < yinyangMinK) this is Hamerly's algorithm, a
//     lower bound on the distance to the second-nearest centroid;
//   - with about k/10 groups, formed once by k-means on the initial
//     centroids, it is the simplified Yinyang algorithm of Newling and
//     Fleuret (groups filtered, no per-centroid filtering).
//
// After the centroids move, each bound drops by the largest movement in
// its group. Each pass then computes the distance d to the row's own
// centroid (needed anyway for an exact inertia), and only the groups
// whose bound does not exceed d are searched. A row is also left alone
// when its centroid's nearest other centroid is more than 2d away.
//
// Bounds hold for the exact real distances: every bound derived from a
// computed distance is widened by a relative slack rho, far above the
// rounding error of a sum of dim squares, plus an absolute slack alpha
// above what underflow can lose. A centroid is skipped only when its
// lower bound exceeds the row's computed distance widened the same way,
// so its computed distance is strictly larger than the row's: skipped
// centroids could neither win nor tie. Among the centroids computed,
// the smallest distance wins, then the lowest index, as in nearest.
//
// Memory: rows*groups float32 bounds (rounded down) and one int32 per
// row; no rows-by-k matrix.
type boundedAssigner struct {
	m          matrix
	k          int
	groups     int
	rho, alpha float64 // slacks, see lowerBound and upperBound
	group      []int32 // k: group of each centroid
	start      []int   // groups+1: group g owns slots [start[g], start[g+1])
	slot       []int32 // k: centroid in each slot, ascending within a group
	packed     []float64
	prev       []float64 // k*dim: the previous pass's centroids
	hasPrev    bool
	centroids  []float64    // k*dim: this pass's centroids
	drift      []float64    // groups: largest movement bound in each group
	driftNext  []float64    // groups: second largest
	driftArg   []int32      // groups: the centroid that moved most
	sepLow     []float64    // k: lower bound on the distance to the nearest other centroid
	own        []int32      // rows: the centroid the bounds exclude, -1 for none
	lower      []float32    // rows*groups
	computed   atomic.Int64 // distances computed, over all passes
	passes     int          // calls to prepare
}

var _ assigner = (*boundedAssigner)(nil)

// yinyangMinK is the smallest k that gets centroid groups; below it
// there is a single group, as in Hamerly's algorithm.
const yinyangMinK = 32

// groupIterations caps the k-means iterations that group the centroids.
const groupIterations = 10

// newBoundedAssigner prepares a pruned assigner for m with k centroids,
// grouping the initial centroids with a k-means seeded by seed.
func newBoundedAssigner(ctx context.Context, m matrix, k int, centroids []float64, seed uint64) (*boundedAssigner, error) {
	groups := 1
	if k >= yinyangMinK {
		groups = k / 10
	}
	group := make([]int32, k)
	if groups > 1 {
		var err error
		group, groups, err = groupCentroids(ctx, centroids, m.dim, k, groups, seed)
		if err != nil {
			return nil, err
		}
	}
	a := &boundedAssigner{
		m:         m,
		k:         k,
		groups:    groups,
		rho:       max(1e-10, 16*float64(m.dim+4)*0x1p-53),
		alpha:     1e-150,
		group:     group,
		start:     make([]int, groups+1),
		slot:      make([]int32, k),
		packed:    make([]float64, k*m.dim),
		prev:      make([]float64, k*m.dim),
		drift:     make([]float64, groups),
		driftNext: make([]float64, groups),
		driftArg:  make([]int32, groups),
		sepLow:    make([]float64, k),
		own:       make([]int32, m.rows),
		lower:     make([]float32, m.rows*groups),
	}
	for _, g := range group {
		a.start[g+1]++
	}
	for g := range groups {
		a.start[g+1] += a.start[g]
	}
	next := append([]int(nil), a.start[:groups]...)
	for j, g := range group {
		a.slot[next[g]] = int32(j)
		next[g]++
	}
	for i := range a.own {
		a.own[i] = -1
	}
	return a, nil
}

// groupCentroids partitions the k centroids into at most groups groups
// with a few serial k-means iterations seeded by k-means++, and returns
// each centroid's group and the number of non-empty groups.
func groupCentroids(ctx context.Context, centroids []float64, dim, k, groups int, seed uint64) ([]int32, int, error) {
	cm := matrix{data: centroids[:k*dim], dim: dim, rows: k}
	centres, err := seedPlusPlus(ctx, cm, groups, seed^0x9e3779b97f4a7c15, 1)
	if err != nil {
		return nil, 0, err
	}
	group := make([]int32, k)
	sums := make([]float64, groups*dim)
	counts := make([]int, groups)
	for it := range groupIterations {
		moved := false
		for j := range k {
			if g, _ := nearest(cm.row(j), centres); it == 0 || g != group[j] {
				group[j], moved = g, true
			}
		}
		if !moved {
			break
		}
		clear(sums)
		clear(counts)
		for j, g := range group {
			s := sums[int(g)*dim : (int(g)+1)*dim]
			for d, v := range cm.row(j) {
				s[d] += v
			}
			counts[g]++
		}
		for g, n := range counts {
			if n > 0 {
				for d := range dim {
					centres[g*dim+d] = sums[g*dim+d] / float64(n)
				}
			}
		}
	}
	// Drop empty groups, keeping the order of the others.
	renumber := make([]int32, groups)
	n := int32(0)
	clear(counts)
	for _, g := range group {
		counts[g]++
	}
	for g, c := range counts {
		renumber[g] = n
		if c > 0 {
			n++
		}
	}
	for j, g := range group {
		group[j] = renumber[g]
	}
	return group, int(n), nil
}

// upperBound returns an upper bound on the real distance whose square
// was computed as d2. Compared with another bound it also leaves a
// margin: a centroid whose lower bound exceeds upperBound(d2) has a
// computed squared distance strictly above d2.
func (a *boundedAssigner) upperBound(d2 float64) float64 {
	return math.Sqrt(d2)*(1+a.rho) + a.alpha
}

// lowerBound returns a lower bound on the real distance whose square was
// computed as d2.
func (a *boundedAssigner) lowerBound(d2 float64) float64 {
	return math.Sqrt(d2)*(1-a.rho) - a.alpha
}

// shrink returns a lower bound on l - delta, where l is a lower bound
// and delta an upper bound, despite rounding; never negative.
func (a *boundedAssigner) shrink(l float32, delta float64) float32 {
	r := float64(l) - delta
	if r <= 0 {
		return 0
	}
	return down32(r * (1 - a.rho))
}

// down32 rounds v >= 0 down to a float32 (to the largest finite one
// above that range); negative values become 0.
func down32(v float64) float32 {
	switch {
	case !(v > 0):
		return 0
	case v >= math.MaxFloat32:
		return math.MaxFloat32
	}
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, 0)
	}
	return f
}

func (a *boundedAssigner) prepare(centroids []float64) {
	dim, k := a.m.dim, a.k
	a.centroids = centroids[:k*dim]
	a.passes++
	for s, j := range a.slot {
		copy(a.packed[s*dim:(s+1)*dim], a.centroids[int(j)*dim:(int(j)+1)*dim])
	}
	// How far each centroid moved since the last pass, at most.
	clear(a.drift)
	clear(a.driftNext)
	for g := range a.driftArg {
		a.driftArg[g] = -1
	}
	for j := range k {
		c := a.centroids[j*dim : (j+1)*dim]
		delta := math.Inf(1)
		if a.hasPrev {
			delta = a.upperBound(sqDist1(c, a.prev[j*dim:(j+1)*dim]))
		}
		g := a.group[j]
		switch {
		case delta > a.drift[g] || a.driftArg[g] < 0:
			a.driftNext[g] = a.drift[g]
			a.drift[g], a.driftArg[g] = delta, int32(j)
		case delta > a.driftNext[g]:
			a.driftNext[g] = delta
		}
	}
	copy(a.prev, a.centroids)
	a.hasPrev = true
	// Each centroid's distance to its nearest other centroid, at least.
	for j := range a.sepLow {
		a.sepLow[j] = math.Inf(1)
	}
	for i := range k {
		ci := a.centroids[i*dim : (i+1)*dim]
		for j := i + 1; j < k; j++ {
			d := a.lowerBound(sqDist1(ci, a.centroids[j*dim:(j+1)*dim]))
			a.sepLow[i] = min(a.sepLow[i], d)
			a.sepLow[j] = min(a.sepLow[j], d)
		}
	}
}

// groupBest is the result of searching one group for a row.
type groupBest struct {
	group  int
	best   int32   // nearest centroid in the group, lowest index on ties
	d1, d2 float64 // squared distances to the nearest and second nearest
}

// search computes x's distance to every centroid of group g.
func (a *boundedAssigner) search(x []float64, g int) groupBest {
	dim := a.m.dim
	r := groupBest{group: g, best: -1, d1: math.Inf(1), d2: math.Inf(1)}
	add := func(d float64, j int32) {
		if d < r.d1 || (d == r.d1 && j < r.best) {
			r.d2 = r.d1
			r.d1, r.best = d, j
		} else if d < r.d2 {
			r.d2 = d
		}
	}
	s, end := a.start[g], a.start[g+1]
	for ; s+4 <= end; s += 4 {
		c := a.packed[s*dim : (s+4)*dim]
		d0, d1, d2, d3 := sqDist4(x, c[:dim], c[dim:2*dim], c[2*dim:3*dim], c[3*dim:4*dim])
		add(d0, a.slot[s])
		add(d1, a.slot[s+1])
		add(d2, a.slot[s+2])
		add(d3, a.slot[s+3])
	}
	for ; s < end; s++ {
		add(sqDist1(x, a.packed[s*dim:(s+1)*dim]), a.slot[s])
	}
	return r
}

func (a *boundedAssigner) assign(lo, hi int, assign []int32, dist []float64) int {
	dim, groups := a.m.dim, a.groups
	assign, dist = assign[:hi-lo], dist[:hi-lo]
	found := make([]groupBest, 0, groups)
	changed, computed := 0, 0
	for r := range assign {
		i := lo + r
		x := a.m.row(i)
		lower := a.lower[i*groups : (i+1)*groups]
		own := assign[r]
		if own < 0 || own != a.own[i] {
			// No bounds for this row: search everything.
			found = found[:0]
			best, bestDist := int32(-1), math.Inf(1)
			for g := range groups {
				f := a.search(x, g)
				if f.d1 < bestDist || (f.d1 == bestDist && f.best < best) {
					best, bestDist = f.best, f.d1
				}
				found = append(found, f)
			}
			for _, f := range found {
				lower[f.group] = a.boundExcluding(f, best)
			}
			computed += a.k
			if assign[r] != best {
				assign[r] = best
				changed++
			}
			a.own[i] = best
			dist[r] = bestDist
			continue
		}

		ownGroup := int(a.group[own])
		for g := range lower {
			delta := a.drift[g]
			if g == ownGroup && a.driftArg[g] == own {
				delta = a.driftNext[g]
			}
			lower[g] = a.shrink(lower[g], delta)
		}
		ownDist := sqDist1(x, a.centroids[int(own)*dim:(int(own)+1)*dim])
		computed++
		limit := a.upperBound(ownDist)
		dist[r] = ownDist
		if a.sepLow[own] > 2*limit {
			continue
		}
		found = found[:0]
		best, bestDist := own, ownDist
		ownSearched := false
		for g, l := range lower {
			if float64(l) > limit {
				continue
			}
			f := a.search(x, g)
			computed += a.start[g+1] - a.start[g]
			if f.d1 < bestDist || (f.d1 == bestDist && f.best < best) {
				best, bestDist = f.best, f.d1
			}
			ownSearched = ownSearched || g == ownGroup
			found = append(found, f)
		}
		for _, f := range found {
			lower[f.group] = a.boundExcluding(f, best)
		}
		if best != own {
			if !ownSearched {
				lower[ownGroup] = min(lower[ownGroup], down32(a.lowerBound(ownDist)))
			}
			assign[r] = best
			a.own[i] = best
			dist[r] = bestDist
			changed++
		}
	}
	a.computed.Add(int64(computed))
	return changed
}

// boundExcluding returns the lower bound for f's group, whose distances
// were all computed, excluding the row's centroid best.
func (a *boundedAssigner) boundExcluding(f groupBest, best int32) float32 {
	d := f.d1
	if f.best == best {
		d = f.d2
	}
	if math.IsInf(d, 1) {
		return math.MaxFloat32
	}
	return down32(a.lowerBound(d))
}
