package cluster

import "math"

// Distances.
//
// Every distance between a row and a centroid that the assignment
// compares is the same arithmetic, whatever code computes it: the
// squared differences of the even columns go into one sum and those of
// the odd columns into another, each in column order, and the two sums
// are added at the end (sqDist1). Each square is added with a fused
// multiply-add (math.FMA: one rounding for the square and the sum), which
// takes one instruction where two did. On amd64 with AVX and FMA an
// assembly kernel (dist_amd64.s) computes it for four centroids at a
// time, one vector lane per centroid, with the same fused multiply-adds;
// elsewhere Go computes it, math.FMA exact on every architecture. Both
// give the same bits, so
// the pruned assignment, which computes only some distances and in
// another order, agrees exactly with comparing every row with every
// centroid.
//
// The kernel reads centroids in blocks of four, interleaved column by
// column: one vector load gives one column of four centroids, so no
// transposition is needed and each lane adds in column order.

// blockLanes is the number of centroids in a block.
const blockLanes = 4

// blocks holds centroids interleaved for the kernel: slot s of block b
// (s = b*blockLanes + lane) has its column d at
// data[(b*dim+d)*blockLanes+lane]. Slots not set hold zeros.
type blocks struct {
	dim  int
	n    int       // number of blocks
	data []float64 // n*dim*blockLanes
}

// newBlocks returns zeroed blocks for at least slots centroids of dim
// values.
func newBlocks(dim, slots int) blocks {
	n := (slots + blockLanes - 1) / blockLanes
	return blocks{dim: dim, n: n, data: make([]float64, n*dim*blockLanes)}
}

// set stores centroid c, dim values, in slot s.
func (b blocks) set(s int, c []float64) {
	base := (s/blockLanes)*b.dim*blockLanes + s%blockLanes
	for d, v := range c[:b.dim] {
		b.data[base+d*blockLanes] = v
	}
}

// dists sets out[(i-first)*blockLanes+lane] to the squared distance
// between x and the centroid in each slot of blocks [first, last), as
// sqDist1 computes it; out must hold (last-first)*blockLanes values.
func (b blocks) dists(x []float64, first, last int, out []float64) {
	dim := b.dim
	x = x[:dim]
	data := b.data[first*dim*blockLanes : last*dim*blockLanes]
	out = out[:(last-first)*blockLanes]
	if last == first || distBlocksArch(x, data, last-first, out) {
		return
	}
	distBlocksGo(x, data, out)
}

// distList sets out[i*blockLanes+lane] to the squared distance between
// x and the centroid in each slot of block idx[i], as sqDist1 computes
// it; out must hold len(idx)*blockLanes values. Every index must be
// below b.n.
func (b blocks) distList(x []float64, idx []int32, out []float64) {
	dim := b.dim
	x = x[:dim]
	out = out[:len(idx)*blockLanes]
	checkBlocks(idx, b.n)
	if len(idx) == 0 || distBlockListArch(x, b.data, idx, out) {
		return
	}
	size := dim * blockLanes
	for n, i := range idx {
		distBlocksGo(x, b.data[int(i)*size:(int(i)+1)*size], out[n*blockLanes:(n+1)*blockLanes])
	}
}

// checkBlocks panics unless every index is below n: the kernels read the
// blocks they are given without checks.
func checkBlocks(idx []int32, n int) {
	for _, i := range idx {
		if uint(i) >= uint(n) {
			panic("cluster: block index out of range")
		}
	}
}

// distBlocksGo is the kernel in Go: the distances between x and every
// centroid of the blocks in data, into out.
func distBlocksGo(x, data, out []float64) {
	dim := len(x)
	for i := range len(out) / blockLanes {
		blk := data[i*dim*blockLanes : (i+1)*dim*blockLanes]
		var s0, s1 [blockLanes]float64
		d := 0
		for ; d+1 < dim; d += 2 {
			x0, x1 := x[d], x[d+1]
			c0 := blk[d*blockLanes : (d+1)*blockLanes]
			c1 := blk[(d+1)*blockLanes : (d+2)*blockLanes]
			for l := range blockLanes {
				e0, e1 := x0-c0[l], x1-c1[l]
				s0[l] = math.FMA(e0, e0, s0[l])
				s1[l] = math.FMA(e1, e1, s1[l])
			}
		}
		if d < dim {
			c0 := blk[d*blockLanes : (d+1)*blockLanes]
			for l := range blockLanes {
				e := x[d] - c0[l]
				s0[l] = math.FMA(e, e, s0[l])
			}
		}
		for l := range blockLanes {
			out[i*blockLanes+l] = s0[l] + s1[l]
		}
	}
}

