package pipeline

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/internal/usage"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// fakeOut is the outcome of a fake stage: one file, one count.
type fakeOut struct {
	Writes int `count:"writes"`
	file   string
	// write, when set, writes the file beside the next stage.
	write func() error
}

func (f fakeOut) outputs() []string { return []string{f.file} }

func (f fakeOut) trail() func() error { return f.write }

// fakeRun is a run directory with three fake stages, a (in memory only),
// b and c, each writing <name>.txt with the content content[name].
type fakeRun struct {
	r       *run
	content map[string]string
	fail    string // the stage that fails
	ran     []string
	outs    map[string]*fakeOut
	// trailing names the stage whose file is written beside the next
	// stage, by trailWrite when set.
	trailing   string
	trailWrite func(write func() error) error
	// onRun, when set, is told of each stage as it starts; the stage
	// fails with its error.
	onRun func(name string) error
}

func newFakeRun(t *testing.T) *fakeRun {
	dir := t.TempDir()
	f := &fakeRun{r: &run{dir: dir, cfg: Config{Now: time.Now}, manifest: &rundir.Manifest{}},
		content: map[string]string{"a": "1", "b": "1", "c": "1"}, outs: map[string]*fakeOut{}}
	return f
}

func (f *fakeRun) stages() []stage {
	var out []stage
	key := ""
	for _, name := range []string{"a", "b", "c"} {
		o := &fakeOut{}
		f.outs[name] = o
		st := step(name, o, func(ctx context.Context) (fakeOut, error) {
			f.ran = append(f.ran, name)
			if f.onRun != nil {
				if err := f.onRun(name); err != nil {
					return fakeOut{}, err
				}
			}
			content := f.content[name]
			write := func() error {
				return rundir.WriteFile(filepath.Join(f.r.dir, name+".txt"), func(w io.Writer) error {
					_, err := io.WriteString(w, content)
					return err
				})
			}
			if f.trailing == name && f.fail != name {
				return fakeOut{Writes: 1, file: name + ".txt", write: func() error { return f.trailWrite(write) }}, nil
			}
			if err := write(); err != nil {
				return fakeOut{}, err
			}
			if f.fail == name {
				return fakeOut{}, errors.New("broken")
			}
			return fakeOut{Writes: 1, file: name + ".txt"}, nil
		})
		key += name + f.content[name] // chained, as the pipeline's keys are
		st.key = key
		if name == "a" {
			st = st.inMemory()
		}
		out = append(out, st)
	}
	return out
}

func (f *fakeRun) run(t *testing.T, atomic bool, from, to int) error {
	t.Helper()
	f.ran = nil
	f.r.manifest.LastRun = rundir.RunRecord{}
	st := f.stages()
	return (&runner{r: f.r, atomic: atomic}).run(context.Background(), st, from, to)
}

