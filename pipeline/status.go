package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ledger"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// What tailor runs and tailor status report. The structs below are the
// JSON documents their --json prints, documented field by field in
// STATUS.md: fields may be added, none is renamed or changes meaning.

// Outcomes of an invocation beyond the history's done, failed and
// interrupted.
const (
	// OutcomeRunning: a process holds the run's lock now.
	OutcomeRunning = "running"
	// OutcomeStopped: the manifest says an invocation started and no
	// process holds the lock: it died (kill -9, a crash, a power cut)
	// without recording how it ended. The next run resumes it.
	OutcomeStopped = "stopped"
)

// Stage states in a RunStatus.
const (
	// StageRan: the stage ran in the last run or render.
	StageRan = "ran"
	// StageKept: the last run or render kept its outputs.
	StageKept = "kept"
	// StageFailed: the last run or render failed on this stage.
	StageFailed = "failed"
	// StageInterrupted: the last run or render was stopped (Ctrl-C,
	// SIGTERM) at this stage.
	StageInterrupted = "interrupted"
	// StageRunning: a run or render is at this stage now.
	StageRunning = "running"
	// StageStopped: the run or render at this stage died.
	StageStopped = "stopped"
	// StageEarlier: done by an earlier invocation, and not looked at by
	// the last one (which stopped before it, or was a render): the next
	// run checks whether it is still current.
	StageEarlier = "earlier"
	// StageNotRun: never done.
	StageNotRun = "not run"
)

