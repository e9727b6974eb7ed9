// Package pipeline runs a campaign month end to end. It is the orchestrator
// only: the stages run one after the other in the fixed order of stages
// below, each in a file of its own (stage_*.go) that reads its inputs,
// calls the package that does the work and writes its outputs into the run
// directory (package rundir); one stage runner (runner.go) decides which
// stages are current, runs the others, records them in the manifest and
// holds the run's lock. A run that stops, by Ctrl-C or by failure,
// resumes where it stopped, and a run whose inputs and settings have not
// changed keeps what it already has. Render (render.go) runs the same
// stages again from variants on after a template edit.
package pipeline

import (
	"context"
	"time"

	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// Config is one run's settings: the campaign file and what the command line
// overrides. The zero value of every field but Campaign is useful.
type Config struct {
	// Campaign is the parsed campaign file; CampaignDir is the directory
	// its relative paths start from.
	Campaign    *Campaign
	CampaignDir string
	// CampaignFile is the campaign file's path, when it came from one:
	// errors found in the campaign after it was parsed (a column it maps
	// that a file lacks) point at the line of their key.
	CampaignFile string
	// Month overrides the campaign's month ("YYYY-MM").
	Month string
	// OutRoot overrides the campaign's output root.
	OutRoot string
	// Outbox overrides the campaign's mail.outbox.
	Outbox string
	// Wave names a resend of a month whose send has started: the run
	// goes to a run directory of its own, <YYYY-MM>-<wave>, and its
	// messages get Message-IDs of their own.
	Wave string
	// Version is the tailor version, recorded in the manifest.
	Version string
	// Command is the command line, recorded with the run's lock and in
	// the run history (default "tailor run").
	Command string
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// MemoryLimitSet says the command line set the process's soft memory
	// limit (--memory-limit): the stages keep it, as they keep
	// GOMEMLIMIT's, instead of lowering it for themselves (heldGCPercent).
	MemoryLimitSet bool
	// Events, when set, is told when each stage starts and ends, and how
	// far a stage that takes a while has got; it is called from one
	// goroutine at a time.
	Events func(Event)
}

// Event reports progress.
type Event struct {
	Stage string
	// State is "run" when a stage starts, "done" when it finished, "kept"
	// when its earlier outputs were still valid, "warn" for a warning,
	// "progress" while a stage that takes a while runs.
	State    string
	Duration time.Duration
	// CPU and PeakRSS, with State "done", are the processor time the
	// stage used (all cores) and the process's peak resident memory
	// while it ran, in bytes; 0 when not measured.
	CPU     time.Duration
	PeakRSS int64
	// Files, with State "done", is how long the stage's files took to
	// write after Duration, while the next stage ran (0 for a stage that
	// writes them itself): "done" comes once they are in place.
	Files   time.Duration
	Counts  map[string]int
	Message string
	// Progress says how far the stage has got, with State "progress"
	// (a send tells its progress in Counts instead).
	Progress *Progress
}

// Progress is how far a running stage has got: Done of Total (0 when
// not known) in Unit ("bytes", "rows", "iterations", "variants",
// "messages"), since Start, with Detail in words ("41% of distances
// skipped"). Events is told of it a few times a second.
type Progress struct {
	Done, Total int64
	Unit        string
	Detail      string
	Start       time.Time
}

// Event states.
const (
	EventRun  = "run"
	EventDone = "done"
	EventKept = "kept"
	EventWarn = "warn"
	// EventProgress is a running stage's progress.
	EventProgress = "progress"
)

// Result is what a run did.
type Result struct {
	// Dir is the run directory.
	Dir      string
	Manifest *rundir.Manifest
	// Ran and Kept name the stages that ran and those whose outputs were
	// kept from an earlier run.
	Ran, Kept []string
	Inputs    []rundir.InputRecord
	Audience  Audience
	// Relationships counts cardholders by relationship type.
	Relationships map[string]int
	Clusters      int
	Variants      int
	// Distinct counts the distinct newsletters the variants make:
	// variants whose plans are the same count once (0 when a run kept a
	// plan made before they were counted).
	Distinct int
	Messages int
	// FitChecked counts the messages the fit audit checked, FitMisfit
	// those that say something untrue for their reader; FitBudget is the
	// share of them the campaign allows.
	FitChecked, FitMisfit int
	FitBudget             float64
	// Report is the path of the workbook.
	Report string
}

// Audience counts cardholders by mail status.
type Audience struct {
	Cardholders int `json:"cardholders" count:"profiles"`
	Mail        int `json:"mail" count:"mail"`
	NoConsent   int `json:"no_consent" count:"no_consent"`
	Cancelled   int `json:"cancelled" count:"cancelled"`
	NoSpend     int `json:"no_spend" count:"no_spend"`
}

// Run runs the campaign month described by cfg. It holds the run's lock
// throughout: a second writer of the same campaign month is refused at once
// with a *rundir.LockedError. A run whose fit audit finds more untrue
// messages than the campaign's [fit] budget returns its Result with an
// error wrapping ErrFit.
func Run(ctx context.Context, cfg Config) (res *Result, err error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	if err := r.loadTemplates(); err != nil {
		return nil, err
	}
	s, err := lock(r.dir, "run", cfg.Command, r.cfg.Now())
	if err != nil {
		return nil, err
	}
	defer func() { s.close(err) }()
	if err := s.begin(r); err != nil {
		return nil, err
	}
	inputs, err := r.hashInputs()
	if err != nil {
		return nil, err
	}
	if err := r.beginManifest(); err != nil {
		return nil, err
	}
	var o outcomes
	stages := r.stages(&o)
	r.setKeys(stages, inputs)
	err = (&runner{r: r}).run(ctx, stages, 0, len(stages))
	if werr := r.endManifest(err); err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	// Every output is written: a run over its fit budget fails with them,
	// for the marketer to see why.
	return r.result(&o), r.checkFit(o.fit)
}

// outcomes holds each stage's typed output: its counts, made in this
// invocation or read back from the manifest when the stage was kept, and
// what it hands to the stages after it, in memory when it ran, read back
// from the run directory on first use when it was kept (load.go).
type outcomes struct {
	ingest   ingested
	profile  profiled
	cluster  clustered
	variants planned
	render   rendered
	fit      fitted
	report   reported
	outbox   outboxed
	// mailing is who may be mailed, from the profiles and assignments.
	mailing *mailing
}

// stages lists the stages in order, one comment each, with what each reads
// from the stages before it.
func (r *run) stages(o *outcomes) []stage {
	return []stage{
		// ingest reads cardholders and transactions, rejecting bad rows
		// with their reasons into rejects/, and aggregates the accepted
		// transactions per cardholder as it streams. Its aggregates live
		// in memory only, so profile never runs without it.
		step("ingest", &o.ingest, func(ctx context.Context) (ingested, error) {
			return r.ingest(ctx)
		}).inMemory().readBySend().inSmallPages(),
		// profile turns the aggregates into one profile per cardholder:
		// share of wallet per interest, spend, activity, mail status.
		step("profile", &o.profile, func(ctx context.Context) (profiled, error) {
			return r.profile(ctx, &o.ingest)
		}).readBySend().inSmallPages(),
		// cluster groups the profiles into preference clusters (k-means)
		// and assigns every cardholder to a cluster and its variant.
		step("cluster", &o.cluster, func(ctx context.Context) (clustered, error) {
			l := r.load(ctx, o)
			ps, features := l.profiles(), l.features()
			if l.err != nil {
				return clustered{}, l.err
			}
			return r.cluster(ctx, ps, features)
		}).readBySend(),
		// variants plans one newsletter variant per cluster from the
		// designers' content blocks.
		step("variants", &o.variants, func(ctx context.Context) (planned, error) {
			l := r.load(ctx, o)
			cf, ps, assigned := l.clusters(), l.profiles(), l.assignments()
			if l.err != nil {
				return planned{}, l.err
			}
			return r.plan(cf, ps, assigned)
		}).readBySend().tight(),
		// render compiles every variant into HTML and text (CSS
		// inlined, links tagged) and writes each under variants/ with
		// its meta.json and a sample message for a real recipient.
		step("render", &o.render, func(ctx context.Context) (rendered, error) {
			l := r.load(ctx, o)
			plan, cf, ml := l.plan(), l.clusters(), l.mailing()
			if l.err != nil {
				return rendered{}, l.err
			}
			return r.render(ctx, plan.Newsletters(), cf, ml)
		}).readBySend().tight(),
		// fit personalizes every mailable cardholder's message and audits
		// it against their own data: blocks for their tier and
		// relationship type, spending they have, subjects of it.
		step("fit", &o.fit, func(ctx context.Context) (fitted, error) {
			l := r.load(ctx, o)
			ns, ml := l.newsletters(), l.mailing()
			if l.err != nil {
				return fitted{}, l.err
			}
			return r.fitAudit(ctx, ns, ml)
		}).tight(),
		// report writes the marketers' workbook.
		step("report", &o.report, func(ctx context.Context) (reported, error) {
			l := r.load(ctx, o)
			in := reportIn{profiles: l.profiles(), assigned: l.assignments(), clusters: l.clusters(), plan: l.plan(),
				messages: len(l.recipients()), transactions: o.profile.InWindow}
			if l.err != nil {
				return reported{}, l.err
			}
			if err := rundir.ReadJSON(r.file(rundir.FitFile), &in.fit); err != nil {
				return reported{}, err
			}
			var err error
			if in.send, err = r.sendCounts(); err != nil {
				return reported{}, err
			}
			return r.report(in)
		}).tight(),
		// outbox writes complete personalized messages as .eml files.
		step("outbox", &o.outbox, func(ctx context.Context) (outboxed, error) {
			l := r.load(ctx, o)
			ns, rs := l.newsletters(), l.recipients()
			if l.err != nil {
				return outboxed{}, l.err
			}
			return r.outbox(ctx, ns, rs)
		}).tight().smallWhen(func() bool { return r.outboxMode == OutboxNone }),
	}
}

// result assembles what the run did from the stages' outcomes.
func (r *run) result(o *outcomes) *Result {
	m := r.manifest
	return &Result{
		Dir: r.dir, Manifest: m, Ran: m.LastRun.Ran, Kept: m.LastRun.Kept, Inputs: m.Inputs,
		Audience: o.profile.Audience, Relationships: o.profile.Relationships,
		Clusters: o.cluster.Clusters, Variants: o.variants.Variants, Distinct: o.variants.distinct(), Messages: o.outbox.Messages,
		FitChecked: o.fit.Checked, FitMisfit: o.fit.Misfit, FitBudget: r.fitBudget(),
		Report: r.file(rundir.ReportFile),
	}
}
