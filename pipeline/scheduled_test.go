package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/schedule"
	"github.com/tailor-mail/tailor/pipeline/schedule/schedtest"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
)

func TestScheduleCampaignErrors(t *testing.T) {
	relay := "\n[[smtp]]\nhost = \"127.0.0.1\"\ntls = \"none\"\n"
	tests := []struct {
		name, edit, want string
	}{
		{"valid", "[schedule]\nrun = \"0 6 1 * *\"\nsend = \"0 9 2 * *\"\ntime_zone = \"Europe/London\"\napproval = \"approved-{month}.txt\"\ncatch_up = \"48h\"" + relay, ""},
		{"bad cron", "[schedule]\nrun = \"0 6 1 *\"", `c.toml:12:1: schedule.run: "0 6 1 *": expected exactly 5 fields`},
		{"out of range", "[schedule]\nsend = \"0 25 2 * *\"" + relay, `c.toml:12:1: schedule.send: "0 25 2 * *": end of range (25) above maximum (23)`},
		{"never", "[schedule]\nrun = \"0 6 31 2 *\"", `c.toml:12:1: schedule.run: "0 6 31 2 *": matches no date`},
		{"zone prefix", "[schedule]\nrun = \"CRON_TZ=UTC 0 6 1 * *\"", `schedule.run: "CRON_TZ=UTC 0 6 1 * *": a time zone prefix: give the time zone apart`},
		{"unknown zone", "[schedule]\nrun = \"0 6 1 * *\"\ntime_zone = \"Europe/Lundun\"", `c.toml:13:1: schedule.time_zone: "Europe/Lundun": unknown time zone`},
		{"catch_up", "[schedule]\nrun = \"0 6 1 * *\"\ncatch_up = \"a week\"", `c.toml:13:1: schedule.catch_up: "a week": want a duration`},
		{"approval without send", "[schedule]\nrun = \"0 6 1 * *\"\napproval = \"ok.txt\"", `c.toml:13:1: schedule.approval: set, but schedule.send is not`},
		{"send without relay", "[schedule]\nsend = \"0 9 2 * *\"", `c.toml:12:1: schedule.send: set, but the campaign has no [[smtp]] relay`},
		{"neither", "[schedule]\ntime_zone = \"UTC\"", `c.toml:11:1: schedule: want run and/or send`},
		{"unknown key", "[schedule]\nrun = \"0 6 1 * *\"\napprove = \"ok.txt\"", `c.toml:13:1: schedule.approve: unknown key (did you mean approval?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCampaign("c.toml", []byte(validCampaign+"\n"+tt.edit))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.want == "":
			case err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrConfig):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestScheduledMonth(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tick time.Time
		want string
	}{
		{"the 1st", time.Date(2026, 12, 1, 6, 0, 0, 0, london), "2026-11"},
		{"the 2nd", time.Date(2026, 12, 2, 9, 0, 0, 0, london), "2026-11"},
		{"January", time.Date(2027, 1, 1, 6, 0, 0, 0, london), "2026-12"},
		// Just after midnight on 1 December in Berlin is still November
		// in UTC: the month is the schedule's zone's.
		{"in the tick's zone", time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC).In(must(time.LoadLocation("Europe/Berlin"))), "2026-11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScheduledMonth(tt.tick); got != tt.want {
				t.Errorf("ScheduledMonth(%v) = %s, want %s", tt.tick, got, tt.want)
			}
		})
	}
}

// jobLog collects a scheduler's events and hands over those that end a
// job's turn (End and Wait).
type jobLog struct {
	mu     sync.Mutex
	events []schedule.Event
	ended  chan schedule.Event
}

func newJobLog() *jobLog { return &jobLog{ended: make(chan schedule.Event, 100)} }

func (l *jobLog) add(e schedule.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	if e.Kind == schedule.End || e.Kind == schedule.Wait {
		l.ended <- e
	}
}

// next returns the next event that ends a job's turn.
func (l *jobLog) next(t *testing.T) schedule.Event {
	t.Helper()
	select {
	case e := <-l.ended:
		t.Logf("%s %s %s: %s %v", e.Job, e.Kind, e.Tick.Format(time.RFC3339), e.Outcome, e.Err)
		return e
	case <-time.After(2 * time.Minute):
		t.Fatal("no job ended")
	}
	return schedule.Event{}
}

// TestScheduleRunSendAndCatchUp runs the quickstart's run job and send job
// at their ticks on a fake clock, with an approval file, stops the
// scheduler while the send is part way through (Ctrl-C), and starts it
// again after the send's tick: the catch-up finishes the send, a second
// restart finds nothing to do, and no recipient gets a message twice.
func TestScheduleRunSendAndCatchUp(t *testing.T) {
	// A slow relay, for the Ctrl-C to come part way through the send.
	srv := startSMTP(t, smtptest.Options{Faults: smtptest.Faults{Delay: time.Millisecond}})
	cfg := sendCampaign(t, srv, 1)
	cfg.Outbox = OutboxSamples
	approvals := t.TempDir()
	c := *cfg.Campaign
	c.Schedule = ScheduleConfig{Run: "0 6 1 * *", Send: "0 9 2 * *", TimeZone: "Europe/London",
		Approval: filepath.Join(approvals, "approved-{month}.txt")}
	cfg.Campaign = &c
	london := must(time.LoadLocation("Europe/London"))

	// Before the run's tick: the quickstart's data ends in October.
	clock := schedtest.NewClock(time.Date(2026, 10, 31, 12, 0, 0, 0, london))
	log := newJobLog()
	s, err := NewScheduler(SchedulerConfig{Campaigns: []Config{cfg}, Clock: clock, Events: log.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	m := clock.Made()
	go func() { stopped <- s.Run(ctx) }()
	clock.WaitMade(m + 1)

	// 1 November, 06:00: the run job runs October.
	clock.Set(time.Date(2026, 11, 1, 6, 0, 0, 0, london))
	e := log.next(t)
	if e.Job != "quickstart run" || e.Kind != schedule.End || e.Err != nil || !strings.HasPrefix(e.Outcome, "2026-10: ") {
		t.Fatalf("run job: %+v", e)
	}
	dir := filepath.Join(cfg.OutRoot, "quickstart", "2026-10")
	if done, why, err := runDone(dir, "quickstart", "2026-10"); !done || err != nil {
		t.Fatalf("after the run job: done %v (%s), %v", done, why, err)
	}

	// 2 November, 09:00: the send job waits for its approval.
	clock.Set(time.Date(2026, 11, 2, 9, 0, 0, 0, london))
	if e := log.next(t); e.Job != "quickstart send" || e.Kind != schedule.Wait || !strings.Contains(e.Err.Error(), "approved-2026-10.txt") {
		t.Fatalf("send job without approval: %+v", e)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages sent without approval", n)
	}
	if err := os.WriteFile(filepath.Join(approvals, "approved-2026-10.txt"), []byte("ok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Approved: it sends at its next try; Ctrl-C part way through.
	go func() {
		for len(srv.Messages()) < 40 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	clock.Advance(schedule.DefaultRetry)
	e = log.next(t)
	if e.Job != "quickstart send" || e.Kind != schedule.End || !errors.Is(e.Err, context.Canceled) {
		t.Fatalf("send job stopped part way: %+v", e)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	first := len(srv.Messages())
	started, left, err := sendLeft(dir)
	if err != nil || !started || left == 0 {
		t.Fatalf("after Ctrl-C: send started %v, %d left, %v", started, left, err)
	}
	t.Logf("%d sent before Ctrl-C, %d left", first, left)

	// The machine comes back on 3 November: the catch-up runs each job's
	// missed tick once; the run is done, the send resumes, through a
	// relay without delays (the campaign file's [[smtp]] as it is now).
	srv2 := startSMTP(t, smtptest.Options{})
	c2 := c
	c2.SMTP = []SMTPConfig{c.SMTP[0]}
	c2.SMTP[0].Port, c2.SMTP[0].Connections = srv2.Port(), 4
	cfg.Campaign = &c2
	messages := func() []smtptest.Message { return append(srv.Messages(), srv2.Messages()...) }
	clock.Set(time.Date(2026, 11, 3, 8, 0, 0, 0, london))
	log = newJobLog()
	s, err = NewScheduler(SchedulerConfig{Campaigns: []Config{cfg}, Clock: clock, Events: log.add})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e := log.next(t); e.Job != "quickstart run" || e.Err != nil || e.Outcome != "2026-10: already run: its send has started" || !e.CatchUp {
		t.Errorf("run catch-up: %+v", e)
	}
	if e := log.next(t); e.Job != "quickstart send" || e.Err != nil || !strings.Contains(e.Outcome, "0 left to send") || !e.CatchUp {
		t.Errorf("send catch-up: %+v", e)
	}
	total := len(messages())
	if started, left, err := sendLeft(dir); err != nil || !started || left != 0 || total <= first {
		t.Errorf("after the catch-up: %d left, %v; %d messages, %d before", left, err, total, first)
	}

	// Another restart the same day: nothing is sent again.
	if err := s.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	log.next(t)
	if e := log.next(t); e.Outcome != "2026-10: nothing left to send (the ledger has every message sent or settled)" {
		t.Errorf("second catch-up: %+v", e)
	}
	if n := len(messages()); n != total {
		t.Errorf("the second catch-up sent %d more messages", n-total)
	}

	// Every message reached its recipient once; the ledger agrees.
	got := map[string]int{}
	for _, m := range messages() {
		for _, to := range m.To {
			got[to]++
		}
	}
	for to, n := range got {
		if n != 1 {
			t.Errorf("%s got %d messages", to, n)
		}
	}
	sent := 0
	for _, e := range ledgerRows(t, dir) {
		if e.State == send.Sent {
			sent++
		}
	}
	if sent != total || len(got) != total {
		t.Errorf("the ledger says %d sent, the server has %d messages to %d recipients", sent, total, len(got))
	}
}

// TestScheduleExample checks examples/schedule/campaign.toml: it loads,
// and its jobs come at the times its README says.
func TestScheduleExample(t *testing.T) {
	path := filepath.Join("..", "examples", "schedule", "campaign.toml")
	c, err := LoadCampaign(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScheduler(SchedulerConfig{Campaigns: []Config{{Campaign: c, CampaignDir: filepath.Dir(path), CampaignFile: path}}})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	want := map[string]string{"quickstart run": "2026-12-01T06:00:00Z 2026-11", "quickstart send": "2026-12-02T09:00:00Z 2026-11"}
	if len(s.Jobs) != len(want) {
		t.Fatalf("%d jobs, want %d", len(s.Jobs), len(want))
	}
	for _, j := range s.Jobs {
		next := j.Spec.Next(from)
		if got := next.UTC().Format(time.RFC3339) + " " + ScheduledMonth(next); got != want[j.Name] {
			t.Errorf("%s: next %s, want %s", j.Name, got, want[j.Name])
		}
		if j.CatchUp != 72*time.Hour {
			t.Errorf("%s: catch-up %v", j.Name, j.CatchUp)
		}
	}
}
