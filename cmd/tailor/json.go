package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// The documents --json prints on stdout, for automation. JSON.md describes
// them; fields are added, never renamed or removed.

// runDocument is what tailor run --json prints: the run's outcome and
// figures.
type runDocument struct {
	// Status is "done", "failed" or "interrupted".
	Status string `json:"status"`
	// Error, Stage and Resume say why a run failed, in which stage, and
	// the command that resumes it.
	Error  string `json:"error,omitempty"`
	Stage  string `json:"stage,omitempty"`
	Resume string `json:"resume,omitempty"`

	Campaign   string       `json:"campaign,omitempty"`
	Month      string       `json:"month,omitempty"`
	Dir        string       `json:"dir,omitempty"`
	DurationMS int64        `json:"duration_ms"`
	Stages     []stageDoc   `json:"stages"`
	Inputs     []inputDoc   `json:"inputs"`
	Audience   *audienceDoc `json:"audience,omitempty"`
	// Relationships counts cardholders by relationship type.
	Relationships map[string]int `json:"relationships,omitempty"`
	Clusters      int            `json:"clusters"`
	Variants      int            `json:"variants"`
	// Distinct counts the distinct newsletters: variants whose plans are
	// the same count once (0: not counted, a plan kept from before).
	Distinct int     `json:"distinct_newsletters"`
	Messages int     `json:"messages"`
	Fit      *fitDoc `json:"fit,omitempty"`
	// Report and Outbox are paths; Outbox is "" without messages.
	Report string `json:"report,omitempty"`
	Outbox string `json:"outbox,omitempty"`
	// Send is what the send did, with --send.
	Send *sendDocument `json:"send,omitempty"`
}

// stageDoc is one stage of the run: "ran" in this invocation or "kept"
// from an earlier one, with its counts.
type stageDoc struct {
	Name       string         `json:"name"`
	State      string         `json:"state"`
	DurationMS int64          `json:"duration_ms"`
	CPUMS      int64          `json:"cpu_ms"`
	PeakRSS    int64          `json:"peak_rss_bytes"`
	FilesMS    int64          `json:"files_ms,omitempty"`
	Counts     map[string]int `json:"counts"`
}

