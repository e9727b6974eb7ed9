package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/tailor-mail/tailor/pipeline/internal/usage"
	"github.com/tailor-mail/tailor/pipeline/ledger"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// A stage is one step of a run.
type stage struct {
	name string
	// key hashes everything the stage's outputs depend on, chained to the
	// key of the stage before it (keys.go).
	key string
	// memory says the stage's output lives in memory only: the stage
	// after it can run only when this one ran in the same invocation.
	memory bool
	// sendReads says a send reads the stage's outputs (profiles,
	// assignments, plan, variants): once a send has started, the stage
	// may not run again.
	sendReads bool
	// tightGC says the stage, and every one after it, runs with the
	// collector at heldGCPercent.
	tightGC bool
	// smallPages says the stage makes data that the stages after it read
	// in no memory order (the cardholders, the profiles): the heap is
	// advised for huge pages only from the first stage without it on
	// (usage.AdviseHeap). With the profiles in huge pages the fit stage,
	// which reads them newsletter by newsletter, took 3.9-5.1 s where it
	// took 3.4 s in small pages, three runs each, at a million.
	smallPages bool
	// small, when set, says whether the stage has next to nothing to do
	// this run (an outbox of none): the runner then skips the collection
	// before it, which would take longer than the stage.
	small func() bool
	// run does the work and returns the stage's outcome.
	run func(ctx context.Context) (outcome, error)
	// keep reads the stage's outcome back from the counts the manifest
	// recorded, when its outputs are kept.
	keep func(counts map[string]int) error
}

// An outcome is a stage's typed output: its counts are the fields tagged
// `count` (counts.go), recorded in the manifest.
type outcome interface {
	// outputs lists the files and directories the stage wrote, relative
	// to the run directory.
	outputs() []string
}

// heldGCPercent is the garbage collector's GOGC in the stages marked
// tightGC (variants and after), unless the environment sets GOGC; each
// also gets a soft memory limit of its own (limitStage), unless GOMEMLIMIT
// or --memory-limit set one. There a run holds every cardholder's profile
// and the compiled newsletters (0.95 GB at a million) while render
// compiles 1,349 newsletters and report writes the workbook, each leaving
// more garbage than that; with the default of 100 the heap grows to twice
// what is alive (2.2 GB at a million; 1.4 GB with both, see
// pipeline/BENCHMARKS.md). The stages before keep the default: ingest
// holds little and discards a lot, profile and cluster allocate what they
// keep, and a tighter collector would cost them time for no lower peak.
const heldGCPercent = 50

// limitedGCPercent is GOGC in a tight stage that limitStage holds to an
// earlier stage's peak: the run has needed that much memory already, and
// the limit, not GOGC, then bounds the heap. At a million cardholders
// render collected twice at heldGCPercent, the first time with a third of
// its room under the limit unused, and once at limitedGCPercent, its peak
// the same (pipeline/BENCHMARKS.md, the sixth round). A stage whose limit
// is its own headroom (a small run: at 100,000 cardholders the report
// stage peaked at 519 MB instead of 446 MB at limitedGCPercent) or that
// has no limit of its own (GOMEMLIMIT or --memory-limit set, or two runs
// in the process) keeps heldGCPercent.
const limitedGCPercent = 100

// gcHold counts the runs that hold the collector at heldGCPercent: the
// first sets it, the last puts back what was there before.
var gcHold struct {
	sync.Mutex
	runs   int
	before int
}

// tightenGC sets GOGC to heldGCPercent until the function it returns is
// called, however many runs of the process do so at once.
func tightenGC() (release func()) {
	gcHold.Lock()
	defer gcHold.Unlock()
	if gcHold.runs == 0 {
		gcHold.before = debug.SetGCPercent(heldGCPercent)
	}
	gcHold.runs++
	return func() {
		gcHold.Lock()
		defer gcHold.Unlock()
		if gcHold.runs--; gcHold.runs == 0 {
			debug.SetGCPercent(gcHold.before)
		}
	}
}

