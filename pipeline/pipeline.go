// Package pipeline runs a campaign month end to end. The stages run one
// after the other in a fixed order; each writes its outputs atomically into
// the run directory and records them in manifest.json, so a run that stops,
// by Ctrl-C or by failure, resumes where it stopped, and a run whose inputs
// and settings have not changed keeps what it already has.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// Config is one run's settings: the campaign file and what the command line
// overrides. The zero value of every field but Campaign is useful.
type Config struct {
	// Campaign is the parsed campaign file; CampaignDir is the directory
	// its relative paths start from.
	Campaign    *Campaign
	CampaignDir string
	// Month overrides the campaign's month ("YYYY-MM").
	Month string
	// OutRoot overrides the campaign's output root.
	OutRoot string
	// Outbox overrides the campaign's mail.outbox.
	Outbox string
	// Version is the tailor version, recorded in the manifest.
	Version string
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// Events, when set, is told when each stage starts and ends.
	Events func(Event)
}

// Event reports progress.
type Event struct {
	Stage string
	// State is "run" when a stage starts, "done" when it finished, "kept"
	// when its earlier outputs were still valid, "warn" for a warning.
	State    string
	Duration time.Duration
	Counts   map[string]int
	Message  string
}

// Result is what a run did.
type Result struct {
	// Dir is the run directory.
	Dir      string
	Manifest *Manifest
	// Ran and Kept name the stages that ran and those whose outputs were
	// kept from an earlier run.
	Ran, Kept []string
	Inputs    []InputRecord
	Audience  Audience
	// Relationships counts cardholders by relationship type.
	Relationships map[string]int
	Clusters      int
	Variants      int
	Messages      int
	// Report is the path of the workbook.
	Report string
}

// Audience counts cardholders by mail status.
type Audience struct {
	Cardholders int `json:"cardholders"`
	Mail        int `json:"mail"`
	NoConsent   int `json:"no_consent"`
	Cancelled   int `json:"cancelled"`
	NoSpend     int `json:"no_spend"`
}

// stage is one step of the run.
type stage struct {
	name string
	// key hashes everything the stage's outputs depend on, chained to the
	// key of the stage before it.
	key string
	// run does the work and returns its counts and the outputs it wrote,
	// relative to the run directory.
	run func(ctx context.Context) (map[string]int, []string, error)
}

// stages lists the stages in order, one comment each.
func (r *run) stages() []stage {
	return []stage{
		// ingest reads cardholders and transactions, rejecting bad rows
		// with their reasons into rejects/, and aggregates the accepted
		// transactions per cardholder as it streams.
		{name: "ingest", run: r.ingest},
		// profile turns the aggregates into one profile per cardholder:
		// share of wallet per interest, spend, activity, mail status.
		{name: "profile", run: r.profile},
		// cluster groups the profiles into preference clusters (k-means)
		// and assigns every cardholder to a cluster and its variant.
		{name: "cluster", run: r.cluster},
		// variants plans one newsletter variant per cluster from the
		// designers' content blocks.
		{name: "variants", run: r.variants},
		// render compiles every variant into HTML and text (CSS
		// inlined, links tagged) and writes each under variants/ with
		// its meta.json and a sample message for a real recipient.
		{name: "render", run: r.render},
		// report writes the marketers' workbook.
		{name: "report", run: r.report},
		// outbox writes complete personalized messages as .eml files.
		{name: "outbox", run: r.outbox},
	}
}

// run holds one run's state: settings, and each stage's output, computed
// or read back from the run directory when the stage was kept.
type run struct {
	cfg        Config
	c          *Campaign
	month      time.Time
	dir        string
	inputs     map[string]string // input name -> path
	inputNames []string          // the inputs given, in reading order
	secret     string
	outboxMode string
	manifest   *Manifest
	tax        *profile.Taxonomy
	set        *templates.Set
	md         *templates.Markdown

	builder   *profile.Builder
	merchants *ingest.Merchants
	features  *ingest.FeatureTable
	// featureNames are the pre-aggregated features' names when the
	// profiles were read back from the run directory.
	featureNames []string
	rates        map[string]ingest.Rate
	profiles     []profile.Profile
	clustering   *clusterFile
	plan         *variants.Plan
	engine       *render.Engine
	newsletters  []*render.Newsletter
	result       Result
}

