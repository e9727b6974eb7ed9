// Package schedule runs jobs at the times of cron schedules, in the
// foreground: a small scheduler for those without cron. Time comes from a
// Clock, so that tests drive it without sleeping (schedtest.Clock).
//
// Jobs of one group (a campaign's run and send) run one at a time, in the
// order they were given; a job still running when its next tick comes is
// not started twice. A job that is not ready (ErrNotReady: an approval
// file missing, a lock held) is tried again after its Retry until its next
// tick. At start, the latest tick each job missed within its CatchUp runs
// once: the scheduler keeps no memory of what it ran, so whether a missed
// tick still has work to do is for the job to find out (the run directory,
// the send ledger).
//
// The package adapts github.com/robfig/cron/v3's parser and imports no
// other tailor package.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Clock tells the time and makes timers: the scheduler's only source of
// time.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed (at once for d <= 0).
	NewTimer(d time.Duration) Timer
}

// Timer is a Clock's timer.
type Timer interface {
	// C is the channel the time is sent on.
	C() <-chan time.Time
	// Stop stops the timer; it reports whether it had not fired yet.
	Stop() bool
}

// SystemClock returns the clock of the system: time.Now and time.NewTimer.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time                 { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }

// Spec is a parsed cron schedule in a time zone.
type Spec struct {
	// Text is the schedule as written, "0 6 1 * *".
	Text string
	// Location is the time zone its times are in.
	Location *time.Location
	sched    cron.Schedule
}

// Parse parses a standard cron schedule (minute, hour, day of month, month,
// day of week; or a descriptor such as @monthly) whose times are in loc
// (nil: time.Local). Time zones are given by loc, not by a CRON_TZ= prefix.
func Parse(text string, loc *time.Location) (spec *Spec, err error) {
	if loc == nil {
		loc = time.Local
	}
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "TZ=") || strings.HasPrefix(t, "CRON_TZ=") {
		return nil, errors.New("a time zone prefix: give the time zone apart")
	}
	defer func() {
		// cron/v3 panics on a few malformed specs.
		if p := recover(); p != nil {
			spec, err = nil, fmt.Errorf("%v", p)
		}
	}()
	s, err := cron.ParseStandard("CRON_TZ=" + loc.String() + " " + t)
	if err != nil {
		return nil, err
	}
	// A schedule that matches no date (30 February) never comes.
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, errors.New("matches no date")
	}
	return &Spec{Text: text, Location: loc, sched: s}, nil
}

// Next returns the first time of the schedule after t, in the schedule's
// time zone; the zero time if there is none within five years. A time in
// the hour that the clocks skip when summer time begins does not come
// that day (cron's rule); one in the hour that comes twice when it ends
// comes once, the first time (cron/v3 alone would tick twice).
func (s *Spec) Next(t time.Time) time.Time {
	for {
		n := s.sched.Next(t)
		if n.IsZero() {
			return n
		}
		n = n.In(s.Location)
		if !repeated(n) {
			return n
		}
		t = n
	}
}

// repeated reports whether the wall clock time of t came already, shortly
// before t, when the clocks went back.
func repeated(t time.Time) bool {
	wall := func(t time.Time) string { return t.Format("2006-01-02 15:04:05") }
	for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		if wall(t.Add(-d).In(t.Location())) == wall(t) {
			return true
		}
	}
	return false
}

// Prev returns the latest time of the schedule at or before t and no more
// than within before it; false when there is none.
func (s *Spec) Prev(t time.Time, within time.Duration) (time.Time, bool) {
	// Look back over growing windows, so that a schedule of every minute
	// does not walk a year of minutes.
	for w := time.Hour; ; w *= 8 {
		if w > within {
			w = within
		}
		var last time.Time
		for n := s.Next(t.Add(-w - time.Second)); !n.IsZero() && !n.After(t); n = s.Next(n) {
			last = n
		}
		if !last.IsZero() {
			return last, true
		}
		if w == within {
			return time.Time{}, false
		}
	}
}

