package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/schedule"
	"github.com/tailor-mail/tailor/pipeline/schedule/schedtest"
)

func mustParse(t *testing.T, text, zone string) *schedule.Spec {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	s, err := schedule.Parse(text, loc)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return s
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, text string
		ok         bool
	}{
		{"monthly", "0 6 1 * *", true},
		{"descriptor", "@monthly", true},
		{"names", "30 9 2 * mon-fri", true},
		{"four fields", "0 6 1 *", false},
		{"out of range", "0 25 1 * *", false},
		{"word", "sometimes", false},
		{"empty", "", false},
		{"zone prefix", "CRON_TZ=Europe/London 0 6 1 * *", false},
		{"never", "0 6 30 2 *", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schedule.Parse(tt.text, time.UTC)
			if (err == nil) != tt.ok {
				t.Errorf("Parse(%q): %v, want ok %v", tt.text, err, tt.ok)
			}
		})
	}
}

func TestNextAcrossDST(t *testing.T) {
	tests := []struct {
		name, spec, zone string
		from             time.Time
		want             []string // UTC
	}{
		{
			// 06:00 London is 06:00Z in winter, 05:00Z in summer.
			name: "monthly, London, spring", spec: "0 6 1 * *", zone: "Europe/London",
			from: time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC),
			want: []string{"2026-03-01T06:00:00Z", "2026-04-01T05:00:00Z", "2026-05-01T05:00:00Z"},
		},
		{
			name: "monthly, London, autumn", spec: "0 9 2 * *", zone: "Europe/London",
			from: time.Date(2026, 9, 15, 0, 0, 0, 0, time.UTC),
			want: []string{"2026-10-02T08:00:00Z", "2026-11-02T09:00:00Z"},
		},
		{
			// On 29 March 2026 London's clocks go from 01:00 to 02:00:
			// 01:30 does not exist that day, and cron has no tick
			// that day (CAMPAIGN.md says so).
			name: "daily in the skipped hour", spec: "30 1 * * *", zone: "Europe/London",
			from: time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC),
			want: []string{"2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z"},
		},
		{
			// On 25 October 2026 they go from 02:00 back to 01:00:
			// 01:30 comes twice, the tick once.
			name: "daily in the repeated hour", spec: "30 1 * * *", zone: "Europe/London",
			from: time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC),
			want: []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"},
		},
		{
			name: "New York", spec: "0 6 1 * *", zone: "America/New_York",
			from: time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC),
			want: []string{"2026-11-01T11:00:00Z", "2026-12-01T11:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.spec, tt.zone)
			at := tt.from
			for i, w := range tt.want {
				at = s.Next(at)
				if got := at.UTC().Format(time.RFC3339); got != w {
					t.Errorf("tick %d: %s, want %s", i, got, w)
				}
				if at.Location() != s.Location {
					t.Errorf("tick %d in %v, want %v", i, at.Location(), s.Location)
				}
			}
		})
	}
}

func TestPrev(t *testing.T) {
	s := mustParse(t, "0 6 1 * *", "UTC")
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		within time.Duration
		want   string
	}{
		{"this month", 7 * 24 * time.Hour, "2026-12-01T06:00:00Z"},
		{"too long ago", 24 * time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Prev(now, tt.within)
			if (tt.want == "") == ok || ok && got.UTC().Format(time.RFC3339) != tt.want {
				t.Errorf("Prev: %v %v, want %q", got, ok, tt.want)
			}
		})
	}
	every := mustParse(t, "* * * * *", "UTC")
	if got, ok := every.Prev(now, 365*24*time.Hour); !ok || !got.Equal(now) {
		t.Errorf("every minute: Prev(%v) = %v %v", now, got, ok)
	}
}

// recorder collects a scheduler's events.
type recorder struct {
	mu     sync.Mutex
	events []schedule.Event
}

