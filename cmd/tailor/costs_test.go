package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// TestPrintCosts checks the cost table of a run: each stage's time, cores
// and peak, the time a stage's files took beside the next stage, and the
// whole command's line.
func TestPrintCosts(t *testing.T) {
	m := &rundir.Manifest{Stages: []rundir.StageRecord{
		{Name: "ingest", DurationMS: 2000, CPUMS: 4000, PeakRSS: 812e6},
		{Name: "profile", DurationMS: 500, CPUMS: 950, PeakRSS: 900e6, FilesMS: 2600},
		{Name: "cluster", DurationMS: 4000, CPUMS: 7600, PeakRSS: 1.3e9},
	}}
	inputs := []rundir.InputRecord{{Name: "cardholders", Rows: 1000}, {Name: "transactions", Rows: 50000}}
	var b bytes.Buffer
	printCosts(&b, m, []string{"ingest", "profile", "cluster"}, inputs, 7*time.Second)
	want := []string{
		"  cost               time  cores  peak memory",
		"    ingest             2s    2.0       812 MB",
		"    profile         500ms    1.9       900 MB  (then 2.6s writing its files beside the next stage)",
		"    cluster            4s    1.9      1.30 GB",
		"    all                7s    1.8      1.30 GB  (1300000 bytes per cardholder; 51000 input rows)",
	}
	if got := strings.Split(strings.TrimRight(b.String(), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("costs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