// Run runs the campaign month described by cfg.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	return r.execute(ctx)
}

func newRun(cfg Config) (*run, error) {
	if cfg.Campaign == nil {
		return nil, fmt.Errorf("%w: no campaign", ErrConfig)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	c := cfg.Campaign
	r := &run{cfg: cfg, c: c, md: templates.NewMarkdown()}
	var err error
	switch {
	case cfg.Month != "":
		if r.month, err = ParseMonth(cfg.Month); err != nil {
			return nil, fmt.Errorf("%w: --month: %v", ErrConfig, err)
		}
	case c.Month != "":
		r.month, _ = ParseMonth(c.Month) // checked when the campaign was parsed
	default:
		r.month = LastFullMonth(cfg.Now())
	}
	root := cfg.OutRoot
	if root == "" {
		root = "out"
		if c.Output != "" {
			root = r.path(c.Output)
		}
	}
	r.dir = filepath.Join(root, c.Name, r.month.Format("2006-01"))
	r.inputs = map[string]string{"cardholders": r.path(c.Inputs.Cardholders)}
	r.inputNames = []string{"cardholders"}
	for _, in := range []struct{ name, path string }{{"transactions", c.Inputs.Transactions}, {"profiles", c.Inputs.Profiles}} {
		if in.path != "" {
			r.inputs[in.name] = r.path(in.path)
			r.inputNames = append(r.inputNames, in.name)
		}
	}
	r.outboxMode = c.Mail.Outbox
	if cfg.Outbox != "" {
		r.outboxMode = cfg.Outbox
	}
	switch r.outboxMode {
	case "":
		r.outboxMode = OutboxSamples
	case OutboxSamples, OutboxAll, OutboxNone:
	default:
		return nil, fmt.Errorf("%w: outbox %q: want samples, all or none", ErrConfig, r.outboxMode)
	}
	env := c.Sender.UnsubscribeSecretEnv
	if env == "" {
		env = DefaultSecretEnv
	}
	r.secret = cfg.Getenv(env)
	if r.tax, err = profile.DefaultTaxonomy(); err != nil {
		return nil, err
	}
	for _, t := range []struct {
		key, path string
		apply     func(*profile.Taxonomy, string, io.Reader) (*profile.Taxonomy, error)
	}{
		{"inputs.mcc_map", c.Inputs.MCCMap, (*profile.Taxonomy).WithOverrides},
		{"inputs.categories", c.Inputs.Categories, (*profile.Taxonomy).WithCategories},
	} {
		if t.path == "" {
			continue
		}
		f, err := os.Open(r.path(t.path))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrConfig, t.key, err)
		}
		r.tax, err = t.apply(r.tax, filepath.Base(t.path), f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrConfig, t.key, err)
		}
	}
	if c.Inputs.Rates != "" {
		f, err := os.Open(r.path(c.Inputs.Rates))
		if err != nil {
			return nil, fmt.Errorf("%w: inputs.rates: %v", ErrConfig, err)
		}
		r.rates, err = ingest.ReadRates(f, filepath.Base(c.Inputs.Rates))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: inputs.rates: %v", ErrConfig, err)
		}
	}
	if c.Templates.Dir == "" {
		r.set, err = templates.Default()
	} else {
		dir := r.path(c.Templates.Dir)
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, fmt.Errorf("%w: templates.dir: %v", ErrConfig, statErr)
		}
		r.set, err = templates.Load(os.DirFS(dir))
		if err != nil {
			err = fmt.Errorf("%w: templates %s:\n%v", ErrConfig, dir, err)
		}
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// path resolves a path of the campaign file against its directory.
func (r *run) path(p string) string {
	if filepath.IsAbs(p) || r.cfg.CampaignDir == "" {
		return p
	}
	return filepath.Join(r.cfg.CampaignDir, p)
}