// RunsConfig says whose runs Runs lists.
type RunsConfig struct {
	// Path is an output root, or a campaign file: then only that
	// campaign's runs are listed, from its output root.
	Path string
	// OutRoot overrides a campaign file's output root, as tailor run
	// --out does.
	OutRoot string
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// RunList is an output root's runs, as tailor runs prints them.
type RunList struct {
	// Root is the output root.
	Root string `json:"root"`
	// Campaign is the campaign listed, "" for every campaign.
	Campaign string `json:"campaign,omitempty"`
	// Runs are the invocations, newest first: those running now, then
	// those the run history records.
	Runs []RunSummary `json:"runs"`
}

// RunSummary is one invocation of run, render or send.
type RunSummary struct {
	// Command is "run", "render" or "send".
	Command  string `json:"command"`
	Campaign string `json:"campaign"`
	// Month is the run month, YYYY-MM.
	Month string `json:"month"`
	// Dir is the run directory, under the root listed.
	Dir string `json:"dir"`
	// Outcome is "done", "failed", "interrupted" or "running".
	Outcome string `json:"outcome"`
	// Error is why the invocation failed.
	Error string    `json:"error,omitempty"`
	Start time.Time `json:"start"`
	// End is absent while the invocation runs.
	End time.Time `json:"end,omitzero"`
	// DurationMS is End - Start, or how long it has run so far.
	DurationMS int64 `json:"duration_ms"`
	// Ran and Kept name the stages the invocation ran and kept.
	Ran  []string `json:"ran"`
	Kept []string `json:"kept"`
	PID  int      `json:"pid"`
	Host string   `json:"host,omitempty"`
	// Version is the tailor version.
	Version string `json:"version,omitempty"`
	// Counts are the run directory's figures as it holds them now
	// (cardholders, mailable, clusters, variants, messages, fit_checked,
	// fit_misfit: those of its stages done), on the newest invocation of
	// each run directory only.
	Counts map[string]int `json:"counts,omitempty"`
	// Send counts the run's messages by ledger state as the last send
	// left them, on the newest invocation of each run directory only.
	Send map[string]int `json:"send,omitempty"`
	// Report is the path of the run's workbook, when it exists.
	Report string `json:"report,omitempty"`
}

// Runs lists the runs of an output root, or of one campaign, newest first.
// A path that is neither a directory nor a campaign file, and a directory
// with no run history, are errors wrapping ErrConfig.
func Runs(cfg RunsConfig) (*RunList, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	fi, err := os.Stat(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	list := &RunList{Root: cfg.Path, Runs: []RunSummary{}}
	if fi.IsDir() {
		if cfg.OutRoot != "" {
			return nil, fmt.Errorf("%w: --out goes with a campaign file, not an output root (%s)", ErrConfig, cfg.Path)
		}
		if _, err := os.Stat(filepath.Join(cfg.Path, rundir.HistoryFile)); err != nil {
			return nil, fmt.Errorf("%w: %s: no %s: not a tailor output root (give the output root a campaign runs into, or the campaign file)",
				ErrConfig, cfg.Path, rundir.HistoryFile)
		}
	} else {
		c, err := LoadCampaign(cfg.Path)
		if err != nil {
			return nil, err
		}
		list.Root, list.Campaign = outRoot(c, filepath.Dir(cfg.Path), cfg.OutRoot), c.Name
	}
	entries, err := readHistory(list.Root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if list.Campaign != "" && e.Campaign != list.Campaign {
			continue
		}
		dir := inRoot(list.Root, e.Dir)
		list.Runs = append(list.Runs, RunSummary{Command: e.Command, Campaign: e.Campaign, Month: e.Month, Dir: dir,
			Outcome: e.Outcome, Error: e.Error, Start: e.Start, End: e.End, DurationMS: e.End.Sub(e.Start).Milliseconds(),
			Ran: orEmpty(e.Ran), Kept: orEmpty(e.Kept), PID: e.PID, Host: e.Host, Version: e.Version})
	}
	running, err := runningIn(list.Root, list.Campaign, cfg.Now())
	if err != nil {
		return nil, err
	}
	list.Runs = append(list.Runs, running...)
	slices.SortStableFunc(list.Runs, func(a, b RunSummary) int { return b.Start.Compare(a.Start) })
	seen := map[string]bool{}
	for i := range list.Runs {
		s := &list.Runs[i]
		if _, err := os.Stat(filepath.Join(s.Dir, rundir.ReportFile)); err == nil {
			s.Report = filepath.Join(s.Dir, rundir.ReportFile)
		}
		if seen[s.Dir] {
			continue
		}
		seen[s.Dir] = true
		if m, err := rundir.ReadManifest(s.Dir); err == nil {
			s.Counts, s.Send = runCounts(m), sendTotals(m)
		}
	}
	return list, nil
}

// outRoot is the output root of campaign c, whose file is in campaignDir,
// as newRun makes it: --out, else the campaign's output, else "out".
func outRoot(c *Campaign, campaignDir, override string) string {
	switch {
	case override != "":
		return override
	case c.Output == "":
		return "out"
	case filepath.IsAbs(c.Output):
		return c.Output
	}
	return filepath.Join(campaignDir, c.Output)
}

// readHistory reads the run history of an output root, none when it has
// no history.
func readHistory(root string) ([]rundir.Entry, error) {
	f, err := os.Open(filepath.Join(root, rundir.HistoryFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := rundir.ReadHistory(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return entries, nil
}

// inRoot is where run directory dir, as a history entry records it (maybe
// relative to where the command ran), is under root: the history is in
// the output root of the directories it names.
func inRoot(root, dir string) string {
	dir = filepath.Clean(dir)
	return rundir.Path(root, filepath.Base(filepath.Dir(dir)), filepath.Base(dir))
}

// runningIn returns the invocations that hold a lock in root now, of
// campaign only unless it is "".
func runningIn(root, campaign string, now time.Time) ([]RunSummary, error) {
	pattern := filepath.Join(root, "*", ".*.lock")
	if campaign != "" {
		pattern = filepath.Join(root, campaign, ".*.lock")
	}
	locks, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out []RunSummary
	for _, l := range locks {
		base := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(l), "."), ".lock")
		dir := filepath.Join(filepath.Dir(l), base)
		h, held, err := rundir.Holding(dir)
		if err != nil {
			return nil, err
		}
		if !held {
			continue
		}
		out = append(out, RunSummary{Command: commandOf(h.Command), Campaign: filepath.Base(filepath.Dir(l)), Month: monthOf(base),
			Dir: dir, Outcome: OutcomeRunning, Start: h.Since, DurationMS: durationSince(h.Since, now),
			Ran: []string{}, Kept: []string{}, PID: h.PID, Host: h.Host})
	}
	return out, nil
}

// commandOf is the tailor command of a command line: "send" for "tailor
// send out/c/2026-10".
func commandOf(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return line
	}
	return f[1]
}

// monthOf is the month of a run directory's name: "2026-10" for 2026-10
// and for the wave 2026-10-again.
func monthOf(base string) string {
	if len(base) >= 7 {
		return base[:7]
	}
	return base
}

func durationSince(t, now time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return max(now.Sub(t).Milliseconds(), 0)
}

func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// runCounts picks the figures worth a line from the counts the manifest
// records of the stages done.
func runCounts(m *rundir.Manifest) map[string]int {
	out := map[string]int{}
	for _, c := range []struct{ stage, count, as string }{
		{"profile", "profiles", "cardholders"},
		{"profile", "mail", "mailable"},
		{"cluster", "clusters", "clusters"},
		{"variants", "variants", "variants"},
		{"outbox", "messages", "messages"},
		{"fit", "checked", "fit_checked"},
		{"fit", "misfit", "fit_misfit"},
	} {
		if rec := m.Stage(c.stage); rec != nil && rec.Status == rundir.Done {
			if n, ok := rec.Counts[c.count]; ok {
				out[c.as] = n
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// sendTotals sums the manifest's send counts over the variants.
func sendTotals(m *rundir.Manifest) map[string]int {
	if len(m.Send) == 0 {
		return nil
	}
	out := map[string]int{}
	for _, byState := range m.Send {
		for st, n := range byState {
			out[st] += n
		}
	}
	return out
}

// RunStatus is where one run directory stands, as tailor status prints
// it.
type RunStatus struct {
	// Dir is the run directory.
	Dir      string `json:"dir"`
	Campaign string `json:"campaign"`
	Month    string `json:"month"`
	// Wave names a resend wave, "" for the month's first send.
	Wave string `json:"wave,omitempty"`
	// Stages are the run's stages in pipeline order.
	Stages []StageStatus `json:"stages"`
	// Last is the latest invocation on the run directory, of any
	// command; absent when nothing records one.
	Last *Invocation `json:"last,omitempty"`
	// Running is who holds the run's lock now; absent when nobody does.
	Running *LockHolder `json:"running,omitempty"`
	// Send is the send ledger's progress; absent before any send.
	Send *SendStatus `json:"send,omitempty"`
}

// StageStatus is one stage of a run.
type StageStatus struct {
	Name string `json:"name"`
	// State is one of "ran", "kept", "failed", "interrupted", "running",
	// "stopped", "earlier" and "not run" (the Stage* constants).
	State string `json:"state"`
	// Error is why the stage failed.
	Error string `json:"error,omitempty"`
	// FinishedAt and DurationMS are when the stage was last done and how
	// long it took; absent when it never was.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	DurationMS int64     `json:"duration_ms,omitempty"`
	// CPUMS and PeakRSS are the processor time it used (all cores) and
	// the process's peak resident memory while it ran, in bytes; absent
	// when not measured.
	CPUMS   int64 `json:"cpu_ms,omitempty"`
	PeakRSS int64 `json:"peak_rss_bytes,omitempty"`
	// Counts are the stage's counts as the manifest records them.
	Counts map[string]int `json:"counts,omitempty"`
}

// Invocation is one command on a run directory.
type Invocation struct {
	// Command is "run", "render" or "send"; "" when only the manifest
	// records the invocation (a run or a render).
	Command string `json:"command"`
	// Outcome is "done", "failed", "interrupted", "running" or
	// "stopped".
	Outcome string    `json:"outcome"`
	Error   string    `json:"error,omitempty"`
	Start   time.Time `json:"start"`
	// End is absent while the invocation runs, and when it stopped.
	End time.Time `json:"end,omitzero"`
}

// LockHolder is the process that holds a run's lock.
type LockHolder struct {
	// Command is its command line, e.g. "tailor send out/c/2026-10"; ""
	// when the lock file does not say.
	Command string    `json:"command"`
	PID     int       `json:"pid,omitempty"`
	Host    string    `json:"host,omitempty"`
	Since   time.Time `json:"since,omitzero"`
}

// SendStatus is a send's progress, from its ledger.
type SendStatus struct {
	// Totals counts the messages in every ledger state, 0 included:
	// pending, sending, sent, deferred, failed, uncertain, suppressed,
	// skipped.
	Totals map[string]int `json:"totals"`
	// Total counts every row of the ledger; Remaining those still to
	// send (pending, deferred, sending).
	Total     int `json:"total"`
	Remaining int `json:"remaining"`
	// FirstSent and LastSent are when the first and the latest message
	// were recorded sent.
	FirstSent time.Time `json:"first_sent,omitzero"`
	LastSent  time.Time `json:"last_sent,omitzero"`
	// RatePerMinute is the messages sent a minute over the last
	// RateWindowS seconds: those up to now while the send runs, else
	// those up to the last message sent; 0 when it cannot be told.
	RatePerMinute float64 `json:"rate_per_minute"`
	RateWindowS   int64   `json:"rate_window_s"`
	// ETA is when the remaining messages should be sent at that rate,
	// ETASeconds how long from now: only while a command holds the lock,
	// messages remain and the rate is known.
	ETA        time.Time `json:"eta,omitzero"`
	ETASeconds int64     `json:"eta_s,omitempty"`
}

// rateWindow is how far back the send rate looks.
const rateWindow = 5 * time.Minute

// StatusConfig says which run Status looks at.
type StatusConfig struct {
	RunDir string
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Status says where a run directory stands: its stages, its latest
// invocation, who holds its lock, and its send's progress. It changes
// nothing: it takes no lock (but for an instant when a dead holder's
// details are in the lock file, see rundir.Holding) and opens the ledger
// read-only, so it may look at a run a command is working on. A directory
// with neither a manifest nor a history entry is an error wrapping
// ErrConfig.
func Status(ctx context.Context, sc StatusConfig) (*RunStatus, error) {
	if sc.Now == nil {
		sc.Now = time.Now
	}
	dir := filepath.Clean(sc.RunDir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s: not a directory", ErrConfig, dir)
	}
	// The lock first: a command that ends after this leaves a manifest
	// and history that say so.
	h, held, err := rundir.Holding(dir)
	if err != nil {
		return nil, err
	}
	m, merr := rundir.ReadManifest(dir)
	if merr != nil {
		m = nil
	}
	entries, err := readHistory(rundir.Root(dir))
	if err != nil {
		return nil, err
	}
	var mine []rundir.Entry
	for _, e := range entries {
		if inRoot(rundir.Root(dir), e.Dir) == inRoot(rundir.Root(dir), dir) {
			mine = append(mine, e)
		}
	}
	if m == nil && len(mine) == 0 && !held {
		return nil, fmt.Errorf("%w: %s: no readable %s and no run in %s: not a tailor run directory",
			ErrConfig, dir, rundir.ManifestFile, filepath.Join(rundir.Root(dir), rundir.HistoryFile))
	}
	st := &RunStatus{Dir: dir, Campaign: filepath.Base(filepath.Dir(dir)), Month: monthOf(filepath.Base(dir))}
	if m != nil {
		st.Campaign, st.Month, st.Wave = m.Campaign, m.Month, m.Wave
	} else if len(mine) > 0 {
		e := mine[len(mine)-1]
		st.Campaign, st.Month = e.Campaign, e.Month
	}
	if held {
		st.Running = &LockHolder{Command: h.Command, PID: h.PID, Host: h.Host, Since: h.Since}
	}
	last, stages := invocations(m, mine, held, h)
	st.Last = last
	st.Stages = stageStates(m, stages)
	if st.Send, err = sendStatus(ctx, filepath.Join(dir, LedgerFile), held, sc.Now()); err != nil {
		return nil, err
	}
	return st, nil
}

// stagesRun is what the last run or render did to the stages.
type stagesRun struct {
	ran, kept []string
	outcome   string
	err       string
}

// invocations finds the latest invocation on a run directory, of any
// command, and what the last run or render did to its stages: from the
// run history, or from the manifest when it records one the history does
// not (one running now, or one that died).
func invocations(m *rundir.Manifest, history []rundir.Entry, held bool, h rundir.Holder) (*Invocation, *stagesRun) {
	var last *Invocation
	var stages *stagesRun
	var newest *rundir.Entry
	if n := len(history); n > 0 {
		newest = &history[n-1]
		last = &Invocation{Command: newest.Command, Outcome: newest.Outcome, Error: newest.Error, Start: newest.Start, End: newest.End}
	}
	for i := len(history) - 1; i >= 0; i-- {
		if e := history[i]; e.Command == "run" || e.Command == "render" {
			stages = &stagesRun{ran: e.Ran, kept: e.Kept, outcome: e.Outcome, err: e.Error}
			break
		}
	}
	switch {
	case m != nil && m.LastRun.Status == rundir.Running && (newest == nil || m.LastRun.StartedAt.After(newest.Start)):
		// A run or render the history does not record yet.
		outcome := OutcomeStopped
		if held {
			outcome = OutcomeRunning
		}
		last = &Invocation{Outcome: outcome, Start: m.LastRun.StartedAt}
		stages = &stagesRun{ran: m.LastRun.Ran, kept: m.LastRun.Kept, outcome: outcome}
	case m != nil && stages == nil:
		stages = &stagesRun{ran: m.LastRun.Ran, kept: m.LastRun.Kept, outcome: string(m.LastRun.Status), err: m.LastRun.Error}
		if last == nil {
			last = &Invocation{Outcome: string(m.LastRun.Status), Error: m.LastRun.Error, Start: m.LastRun.StartedAt, End: m.LastRun.FinishedAt}
		}
	}
	if held {
		// Whatever it is, the command at work is the latest.
		last = &Invocation{Command: commandOf(h.Command), Outcome: OutcomeRunning, Start: h.Since}
		if last.Command == "run" && (stages == nil || stages.outcome != OutcomeRunning) {
			// A run that has not written its manifest yet: at its first
			// stage, or keeping the stages before it.
			stages = &stagesRun{outcome: OutcomeRunning}
		}
	}
	return last, stages
}

// stageNames are the run's stages in pipeline order.
func stageNames() []string {
	var names []string
	for _, s := range (&run{}).stages(&outcomes{}) {
		names = append(names, s.name)
	}
	return names
}

// stageStates says where each stage stands after the last run or render.
func stageStates(m *rundir.Manifest, last *stagesRun) []StageStatus {
	names := stageNames()
	if m != nil {
		for _, rec := range m.Stages {
			if !slices.Contains(names, rec.Name) {
				names = append(names, rec.Name)
			}
		}
	}
	if last == nil {
		last = &stagesRun{outcome: string(rundir.Done)}
	}
	// The stage the last invocation stopped at: the one its error names,
	// else the first it neither ran nor kept.
	stoppedAt := ""
	if last.outcome != string(rundir.Done) {
		done := func(n string) bool { return slices.Contains(last.ran, n) || slices.Contains(last.kept, n) }
		for _, n := range names {
			if !done(n) && strings.HasPrefix(last.err, n+":") {
				stoppedAt = n
			}
		}
		if i := slices.IndexFunc(names, func(n string) bool { return !done(n) }); stoppedAt == "" && i >= 0 {
			stoppedAt = names[i]
		}
	}
	out := make([]StageStatus, 0, len(names))
	for _, n := range names {
		s := StageStatus{Name: n, State: StageNotRun}
		var rec *rundir.StageRecord
		if m != nil {
			rec = m.Stage(n)
		}
		if rec != nil && rec.Status == rundir.Done {
			s.State, s.FinishedAt, s.DurationMS, s.Counts = StageEarlier, rec.FinishedAt, rec.DurationMS, rec.Counts
			s.CPUMS, s.PeakRSS = rec.CPUMS, rec.PeakRSS
		}
		switch {
		case slices.Contains(last.ran, n):
			s.State = StageRan
		case slices.Contains(last.kept, n):
			s.State = StageKept
		case n == stoppedAt:
			s.State = map[string]string{string(rundir.Failed): StageFailed, string(rundir.Interrupted): StageInterrupted,
				OutcomeRunning: StageRunning, OutcomeStopped: StageStopped}[last.outcome]
			if s.State == "" {
				s.State = StageFailed
			}
			if s.State == StageFailed || s.State == StageInterrupted {
				s.Error = last.err
			}
		}
		out = append(out, s)
	}
	return out
}

// sendStatus reads a send's progress from its ledger at path, nil when
// there is none. running says a command holds the run's lock.
func sendStatus(ctx context.Context, path string, running bool, now time.Time) (*SendStatus, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	db, err := ledger.OpenReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	totals, err := db.Totals(ctx)
	if err != nil {
		return nil, err
	}
	s := &SendStatus{Totals: map[string]int{}, RateWindowS: int64(rateWindow / time.Second)}
	for _, st := range []send.State{send.Pending, send.Sending, send.Sent, send.Deferred, send.Failed, send.Uncertain, send.Suppressed, send.Skipped} {
		s.Totals[string(st)] = 0
	}
	for st, n := range totals {
		s.Totals[string(st)] = n
		s.Total += n
	}
	s.Remaining = totals[send.Pending] + totals[send.Deferred] + totals[send.Sending]
	times, err := db.SentTimes(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	s.FirstSent, s.LastSent = times.First, times.Last
	if times.Count == 0 {
		return s, nil
	}
	end := times.Last
	if running {
		end = now
	}
	from := rateFrom(times.First, end)
	recent, err := db.SentTimes(ctx, from)
	if err != nil {
		return nil, err
	}
	s.RatePerMinute = ratePerMinute(recent.Since, from, end)
	if running {
		if d := eta(s.Remaining, s.RatePerMinute); d > 0 {
			s.ETA, s.ETASeconds = now.Add(d).UTC().Truncate(time.Second), int64(d/time.Second)
		}
	}
	return s, nil
}

// rateFrom is where the rate's window starts when it ends at end: a
// rateWindow before, or at the first message sent when that is later.
func rateFrom(first, end time.Time) time.Time {
	if start := end.Add(-rateWindow); start.After(first) {
		return start
	}
	return first
}

// ratePerMinute is sent messages between from and to, a minute; 0 when
// the span is empty.
func ratePerMinute(sent int, from, to time.Time) float64 {
	d := to.Sub(from)
	if sent <= 0 || d <= 0 {
		return 0
	}
	return float64(sent) / d.Minutes()
}

// eta is how long remaining messages take at perMinute, rounded up to the
// second; 0 when none remain or the rate is unknown.
func eta(remaining int, perMinute float64) time.Duration {
	if remaining <= 0 || perMinute <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(float64(remaining)/perMinute*60)) * time.Second
}
