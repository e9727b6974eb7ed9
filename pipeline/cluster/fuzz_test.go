package cluster_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/cluster"
)

// fuzzValue maps a byte to a matrix value: mostly small multiples of
// 1/8, so that rows collide and clusters tie, and a few awkward values.
func fuzzValue(b byte) float64 {
	switch b {
	case 250:
		return math.NaN()
	case 251:
		return math.Inf(1)
	case 252:
		return 1e100
	case 253:
		return -2e100 // out of range
	case 254:
		return math.Copysign(0, -1)
	case 255:
		return 5e-324 // squared, it rounds to zero
	}
	return float64(int(b)-125) / 8
}

// FuzzKMeans builds a small matrix from the fuzz bytes: the first four
// choose the dimension, k, the iteration limit, the workers and the
// minimum cluster size, the rest are values. KMeans must not panic, and
// must return either an error or a valid result: every row assigned to
// a nearest centroid, the inertia that goes with it, sizes that count
// the assignment and sum to the rows, in canonical order, none below
// the minimum unless one cluster is left. Without a minimum a cluster
// may be empty here, as only rows whose squared distances round to zero
// can leave one so.
func FuzzKMeans(f *testing.F) {
	f.Add([]byte{1, 2, 0, 0, 125, 126, 200, 201, 125, 127})
	f.Add([]byte{0, 3, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{2, 1, 3, 1, 125, 125, 125, 125, 125, 125})
	f.Add([]byte{1, 4, 2, 2, 125, 125, 130, 130, 125, 125, 130, 130, 140, 140})
	f.Add([]byte{0, 2, 0, 0, 255, 125, 254, 125})
	f.Add([]byte{1, 1, 0, 0, 252, 252, 125, 125, 250})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 4 {
			return
		}
		dim := 1 + int(b[0]%4)
		cfg := cluster.Config{
			K:       int(b[1] % 8),
			Seed:    uint64(b[1]) << 3,
			MaxIter: int(b[2] % 6),
			Workers: int(b[3] % 4),
			MinSize: int(b[3] / 4 % 8),
		}
		values := b[4:]
		if len(values) > 256 {
			values = values[:256]
		}
		data := make([]float64, len(values))
		for i, v := range values {
			data[i] = fuzzValue(v)
		}
		r, err := cluster.KMeans(context.Background(), data, dim, cfg)
		if err != nil {
			if r != nil {
				t.Fatalf("result and error %v", err)
			}
			return
		}
		rows := len(data) / dim
		if r.Merged < 0 || r.Merged >= cfg.K || r.Merged > 0 && cfg.MinSize < 1 {
			t.Fatalf("Merged = %d with K %d, MinSize %d", r.Merged, cfg.K, cfg.MinSize)
		}
		k := cfg.K - r.Merged
		if r.K != k || r.Dim != dim || len(r.Assign) != rows || len(r.Centroids) != k*dim || len(r.Sizes) != k {
			t.Fatalf("shape: K=%d Dim=%d len(Assign)=%d len(Centroids)=%d len(Sizes)=%d",
				r.K, r.Dim, len(r.Assign), len(r.Centroids), len(r.Sizes))
		}
		if r.K > 1 && slices.Min(r.Sizes) < cfg.MinSize {
			t.Fatalf("Sizes = %v, some below MinSize %d", r.Sizes, cfg.MinSize)
		}
		counts := make([]int, r.K)
		for i, a := range r.Assign {
			if a < 0 || int(a) >= r.K {
				t.Fatalf("Assign[%d] = %d, out of range [0, %d)", i, a, r.K)
			}
			counts[a]++
		}
		total := 0
		for k, n := range r.Sizes {
			if n != counts[k] {
				t.Fatalf("Sizes = %v, but the assignment counts %v", r.Sizes, counts)
			}
			if k > 0 && n > r.Sizes[k-1] {
				t.Fatalf("Sizes = %v, not in descending order", r.Sizes)
			}
			total += n
		}
		if total != rows {
			t.Fatalf("sizes sum to %d, want %d rows", total, rows)
		}
		if math.IsNaN(r.Inertia) || math.IsInf(r.Inertia, 0) || r.Inertia < 0 {
			t.Fatalf("Inertia = %g", r.Inertia)
		}
		for _, v := range r.Centroids {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("centroid value %g", v)
			}
		}
		var inertia float64
		for i := range rows {
			x := data[i*dim : (i+1)*dim]
			own := sqDist(x, r.Centroid(int(r.Assign[i])))
			for k := range r.K {
				if d := sqDist(x, r.Centroid(k)); d < own*(1-1e-12) {
					t.Fatalf("row %d is assigned to cluster %d at %g, but cluster %d is at %g", i, r.Assign[i], own, k, d)
				}
			}
			inertia += own
		}
		if diff := math.Abs(inertia - r.Inertia); diff > 1e-9*math.Max(1, inertia) {
			t.Fatalf("Inertia = %g, recomputed %g", r.Inertia, inertia)
		}
	})
}
