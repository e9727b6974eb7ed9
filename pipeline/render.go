package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

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
	// Command is the command line, recorded with the run's lock and in
	// the run history (default "tailor render").
	Command string
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
	// Stale names the later stages (fit, report, outbox) whose outputs do not
	// follow the variants as they are now: the next tailor run of the
	// campaign brings them up to date.
	Stale []string
	// Variants counts the variants and Newsletters the distinct
	// newsletters they read (variants.Plan.Share); Rendered counts the
	// newsletters rendered again, the others kept their files, as nothing
	// they read changed (0 when the render stage was kept as a whole).
	Variants, Newsletters, Rendered int
}

// Render renders the variants of an existing run again after a template
// edit, without reading the inputs again or clustering again: it reads the
// settings, clusters and plan the run recorded, plans the variants again
// when the blocks' front matter changed (or whether the templates read a
// cluster's own facts, which decides what is shared), and writes variants/ anew, through
// the same stages and runner as Run. The template set is checked first
// (render.Check): a problem stops Render before anything is written.
// Render holds the run's lock, and succeeds as a whole or leaves the run
// as it was; the manifest records the new render, so that a later tailor
// run keeps it when its templates are the same and redoes the report and
// outbox, which follow the render.
func Render(ctx context.Context, rc RenderConfig) (res *RenderResult, err error) {
	r, s, err := openRecorded(recorded{dir: rc.RunDir, command: "render", line: rc.Command, version: rc.Version,
		now: rc.Now, getenv: rc.Getenv, events: rc.Events})
	if err != nil {
		return nil, err
	}
	defer func() { s.close(err) }()
	m, dir := r.manifest, r.dir
	tdir := rc.Templates
	if tdir == "" && r.c.Templates.Dir != "" {
		tdir = r.campaignPath(r.c.Templates.Dir)
	}
	checked, err := checkSet(tdir, render.CheckOptions{Vocabulary: r.vocabulary()})
	if err != nil {
		return nil, err
	}
	if n := len(checked.Problems); n > 0 {
		return nil, fmt.Errorf("render: %d %s in the templates; nothing was rendered:\n%w", n, plural(n, "problem", "problems"), checked.Problems)
	}
	r.set = checked.Set

	// The keys a tailor run would compute, from the input hashes the run
	// recorded: the render is recorded under its key, so that a run with
	// the same templates keeps it.
	inputs := map[string]string{}
	for _, in := range m.Inputs {
		inputs[in.Name] = in.SHA256
	}
	var o outcomes
	stages := r.stages(&o)
	r.setKeys(stages, inputs)
	from, to := stageIndex(stages, "variants"), stageIndex(stages, "render")+1
	for _, st := range stages[:from] {
		if m.Stage(st.name).Key != st.key {
			r.event(Event{Stage: st.name, State: EventWarn, Message: "the campaign's inputs, settings or tailor version changed since the run: the next tailor run redoes it from " + st.name})
			break
		}
	}
	m.LastRun = rundir.RunRecord{StartedAt: r.cfg.Now().UTC(), Status: rundir.Running}
	if err := (&runner{r: r, atomic: true}).run(ctx, stages, from, to); err != nil {
		return nil, err
	}
	res = &RenderResult{Dir: dir, Campaign: m.Campaign, Month: m.Month, Templates: tdir,
		Ran: m.LastRun.Ran, Kept: m.LastRun.Kept, Variants: o.variants.Variants, Newsletters: o.variants.Variants}
	if slices.Contains(res.Ran, "render") {
		res.Rendered, res.Newsletters = o.render.Rendered, o.render.Rendered+o.render.Kept
	}
	for _, st := range stages[to:] {
		if rec := m.Stage(st.name); rec != nil && rec.Key != st.key {
			res.Stale = append(res.Stale, st.name)
		}
	}
	if len(res.Ran) == 0 {
		return res, nil
	}
	m.Templates = r.set.Hash()
	m.LastRun.FinishedAt, m.LastRun.Status = r.cfg.Now().UTC(), rundir.Done
	return res, m.Write(dir)
}

