package cluster

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime/debug"
)

// pcgStream is the second PCG seed word; Config.Seed is the first.
const pcgStream = 0x6a09e667f3bcc909

// seedPlusPlus picks k initial centroids with k-means++: the first is a
// row chosen uniformly; for each further one, trials candidate rows are
// drawn with probability proportional to their squared distance to the
// nearest centroid so far (D² sampling), and the one that leaves the
// smallest sum of those distances is taken. One trial is plain
// k-means++; more are Arthur and Vassilvitskii's greedy variant
// (scikit-learn draws 2 + ln k), which does not spend centroids on the
// outliers of wide clusters when clusters differ in spread. Rows already
// chosen have weight zero, so the k centroids are k distinct rows when
// the matrix has that many.
//
// Each candidate costs one parallel pass over the rows, whose distances
// to it the block kernel computes (the rows are copied into blocks once,
// as if they were centroids), and the one taken another; the sums are
// made per chunk and the chunk sums added in chunk order, so neither the
// draws nor the choice depend on the number of workers. A row only
// counts its distance to a candidate where that is below the distance to
// its nearest centroid so far: where the matrix allows (fits32), the
// kernel computes float32 distances, and a row's float64 distance, as
// sqDist1 computes it, only where the float32 one cannot rule that out
// (seed32), so the sums are the same bit for bit.
func seedPlusPlus(ctx context.Context, m matrix, k int, seed uint64, workers, trials int) ([]float64, error) {
	return seedPlusPlusFiltered(ctx, m, k, seed, workers, trials, fits32(m))
}

