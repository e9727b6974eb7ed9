package cluster

import "math"

// assigner is the assignment step of Lloyd's algorithm: it finds the
// nearest centroid of each row. It is the part a faster exact method
// (bounds such as Yinyang's, vectorised kernels) replaces.
//
// Implementations must be exact, returning the nearest centroid with the
// lowest index on ties, and must compute each row's result the same way
// whatever other rows are processed with it, so that the clustering does
// not depend on how the rows are split among goroutines.
type assigner interface {
	// prepare is called before each assignment pass with that pass's
	// centroids, k*dim values, row-major; they do not change during the
	// pass.
	prepare(centroids []float64)
	// assign sets assign[i-lo] and dist[i-lo], for every row i in
	// [lo, hi), to the row's nearest centroid and its squared distance
	// to it, and returns how many entries of assign changed. Calls on
	// disjoint row ranges may run concurrently.
	assign(lo, hi int, assign []int32, dist []float64) (changed int)
}

// exactAssigner compares every row with every centroid.
type exactAssigner struct {
	m      matrix
	k      int
	blocks blocks // this pass's centroids, slot j holding centroid j
}

var _ assigner = (*exactAssigner)(nil)

func (a *exactAssigner) prepare(centroids []float64) {
	if a.blocks.data == nil {
		a.blocks = newBlocks(a.m.dim, a.k)
	}
	for j := range a.k {
		a.blocks.set(j, centroids[j*a.m.dim:(j+1)*a.m.dim])
	}
}

func (a *exactAssigner) assign(lo, hi int, assign []int32, dist []float64) int {
	assign, dist = assign[:hi-lo], dist[:hi-lo]
	buf := make([]float64, a.blocks.n*blockLanes)
	changed := 0
	for r := range assign {
		best, bestDist := nearest(a.m.row(lo+r), a.blocks, a.k, buf)
		if assign[r] != best {
			assign[r] = best
			changed++
		}
		dist[r] = bestDist
	}
	return changed
}

// nearest returns the index of the centroid nearest to x among the
// first k slots of b, the lowest on ties, and the squared distance to
// it. buf holds b.n*blockLanes distances.
//
// Every distance between a row and a centroid is the same sum, whatever
// code computes it (see sqDist1). So the pruned assigner, which
// computes only some distances and in another order, gets the same
// values bit for bit and so the same assignment.
func nearest(x []float64, b blocks, k int, buf []float64) (int32, float64) {
	b.dists(x, 0, b.n, buf)
	best, bestDist := int32(0), math.Inf(1)
	for j, d := range buf[:k] {
		if d < bestDist {
			best, bestDist = int32(j), d
		}
	}
	return best, bestDist
}
