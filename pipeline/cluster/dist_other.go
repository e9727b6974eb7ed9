//go:build !amd64

package cluster

import "math"

// sqDistSlotsArch computes no distances: sqDistSlots's pure-Go loop
// computes them all.
func sqDistSlotsArch(x, base []float64, slots []int32, out []float64) int { return 0 }

// sqDistRowsArch computes no distances: sqDistRows's pure-Go loop
// computes them all.
func sqDistRowsArch(x, centroids, out []float64) int { return 0 }

// filterGroupsArch filters no groups: filterGroupsGo filters them all.
func filterGroupsArch(lower, moved []float32, limit float32, idx []int32) ([]int32, float32, int) {
	return idx, math.MaxFloat32, 0
}
