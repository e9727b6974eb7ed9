package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/templates"
)

// This file holds the designers' loop: checking a template set, and
// rendering the variants of a finished run again after a template edit.

// RunSettings is what a run directory records of the settings it was made
// with, in its manifest, so that Render can render it again from the
// directory alone.
type RunSettings struct {
	// CampaignDir is the absolute directory the campaign's relative paths
	// (inputs, templates.dir, ...) start from.
	CampaignDir string `json:"campaign_dir"`
	// Campaign is the campaign file as the run read it.
	Campaign *Campaign `json:"campaign"`
	// Outbox is the outbox mode the run used, after --outbox.
	Outbox string `json:"outbox"`
}

// settings returns the settings to record in the manifest.
func (r *run) settings() *RunSettings {
	dir, err := filepath.Abs(r.cfg.CampaignDir)
	if err != nil {
		dir = r.cfg.CampaignDir
	}
	return &RunSettings{CampaignDir: dir, Campaign: r.c, Outbox: r.outboxMode}
}

// campaign returns the recorded campaign. JSON reads a number as float64,
// where the campaign file gives clustering.k as an integer.
func (s *RunSettings) campaign() *Campaign {
	c := *s.Campaign
	if k, ok := c.Clustering.K.(float64); ok && k == math.Trunc(k) {
		c.Clustering.K = int64(k)
	}
	return &c
}

// CheckConfig says which template set CheckTemplates checks, and against
// what. The zero value checks the built-in set.
type CheckConfig struct {
	// Dir is the template set folder; "" is the campaign's set, or the
	// built-in one when there is no campaign or it has no templates.dir.
	Dir string
	// Campaign, when set, says what blocks may target: its tiers and its
	// interests (with inputs.mcc_map and inputs.categories). Without it,
	// blocks may target the default taxonomy's interests, the tiers of
	// DefaultTiers and every relationship type. CampaignDir is the
	// directory its relative paths start from.
	Campaign    *Campaign
	CampaignDir string
}

// CheckResult is what CheckTemplates found.
type CheckResult struct {
	// Dir is the folder checked, "" for the built-in set.
	Dir string
	// Set is the template set, nil when its files did not load.
	Set *templates.Set
	// Problems lists every problem, sorted by file and line; file names
	// start with Dir, so that an editor can open them.
	Problems templates.Errors
}

// CheckTemplates checks a template set with render.Check, against what
// the campaign's blocks may target. Problems in the set are in the result;
// the error is for what stopped the check: a bad campaign, a folder that
// does not exist.
func CheckTemplates(cfg CheckConfig) (*CheckResult, error) {
	var r *run
	if cfg.Campaign != nil {
		var err error
		if r, err = newRunFor(Config{Campaign: cfg.Campaign, CampaignDir: cfg.CampaignDir}); err != nil {
			return nil, err
		}
	}
	dir := cfg.Dir
	if dir == "" && r != nil && r.c.Templates.Dir != "" {
		dir = r.path(r.c.Templates.Dir)
	}
	voc, err := DefaultVocabulary()
	if err != nil {
		return nil, err
	}
	if r != nil {
		voc = r.vocabulary()
	}
	return checkSet(dir, render.CheckOptions{Vocabulary: voc})
}

// checkSet checks the template set in dir, the built-in one when dir is "".
func checkSet(dir string, opts render.CheckOptions) (*CheckResult, error) {
	fsys := templates.DefaultFS()
	if dir != "" {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: templates: %v", ErrConfig, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%w: templates: %s is not a folder", ErrConfig, dir)
		}
		fsys = os.DirFS(dir)
	}
	set, err := render.Check(fsys, opts)
	res := &CheckResult{Dir: dir, Set: set}
	if err != nil {
		if !errors.As(err, &res.Problems) {
			return nil, err
		}
		for i, e := range res.Problems {
			p := *e
			if dir != "" {
				p.File = filepath.Join(dir, filepath.FromSlash(p.File))
			}
			res.Problems[i] = &p
		}
	}
	return res, nil
}

// newRunFor prepares a run whose template set the caller chooses: the
// campaign's templates are not loaded, so that a set with problems is
// reported by the check, with every position, not as a bad configuration.
func newRunFor(cfg Config) (*run, error) {
	c := *cfg.Campaign
	c.Templates.Dir = ""
	withDefault := cfg
	withDefault.Campaign = &c
	r, err := newRun(withDefault)
	if err != nil {
		return nil, err
	}
	r.cfg.Campaign, r.c = cfg.Campaign, cfg.Campaign
	return r, nil
}

