package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline"
)

func TestProgressText(t *testing.T) {
	start := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		p    pipeline.Progress
		at   time.Duration
		want string
	}{
		{"bytes", pipeline.Progress{Done: 300 << 20, Total: 1200 << 20, Unit: "bytes", Detail: "transactions.csv"}, 2 * time.Second,
			"300.0 MiB of 1.17 GiB (25%), 150.0 MiB/s, about 6s left · transactions.csv"},
		{"messages", pipeline.Progress{Done: 29517, Total: 185605, Unit: "messages"}, 10 * time.Second,
			"29,517 of 185,605 messages (15%), 2,951 messages/s, about 53s left"},
		{"minutes left", pipeline.Progress{Done: 1000, Total: 1000000, Unit: "messages"}, 10 * time.Second,
			"1,000 of 1,000,000 messages (0%), 100 messages/s, about 2h47m0s left"},
		{"iterations", pipeline.Progress{Done: 9, Total: 100, Unit: "iterations", Detail: "2816 rows moved, 95% of distances skipped"}, 20 * time.Second,
			"iteration 9 of at most 100 · 2816 rows moved, 95% of distances skipped"},
		{"nothing yet", pipeline.Progress{Total: 100, Unit: "iterations", Detail: "choosing the first centroids"}, 12 * time.Second,
			"12s · choosing the first centroids"},
		{"unknown total", pipeline.Progress{Unit: "rows", Detail: "building the profiles"}, 3 * time.Second, "3s · building the profiles"},
		{"too soon for a rate", pipeline.Progress{Done: 10, Total: 40, Unit: "variants"}, 500 * time.Millisecond, "10 of 40 variants (25%)"},
		{"done", pipeline.Progress{Done: 40, Total: 40, Unit: "variants"}, 4 * time.Second, "40 of 40 variants (100%), 10 variants/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Start = start
			if got := progressText(&tt.p, start.Add(tt.at)); got != tt.want {
				t.Errorf("progressText = %q\nwant            %q", got, tt.want)
			}
		})
	}
}

// TestStageReporterLog checks the reporter off a terminal: the stages'
// lines as they come, a progress line per running stage every logEvery
// and not more often, nothing but warnings when quiet.
func TestStageReporterLog(t *testing.T) {
	start := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	now := start
	var buf bytes.Buffer
	r := newStageReporter(&globalOptions{logFormat: logText}, &buf, false, "unchanged")
	r.now = func() time.Time { return now }
	progress := func(done int64) pipeline.Event {
		return pipeline.Event{Stage: "fit", State: pipeline.EventProgress, Progress: &pipeline.Progress{Done: done, Total: 100, Unit: "messages", Start: start}}
	}
	r.event(pipeline.Event{Stage: "render", State: pipeline.EventKept})
	for i := 1; i <= 25; i++ {
		now = start.Add(time.Duration(i) * time.Second)
		r.event(progress(int64(4 * i)))
	}
	r.event(pipeline.Event{Stage: "fit", State: pipeline.EventDone, Duration: 25 * time.Second})
	r.end()
	want := "  render    kept (unchanged)\n" +
		"  fit       40 of 100 messages (40%), 4 messages/s, about 15s left\n" +
		"  fit       80 of 100 messages (80%), 4 messages/s, about 5s left\n" +
		"  fit       done in 25s\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	buf.Reset()
	q := newStageReporter(&globalOptions{logFormat: logText}, &buf, true, "unchanged")
	q.now = func() time.Time { return start.Add(time.Minute) }
	q.event(progress(50))
	q.event(pipeline.Event{Stage: "fit", State: pipeline.EventWarn, Message: "something to know"})
	q.event(pipeline.Event{Stage: "fit", State: pipeline.EventDone})
	q.end()
	if got := buf.String(); !strings.HasPrefix(got, "warning: fit: something to know") || strings.Count(got, "\n") != 1 {
		t.Errorf("quiet: %q", got)
	}
}

// TestLogFormatJSON checks --log-format json: one JSON object per line,
// with the stage, the event and its figures as attributes, progress
// included, and no bars.
func TestLogFormatJSON(t *testing.T) {
	start := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	r := newStageReporter(&globalOptions{logFormat: logJSON}, &buf, false, "unchanged")
	r.now = func() time.Time { return start.Add(11 * time.Second) }
	r.event(pipeline.Event{Stage: "render", State: pipeline.EventKept, Counts: map[string]int{"variants": 12}})
	r.event(pipeline.Event{Stage: "fit", State: pipeline.EventProgress, Progress: &pipeline.Progress{Done: 44, Total: 100, Unit: "messages", Start: start}})
	r.event(pipeline.Event{Stage: "fit", State: pipeline.EventWarn, Message: "a warning"})
	r.event(pipeline.Event{Stage: "fit", State: pipeline.EventDone, Duration: 12 * time.Second})
	r.end()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []map[string]any{
		{"level": "INFO", "msg": "stage kept", "stage": "render", "event": "kept", "why": "unchanged"},
		{"level": "INFO", "msg": "progress", "stage": "fit", "event": "progress", "done": 44.0, "total": 100.0, "unit": "messages", "eta_s": 14.0},
		{"level": "WARN", "msg": "a warning", "stage": "fit", "event": "warning"},
		{"level": "INFO", "msg": "stage done", "stage": "fit", "event": "done", "duration_ms": 12000.0},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		for k, v := range want[i] {
			if g, ok := got[k].(float64); ok {
				if w := v.(float64); math.Abs(g-w) > 0.01*max(1, w) {
					t.Errorf("line %d: %s = %v, want %v", i+1, k, g, w)
				}
				continue
			}
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v\n%s", i+1, k, got[k], v, line)
			}
		}
	}
}
