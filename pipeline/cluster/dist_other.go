//go:build !amd64

package cluster

// sqDistSlotsArch computes no distances: sqDistSlots's pure-Go loop
// computes them all.
func sqDistSlotsArch(x, base []float64, slots []int32, out []float64) int { return 0 }

// sqDistRowsArch computes no distances: sqDistRows's pure-Go loop
// computes them all.
func sqDistRowsArch(x, centroids, out []float64) int { return 0 }