// seedPlusPlusFiltered is seedPlusPlus with the float32 filter, which m
// must allow (fits32), or without it: the centroids are the same.
func seedPlusPlusFiltered(ctx context.Context, m matrix, k int, seed uint64, workers, trials int, filter bool) ([]float64, error) {
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	dim := m.dim
	centroids := make([]float64, k*dim)
	minDist := make([]float64, m.rows)
	for i := range minDist {
		minDist[i] = math.Inf(1)
	}
	chunks := m.chunks()
	chunkWeight := make([]float64, chunks)
	// The rows in blocks, as if they were centroids, so that the
	// kernel computes the distances from a row to all of them; chunks
	// hold whole blocks.
	var (
		rows blocks
		dist []float64
		f32  *seed32
	)
	if filter {
		f32 = newSeed32(m)
		f32.slices = make([][]float32, chunks)
	} else {
		rows = newBlocks(dim, m.rows)
		for i := range m.rows {
			rows.set(i, m.row(i))
		}
		dist = make([]float64, rows.n*blockLanes)
	}
	trials = max(trials, 1)
	candidates := make([]int, 0, trials)
	// potential[c*trials+t] is chunk c's sum of the distances to the
	// nearest centroid were candidate t taken.
	potential := make([]float64, trials*chunks)
	// take makes row i centroid j: the distances to the nearest centroid
	// and the chunks' weights are updated.
	take := func(j, i int) error {
		c := m.row(i)
		copy(centroids[j*dim:(j+1)*dim], c)
		if f32 != nil {
			c32 := f32.candidate(0, c)
			return m.forChunks(ctx, 0, chunks, workers, func(ch, lo, hi int) {
				q := f32.dists(c32, lo, hi)
				var w float64
				for i := lo; i < hi; i++ {
					if q[i-lo] <= f32.limit[i] {
						if d := sqDist1(c, m.row(i)); d < minDist[i] {
							minDist[i] = d
							f32.limit[i] = f32.limitOf(d)
						}
					}
					w += minDist[i]
				}
				chunkWeight[ch] = w
			})
		}
		return m.forChunks(ctx, 0, chunks, workers, func(ch, lo, hi int) {
			first, end := lo/blockLanes, (hi+blockLanes-1)/blockLanes
			rows.dists(c, first, end, dist[first*blockLanes:end*blockLanes])
			var w float64
			for i := lo; i < hi; i++ {
				if d := dist[i]; d < minDist[i] {
					minDist[i] = d
				}
				w += minDist[i]
			}
			chunkWeight[ch] = w
		})
	}
	if err := take(0, rng.IntN(m.rows)); err != nil {
		return nil, err
	}
	for j := 1; j < k; j++ {
		candidates = candidates[:0]
		for range trials {
			i := sampleD2(rng, m, minDist, chunkWeight)
			if i < 0 {
				break
			}
			candidates = append(candidates, i)
		}
		if len(candidates) == 0 {
			if err := take(j, firstNewRow(m, centroids[:j*dim])); err != nil {
				return nil, err
			}
			continue
		}
		best := candidates[0]
		if len(candidates) > 1 && f32 != nil {
			for t, i := range candidates {
				f32.candidate(t, m.row(i))
			}
			err := m.forChunks(ctx, 0, chunks, workers, func(ch, lo, hi int) {
				pot := potential[ch*trials : (ch+1)*trials]
				clear(pot)
				qs := f32.slice(ch, trials)
				for from := lo; from < hi; from += seedSliceRows {
					to := min(from+seedSliceRows, hi)
					// The candidates' distances a part of the slice at a
					// time, small enough for its rows to stay in the
					// first-level cache while every candidate reads them.
					for lo := from; lo < to; lo += seedPartRows {
						hi := min(lo+seedPartRows, to)
						for t := range candidates {
							at := t*seedSliceRows + lo - from
							q := qs[at : at+(hi-lo+lanes32-1)/lanes32*lanes32]
							f32.distsInto(f32.cands[t], lo, hi, q)
						}
					}
					f32.potentials(m, candidates, minDist, qs, from, to, pot)
				}
			})
			if err != nil {
				return nil, err
			}
		} else if len(candidates) > 1 {
			err := m.forChunks(ctx, 0, chunks, workers, func(ch, lo, hi int) {
				pot := potential[ch*trials : (ch+1)*trials]
				clear(pot)
				// A slice of the chunk's rows at a time, small enough
				// to stay in the cache while every candidate reads it.
				for from := lo; from < hi; from += seedSliceRows {
					to := min(from+seedSliceRows, hi)
					first, end := from/blockLanes, (to+blockLanes-1)/blockLanes
					out := dist[first*blockLanes : end*blockLanes]
					for t, i := range candidates {
						rows.dists(m.row(i), first, end, out)
						var w float64
						for r := from; r < to; r++ {
							w += min(minDist[r], dist[r])
						}
						pot[t] += w
					}
				}
			})
			if err != nil {
				return nil, err
			}
		}
		if len(candidates) > 1 {
			bestSum := math.Inf(1)
			for t, i := range candidates {
				var sum float64
				for ch := range chunks {
					sum += potential[ch*trials+t]
				}
				if sum < bestSum {
					best, bestSum = i, sum
				}
			}
		}
		if err := take(j, best); err != nil {
			return nil, err
		}
	}
	return centroids, nil
}

// sampleTrials is how many candidates the "sample" initialiser's
// k-means++ draws for each centroid: twice scikit-learn's 2 + ln k, 16 at
// k = 1,349. Drawn from a sample rather than from every row, scikit-learn's
// number leaves 1-2.5% more inertia on a mixture of Gaussians whose
// spreads differ 40-fold (BENCHMARKS.md); twice as many come within 0.5%
// of scikit-learn on every matrix there, for about the time of one
// iteration on all rows.
func sampleTrials(k int) int { return 2 + int(2*math.Log(float64(k))) }

// seedSliceRows is how many rows greedy k-means++ takes at a time: their
// blocks (dimensions × 8 bytes each) stay in a core's cache while every
// candidate's distances to them are computed.
const seedSliceRows = 512

// seedPartRows is how many rows of a slice greedy k-means++'s float32
// filter computes the candidates' distances to at a time: their blocks
// (dimensions × 4 bytes each) stay in a core's first-level cache.
const seedPartRows = 128