func (r *recorder) add(e schedule.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kinds(job string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := ""
	for _, e := range r.events {
		if e.Job == job {
			s += fmt.Sprintf("%s@%s ", e.Kind, e.Tick.UTC().Format("01-02T15:04"))
		}
	}
	return s
}

// start runs s until the test ends, and returns a func that stops it and
// waits for Run to return.
func start(t *testing.T, s *schedule.Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- s.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-ended; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// step does what to the clock, then waits until the scheduler has gone
// back to waiting n times: once for each timer that fired and each job
// that ended.
func step(clock *schedtest.Clock, n int, what func()) {
	m := clock.Made()
	what()
	clock.WaitMade(m + n)
}

func TestRunsAtTicks(t *testing.T) {
	clock := schedtest.NewClock(time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC))
	ran := make(chan time.Time, 10)
	s := &schedule.Scheduler{Clock: clock, Jobs: []schedule.Job{{
		Name: "run", Group: "c", Spec: mustParse(t, "0 6 1 * *", "Europe/London"), CatchUp: time.Hour,
		Run: func(_ context.Context, tick time.Time) (string, error) { ran <- tick; return "done", nil },
	}}}
	step(clock, 1, func() { start(t, s) })
	clock.Set(time.Date(2026, 11, 1, 5, 59, 0, 0, time.UTC))
	select {
	case tick := <-ran:
		t.Fatalf("ran at %v, before its time", tick)
	default:
	}
	step(clock, 2, func() { clock.Advance(time.Minute) })
	if tick := <-ran; !tick.Equal(time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("ran for %v", tick)
	}
	step(clock, 2, func() { clock.Set(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)) })
	if tick := <-ran; !tick.Equal(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("ran for %v", tick)
	}
}

func TestOverrunIsNotStartedTwice(t *testing.T) {
	clock := schedtest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	started := make(chan time.Time, 10)
	release := make(chan struct{})
	var rec recorder
	s := &schedule.Scheduler{Clock: clock, Events: rec.add, Jobs: []schedule.Job{{
		Name: "run", Group: "c", Spec: mustParse(t, "0 * * * *", "UTC"),
		Run: func(_ context.Context, tick time.Time) (string, error) {
			started <- tick
			<-release
			return "done", nil
		},
	}}}
	var stop func()
	step(clock, 1, func() { stop = start(t, s) })
	step(clock, 1, func() { clock.Advance(time.Hour) }) // 01:00: starts
	<-started
	step(clock, 1, func() { clock.Advance(time.Hour) }) // 02:00: still running
	step(clock, 1, func() { clock.Advance(time.Hour) }) // 03:00: still running
	select {
	case tick := <-started:
		t.Fatalf("started again for %v while running", tick)
	default:
	}
	step(clock, 1, func() { close(release) })
	step(clock, 2, func() { clock.Advance(time.Hour) }) // 04:00: runs again
	if tick := <-started; tick.Hour() != 4 {
		t.Errorf("next run for %v, want 04:00", tick)
	}
	stop()
	if got, want := rec.kinds("run"), "start@11-01T01:00 skip@11-01T02:00 skip@11-01T03:00 end@11-01T01:00 start@11-01T04:00 end@11-01T04:00 "; got != want {
		t.Errorf("events\n%s\nwant\n%s", got, want)
	}
}

func TestShutdownWaitsForTheRunningJob(t *testing.T) {
	clock := schedtest.NewClock(time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC))
	started := make(chan struct{})
	finished := make(chan struct{})
	s := &schedule.Scheduler{Clock: clock, Jobs: []schedule.Job{{
		Name: "send", Group: "c", Spec: mustParse(t, "0 6 * * *", "UTC"),
		Run: func(ctx context.Context, _ time.Time) (string, error) {
			close(started)
			<-ctx.Done()
			time.Sleep(20 * time.Millisecond) // finishing the current batch
			close(finished)
			return "", ctx.Err()
		},
	}}}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	step(clock, 1, func() { go func() { ended <- s.Run(ctx) }() })
	clock.Advance(time.Hour)
	<-started
	cancel()
	if err := <-ended; err != nil {
		t.Errorf("Run: %v", err)
	}
	select {
	case <-finished:
	default:
		t.Error("Run returned before the job in progress stopped")
	}
}

