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
	m         matrix
	k         int
	centroids []float64
}

var _ assigner = (*exactAssigner)(nil)

func (a *exactAssigner) prepare(centroids []float64) { a.centroids = centroids }

func (a *exactAssigner) assign(lo, hi int, assign []int32, dist []float64) int {
	centroids := a.centroids[:a.k*a.m.dim]
	assign, dist = assign[:hi-lo], dist[:hi-lo]
	changed := 0
	for r := range assign {
		best, bestDist := nearest(a.m.row(lo+r), centroids)
		if assign[r] != best {
			assign[r] = best
			changed++
		}
		dist[r] = bestDist
	}
	return changed
}

// nearest returns the index of the centroid nearest to x, the lowest
// on ties, and the squared distance to it. The centroids are len(x)
// values each, row-major. It computes the distances in batches with
// sqDistRows, which compares x with several centroids at a time.
//
// Every distance between a row and a centroid is the same sum, whatever
// kernel computes it: sqDistRows, sqDistSlots, sqDist4's lanes and
// sqDist1 add the squared differences one after the other in column
// order. So the pruned assigner, which computes only some distances and
// in another order, gets the same values bit for bit and so the same
// assignment.
func nearest(x, centroids []float64) (int32, float64) {
	dim := len(x)
	best, bestDist := int32(0), math.Inf(1)
	if dim == 0 {
		return best, 0 // every centroid is at distance 0
	}
	var buf [64]float64
	for j := 0; j*dim < len(centroids); j += len(buf) {
		ds := buf[:min(len(buf), len(centroids)/dim-j)]
		sqDistRows(x, centroids[j*dim:], ds)
		for n, d := range ds {
			if d < bestDist {
				best, bestDist = int32(j+n), d
			}
		}
	}
	return best, bestDist
}

// sqDist4 returns the squared Euclidean distances between x and each of
// c0, c1, c2 and c3, which must be at least as long as x.
func sqDist4(x, c0, c1, c2, c3 []float64) (s0, s1, s2, s3 float64) {
	c0, c1, c2, c3 = c0[:len(x)], c1[:len(x)], c2[:len(x)], c3[:len(x)]
	for i, v := range x {
		e0 := v - c0[i]
		e1 := v - c1[i]
		e2 := v - c2[i]
		e3 := v - c3[i]
		s0 += e0 * e0
		s1 += e1 * e1
		s2 += e2 * e2
		s3 += e3 * e3
	}
	return s0, s1, s2, s3
}

// sqDist returns the squared Euclidean distance between x and c, which
// must be at least as long as x. It keeps four independent sums so that
// the additions can overlap.
func sqDist(x, c []float64) float64 {
	c = c[:len(x)]
	var s0, s1, s2, s3 float64
	for len(x) >= 4 && len(c) >= 4 {
		d0 := x[0] - c[0]
		d1 := x[1] - c[1]
		d2 := x[2] - c[2]
		d3 := x[3] - c[3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		x, c = x[4:], c[4:]
	}
	for i, v := range x {
		d := v - c[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// sqDist1 returns the squared Euclidean distance between x and c, which
// must be at least as long as x, adding the squared differences in
// column order: the same arithmetic as each lane of sqDist4.
func sqDist1(x, c []float64) float64 {
	c = c[:len(x)]
	var s float64
	for i, v := range x {
		e := v - c[i]
		s += e * e
	}
	return s
}
