package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
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

// TestSqDistBatchExact checks that the batched kernels return sqDist1's
// distances bit for bit, for every dimension up to 40 and batch sizes
// that do and do not fill the kernel's blocks of four.
func TestSqDistBatchExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for dim := 1; dim <= 40; dim++ {
		for _, k := range []int{1, 3, 4, 5, 8, 13, 64} {
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
					slots := make([]int32, rng.IntN(2*k)+1)
					for i := range slots {
						slots[i] = int32(rng.IntN(k))
					}
					rows := make([]float64, k)
					sqDistRows(x, centroids, rows)
					bySlot := make([]float64, len(slots))
					sqDistSlots(x, centroids, slots, bySlot)
					for j := range k {
						want := sqDist1(x, centroids[j*dim:(j+1)*dim])
						if math.Float64bits(rows[j]) != math.Float64bits(want) {
							t.Fatalf("sqDistRows: centroid %d: %v (%#x), want %v (%#x)", j, rows[j], math.Float64bits(rows[j]), want, math.Float64bits(want))
						}
					}
					for n, s := range slots {
						want := sqDist1(x, centroids[int(s)*dim:(int(s)+1)*dim])
						if math.Float64bits(bySlot[n]) != math.Float64bits(want) {
							t.Fatalf("sqDistSlots: slot %d: %v (%#x), want %v (%#x)", s, bySlot[n], math.Float64bits(bySlot[n]), want, math.Float64bits(want))
						}
					}
				}
			})
		}
	}
}

// FuzzSqDistBatch checks the batched kernels against sqDist1 on values
// built from the fuzzer's bytes.
func FuzzSqDistBatch(f *testing.F) {
	f.Add(uint8(24), uint8(9), int64(1), 1.0)
	f.Add(uint8(3), uint8(4), int64(2), 1e100)
	f.Add(uint8(37), uint8(13), int64(3), 1e-160)
	f.Fuzz(func(t *testing.T, dim, k uint8, seed int64, scale float64) {
		d, n := int(dim%40)+1, int(k%32)+1
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		x := make([]float64, d)
		for i := range x {
			x[i] = distValue(rng) * scale
		}
		centroids := make([]float64, n*d)
		for i := range centroids {
			centroids[i] = distValue(rng) * scale
		}
		out := make([]float64, n)
		sqDistRows(x, centroids, out)
		slots := make([]int32, n)
		for i := range slots {
			slots[i] = int32(n - 1 - i)
		}
		bySlot := make([]float64, n)
		sqDistSlots(x, centroids, slots, bySlot)
		for j := range n {
			want := math.Float64bits(sqDist1(x, centroids[j*d:(j+1)*d]))
			if math.Float64bits(out[j]) != want || math.Float64bits(bySlot[n-1-j]) != want {
				t.Fatalf("centroid %d: rows %v, slots %v, want %v", j, out[j], bySlot[n-1-j], math.Float64frombits(want))
			}
		}
	})
}

// BenchmarkSqDist compares the batched kernel with sqDist4, for one row
// against 64 centroids of 24 values, the size of the benchmark data.
func BenchmarkSqDist(b *testing.B) {
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
	slots := make([]int32, k)
	for i := range slots {
		slots[i] = int32((i * 37) % k)
	}
	out := make([]float64, k)
	b.Run("sqDist4", func(b *testing.B) {
		for b.Loop() {
			for j := 0; j < k; j += 4 {
				c := centroids[j*dim : (j+4)*dim]
				out[j], out[j+1], out[j+2], out[j+3] = sqDist4(x, c[:dim], c[dim:2*dim], c[2*dim:3*dim], c[3*dim:4*dim])
			}
		}
	})
	b.Run("rows", func(b *testing.B) {
		for b.Loop() {
			sqDistRows(x, centroids, out)
		}
	})
	b.Run("slots", func(b *testing.B) {
		for b.Loop() {
			sqDistSlots(x, centroids, slots, out)
		}
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