func (r *run) event(e Event) {
	if r.cfg.Events != nil {
		r.cfg.Events(e)
	}
}

func (r *run) execute(ctx context.Context) (res *Result, err error) {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, err
	}
	if err := removeLeftovers(r.dir); err != nil {
		return nil, err
	}
	month := r.month.Format("2006-01")
	m := readManifest(r.dir)
	if m == nil || m.Campaign != r.c.Name || m.Month != month {
		m = &Manifest{}
	}
	m.Tool, m.Version, m.Campaign, m.Month = "tailor", r.cfg.Version, r.c.Name, month
	m.ConfigHash = r.c.Hash()
	m.Seed = r.seed()
	m.Templates = r.set.Hash()
	m.Settings = r.settings()
	m.LastRun = RunRecord{StartedAt: r.cfg.Now().UTC(), Status: "running"}
	r.manifest = m
	r.result.Dir = r.dir

	inputHashes := map[string]string{}
	for _, name := range r.inputNames {
		sum, _, err := hashFile(r.inputs[name])
		if err != nil {
			return nil, fmt.Errorf("%w: inputs.%s: %v", ErrConfig, name, err)
		}
		inputHashes[name] = sum
	}

	stages := r.stages()
	r.setKeys(stages, inputHashes)
	first := len(stages)
	for i, st := range stages {
		rec := m.stage(st.name)
		if rec == nil || rec.Status != "done" || rec.Key != st.key || !outputsIntact(r.dir, rec.Outputs) {
			first = i
			break
		}
	}
	if first == 1 {
		// ingest's output, the per-cardholder aggregates, lives in memory
		// only: profiling again means ingesting again.
		first = 0
	}

	defer func() {
		m.LastRun.FinishedAt = r.cfg.Now().UTC()
		m.LastRun.Status = "done"
		if err != nil {
			m.LastRun.Status, m.LastRun.Error = "failed", err.Error()
			if errors.Is(err, context.Canceled) {
				m.LastRun.Status = "interrupted"
			}
		}
		if werr := writeJSON(filepath.Join(r.dir, manifestFile), m); werr != nil && err == nil {
			err = werr
		}
		if err == nil {
			res = r.finish()
		}
	}()

	for i, st := range stages {
		if i < first {
			m.LastRun.Kept = append(m.LastRun.Kept, st.name)
			rec := m.stage(st.name)
			r.event(Event{Stage: st.name, State: "kept", Counts: rec.Counts})
			continue
		}
		r.event(Event{Stage: st.name, State: "run"})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		counts, outs, err := st.run(ctx)
		if err != nil {
			return nil, err
		}
		recs, err := recordOutputs(r.dir, outs...)
		if err != nil {
			return nil, err
		}
		d := time.Since(start)
		m.setStage(StageRecord{Name: st.name, Status: "done", Key: st.key, FinishedAt: r.cfg.Now().UTC(),
			DurationMS: d.Milliseconds(), Counts: counts, Outputs: recs})
		m.LastRun.Ran = append(m.LastRun.Ran, st.name)
		if err := writeJSON(filepath.Join(r.dir, manifestFile), m); err != nil {
			return nil, err
		}
		r.event(Event{Stage: st.name, State: "done", Duration: d, Counts: counts})
	}
	return nil, nil
}