// stageHeadroom is the share of the memory held at a tight stage's start
// (its live data, just collected) that the stage may add before the
// collector must run, whatever GOGC says; stageHeadroomMin is the least
// it may add. GOGC measures its headroom on the heap the last collection
// marked, which counts what the stage allocated while it marked: render's
// peak was 1.8 GB at GOGC 50 for 1.0 GB held at its start.
const (
	stageHeadroom    = 0.4
	stageHeadroomMin = 256 << 20
)

// limitStage lowers the soft memory limit, for one tight stage, to what
// the process holds now plus stageHeadroom, or to peak (the highest peak
// of the stages run before it) when that is higher: a stage may use what
// an earlier one needed without raising the run's peak; then GOGC is
// limitedGCPercent for the stage. It leaves a lower limit as
// it is, and sets none while another run of the process holds the
// collector too (the limit is the process's); the function it returns
// puts the limit and GOGC back. The limit is soft: a stage whose live
// data outgrows it is slowed down by the collector, never stopped.
func limitStage(peak int64) (restore func()) {
	gcHold.Lock()
	alone := gcHold.runs <= 1
	gcHold.Unlock()
	held := usage.RuntimeMemory()
	if held <= 0 || !alone {
		return func() {}
	}
	headroom := max(held+int64(stageHeadroom*float64(held)), held+stageHeadroomMin)
	limit := max(headroom, peak)
	before := debug.SetMemoryLimit(-1)
	if limit >= before {
		return func() {}
	}
	debug.SetMemoryLimit(limit)
	if peak <= headroom {
		return func() { debug.SetMemoryLimit(before) }
	}
	percent := debug.SetGCPercent(limitedGCPercent)
	return func() {
		debug.SetMemoryLimit(before)
		debug.SetGCPercent(percent)
	}
}

// recordedOutcome is an outcome that knows what RecordOutputs would
// record for its outputs, from the files as it wrote them: a directory of
// thousands of files is not read back to be hashed.
type recordedOutcome interface {
	// records returns the outputs' records, nil when it does not know
	// them.
	records() []rundir.OutputRecord
}

// trailingOutcome is the outcome of a stage that hands the next stage its
// results before its own files are written: trail returns the function
// that writes them (nil when there is nothing left to write). The runner
// starts it once the next stage is about to run, after the collection
// before that stage, and lets the two run side by side. Once the files
// are in place, the stage is recorded done in the manifest and said done
// (Event), from the writing's goroutine; the stage beside it must leave
// the manifest alone. The next stage is recorded only after it. A run
// stopped before the files are in place runs the stage again.
type trailingOutcome interface {
	trail() func() error
}

// trail is a stage whose files are still being written.
type trail struct {
	st    stage // as in the list of stages, its key final
	out   outcome
	use   usage.Stage
	write func() error
	done  chan error // nil until write starts
}

// start writes the trail's files in a goroutine of their own, once, then
// records the stage.
func (t *trail) start(x *runner) {
	if t.done != nil {
		return
	}
	t.done = make(chan error, 1)
	go pprof.Do(context.Background(), pprof.Labels("stage", t.st.name+" files"), func(context.Context) {
		began := time.Now()
		err := t.write()
		if err == nil {
			err = x.record(t.st, t.out, t.use, time.Since(began))
		}
		t.done <- err
	})
}

// outputRecords returns the records of a stage's outputs.
func outputRecords(dir string, out outcome) ([]rundir.OutputRecord, error) {
	if ro, ok := out.(recordedOutcome); ok {
		if recs := ro.records(); recs != nil {
			return recs, nil
		}
	}
	return rundir.RecordOutputs(dir, out.outputs()...)
}

// step makes the stage name, whose outcome run stores in out.
func step[T outcome](name string, out *T, run func(ctx context.Context) (T, error)) stage {
	return stage{
		name: name,
		run: func(ctx context.Context) (outcome, error) {
			v, err := run(ctx)
			if err != nil {
				return nil, err
			}
			*out = v
			return v, nil
		},
		keep: func(counts map[string]int) error { return readCounts(counts, out) },
	}
}

// inMemory marks a stage whose output lives in memory only.
func (s stage) inMemory() stage {
	s.memory = true
	return s
}

// tight marks a stage that runs with the collector at heldGCPercent.
func (s stage) tight() stage {
	s.tightGC = true
	return s
}

// smallWhen marks a stage that has next to nothing to do when small
// says so.
func (s stage) smallWhen(small func() bool) stage {
	s.small = small
	return s
}

