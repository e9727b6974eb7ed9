// Package cluster groups the rows of a numeric matrix with k-means.
//
// The matrix is a flat, row-major []float64 with a given number of
// columns (the dimension); the pipeline passes one row per cardholder,
// and each resulting cluster becomes a newsletter variant. KMeans seeds
// its centroids with k-means++ (on a uniform sample of the rows when
// there are more than max(10*K, 50000), refined by Lloyd iterations on
// the sample; see Config.Init), refines them with Lloyd iterations on
// all rows and returns a canonical numbering: clusters in descending
// order of size, ties broken by the lexicographic order of their
// centroids.
//
// The Lloyd iterations are exact but skip most distance computations
// with distance bounds: Hamerly's for K < 32, simplified Yinyang with
// about K/20 centroid groups above. The assignments are those of
// comparing every row with every centroid, bit for bit, ties going to
// the lowest index. The bounds take 4*(K/20+1) bytes per row (float32).
//
// With Config.MinSize, clusters smaller than that merge into their
// nearest neighbours once Lloyd's iterations end, and the iterations
// run again from the merged clusters' means (see merge.go), so that the
// result is still a k-means clustering: every row assigned to its
// nearest centroid, and the inertia measured against those centroids.
//
// Distances are computed four centroids at a time by AVX and FMA kernels
// in Go assembly on amd64 (see dist.go), and by Go code elsewhere that
// gives the same bits.
//
// The result is deterministic bit for bit for a given input, seed and
// platform, whatever the number of goroutines: rows are split into
// chunks of a fixed size, each chunk's partial sums are computed
// separately and the partials are always added in chunk order.
package cluster

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
)

// Defaults for the zero values of Config.
const (
	defaultMaxIter = 100
	defaultTol     = 1e-4
)

// maxMagnitude bounds the absolute value of every input value, so that
// squared distances and sums over millions of rows stay finite.
const maxMagnitude = 1e100

// Config tunes KMeans; zero values get defaults.
type Config struct {
	K       int     // number of clusters, required >= 1
	Seed    uint64  // seeds k-means++ (math/rand/v2 PCG)
	MaxIter int     // maximum number of Lloyd iterations; default 100
	Tol     float64 // stop when the relative inertia change is <= Tol; default 1e-4
	Workers int     // goroutines for the parallel steps; default runtime.GOMAXPROCS(0)

	// Init chooses the initial centroids:
	//   - "kmeans++": k-means++ over all rows, one draw per centroid;
	//   - "sample": greedy k-means++ (the best of 2 + 2 ln K draws per
	//     centroid) over a uniform sample of max(10*K, 50000) rows drawn
	//     with Seed (all rows when there are no more, or when
	//     the sample has fewer than K distinct rows), refined by Lloyd
	//     iterations on the sample under the same MaxIter and Tol, then
	//     on samples four times larger in turn (while one is at most half
	//     of all rows: from 400,000 rows on when the first sample has
	//     50,000) under three times Tol; Lloyd
	//     then runs on all rows;
	//   - "auto" or "" (the default): currently "sample". Inputs of at
	//     most max(10*K, 50000) rows thus get greedy k-means++ on all
	//     rows.
	Init string

	// Start, when not nil, gives the initial centroids instead: K*dim
	// values, row-major, such as last month's centroids, so that a
	// clustering of similar data starts close to where it ended and keeps
	// its shape. Init and Seed then play no part in the start.
	Start []float64

	// MinSize, when more than 0, is the fewest rows a cluster may keep.
	// Once Lloyd's iterations end, clusters with fewer rows merge into
	// the cluster of the nearest centroid, the smallest first, until
	// none is left or one cluster remains; Lloyd's iterations then run
	// again, under the same MaxIter and Tol, from the means of the
	// merged clusters, and merging and iterating repeat while some
	// cluster is below MinSize. The result then has fewer than K
	// clusters (Result.Merged says how many fewer), each of at least
	// MinSize rows unless only one is left, every row still assigned to
	// its nearest centroid.
	MinSize int

	// Progress, when set, is told of every Lloyd iteration on all rows,
	// from the goroutine that called KMeans, before the next one starts.
	Progress func(Iteration)
}

// Iteration is one Lloyd iteration on all rows, as Config.Progress is told
// of it.
type Iteration struct {
	// N counts the iterations on all rows so far, from 1 (merging small
	// clusters starts further iterations: N goes on), Max is MaxIter.
	N, Max int
	// Changed counts the rows that moved to another cluster; Inertia is
	// the sum of squared distances to the centroids after the iteration.
	Changed int
	Inertia float64
	// Skipped is the share of row-to-centroid distances the bounds let
	// the iteration skip (0 when it computed all of them).
	Skipped float64
}

// Initialisers, the values of Config.Init.
const (
	initAuto     = "auto"
	initPlusPlus = "kmeans++"
	initSample   = "sample"
	// initAllRows, for options.plain, is the start "sample" makes when
	// the sample would be all rows.
	initAllRows = "all rows"
)

