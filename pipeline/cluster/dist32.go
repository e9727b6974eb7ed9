package cluster

import "math"

// Float32 distances, to filter.
//
// A search of the pruned assignment (boundedAssigner.search) computes
// the distances from a row to every centroid of the groups its bounds
// do not rule out: most of the clustering's time. With the row and a
// copy of the centroids in float32, eight centroids to a block, the
// kernel computes eight distances per instruction from half the memory.
// Those distances are not sqDist1's, but their error has a bound (see
// err32), so they rule out every centroid whose distance cannot be the
// smallest; the few they do not rule out, usually one, are computed in
// float64 as sqDist1 computes them. The assignment, its distances and
// the bounds kept between passes stay exact lower bounds, so the result
// is the same bit for bit.

// lanes32 is the number of centroids in a float32 block.
const lanes32 = 8

// blocks32 holds centroids in float32, interleaved as blocks does but
// eight to a block: slot s (s = b*lanes32 + lane) has its column d at
// data[(b*dim+d)*lanes32+lane].
type blocks32 struct {
	dim  int
	n    int // number of blocks
	data []float32
}

// newBlocks32 returns zeroed blocks for at least slots centroids of dim
// values.
func newBlocks32(dim, slots int) blocks32 {
	n := (slots + lanes32 - 1) / lanes32
	return blocks32{dim: dim, n: n, data: make([]float32, n*dim*lanes32)}
}

// set stores centroid c, dim values, rounded to the nearest float32, in
// slot s.
func (b blocks32) set(s int, c []float64) {
	base := (s/lanes32)*b.dim*lanes32 + s%lanes32
	for d, v := range c[:b.dim] {
		b.data[base+d*lanes32] = float32(v)
	}
}

// setFar fills slot s with +Inf: its distance to any row is +Inf.
func (b blocks32) setFar(s int) {
	base := (s/lanes32)*b.dim*lanes32 + s%lanes32
	for d := range b.dim {
		b.data[base+d*lanes32] = float32(math.Inf(1))
	}
}

// distList sets out[i*lanes32+lane] to the float32 squared distance
// between x and the centroid in each slot of block idx[i]; out must hold
// len(idx)*lanes32 values. Every index must be below b.n.
func (b blocks32) distList(x []float32, idx []int32, out []float32) {
	dim := b.dim
	x = x[:dim]
	out = out[:len(idx)*lanes32]
	checkBlocks(idx, b.n)
	if len(idx) == 0 || distBlockList32Arch(x, b.data, idx, out) {
		return
	}
	size := dim * lanes32
	for n, i := range idx {
		distBlock32Go(x, b.data[int(i)*size:(int(i)+1)*size], out[n*lanes32:(n+1)*lanes32])
	}
}

// distBlock32Go is the kernel in Go: the float32 squared distances
// between x and the eight centroids of the block in data, into out.
func distBlock32Go(x, data, out []float32) {
	var s0, s1 [lanes32]float32
	d := 0
	for ; d+1 < len(x); d += 2 {
		c0 := data[d*lanes32 : (d+1)*lanes32]
		c1 := data[(d+1)*lanes32 : (d+2)*lanes32]
		for l := range lanes32 {
			e0, e1 := x[d]-c0[l], x[d+1]-c1[l]
			s0[l] += e0 * e0
			s1[l] += e1 * e1
		}
	}
	if d < len(x) {
		c0 := data[d*lanes32 : (d+1)*lanes32]
		for l := range lanes32 {
			e := x[d] - c0[l]
			s0[l] += e * e
		}
	}
	for l := range lanes32 {
		out[l] = s0[l] + s1[l]
	}
}

// groupMin32 is the smallest and second smallest float32 distance of a
// group (the second equal to the first when the smallest occurs twice)
// and the position of the smallest within the group, the first on ties.
type groupMin32 struct {
	d1, d2 float32
	at     int32
}

// scanGroups32 sets out[g] for every group g; the groups' distances
// follow one another in dists, nblocks[g]*lanes32 each, nblocks[g] at
// least 1. Distances must not be NaN.
func scanGroups32(dists []float32, nblocks []int32, out []groupMin32) {
	if groupMins32Arch(dists, nblocks, out) {
		return
	}
	scanGroups32Go(dists, nblocks, out)
}

// scanGroups32Go is scanGroups32 in Go.
func scanGroups32Go(dists []float32, nblocks []int32, out []groupMin32) {
	pos := 0
	for g, n := range nblocks {
		ds := dists[pos : pos+int(n)*lanes32]
		pos += len(ds)
		d1, d2, at := twoSmallest(ds)
		out[g] = groupMin32{d1: d1, d2: d2, at: int32(at)}
	}
}

