package cluster

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// value32 returns a random value for the float32 tests, within
// maxMagnitude32: mostly ordinary, sometimes tiny (below float32's
// normal range, or below its smallest value), large, zero, or an offset
// far larger than the differences between rows.
func value32(rng *rand.Rand) float64 {
	v := rng.NormFloat64()
	switch rng.IntN(9) {
	case 0:
		v *= 0x1p50
	case 1:
		v *= 1e-40 // float32 subnormal
	case 2:
		v *= 1e-150 // float32 zero
	case 3:
		v *= math.Pow(10, float64(rng.IntN(31)-15))
	case 4:
		v = 0
	case 5:
		v = 1e7 + v*1e-3 // a large offset
	}
	return v
}

// realDistance returns the exact squared Euclidean distance of x and c
// and its square root, to far more bits than float64 holds.
func realDistance(x, c []float64) (*big.Float, *big.Float) {
	const prec = 2400 // differences and squares of float64 values are exact
	s := new(big.Float).SetPrec(prec)
	for d := range x {
		e := new(big.Float).SetPrec(prec).SetFloat64(x[d])
		e.Sub(e, new(big.Float).SetPrec(prec).SetFloat64(c[d]))
		s.Add(s, e.Mul(e, e))
	}
	return s, new(big.Float).SetPrec(prec).Sqrt(s)
}

// checkErr32 checks, for x and the centroids in c (k of them), that the
// float32 distances of the assembly kernel and of the Go one give lower
// and upper bounds on the real distances, and that no centroid within a
// distance t is ruled out by limit(t).
func checkErr32(t *testing.T, x, c []float64, k int) {
	t.Helper()
	dim := len(x)
	b := newBlocks32(dim, k)
	cmax := 0.0
	for j := range k {
		b.set(j, c[j*dim:(j+1)*dim])
		cmax = max(cmax, norm(c[j*dim:(j+1)*dim]))
	}
	x32 := make([]float32, dim)
	toFloat32(x, x32)
	for d, v := range x {
		if x32[d] != float32(v) {
			t.Fatalf("value %d: %v in float32 is %v, want %v", d, v, x32[d], float32(v))
		}
	}
	idx := make([]int32, b.n)
	for i := range idx {
		idx[i] = int32(i)
	}
	kernel := make([]float32, b.n*lanes32)
	b.distList(x32, idx, kernel)
	goq := make([]float32, b.n*lanes32)
	for i := range b.n {
		distBlock32Go(x32, b.data[i*dim*lanes32:(i+1)*dim*lanes32], goq[i*lanes32:(i+1)*lanes32])
	}
	e := newErr32(dim)
	rowErr := rowError(norm(x), cmax)
	for j := range k {
		_, real := realDistance(x, c[j*dim:(j+1)*dim])
		for _, q := range []float32{kernel[j], goq[j]} {
			lo := e.lower(q, rowErr)
			hi := e.upper(q, rowErr)
			if new(big.Float).SetFloat64(float64(lo)).Cmp(real) > 0 {
				t.Fatalf("dim %d, centroid %d: lower bound %g above the distance %s (q %g)", dim, j, lo, real.Text('g', 20), q)
			}
			if !math.IsInf(hi, 1) && new(big.Float).SetFloat64(hi).Cmp(real) < 0 {
				t.Fatalf("dim %d, centroid %d: upper bound %g below the distance %s (q %g)", dim, j, hi, real.Text('g', 20), q)
			}
			// A centroid at most t away is never ruled out, whether t
			// is the distance rounded up or a little more.
			d, _ := real.Float64()
			for _, tt := range []float64{math.Nextafter(d, math.Inf(1)), d * (1 + 1e-9), d * 1.5} {
				if new(big.Float).SetFloat64(tt).Cmp(real) < 0 {
					continue
				}
				if lim := e.limit(tt, rowErr); q > lim {
					t.Fatalf("dim %d, centroid %d at %s: ruled out by limit(%g) = %g (q %g)", dim, j, real.Text('g', 20), tt, lim, q)
				}
			}
		}
	}
}

// TestErr32Bounds checks the float32 distances' bounds against exact
// distances, for every dimension up to 40, values of every scale float32
// has and some it has not, and centroids equal to the row.
func TestErr32Bounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for dim := 1; dim <= 40; dim++ {
		t.Run(fmt.Sprintf("dim=%d", dim), func(t *testing.T) {
			for range 10 {
				k := rng.IntN(20) + 1
				x := make([]float64, dim)
				for i := range x {
					x[i] = value32(rng)
				}
				c := make([]float64, k*dim)
				for i := range c {
					c[i] = value32(rng)
				}
				if rng.IntN(3) == 0 {
					copy(c[rng.IntN(k)*dim:], x)
				}
				if rng.IntN(3) == 0 {
					// A centroid a little off the row.
					j := rng.IntN(k)
					for d := range dim {
						c[j*dim+d] = x[d] * (1 + 1e-6*rng.NormFloat64())
					}
				}
				checkErr32(t, x, c, k)
			}
		})
	}
}