func (f *fakeRun) read(t *testing.T, name string) string {
	t.Helper()
	file := name + ".txt"
	if name == "manifest" {
		file = rundir.ManifestFile
	}
	b, err := os.ReadFile(filepath.Join(f.r.dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunner(t *testing.T) {
	t.Run("runs what is not current", func(t *testing.T) {
		f := newFakeRun(t)
		if err := f.run(t, false, 0, 3); err != nil || !slices.Equal(f.ran, []string{"a", "b", "c"}) {
			t.Fatalf("first run: ran %v, %v", f.ran, err)
		}
		if err := f.run(t, false, 0, 3); err != nil || len(f.ran) != 0 {
			t.Fatalf("second run: ran %v, %v", f.ran, err)
		}
		if f.outs["b"].Writes != 1 || !slices.Equal(f.r.manifest.LastRun.Kept, []string{"a", "b", "c"}) {
			t.Errorf("kept stages' outcomes not read back: %+v, kept %v", f.outs["b"], f.r.manifest.LastRun.Kept)
		}
		f.content["c"] = "2"
		if err := f.run(t, false, 0, 3); err != nil || !slices.Equal(f.ran, []string{"c"}) {
			t.Errorf("after c's key changed: ran %v, %v", f.ran, err)
		}
	})
	t.Run("a stage after one in memory only runs it again", func(t *testing.T) {
		f := newFakeRun(t)
		f.run(t, false, 0, 3)
		os.WriteFile(filepath.Join(f.r.dir, "b.txt"), []byte("edited"), 0o600)
		if err := f.run(t, false, 0, 3); err != nil || !slices.Equal(f.ran, []string{"a", "b", "c"}) {
			t.Errorf("ran %v, %v; want a again, its output lives in memory only", f.ran, err)
		}
	})
	t.Run("a failure keeps the stages before it", func(t *testing.T) {
		f := newFakeRun(t)
		f.fail = "c"
		err := f.run(t, false, 0, 3)
		var se *StageError
		if !errors.As(err, &se) || se.Stage != "c" || err.Error() != "c: broken" {
			t.Fatalf("error %v", err)
		}
		if !f.r.manifest.Current(f.r.dir, "b", "a1b1") || f.r.manifest.Stage("c") != nil {
			t.Errorf("manifest %+v", f.r.manifest.Stages)
		}
	})
	t.Run("atomic: a failure puts back what ran before it", func(t *testing.T) {
		f := newFakeRun(t)
		f.run(t, false, 0, 3)
		if err := f.r.manifest.Write(f.r.dir); err != nil {
			t.Fatal(err)
		}
		manifest := f.read(t, "manifest")
		f.content["b"], f.content["c"], f.fail = "2", "2", "c"
		if err := f.run(t, true, 1, 3); err == nil || !slices.Equal(f.ran, []string{"b", "c"}) {
			t.Fatalf("ran %v, %v", f.ran, err)
		}
		if f.read(t, "b") != "1" || f.read(t, "c") != "1" {
			t.Errorf("b.txt %q, c.txt %q: want both as before", f.read(t, "b"), f.read(t, "c"))
		}
		if f.read(t, "manifest") != manifest {
			t.Error("an atomic invocation that failed wrote the manifest")
		}
		leftovers, _ := filepath.Glob(filepath.Join(f.r.dir, "*.tmp-*"))
		if len(leftovers) > 0 {
			t.Errorf("left %v", leftovers)
		}
	})
	t.Run("stages before from are kept whatever their keys", func(t *testing.T) {
		f := newFakeRun(t)
		f.run(t, false, 0, 3)
		f.content["a"] = "2"
		if err := f.run(t, true, 1, 3); err != nil || len(f.ran) != 2 || !slices.Equal(f.r.manifest.LastRun.Kept, []string{"a"}) {
			t.Errorf("ran %v kept %v, %v", f.ran, f.r.manifest.LastRun.Kept, err)
		}
	})
}

// TestTrailingStage runs a stage whose file is written beside the next
// stage: the two overlap, the manifest records the first before the
// second and only once its file is in place, and a failure of either
// leaves the manifest saying what is done.
func TestTrailingStage(t *testing.T) {
	// overlap makes c wait for b's file to be in the writing: run in
	// turn, c would fail.
	overlap := func(f *fakeRun) {
		bWriting := make(chan struct{})
		f.trailing = "b"
		f.trailWrite = func(write func() error) error {
			close(bWriting)
			if f.r.manifest.Stage("b") != nil {
				return errors.New("b recorded before its file was written")
			}
			return write()
		}
		f.onRun = func(name string) error {
			if name != "c" {
				return nil
			}
			select {
			case <-bWriting:
				return nil
			case <-time.After(10 * time.Second):
				return errors.New("b's file was not being written while c ran")
			}
		}
	}
	t.Run("side by side, recorded in order", func(t *testing.T) {
		f := newFakeRun(t)
		overlap(f)
		// "done" is said once a stage is recorded: a run stopped after it
		// resumes after the stage.
		var done []string
		f.r.cfg.Events = func(e Event) {
			if e.State != EventDone {
				return
			}
			done = append(done, e.Stage)
			if rec := f.r.manifest.Stage(e.Stage); rec == nil || (e.Stage == "b") != (e.Files > 0) || rec.FilesMS != e.Files.Milliseconds() {
				t.Errorf("%s said done with files %v, recorded %+v", e.Stage, e.Files, rec)
			}
		}
		if err := f.run(t, false, 0, 3); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(done, []string{"a", "b", "c"}) {
			t.Errorf("said done: %v", done)
		}
		if got := f.r.manifest.LastRun.Ran; !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Errorf("ran %v", got)
		}
		var names []string
		for _, st := range f.r.manifest.Stages {
			names = append(names, st.Name)
		}
		if !slices.Equal(names, []string{"a", "b", "c"}) || !f.r.manifest.Current(f.r.dir, "b", "a1b1") || !f.r.manifest.Current(f.r.dir, "c", "a1b1c1") {
			t.Errorf("manifest stages %v, b current %v", names, f.r.manifest.Current(f.r.dir, "b", "a1b1"))
		}
		if f.read(t, "b") != "1" {
			t.Errorf("b.txt %q", f.read(t, "b"))
		}
	})
	t.Run("the last stage to run", func(t *testing.T) {
		f := newFakeRun(t)
		f.trailing = "b"
		f.trailWrite = func(write func() error) error { return write() }
		if err := f.run(t, false, 0, 2); err != nil || !f.r.manifest.Current(f.r.dir, "b", "a1b1") {
			t.Fatalf("b not recorded: %v", err)
		}
	})
	t.Run("its file fails", func(t *testing.T) {
		f := newFakeRun(t)
		f.trailing = "b"
		f.trailWrite = func(func() error) error { return errors.New("disk full") }
		err := f.run(t, false, 0, 3)
		var se *StageError
		if !errors.As(err, &se) || se.Stage != "b" || err.Error() != "b: disk full" {
			t.Fatalf("error %v, want b's", err)
		}
		if f.r.manifest.Stage("b") != nil || f.r.manifest.Stage("c") != nil || !f.r.manifest.Current(f.r.dir, "a", "a1") {
			t.Errorf("manifest %+v: want a alone", f.r.manifest.Stages)
		}
		on, _ := rundir.ReadManifest(f.r.dir)
		if on == nil || on.Stage("b") != nil {
			t.Errorf("manifest on disk %+v: want a alone", on)
		}
	})
	t.Run("the next stage fails", func(t *testing.T) {
		f := newFakeRun(t)
		overlap(f)
		f.fail = "c"
		err := f.run(t, false, 0, 3)
		var se *StageError
		if !errors.As(err, &se) || se.Stage != "c" {
			t.Fatalf("error %v, want c's", err)
		}
		if !f.r.manifest.Current(f.r.dir, "b", "a1b1") || f.r.manifest.Stage("c") != nil {
			t.Errorf("manifest %+v: want b done, c not", f.r.manifest.Stages)
		}
		// The next invocation keeps b.
		f.fail, f.trailing, f.onRun = "", "", nil
		if err := f.run(t, false, 0, 3); err != nil || !slices.Equal(f.ran, []string{"c"}) {
			t.Errorf("next run ran %v, %v; want c alone", f.ran, err)
		}
	})
}

// gcPercent returns the collector's GOGC.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestHeldGCPercent checks that a stage marked tight, and the stages
// after it, run with GOGC at heldGCPercent unless the environment sets
// GOGC (limitStage sets limitedGCPercent only under an earlier stage's
// peak: TestLimitStage), that the stages before keep what was there, and
// that a run puts it back when it ends.
func TestHeldGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, tc := range []struct {
		gogc, gomemlimit            string
		cluster, render, report, at int
	}{
		{"", "", 100, heldGCPercent, heldGCPercent, 100},
		{"", "4GiB", 100, heldGCPercent, heldGCPercent, 100},
		{"200", "", 100, 100, 100, 100},
	} {
		r := &run{dir: t.TempDir(), manifest: &rundir.Manifest{},
			cfg: Config{Now: time.Now, Getenv: func(k string) string {
				switch k {
				case "GOGC":
					return tc.gogc
				case "GOMEMLIMIT":
					return tc.gomemlimit
				}
				return ""
			}}}
		seen := map[string]int{}
		var stages []stage
		for _, name := range []string{"cluster", "render", "report"} {
			st := step(name, &fakeOut{}, func(ctx context.Context) (fakeOut, error) {
				seen[name] = gcPercent()
				if err := rundir.WriteFile(filepath.Join(r.dir, name+".txt"), func(w io.Writer) error { return nil }); err != nil {
					return fakeOut{}, err
				}
				return fakeOut{file: name + ".txt"}, nil
			})
			if name == "render" {
				st = st.tight()
			}
			stages = append(stages, st)
		}
		if err := (&runner{r: r}).run(context.Background(), stages, 0, len(stages)); err != nil {
			t.Fatal(err)
		}
		if seen["cluster"] != tc.cluster || seen["render"] != tc.render || seen["report"] != tc.report {
			t.Errorf("GOGC=%q GOMEMLIMIT=%q: cluster, render and report ran with %d, %d and %d; want %d, %d and %d", tc.gogc, tc.gomemlimit,
				seen["cluster"], seen["render"], seen["report"], tc.cluster, tc.render, tc.report)
		}
		if got := gcPercent(); got != tc.at {
			t.Errorf("GOGC=%q GOMEMLIMIT=%q: %d after the run, want %d", tc.gogc, tc.gomemlimit, got, tc.at)
		}
	}
}

// TestLimitStage checks the soft memory limit of a tight stage: what the
// process holds plus the headroom, never above a lower limit already set,
// and put back after.
func TestLimitStage(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	defer debug.SetGCPercent(debug.SetGCPercent(heldGCPercent))
	held := usage.RuntimeMemory()
	restore := limitStage(0)
	got := debug.SetMemoryLimit(-1)
	lo := held + max(int64(stageHeadroom*float64(held)), stageHeadroomMin)
	if got < lo || got > lo+lo/10 {
		t.Errorf("limit %d for %d held, want about %d", got, held, lo)
	}
	if p := gcPercent(); p != heldGCPercent {
		t.Errorf("GOGC %d under the stage's headroom, want %d", p, heldGCPercent)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit %d after the stage, want it back at %d", got, int64(math.MaxInt64))
	}
	if p := gcPercent(); p != heldGCPercent {
		t.Errorf("GOGC %d after the stage, want it back at %d", p, heldGCPercent)
	}
	// An earlier stage's peak above the headroom is the limit, and GOGC
	// is limitedGCPercent under it.
	restore = limitStage(lo * 2)
	if got := debug.SetMemoryLimit(-1); got != lo*2 {
		t.Errorf("limit %d after a stage peaked at %d", got, lo*2)
	}
	if p := gcPercent(); p != limitedGCPercent {
		t.Errorf("GOGC %d under an earlier stage's peak, want %d", p, limitedGCPercent)
	}
	restore()
	if p := gcPercent(); p != heldGCPercent {
		t.Errorf("GOGC %d after the stage, want it back at %d", p, heldGCPercent)
	}
	// Two runs of the process holding the collector: the limit, the
	// process's, is left alone.
	r1, r2 := tightenGC(), tightenGC()
	restore = limitStage(lo * 2)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit %d while two runs hold the collector", got)
	}
	restore()
	r2()
	r1()
	debug.SetMemoryLimit(1 << 20)
	restore = limitStage(lo * 2)
	if got := debug.SetMemoryLimit(-1); got != 1<<20 {
		t.Errorf("limit %d under a limit of 1 MiB already set", got)
	}
	if p := gcPercent(); p != heldGCPercent {
		t.Errorf("GOGC %d under a limit already set, want %d", p, heldGCPercent)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != 1<<20 {
		t.Errorf("limit %d after the stage, want 1 MiB", got)
	}
}

// TestNoLimitAfterKept checks that a tight stage run after a kept stage,
// which reads the kept stage's outputs from the run directory itself (a
// render after a template edit), keeps the default collector and limit.
func TestNoLimitAfterKept(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	r := &run{dir: t.TempDir(), manifest: &rundir.Manifest{}, cfg: Config{Now: time.Now, Getenv: func(string) string { return "" }}}
	var limit int64
	var percent int
	stages := func(renderKey string) []stage {
		var out []stage
		for _, name := range []string{"cluster", "render"} {
			st := step(name, &fakeOut{}, func(ctx context.Context) (fakeOut, error) {
				limit, percent = debug.SetMemoryLimit(-1), gcPercent()
				if err := rundir.WriteFile(filepath.Join(r.dir, name+".txt"), func(w io.Writer) error { return nil }); err != nil {
					return fakeOut{}, err
				}
				return fakeOut{file: name + ".txt"}, nil
			})
			st.key = name
			if name == "render" {
				st.key += renderKey
				st = st.tight()
			}
			out = append(out, st)
		}
		return out
	}
	if err := (&runner{r: r}).run(context.Background(), stages("1"), 0, 2); err != nil {
		t.Fatal(err)
	}
	if limit == math.MaxInt64 || percent != heldGCPercent {
		t.Errorf("render after cluster ran: limit %d, GOGC %d; want a limit and %d", limit, percent, heldGCPercent)
	}
	if err := (&runner{r: r}).run(context.Background(), stages("2"), 0, 2); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.manifest.LastRun.Kept, []string{"cluster"}) {
		t.Fatalf("kept %v, want the cluster stage", r.manifest.LastRun.Kept)
	}
	if limit != math.MaxInt64 || percent != 100 {
		t.Errorf("render after cluster was kept: limit %d, GOGC %d; want neither changed", limit, percent)
	}
}

// TestCtxWriter checks that the writing of a stage's files beside the next
// stops with the run: once the context is done, every write fails with
// its error and writes nothing.
func TestCtxWriter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var b strings.Builder
	w := ctxWriter{ctx, &b}
	if n, err := w.Write([]byte("before,")); n != 7 || err != nil {
		t.Fatalf("write before: %d, %v", n, err)
	}
	cancel()
	if n, err := w.Write([]byte("after")); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("write after: %d, %v; want 0, context.Canceled", n, err)
	}
	if b.String() != "before," {
		t.Errorf("wrote %q", b.String())
	}
}

// TestSmallPagesStages checks which stages keep the heap in small pages:
// ingest and profile, whose cardholders and profiles the stages after them
// read in no memory order; every stage from cluster on has the heap
// advised for huge pages.
func TestSmallPagesStages(t *testing.T) {
	r, err := newRun(quickstartConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	var small []string
	for _, st := range r.stages(&outcomes{}) {
		if st.smallPages {
			small = append(small, st.name)
		}
	}
	if got := strings.Join(small, ","); got != "ingest,profile" {
		t.Errorf("stages in small pages: %q, want ingest,profile", got)
	}
}