// inSmallPages marks a stage whose data the stages after it read in no
// memory order: the heap is not advised for huge pages while it runs.
func (s stage) inSmallPages() stage {
	s.smallPages = true
	return s
}

// readBySend marks a stage whose outputs a send reads.
func (s stage) readBySend() stage {
	s.sendReads = true
	return s
}

// ErrSealed is wrapped by the error of a run or render that would change
// what a started send reads.
var ErrSealed = errors.New("the run is sealed")

// sendCounts counts the send ledger's messages by variant and state; nil
// when the run has no ledger.
func (r *run) sendCounts() (map[string]map[send.State]int, error) {
	path := r.file(LedgerFile)
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	db, err := ledger.Open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Counts(context.Background())
}

// checkUnsealed refuses to change a run whose messages have started going
// out: the rest of its send must be made of the same newsletters, for the
// same people.
func (r *run) checkUnsealed() error {
	path := r.file(LedgerFile)
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	db, err := ledger.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	started, err := db.Started()
	if err != nil {
		return err
	}
	if !started {
		return nil
	}
	totals, _ := db.Totals(context.Background())
	return fmt.Errorf("%w: its send has started (%d sent, %d deferred, %d uncertain in %s), so its profiles, assignments, plan and variants can no longer change; "+
		"finish it with tailor send %s; to send changed newsletters, run another month (--month) or a resend wave of this one, with Message-IDs of its own (tailor run --resend-as NAME)",
		ErrSealed, totals[send.Sent], totals[send.Deferred], totals[send.Uncertain], LedgerFile, r.dir)
}

// StageError is the error of a stage that failed; it names the stage once.
type StageError struct {
	Stage string
	Err   error
	// Dir and Month are the run directory and the run's month, so that
	// the command can say how to resume: the stages before Stage are
	// kept.
	Dir, Month string
}

func (e *StageError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Stage+":") {
		return msg
	}
	return e.Stage + ": " + msg
}

// Unwrap returns the stage's error.
func (e *StageError) Unwrap() error { return e.Err }

// runner runs stages in order on a run directory it holds the lock of.
type runner struct {
	r *run
	// atomic says the invocation succeeds as a whole or leaves the run
	// directory as it found it: the outputs of the stages it ran are put
	// back when a later one fails, and the manifest is written once, at
	// the end (tailor render). Otherwise every finished stage is recorded
	// at once, so that a failed or interrupted run resumes after it.
	atomic bool
	// gcTight says run has set the collector's GOGC to heldGCPercent, and
	// puts the one before back when it returns.
	gcTight bool
	// peak is the highest peak resident memory of the stages run so far.
	peak int64
	// kept says a stage was kept: the stages after it read its outputs
	// from the run directory themselves.
	kept bool
}

