package cluster

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
)

// Pruning with distance bounds.
//
// boundedAssigner is exact: it returns the assignment and distances of
// exactAssigner bit for bit, but skips most distance computations once
// the centroids settle. It keeps, for every row, lower bounds on the
// distances to the centroids of each group (a fixed partition of the
// centroids), excluding the row's own centroid, and a global lower bound,
// the smallest of them:
//
//   - with one group (k < yinyangMinK) this is Hamerly's algorithm, a
//     lower bound on the distance to the second-nearest centroid;
//   - with about k/20 groups, formed once by k-means on the initial
//     centroids, it is the simplified Yinyang algorithm of Newling and
//     Fleuret (groups filtered, no per-centroid filtering).
//
// After the centroids move, each bound drops by the largest movement in
// its group (the global bound by the largest of all). Each pass computes
// the distance d to the row's own centroid (needed anyway for an exact
// inertia); the row is done if its global bound exceeds d, or if its
// centroid's nearest other centroid is more than 2d away. Otherwise only
// the groups whose bound does not exceed d are searched. Bounds are
// brought up to date lazily: the assigner keeps the running sums of the
// groups' movements over the last boundRing passes, so a row that the
// global bound settles costs O(1) besides its one distance. A row
// without bounds (in the first pass, or after the empty-cluster repair
// moved it) is compared with the groups' centres first: a group's
// distances are at least the distance to its centre minus its radius,
// so only the groups that this does not rule out are searched.
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
// Memory: rows*(groups+1) float32 bounds (rounded down) and two int32
// per row; no rows-by-k matrix.
type boundedAssigner struct {
	// spare holds the workers' scratch between chunks (scratch). Not a
	// sync.Pool: the runtime's list of pools would keep the assigner, and
	// its bounds, alive past the collection after the clustering.
	spareMu    sync.Mutex
	spare      []*scratch
	m          matrix
	k          int
	groups     int
	rho, alpha float64 // slacks, see lowerBound and upperBound
	lowScale   float64 // (1-rho)*(1-2^-20), see lower32
	group      []int32 // k: group of each centroid
	start      []int   // groups+1: group g owns slots [start[g], start[g+1]), a whole number of blocks
	end        []int   // groups: group g's centroids are in slots [start[g], end[g]), the rest pads
	slot       []int32 // start[groups]: centroid in each slot, ascending within a group, -1 for pads
	packed     blocks  // this pass's centroids, by slot
	// The float32 filter of the searches (dist32.go), when use32: the
	// groups' slots again, in whole blocks of lanes32, and the pass's
	// centroids in float32 by those slots.
	use32     bool
	err32     err32
	start32   []int     // groups+1: group g owns slots [start32[g], start32[g+1])
	slot32    []int32   // start32[groups]: centroid in each slot, ascending within a group, -1 for pads
	packed32  blocks32  // this pass's centroids in float32, by slot32
	cmax      float64   // at least the largest norm of this pass's centroids
	norm      []float64 // rows: at least each row's norm
	prev      []float64 // k*dim: the previous pass's centroids
	centroids []float64 // k*dim: this pass's centroids
	sepLow    []float64 // k: lower bound on the distance to the nearest other centroid
	// sepGroup holds, for each centroid and group (at j*groups+g), a
	// lower bound on the distance from the centroid to the group's other
	// centroids: a row near a centroid is no nearer to centroids far
	// from it (searchFresh).
	sepGroup []float64
	// cum holds, for each of the last boundRing passes t (at t%boundRing),
	// groups+1 running sums of upper bounds on movements: per group of
	// its largest movement, and last, of the largest of all.
	cum []float64
	// since holds, for each of the last boundRing passes e (at
	// e%boundRing), upper bounds on how far each group's centroids, and
	// last all centroids, moved over passes (e, passes].
	since        []float64
	since32      []float32    // since, rounded up to float32
	centres      []float64    // groups*dim: the mean of each group's initial centroids
	centreBlocks blocks       // the centres, by group
	radius       []float64    // groups: upper bound on the distance from the centre to the group's centroids
	own          []int32      // rows: the centroid the bounds exclude, -1 for none
	epoch        []int32      // rows: the pass the row's bounds are as of
	lower        []float32    // rows*(groups+1): per group, then global
	computed     atomic.Int64 // distances computed, over all passes
	passes       int          // calls to prepare
	workers      int          // goroutines for prepare's centroid distances, at least 1
}

