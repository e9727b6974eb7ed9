package cluster

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// pruneData returns named test matrices: continuous values, separated
// blobs, and small integers, whose distances tie all the time.
func pruneData(t *testing.T) map[string]matrix {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	sets := map[string][]float64{}
	const rows = 3*chunkRows + 517
	uniform := make([]float64, rows*5)
	for i := range uniform {
		uniform[i] = rng.Float64()
	}
	sets["uniform/dim=5"] = uniform
	blobs := make([]float64, rows*8)
	centres := make([]float64, 40*8)
	for i := range centres {
		centres[i] = 20 * rng.Float64()
	}
	for i := range rows {
		c := centres[rng.IntN(40)*8:]
		for d := range 8 {
			blobs[i*8+d] = c[d] + rng.NormFloat64()
		}
	}
	sets["blobs/dim=8"] = blobs
	grid := make([]float64, rows*2)
	for i := range grid {
		grid[i] = float64(rng.IntN(12))
	}
	sets["integers/dim=2"] = grid
	// Values float32 cannot tell apart (a large offset), values below
	// its normal range, and values past what its filter accepts.
	offset := make([]float64, rows*6)
	for i := range offset {
		offset[i] = 1e7 + 0.01*rng.NormFloat64()
	}
	sets["offset/dim=6"] = offset
	tiny := make([]float64, rows*3)
	for i := range tiny {
		tiny[i] = 1e-40 * float64(rng.IntN(50))
	}
	sets["tiny/dim=3"] = tiny
	wide := make([]float64, rows*3)
	for i := range wide {
		wide[i] = 0x1p60 * rng.NormFloat64()
	}
	sets["wide/dim=3"] = wide
	ms := map[string]matrix{}
	for name, data := range sets {
		m, err := newMatrix(data, len(data)/rows)
		if err != nil {
			t.Fatal(err)
		}
		ms[name] = m
	}
	return ms
}

// TestBoundedAssignerExact runs Lloyd with the plain and the pruned
// assigner from the same initial centroids and checks, after every
// step, that assignments, distances, inertia and centroids are equal
// bit for bit. Some initial centroids are duplicates, so that empty
// clusters are repaired along the way.
func TestBoundedAssignerExact(t *testing.T) {
	ctx := context.Background()
	for name, m := range pruneData(t) {
		for _, k := range []int{1, 2, 7, 31, 32, 45, 100} {
			t.Run(fmt.Sprintf("%s/k=%d", name, k), func(t *testing.T) {
				init, err := seedPlusPlus(ctx, m, k, uint64(k), 2, 1)
				if err != nil {
					t.Fatal(err)
				}
				if k > 5 {
					// Duplicate centroids: clusters left empty.
					copy(init[3*m.dim:4*m.dim], init[:m.dim])
					copy(init[5*m.dim:6*m.dim], init[:m.dim])
				}
				plain := newLloyd(m, k, 2, slices.Clone(init))
				pruned := newLloyd(m, k, 3, slices.Clone(init))
				a, err := newBoundedAssigner(ctx, m, k, pruned.centroids, 7, 3)
				if err != nil {
					t.Fatal(err)
				}
				pruned.assigner = a
				for it := range boundRing + 6 { // past the ring: stale bounds brought up to date
					if it > 0 {
						plain.update()
						pruned.update()
					}
					pc, err := plain.step(ctx)
					if err != nil {
						t.Fatal(err)
					}
					qc, err := pruned.step(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if pc != qc {
						t.Fatalf("step %d: %d changed, want %d", it, qc, pc)
					}
					if i := firstDiff(pruned.assign, plain.assign); i >= 0 {
						t.Fatalf("step %d: row %d assigned to %d, want %d", it, i, pruned.assign[i], plain.assign[i])
					}
					if !slices.EqualFunc(pruned.dist, plain.dist, sameBits) {
						t.Fatalf("step %d: distances differ", it)
					}
					if !sameBits(pruned.inertia, plain.inertia) || !slices.Equal(pruned.counts, plain.counts) {
						t.Fatalf("step %d: inertia %v counts %v, want %v %v", it, pruned.inertia, pruned.counts, plain.inertia, plain.counts)
					}
					if !slices.EqualFunc(pruned.centroids, plain.centroids, sameBits) {
						t.Fatalf("step %d: centroids differ", it)
					}
				}
				if want := !strings.HasPrefix(name, "wide/"); a.use32 != want {
					t.Errorf("float32 filter on: %v, want %v", a.use32, want)
				}
				total := int64(a.passes) * int64(m.rows) * int64(k)
				t.Logf("%d groups, %d passes, %.1f%% of distances skipped",
					a.groups, a.passes, 100*(1-float64(a.computed.Load())/float64(total)))
			})
		}
	}
}

func firstDiff(a, b []int32) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// TestBoundedAssignerPrunes checks that on separated blobs the bounds
// skip most distances once the centroids settle.
func TestBoundedAssignerPrunes(t *testing.T) {
	m := pruneData(t)["blobs/dim=8"]
	for _, k := range []int{8, 40, 80} {
		cfg := Config{K: k, Seed: 3, MaxIter: 50, Tol: 1e-12}
		data := m.data
		_, st, err := kmeans(context.Background(), data, m.dim, cfg, options{})
		if err != nil {
			t.Fatal(err)
		}
		total := int64(st.passes) * int64(m.rows) * int64(k)
		if skipped := 1 - float64(st.computed)/float64(total); skipped < 0.5 {
			t.Errorf("k=%d: %.1f%% of distances skipped over %d passes, want most", k, 100*skipped, st.passes)
		}
	}
}

// TestKMeansPlainSameResult checks that the fast path (pruning, and no
// sampling below the sample size) gives the plain path's result.
func TestKMeansPlainSameResult(t *testing.T) {
	for name, m := range pruneData(t) {
		for _, k := range []int{3, 40} {
			cfg := Config{K: k, Seed: 9, MaxIter: 30}
			fast, _, err := kmeans(context.Background(), m.data, m.dim, cfg, options{})
			if err != nil {
				t.Fatal(err)
			}
			plain, _, err := kmeans(context.Background(), m.data, m.dim, cfg, options{plain: true})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fast.Assign, plain.Assign) || !slices.EqualFunc(fast.Centroids, plain.Centroids, sameBits) ||
				!sameBits(fast.Inertia, plain.Inertia) || fast.Iterations != plain.Iterations {
				t.Errorf("%s k=%d: fast and plain results differ", name, k)
			}
		}
	}
}

