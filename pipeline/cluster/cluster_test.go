package cluster_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/cluster"
)

// blobs returns n points around each of the given centres, with
// Gaussian noise of standard deviation sigma, interleaved so that blob b
// holds the rows i with i%len(centres) == b.
func blobs(seed uint64, centres [][]float64, n int, sigma float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	dim := len(centres[0])
	data := make([]float64, 0, n*len(centres)*dim)
	for range n {
		for _, c := range centres {
			for _, v := range c {
				data = append(data, v+sigma*rng.NormFloat64())
			}
		}
	}
	return data
}

// uniform returns rows*dim values drawn uniformly from [0, 1).
func uniform(seed uint64, rows, dim int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	data := make([]float64, rows*dim)
	for i := range data {
		data[i] = rng.Float64()
	}
	return data
}

// checkResult checks the invariants of every result: shapes, ranges,
// sizes that match the assignment and are in canonical order and, with
// a MinSize, at least that, every row assigned to a nearest centroid,
// and the inertia that goes with it.
func checkResult(t *testing.T, data []float64, dim int, cfg cluster.Config, r *cluster.Result) {
	t.Helper()
	rows := len(data) / dim
	if r.Merged < 0 || r.Merged >= cfg.K || r.Merged > 0 && cfg.MinSize < 1 {
		t.Fatalf("Merged = %d with K %d, MinSize %d", r.Merged, cfg.K, cfg.MinSize)
	}
	k := cfg.K - r.Merged
	if r.K != k || r.Dim != dim || len(r.Assign) != rows || len(r.Centroids) != k*dim || len(r.Sizes) != k {
		t.Fatalf("shape: K=%d Dim=%d len(Assign)=%d len(Centroids)=%d len(Sizes)=%d; want %d, %d, %d, %d, %d",
			r.K, r.Dim, len(r.Assign), len(r.Centroids), len(r.Sizes), k, dim, rows, k*dim, k)
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
	if !slices.Equal(counts, r.Sizes) {
		t.Fatalf("Sizes = %v, but the assignment counts %v", r.Sizes, counts)
	}
	for k := 1; k < r.K; k++ {
		if r.Sizes[k] > r.Sizes[k-1] {
			t.Fatalf("Sizes = %v, not in descending order", r.Sizes)
		}
		if r.Sizes[k] == r.Sizes[k-1] && slices.Compare(r.Centroid(k-1), r.Centroid(k)) > 0 {
			t.Fatalf("clusters %d and %d have equal sizes but centroids out of order: %v, %v",
				k-1, k, r.Centroid(k-1), r.Centroid(k))
		}
	}
	for _, v := range r.Centroids {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("centroid value %v", v)
		}
	}
	var inertia float64
	for i := range rows {
		x := data[i*dim : (i+1)*dim]
		own := sqDist(x, r.Centroid(int(r.Assign[i])))
		for k := range r.K {
			// KMeans adds the squares in another order; allow for rounding.
			if d := sqDist(x, r.Centroid(k)); d < own*(1-1e-12) {
				t.Fatalf("row %d is assigned to cluster %d at %g, but cluster %d is at %g", i, r.Assign[i], own, k, d)
			}
		}
		inertia += own
	}
	if diff := math.Abs(inertia - r.Inertia); diff > 1e-9*math.Max(1, inertia) {
		t.Fatalf("Inertia = %g, recomputed %g", r.Inertia, inertia)
	}
	if max := cfg.MaxIter; max > 0 && r.Merged == 0 && r.Iterations > max || r.Iterations < 0 {
		t.Fatalf("Iterations = %d with MaxIter %d", r.Iterations, cfg.MaxIter)
	}
}

func sqDist(x, c []float64) float64 {
	var s float64
	for i := range x {
		d := x[i] - c[i]
		s += d * d
	}
	return s
}