// inputDoc is what became of one input's rows: read = accepted + rejected
// + skipped.
type inputDoc struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Rows     int    `json:"rows"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	Skipped  int    `json:"skipped"`
	// Rejects is the rejects file, "" when no row was rejected.
	Rejects string         `json:"rejects,omitempty"`
	Reasons map[string]int `json:"reasons,omitempty"`
}

// audienceDoc counts cardholders by mail status.
type audienceDoc struct {
	Cardholders int `json:"cardholders"`
	Mail        int `json:"mail"`
	NoConsent   int `json:"no_consent"`
	Cancelled   int `json:"cancelled"`
	NoSpend     int `json:"no_spend"`
}

// fitDoc is the fit audit: messages checked, those untrue for their
// reader, and the campaign's budget for them (a share).
type fitDoc struct {
	Checked int     `json:"checked"`
	Misfit  int     `json:"misfit"`
	Budget  float64 `json:"budget"`
	File    string  `json:"file"`
}

// sendDocument is what tailor send --json prints.
type sendDocument struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Resume is the command that goes on with a send that stopped.
	Resume   string `json:"resume,omitempty"`
	Campaign string `json:"campaign,omitempty"`
	Month    string `json:"month,omitempty"`
	Dir      string `json:"dir,omitempty"`
	// This send: messages accepted, deferred to later, failed for good,
	// uncertain (may or may not have been delivered: not sent again),
	// skipped; Recovered counts those a stopped send left in flight.
	Sent       int   `json:"sent"`
	Deferred   int   `json:"deferred"`
	Failed     int   `json:"failed"`
	Uncertain  int   `json:"uncertain"`
	Skipped    int   `json:"skipped"`
	Recovered  int   `json:"recovered"`
	DurationMS int64 `json:"duration_ms"`
	// Totals counts the ledger's messages by state after the send, all
	// sends of the run together.
	Totals map[string]int `json:"totals"`
}

// status names how a command ended.
func status(err error) string {
	switch {
	case err == nil:
		return "done"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return "failed"
}

// newRunDocument describes a run; res may be nil (the run failed before
// it had a directory, or in a stage), err is the run's error.
func newRunDocument(res *pipeline.Result, err error, d time.Duration) *runDocument {
	doc := &runDocument{Status: status(err), DurationMS: d.Milliseconds(), Stages: []stageDoc{}, Inputs: []inputDoc{}}
	if err != nil {
		doc.Error = err.Error()
		var re resumeError
		if errors.As(err, &re) {
			doc.Error, doc.Stage, doc.Resume, doc.Dir = re.err.Error(), re.stage, re.command, re.dir
		}
	}
	if res == nil {
		if doc.Dir != "" {
			// A failed run: what its manifest says it finished.
			if m, merr := rundir.ReadManifest(doc.Dir); merr == nil {
				doc.Campaign, doc.Month = m.Campaign, m.Month
				doc.Stages = stageDocs(m, m.LastRun.Ran, m.LastRun.Kept)
			}
		}
		return doc
	}
	m := res.Manifest
	doc.Campaign, doc.Month, doc.Dir = m.Campaign, m.Month, res.Dir
	doc.Stages = stageDocs(m, res.Ran, res.Kept)
	for _, in := range res.Inputs {
		id := inputDoc{Name: in.Name, Path: in.Path, Rows: in.Rows, Accepted: in.Accepted, Rejected: in.Rejected,
			Skipped: in.EmptyRows + in.RepeatedHeaders + in.Filtered, Reasons: in.Reasons}
		if in.Rejected > 0 {
			id.Rejects = filepath.Join(res.Dir, rundir.RejectsDir, in.Name+".csv")
		}
		doc.Inputs = append(doc.Inputs, id)
	}
	a := res.Audience
	doc.Audience = &audienceDoc{Cardholders: a.Cardholders, Mail: a.Mail, NoConsent: a.NoConsent, Cancelled: a.Cancelled, NoSpend: a.NoSpend}
	doc.Relationships = res.Relationships
	doc.Clusters, doc.Variants, doc.Distinct, doc.Messages = res.Clusters, res.Variants, res.Distinct, res.Messages
	if res.FitChecked > 0 {
		doc.Fit = &fitDoc{Checked: res.FitChecked, Misfit: res.FitMisfit, Budget: res.FitBudget, File: filepath.Join(res.Dir, rundir.FitFile)}
	}
	doc.Report = res.Report
	if res.Messages > 0 {
		doc.Outbox = filepath.Join(res.Dir, rundir.OutboxDir)
	}
	return doc
}

// stageDocs lists the manifest's stages in their order, with their state
// in the last invocation.
func stageDocs(m *rundir.Manifest, ran, kept []string) []stageDoc {
	out := []stageDoc{}
	for _, st := range m.Stages {
		state := ""
		switch {
		case slices.Contains(ran, st.Name):
			state = "ran"
		case slices.Contains(kept, st.Name):
			state = "kept"
		default:
			continue
		}
		counts := st.Counts
		if counts == nil {
			counts = map[string]int{}
		}
		out = append(out, stageDoc{Name: st.Name, State: state, DurationMS: st.DurationMS, CPUMS: st.CPUMS, PeakRSS: st.PeakRSS,
			FilesMS: st.FilesMS, Counts: counts})
	}
	return out
}

// newSendDocument describes a send; res may be nil.
func newSendDocument(res *pipeline.SendResult, err error, d time.Duration, line string) *sendDocument {
	doc := &sendDocument{Status: status(err), DurationMS: d.Milliseconds(), Totals: map[string]int{}}
	if err != nil {
		doc.Error = err.Error()
		if res != nil {
			doc.Resume = line
		}
	}
	if res == nil {
		return doc
	}
	doc.Campaign, doc.Month, doc.Dir = res.Campaign, res.Month, res.Dir
	p := res.Progress
	doc.Sent, doc.Deferred, doc.Failed, doc.Uncertain, doc.Skipped, doc.Recovered = p.Sent, p.Deferred, p.Failed, p.Uncertain, p.Skipped, res.Recovered
	for _, st := range []send.State{send.Pending, send.Sending, send.Sent, send.Deferred, send.Failed, send.Uncertain, send.Suppressed, send.Skipped} {
		doc.Totals[string(st)] = res.Totals[st]
	}
	return doc
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
