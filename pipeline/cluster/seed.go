package cluster

import (
	"context"
	"math"
	"math/rand/v2"
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
// draws nor the choice depend on the number of workers.
func seedPlusPlus(ctx context.Context, m matrix, k int, seed uint64, workers, trials int) ([]float64, error) {
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
	rows := newBlocks(dim, m.rows)
	for i := range m.rows {
		rows.set(i, m.row(i))
	}
	dist := make([]float64, rows.n*blockLanes)
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
		if len(candidates) > 1 {
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
// of an iteration on all rows each and saves full iterations later.
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
	return l.centroids, nil
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