func TestKMeansErrors(t *testing.T) {
	nan := make([]float64, 20*4)
	nan[17*4+3] = math.NaN()
	inf := make([]float64, 20*4)
	inf[2*4] = math.Inf(-1)
	huge := make([]float64, 20*4)
	huge[5*4+1] = -1e101
	threeDistinct := []float64{0, 0, 1, 1, 0, 0, 2, 2, 1, 1, 2, 2}
	tests := []struct {
		name string
		data []float64
		dim  int
		cfg  cluster.Config
		want string
	}{
		{"dim zero", make([]float64, 4), 0, cluster.Config{K: 1}, "cluster: dim must be at least 1, got 0"},
		{"dim negative", make([]float64, 4), -2, cluster.Config{K: 1}, "cluster: dim must be at least 1, got -2"},
		{"ragged", make([]float64, 10), 3, cluster.Config{K: 1}, "cluster: 10 values are not a multiple of dim=3"},
		{"nil data", nil, 3, cluster.Config{K: 1}, "cluster: no rows"},
		{"empty data", []float64{}, 1, cluster.Config{K: 1}, "cluster: no rows"},
		{"k zero", make([]float64, 12), 1, cluster.Config{}, "cluster: k must be at least 1, got 0"},
		{"k negative", make([]float64, 12), 1, cluster.Config{K: -3}, "cluster: k must be at least 1, got -3"},
		{"k above rows", uniform(1, 12, 2), 2, cluster.Config{K: 20}, "cluster: k=20 but only 12 rows"},
		{"k above distinct rows", threeDistinct, 2, cluster.Config{K: 5}, "cluster: k=5 but only 3 distinct rows"},
		{"k above distinct rows, signed zero", []float64{0, math.Copysign(0, -1), 1}, 1, cluster.Config{K: 3}, "cluster: k=3 but only 2 distinct rows"},
		{"all rows equal", make([]float64, 12), 3, cluster.Config{K: 2}, "cluster: k=2 but only 1 distinct rows"},
		{"nan", nan, 4, cluster.Config{K: 2}, "cluster: row 17, column 3: not a finite number"},
		{"inf", inf, 4, cluster.Config{K: 2}, "cluster: row 2, column 0: not a finite number"},
		{"huge", huge, 4, cluster.Config{K: 2}, "cluster: row 5, column 1: magnitude -1e+101 exceeds 1e+100"},
		{"max iterations negative", uniform(1, 12, 2), 2, cluster.Config{K: 2, MaxIter: -1}, "cluster: max iterations must not be negative, got -1"},
		{"tolerance negative", uniform(1, 12, 2), 2, cluster.Config{K: 2, Tol: -1e-3}, "cluster: tolerance must be a finite number >= 0, got -0.001"},
		{"tolerance nan", uniform(1, 12, 2), 2, cluster.Config{K: 2, Tol: math.NaN()}, "cluster: tolerance must be a finite number >= 0, got NaN"},
		{"workers negative", uniform(1, 12, 2), 2, cluster.Config{K: 2, Workers: -1}, "cluster: workers must not be negative, got -1"},
		{"min size negative", uniform(1, 12, 2), 2, cluster.Config{K: 2, MinSize: -1}, "cluster: min size must not be negative, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := cluster.KMeans(context.Background(), tt.data, tt.dim, tt.cfg)
			if err == nil {
				t.Fatalf("KMeans succeeded with %d clusters, want error %q", r.K, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("KMeans error = %q, want %q", err, tt.want)
			}
			if r != nil {
				t.Errorf("KMeans returned a result with its error")
			}
		})
	}
}

func TestKMeansExactK(t *testing.T) {
	// As many clusters as distinct rows: every distinct row is its own
	// cluster, duplicates included, and the inertia is zero.
	data := []float64{3, 1, 3, 2, 1, 2, 3, 1}
	cfg := cluster.Config{K: 3}
	r, err := cluster.KMeans(context.Background(), data, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, data, 1, cfg, r)
	if want := []int{3, 3, 2}; !slices.Equal(r.Sizes, want) {
		t.Errorf("Sizes = %v, want %v", r.Sizes, want)
	}
	if want := []float64{1, 3, 2}; !slices.Equal(r.Centroids, want) {
		t.Errorf("Centroids = %v, want %v", r.Centroids, want)
	}
	if r.Inertia != 0 {
		t.Errorf("Inertia = %g, want 0", r.Inertia)
	}
}

