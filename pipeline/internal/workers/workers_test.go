package workers_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/internal/workers"
)

func TestEachCallsEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 64, 65, 1000} {
		calls := make([]atomic.Int32, n)
		if err := workers.Each(context.Background(), n, func(i int) error {
			calls[i].Add(1)
			return nil
		}); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("n=%d: item %d called %d times", n, i, c)
			}
		}
	}
}

func TestEachBounded(t *testing.T) {
	var running, most atomic.Int32
	err := workers.Each(context.Background(), 500, func(i int) error {
		r := running.Add(1)
		for {
			m := most.Load()
			if r <= m || most.CompareAndSwap(m, r) {
				break
			}
		}
		runtime.Gosched()
		running.Add(-1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); int(m) > runtime.GOMAXPROCS(0) {
		t.Errorf("%d items at once, want at most GOMAXPROCS = %d", m, runtime.GOMAXPROCS(0))
	}
}

func TestEachStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	var failed atomic.Bool
	var late atomic.Int32
	err := workers.Each(context.Background(), 10000, func(i int) error {
		if i == 3 {
			failed.Store(true)
			return boom
		}
		if failed.Load() {
			// Handed out about when item 3 failed: slow, so that
			// a pool that went on would take many of them.
			late.Add(1)
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if l := late.Load(); l > 100 {
		t.Errorf("%d items handed out after the error", l)
	}
}

func TestEachContext(t *testing.T) {
	t.Run("done before", func(t *testing.T) {
		for _, n := range []int{0, 1, 100, 1000} {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var calls atomic.Int32
			err := workers.Each(ctx, n, func(int) error {
				calls.Add(1)
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("n=%d: error %v, want context.Canceled", n, err)
			}
			// Item 0 is never called; the other workers may take items
			// up to the next look at ctx.
			if c := calls.Load(); c >= 64 {
				t.Errorf("n=%d: %d items called with ctx done", n, c)
			}
		}
	})
	t.Run("done during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var calls atomic.Int32
		err := workers.Each(ctx, 100000, func(i int) error {
			if calls.Add(1) == 10 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		// Each worker looks at ctx within 64 items.
		if c := int(calls.Load()); c > 10+64*runtime.GOMAXPROCS(0) {
			t.Errorf("%d items called after the cancel", c)
		}
	})
}
