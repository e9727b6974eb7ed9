package cluster

import (
	"context"
	"sync"
)

// chunksPerWorker is how many chunks each worker gets per round of an
// assignment pass; a round's partial sums are held until the round ends.
const chunksPerWorker = 4

// partial holds the sums of one chunk of rows.
type partial struct {
	sums    []float64 // k*dim: sum of the rows assigned to each cluster
	counts  []int     // k: number of rows assigned to each cluster
	inertia float64   // sum of the rows' squared distances
	changed int       // number of rows whose assignment changed
}

// lloyd runs Lloyd iterations on a matrix.
type lloyd struct {
	m         matrix
	k         int
	workers   int
	assigner  assigner
	centroids []float64 // k*dim
	assign    []int32   // rows; -1 before the first pass
	dist      []float64 // rows: squared distance to the assigned centroid
	parts     []partial // one per chunk of a round
	sums      []float64 // k*dim: reduced over all chunks
	counts    []int     // k: reduced over all chunks
	inertia   float64   // reduced over all chunks
	passes    int       // assignment passes run
	// progress, when set, is told of each iteration and the rows it
	// moved.
	progress func(iteration, changed int)
}

// newLloyd prepares Lloyd iterations from the given initial centroids,
// which it takes over.
func newLloyd(m matrix, k, workers int, centroids []float64) *lloyd {
	l := &lloyd{
		m:         m,
		k:         k,
		workers:   workers,
		assigner:  &exactAssigner{m: m, k: k},
		centroids: centroids,
		assign:    make([]int32, m.rows),
		dist:      make([]float64, m.rows),
		sums:      make([]float64, k*m.dim),
		counts:    make([]int, k),
	}
	for i := range l.assign {
		l.assign[i] = -1
	}
	// A round holds chunksPerWorker chunks per worker, but the partials
	// of a round never take much more memory than the matrix itself,
	// which only matters when k exceeds chunkRows.
	n := min(workers*chunksPerWorker, m.chunks())
	n = max(1, min(n, (len(m.data)+chunkRows*m.dim)/(k*m.dim)))
	l.parts = make([]partial, n)
	for i := range l.parts {
		l.parts[i] = partial{sums: make([]float64, k*m.dim), counts: make([]int, k)}
	}
	return l
}

// run alternates the update and assignment steps until the relative
// decrease of the inertia is at most tol, no assignment changes, or
// maxIter iterations have run. It returns the number of iterations and
// whether the run converged. The centroids, assignment and inertia it
// leaves belong together: every row is assigned to its nearest
// centroid.
func (l *lloyd) run(ctx context.Context, maxIter int, tol float64) (iterations int, converged bool, err error) {
	if _, err := l.step(ctx); err != nil {
		return 0, false, err
	}
	for it := 1; it <= maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return it - 1, false, err
		}
		l.update()
		prev := l.inertia
		changed, err := l.step(ctx)
		if err != nil {
			return it - 1, false, err
		}
		if l.progress != nil {
			l.progress(it, changed)
		}
		if changed == 0 || prev-l.inertia <= tol*prev {
			return it, true, nil
		}
	}
	return maxIter, false, nil
}

// update moves every non-empty cluster's centroid to the mean of its
// rows.
func (l *lloyd) update() {
	dim := l.m.dim
	for j, n := range l.counts {
		if n == 0 {
			continue
		}
		c, s := l.centroids[j*dim:(j+1)*dim], l.sums[j*dim:(j+1)*dim]
		fn := float64(n)
		for d := range c {
			c[d] = s[d] / fn
		}
	}
}

// step runs an assignment pass and repairs empty clusters: while some
// cluster is empty, it re-seeds it and runs the pass again. It returns
// the number of assignments changed over all its passes.
func (l *lloyd) step(ctx context.Context) (changed int, err error) {
	changed, err = l.pass(ctx)
	// Each repair strictly lowers the inertia; k rounds are plenty.
	for round := 0; err == nil && round < l.k && l.hasEmpty() && l.reseedEmpty(); round++ {
		var n int
		n, err = l.pass(ctx)
		changed += n
	}
	return changed, err
}

