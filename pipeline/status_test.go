package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ledger"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
)

// TestRunsAndStatusAfterSend runs the example and sends it to a relay that
// refuses some recipients for good: the history lists the send then the
// run, and the run's status has every stage ran and the ledger's counts.
func TestRunsAndStatusAfterSend(t *testing.T) {
	rejected := func(rcpt string) bool { return strings.HasSuffix(rcpt, "7@example.com") }
	srv, err := smtptest.Start(smtptest.Options{Faults: smtptest.Faults{Reject: rejected}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := sendCampaign(t, srv, 2)
	run := mustRun(t, cfg)
	res, err := Send(context.Background(), sendConfig(cfg, run.Dir))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.Totals[send.Sent] == 0 || res.Totals[send.Failed] == 0 {
		t.Fatalf("want some sent and some failed: %v", res.Totals)
	}

	list, err := Runs(RunsConfig{Path: cfg.OutRoot})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Runs) != 2 {
		t.Fatalf("%d runs, want 2: %+v", len(list.Runs), list.Runs)
	}
	sent, ran := list.Runs[0], list.Runs[1]
	if sent.Command != "send" || sent.Outcome != "done" || ran.Command != "run" || ran.Outcome != "done" {
		t.Errorf("runs: %s %s, %s %s; want send done, run done", sent.Command, sent.Outcome, ran.Command, ran.Outcome)
	}
	if sent.Dir != run.Dir || ran.Dir != run.Dir || sent.Month != "2026-10" || sent.Campaign != "quickstart" {
		t.Errorf("dir %s, %s, month %s, campaign %s; want %s", sent.Dir, ran.Dir, sent.Month, sent.Campaign, run.Dir)
	}
	if sent.Send["sent"] != res.Totals[send.Sent] || sent.Send["failed"] != res.Totals[send.Failed] {
		t.Errorf("send counts %v, ledger %v", sent.Send, res.Totals)
	}
	if sent.Counts["cardholders"] != run.Audience.Cardholders || sent.Counts["variants"] != run.Variants || sent.Counts["messages"] != run.Messages {
		t.Errorf("counts %v; run %+v", sent.Counts, run.Audience)
	}
	if ran.Counts != nil || ran.Send != nil {
		t.Errorf("an older invocation of the same directory has figures: %v %v", ran.Counts, ran.Send)
	}
	if ran.Report != run.Report || len(ran.Ran) != 8 || ran.DurationMS < 0 {
		t.Errorf("report %q ran %v took %d", ran.Report, ran.Ran, ran.DurationMS)
	}

	st, err := Status(context.Background(), StatusConfig{RunDir: run.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if st.Campaign != "quickstart" || st.Month != "2026-10" || st.Running != nil {
		t.Errorf("status %s %s running %+v", st.Campaign, st.Month, st.Running)
	}
	if st.Last == nil || st.Last.Command != "send" || st.Last.Outcome != "done" {
		t.Errorf("last %+v, want send done", st.Last)
	}
	if got := stateList(st); got != "ingest ran, profile ran, cluster ran, variants ran, render ran, fit ran, report ran, outbox ran" {
		t.Errorf("stages: %s", got)
	}
	s := st.Send
	if s == nil {
		t.Fatal("no send status")
	}
	if s.Totals["sent"] != res.Totals[send.Sent] || s.Totals["failed"] != res.Totals[send.Failed] || s.Remaining != 0 {
		t.Errorf("send %+v, ledger %v", s, res.Totals)
	}
	if _, ok := s.Totals["uncertain"]; !ok {
		t.Error("totals leave out a state with no message")
	}
	if s.FirstSent.IsZero() || s.LastSent.Before(s.FirstSent) || !s.ETA.IsZero() {
		t.Errorf("first %s last %s eta %s", s.FirstSent, s.LastSent, s.ETA)
	}
}

// TestStatusRunning looks at a run whose lock a send holds, with messages
// sent in the last minutes and some to go: it is running, with a rate and
// an ETA.
func TestStatusRunning(t *testing.T) {
	cfg := quickstartConfig(t)
	run := mustRun(t, cfg)
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	db, err := ledger.Open(filepath.Join(run.Dir, LedgerFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var es []send.Entry
	for i := range 100 {
		id := string(rune('a'+i/26)) + string(rune('a'+i%26))
		es = append(es, send.Entry{Cardholder: id, Variant: "v0001", Address: id + "@example.com", MessageID: id + "@m", State: send.Pending})
	}
	if _, err := db.Add(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	// 10 sent 20 minutes ago, then 30 over the last 3 minutes: 10 a minute
	// over the last 5 (the window starts at now-5m).
	sendN := func(n int, at time.Time) {
		claimed, err := db.Advance(context.Background(), nil, n, at)
		if err != nil {
			t.Fatal(err)
		}
		var outs []send.Outcome
		for _, e := range claimed {
			outs = append(outs, send.Outcome{Cardholder: e.Cardholder, State: send.Sent, At: at})
		}
		if _, err := db.Advance(context.Background(), outs, 0, at); err != nil {
			t.Fatal(err)
		}
	}
	sendN(10, now.Add(-20*time.Minute))
	for i := range 3 {
		sendN(10, now.Add(-time.Duration(3-i)*time.Minute))
	}
	lock, err := rundir.Acquire(run.Dir, "tailor send "+run.Dir, now.Add(-21*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()

	st, err := Status(context.Background(), StatusConfig{RunDir: run.Dir, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Running == nil || st.Running.Command != "tailor send "+run.Dir || st.Running.PID != os.Getpid() {
		t.Errorf("running %+v", st.Running)
	}
	if st.Last == nil || st.Last.Command != "send" || st.Last.Outcome != OutcomeRunning {
		t.Errorf("last %+v, want send running", st.Last)
	}
	s := st.Send
	if s == nil || s.Totals["sent"] != 40 || s.Remaining != 60 {
		t.Fatalf("send %+v", s)
	}
	if s.RatePerMinute != 6 { // 30 in 5 minutes
		t.Errorf("rate %v a minute, want 6", s.RatePerMinute)
	}
	if s.ETASeconds != 600 || !s.ETA.Equal(now.Add(10*time.Minute)) {
		t.Errorf("eta %s (%ds), want 10 minutes from now", s.ETA, s.ETASeconds)
	}
}

// TestStatusFailedAndStopped: a run whose input is missing fails in
// ingest, and the history and status say so; a run that died leaves a
// manifest that says running, with nobody holding the lock.
func TestStatusFailedAndStopped(t *testing.T) {
	cfg := quickstartConfig(t)
	run := mustRun(t, cfg)

	// A run that died at cluster: the manifest says running.
	m, err := rundir.ReadManifest(run.Dir)
	if err != nil {
		t.Fatal(err)
	}
	m.LastRun = rundir.RunRecord{StartedAt: time.Now().UTC().Add(time.Hour), Ran: []string{"ingest", "profile"}, Status: rundir.Running}
	if err := m.Write(run.Dir); err != nil {
		t.Fatal(err)
	}
	st, err := Status(context.Background(), StatusConfig{RunDir: run.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if st.Last == nil || st.Last.Outcome != OutcomeStopped || st.Running != nil {
		t.Errorf("last %+v running %+v, want stopped", st.Last, st.Running)
	}
	if got := stateList(st); got != "ingest ran, profile ran, cluster stopped, variants earlier, render earlier, fit earlier, report earlier, outbox earlier" {
		t.Errorf("stages: %s", got)
	}

	// Another month, whose cardholders file is missing.
	c := *cfg.Campaign
	c.Inputs.Cardholders = "nothere.csv"
	cfg.Campaign, cfg.Month = &c, "2026-09"
	if _, err := Run(context.Background(), cfg); err == nil {
		t.Fatal("a run without its cardholders file did not fail")
	}
	list, err := Runs(RunsConfig{Path: cfg.OutRoot})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Runs) != 2 || list.Runs[0].Outcome != "failed" || !strings.Contains(list.Runs[0].Error, "nothere.csv") || list.Runs[0].Month != "2026-09" {
		t.Fatalf("runs %+v", list.Runs)
	}
	st, err = Status(context.Background(), StatusConfig{RunDir: list.Runs[0].Dir})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stages[0].State != StageFailed || !strings.Contains(st.Stages[0].Error, "nothere.csv") || st.Stages[1].State != StageNotRun {
		t.Errorf("stages %+v", st.Stages[:2])
	}
	if st.Last == nil || st.Last.Outcome != "failed" || st.Last.Command != "run" {
		t.Errorf("last %+v", st.Last)
	}
}

func stateList(st *RunStatus) string {
	var parts []string
	for _, s := range st.Stages {
		parts = append(parts, s.Name+" "+s.State)
	}
	return strings.Join(parts, ", ")
}

func TestRunsOfCampaign(t *testing.T) {
	cfg := quickstartConfig(t)
	mustRun(t, cfg)
	// The campaign file's runs, in the root --out names.
	list, err := Runs(RunsConfig{Path: quickstart, OutRoot: cfg.OutRoot})
	if err != nil {
		t.Fatal(err)
	}
	if list.Campaign != "quickstart" || list.Root != cfg.OutRoot || len(list.Runs) != 1 || list.Runs[0].Command != "run" {
		t.Errorf("list %+v", list)
	}
	// Another campaign's runs are left out.
	other := filepath.Join(t.TempDir(), "other.toml")
	src, err := os.ReadFile(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte(strings.Replace(string(src), `name = "quickstart"`, `name = "other"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err = Runs(RunsConfig{Path: other, OutRoot: cfg.OutRoot})
	if err != nil {
		t.Fatal(err)
	}
	if list.Campaign != "other" || len(list.Runs) != 0 {
		t.Errorf("list %+v, want none", list)
	}
}

func TestRunsStatusBadArguments(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	os.WriteFile(file, []byte("hello"), 0o600)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"runs: no such path", func() error { _, err := Runs(RunsConfig{Path: filepath.Join(dir, "nothere")}); return err }, "no such file"},
		{"runs: a directory without history", func() error { _, err := Runs(RunsConfig{Path: dir}); return err }, "not a tailor output root"},
		{"runs: --out with a directory", func() error { _, err := Runs(RunsConfig{Path: dir, OutRoot: "x"}); return err }, "--out goes with a campaign file"},
		{"runs: not a campaign", func() error { _, err := Runs(RunsConfig{Path: file}); return err }, "notes.txt"},
		{"status: no such directory", func() error {
			_, err := Status(context.Background(), StatusConfig{RunDir: filepath.Join(dir, "nothere")})
			return err
		}, "not a directory"},
		{"status: not a run directory", func() error {
			_, err := Status(context.Background(), StatusConfig{RunDir: dir})
			return err
		}, "not a tailor run directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrConfig and %q", err, tt.want)
			}
		})
	}
}

func TestSendPace(t *testing.T) {
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		first, end time.Time
		sent       int // sent since rateFrom(first, end)
		remaining  int
		wantFrom   time.Time
		wantRate   float64
		wantETA    time.Duration
	}{
		{"a long send: the last five minutes", t0, t0.Add(time.Hour), 500, 1000, t0.Add(55 * time.Minute), 100, 10 * time.Minute},
		{"a send younger than the window: from its first message", t0, t0.Add(2 * time.Minute), 60, 30, t0, 30, time.Minute},
		{"nothing sent lately: no rate, no ETA", t0, t0.Add(time.Hour), 0, 10, t0.Add(55 * time.Minute), 0, 0},
		{"one message: no span", t0, t0, 1, 10, t0, 0, 0},
		{"nothing left", t0, t0.Add(time.Minute), 120, 0, t0, 120, 0},
		{"an ETA rounds up to the second", t0, t0.Add(3 * time.Minute), 7, 1, t0, 7.0 / 3, 26 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := rateFrom(tt.first, tt.end)
			if !from.Equal(tt.wantFrom) {
				t.Errorf("rateFrom = %s, want %s", from, tt.wantFrom)
			}
			rate := ratePerMinute(tt.sent, from, tt.end)
			if rate != tt.wantRate {
				t.Errorf("ratePerMinute = %v, want %v", rate, tt.wantRate)
			}
			if got := eta(tt.remaining, rate); got != tt.wantETA {
				t.Errorf("eta = %s, want %s", got, tt.wantETA)
			}
		})
	}
}