// run runs stages[from:to]: it keeps every stage that is current (done,
// with the same key and untouched outputs) up to the first that is not,
// and runs that one and every one after it. The stages before from are
// kept whatever their keys. A kept stage's outcome is read back from the
// counts the manifest recorded.
func (x *runner) run(ctx context.Context, stages []stage, from, to int) (err error) {
	r, m := x.r, x.r.manifest
	defer func() {
		var se *StageError
		if errors.As(err, &se) {
			se.Dir, se.Month = r.dir, r.monthName()
		}
	}()
	first := to
	for i := from; i < to; i++ {
		if !m.Current(r.dir, stages[i].name, stages[i].key) {
			first = i
			break
		}
	}
	for first > from && stages[first-1].memory {
		first--
	}
	// The stages fill and refill a heap of a gigabyte or more at a
	// million cardholders: from the cluster stage on in huge pages, 0.4
	// million page faults instead of 0.7.
	var stopHuge func()
	defer func() {
		if stopHuge != nil {
			stopHuge()
		}
	}()
	if first < to && stages[first].sendReads {
		if err := r.checkUnsealed(); err != nil {
			return &StageError{Stage: stages[first].name, Err: err}
		}
	}
	var backups []*rundir.Backup
	defer func() {
		if err == nil || !x.atomic {
			for _, b := range backups {
				b.Discard()
			}
			return
		}
		for i := len(backups) - 1; i >= 0; i-- {
			if rerr := backups[i].Restore(); rerr != nil {
				err = errors.Join(err, fmt.Errorf("putting back the earlier outputs: %w", rerr))
			}
		}
	}()
	// pending is a stage whose files are being written beside the next.
	var pending *trail
	settle := func() error {
		if pending == nil {
			return nil
		}
		t := pending
		pending = nil
		t.start(x)
		if err := <-t.done; err != nil {
			var se *StageError
			if !errors.As(err, &se) {
				err = &StageError{Stage: t.st.name, Err: err}
			}
			return err
		}
		return nil
	}
	defer func() {
		// The files of a stage whose successor failed are still its
		// own: it is recorded when they are in place.
		if serr := settle(); err == nil {
			err = serr
		}
	}()
	for i, st := range stages[:to] {
		if i < first {
			m.LastRun.Kept = append(m.LastRun.Kept, st.name)
			rec := m.Stage(st.name)
			if rec == nil {
				return &StageError{Stage: st.name, Err: fmt.Errorf("%s records no %s stage", rundir.ManifestFile, st.name)}
			}
			if err := st.keep(rec.Counts); err != nil {
				return &StageError{Stage: st.name, Err: fmt.Errorf("%s: %w", rundir.ManifestFile, err)}
			}
			x.kept = true
			if i >= from {
				r.event(Event{Stage: st.name, State: EventKept, Counts: rec.Counts})
			}
			continue
		}
		r.event(Event{Stage: st.name, State: EventRun})
		if err := ctx.Err(); err != nil {
			return &StageError{Stage: st.name, Err: err}
		}
		if x.atomic {
			b, err := rundir.NewBackup(r.dir, recordedOutputs(m, st.name)...)
			if err != nil {
				return &StageError{Stage: st.name, Err: err}
			}
			backups = append(backups, b)
		}
		// What the stages before left behind goes back to the system
		// before a stage starts: a stage's peak is its own, not the
		// collector's headroom of the one before.
		if st.small == nil || !st.small() {
			debug.FreeOSMemory()
		}
		if stopHuge == nil && !st.smallPages {
			stopHuge = usage.AdviseHeap()
		}
		// A stage that reads the outputs of kept stages from the run
		// directory (a render after a template edit) keeps the default
		// collector: loading a million profiles under the limit took
		// 18.7 s where the default takes 10.9 s.
		if st.tightGC && !x.gcTight && !x.kept && r.cfg.Getenv != nil && r.cfg.Getenv("GOGC") == "" {
			x.gcTight = true
			defer tightenGC()()
		}
		restore := func() {}
		if x.gcTight && !r.cfg.MemoryLimitSet && r.cfg.Getenv("GOMEMLIMIT") == "" {
			restore = limitStage(x.peak)
		}
		if pending != nil {
			pending.start(x)
		}
		var meter usage.Meter
		meter.Start()
		// The stage's processor time carries its name in a CPU profile
		// (go tool pprof -tagfocus stage=render).
		var (
			out outcome
			err error
		)
		pprof.Do(ctx, pprof.Labels("stage", st.name), func(ctx context.Context) {
			out, err = st.run(ctx)
		})
		restore()
		if err != nil {
			return &StageError{Stage: st.name, Err: err}
		}
		if t, ok := out.(trailingOutcome); ok {
			if write := t.trail(); write != nil {
				// The stage is done for the stages after it; its files
				// are written while the next one runs.
				use := meter.Stop()
				x.peak = max(x.peak, use.PeakRSS)
				if err := settle(); err != nil {
					return err
				}
				pending = &trail{st: stages[i], out: out, use: use, write: write}
				continue
			}
		}
		use := meter.Stop()
		if err := settle(); err != nil {
			return err
		}
		x.peak = max(x.peak, use.PeakRSS)
		if err := x.record(stages[i], out, use, 0); err != nil {
			return err
		}
	}
	return settle()
}