// setKeys computes every stage's key. Each key chains the one before, so a
// change upstream invalidates everything downstream; a template edit that
// leaves the blocks' front matter alone starts at render.
func (r *run) setKeys(stages []stage, inputs map[string]string) {
	c := r.c
	budget := DefaultErrorBudget
	if c.Inputs.ErrorBudget != nil {
		budget = *c.Inputs.ErrorBudget
	}
	month := r.month.Format("2006-01")
	parts := map[string][]any{
		"ingest": {r.cfg.Version, inputs, c.Inputs.Currency, c.Inputs.Tiers, budget, c.Format,
			r.tax.Hash(), fmt.Sprint(r.rates), c.Profile.HomeCountry},
		"profile": {month, c.Profile, c.Relationship, r.tax.Hash()},
		"cluster": {c.Clustering.K, c.Clustering.MinAudience, c.Clustering.MaxK, r.seed(), c.Clustering.MaxIterations,
			c.Clustering.Weights.featureOptions(), c.Clustering.Scale, c.Inputs.ProfileColumns, r.previousClustering()},
		"variants": {r.set.MetaHash()},
		"render":   {r.set.Hash(), c.Name, c.Sender.Name, c.Sender.From, c.Sender.PostalAddress, c.Links},
		"report":   {},
		"outbox":   {r.outboxMode, c.Mail, c.Sender, keyOf("secret", r.secret)[:16]},
	}
	// The variants' sample messages follow the sender, the signing key and
	// the Date too (sampleKey, in stages.go).
	parts["render"] = append(parts["render"], r.sampleKey()...)
	prev := ""
	for i := range stages {
		stages[i].key = keyOf(append([]any{prev, stages[i].name}, parts[stages[i].name]...)...)
		prev = stages[i].key
	}
}

func (r *run) seed() uint64 {
	if r.c.Clustering.Seed != nil {
		return *r.c.Clustering.Seed
	}
	return DefaultSeed
}

// finish assembles the result from the manifest.
func (r *run) finish() *Result {
	res := &r.result
	m := r.manifest
	res.Manifest = m
	res.Ran, res.Kept = m.LastRun.Ran, m.LastRun.Kept
	res.Inputs = m.Inputs
	if s := m.stage("profile"); s != nil {
		res.Audience = Audience{Cardholders: s.Counts["profiles"], Mail: s.Counts["mail"],
			NoConsent: s.Counts["no_consent"], Cancelled: s.Counts["cancelled"], NoSpend: s.Counts["no_spend"]}
		res.Relationships = map[string]int{}
		for k, v := range s.Counts {
			if rel, ok := strings.CutPrefix(k, "relationship_"); ok {
				res.Relationships[rel] = v
			}
		}
	}
	if s := m.stage("cluster"); s != nil {
		res.Clusters = s.Counts["clusters"]
	}
	if s := m.stage("variants"); s != nil {
		res.Variants = s.Counts["variants"]
	}
	if s := m.stage("outbox"); s != nil {
		res.Messages = s.Counts["messages"]
	}
	res.Report = filepath.Join(r.dir, reportFile)
	return res
}

// ingestOptions returns the ingest options of one input.
func (r *run) ingestOptions(name string) (ingest.Options, error) {
	fc := map[string]FormatConfig{"cardholders": r.c.Format.Cardholders, "transactions": r.c.Format.Transactions,
		"profiles": r.c.Format.Profiles}[name]
	f, err := fc.ingestFormat() // checked when the campaign was parsed
	if err != nil {
		return ingest.Options{}, fmt.Errorf("%w: format.%s: %v", ErrConfig, name, err)
	}
	return ingest.Options{Format: f, Currency: r.c.Inputs.Currency, Rates: r.rates, Tiers: r.c.Inputs.Tiers,
		HomeCountry: r.c.Profile.HomeCountry, Classifier: r.tax}, nil
}

// stageCount returns a count a stage recorded, 0 when absent.
func (r *run) stageCount(stage, name string) int {
	if s := r.manifest.stage(stage); s != nil {
		return s.Counts[name]
	}
	return 0
}

// previousClustering identifies last month's clustering, which this
// month's variant ids follow: the hashes of its clusters and assignments,
// or "" when there is none.
func (r *run) previousClustering() string {
	prev, ok := r.previousMonth()
	if !ok {
		return ""
	}
	a, _, _ := hashFile(filepath.Join(prev, clustersFile))
	b, _, _ := hashFile(filepath.Join(prev, assignmentsFile))
	return a + b
}