// RenderConfig says which run Render renders again, and with which
// templates. The zero value of every field but RunDir is useful.
type RenderConfig struct {
	// RunDir is the run directory, <out>/<campaign>/<YYYY-MM>, of a run
	// that got at least as far as clustering.
	RunDir string
	// Templates is a template set folder to render with instead of the
	// campaign's (which is read again from disk, so that an edit shows).
	Templates string
	// Version is the tailor version; the run's stages stay current for a
	// later tailor run only with the version that made them.
	Version string
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// Events, when set, is told when each stage starts and ends, and of
	// warnings.
	Events func(Event)
}

// RenderResult is what Render did.
type RenderResult struct {
	// Dir is the run directory.
	Dir string
	// Campaign and Month name the run.
	Campaign, Month string
	// Templates is the template set folder rendered with, "" for the
	// built-in set.
	Templates string
	// Ran names the stages that ran: render, after variants when the
	// blocks' front matter changed; none when the outputs were current.
	Ran []string
	// Kept names the stages whose outputs were kept.
	Kept []string
	// Stale names the later stages (report, outbox) whose outputs do not
	// follow the variants as they are now: the next tailor run of the
	// campaign brings them up to date.
	Stale []string
	// Variants counts the variants.
	Variants int
}

// Render renders the variants of an existing run again after a template
// edit, without reading the inputs again or clustering again: it reads the
// settings, clusters and plan the run recorded, plans the variants again
// when the blocks' front matter changed, and writes variants/ anew. The
// template set is checked first (render.Check): a problem stops Render
// before anything is written. Outputs are replaced atomically, and the
// manifest records the new render, so that a later tailor run keeps it
// when its templates are the same and redoes the report and outbox, which
// follow the render.
func Render(ctx context.Context, rc RenderConfig) (*RenderResult, error) {
	if rc.Now == nil {
		rc.Now = time.Now
	}
	started := rc.Now().UTC()
	dir := filepath.Clean(rc.RunDir)
	m := readManifest(dir)
	if m == nil {
		return nil, fmt.Errorf("%w: %s: no readable %s: not a tailor run directory", ErrConfig, dir, manifestFile)
	}
	if m.Settings == nil || m.Settings.Campaign == nil {
		return nil, fmt.Errorf("render: %s: the run does not record its settings (an older tailor made it): run the campaign once with tailor run", filepath.Join(dir, manifestFile))
	}
	c := m.Settings.campaign()
	if c.Hash() != m.ConfigHash {
		return nil, fmt.Errorf("render: %s: the recorded campaign settings do not match their hash: run the campaign with tailor run", filepath.Join(dir, manifestFile))
	}
	for _, name := range []string{"ingest", "profile", "cluster"} {
		if rec := m.stage(name); rec == nil || rec.Status != "done" {
			return nil, fmt.Errorf("render: %s: the run has not finished its %s stage: finish it with tailor run", dir, name)
		}
	}
	if !outputsIntact(dir, m.stage("cluster").Outputs) {
		return nil, fmt.Errorf("render: %s: %s or %s changed since the run: run the campaign with tailor run", dir, clustersFile, assignmentsFile)
	}
	r, err := newRunFor(Config{Campaign: c, CampaignDir: m.Settings.CampaignDir, Month: m.Month,
		OutRoot: filepath.Dir(filepath.Dir(dir)), Outbox: m.Settings.Outbox, Version: rc.Version,
		Now: rc.Now, Getenv: rc.Getenv, Events: rc.Events})
	if err != nil {
		return nil, err
	}
	r.dir, r.manifest = dir, m
	tdir := rc.Templates
	if tdir == "" && c.Templates.Dir != "" {
		tdir = r.path(c.Templates.Dir)
	}
	checked, err := checkSet(tdir, render.CheckOptions{Vocabulary: r.vocabulary()})
	if err != nil {
		return nil, err
	}
	if len(checked.Problems) > 0 {
		what := "problems"
		if len(checked.Problems) == 1 {
			what = "problem"
		}
		return nil, fmt.Errorf("render: %d %s in the templates; nothing was rendered:\n%w", len(checked.Problems), what, checked.Problems)
	}
	r.set = checked.Set
	if err := removeLeftovers(dir); err != nil {
		return nil, err
	}

	// The keys a tailor run would compute, from the input hashes the run
	// recorded: the render is recorded under its key, so that a run with
	// the same templates keeps it.
	inputs := map[string]string{}
	for _, in := range m.Inputs {
		inputs[in.Name] = in.SHA256
	}
	stages := r.stages()
	r.setKeys(stages, inputs)
	res := &RenderResult{Dir: dir, Campaign: m.Campaign, Month: m.Month, Templates: tdir}
	var variantsStage, renderStage stage
	var later []stage
	warned := false
	for _, st := range stages {
		switch st.name {
		case "ingest", "profile", "cluster":
			if !warned && m.stage(st.name).Key != st.key {
				warned = true
				r.event(Event{Stage: st.name, State: "warn", Message: "the campaign's inputs, settings or tailor version changed since the run: the next tailor run redoes it from " + st.name})
			}
			res.Kept = append(res.Kept, st.name)
		case "variants":
			variantsStage = st
		case "render":
			renderStage = st
		default:
			later = append(later, st)
		}
	}

	current := func(st stage) bool {
		rec := m.stage(st.name)
		return rec != nil && rec.Status == "done" && rec.Key == st.key && outputsIntact(dir, rec.Outputs)
	}
	var recs []StageRecord
	replan := !current(variantsStage)
	if replan {
		// Planning writes variants.json; should the render fail, the plan
		// that goes with the variants on disk is put back.
		planPath := filepath.Join(dir, planFile)
		old, readErr := os.ReadFile(planPath)
		rec, err := r.runStage(ctx, variantsStage)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
		if rec, err = r.runStage(ctx, renderStage); err != nil {
			if readErr == nil {
				_ = writeFile(planPath, func(w io.Writer) error { _, err := w.Write(old); return err })
			} else {
				os.Remove(planPath)
			}
			return nil, err
		}
		recs = append(recs, rec)
	} else {
		res.Kept = append(res.Kept, variantsStage.name)
		r.event(Event{Stage: variantsStage.name, State: "kept", Counts: m.stage(variantsStage.name).Counts})
		if !current(renderStage) {
			rec, err := r.runStage(ctx, renderStage)
			if err != nil {
				return nil, err
			}
			recs = append(recs, rec)
		} else {
			res.Kept = append(res.Kept, renderStage.name)
			r.event(Event{Stage: renderStage.name, State: "kept", Counts: m.stage(renderStage.name).Counts})
		}
	}
	for _, rec := range recs {
		m.setStage(rec)
		res.Ran = append(res.Ran, rec.Name)
	}
	for _, st := range later {
		if rec := m.stage(st.name); rec != nil && rec.Key != st.key {
			res.Stale = append(res.Stale, st.name)
		}
	}
	if s := m.stage("variants"); s != nil {
		res.Variants = s.Counts["variants"]
	}
	if len(recs) == 0 {
		return res, nil
	}
	m.Templates = r.set.Hash()
	m.LastRun = RunRecord{StartedAt: started, FinishedAt: r.cfg.Now().UTC(),
		Ran: res.Ran, Kept: res.Kept, Status: "done"}
	if err := writeJSON(filepath.Join(dir, manifestFile), m); err != nil {
		return nil, err
	}
	return res, nil
}

// runStage runs one stage and returns its record for the manifest.
func (r *run) runStage(ctx context.Context, st stage) (StageRecord, error) {
	r.event(Event{Stage: st.name, State: "run"})
	if err := ctx.Err(); err != nil {
		return StageRecord{}, err
	}
	start := time.Now()
	counts, outs, err := st.run(ctx)
	if err != nil {
		return StageRecord{}, err
	}
	recs, err := recordOutputs(r.dir, outs...)
	if err != nil {
		return StageRecord{}, err
	}
	d := time.Since(start)
	r.event(Event{Stage: st.name, State: "done", Duration: d, Counts: counts})
	return StageRecord{Name: st.name, Status: "done", Key: st.key, FinishedAt: r.cfg.Now().UTC(),
		DurationMS: d.Milliseconds(), Counts: counts, Outputs: recs}, nil
}
