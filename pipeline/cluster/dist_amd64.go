package cluster

import (
	"math"
	"slices"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// useAVX reports whether the CPU and the operating system support AVX,
// and the CPU FMA, which the distance kernels need. It is set once, at
// start-up.
//
// It is a fact of the machine, read once when the package starts and
// never written again by the package: an immutable table of one entry.
// Only TestAssemblyAndGoAgree switches it off, to run the Go code.
var useAVX = cpu.X86.HasAVX && cpu.X86.HasFMA

// distBlocks sets out[i], for i < 4*n, to the squared distance between
// the dim values at x and the centroid in slot i of the n blocks at
// data, as sqDist1 computes it.
//
//go:noescape
func distBlocks(x *float64, dim int, data *float64, n int, out *float64)

// distBlockList sets out[4*i+lane], for i < n, to the squared distance
// between the dim values at x and the centroid in that lane of block
// idx[i] of data, as sqDist1 computes it.
//
//go:noescape
func distBlockList(x *float64, dim int, data *float64, idx *int32, n int, out *float64)

// distBlockListArch computes blocks.distList with the assembly kernel,
// if the CPU supports AVX, and reports whether it did. The indices must
// be blocks of data.
func distBlockListArch(x, data []float64, idx []int32, out []float64) bool {
	if !useAVX || len(x) == 0 {
		return false
	}
	_ = out[len(idx)*blockLanes-1]
	distBlockList(&x[0], len(x), &data[0], &idx[0], len(idx), &out[0])
	return true
}

// distBlocksArch computes blocks.dists with the assembly kernel, if the
// CPU supports AVX, and reports whether it did. data holds the n blocks,
// out 4*n values.
func distBlocksArch(x, data []float64, n int, out []float64) bool {
	if !useAVX || len(x) == 0 {
		return false
	}
	_ = data[n*len(x)*blockLanes-1]
	_ = out[n*blockLanes-1]
	distBlocks(&x[0], len(x), &data[0], n, &out[0])
	return true
}

// filterGroups8 computes filterGroups for the first n groups, n a
// positive multiple of 8, writing the groups to search at idx and the
// running minimum of the others, per lane, at kept; it returns how many
// groups it wrote. idx must have room for n groups.
//
//go:noescape
func filterGroups8(lower *float32, moved *float32, n int, limit float32, idx *int32, kept *[8]float32) int

// filterGroupsArch runs filterGroups8 on the first len(lower) rounded
// down to a multiple of 8 groups, if the CPU supports AVX, appending to
// idx; it returns idx, the smallest bound kept and how many groups it
// filtered.
func filterGroupsArch(lower, moved []float32, limit float32, idx []int32) ([]int32, float32, int) {
	n := len(lower) &^ 7
	if !useAVX || n == 0 {
		return idx, math.MaxFloat32, 0
	}
	_ = moved[n-1]
	idx = slices.Grow(idx, n)
	var kept [8]float32
	c := filterGroups8(&lower[0], &moved[0], n, limit, unsafe.SliceData(idx[len(idx):cap(idx)]), &kept)
	m := kept[0]
	for _, v := range kept[1:] {
		m = min(m, v)
	}
	return idx[:len(idx)+c], m, n
}

// groupMins sets out[3*g], out[3*g+1] and out[3*g+2], for every g <
// groups, to the smallest and second smallest of the distances of group
// g and the position of the smallest in the group (a float64, the
// lowest on ties); the groups' distances follow one another at dists,
// nblocks[g] blocks of four each, at least one.
//
//go:noescape
func groupMins(dists *float64, nblocks *int32, groups int, out *float64)

// groupMinsArch computes scanGroups with the assembly kernel, if the CPU
// supports AVX, and reports whether it did.
func groupMinsArch(dists []float64, nblocks []int32, out []float64) bool {
	if !useAVX || len(nblocks) == 0 {
		return false
	}
	_ = dists[totalBlocks(nblocks)*blockLanes-1]
	_ = out[3*len(nblocks)-1]
	groupMins(&dists[0], &nblocks[0], len(nblocks), &out[0])
	return true
}

// distPairs sets out[l], for l < 4, to the squared distance between the
// dim values at xl and those at cl, as sqDist1 computes it.
//
//go:noescape
func distPairs(x0, c0, x1, c1, x2, c2, x3, c3 *float64, dim int, out *[4]float64)

// distPairsArch computes sqDistPairs with the assembly kernel, if the
// CPU supports AVX, and reports whether it did.
func distPairsArch(x, c *[4][]float64, out *[4]float64) bool {
	dim := len(x[0])
	if !useAVX || dim == 0 {
		return false
	}
	for l := range 4 {
		_, _ = x[l][dim-1], c[l][dim-1]
	}
	distPairs(&x[0][0], &c[0][0], &x[1][0], &c[1][0], &x[2][0], &c[2][0], &x[3][0], &c[3][0], dim, out)
	return true
}

// distBlockList32 sets out[8*i+lane], for i < n, to the float32 squared
// distance between the dim values at x and the centroid in that lane of
// block idx[i] of data, as distBlock32Go computes it.
//
//go:noescape
func distBlockList32(x *float32, dim int, data *float32, idx *int32, n int, out *float32)

// distBlockList32Arch computes blocks32.distList with the assembly
// kernel, if the CPU supports AVX, and reports whether it did. The
// indices must be blocks of data.
func distBlockList32Arch(x, data []float32, idx []int32, out []float32) bool {
	if !useAVX || len(x) == 0 {
		return false
	}
	_ = out[len(idx)*lanes32-1]
	distBlockList32(&x[0], len(x), &data[0], &idx[0], len(idx), &out[0])
	return true
}

// groupMins32 sets out[g], for every g < groups, as scanGroups32 does;
// the groups' distances follow one another at dists, nblocks[g] blocks
// of eight each, at least one.
//
//go:noescape
func groupMins32(dists *float32, nblocks *int32, groups int, out *groupMin32)

// groupMins32Arch computes scanGroups32 with the assembly kernel, if the
// CPU supports AVX, and reports whether it did.
func groupMins32Arch(dists []float32, nblocks []int32, out []groupMin32) bool {
	if !useAVX || len(nblocks) == 0 {
		return false
	}
	_ = dists[totalBlocks(nblocks)*lanes32-1]
	_ = out[len(nblocks)-1]
	groupMins32(&dists[0], &nblocks[0], len(nblocks), &out[0])
	return true
}

// convert32 sets out[i] to x[i] rounded to the nearest float32, for i <
// n, n a positive multiple of 4.
//
//go:noescape
func convert32(x *float64, n int, out *float32)

// toFloat32Arch converts the first len(x) rounded down to a multiple of
// 4 values with the assembly kernel, if the CPU supports AVX, and
// returns how many it converted.
func toFloat32Arch(x []float64, out []float32) int {
	n := len(x) &^ 3
	if !useAVX || n == 0 {
		return 0
	}
	_ = out[n-1]
	convert32(&x[0], n, &out[0])
	return n
}

// totalBlocks returns the sum of nblocks, for the bounds checks before
// the group scans, which read every block without checks; it panics on a
// group without blocks.
func totalBlocks(nblocks []int32) int {
	total := 0
	for _, n := range nblocks {
		if n < 1 {
			panic("cluster: empty group")
		}
		total += int(n)
	}
	return total
}
