// Package schedtest provides a fake schedule.Clock for tests: its time
// moves only when the test says, and its timers fire then.
package schedtest

import (
	"sync"
	"time"

	"github.com/tailor-mail/tailor/pipeline/schedule"
)

// Clock is a schedule.Clock whose time stands still until Advance or Set.
// It is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	cond   *sync.Cond
	now    time.Time
	timers map[*timer]struct{}
	made   int
}

var _ schedule.Clock = (*Clock)(nil)

// NewClock returns a clock that stands at now.
func NewClock(now time.Time) *Clock {
	c := &Clock{now: now, timers: map[*timer]struct{}{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock reaches now + d.
func (c *Clock) NewTimer(d time.Duration) schedule.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	c.made++
	c.cond.Broadcast()
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers[t] = struct{}{}
	return t
}

// Advance moves the clock on by d, firing the timers due by then.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(c.now.Add(d))
}

// Set moves the clock to t, firing the timers due by then.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(t)
}

func (c *Clock) set(t time.Time) {
	c.now = t
	for tm := range c.timers {
		if !tm.at.After(t) {
			tm.ch <- t
			delete(c.timers, tm)
		}
	}
	c.cond.Broadcast()
}

// Timers returns the number of timers waiting to fire.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Made returns the number of timers made so far. A scheduler makes one
// each time it goes back to waiting: after a timer fired, after a job
// ended.
func (c *Clock) Made() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.made
}

// WaitMade blocks until n timers have been made: until the scheduler has
// gone back to waiting so many times.
func (c *Clock) WaitMade(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.made < n {
		c.cond.Wait()
	}
}

type timer struct {
	c  *Clock
	at time.Time
	ch chan time.Time
}

func (t *timer) C() <-chan time.Time { return t.ch }

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, waiting := t.c.timers[t]
	delete(t.c.timers, t)
	t.c.cond.Broadcast()
	return waiting
}