func TestCatchUp(t *testing.T) {
	tests := []struct {
		name    string
		now     time.Time
		catchUp time.Duration
		want    []string // ticks run at start
	}{
		{"missed this month", time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), 7 * 24 * time.Hour, []string{"2026-12-01T06:00:00Z"}},
		{"missed three months: the latest once", time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC), 7 * 24 * time.Hour, []string{"2027-03-01T06:00:00Z"}},
		{"missed too long ago", time.Date(2026, 12, 20, 10, 0, 0, 0, time.UTC), 7 * 24 * time.Hour, nil},
		{"no catch-up", time.Date(2026, 12, 1, 6, 1, 0, 0, time.UTC), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := schedtest.NewClock(tt.now)
			ran := make(chan time.Time, 10)
			var rec recorder
			s := &schedule.Scheduler{Clock: clock, Events: rec.add, Jobs: []schedule.Job{{
				Name: "run", Group: "c", Spec: mustParse(t, "0 6 1 * *", "UTC"), CatchUp: tt.catchUp,
				Run: func(_ context.Context, tick time.Time) (string, error) { ran <- tick; return "done", nil },
			}}}
			var stop func()
			step(clock, 1+len(tt.want), func() { stop = start(t, s) })
			// A day later, the missed tick has not run again.
			clock.Advance(24 * time.Hour)
			stop()
			close(ran)
			var got []string
			for tick := range ran {
				got = append(got, tick.UTC().Format(time.RFC3339))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ran %v, want %v", got, tt.want)
			}
			for _, e := range rec.events {
				if e.Kind == schedule.Start && !e.CatchUp {
					t.Errorf("a start that is not a catch-up: %+v", e)
				}
			}
		})
	}
}

func TestGroupRunsInOrder(t *testing.T) {
	clock := schedtest.NewClock(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	var order []string
	running := 0
	job := func(name string) func(context.Context, time.Time) (string, error) {
		return func(context.Context, time.Time) (string, error) {
			mu.Lock()
			running++
			if running > 1 {
				t.Errorf("%s runs beside another job of its group", name)
			}
			order = append(order, name)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			return "", nil
		}
	}
	week := 7 * 24 * time.Hour
	s := &schedule.Scheduler{Clock: clock, Jobs: []schedule.Job{
		{Name: "run", Group: "c", Spec: mustParse(t, "0 6 1 * *", "UTC"), CatchUp: week, Run: job("run")},
		{Name: "send", Group: "c", Spec: mustParse(t, "0 9 2 * *", "UTC"), CatchUp: week, Run: job("send")},
	}}
	if err := s.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(order) != "[run send]" {
		t.Errorf("ran %v, want [run send]", order)
	}
}

func TestNotReadyIsTriedAgain(t *testing.T) {
	clock := schedtest.NewClock(time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	approved := false
	var rec recorder
	s := &schedule.Scheduler{Clock: clock, Events: rec.add, Jobs: []schedule.Job{{
		Name: "send", Group: "c", Spec: mustParse(t, "0 9 2 * *", "UTC"), Retry: 10 * time.Minute,
		Run: func(_ context.Context, tick time.Time) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			if !approved {
				return "", fmt.Errorf("no approval file: %w", schedule.ErrNotReady)
			}
			return "sent", nil
		},
	}}}
	var stop func()
	step(clock, 1, func() { stop = start(t, s) })
	step(clock, 2, func() { clock.Advance(time.Hour) })        // 09:00: not approved
	step(clock, 2, func() { clock.Advance(10 * time.Minute) }) // 09:10: still not
	mu.Lock()
	approved = true
	mu.Unlock()
	step(clock, 2, func() { clock.Advance(10 * time.Minute) }) // 09:20: sends
	clock.Advance(time.Hour)                                   // no more tries
	stop()
	if got, want := rec.kinds("send"), "start@12-02T09:00 wait@12-02T09:00 start@12-02T09:00 wait@12-02T09:00 start@12-02T09:00 end@12-02T09:00 "; got != want {
		t.Errorf("events\n%s\nwant\n%s", got, want)
	}
}

func TestJobErrorIsReported(t *testing.T) {
	clock := schedtest.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	var rec recorder
	boom := errors.New("boom")
	s := &schedule.Scheduler{Clock: clock, Events: rec.add, Jobs: []schedule.Job{{
		Name: "run", Group: "c", Spec: mustParse(t, "0 6 1 * *", "UTC"), CatchUp: time.Hour * 2,
		Run: func(context.Context, time.Time) (string, error) { return "", boom },
	}}}
	if err := s.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 2 || rec.events[1].Kind != schedule.End || !errors.Is(rec.events[1].Err, boom) {
		t.Errorf("events %+v", rec.events)
	}
}