// sampleD2 draws a row with probability proportional to its weight. If
// the weights do not add up to a positive finite total it falls back to
// the first row of largest weight; it returns -1 if every weight is 0.
func sampleD2(rng *rand.Rand, m matrix, weight, chunkWeight []float64) int {
	var total float64
	for _, w := range chunkWeight {
		total += w
	}
	if total > 0 && !math.IsInf(total, 0) {
		u := rng.Float64() * total
		var cum float64
		for c, cw := range chunkWeight {
			if cw > 0 && u < cum+cw {
				// Walk the chunk adding weights in the order its sum
				// was computed, so some row must reach u-cum.
				lo, hi := m.chunk(c)
				local, s, pick := u-cum, 0.0, -1
				for i := lo; i < hi; i++ {
					if weight[i] > 0 {
						pick = i
						if s += weight[i]; s > local {
							break
						}
					}
				}
				if pick >= 0 {
					return pick
				}
			}
			cum += cw
		}
	}
	pick, best := -1, 0.0
	for i, w := range weight {
		if w > best {
			pick, best = i, w
		}
	}
	return pick
}

// firstNewRow returns the first row that equals none of the centroids,
// or 0 if there is none. It is the last resort of k-means++, for rows
// that are distinct yet so close that their squared distance rounds to
// zero.
func firstNewRow(m matrix, centroids []float64) int {
	for i := range m.rows {
		x, found := m.row(i), false
		for off := 0; off < len(centroids); off += m.dim {
			if equalRows(x, centroids[off:off+m.dim]) {
				found = true
				break
			}
		}
		if !found {
			return i
		}
	}
	return 0
}

// initialCentroids picks k initial centroids for m as Config.Init says
// (init is never empty). Under "sample", the centroids k-means++ finds
// on the sample are refined by Lloyd iterations on the sample (at most
// maxIter, stopping at tol as the main run does), which costs a fraction
// of an iteration on all rows each and saves full iterations later; then
// on samples sampleGrowth times larger in turn while one is at most
// 1/sampleLadderShare of the rows (see refineOnLadder).
func initialCentroids(ctx context.Context, m matrix, k int, seed uint64, workers int, init string, maxIter int, tol float64) ([]float64, error) {
	if init == initPlusPlus {
		return seedPlusPlus(ctx, m, k, seed, workers, 1)
	}
	trials := sampleTrials(k)
	size := max(sampleRowsPerCluster*k, minSampleRows)
	if size >= m.rows || init == initAllRows {
		return seedPlusPlus(ctx, m, k, seed, workers, trials)
	}
	sample := sampleRows(m, size, rand.New(rand.NewPCG(seed, pcgStream^1)))
	if sample.distinctRows(k) < k {
		// Too many duplicates in the sample for k distinct centroids.
		return seedPlusPlus(ctx, m, k, seed, workers, trials)
	}
	centroids, err := seedPlusPlus(ctx, sample, k, seed, workers, trials)
	if err != nil {
		return nil, err
	}
	l := newLloyd(sample, k, workers, centroids)
	a, err := newBoundedAssigner(ctx, sample, k, centroids, seed, workers)
	if err != nil {
		return nil, err
	}
	l.assigner = a
	if _, _, err := l.run(ctx, maxIter, tol); err != nil {
		return nil, err
	}
	return refineOnLadder(ctx, m, k, l.centroids, size, seed, workers, maxIter, tol)
}

// The ladder of samples the "sample" start refines its centroids on:
// each sampleGrowth times the rows of the one before, while a sample is
// at most 1/sampleLadderShare of all rows, each stopping at
// ladderTolFactor times the tolerance.
const (
	sampleGrowth      = 4
	sampleLadderShare = 2
	ladderTolFactor   = 3
)