func TestSampleInit(t *testing.T) {
	// More rows than the sample: k-means++ runs on a sample, the same
	// whatever the number of workers.
	rng := rand.New(rand.NewPCG(1, 1))
	const rows, dim, k = minSampleRows + 3*chunkRows, 3, 20
	data := make([]float64, rows*dim)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	var want *Result
	for _, workers := range []int{1, 2, 5} {
		for _, init := range []string{"", initAuto, initSample} {
			cfg := Config{K: k, Seed: 4, MaxIter: 20, Workers: workers, Init: init}
			r, _, err := kmeans(context.Background(), data, dim, cfg, options{})
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = r
				continue
			}
			if !slices.Equal(r.Assign, want.Assign) || !slices.EqualFunc(r.Centroids, want.Centroids, sameBits) ||
				!sameBits(r.Inertia, want.Inertia) || r.Iterations != want.Iterations {
				t.Errorf("workers=%d init=%q: result differs", workers, init)
			}
		}
	}
	m, err := newMatrix(data, dim)
	if err != nil {
		t.Fatal(err)
	}
	s := sampleRows(m, 1000, rand.New(rand.NewPCG(2, 2)))
	if s.rows != 1000 || len(s.data) != 1000*dim {
		t.Fatalf("sample of %d rows, %d values", s.rows, len(s.data))
	}
	if _, err := KMeans(context.Background(), data[:30], dim, Config{K: 2, Init: "random"}); err == nil {
		t.Errorf("unknown init accepted")
	}
}

