package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// distValue returns a random value for the distance tests: mostly
// ordinary, sometimes tiny, huge, zero or negative.
func distValue(rng *rand.Rand) float64 {
	v := rng.NormFloat64()
	switch rng.IntN(8) {
	case 0:
		v *= 1e100
	case 1:
		v *= 1e-150
	case 2:
		v *= math.Pow(10, float64(rng.IntN(61)-30))
	case 3:
		v = 0
	}
	return v
}

// packBlocks returns the k centroids (row-major) in blocks.
func packBlocks(centroids []float64, dim, k int) blocks {
	b := newBlocks(dim, k)
	for j := range k {
		b.set(j, centroids[j*dim:(j+1)*dim])
	}
	return b
}

// checkBlockDists checks blocks.dists, blocks.distList, distBlocksGo,
// sqDist4x and sqDistPairs against
// sqDist1, bit for bit, for x and k centroids, over every range of
// blocks starting at first.
func checkBlockDists(t *testing.T, x, centroids []float64, k, first int) {
	t.Helper()
	dim := len(x)
	b := packBlocks(centroids, dim, k)
	out := make([]float64, (b.n-first)*blockLanes)
	b.dists(x, first, b.n, out)
	gout := make([]float64, len(out))
	distBlocksGo(x, b.data[first*dim*blockLanes:], gout)
	for s := first * blockLanes; s < k; s++ {
		want := sqDist1(x, centroids[s*dim:(s+1)*dim])
		got, gogot := out[s-first*blockLanes], gout[s-first*blockLanes]
		if math.Float64bits(got) != math.Float64bits(want) || math.Float64bits(gogot) != math.Float64bits(want) {
			t.Fatalf("dim %d, centroid %d: kernel %v (%#x), Go %v (%#x), want %v (%#x)", dim, s, got, math.Float64bits(got), gogot, math.Float64bits(gogot), want, math.Float64bits(want))
		}
	}
	// Blocks by index: every block, backwards, then the first again.
	var idx []int32
	for i := b.n - 1; i >= 0; i-- {
		idx = append(idx, int32(i))
	}
	idx = append(idx, 0)
	lout := make([]float64, len(idx)*blockLanes)
	b.distList(x, idx, lout)
	for n, i := range idx {
		for l := range blockLanes {
			if s := int(i)*blockLanes + l; s < k {
				want := sqDist1(x, centroids[s*dim:(s+1)*dim])
				if got := lout[n*blockLanes+l]; math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("dim %d, list entry %d, centroid %d: %v, want %v", dim, n, s, got, want)
				}
			}
		}
	}
	if k >= 4 {
		c := func(j int) []float64 { return centroids[j*dim : (j+1)*dim] }
		d0, d1, d2, d3 := sqDist4x(x, c(0), x, c(1), x, c(2), x, c(3))
		for j, d := range [4]float64{d0, d1, d2, d3} {
			if want := sqDist1(x, c(j)); math.Float64bits(d) != math.Float64bits(want) {
				t.Fatalf("dim %d: sqDist4x lane %d: %v, want %v", dim, j, d, want)
			}
		}
		xs := [4][]float64{x, c(1), c(2), x}
		cs := [4][]float64{c(0), c(3), c(0), c(2)}
		var ds [4]float64
		sqDistPairs(&xs, &cs, &ds)
		for l, d := range ds {
			if want := sqDist1(xs[l], cs[l]); math.Float64bits(d) != math.Float64bits(want) {
				t.Fatalf("dim %d: sqDistPairs lane %d: %v, want %v", dim, l, d, want)
			}
		}
	}
}

// TestBlockDistsExact checks that the kernel (assembly where the CPU
// has AVX and FMA), its Go version and sqDist4x return sqDist1's
// distances bit for bit, for every dimension up to 40 and numbers of
// centroids that do and do not fill blocks, in runs of one to many
// blocks.
func TestBlockDistsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for dim := 1; dim <= 40; dim++ {
		for _, k := range []int{1, 3, 4, 5, 8, 13, 17, 33, 64} {
			t.Run(fmt.Sprintf("dim=%d/k=%d", dim, k), func(t *testing.T) {
				for range 20 {
					x := make([]float64, dim)
					for i := range x {
						x[i] = distValue(rng)
					}
					centroids := make([]float64, k*dim)
					for i := range centroids {
						centroids[i] = distValue(rng)
					}
					if rng.IntN(4) == 0 {
						// A centroid equal to x.
						copy(centroids[rng.IntN(k)*dim:], x)
					}
					first := rng.IntN((k + blockLanes - 1) / blockLanes)
					checkBlockDists(t, x, centroids, k, first)
				}
			})
		}
	}
}