// refineOnLadder refines centroids, found on a sample of size rows, by
// Lloyd iterations on ever larger samples of m (the ladder above), and
// returns the last sample's centroids: the centroids each sample ends
// with start the next. On a million cardholders' features (k = 1,349)
// the iterations on all rows went from 33 to 24 and the clustering from
// 12.0-12.7 s to 10.1-10.4 s with a lower inertia; at three million, two
// rungs (200,000 and 800,000 rows) took it from 31.8 to 20.7 s. A
// Gaussian mixture that settles in 9 iterations from the first sample
// pays for its rung: 5.0 to 5.6 s. Samples are drawn afresh from all
// rows (their own PCG stream per rung), so a rung is a uniform sample as
// the first is.
func refineOnLadder(ctx context.Context, m matrix, k int, centroids []float64, size int, seed uint64, workers, maxIter int, tol float64) ([]float64, error) {
	ran := false
	for rung := uint64(2); size*sampleGrowth*sampleLadderShare <= m.rows; rung++ {
		size *= sampleGrowth
		sample := sampleRows(m, size, rand.New(rand.NewPCG(seed, pcgStream^rung)))
		if sample.distinctRows(k) < k {
			break // as on the first sample: Lloyd's iterations need k distinct rows
		}
		l := newLloyd(sample, k, workers, centroids)
		a, err := newBoundedAssigner(ctx, sample, k, centroids, seed, workers)
		if err != nil {
			return nil, err
		}
		l.assigner = a
		if _, _, err := l.run(ctx, maxIter, ladderTolFactor*tol); err != nil {
			return nil, err
		}
		centroids = l.centroids
		ran = true
	}
	if ran {
		// The samples and their bounds go back to the system before the
		// bounds of all rows are made: left to the collector's pace,
		// they raised a million cardholders' cluster stage from 1.30 to
		// 1.44 GB, and collected but kept by the process, `tailor
		// cluster` on three million rows from 1.62 to 2.06 GB.
		debug.FreeOSMemory()
	}
	return centroids, nil
}

// sampleRows returns a copy of size of m's rows, 0 < size <= m.rows,
// drawn uniformly without replacement and kept in row order (selection
// sampling, Knuth's Algorithm S).
func sampleRows(m matrix, size int, rng *rand.Rand) matrix {
	data := make([]float64, 0, size*m.dim)
	need := size
	for i := 0; i < m.rows && need > 0; i++ {
		if rng.IntN(m.rows-i) < need {
			data = append(data, m.row(i)...)
			need--
		}
	}
	return matrix{data: data, dim: m.dim, rows: size}
}

// seed32 is seedPlusPlus's float32 filter: the rows in float32 blocks,
// eight to a block, and for each row the float32 distance above which a
// candidate cannot come nearer to it than its nearest centroid so far
// (err32.limit of upperBound of that distance, with the largest error a
// pair of the matrix's rows can have, as every candidate is a row).
type seed32 struct {
	rows   blocks32
	index  []int32     // rows.n: 0, 1, 2, ..., for the kernel's lists of blocks
	q      []float32   // rows.n*lanes32: the float32 distances of the pass, by row
	limit  []float32   // rows: see above; +Inf while a row has no centroid
	cands  [][]float32 // the candidates in float32
	slices [][]float32 // one per chunk of the matrix: see slice
	err    err32
	rowErr float64 // the error of the float32 distance of any two rows
	rho    float64 // the slacks of boundedAssigner.upperBound
	alpha  float64
}

func newSeed32(m matrix) *seed32 {
	f := &seed32{rows: newBlocks32(m.dim, m.rows), err: newErr32(m.dim), limit: make([]float32, m.rows),
		rho: max(1e-10, 16*float64(m.dim+4)*0x1p-53), alpha: 1e-150}
	largest := 0.0
	for i := range m.rows {
		f.rows.set(i, m.row(i))
		largest = max(largest, norm(m.row(i)))
		f.limit[i] = float32(math.Inf(1))
	}
	f.rowErr = rowError(largest, largest)
	f.index = make([]int32, f.rows.n)
	for b := range f.index {
		f.index[b] = int32(b)
	}
	f.q = make([]float32, f.rows.n*lanes32)
	return f
}

// candidate stores c in float32 as candidate t and returns it.
func (f *seed32) candidate(t int, c []float64) []float32 {
	for len(f.cands) <= t {
		f.cands = append(f.cands, make([]float32, f.rows.dim))
	}
	toFloat32(c, f.cands[t])
	return f.cands[t]
}

