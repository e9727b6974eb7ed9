package ingest

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// inOrder parses the batches of in on workers goroutines and hands each
// batch's result to consume, one at a time and in input order, from the
// calling goroutine. newWorker makes one worker's parse function and the
// function it calls when it has no more batches. At most 3 × workers
// batches exist at once, read, parsed or waiting for their turn, so memory
// stays bounded whatever the input's size. It returns the first error of
// reading, of consume, or of ctx.
func inOrder[R any](ctx context.Context, in *input, workers int, bindHeader func([]string) error,
	newWorker func() (parse func(rowBatch) R, finish func()), consume func(R) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		seq int
		r   R
	}
	inflight := make(chan struct{}, 3*workers)
	batches := make(chan rowBatch)
	limited := make(chan rowBatch)
	results := make(chan result, workers)
	readErr := make(chan error, 1)
	go func() { readErr <- in.batches(ctx, batches, bindHeader) }()
	go func() {
		defer close(limited)
		for b := range batches {
			select {
			case inflight <- struct{}{}:
			case <-ctx.Done():
				continue // drain
			}
			select {
			case limited <- b:
			case <-ctx.Done():
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			parse, finish := newWorker()
			for b := range limited {
				r := parse(b)
				select {
				case results <- result{b.seq, r}:
				case <-ctx.Done():
				}
			}
			finish()
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	pending := map[int]R{}
	next := 0
	var err error
	for res := range results {
		if err != nil {
			continue // drain
		}
		pending[res.seq] = res.r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-inflight
			if err = consume(r); err != nil {
				cancel()
				break
			}
		}
	}
	if rerr := <-readErr; rerr != nil && err == nil && !errors.Is(rerr, context.Canceled) {
		err = rerr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}