var _ assigner = (*boundedAssigner)(nil)

// yinyangMinK is the smallest k that gets centroid groups; below it
// there is a single group, as in Hamerly's algorithm.
const yinyangMinK = 32

// groupIterations caps the k-means iterations that group the centroids.
const groupIterations = 10

// boundRing is how many passes of movement sums the assigner keeps; a
// row's bounds are brought up to date at least that often.
const boundRing = 64

// newBoundedAssigner prepares a pruned assigner for m with k centroids,
// grouping the initial centroids with a k-means seeded by seed; each pass's
// preparation runs on up to workers goroutines.
func newBoundedAssigner(ctx context.Context, m matrix, k int, centroids []float64, seed uint64, workers int) (*boundedAssigner, error) {
	groups := 1
	if k >= yinyangMinK {
		groups = k / 20
	}
	group := make([]int32, k)
	if groups > 1 {
		var err error
		group, groups, err = groupCentroids(ctx, centroids, m.dim, k, groups, seed)
		if err != nil {
			return nil, err
		}
	}
	rho := max(1e-10, 16*float64(m.dim+4)*0x1p-53)
	a := &boundedAssigner{
		m:        m,
		k:        k,
		groups:   groups,
		rho:      rho,
		alpha:    1e-150,
		lowScale: (1 - rho) * (1 - 0x1p-20),
		group:    group,
		start:    make([]int, groups+1),
		end:      make([]int, groups),
		prev:     make([]float64, k*m.dim),
		sepLow:   make([]float64, k),
		sepGroup: make([]float64, k*groups),
		cum:      make([]float64, boundRing*(groups+1)),
		since:    make([]float64, boundRing*(groups+1)),
		since32:  make([]float32, boundRing*(groups+1)),
		own:      make([]int32, m.rows),
		epoch:    make([]int32, m.rows),
		lower:    make([]float32, m.rows*(groups+1)),
		workers:  max(workers, 1),
	}
	// Each group's slots start a block: the kernel computes whole
	// blocks, and the slots past a group's end (pads) are never read.
	size := make([]int, groups)
	for _, g := range group {
		size[g]++
	}
	for g, n := range size {
		a.end[g] = a.start[g] + n
		a.start[g+1] = a.start[g] + (n+blockLanes-1)/blockLanes*blockLanes
	}
	a.slot = make([]int32, a.start[groups])
	for s := range a.slot {
		a.slot[s] = -1
	}
	next := append([]int(nil), a.start[:groups]...)
	for j, g := range group {
		a.slot[next[g]] = int32(j)
		next[g]++
	}
	a.packed = newBlocks(m.dim, len(a.slot))
	far := make([]float64, m.dim)
	for d := range far {
		far[d] = padValue
	}
	for s, j := range a.slot {
		if j < 0 {
			a.packed.set(s, far)
		}
	}
	for i := range a.own {
		a.own[i] = -1
	}
	if fits32(m) {
		a.use32, a.err32 = true, newErr32(m.dim)
		a.start32 = make([]int, groups+1)
		for g, n := range size {
			a.start32[g+1] = a.start32[g] + (n+lanes32-1)/lanes32*lanes32
		}
		a.slot32 = make([]int32, a.start32[groups])
		for s := range a.slot32 {
			a.slot32[s] = -1
		}
		a.packed32 = newBlocks32(m.dim, len(a.slot32))
		a.norm = make([]float64, m.rows)
		for i := range m.rows {
			a.norm[i] = norm(m.row(i))
		}
		for g := range groups {
			s := a.start32[g]
			for _, j := range a.slot[a.start[g]:a.end[g]] {
				a.slot32[s] = j
				s++
			}
			for ; s < a.start32[g+1]; s++ {
				a.packed32.setFar(s)
			}
		}
	}
	a.centres = make([]float64, groups*m.dim)
	a.radius = make([]float64, groups)
	for g := range groups {
		c := a.centres[g*m.dim : (g+1)*m.dim]
		for _, j := range a.slot[a.start[g]:a.end[g]] {
			for d, v := range centroids[int(j)*m.dim : (int(j)+1)*m.dim] {
				c[d] += v
			}
		}
		for d := range c {
			c[d] /= float64(a.end[g] - a.start[g])
		}
	}
	a.centreBlocks = newBlocks(m.dim, groups)
	for g := range groups {
		a.centreBlocks.set(g, a.centres[g*m.dim:(g+1)*m.dim])
	}
	return a, nil
}