// record records the stage st done in the manifest with its outcome, out,
// its use of the machine and how long its files took beside the next
// stage, writes the manifest unless the run is atomic, and says the
// stage done. st is read from the list of stages when recorded: ingest sets
// the keys again when the run began without the inputs' hashes
// (hashInputs).
func (x *runner) record(st stage, out outcome, use usage.Stage, files time.Duration) error {
	r, m := x.r, x.r.manifest
	recs, err := outputRecords(r.dir, out)
	if err != nil {
		return &StageError{Stage: st.name, Err: err}
	}
	counts := countsOf(out)
	m.SetStage(rundir.StageRecord{Name: st.name, Status: rundir.Done, Key: st.key, FinishedAt: r.cfg.Now().UTC(),
		DurationMS: use.Wall.Milliseconds(), CPUMS: use.CPU.Milliseconds(), PeakRSS: use.PeakRSS, FilesMS: files.Milliseconds(),
		Counts: counts, Outputs: recs})
	m.LastRun.Ran = append(m.LastRun.Ran, st.name)
	if !x.atomic {
		if err := m.Write(r.dir); err != nil {
			return &StageError{Stage: st.name, Err: err}
		}
	}
	r.event(Event{Stage: st.name, State: EventDone, Duration: use.Wall, CPU: use.CPU, PeakRSS: use.PeakRSS, Files: files, Counts: counts})
	return nil
}

// recordedOutputs returns the outputs the manifest records for a stage.
func recordedOutputs(m *rundir.Manifest, name string) []string {
	var out []string
	if rec := m.Stage(name); rec != nil {
		for _, o := range rec.Outputs {
			out = append(out, o.Path)
		}
	}
	return out
}

// session is one invocation's hold on a run directory: its lock, taken
// before anything in the directory is read or cleaned, and the line it
// adds to the run history when it ends.
type session struct {
	r       *run
	lock    *rundir.Lock
	entry   rundir.Entry
	command string
}

// lock takes the lock of run directory dir for command ("run", "render");
// line is the command line to show a second writer, which is refused at
// once with a *rundir.LockedError that names this one.
func lock(dir, command, line string, now time.Time) (*session, error) {
	if line == "" {
		line = "tailor " + command
	}
	l, err := rundir.Acquire(dir, line, now)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return &session{lock: l, command: command,
		entry: rundir.Entry{Command: command, Dir: dir, Start: now.UTC(), PID: os.Getpid(), Host: host}}, nil
}

// begin makes the run directory private and removes what an interrupted
// run left in it, now that no other writer can be at work there. It says
// so when the lock was taken over from a process that died holding it.
func (s *session) begin(r *run) error {
	s.r = r
	s.entry.Campaign, s.entry.Month, s.entry.Version = r.asWritten.Name, r.monthName(), r.cfg.Version
	if h := s.lock.Previous(); h != nil {
		r.event(Event{Stage: s.command, State: EventWarn, Message: fmt.Sprintf("took over the lock of %q (pid %d on %s, since %s), which stopped without releasing it; resuming",
			h.Command, h.PID, h.Host, h.Since.UTC().Format("2006-01-02 15:04:05 MST"))})
	}
	if err := rundir.Private(r.dir); err != nil {
		return err
	}
	return rundir.RemoveLeftovers(r.dir)
}

// close records the invocation in the run history and releases the lock;
// err is how the invocation ended. Neither can undo what the invocation
// did, so their failures are warnings.
func (s *session) close(err error) {
	e := s.entry
	e.End = time.Now().UTC()
	warn := func(msg string) {}
	if r := s.r; r != nil {
		e.End = r.cfg.Now().UTC()
		if r.manifest != nil {
			e.Ran, e.Kept = r.manifest.LastRun.Ran, r.manifest.LastRun.Kept
		}
		warn = func(msg string) { r.event(Event{Stage: s.command, State: EventWarn, Message: msg}) }
	}
	e.Outcome = string(statusOf(err))
	if err != nil {
		e.Error = err.Error()
	}
	if herr := rundir.AppendHistory(rundir.Root(e.Dir), e); herr != nil {
		warn("run history: " + herr.Error())
	}
	if lerr := s.lock.Release(); lerr != nil {
		warn("releasing the lock: " + lerr.Error())
	}
}

// statusOf says how an invocation that returned err ended.
func statusOf(err error) rundir.Status {
	switch {
	case err == nil:
		return rundir.Done
	case errors.Is(err, context.Canceled):
		return rundir.Interrupted
	}
	return rundir.Failed
}