func TestKMeansBlobs(t *testing.T) {
	// Six blobs in five dimensions: the corners of a simplex, 100
	// standard deviations apart.
	const dim, perBlob = 5, 300
	centres := make([][]float64, 6)
	for b := range centres {
		centres[b] = make([]float64, dim)
		if b < dim {
			centres[b][b] = 100
		}
	}
	data := blobs(7, centres, perBlob, 1)
	for _, seed := range []uint64{0, 1, 2, 3, 42} {
		cfg := cluster.Config{K: len(centres), Seed: seed}
		r, err := cluster.KMeans(context.Background(), data, dim, cfg)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, data, dim, cfg, r)
		if !r.Converged {
			t.Errorf("seed %d: not converged after %d iterations", seed, r.Iterations)
		}
		// Compare as partitions: every blob maps to one cluster, and
		// different blobs to different clusters.
		clusterOf := make([]int32, len(centres))
		for b := range clusterOf {
			clusterOf[b] = -1
		}
		for i, a := range r.Assign {
			b := i % len(centres)
			if clusterOf[b] == -1 {
				clusterOf[b] = a
			} else if clusterOf[b] != a {
				t.Fatalf("seed %d: blob %d split between clusters %d and %d", seed, b, clusterOf[b], a)
			}
		}
		if s := slices.Clone(clusterOf); len(slices.Compact(slices.Sorted(slices.Values(s)))) != len(centres) {
			t.Fatalf("seed %d: blobs merged: blob to cluster %v", seed, clusterOf)
		}
		for b, k := range clusterOf {
			for d, v := range r.Centroid(int(k)) {
				if math.Abs(v-centres[b][d]) > 0.5 {
					t.Errorf("seed %d: centroid of blob %d = %v, want near %v", seed, b, r.Centroid(int(k)), centres[b])
					break
				}
			}
		}
	}
}

func TestKMeansInertiaNonIncreasing(t *testing.T) {
	// Overlapping blobs take many iterations to settle.
	centres := [][]float64{{0, 0, 0}, {2, 0, 0}, {0, 2, 1}, {1, 1, 3}, {3, 3, 3}}
	data := blobs(3, centres, 400, 1.2)
	const dim = 3
	prev := math.Inf(1)
	values := 0
	for maxIter := 1; maxIter <= 60; maxIter++ {
		cfg := cluster.Config{K: 8, Seed: 5, MaxIter: maxIter, Tol: 1e-12}
		r, err := cluster.KMeans(context.Background(), data, dim, cfg)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, data, dim, cfg, r)
		if r.Inertia > prev {
			t.Fatalf("MaxIter %d: inertia %.17g, up from %.17g", maxIter, r.Inertia, prev)
		}
		if r.Inertia < prev {
			values++
		}
		prev = r.Inertia
		if r.Converged {
			break
		}
		if r.Iterations != maxIter {
			t.Fatalf("MaxIter %d: %d iterations without converging", maxIter, r.Iterations)
		}
	}
	if values < 5 {
		t.Errorf("inertia took only %d values: the data is too easy to test anything", values)
	}
}

func TestKMeansDeterministicAcrossWorkers(t *testing.T) {
	// Several chunks, the last one partial, so that work is really split.
	const dim = 7
	rows := 4096*3 + 1234
	data := uniform(11, rows, dim)
	t.Run("k-means", func(t *testing.T) {
		sameAcrossWorkers(t, data, dim, cluster.Config{K: 13, Seed: 99, MaxIter: 15})
	})
	t.Run("small clusters merged", func(t *testing.T) {
		// 64 clusters of about 211 rows, most of them merged.
		sameAcrossWorkers(t, data, dim, cluster.Config{K: 64, Seed: 99, MaxIter: 15, MinSize: 300})
	})
}