// recorded says which recorded run a command works on: tailor render,
// send and proofs work from what a run directory records, not from a
// campaign file.
type recorded struct {
	dir, command string
	// line, version, now, getenv and events are as in Config.
	line, version string
	now           func() time.Time
	getenv        func(string) string
	events        func(Event)
	// need names the stages, beyond clustering, that must be done.
	need []string
	// delivery, when set, gives [[smtp]], [send] and [dkim] in place of
	// those recorded.
	delivery *Campaign
}

// openRecorded takes the lock of a run directory, then prepares a run from
// the settings its manifest records, with the manifest read under the
// lock. The caller closes the session.
func openRecorded(rc recorded) (r *run, _ *session, err error) {
	if rc.now == nil {
		rc.now = time.Now
	}
	dir := filepath.Clean(rc.dir)
	if _, err := rundir.ReadManifest(dir); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: no readable %s: not a tailor run directory", ErrConfig, dir, rundir.ManifestFile)
	}
	sess, err := lock(dir, rc.command, rc.line, rc.now())
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			sess.close(err)
		}
	}()
	m, settings, err := recordedRun(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range rc.need {
		if rec := m.Stage(name); rec == nil || rec.Status != rundir.Done {
			return nil, nil, fmt.Errorf("%s: %s: the run has not finished its %s stage: finish it with tailor run", rc.command, dir, name)
		}
	}
	campaign := settings.Campaign
	if d := rc.delivery; d != nil {
		c := *campaign
		c.SMTP, c.Send, c.DKIM = d.SMTP, d.Send, d.DKIM
		campaign = &c
	}
	r, err = newRun(Config{Campaign: campaign, CampaignDir: settings.CampaignDir, Month: m.Month,
		OutRoot: rundir.Root(dir), Outbox: settings.Outbox, Wave: m.Wave, Version: rc.version, Command: rc.line,
		Now: rc.now, Getenv: rc.getenv, Events: rc.events})
	if err != nil {
		return nil, nil, err
	}
	r.dir, r.manifest = dir, m
	if err := sess.begin(r); err != nil {
		return nil, nil, err
	}
	return r, sess, nil
}

// recordedRun reads the manifest of run directory dir and the settings it
// records, and checks that the run got as far as clustering.
func recordedRun(dir string) (*rundir.Manifest, *RunSettings, error) {
	m, err := rundir.ReadManifest(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: no readable %s: not a tailor run directory", ErrConfig, dir, rundir.ManifestFile)
	}
	path := filepath.Join(dir, rundir.ManifestFile)
	s, err := ReadSettings(m)
	if err != nil {
		return nil, nil, fmt.Errorf("render: %s: %w", path, err)
	}
	if s == nil || s.Campaign == nil {
		return nil, nil, fmt.Errorf("render: %s: the run does not record its settings (an older tailor made it): run the campaign once with tailor run", path)
	}
	if s.Campaign.Hash() != m.ConfigHash {
		return nil, nil, fmt.Errorf("render: %s: the recorded campaign settings do not match their hash: run the campaign with tailor run", path)
	}
	for _, name := range []string{"ingest", "profile", "cluster"} {
		if rec := m.Stage(name); rec == nil || rec.Status != rundir.Done {
			return nil, nil, fmt.Errorf("render: %s: the run has not finished its %s stage: finish it with tailor run", dir, name)
		}
	}
	if !rundir.OutputsIntact(dir, m.Stage("cluster").Outputs) {
		return nil, nil, fmt.Errorf("render: %s: %s or %s changed since the run: run the campaign with tailor run", dir, rundir.ClustersFile, rundir.AssignmentsFile)
	}
	return m, s, nil
}

// stageIndex returns the position of the named stage.
func stageIndex(stages []stage, name string) int {
	for i, st := range stages {
		if st.name == name {
			return i
		}
	}
	panic("pipeline: no stage " + name) // the stage list is fixed
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