// pass assigns every row to its nearest centroid and computes the
// clusters' sums, counts and inertia. Chunks run in rounds; within a
// round they run in parallel, each into its own partial, and the
// partials are then added in chunk order.
func (l *lloyd) pass(ctx context.Context) (changed int, err error) {
	l.passes++
	l.assigner.prepare(l.centroids)
	clear(l.sums)
	clear(l.counts)
	l.inertia = 0
	chunks := l.m.chunks()
	for first := 0; first < chunks; first += len(l.parts) {
		last := min(first+len(l.parts), chunks)
		err := l.m.forChunks(ctx, first, last, l.workers, func(c, lo, hi int) {
			p := &l.parts[c-first]
			p.changed = l.assigner.assign(lo, hi, l.assign[lo:hi], l.dist[lo:hi])
			l.accumulate(p, lo, hi)
		})
		if err != nil {
			return 0, err
		}
		l.reduce(l.parts[:last-first])
		for _, p := range l.parts[:last-first] {
			l.inertia += p.inertia
			changed += p.changed
		}
	}
	return changed, nil
}

// reduce adds the partials' sums and counts to the clusters', in the
// partials' order for every value, the clusters split among the workers.
func (l *lloyd) reduce(parts []partial) {
	dim := l.m.dim
	add := func(lo, hi int) {
		for _, p := range parts {
			sums := p.sums[lo*dim : hi*dim]
			for i, s := range sums {
				l.sums[lo*dim+i] += s
			}
			for i, n := range p.counts[lo:hi] {
				l.counts[lo+i] += n
			}
		}
	}
	// Below a few thousand values a goroutine costs more than it saves.
	workers := min(l.workers, l.k*dim/4096)
	if workers <= 1 {
		add(0, l.k)
		return
	}
	per := (l.k + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < l.k; lo += per {
		wg.Go(func() { add(lo, min(lo+per, l.k)) })
	}
	wg.Wait()
}

// accumulate sets p to the sums of rows [lo, hi), in row order.
func (l *lloyd) accumulate(p *partial, lo, hi int) {
	dim := l.m.dim
	clear(p.sums)
	clear(p.counts)
	var inertia float64
	for i := lo; i < hi; i++ {
		a := int(l.assign[i])
		x, s := l.m.row(i), p.sums[a*dim:(a+1)*dim]
		for d, v := range x {
			s[d] += v
		}
		p.counts[a]++
		inertia += l.dist[i]
	}
	p.inertia = inertia
}

// hasEmpty reports whether some cluster has no rows.
func (l *lloyd) hasEmpty() bool {
	for _, n := range l.counts {
		if n == 0 {
			return true
		}
	}
	return false
}

// reseedEmpty moves the centroid of every empty cluster onto a row taken
// from the largest cluster, the one farthest from its centroid, and
// reports whether it moved any. The bookkeeping of counts, assign and
// dist follows each move, so the next empty cluster takes the next row;
// the caller then runs a full pass. No row's distance to its nearest
// centroid grows, and the moved rows' distances drop to zero, so the
// inertia strictly decreases.
func (l *lloyd) reseedEmpty() bool {
	dim := l.m.dim
	moved := false
	for j, n := range l.counts {
		if n > 0 {
			continue
		}
		i := l.farthestRow()
		if i < 0 {
			break
		}
		l.counts[l.assign[i]]--
		l.counts[j]++
		l.assign[i], l.dist[i] = int32(j), 0
		copy(l.centroids[j*dim:(j+1)*dim], l.m.row(i))
		moved = true
	}
	return moved
}

// farthestRow returns the row of the largest cluster (lowest index on
// ties) that is farthest from its centroid (lowest row on ties). If all
// of that cluster's rows sit on its centroid, it looks in every cluster
// of two rows or more. It returns -1 if no such row is away from its
// centroid.
func (l *lloyd) farthestRow() int {
	largest := 0
	for j, n := range l.counts {
		if n > l.counts[largest] {
			largest = j
		}
	}
	pick, best := -1, 0.0
	if l.counts[largest] >= 2 {
		for i, a := range l.assign {
			if int(a) == largest && l.dist[i] > best {
				pick, best = i, l.dist[i]
			}
		}
	}
	if pick >= 0 {
		return pick
	}
	for i, a := range l.assign {
		if l.counts[a] >= 2 && l.dist[i] > best {
			pick, best = i, l.dist[i]
		}
	}
	return pick
}