// minSampleRows is the smallest sample k-means++ draws from under the
// "sample" initialiser; sampleRowsPerCluster*K rows when that is more.
const (
	minSampleRows        = 50_000
	sampleRowsPerCluster = 10
)

// withDefaults checks c and returns it with its zero values replaced by
// the defaults.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.MaxIter < 0:
		return c, fmt.Errorf("cluster: max iterations must not be negative, got %d", c.MaxIter)
	case math.IsNaN(c.Tol) || math.IsInf(c.Tol, 0) || c.Tol < 0:
		return c, fmt.Errorf("cluster: tolerance must be a finite number >= 0, got %g", c.Tol)
	case c.Workers < 0:
		return c, fmt.Errorf("cluster: workers must not be negative, got %d", c.Workers)
	case c.MinSize < 0:
		return c, fmt.Errorf("cluster: min size must not be negative, got %d", c.MinSize)
	case c.Init != "" && c.Init != initAuto && c.Init != initPlusPlus && c.Init != initSample:
		return c, fmt.Errorf("cluster: init must be %q, %q or %q, got %q", initAuto, initPlusPlus, initSample, c.Init)
	}
	if c.Init == "" {
		c.Init = initAuto
	}
	if c.MaxIter == 0 {
		c.MaxIter = defaultMaxIter
	}
	if c.Tol == 0 {
		c.Tol = defaultTol
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c, nil
}

// Result is a clustering.
//
// Assign holds the nearest centroid of every row (Inertia is measured
// against the same centroids), and the clusters are numbered
// canonically: Sizes is non-increasing, and clusters of equal size are
// ordered by the lexicographic order of their centroids. All of it
// describes the final clusters, after any merge (Config.MinSize).
type Result struct {
	K          int
	Dim        int
	Assign     []int32   // cluster of each row
	Centroids  []float64 // K*Dim, row-major
	Sizes      []int     // number of rows in each cluster
	Inertia    float64   // sum of squared distances to the assigned centroid
	Iterations int       // Lloyd iterations run, before and after merging
	Converged  bool      // whether the inertia settled (or no row moved) within MaxIter, in the last run
	Merged     int       // clusters merged away under Config.MinSize: Config.K - K
}

// Centroid returns the centroid of cluster k, a sub-slice of
// r.Centroids. It panics if k is out of range.
func (r *Result) Centroid(k int) []float64 {
	return r.Centroids[k*r.Dim : (k+1)*r.Dim : (k+1)*r.Dim]
}

// KMeans partitions the rows of data, a row-major matrix with dim
// columns, into cfg.K clusters.
//
// Every value must be finite, with magnitude at most 1e100, and there
// must be at least cfg.K distinct rows; rows and columns in errors are
// numbered from zero. No cluster is left empty, unless distinct rows
// are so close that their squared distance rounds to zero, as with
// subnormal differences. KMeans neither modifies nor retains data. It
// checks ctx between iterations and between chunks of rows, and
// returns ctx's error, wrapped, once ctx is done.
func KMeans(ctx context.Context, data []float64, dim int, cfg Config) (*Result, error) {
	r, _, err := kmeans(ctx, data, dim, cfg, options{})
	return r, err
}

// options are internal switches, for tests and benchmarks.
type options struct {
	plain bool // no sampling, no pruning: greedy k-means++ on all rows and exactAssigner
	// allRows starts from greedy k-means++ on all rows, as plain does,
	// and prunes (benchmarks: the same result as plain, bit for bit).
	allRows bool
}

// stats describes how a run went, for benchmarks.
type stats struct {
	init     time.Duration // time spent choosing the initial centroids
	merge    time.Duration // time spent merging small clusters and iterating again (MinSize)
	rounds   int           // merges, each followed by Lloyd's iterations
	passes   int           // assignment passes, every run
	total    int64         // row-centroid distances in those passes
	computed int64         // of which computed, the others skipped
	// iterations counts the iterations on all rows Config.Progress was
	// told of.
	iterations int
}