// err32 bounds the error of float32 distances. A row x and a centroid
// c of the matrix are rounded to x32 and c32, whose real distance is
// within 2^-23 (|x| + |c|) + 2^-100 of theirs (each value moves by at
// most 2^-24 of itself, or 2^-150 below float32's normal range). The
// float32 squared distance q of x32 and c32 (dim differences, squares
// added into two sums of half the columns each, then the sums added)
// is within gamma times the real squared distance S, plus abs for the
// underflow of tiny squares: |q - S| <= gamma*S + abs, with gamma
// (dim+8)*2^-23, about twice the classic bound of the summation. So,
// with e the row's error (rowError), which also covers sqrt(abs), the
// real distance of x and c lies in
//
//	[sqrt(q*(1-gamma)) - e, sqrt((q+abs)/(1-gamma)) + e].
//
// Values must be at most maxMagnitude32 in magnitude, so that no
// float32 difference, square or sum overflows, and dim at most
// maxDim32.
type err32 struct {
	gamma float64
	abs   float64
	low   float64 // (1-gamma)*(1-2^-29): under the root of the lower bound, with float64 rounding covered
}

// maxMagnitude32 and maxDim32 bound the matrices whose searches filter
// with float32 distances: differences stay below 2^57, squares below
// 2^114, and sums of 2^12 of them below 2^126.
const (
	maxMagnitude32 = 0x1p56
	maxDim32       = 1 << 12
)

func newErr32(dim int) err32 {
	gamma := float64(dim+8) * 0x1p-23
	return err32{gamma: gamma, abs: 0x1p-120, low: (1 - gamma) * (1 - 0x1p-29)}
}

// rowError returns e for a row whose norm is at most rowNorm, and
// centroids whose norms are at most cmax: the rounding to float32, and
// sqrt(abs) = 2^-60, which moves the lower bound's root by at most that
// much.
func rowError(rowNorm, cmax float64) float64 {
	return (rowNorm+cmax)*0x1p-23 + 0x1p-59
}

// norm returns at least the Euclidean norm of x: the root of its sum of
// squares, in four sums, raised by 2^-30 of itself for their rounding.
func norm(x []float64) float64 {
	var s [4]float64
	d := 0
	for ; d+4 <= len(x); d += 4 {
		for l := range 4 {
			s[l] = math.FMA(x[d+l], x[d+l], s[l])
		}
	}
	for ; d < len(x); d++ {
		s[0] = math.FMA(x[d], x[d], s[0])
	}
	return math.Sqrt((s[0]+s[1])+(s[2]+s[3])) * (1 + 0x1p-30)
}

// lower returns a float32 lower bound on the real distance of a row and
// a centroid whose float32 squared distance is q, rowErr being the row's
// error: 0 below 2^-100, and math.MaxFloat32 past float32's range (an
// infinite q). The conversion to float32 is covered by lowering by
// 2^-20, as in lower32.
func (e err32) lower(q float32, rowErr float64) float32 {
	v := math.Sqrt(float64(q)*e.low) - rowErr
	switch {
	case !(v >= 0x1p-100):
		return 0
	case v >= math.MaxFloat32:
		return math.MaxFloat32
	}
	return float32(v * (1 - 0x1p-20))
}

// upper returns an upper bound on the real distance of a row and a
// centroid whose float32 squared distance is q, rowErr being the row's
// error.
func (e err32) upper(q float32, rowErr float64) float64 {
	return math.Sqrt((float64(q)+e.abs)/(1-e.gamma))*(1+0x1p-30) + rowErr
}

// limit returns a float32 q0 such that a centroid whose float32 squared
// distance exceeds q0 has a real distance above t: sqrt(q*(1-gamma)) - e
// > t whenever q > ((t+e)(1+2^-30))^2/(1-gamma), whose float64 rounding
// the 2^-30 covers, rounded up to float32.
func (e err32) limit(t, rowErr float64) float32 {
	r := (t + rowErr) * (1 + 0x1p-30)
	return up32(r * r / (1 - e.gamma))
}

// fits32 reports whether the searches on m may filter with float32
// distances: dim and every value within the bounds err32 needs.
func fits32(m matrix) bool {
	if m.dim > maxDim32 {
		return false
	}
	for _, v := range m.data[:m.rows*m.dim] {
		if !(math.Abs(v) <= maxMagnitude32) {
			return false
		}
	}
	return true
}

// toFloat32 sets out[i] to x[i] rounded to the nearest float32, for
// every i < len(x); out must be at least as long.
func toFloat32(x []float64, out []float32) {
	out = out[:len(x)]
	for i := toFloat32Arch(x, out); i < len(x); i++ {
		out[i] = float32(x[i])
	}
}
