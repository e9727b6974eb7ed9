package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/tailor-mail/tailor/pipeline"
)

// Log formats, the values of --log-format.
const (
	// logText writes each record's message as a line, as people read it.
	logText = "text"
	// logJSON writes each record as a JSON object (slog.JSONHandler), for
	// log collectors.
	logJSON = "json"
)

// globalOptions are the flags every command takes.
type globalOptions struct {
	logFormat string
	// cpuProfile is the file of --cpu-profile; profile is it open while
	// the command runs.
	cpuProfile string
	profile    *os.File
	// heapProfile is the file name of --heap-profile: the live heap after
	// each stage goes to heapProfile.<stage>.
	heapProfile string
}

// stageHeap writes the live heap, after a collection, to the file
// --heap-profile names, followed by the stage's name: what the stages
// after it start with. A failure is logged, not fatal.
func (g *globalOptions) stageHeap(e pipeline.Event, w io.Writer) {
	if g.heapProfile == "" || e.State != pipeline.EventDone {
		return
	}
	runtime.GC()
	f, err := os.Create(g.heapProfile + "." + e.Stage)
	if err == nil {
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		// Said once: the run goes on without the profiles.
		fmt.Fprintln(w, "tailor: --heap-profile:", err)
		g.heapProfile = ""
	}
}

// startProfile starts the CPU profile --cpu-profile asks for, and checks
// that the folder of --heap-profile's files is there.
func (g *globalOptions) startProfile() error {
	if g.heapProfile != "" {
		if fi, err := os.Stat(filepath.Dir(g.heapProfile)); err != nil || !fi.IsDir() {
			return usageError{fmt.Errorf("--heap-profile %s: no folder %s to write it in", g.heapProfile, filepath.Dir(g.heapProfile))}
		}
	}
	if g.cpuProfile == "" {
		return nil
	}
	f, err := os.Create(g.cpuProfile)
	if err != nil {
		return fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpu-profile: %w", err)
	}
	g.profile = f
	return nil
}

// stopProfile ends the CPU profile, if one runs; run calls it after the
// command, even when it failed.
func (g *globalOptions) stopProfile() {
	if g.profile != nil {
		pprof.StopCPUProfile()
		g.profile.Close()
		g.profile = nil
	}
}

// check refuses a --log-format tailor does not write.
func (g *globalOptions) check() error {
	switch g.logFormat {
	case logText, logJSON:
		return nil
	}
	return usageError{fmt.Errorf("--log-format %q: want text or json", g.logFormat)}
}

// json reports whether logs are JSON.
func (g *globalOptions) json() bool { return g != nil && g.logFormat == logJSON }

// logger returns the logger of --log-format writing to w; stamped text
// lines start with the time (a long-running command's, such as tailor
// schedule).
func (g *globalOptions) logger(w io.Writer, stamped bool) *slog.Logger {
	if g.json() {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(&lineHandler{mu: &sync.Mutex{}, w: w, stamped: stamped})
}

// lineHandler writes each record's message as one line, the attributes
// left to the JSON format: the text is written for people, the message
// says everything.
type lineHandler struct {
	mu      *sync.Mutex
	w       io.Writer
	stamped bool
}

var _ slog.Handler = (*lineHandler)(nil)

func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	if h.stamped {
		line = r.Time.Format("2006-01-02 15:04:05 MST") + " " + line
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, line+"\n")
	return err
}

func (h *lineHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *lineHandler) WithGroup(string) slog.Handler      { return h }

// logEvent logs a stage's event: warnings always, and unless quiet what
// ran and what was kept, and why (kept). The text is the line people
// read; the attributes are for the JSON format.
func logEvent(l *slog.Logger, e pipeline.Event, quiet bool, kept string) {
	switch {
	case e.State == pipeline.EventWarn:
		l.Warn(message(l, fmt.Sprintf("warning: %s: %s", e.Stage, e.Message), e.Message), "stage", e.Stage, "event", "warning")
	case quiet:
	case e.State == pipeline.EventDone:
		line := fmt.Sprintf("  %-9s done in %s", e.Stage, e.Duration.Round(time.Millisecond))
		if e.PeakRSS > 0 && e.Duration > 0 {
			line += fmt.Sprintf(" (%.1f cores, peak %s)", float64(e.CPU)/float64(e.Duration), memory(e.PeakRSS))
		}
		attrs := []any{"stage", e.Stage, "event", "done", "duration_ms", e.Duration.Milliseconds(), "cpu_ms", e.CPU.Milliseconds(),
			"peak_rss_bytes", e.PeakRSS, "counts", e.Counts}
		if e.Files > 0 {
			line += fmt.Sprintf(", its files written in %s beside the next stage", e.Files.Round(time.Millisecond))
			attrs = append(attrs, "files_ms", e.Files.Milliseconds())
		}
		l.Info(message(l, line, "stage done"), attrs...)
	case e.State == pipeline.EventKept:
		l.Info(message(l, fmt.Sprintf("  %-9s kept (%s)", e.Stage, kept), "stage kept"), "stage", e.Stage, "event", "kept", "why", kept, "counts", e.Counts)
	}
}

// message is line for the text format, which shows only the message, and
// short for the JSON format, whose attributes say the rest.
func message(l *slog.Logger, line, short string) string {
	if _, text := l.Handler().(*lineHandler); text {
		return line
	}
	return short
}

// logProgress logs how far a running stage is.
func logProgress(l *slog.Logger, stage string, p *pipeline.Progress, now time.Time) {
	attrs := []any{"stage", stage, "event", "progress", "done", p.Done, "total", p.Total, "unit", p.Unit}
	if secs := now.Sub(p.Start).Seconds(); secs > 0 && p.Done > 0 {
		rate := float64(p.Done) / secs
		attrs = append(attrs, "rate_per_s", rate)
		if p.Total > p.Done && p.Unit != "iterations" {
			attrs = append(attrs, "eta_s", float64(p.Total-p.Done)/rate)
		}
	}
	if p.Detail != "" {
		attrs = append(attrs, "detail", p.Detail)
	}
	l.Info(message(l, fmt.Sprintf("  %-9s %s", stage, progressText(p, now)), "progress"), attrs...)
}
