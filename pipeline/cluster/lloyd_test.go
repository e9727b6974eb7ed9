package cluster

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestReseedEmpty(t *testing.T) {
	data := []float64{0, 1, 2, 10, 11, 12}
	m, err := newMatrix(data, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The third centroid is far from every row, so its cluster starts
	// empty; the largest clusters tie, so the row comes from the first,
	// the one farthest from its centroid: 2.
	l := newLloyd(m, 3, 2, []float64{0, 11, 1000})
	if _, err := l.step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 11, 2}; !slices.Equal(l.centroids, want) {
		t.Errorf("centroids after repair = %v, want %v", l.centroids, want)
	}
	if want := []int32{0, 0, 2, 1, 1, 1}; !slices.Equal(l.assign, want) {
		t.Errorf("assignment after repair = %v, want %v", l.assign, want)
	}
	if want := []int{2, 3, 1}; !slices.Equal(l.counts, want) {
		t.Errorf("counts after repair = %v, want %v", l.counts, want)
	}
	if l.inertia != 3 {
		t.Errorf("inertia after repair = %g, want 3", l.inertia)
	}
	iterations, converged, err := l.run(context.Background(), 10, 1e-9)
	if err != nil || !converged {
		t.Fatalf("run = %d, %t, %v; want convergence", iterations, converged, err)
	}
	if want := []float64{0.5, 11, 2}; !slices.Equal(l.centroids, want) {
		t.Errorf("final centroids = %v, want %v", l.centroids, want)
	}
}

func TestReseedEmptyManyAtOnce(t *testing.T) {
	// Three of five clusters start empty; each takes the farthest row of
	// the cluster that is then the largest.
	data := []float64{0, 1, 2, 3, 4, 5, 20, 21}
	m, err := newMatrix(data, 1)
	if err != nil {
		t.Fatal(err)
	}
	l := newLloyd(m, 5, 1, []float64{1, 1e6, 20, 2e6, 3e6})
	if _, err := l.step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l.hasEmpty() {
		t.Fatalf("counts after repair = %v, some cluster is empty", l.counts)
	}
	// Cluster 0 (rows 0-5 around 1) gives 5, then 4, then 3; cluster 2
	// keeps 20 and 21.
	if want := []float64{1, 5, 20, 4, 3}; !slices.Equal(l.centroids, want) {
		t.Errorf("centroids after repair = %v, want %v", l.centroids, want)
	}
}

func TestFarthestRowNone(t *testing.T) {
	// Every row sits on its centroid: there is nothing to move.
	l := &lloyd{
		counts: []int{2, 0},
		assign: []int32{0, 0},
		dist:   []float64{0, 0},
	}
	if i := l.farthestRow(); i != -1 {
		t.Errorf("farthestRow = %d, want -1", i)
	}
	if l.reseedEmpty() {
		t.Errorf("reseedEmpty moved a centroid")
	}
}

func TestSampleD2Fallbacks(t *testing.T) {
	m, err := newMatrix(make([]float64, 5), 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		weight []float64
		want   int
	}{
		{"single candidate", []float64{0, 0, 3, 0, 0}, 2},
		{"infinite total", []float64{1, math.MaxFloat64, 0, math.MaxFloat64, 1}, 1},
		{"all zero", []float64{0, 0, 0, 0, 0}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sum float64
			for _, w := range tt.weight {
				sum += w
			}
			if got := sampleD2(rng, m, tt.weight, []float64{sum}); got != tt.want {
				t.Errorf("sampleD2 = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSeedPlusPlusTinyDistances(t *testing.T) {
	// Distinct rows whose squared distances round to zero still give
	// distinct centroids.
	data := []float64{0, 5e-324, 1e-323}
	m, err := newMatrix(data, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, trials := range []int{1, 4} {
		c, err := seedPlusPlus(context.Background(), m, 3, 0, 1, trials)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(c)
		if !slices.Equal(c, data) {
			t.Errorf("%d trials: centroids = %v, want the three rows %v", trials, c, data)
		}
	}
}

// unevenMixture returns rows of a mixture of comps Gaussians in dim
// dimensions whose spreads differ 40-fold and whose weights are uneven,
// the kind of data where plain k-means++ spends centroids on the outliers
// of the wide components.
func unevenMixture(seed uint64, rows, dim, comps int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	centres := make([]float64, comps*dim)
	for i := range centres {
		centres[i] = 4 * rng.NormFloat64()
	}
	spread := make([]float64, comps)
	weight := make([]float64, comps+1)
	for c := range comps {
		spread[c] = math.Exp(math.Log(0.05) + rng.Float64()*math.Log(2/0.05))
		weight[c+1] = weight[c] + rng.ExpFloat64()*rng.ExpFloat64()
	}
	data := make([]float64, 0, rows*dim)
	for range rows {
		u := rng.Float64() * weight[comps]
		c, _ := slices.BinarySearch(weight[1:], u)
		for d := range dim {
			data = append(data, centres[c*dim+d]+spread[c]*rng.NormFloat64())
		}
	}
	return data
}

func TestGreedySeedingOnUnevenSpreads(t *testing.T) {
	// Over several seeds, the default start (greedy k-means++) ends
	// with clearly less inertia than plain k-means++, one draw per
	// centroid.
	const rows, dim, comps, k = 20_000, 6, 150, 120
	data := unevenMixture(3, rows, dim, comps)
	var greedy, plain float64
	for seed := range uint64(4) {
		g, _, err := kmeans(context.Background(), data, dim, Config{K: k, Seed: seed + 1}, options{})
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := kmeans(context.Background(), data, dim, Config{K: k, Seed: seed + 1, Init: initPlusPlus}, options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: greedy %.1f, plain %.1f", seed+1, g.Inertia, p.Inertia)
		greedy += g.Inertia
		plain += p.Inertia
	}
	if greedy > 0.9*plain {
		t.Errorf("greedy k-means++ left %.1f of inertia over 4 seeds, plain k-means++ %.1f: want at least 10%% less", greedy, plain)
	}
}

func TestChunksBoundRoundMemory(t *testing.T) {
	// With k above chunkRows, a round's partials stay near the size of
	// the matrix.
	const rows, k = 3 * chunkRows, 2 * chunkRows
	m, err := newMatrix(make([]float64, rows), 1)
	if err != nil {
		t.Fatal(err)
	}
	l := newLloyd(m, k, 8, make([]float64, k))
	if n := len(l.parts); n != 2 {
		t.Errorf("%d partials per round, want 2", n)
	}
	l = newLloyd(m, 64, 8, make([]float64, 64))
	if n := len(l.parts); n != m.chunks() {
		t.Errorf("%d partials per round, want %d", n, m.chunks())
	}
}