// kmeans is KMeans with internal options, also returning statistics.
func kmeans(ctx context.Context, data []float64, dim int, cfg Config, opt options) (*Result, stats, error) {
	var st stats
	if err := ctx.Err(); err != nil {
		return nil, st, fmt.Errorf("cluster: %w", err)
	}
	m, err := newMatrix(data, dim)
	if err != nil {
		return nil, st, err
	}
	switch {
	case cfg.K < 1:
		return nil, st, fmt.Errorf("cluster: k must be at least 1, got %d", cfg.K)
	case cfg.K > m.rows:
		return nil, st, fmt.Errorf("cluster: k=%d but only %d rows", cfg.K, m.rows)
	case cfg.K > math.MaxInt32:
		return nil, st, fmt.Errorf("cluster: k=%d is too large", cfg.K)
	}
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, st, err
	}
	if err := m.checkValues(ctx); err != nil {
		return nil, st, err
	}
	if n := m.distinctRows(cfg.K); n < cfg.K {
		return nil, st, fmt.Errorf("cluster: k=%d but only %d distinct rows", cfg.K, n)
	}

	init := cfg.Init
	if opt.plain || opt.allRows {
		init = initAllRows
	}
	start := time.Now()
	var centroids []float64
	if cfg.Start != nil {
		if len(cfg.Start) != cfg.K*dim {
			return nil, st, fmt.Errorf("cluster: %d start values for k=%d and %d columns, want %d", len(cfg.Start), cfg.K, dim, cfg.K*dim)
		}
		for i, v := range cfg.Start {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxMagnitude {
				return nil, st, fmt.Errorf("cluster: start centroid %d, column %d: not a finite number", i/dim, i%dim)
			}
		}
		centroids = append([]float64(nil), cfg.Start...)
	} else {
		centroids, err = initialCentroids(ctx, m, cfg.K, cfg.Seed, cfg.Workers, init, cfg.MaxIter, cfg.Tol)
		if err != nil {
			return nil, st, fmt.Errorf("cluster: %w", err)
		}
	}
	st.init = time.Since(start)
	r, err := iterate(ctx, m, cfg.K, centroids, cfg, opt, &st)
	if err != nil {
		return nil, st, fmt.Errorf("cluster: %w", err)
	}
	start = time.Now()
	for cfg.MinSize > 0 && r.K > 1 && slices.Min(r.Sizes) < cfg.MinSize {
		// Merged clusters are no k-means clusters: rows of a merged
		// cluster may be nearer another centroid than their new one.
		// Lloyd's iterations from the merged means make them one again,
		// and may leave another cluster below MinSize.
		k, _, centroids := mergeSmall(m, r, cfg.MinSize)
		iterations := r.Iterations
		r, err = iterate(ctx, m, k, centroids, cfg, opt, &st)
		if err != nil {
			return nil, st, fmt.Errorf("cluster: %w", err)
		}
		r.Iterations += iterations
		st.rounds++
	}
	st.merge = time.Since(start)
	r.Merged = cfg.K - r.K
	return r, st, nil
}

// iterate runs Lloyd's iterations on m from the given k initial
// centroids, which it takes over, and returns the clustering in
// canonical order, adding its passes to st.
func iterate(ctx context.Context, m matrix, k int, centroids []float64, cfg Config, opt options, st *stats) (*Result, error) {
	l := newLloyd(m, k, cfg.Workers, centroids)
	var bounded *boundedAssigner
	if !opt.plain {
		var err error
		bounded, err = newBoundedAssigner(ctx, m, k, centroids, cfg.Seed, cfg.Workers)
		if err != nil {
			return nil, err
		}
		l.assigner = bounded
	}
	if cfg.Progress != nil {
		var before int64
		l.progress = func(it, changed int) {
			skipped := 0.0
			if bounded != nil {
				now := bounded.computed.Load()
				if total := float64(m.rows) * float64(k); total > 0 {
					skipped = max(0, 1-float64(now-before)/total)
				}
				before = now
			}
			st.iterations++
			cfg.Progress(Iteration{N: st.iterations, Max: cfg.MaxIter, Changed: changed, Inertia: l.inertia, Skipped: skipped})
		}
	}
	iterations, converged, err := l.run(ctx, cfg.MaxIter, cfg.Tol)
	if err != nil {
		return nil, err
	}
	st.passes += l.passes
	st.total += int64(l.passes) * int64(m.rows) * int64(k)
	if bounded != nil {
		st.computed += bounded.computed.Load()
	} else {
		st.computed += int64(l.passes) * int64(m.rows) * int64(k)
	}
	r := &Result{
		K:          k,
		Dim:        m.dim,
		Assign:     l.assign,
		Centroids:  l.centroids,
		Sizes:      l.counts,
		Inertia:    l.inertia,
		Iterations: iterations,
		Converged:  converged,
	}
	r.canonicalize()
	return r, nil
}

// canonicalize renumbers the clusters by descending size, ties broken
// by the lexicographic order of the centroids, so that the numbering
// does not depend on the order in which k-means++ found them.
func (r *Result) canonicalize() {
	order := make([]int, r.K) // order[new] = old
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(r.Sizes[b], r.Sizes[a]); c != 0 {
			return c
		}
		return slices.Compare(r.Centroid(a), r.Centroid(b))
	})
	renumber := make([]int32, r.K) // renumber[old] = new
	centroids := make([]float64, len(r.Centroids))
	sizes := make([]int, r.K)
	for n, o := range order {
		renumber[o] = int32(n)
		copy(centroids[n*r.Dim:(n+1)*r.Dim], r.Centroid(o))
		sizes[n] = r.Sizes[o]
	}
	for i, a := range r.Assign {
		r.Assign[i] = renumber[a]
	}
	r.Centroids, r.Sizes = centroids, sizes
}
