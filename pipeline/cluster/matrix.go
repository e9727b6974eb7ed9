package cluster

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// chunkRows is the number of rows in a chunk, the unit of parallel work
// and of partial sums. It is fixed, never derived from the number of
// workers, so that partial sums are added in the same order however
// many goroutines run.
const chunkRows = 4096

// matrix is a row-major matrix of rows*dim values.
type matrix struct {
	data []float64
	dim  int
	rows int
}

// newMatrix checks the shape of data and wraps it.
func newMatrix(data []float64, dim int) (matrix, error) {
	switch {
	case dim < 1:
		return matrix{}, fmt.Errorf("cluster: dim must be at least 1, got %d", dim)
	case len(data)%dim != 0:
		return matrix{}, fmt.Errorf("cluster: %d values are not a multiple of dim=%d", len(data), dim)
	case len(data) == 0:
		return matrix{}, fmt.Errorf("cluster: no rows")
	}
	return matrix{data: data, dim: dim, rows: len(data) / dim}, nil
}

// row returns row i.
func (m matrix) row(i int) []float64 {
	return m.data[i*m.dim : (i+1)*m.dim : (i+1)*m.dim]
}

// chunks returns the number of chunks.
func (m matrix) chunks() int {
	return (m.rows + chunkRows - 1) / chunkRows
}

// chunk returns the rows [lo, hi) of chunk c.
func (m matrix) chunk(c int) (lo, hi int) {
	return c * chunkRows, min((c+1)*chunkRows, m.rows)
}

// checkValues reports the first value, in row order, that is not finite
// or whose magnitude exceeds maxMagnitude.
func (m matrix) checkValues(ctx context.Context) error {
	for c := range m.chunks() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		lo, hi := m.chunk(c)
		for i, v := range m.data[lo*m.dim : hi*m.dim] {
			switch {
			case math.IsNaN(v) || math.IsInf(v, 0):
				r, col := lo+i/m.dim, i%m.dim
				return fmt.Errorf("cluster: row %d, column %d: not a finite number", r, col)
			case math.Abs(v) > maxMagnitude:
				r, col := lo+i/m.dim, i%m.dim
				return fmt.Errorf("cluster: row %d, column %d: magnitude %g exceeds %g", r, col, v, maxMagnitude)
			}
		}
	}
	return nil
}

// distinctRows counts the distinct rows, stopping once it has found
// limit of them. Rows are equal when their values compare equal, so 0
// and -0 are the same. Memory is proportional to limit.
func (m matrix) distinctRows(limit int) int {
	seen := make(map[uint64][]int, min(limit, m.rows))
	n := 0
	for i := 0; i < m.rows && n < limit; i++ {
		x := m.row(i)
		h := hashRow(x)
		reps := seen[h]
		dup := false
		for _, r := range reps {
			if equalRows(m.row(r), x) {
				dup = true
				break
			}
		}
		if !dup {
			seen[h] = append(reps, i)
			n++
		}
	}
	return n
}

// hashRow hashes the values of x so that equal rows hash alike.
func hashRow(x []float64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range x {
		if v == 0 {
			v = 0 // -0 hashes as 0
		}
		h ^= math.Float64bits(v)
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return h
}

// equalRows reports whether x and y hold equal values.
func equalRows(x, y []float64) bool {
	for i, v := range x {
		if v != y[i] {
			return false
		}
	}
	return true
}

// forChunks calls fn(c, lo, hi) for every chunk c in [first, last) of m,
// with the chunk's rows [lo, hi), on at most workers goroutines, and
// returns when every call has returned. It checks ctx before each
// chunk: once ctx is done no further chunk starts and ctx's error is
// returned. Calls for different chunks may run concurrently, so fn must
// write only to memory owned by its chunk.
func (m matrix) forChunks(ctx context.Context, first, last, workers int, fn func(c, lo, hi int)) error {
	workers = min(workers, last-first)
	if workers <= 1 {
		for c := first; c < last; c++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			lo, hi := m.chunk(c)
			fn(c, lo, hi)
		}
		return ctx.Err()
	}
	var next atomic.Int64
	next.Store(int64(first))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				c := int(next.Add(1) - 1)
				if c >= last {
					return
				}
				lo, hi := m.chunk(c)
				fn(c, lo, hi)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