func TestDown32(t *testing.T) {
	for _, v := range []float64{0, -1, 1e-300, 0.1, 1.0 / 3, math.Pi, 1e30, 1e39, math.Inf(1)} {
		f := down32(v)
		if float64(f) > max(v, 0) {
			t.Errorf("down32(%g) = %g, above", v, f)
		}
		if v > 0 && v < math.MaxFloat32 && float64(math.Nextafter32(f, math.MaxFloat32)) <= v {
			t.Errorf("down32(%g) = %g, not the largest float32 below", v, f)
		}
	}
	// Against math.Nextafter32, on values of every exponent a float32
	// has and around it, float32 values themselves and their neighbours.
	rng := rand.New(rand.NewPCG(32, 32))
	for range 200_000 {
		v := math.Ldexp(rng.Float64()+0.5, rng.IntN(300)-170)
		switch rng.IntN(3) {
		case 0:
			v = float64(float32(v))
		case 1:
			v = math.Nextafter(float64(float32(v)), 0)
		}
		want := float32(0)
		switch {
		case v >= math.MaxFloat32:
			want = math.MaxFloat32
		case v > 0:
			if want = float32(v); float64(want) > v {
				want = math.Nextafter32(want, 0)
			}
		}
		if got := down32(v); got != want {
			t.Fatalf("down32(%g) = %g, want %g", v, got, want)
		}
	}
}

// TestSeedFilterExact checks that k-means++ picks the same centroids, bit
// for bit, with and without the float32 filter, plain and greedy, on
// every matrix the filter allows.
func TestSeedFilterExact(t *testing.T) {
	ctx := context.Background()
	for name, m := range pruneData(t) {
		if !fits32(m) {
			continue
		}
		for _, tc := range []struct{ k, trials int }{{1, 1}, {9, 1}, {40, 1}, {40, 9}, {100, 10}} {
			t.Run(fmt.Sprintf("%s/k=%d/trials=%d", name, tc.k, tc.trials), func(t *testing.T) {
				want, err := seedPlusPlusFiltered(ctx, m, tc.k, 3, 2, tc.trials, false)
				if err != nil {
					t.Fatal(err)
				}
				got, err := seedPlusPlusFiltered(ctx, m, tc.k, 3, 3, tc.trials, true)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.EqualFunc(got, want, sameBits) {
					t.Fatal("centroids differ")
				}
			})
		}
	}
}

func TestSampleLadder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const size, dim, k = 1000, 3, 12
	data := make([]float64, 8*size*dim)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	m, err := newMatrix(data, dim)
	if err != nil {
		t.Fatal(err)
	}
	start := sampleRows(m, k, rand.New(rand.NewPCG(6, 6))).data

	// One rung of 4*size rows fits in half of 8*size rows; the next does
	// not. Refined, the centroids fit all rows better than the start.
	var want []float64
	for _, workers := range []int{1, 2, 5} {
		got, err := refineOnLadder(context.Background(), m, k, slices.Clone(start), size, 7, workers, 50, 1e-4)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
			if potential(m, got) >= potential(m, start) {
				t.Errorf("the ladder's centroids fit no better: %g against %g", potential(m, got), potential(m, start))
			}
			continue
		}
		if !slices.EqualFunc(got, want, sameBits) {
			t.Errorf("workers=%d: the ladder's centroids differ from workers=1", workers)
		}
	}

	// One row fewer and no rung fits: the centroids come back as given.
	short := matrix{data: data[:len(data)-dim], dim: dim, rows: 8*size - 1}
	got, err := refineOnLadder(context.Background(), short, k, slices.Clone(start), size, 7, 2, 50, 1e-4)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, start, sameBits) {
		t.Errorf("a ladder with no rung changed the centroids")
	}

	// Too few distinct rows in a rung's sample: the ladder stops there.
	dup := make([]float64, 8*size*dim)
	for i := range dup {
		dup[i] = float64(i / dim % (k - 1))
	}
	dm, err := newMatrix(dup, dim)
	if err != nil {
		t.Fatal(err)
	}
	few := sampleRows(dm, k, rand.New(rand.NewPCG(6, 6))).data
	if got, err := refineOnLadder(context.Background(), dm, k, slices.Clone(few), size, 7, 2, 50, 1e-4); err != nil || !slices.EqualFunc(got, few, sameBits) {
		t.Errorf("a rung with fewer than k distinct rows ran: err %v", err)
	}
}

// potential is the sum of squared distances of m's rows to their nearest
// of centroids.
func potential(m matrix, centroids []float64) float64 {
	var sum float64
	for i := range m.rows {
		best := math.Inf(1)
		for off := 0; off < len(centroids); off += m.dim {
			best = min(best, sqDist1(m.row(i), centroids[off:off+m.dim]))
		}
		sum += best
	}
	return sum
}