// ErrNotReady is wrapped by the error of a job that cannot do its work
// yet (an approval not given, a lock held by another process): the
// scheduler tries the same tick again after the job's Retry, until its
// next tick.
var ErrNotReady = errors.New("not ready")

// DefaultRetry is how long after ErrNotReady a job is tried again when
// its Retry is 0.
const DefaultRetry = 5 * time.Minute

// Job is work done at the times of a schedule.
type Job struct {
	// Name names the job in events ("quickstart send").
	Name string
	// Group: the jobs of one group run one at a time, in the order given.
	Group string
	Spec  *Spec
	// CatchUp is how long after a tick the job may still run when the
	// scheduler was not running at the tick; 0 never catches up.
	CatchUp time.Duration
	// Retry is how long after ErrNotReady the job is tried again
	// (default DefaultRetry).
	Retry time.Duration
	// Run does the work of the tick at tick and says what it did. It is
	// stopped by ctx's cancellation, and should then stop resumably.
	Run func(ctx context.Context, tick time.Time) (string, error)
}

// Event is what the scheduler tells of a job.
type Event struct {
	Job  string
	Kind EventKind
	// Tick is the time of the schedule the event is about.
	Tick time.Time
	// CatchUp says the tick was missed and is run at start.
	CatchUp bool
	// Outcome is what an ended job said it did; Err how it failed.
	Outcome string
	Err     error
	// Duration is how long an ended job ran.
	Duration time.Duration
	// Next is when the job runs next: the tick after a skipped one, or
	// the retry of one not ready.
	Next time.Time
}

// EventKind says what happened.
type EventKind string

// Event kinds.
const (
	// Start: the job starts.
	Start EventKind = "start"
	// End: the job ended, with Outcome or Err.
	End EventKind = "end"
	// Wait: the job was not ready (Err says why), tried again at Next.
	Wait EventKind = "wait"
	// Skip: a tick came while the job of an earlier tick was still
	// running or waiting its turn; it is not started twice.
	Skip EventKind = "skip"
)

// Scheduler runs jobs at their times. Its zero value is not useful: set
// Jobs.
type Scheduler struct {
	Jobs []Job
	// Clock is the source of time (default SystemClock).
	Clock Clock
	// Events, when set, is told what the scheduler does; it is called
	// from the scheduler's goroutines, one at a time.
	Events func(Event)

	mu sync.Mutex // serializes Events
}

// due is one job to run at one tick.
type due struct {
	job     int
	tick    time.Time
	catchUp bool
}

// done is how a run of a job ended, and when.
type done struct {
	due
	err error
	at  time.Time
}

// jobState is the scheduler loop's view of one job.
type jobState struct {
	next time.Time
	// busy: a run of the job is queued or running.
	busy bool
	// retry, when set, is a tick to try again at retryAt.
	retry   *due
	retryAt time.Time
}

// Run runs the jobs at their times until ctx is cancelled, then waits for
// the jobs in progress, which see ctx cancelled too, to stop. At start it
// catches up the latest tick each job missed within its CatchUp.
func (s *Scheduler) Run(ctx context.Context) error {
	return s.run(ctx, false)
}

// Once runs what is due now, the latest tick of each job within its
// CatchUp, and returns when those runs have ended: for a scheduler that
// calls tailor (cron, a systemd timer). A job not ready is not tried
// again: the next call tries it.
func (s *Scheduler) Once(ctx context.Context) error {
	return s.run(ctx, true)
}

