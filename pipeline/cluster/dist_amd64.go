package cluster

import (
	"math"
	"slices"
	"unsafe"
)

// useAVX reports whether the CPU and the operating system support AVX,
// which the distance kernels need. It is set once, at start-up.
//
// It is a fact of the machine, read once when the package starts and
// never written again: an immutable table of one entry.
var useAVX = hasAVX()

// hasAVX reports whether the CPU supports AVX and the operating system
// saves the YMM registers.
func hasAVX() bool

// dist4Slots sets out[i], for i < n, to the squared distance between the
// dim values at x and the dim values at base+slots[i]*dim, lane by lane
// as sqDist1 computes it. n must be a positive multiple of 4.
//
//go:noescape
func dist4Slots(x *float64, dim int, base *float64, slots *int32, n int, out *float64)

// dist4Rows sets out[i], for i < n, to the squared distance between the
// dim values at x and the dim values at base+i*dim. n must be a positive
// multiple of 4.
//
//go:noescape
func dist4Rows(x *float64, dim int, base *float64, n int, out *float64)

// sqDistSlotsArch computes the first len(slots) rounded down to a
// multiple of 4 of sqDistSlots's distances with the assembly kernel, if
// the CPU supports it, and returns how many it computed.
func sqDistSlotsArch(x, base []float64, slots []int32, out []float64) int {
	n := len(slots) &^ 3
	dim := len(x)
	if !useAVX || n == 0 || dim == 0 {
		return 0
	}
	// The kernel does not check bounds: check them here, once.
	rows := len(base) / dim
	for _, s := range slots[:n] {
		if uint(s) >= uint(rows) {
			panic("cluster: slot out of range")
		}
	}
	_ = out[n-1]
	dist4Slots(&x[0], dim, &base[0], &slots[0], n, &out[0])
	return n
}

// sqDistRowsArch computes the first len(out) rounded down to a multiple
// of 4 of sqDistRows's distances with the assembly kernel, if the CPU
// supports it, and returns how many it computed. centroids holds
// len(out) centroids.
func sqDistRowsArch(x, centroids, out []float64) int {
	n := len(out) &^ 3
	dim := len(x)
	if !useAVX || n == 0 || dim == 0 {
		return 0
	}
	_ = centroids[n*dim-1]
	dist4Rows(&x[0], dim, &centroids[0], n, &out[0])
	return n
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
