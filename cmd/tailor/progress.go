package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/tailor-mail/tailor/pipeline"
)

// logEvery is how often a stage's progress is written as a line when
// stderr is not a terminal.
const logEvery = 10 * time.Second

// stageReporter shows a run's stages as they go: on a terminal, a bar per
// running stage (mpb) with its rate and time left, and the stages' lines
// above the bars; elsewhere, the stages' lines and a progress line per
// running stage every logEvery. Quiet shows warnings only. Events may come
// from any goroutine.
type stageReporter struct {
	mu       sync.Mutex
	g        *globalOptions // --log-format: JSON logs get no bars
	w        io.Writer
	quiet    bool
	kept     string // why a kept stage was kept
	terminal bool
	p        *mpb.Progress
	bars     map[string]*mpb.Bar
	logged   map[string]time.Time
	// latest is each running stage's last progress, which the bars'
	// decorators read from mpb's goroutine: under a lock of its own, as
	// mu is held while the bars are told of progress.
	latestMu sync.Mutex
	latest   map[string]*pipeline.Progress
	now      func() time.Time
}

// newStageReporter reports on w; kept says why kept stages were kept.
func newStageReporter(g *globalOptions, w io.Writer, quiet bool, kept string) *stageReporter {
	return &stageReporter{g: g, w: w, quiet: quiet, kept: kept, terminal: isTerminal(w) && !g.json(),
		bars: map[string]*mpb.Bar{}, latest: map[string]*pipeline.Progress{}, logged: map[string]time.Time{}, now: time.Now}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	if !term.IsTerminal(int(f.Fd())) || os.Getenv("TERM") == "dumb" {
		return false
	}
	// A terminal that reports no width (a pseudo-terminal nobody sized)
	// gets lines: bars would never be drawn.
	width, _, err := term.GetSize(int(f.Fd()))
	return err == nil && width > 0
}

func (s *stageReporter) event(e pipeline.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.g.stageHeap(e, s.w)
	if e.State == pipeline.EventProgress && e.Progress != nil {
		if s.quiet {
			return
		}
		s.latestMu.Lock()
		s.latest[e.Stage] = e.Progress
		s.latestMu.Unlock()
		if s.terminal {
			s.bar(e.Stage, e.Progress)
			return
		}
		since := e.Progress.Start
		if t, ok := s.logged[e.Stage]; ok {
			since = t
		}
		if s.now().Sub(since) >= logEvery {
			logProgress(s.g.logger(s.w, false), e.Stage, e.Progress, s.now())
			s.logged[e.Stage] = s.now()
		}
		return
	}
	if b := s.bars[e.Stage]; b != nil && (e.State == pipeline.EventDone || e.State == pipeline.EventKept) {
		b.SetTotal(-1, true)
		delete(s.bars, e.Stage)
	}
	var out io.Writer = s.w
	if s.p != nil {
		out = s.p // above the bars
	}
	logEvent(s.g.logger(out, false), e, s.quiet, s.kept)
}

// bar shows p on stage's bar, made on its first progress.
func (s *stageReporter) bar(stage string, p *pipeline.Progress) {
	b := s.bars[stage]
	if b == nil {
		if s.p == nil {
			s.p = mpb.New(mpb.WithOutput(s.w), mpb.WithWidth(24), mpb.WithRefreshRate(150*time.Millisecond))
		}
		text := decor.Any(func(decor.Statistics) string {
			s.latestMu.Lock()
			l := s.latest[stage]
			s.latestMu.Unlock()
			if l == nil {
				return ""
			}
			return progressText(l, s.now())
		})
		name := decor.Name(fmt.Sprintf("  %-9s", stage))
		if p.Total > 0 {
			b = s.p.AddBar(p.Total, mpb.BarRemoveOnComplete(), mpb.PrependDecorators(name), mpb.AppendDecorators(text))
		} else {
			b = s.p.AddSpinner(0, mpb.BarRemoveOnComplete(), mpb.PrependDecorators(name), mpb.AppendDecorators(text))
		}
		s.bars[stage] = b
	}
	if p.Total > 0 {
		b.SetTotal(p.Total, false)
	}
	b.SetCurrent(p.Done)
}

// end removes the bars of stages that did not finish and waits for the
// last refresh.
func (s *stageReporter) end() {
	s.mu.Lock()
	p := s.p
	for stage, b := range s.bars {
		b.Abort(true)
		delete(s.bars, stage)
	}
	s.mu.Unlock()
	if p != nil {
		p.Wait()
	}
}

// progressText says how far a stage is: what is done of what, the rate,
// the time left at that rate, and the detail.
func progressText(p *pipeline.Progress, now time.Time) string {
	elapsed := now.Sub(p.Start)
	var parts []string
	switch {
	case p.Unit == "iterations":
		if p.Done > 0 {
			parts = append(parts, fmt.Sprintf("iteration %d of at most %d", p.Done, p.Total))
		}
	case p.Total > 0:
		done := amount(p.Done, p.Unit)
		if p.Unit != "bytes" {
			done = group(p.Done)
		}
		parts = append(parts, fmt.Sprintf("%s of %s (%d%%)", done, amount(p.Total, p.Unit), 100*p.Done/p.Total))
	case p.Done > 0:
		parts = append(parts, amount(p.Done, p.Unit))
	}
	if p.Unit != "iterations" && p.Done > 0 && elapsed >= time.Second {
		rate := float64(p.Done) / elapsed.Seconds()
		parts = append(parts, amount(int64(rate), p.Unit)+"/s")
		if left := p.Total - p.Done; p.Total > 0 && left > 0 {
			parts = append(parts, "about "+roundLeft(time.Duration(float64(left)/rate*float64(time.Second)))+" left")
		}
	}
	if len(parts) == 0 {
		parts = append(parts, elapsed.Round(time.Second).String())
	}
	text := strings.Join(parts, ", ")
	if p.Detail != "" {
		text += " · " + p.Detail
	}
	return text
}

// amount writes n of unit: bytes in KiB, MiB or GiB, other units as a
// number with the unit's name.
func amount(n int64, unit string) string {
	if unit != "bytes" {
		return group(n) + " " + unit
	}
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// group writes n with its thousands grouped by commas.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// roundLeft rounds a time left to what a reader needs: seconds under a
// minute, then minutes.
func roundLeft(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}