// FuzzBlockDists checks the kernel against sqDist1 on values built
// from the fuzzer's bytes.
func FuzzBlockDists(f *testing.F) {
	f.Add(uint8(24), uint8(9), int64(1), 1.0)
	f.Add(uint8(3), uint8(4), int64(2), 1e100)
	f.Add(uint8(37), uint8(13), int64(3), 1e-160)
	f.Fuzz(func(t *testing.T, dim, k uint8, seed int64, scale float64) {
		d, n := int(dim%40)+1, int(k%40)+1
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		x := make([]float64, d)
		for i := range x {
			x[i] = distValue(rng) * scale
		}
		centroids := make([]float64, n*d)
		for i := range centroids {
			centroids[i] = distValue(rng) * scale
		}
		checkBlockDists(t, x, centroids, n, 0)
	})
}

// BenchmarkBlockDists measures the kernel and its Go version for one
// row against 64 centroids of 24 values, the size of the benchmark
// data.
func BenchmarkBlockDists(b *testing.B) {
	const dim, k = 24, 64
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, dim)
	for i := range x {
		x[i] = rng.Float64()
	}
	centroids := make([]float64, k*dim)
	for i := range centroids {
		centroids[i] = rng.Float64()
	}
	blk := packBlocks(centroids, dim, k)
	out := make([]float64, k)
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			blk.dists(x, 0, blk.n, out)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k), "ns/distance")
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			distBlocksGo(x, blk.data, out)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*k), "ns/distance")
	})
}

// TestFilterGroups checks filterGroups against filterGroupsGo, which
// the assembly kernel must match bit for bit, and that every new bound
// is a lower bound on the old one minus the movement.
func TestFilterGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	value := func() float32 {
		switch rng.IntN(10) {
		case 0:
			return 0
		case 1:
			return math.MaxFloat32
		case 2:
			return float32(rng.Float64() * 1e-40) // subnormal
		case 3:
			return 1
		}
		return float32(rng.ExpFloat64())
	}
	for _, n := range []int{1, 7, 8, 9, 16, 63, 134, 200} {
		t.Run(fmt.Sprintf("groups=%d", n), func(t *testing.T) {
			for range 200 {
				lower, moved := make([]float32, n), make([]float32, n)
				for g := range lower {
					lower[g], moved[g] = value(), value()
					if rng.IntN(20) == 0 {
						moved[g] = float32(math.Inf(1))
					}
				}
				limit := value()
				want := append([]float32(nil), lower...)
				wantIdx, wantKept := filterGroupsGo(want, moved, limit, nil, 0)
				got := append([]float32(nil), lower...)
				gotIdx, gotKept := filterGroups(got, moved, limit, make([]int32, 0, 2))
				for g := range got {
					if math.Float32bits(got[g]) != math.Float32bits(want[g]) {
						t.Fatalf("group %d: bound %g, want %g", g, got[g], want[g])
					}
					if d := float64(lower[g]) - float64(moved[g]); float64(got[g]) > max(d, 0) {
						t.Fatalf("group %d: bound %g above %g - %g", g, got[g], lower[g], moved[g])
					}
				}
				if fmt.Sprint(gotIdx) != fmt.Sprint(wantIdx) || gotKept != wantKept {
					t.Fatalf("searched %v kept %g, want %v %g", gotIdx, gotKept, wantIdx, wantKept)
				}
			}
		})
	}
}

// TestScanGroups checks scanGroups (the assembly kernel where the CPU
// has AVX) against scanGroupsGo and against sorting, on groups of one
// to nine blocks with ties, zeros, huge values and infinities.
func TestScanGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 500 {
		nblocks := make([]int32, rng.IntN(6)+1)
		total := 0
		for g := range nblocks {
			nblocks[g] = int32(rng.IntN(9) + 1)
			total += int(nblocks[g])
		}
		dists := make([]float64, total*blockLanes)
		for i := range dists {
			switch rng.IntN(6) {
			case 0:
				dists[i] = float64(rng.IntN(3)) // ties
			case 1:
				dists[i] = 2.4e301 // a pad
			case 2:
				dists[i] = math.Inf(1)
			default:
				dists[i] = rng.ExpFloat64()
			}
		}
		got, want := make([]float64, 3*len(nblocks)), make([]float64, 3*len(nblocks))
		scanGroups(dists, nblocks, got)
		scanGroupsGo(dists, nblocks, want)
		pos := 0
		for g, n := range nblocks {
			ds := dists[pos : pos+int(n)*blockLanes]
			pos += len(ds)
			sorted := slices.Clone(ds)
			slices.Sort(sorted)
			first := slices.Index(ds, sorted[0])
			if w := [3]float64{sorted[0], sorted[1], float64(first)}; [3]float64(want[3*g:3*g+3]) != w {
				t.Fatalf("round %d, group %d: Go scan %v, want %v", round, g, want[3*g:3*g+3], w)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: scan %v, want %v (blocks %v)", round, got, want, nblocks)
		}
	}
}
