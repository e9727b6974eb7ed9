// Package workers runs independent items of a stage on a bounded pool of
// goroutines, as the stages that write many files share it.
package workers

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// checkEvery is how many items a worker takes between two looks at ctx.
const checkEvery = 64

// Each calls fn(i) for i in [0, n) on at most GOMAXPROCS goroutines, all of
// which have returned when Each returns. Items are handed out in index
// order, but may finish in any order: fn writes its result by index. Each
// stops handing out work at the first error of fn, or when ctx is done
// (checked every 64 items), and returns that error; it returns ctx.Err()
// when ctx is done, even with nothing to do.
func Each(ctx context.Context, n int, fn func(i int) error) error {
	return EachOf(ctx, n, runtime.GOMAXPROCS(0), fn)
}

// EachOf is Each on at most workers goroutines (at least one): more than
// GOMAXPROCS for items that wait on the file system.
func EachOf(ctx context.Context, n, workers int, fn func(i int) error) error {
	workers = min(max(workers, 1), n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		stop     atomic.Bool
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err })
		stop.Store(true)
	}
	for range workers {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if i%checkEvery == 0 {
					if err := ctx.Err(); err != nil {
						fail(err)
						return
					}
				}
				if err := fn(i); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