func (s *Scheduler) run(ctx context.Context, once bool) error {
	clock := s.clock()
	for _, j := range s.Jobs {
		if j.Spec == nil || j.Run == nil {
			return fmt.Errorf("schedule: job %q: no schedule or no work", j.Name)
		}
	}
	// One worker per group runs its jobs in turn; each job has at most
	// one run queued or running, so the queues never fill.
	queues := map[string]chan due{}
	results := make(chan done, len(s.Jobs))
	var wg sync.WaitGroup
	for _, j := range s.Jobs {
		if queues[j.Group] != nil {
			continue
		}
		q := make(chan due, len(s.Jobs))
		queues[j.Group] = q
		wg.Go(func() {
			for d := range q {
				results <- s.do(ctx, d)
			}
		})
	}
	stop := func() {
		for _, q := range queues {
			close(q)
		}
		wg.Wait()
	}
	state := make([]jobState, len(s.Jobs))
	busy := 0
	dispatch := func(d due) {
		state[d.job].busy = true
		busy++
		queues[s.Jobs[d.job].Group] <- d
	}
	// Catch up, in the order of the jobs.
	now := clock.Now()
	for i, j := range s.Jobs {
		state[i].next = j.Spec.Next(now)
		if j.CatchUp <= 0 {
			continue
		}
		if tick, ok := j.Spec.Prev(now, j.CatchUp); ok {
			dispatch(due{job: i, tick: tick, catchUp: true})
		}
	}
	if once {
		for ; busy > 0; busy-- {
			<-results
		}
		stop()
		return nil
	}
	for {
		wake := time.Time{}
		for _, st := range state {
			for _, t := range []time.Time{st.next, st.retryAt} {
				if !t.IsZero() && (wake.IsZero() || t.Before(wake)) {
					wake = t
				}
			}
		}
		var timer Timer
		var fire <-chan time.Time
		if !wake.IsZero() {
			timer = clock.NewTimer(wake.Sub(clock.Now()))
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			stop()
			return nil
		case r := <-results:
			busy--
			st := &state[r.job]
			st.busy = false
			if errors.Is(r.err, ErrNotReady) {
				at := r.at.Add(s.Jobs[r.job].retry())
				if st.next.IsZero() || at.Before(st.next) {
					d := r.due
					st.retry, st.retryAt = &d, at
				}
			}
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		now := clock.Now()
		for i := range state {
			st := &state[i]
			if st.retry != nil && !st.retryAt.After(now) && !st.busy {
				d := *st.retry
				st.retry, st.retryAt = nil, time.Time{}
				dispatch(d)
			}
			if st.next.IsZero() || st.next.After(now) {
				continue
			}
			tick := st.next
			st.next = s.Jobs[i].Spec.Next(now)
			// A new tick takes the place of a retry of an older one.
			st.retry, st.retryAt = nil, time.Time{}
			if st.busy {
				s.event(Event{Job: s.Jobs[i].Name, Kind: Skip, Tick: tick, Next: st.next})
				continue
			}
			dispatch(due{job: i, tick: tick})
		}
	}
}

// do runs one job at one tick, telling its start and end.
func (s *Scheduler) do(ctx context.Context, d due) done {
	j := s.Jobs[d.job]
	clock := s.clock()
	if ctx.Err() != nil {
		return done{d, ctx.Err(), clock.Now()}
	}
	s.event(Event{Job: j.Name, Kind: Start, Tick: d.tick, CatchUp: d.catchUp})
	start := clock.Now()
	out, err := j.Run(ctx, d.tick)
	end := clock.Now()
	if errors.Is(err, ErrNotReady) {
		s.event(Event{Job: j.Name, Kind: Wait, Tick: d.tick, CatchUp: d.catchUp, Err: err, Next: end.Add(j.retry())})
	} else {
		s.event(Event{Job: j.Name, Kind: End, Tick: d.tick, CatchUp: d.catchUp, Outcome: out, Err: err, Duration: end.Sub(start)})
	}
	return done{d, err, end}
}

func (s *Scheduler) clock() Clock {
	if s.Clock == nil {
		return SystemClock()
	}
	return s.Clock
}

func (s *Scheduler) event(e Event) {
	if s.Events == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Events(e)
}

func (j Job) retry() time.Duration {
	if j.Retry > 0 {
		return j.Retry
	}
	return DefaultRetry
}