// FuzzErr32 checks the float32 distances' bounds on values built from
// the fuzzer's bytes.
func FuzzErr32(f *testing.F) {
	f.Add(uint8(29), uint8(9), int64(1), 1.0)
	f.Add(uint8(3), uint8(4), int64(2), 1e15)
	f.Add(uint8(17), uint8(13), int64(3), 1e-38)
	f.Fuzz(func(t *testing.T, dim, k uint8, seed int64, scale float64) {
		d, n := int(dim%40)+1, int(k%20)+1
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		// Values within what the filter accepts (fits32).
		value := func() float64 {
			v := value32(rng) * scale
			switch {
			case math.IsNaN(v):
				return 0
			case math.Abs(v) > maxMagnitude32:
				return math.Copysign(maxMagnitude32, v)
			}
			return v
		}
		x := make([]float64, d)
		for i := range x {
			x[i] = value()
		}
		c := make([]float64, n*d)
		for i := range c {
			c[i] = value()
		}
		checkErr32(t, x, c, n)
	})
}

// TestScanGroups32 checks scanGroups32 (the assembly kernel where the
// CPU has AVX) against scanGroups32Go and against sorting, on groups of
// one to five blocks with ties, zeros and infinities (the pads).
func TestScanGroups32(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 500 {
		nblocks := make([]int32, rng.IntN(6)+1)
		total := 0
		for g := range nblocks {
			nblocks[g] = int32(rng.IntN(5) + 1)
			total += int(nblocks[g])
		}
		dists := make([]float32, total*lanes32)
		for i := range dists {
			switch rng.IntN(6) {
			case 0:
				dists[i] = float32(rng.IntN(3)) // ties
			case 1:
				dists[i] = float32(math.Inf(1))
			default:
				dists[i] = float32(rng.ExpFloat64())
			}
		}
		got, want := make([]groupMin32, len(nblocks)), make([]groupMin32, len(nblocks))
		scanGroups32(dists, nblocks, got)
		scanGroups32Go(dists, nblocks, want)
		pos := 0
		for g, n := range nblocks {
			ds := dists[pos : pos+int(n)*lanes32]
			pos += len(ds)
			sorted := slices.Clone(ds)
			slices.Sort(sorted)
			w := groupMin32{d1: sorted[0], d2: sorted[1], at: int32(slices.Index(ds, sorted[0]))}
			if want[g] != w {
				t.Fatalf("round %d, group %d: Go scan %+v, want %+v", round, g, want[g], w)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: scan %+v, want %+v (blocks %v)", round, got, want, nblocks)
		}
	}
}

// TestFits32 checks which matrices the searches filter with float32
// distances.
func TestFits32(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []float64
		dim  int
		want bool
	}{
		{"ordinary", []float64{0, 1, -2.5, 1e-300}, 2, true},
		{"at the bound", []float64{maxMagnitude32, -maxMagnitude32}, 1, true},
		{"past the bound", []float64{1, math.Nextafter(maxMagnitude32, math.Inf(1))}, 1, false},
		{"huge", []float64{1e100, 0}, 2, false},
		{"too many columns", make([]float64, 2*(maxDim32+1)), maxDim32 + 1, false},
	} {
		m, err := newMatrix(tt.data, tt.dim)
		if err != nil {
			t.Fatal(err)
		}
		if got := fits32(m); got != tt.want {
			t.Errorf("%s: fits32 = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// BenchmarkBlockDists32 measures the float32 kernel for one row against
// 64 centroids of 24 values, as BenchmarkBlockDists does the float64
// one.
func BenchmarkBlockDists32(b *testing.B) {
	const dim, k = 24, 64
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, dim)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	blk := newBlocks32(dim, k)
	c := make([]float64, dim)
	for j := range k {
		for d := range c {
			c[d] = rng.Float64()
		}
		blk.set(j, c)
	}
	idx := make([]int32, blk.n)
	for i := range idx {
		idx[i] = int32(i)
	}
	out := make([]float32, k)
	for b.Loop() {
		blk.distList(x, idx, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k), "ns/distance")
}
