package segment

import (
	"math"
	"sort"
)

// MergeSmall merges every cluster with fewer than min members into the
// cluster whose centroid is nearest, smallest first, until none is left
// or one cluster remains; clusters with no members are dropped. data holds
// one row of dim values per element of assign, centroids k rows. It
// rewrites assign and returns the surviving clusters' new centroids (the
// means of their members), their sizes and their number, renumbered by
// decreasing size, ties by index.
func MergeSmall(data []float64, dim int, assign []int32, centroids []float64, k, min int) (centroidsOut []float64, sizes []int, kOut int) {
	sizes = make([]int, k)
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