// sameAcrossWorkers checks that KMeans gives the same result bit for
// bit with 1, 2, 7 and the default number of workers.
func sameAcrossWorkers(t *testing.T, data []float64, dim int, base cluster.Config) {
	t.Helper()
	var want *cluster.Result
	for _, workers := range []int{1, 2, 7, 0} {
		cfg := base
		cfg.Workers = workers
		r, err := cluster.KMeans(context.Background(), data, dim, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if workers == 1 {
			checkResult(t, data, dim, cfg, r)
			if base.MinSize > 0 && r.Merged == 0 {
				t.Fatalf("no cluster merged: sizes %v", r.Sizes)
			}
			want = r
			continue
		}
		if !slices.Equal(r.Assign, want.Assign) {
			t.Errorf("Workers %d: assignment differs from Workers 1", workers)
		}
		if !slices.Equal(r.Sizes, want.Sizes) {
			t.Errorf("Workers %d: Sizes = %v, want %v", workers, r.Sizes, want.Sizes)
		}
		if !slices.EqualFunc(r.Centroids, want.Centroids, sameBits) {
			t.Errorf("Workers %d: centroids differ from Workers 1", workers)
		}
		if !sameBits(r.Inertia, want.Inertia) {
			t.Errorf("Workers %d: Inertia = %.17g, want %.17g", workers, r.Inertia, want.Inertia)
		}
		if r.Iterations != want.Iterations || r.Converged != want.Converged || r.Merged != want.Merged {
			t.Errorf("Workers %d: %d iterations (converged %t), %d merged, want %d (%t), %d",
				workers, r.Iterations, r.Converged, r.Merged, want.Iterations, want.Converged, want.Merged)
		}
	}
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func TestKMeansSameSeed(t *testing.T) {
	data := uniform(4, 3000, 4)
	cfg := cluster.Config{K: 9, Seed: 123}
	a, err := cluster.KMeans(context.Background(), data, 4, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, data, 4, cfg, a)
	b, err := cluster.KMeans(context.Background(), data, 4, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Assign, b.Assign) || !slices.EqualFunc(a.Centroids, b.Centroids, sameBits) ||
		!sameBits(a.Inertia, b.Inertia) || a.Iterations != b.Iterations {
		t.Errorf("two runs with the same seed differ")
	}
}

func TestKMeansCanonicalNumbering(t *testing.T) {
	// Three groups of three rows and one of four, far apart. Whatever
	// the seed, and so whatever order k-means++ finds them in, the group
	// of four comes first, then the others by their centroids.
	data := []float64{
		900, 900, 0, 0, 500, 0,
		900, 899, 0, 1, 500, 1,
		900, 898, 0, 2, 500, 2,
		0, 900, 0, 899, 0, 898, 1, 900,
	}
	const dim = 2
	want := []int32{3, 1, 2, 3, 1, 2, 3, 1, 2, 0, 0, 0, 0}
	for seed := range uint64(20) {
		cfg := cluster.Config{K: 4, Seed: seed}
		r, err := cluster.KMeans(context.Background(), data, dim, cfg)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, data, dim, cfg, r)
		if !slices.Equal(r.Assign, want) {
			t.Errorf("seed %d: Assign = %v, want %v", seed, r.Assign, want)
		}
	}
}

func TestKMeansOneCluster(t *testing.T) {
	data := []float64{1, 2, 3, 6}
	cfg := cluster.Config{K: 1}
	r, err := cluster.KMeans(context.Background(), data, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, data, 1, cfg, r)
	if r.Centroids[0] != 3 || r.Inertia != 14 || !r.Converged {
		t.Errorf("got centroid %v, inertia %g, converged %t; want 3, 14, true", r.Centroids, r.Inertia, r.Converged)
	}
}

func TestKMeansCancel(t *testing.T) {
	// A run that takes seconds: many rows, slow to converge.
	const dim = 24
	data := uniform(8, 200_000, dim)
	tests := []struct {
		name  string
		k     int
		after time.Duration
	}{
		{"already cancelled", 8, 0},
		// 256 centroids to seed: cancelled within k-means++.
		{"while seeding", 256, 20 * time.Millisecond},
		{"while iterating", 64, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.after == 0 {
				cancel()
			}
			cancelledAt := make(chan time.Time, 1)
			timer := time.AfterFunc(tt.after, func() {
				cancelledAt <- time.Now()
				cancel()
			})
			defer timer.Stop()
			cfg := cluster.Config{K: tt.k, Seed: 1, MaxIter: 1000, Tol: 1e-15}
			r, err := cluster.KMeans(ctx, data, dim, cfg)
			returned := time.Now()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("KMeans = %v, %v; want context.Canceled", r, err)
			}
			if !strings.HasPrefix(err.Error(), "cluster: ") {
				t.Errorf("error %q lacks the cluster: prefix", err)
			}
			if !timer.Stop() {
				// The timer fired: wait for its time, without a race.
				cancelled := <-cancelledAt
				// Generous, for the race detector: without it a chunk
				// takes a few milliseconds.
				if late := returned.Sub(cancelled); late > time.Second {
					t.Errorf("KMeans returned %v after cancellation", late)
				}
			}
		})
	}
}

func TestKMeansDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := cluster.KMeans(ctx, uniform(9, 100_000, 24), 24, cluster.Config{K: 128, MaxIter: 1000, Tol: 1e-15})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("KMeans error = %v, want context.DeadlineExceeded", err)
	}
}

func TestResultCentroid(t *testing.T) {
	r := &cluster.Result{K: 2, Dim: 3, Centroids: []float64{1, 2, 3, 4, 5, 6}}
	c := r.Centroid(1)
	if !slices.Equal(c, []float64{4, 5, 6}) {
		t.Fatalf("Centroid(1) = %v, want [4 5 6]", c)
	}
	_ = append(r.Centroid(0), 99)
	if r.Centroids[3] != 4 {
		t.Errorf("appending to Centroid(0) overwrote centroid 1")
	}
}

// TestProgress checks that Config.Progress hears of every iteration on all
// rows, numbered on across merges, with figures that agree with the
// result, and that it changes nothing of the result.
func TestProgress(t *testing.T) {
	const dim = 6
	data := uniform(5, 6000, dim)
	for _, tt := range []struct {
		name string
		cfg  cluster.Config
	}{
		{"plain", cluster.Config{K: 12, Seed: 3}},
		{"merging", cluster.Config{K: 200, Seed: 3, MinSize: 40}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, err := cluster.KMeans(context.Background(), data, dim, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var its []cluster.Iteration
			cfg := tt.cfg
			cfg.Progress = func(it cluster.Iteration) { its = append(its, it) }
			got, err := cluster.KMeans(context.Background(), data, dim, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got.Inertia != want.Inertia || !slices.Equal(got.Assign, want.Assign) {
				t.Error("Progress changed the result")
			}
			if len(its) == 0 {
				t.Fatal("Progress heard of no iteration")
			}
			for i, it := range its {
				if it.N != i+1 || it.Max != 100 || it.Skipped < 0 || it.Skipped >= 1 || it.Inertia <= 0 {
					t.Errorf("iteration %d: %+v", i, it)
				}
			}
			if last := its[len(its)-1]; math.Abs(last.Inertia-got.Inertia) > 1e-9*got.Inertia {
				t.Errorf("last iteration's inertia %v, the result's %v", last.Inertia, got.Inertia)
			}
			if tt.cfg.MinSize > 0 && got.Merged == 0 {
				t.Error("nothing merged: the case does not test iterations across merges")
			}
			skipped := false
			for _, it := range its {
				skipped = skipped || it.Skipped > 0
			}
			if !skipped {
				t.Error("no iteration skipped a distance")
			}
		})
	}
}
