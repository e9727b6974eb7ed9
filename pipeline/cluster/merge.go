package cluster

import "math"

// mergeSmall merges every cluster of r with fewer than minSize rows
// into the cluster whose centroid is nearest (the lowest number on
// ties), the smallest first (the lowest number on ties), until none is
// left or one cluster remains; clusters with no rows are dropped.
// Distances are between r's centroids, those of the clusters before
// any merge. It returns the number of clusters left, the new number of
// each of r's clusters (into[c], -1 for a cluster with no rows; the
// clusters left keep the order of r's numbering) and the means of the
// clusters left, k*dim values. r is left alone.
//
// The merged clusters need not be k-means clusters: a row of a small
// cluster may be nearer another centroid than the one it joined, and
// the merged means move. The caller runs Lloyd's iterations from them.
func mergeSmall(m matrix, r *Result, minSize int) (k int, into []int, centroids []float64) {
	sizes := append([]int(nil), r.Sizes...)
	alive := 0
	for _, n := range sizes {
		if n > 0 {
			alive++
		}
	}
	target := make([]int, r.K) // the cluster each cluster's rows end in
	for c := range target {
		target[c] = c
	}
	for alive > 1 {
		small := -1
		for c, n := range sizes {
			if n > 0 && n < minSize && (small < 0 || n < sizes[small]) {
				small = c
			}
		}
		if small < 0 {
			break
		}
		best, bestDist := -1, math.Inf(1)
		for c, n := range sizes {
			if c == small || n == 0 {
				continue
			}
			if d := sqDist1(r.Centroid(small), r.Centroid(c)); best < 0 || d < bestDist {
				best, bestDist = c, d
			}
		}
		sizes[best] += sizes[small]
		sizes[small] = 0
		alive--
		for c := range target {
			if target[c] == small {
				target[c] = best
			}
		}
	}
	index := make([]int, r.K) // the new number of each cluster left
	for c, n := range sizes {
		if n > 0 {
			index[c] = k
			k++
		}
	}
	into = make([]int, r.K)
	for c, t := range target {
		into[c] = -1
		if sizes[t] > 0 {
			into[c] = index[t]
		}
	}
	dim := m.dim
	centroids = make([]float64, k*dim)
	counts := make([]int, k)
	for i, a := range r.Assign {
		c := into[a]
		s := centroids[c*dim : (c+1)*dim]
		for d, v := range m.row(i) {
			s[d] += v
		}
		counts[c]++
	}
	for c, n := range counts {
		s := centroids[c*dim : (c+1)*dim]
		for d := range s {
			s[d] /= float64(n)
		}
	}
	return k, into, centroids
}
