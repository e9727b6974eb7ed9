//go:build !amd64

package cluster

import "math"

// distBlocksArch computes no distances: distBlocksGo computes them all.
func distBlocksArch(x, data []float64, n int, out []float64) bool { return false }

// distBlockListArch computes no distances: distBlocksGo computes them
// all.
func distBlockListArch(x, data []float64, idx []int32, out []float64) bool { return false }

// filterGroupsArch filters no groups: filterGroupsGo filters them all.
func filterGroupsArch(lower, moved []float32, limit float32, idx []int32) ([]int32, float32, int) {
	return idx, math.MaxFloat32, 0
}

// groupMinsArch scans no groups: scanGroupsGo scans them all.
func groupMinsArch(dists []float64, nblocks []int32, out []float64) bool { return false }

// distPairsArch computes no distances: sqDist4x computes them.
func distPairsArch(x, c *[4][]float64, out *[4]float64) bool { return false }

// distBlockList32Arch computes no distances: distBlock32Go computes them
// all.
func distBlockList32Arch(x, data []float32, idx []int32, out []float32) bool { return false }

// groupMins32Arch scans no groups: scanGroups32Go scans them all.
func groupMins32Arch(dists []float32, nblocks []int32, out []groupMin32) bool { return false }

// toFloat32Arch converts no values: toFloat32 converts them all.
func toFloat32Arch(x []float64, out []float32) int { return 0 }