// sqDist1 returns the squared Euclidean distance between x and c, which
// must be at least as long as x: the arithmetic of every lane of the
// kernel.
func sqDist1(x, c []float64) float64 {
	c = c[:len(x)]
	var s0, s1 float64
	d := 0
	for ; d+1 < len(x); d += 2 {
		e0, e1 := x[d]-c[d], x[d+1]-c[d+1]
		s0 = math.FMA(e0, e0, s0)
		s1 = math.FMA(e1, e1, s1)
	}
	if d < len(x) {
		e := x[d] - c[d]
		s0 = math.FMA(e, e, s0)
	}
	return s0 + s1
}

// sqDist4x returns the squared Euclidean distances between x0 and c0, x1
// and c1, x2 and c2, x3 and c3, each as sqDist1 computes it, with the
// four rows' sums interleaved so that they overlap. The c's must be at
// least as long as x0, and so must the other x's.
func sqDist4x(x0, c0, x1, c1, x2, c2, x3, c3 []float64) (d0, d1, d2, d3 float64) {
	n := len(x0)
	x1, x2, x3 = x1[:n], x2[:n], x3[:n]
	c0, c1, c2, c3 = c0[:n], c1[:n], c2[:n], c3[:n]
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	d := 0
	for ; d+1 < n; d += 2 {
		e0, e1, e2, e3 := x0[d]-c0[d], x1[d]-c1[d], x2[d]-c2[d], x3[d]-c3[d]
		a0, a1 = math.FMA(e0, e0, a0), math.FMA(e1, e1, a1)
		a2, a3 = math.FMA(e2, e2, a2), math.FMA(e3, e3, a3)
		f0, f1, f2, f3 := x0[d+1]-c0[d+1], x1[d+1]-c1[d+1], x2[d+1]-c2[d+1], x3[d+1]-c3[d+1]
		b0, b1 = math.FMA(f0, f0, b0), math.FMA(f1, f1, b1)
		b2, b3 = math.FMA(f2, f2, b2), math.FMA(f3, f3, b3)
	}
	if d < n {
		e0, e1, e2, e3 := x0[d]-c0[d], x1[d]-c1[d], x2[d]-c2[d], x3[d]-c3[d]
		a0, a1 = math.FMA(e0, e0, a0), math.FMA(e1, e1, a1)
		a2, a3 = math.FMA(e2, e2, a2), math.FMA(e3, e3, a3)
	}
	return a0 + b0, a1 + b1, a2 + b2, a3 + b3
}

// filterGroups sets each lower[g] to shrink32(lower[g], moved[g]) and
// appends to idx, in ascending order, the groups g whose new bound is at
// most limit; it returns idx and the smallest new bound of the other
// groups (math.MaxFloat32 if there is none). moved must be at least as
// long as lower.
func filterGroups(lower, moved []float32, limit float32, idx []int32) ([]int32, float32) {
	idx, kept, n := filterGroupsArch(lower, moved, limit, idx)
	idx, rest := filterGroupsGo(lower[n:], moved[n:len(lower)], limit, idx, int32(n))
	return idx, min(kept, rest)
}

// scanGroups sets out[3*g], out[3*g+1] and out[3*g+2], for every group
// g, to the smallest and the second smallest of its distances (the
// second equal to the first when the smallest occurs twice) and the
// position of the smallest within the group, the first on ties, as a
// float64. The groups' distances follow one another in dists,
// nblocks[g]*blockLanes each; nblocks[g] is at least 1. Distances must
// not be NaN.
func scanGroups(dists []float64, nblocks []int32, out []float64) {
	if groupMinsArch(dists, nblocks, out) {
		return
	}
	scanGroupsGo(dists, nblocks, out)
}

// scanGroupsGo is scanGroups in Go.
func scanGroupsGo(dists []float64, nblocks []int32, out []float64) {
	pos := 0
	for g, n := range nblocks {
		ds := dists[pos : pos+int(n)*blockLanes]
		pos += len(ds)
		d1, d2, at := twoSmallest(ds)
		out[3*g], out[3*g+1], out[3*g+2] = d1, d2, float64(at)
	}
}

// twoSmallest returns the smallest and the second smallest of ds (the
// second equal to the first when the smallest occurs twice, +Inf when
// there is one value) and the position of the smallest, the first on
// ties. The values must not be NaN.
func twoSmallest[T float32 | float64](ds []T) (d1, d2 T, at int) {
	d1, d2 = T(math.Inf(1)), T(math.Inf(1))
	for t, d := range ds {
		if d < d1 {
			d1, d2, at = d, d1, t
		} else if d < d2 {
			d2 = d
		}
	}
	return d1, d2, at
}

// sqDistPairs sets out[l], for l < 4, to the squared distance between
// x[l] and c[l], as sqDist1 computes it; the x's must have the same
// length and the c's at least that.
func sqDistPairs(x, c *[4][]float64, out *[4]float64) {
	if distPairsArch(x, c, out) {
		return
	}
	out[0], out[1], out[2], out[3] = sqDist4x(x[0], c[0], x[1], c[1], x[2], c[2], x[3], c[3])
}
