package pipeline

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progressEvery is how often a meter tells Events how far its stage is.
const progressEvery = 200 * time.Millisecond

// meter counts a running stage's work and tells Events of it every
// progressEvery from a goroutine of its own, which close stops. Add and
// SetDetail are safe from any goroutine; a meter of a run without Events
// counts and tells no one.
type meter struct {
	r           *run
	stage, unit string
	start       time.Time
	done, total atomic.Int64
	detail      atomic.Pointer[string]
	stop        chan struct{}
	wg          sync.WaitGroup
}

// meter starts metering stage's work of total units (0: not known).
func (r *run) meter(stage, unit string, total int64) *meter {
	m := &meter{r: r, stage: stage, unit: unit, start: time.Now(), stop: make(chan struct{})}
	m.total.Store(total)
	if r.cfg.Events == nil {
		return m
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.tell()
			}
		}
	}()
	return m
}

// Add counts n more units done.
func (m *meter) Add(n int64) { m.done.Add(n) }

// Set says done units are done, and total are to do (0: not known).
func (m *meter) Set(done, total int64) { m.done.Store(done); m.total.Store(total) }

// SetDetail says what the figures do not.
func (m *meter) SetDetail(s string) { m.detail.Store(&s) }

// tell tells Events how far the stage is.
func (m *meter) tell() {
	p := &Progress{Done: m.done.Load(), Total: m.total.Load(), Unit: m.unit, Start: m.start}
	if d := m.detail.Load(); d != nil {
		p.Detail = *d
	}
	m.r.event(Event{Stage: m.stage, State: EventProgress, Progress: p})
}

// close stops the meter's reports; the stage's end is told by the runner.
func (m *meter) close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	m.wg.Wait()
}

// countingReader counts the bytes read through it into a meter.
type countingReader struct {
	r io.Reader
	m *meter
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.m.Add(int64(n))
	return n, err
}