// padValue fills every column of the pads, the slots past a group's
// centroids. Inputs, and so centroids, are at most maxMagnitude = 1e100
// in magnitude: a row's squared distance to a pad is about 1e300 per
// column, to a centroid at most 4e200 per column, so a pad is never
// nearest, nor second nearest unless its group has one centroid.
const padValue = 1e150

// groupCentroids partitions the k centroids into at most groups groups
// with a few serial k-means iterations seeded by k-means++, and returns
// each centroid's group and the number of non-empty groups.
func groupCentroids(ctx context.Context, centroids []float64, dim, k, groups int, seed uint64) ([]int32, int, error) {
	cm := matrix{data: centroids[:k*dim], dim: dim, rows: k}
	centres, err := seedPlusPlus(ctx, cm, groups, seed^0x9e3779b97f4a7c15, 1, 1)
	if err != nil {
		return nil, 0, err
	}
	group := make([]int32, k)
	sums := make([]float64, groups*dim)
	counts := make([]int, groups)
	cb := newBlocks(dim, groups)
	buf := make([]float64, cb.n*blockLanes)
	for it := range groupIterations {
		for g := range groups {
			cb.set(g, centres[g*dim:(g+1)*dim])
		}
		moved := false
		for j := range k {
			if g, _ := nearest(cm.row(j), cb, groups, buf); it == 0 || g != group[j] {
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

// shrinkFactor is 1-2^-20, by which shrink32 lowers a difference.
const shrinkFactor float32 = 1 - 0x1p-20

// shrink32 returns a lower bound on l - m, where l is a lower bound
// and m an upper bound, despite rounding; never negative. The float32
// difference is at most 2^-24 of itself too large and so is the
// product; lowering by 2^-20 more than covers both. A difference in the
// subnormal range is exact, and the product, rounded to nearest, cannot
// exceed it. An infinite m gives 0.
//
// filterGroups computes it for many groups at a time, in the same
// float32 operations (subtract, maximum with 0, multiply), so both give
// the same bits.
func shrink32(l, m float32) float32 {
	return max(l-m, 0) * shrinkFactor
}

// up32 returns a float32 at least v >= 0 (+Inf past the float32 range):
// in float32's normal range, v raised by 2^-20 of itself and rounded to
// nearest, which cannot fall below v; elsewhere v rounded up exactly.
func up32(v float64) float32 {
	if v >= 0x1p-100 && v <= 0x1p100 {
		return float32(v * (1 + 0x1p-20))
	}
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// filterGroupsGo is filterGroups in Go, for CPUs without AVX and for
// the groups past the last multiple of eight.
func filterGroupsGo(lower, moved []float32, limit float32, idx []int32, base int32) ([]int32, float32) {
	kept := float32(math.MaxFloat32)
	moved = moved[:len(lower)]
	for g, l := range lower {
		r := shrink32(l, moved[g])
		lower[g] = r
		if r <= limit {
			idx = append(idx, base+int32(g))
		} else {
			kept = min(kept, r)
		}
	}
	return idx, kept
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
	// Rounded up, f > v > 0: the float32 below it, towards 0, is the one
	// whose bits are one less (math.Nextafter32(f, 0)), without a branch.
	var up uint32
	if float64(f) > v {
		up = 1
	}
	return math.Float32frombits(math.Float32bits(f) - up)
}

func (a *boundedAssigner) prepare(centroids []float64) {
	dim, k, groups := a.m.dim, a.k, a.groups
	a.centroids = centroids[:k*dim]
	for s, j := range a.slot {
		if j >= 0 {
			a.packed.set(s, a.centroids[int(j)*dim:(int(j)+1)*dim])
		}
	}
	if a.use32 {
		a.cmax = 0
		for s, j := range a.slot32 {
			if j >= 0 {
				c := a.centroids[int(j)*dim : (int(j)+1)*dim]
				a.packed32.set(s, c)
				a.cmax = max(a.cmax, norm(c))
			}
		}
	}
	// How far each group's centroids moved since the last pass, at
	// most, added to the running sums. No row has bounds before the
	// first pass, so nothing moved then.
	prevSums := a.cum[(a.passes%boundRing)*(groups+1) : (a.passes%boundRing+1)*(groups+1)]
	a.passes++
	sums := a.cum[(a.passes%boundRing)*(groups+1) : (a.passes%boundRing+1)*(groups+1)]
	clear(sums)
	if a.passes > 1 {
		for j := range k {
			delta := a.upperBound(sqDist1(a.centroids[j*dim:(j+1)*dim], a.prev[j*dim:(j+1)*dim]))
			g := a.group[j]
			sums[g] = max(sums[g], delta)
		}
		for g := range groups {
			sums[groups] = max(sums[groups], sums[g])
		}
		for g, s := range prevSums {
			sums[g] += s
		}
	}
	copy(a.prev, a.centroids)
	// The groups' radii, for rows without bounds.
	for g := range a.radius {
		c, r := a.centres[g*dim:(g+1)*dim], 0.0
		for _, j := range a.slot[a.start[g]:a.end[g]] {
			r = max(r, a.upperBound(sqDist1(c, a.centroids[int(j)*dim:(int(j)+1)*dim])))
		}
		a.radius[g] = r
	}
	// The movements since each of the passes in the ring. The running
	// sums are rounded; the slack covers their rounding errors.
	slack := float64(a.passes+2) * 0x1p-50
	for e := max(1, a.passes-boundRing+1); e <= a.passes; e++ {
		then := a.cum[(e%boundRing)*(groups+1) : (e%boundRing+1)*(groups+1)]
		out := a.since[(e%boundRing)*(groups+1) : (e%boundRing+1)*(groups+1)]
		out32 := a.since32[(e%boundRing)*(groups+1) : (e%boundRing+1)*(groups+1)]
		for g, now := range sums {
			out[g] = (now - then[g]) + now*slack
			out32[g] = up32(out[g])
		}
	}
	// Each centroid's distance to its nearest other centroid, at least:
	// k*k distances, on the workers in contiguous ranges of centroids.
	per := (k + a.workers - 1) / a.workers
	var wg sync.WaitGroup
	for lo := 0; lo < k; lo += per {
		wg.Go(func() { a.separation(lo, min(lo+per, k)) })
	}
	wg.Wait()
}

// separation sets sepLow and sepGroup for centroids [lo, hi).
func (a *boundedAssigner) separation(lo, hi int) {
	dim, groups := a.m.dim, a.groups
	buf := make([]float64, len(a.slot))
	for i := lo; i < hi; i++ {
		a.packed.dists(a.centroids[i*dim:(i+1)*dim], 0, a.packed.n, buf)
		near := math.Inf(1)
		for g := range groups {
			nearG := math.Inf(1)
			for s := a.start[g]; s < a.end[g]; s++ {
				if int(a.slot[s]) != i {
					nearG = min(nearG, buf[s])
				}
			}
			a.sepGroup[i*groups+g] = a.lowerBound(nearG)
			near = min(near, nearG)
		}
		a.sepLow[i] = a.lowerBound(near)
	}
}

// groupBest is the result of searching one group for a row.
type groupBest struct {
	group int32
	// best is the group's nearest centroid, lowest index on ties, or
	// with float32 distances the nearest by those.
	best int32
	// d1 and d2 are the squared distances to best and to the second
	// nearest: float32 ones if the search set the scratch's rowErr,
	// float64 ones if it set it to -1.
	d1, d2 float64
}

// searchFresh finds the centroid nearest to x, a row without bounds,
// and sets its group bounds; it returns the centroid, its distance and
// the number of distances computed. With several groups, it bounds each
// group's distances from x's distance to the group's centre minus the
// group's radius, searches the most promising group, then the groups
// whose bound, raised to the group's distance from the centroid found
// minus the row's distance to it when that is more, does not exceed the
// distance found so far.
func (a *boundedAssigner) searchFresh(x []float64, lower []float32, s *scratch) (int32, float64, int) {
	groups := a.groups
	s.groups = s.groups[:0]
	if groups == 1 {
		s.groups = append(s.groups, 0)
		best, bestDist := a.search(x, s, -1, math.Inf(1))
		lower[0] = a.boundExcluding(s.found[0], best, s)
		return best, bestDist, a.k
	}
	a.centreBlocks.dists(x, 0, a.centreBlocks.n, s.centre)
	cb := s.centre[:groups]
	first := 0
	for g, d := range cb {
		if r := a.lowerBound(d) - a.radius[g]; r > 0 {
			cb[g] = r * (1 - a.rho)
		} else {
			cb[g] = 0
		}
		if cb[g] < cb[first] {
			first = g
		}
	}
	computed := groups + a.end[first] - a.start[first]
	s.groups = append(s.groups, int32(first))
	best, bestDist := a.search(x, s, -1, math.Inf(1))
	f0 := s.found[0]
	limit := a.upperBound(bestDist)
	s.groups = s.groups[:0]
	// A group's centroids are also at least their distance to best
	// minus the row's distance to best away (the triangle inequality):
	// most groups lie far beyond a row near its centroid.
	sep := a.sepGroup[int(best)*groups : (int(best)+1)*groups]
	for g, b := range cb {
		if r := (sep[g] - limit) * (1 - a.rho); r > b {
			b = r
		}
		if g != first && b <= limit {
			s.groups = append(s.groups, int32(g))
			computed += a.end[g] - a.start[g]
		}
		lower[g] = down32(b) // for the groups not searched
	}
	s.found = s.found[:0]
	if len(s.groups) > 0 {
		best, bestDist = a.search(x, s, best, bestDist)
	}
	lower[first] = a.boundExcluding(f0, best, s)
	for _, f := range s.found {
		lower[f.group] = a.boundExcluding(f, best, s)
	}
	return best, bestDist, computed
}

// scratch is one assign call's working memory.
type scratch struct {
	centre  []float64 // groups: distances to the group centres
	x32     []float32 // dim: the row searched, in float32
	norm    float64   // with float32 distances, at least the norm of the row searched
	rowErr  float64   // the row's error (rowError) if the last search used float32 distances, else -1
	d32     []float32 // float32 distances to the slots of the blocks, in order
	mins32  []groupMin32
	found   []groupBest // groups searched
	blocks  []int32     // the blocks of the groups to search
	nblocks []int32     // how many blocks each of those groups has
	mins    []float64   // 3 per group searched: see scanGroups
	dists   []float64   // distances to the slots of those blocks, in order
	rows    []int       // rows with bounds
	groups  []int32     // groups to search, ascending
}

// search computes x's distances to every centroid of the groups in
// s.groups (ascending), sets s.found, and returns the nearest of them
// and seed, at squared distance seedDist (-1 and +Inf for none), and
// its distance, the lowest index on ties.
//
// The groups' slots are whole blocks of packed, all computed with one
// call of the kernel, which then works on four blocks at a time most of
// the time (the pads' distances are not used). Each group is
// then scanned for its nearest and second-nearest centroid without
// branches: distances are never negative nor NaN, so their bit patterns
// order as the values do, and integer minimums compile to conditional
// moves.
func (a *boundedAssigner) search(x []float64, s *scratch, seed int32, seedDist float64) (int32, float64) {
	if a.use32 {
		return a.search32(x, s, seed, seedDist)
	}
	s.blocks, s.nblocks = s.blocks[:0], s.nblocks[:0]
	for _, g := range s.groups {
		first, last := a.start[g]/blockLanes, a.start[g+1]/blockLanes
		for b := first; b < last; b++ {
			s.blocks = append(s.blocks, int32(b))
		}
		s.nblocks = append(s.nblocks, int32(last-first))
	}
	a.packed.distList(x, s.blocks, s.dists)
	mins := s.mins[:3*len(s.groups)]
	scanGroups(s.dists, s.nblocks, mins)
	s.found, s.rowErr = s.found[:0], -1
	best, bestDist := seed, seedDist
	for n, g := range s.groups {
		// Slots hold ascending centroids within a group, so the first
		// smallest distance is the lowest index on ties; pads are
		// farther than any centroid.
		f := groupBest{group: g, best: a.slot[a.start[g]+int(mins[3*n+2])], d1: mins[3*n], d2: mins[3*n+1]}
		if f.d1 < bestDist || (f.d1 == bestDist && f.best < best) {
			best, bestDist = f.best, f.d1
		}
		s.found = append(s.found, f)
	}
	return best, bestDist
}

// search32 is search with the float32 filter: it computes the float32
// distances to every centroid of the groups, then in float64 those of
// the centroids they cannot rule out (err32.limit) against the nearest
// by float32 distances and against the seed, and bounds each group from
// its float32 distances (err32.lower). A row that stays with its
// centroid, the seed, usually needs no float64 distance at all.
func (a *boundedAssigner) search32(x []float64, s *scratch, seed int32, seedDist float64) (int32, float64) {
	toFloat32(x, s.x32)
	rowErr := rowError(s.norm, a.cmax)
	// The loop of search with float32 blocks, written out: the block
	// size a constant, in the innermost loop of the clustering (a shared
	// function with the size as an argument cost 1% of its time).
	s.blocks, s.nblocks = s.blocks[:0], s.nblocks[:0]
	for _, g := range s.groups {
		first, last := a.start32[g]/lanes32, a.start32[g+1]/lanes32
		for b := first; b < last; b++ {
			s.blocks = append(s.blocks, int32(b))
		}
		s.nblocks = append(s.nblocks, int32(last-first))
	}
	s.found, s.rowErr = s.found[:0], rowErr
	if len(s.groups) == 0 {
		return seed, seedDist
	}
	a.packed32.distList(s.x32[:len(x)], s.blocks, s.d32)
	mins := s.mins32[:len(s.groups)]
	scanGroups32(s.d32, s.nblocks, mins)
	// Only centroids whose float32 distances do not rule them out
	// against the nearest by those, nor against the seed, are computed.
	near := 0
	for n := range mins {
		if mins[n].d1 < mins[near].d1 {
			near = n
		}
	}
	t := a.err32.upper(mins[near].d1, rowErr)*(1+4*a.rho) + 2*a.alpha
	best, bestDist := seed, seedDist
	if seed >= 0 {
		t = min(t, a.upperBound(seedDist))
	}
	limit := a.err32.limit(t, rowErr)
	dim := a.m.dim
	pos := 0
	for n, g := range s.groups {
		ds := s.d32[pos*lanes32 : (pos+int(s.nblocks[n]))*lanes32]
		pos += int(s.nblocks[n])
		slots := a.slot32[a.start32[g]:]
		nearest := slots[mins[n].at]
		switch {
		case mins[n].d1 > limit:
		case mins[n].d2 > limit:
			// Only the group's nearest by float32 distances is within
			// the limit.
			if j := nearest; j != seed {
				if d := sqDist1(x, a.centroids[int(j)*dim:(int(j)+1)*dim]); d < bestDist || (d == bestDist && j < best) {
					best, bestDist = j, d
				}
			}
		default:
			for t, q := range ds {
				if q > limit {
					continue
				}
				if j := slots[t]; j >= 0 && j != seed {
					if d := sqDist1(x, a.centroids[int(j)*dim:(int(j)+1)*dim]); d < bestDist || (d == bestDist && j < best) {
						best, bestDist = j, d
					}
				}
			}
		}
		s.found = append(s.found, groupBest{group: g, best: nearest, d1: float64(mins[n].d1), d2: float64(mins[n].d2)})
	}
	return best, bestDist
}

// scratch returns a worker's scratch for a chunk of rows rows: one the
// pool holds, or a new one. A pass over a million rows calls assign for
// every chunk; scratch allocated anew each time came to 400 MB of garbage
// at k = 1,349, which the collector had to chase while the run's profiles
// were all alive.
func (a *boundedAssigner) scratch(rows int) *scratch {
	var s *scratch
	a.spareMu.Lock()
	if n := len(a.spare); n > 0 {
		s, a.spare = a.spare[n-1], a.spare[:n-1]
	}
	a.spareMu.Unlock()
	if s == nil {
		groups := a.groups
		s = &scratch{
			found:   make([]groupBest, 0, groups),
			blocks:  make([]int32, 0, a.packed.n),
			nblocks: make([]int32, 0, groups),
			mins:    make([]float64, 3*groups),
			dists:   make([]float64, len(a.slot)),
			groups:  make([]int32, 0, groups),
			centre:  make([]float64, a.centreBlocks.n*blockLanes),
		}
		if a.use32 {
			s.blocks = make([]int32, 0, max(a.packed.n, a.packed32.n))
			s.x32 = make([]float32, a.m.dim)
			s.d32 = make([]float32, len(a.slot32))
			s.mins32 = make([]groupMin32, groups)
		}
	}
	if cap(s.rows) < rows {
		s.rows = make([]int, 0, rows)
	}
	s.rows = s.rows[:0]
	return s
}

func (a *boundedAssigner) assign(lo, hi int, assign []int32, dist []float64) int {
	dim, groups, now := a.m.dim, a.groups, a.passes
	assign, dist = assign[:hi-lo], dist[:hi-lo]
	s := a.scratch(hi - lo)
	defer func() {
		a.spareMu.Lock()
		a.spare = append(a.spare, s)
		a.spareMu.Unlock()
	}()
	// The distance of every row with bounds to its own centroid, four
	// rows at a time.
	for r, own := range assign {
		if own >= 0 && own == a.own[lo+r] {
			s.rows = append(s.rows, r)
		}
	}
	computed := len(s.rows)
	for n := 0; n < len(s.rows); n += 4 {
		var x, c [4][]float64
		for l := range 4 {
			r := s.rows[min(n+l, len(s.rows)-1)]
			o := int(assign[r])
			x[l], c[l] = a.m.row(lo+r), a.centroids[o*dim:(o+1)*dim]
		}
		var ds [4]float64
		sqDistPairs(&x, &c, &ds)
		for l, d := range ds {
			if n+l < len(s.rows) {
				dist[s.rows[n+l]] = d
			}
		}
	}

	changed := 0
	for r := range assign {
		i := lo + r
		x := a.m.row(i)
		bounds := a.lower[i*(groups+1) : (i+1)*(groups+1)]
		lower, global := bounds[:groups], &bounds[groups]
		own := assign[r]
		if a.use32 {
			s.norm = a.norm[i]
		}
		if own < 0 || own != a.own[i] {
			// No bounds for this row.
			best, bestDist, n := a.searchFresh(x, lower, s)
			computed += n
			*global = minBound(lower)
			a.epoch[i] = int32(now)
			if assign[r] != best {
				assign[r] = best
				changed++
			}
			a.own[i] = best
			dist[r] = bestDist
			continue
		}

		ownDist := dist[r]
		limit := a.upperBound(ownDist)
		epoch := int(a.epoch[i])
		fresh := now-epoch < boundRing-1
		if fresh && a.sepLow[own] > 2*limit {
			continue
		}
		moved := a.since32[(epoch%boundRing)*(groups+1) : (epoch%boundRing+1)*(groups+1)]
		if fresh && shrink32(*global, moved[groups]) > up32(limit) {
			continue
		}
		// Bring the group bounds up to date, then search the groups
		// they do not rule out. The new global bound is the smallest
		// of the group bounds, those of searched groups set below.
		var newGlobal float32
		s.groups, newGlobal = filterGroups(lower, moved[:groups], up32(limit), s.groups[:0])
		a.epoch[i] = int32(now)
		best, bestDist := own, ownDist
		ownGroup, ownSearched := int(a.group[own]), false
		if len(s.groups) > 0 {
			best, bestDist = a.search(x, s, own, ownDist)
			for _, g := range s.groups {
				computed += a.end[g] - a.start[g]
				ownSearched = ownSearched || int(g) == ownGroup
			}
			for _, f := range s.found {
				lower[f.group] = a.boundExcluding(f, best, s)
				newGlobal = min(newGlobal, lower[f.group])
			}
		}
		if best != own {
			if !ownSearched {
				lower[ownGroup] = min(lower[ownGroup], down32(a.lowerBound(ownDist)))
				newGlobal = min(newGlobal, lower[ownGroup])
			}
			assign[r] = best
			a.own[i] = best
			dist[r] = bestDist
			changed++
		}
		*global = newGlobal
	}
	a.computed.Add(int64(computed))
	return changed
}

// minBound returns the smallest of bounds.
func minBound(bounds []float32) float32 {
	m := float32(math.MaxFloat32)
	for _, b := range bounds {
		m = min(m, b)
	}
	return m
}

// boundExcluding returns the lower bound for f's group, whose distances
// were all computed, excluding the row's centroid best.
func (a *boundedAssigner) boundExcluding(f groupBest, best int32, s *scratch) float32 {
	d := f.d1
	if f.best == best {
		d = f.d2
	}
	switch {
	case s.rowErr >= 0:
		return a.err32.lower(float32(d), s.rowErr)
	case math.IsInf(d, 1):
		return math.MaxFloat32
	}
	return a.lower32(d)
}

// lower32 returns a float32 lower bound on the real distance whose
// square was computed as d2: down32(lowerBound(d2)) or a little less,
// without its exact rounding. lowerBound's result is lowered by 2^-20
// of itself, more than the conversion to float32 can add (2^-24) in
// float32's normal range, and more than alpha when the result is at
// least 2^-100; smaller results become 0.
func (a *boundedAssigner) lower32(d2 float64) float32 {
	v := math.Sqrt(d2) * a.lowScale
	switch {
	case !(v >= 0x1p-100):
		return 0
	case v >= math.MaxFloat32:
		return math.MaxFloat32
	}
	return float32(v)
}