// dists computes the float32 distances between c and the rows [lo, hi),
// lo a multiple of lanes32, and returns them, the first for row lo.
func (f *seed32) dists(c []float32, lo, hi int) []float32 {
	first, end := lo/lanes32, (hi+lanes32-1)/lanes32
	q := f.q[first*lanes32 : end*lanes32]
	f.rows.distList(c, f.index[first:end], q)
	return q[:hi-lo]
}

// slice returns chunk ch's room for the float32 distances of trials
// candidates to a slice of seedSliceRows rows, candidate t's at
// t*seedSliceRows. Only chunk ch's goroutine may call it.
func (f *seed32) slice(ch, trials int) []float32 {
	if len(f.slices[ch]) < trials*seedSliceRows {
		f.slices[ch] = make([]float32, trials*seedSliceRows)
	}
	return f.slices[ch][:trials*seedSliceRows]
}

// distsInto computes the float32 distances between c and the rows [lo,
// hi), lo a multiple of lanes32 and hi-lo at most seedSliceRows, into q.
func (f *seed32) distsInto(c []float32, lo, hi int, q []float32) {
	first, end := lo/lanes32, (hi+lanes32-1)/lanes32
	f.rows.distList(c, f.index[first:end], q[:(end-first)*lanes32])
}

// potentials adds to pot[t], for each candidate t, the sum over the rows
// [from, to) of the squared distance to the nearest centroid were
// candidate t taken: minDist unless the candidate's float32 distance, in
// qs[t*seedSliceRows:], cannot rule it out, and then the smaller of
// minDist and the candidate's distance. Each candidate's sum adds the
// rows in order, from 0, and is then added to pot[t], so the sums are
// the same bits whatever the order of the candidates; four candidates are
// summed side by side, which keeps the adds' latency out of the way.
func (f *seed32) potentials(m matrix, candidates []int, minDist []float64, qs []float32, from, to int, pot []float64) {
	n := to - from
	md, lim := minDist[from:to], f.limit[from:to]
	t := 0
	for ; t+4 <= len(candidates); t += 4 {
		q0 := qs[t*seedSliceRows : t*seedSliceRows+n]
		q1 := qs[(t+1)*seedSliceRows : (t+1)*seedSliceRows+n]
		q2 := qs[(t+2)*seedSliceRows : (t+2)*seedSliceRows+n]
		q3 := qs[(t+3)*seedSliceRows : (t+3)*seedSliceRows+n]
		var w0, w1, w2, w3 float64
		for r := range n {
			d, l := md[r], lim[r]
			v0, v1, v2, v3 := d, d, d, d
			if q0[r] <= l {
				v0 = min(d, sqDist1(m.row(candidates[t]), m.row(from+r)))
			}
			if q1[r] <= l {
				v1 = min(d, sqDist1(m.row(candidates[t+1]), m.row(from+r)))
			}
			if q2[r] <= l {
				v2 = min(d, sqDist1(m.row(candidates[t+2]), m.row(from+r)))
			}
			if q3[r] <= l {
				v3 = min(d, sqDist1(m.row(candidates[t+3]), m.row(from+r)))
			}
			w0 += v0
			w1 += v1
			w2 += v2
			w3 += v3
		}
		pot[t] += w0
		pot[t+1] += w1
		pot[t+2] += w2
		pot[t+3] += w3
	}
	for ; t < len(candidates); t++ {
		q := qs[t*seedSliceRows : t*seedSliceRows+n]
		var w float64
		for r := range n {
			v := md[r]
			if q[r] <= lim[r] {
				v = min(v, sqDist1(m.row(candidates[t]), m.row(from+r)))
			}
			w += v
		}
		pot[t] += w
	}
}

// limitOf returns a row's limit when its nearest centroid so far is at
// the squared distance d2, as computed: a centroid whose float32 distance
// exceeds it has a real distance above upperBound(d2), so a computed
// squared distance above d2 (see boundedAssigner.upperBound).
func (f *seed32) limitOf(d2 float64) float32 {
	return f.err.limit(math.Sqrt(d2)*(1+f.rho)+f.alpha, f.rowErr)
}
