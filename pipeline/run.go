package pipeline

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/templates"
)

// run is one invocation's settings, fixed before any stage runs, and the
// run directory's manifest.
type run struct {
	cfg Config
	// asWritten is the campaign as written, which the manifest records and
	// the keys cover; c is the same with its defaults (withDefaults),
	// which the stages use.
	asWritten *Campaign
	c         Campaign
	// month is the run month; wave the resend wave, "" for none; dir
	// the run directory.
	month time.Time
	wave  string
	dir   string
	// inputs are the input files given, in reading order.
	inputs []input
	// secret signs the unsubscribe links; "" when the environment has
	// none (signingSecret).
	secret string
	// outbox is the outbox mode, after --outbox.
	outboxMode string
	tax        *profile.Taxonomy
	// ids are tax's interest ids (interestIDs).
	ids     []string
	idsOnce sync.Once
	rates   map[string]ingest.Rate
	set     *templates.Set
	// eventMu serializes the calls of cfg.Events.
	eventMu sync.Mutex
	// variantBase is what every variant's render follows but its own
	// plan and template files (variantFingerprint); setKeys sets it.
	variantBase string
	md          *templates.Markdown

	manifest *rundir.Manifest
	// keyed are the stages setKeys keyed; rekeyAfterIngest says their keys
	// wait for the inputs' hashes, which ingest takes as it reads them.
	keyed            []stage
	rekeyAfterIngest bool
}

// input is one input file of the campaign.
type input struct {
	name, path string
	// sum and stamp are the file's SHA-256 and stamp (rundir.Stamp) when
	// the run began (hashInputs).
	sum, stamp string
}

// newRun checks cfg and prepares a run: month, run directory, inputs,
// taxonomy and exchange rates. The template set is loaded apart
// (loadTemplates), as tailor render and check choose their own.
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
	r := &run{cfg: cfg, asWritten: cfg.Campaign, c: cfg.Campaign.withDefaults(), md: templates.NewMarkdown()}
	c := &r.c
	var err error
	switch {
	case cfg.Month != "":
		if r.month, err = ParseMonth(cfg.Month); err != nil {
			return nil, fmt.Errorf("%w: --month: %w", ErrConfig, err)
		}
	case c.Month != "":
		if r.month, err = ParseMonth(c.Month); err != nil {
			return nil, fmt.Errorf("%w: month: %w", ErrConfig, err)
		}
	default:
		r.month = LastFullMonth(cfg.Now())
	}
	root := cfg.OutRoot
	if root == "" {
		root = "out"
		if c.Output != "" {
			root = r.campaignPath(c.Output)
		}
	}
	if cfg.Wave != "" {
		if !waveRE.MatchString(cfg.Wave) {
			return nil, fmt.Errorf("%w: --resend-as %q: want lower-case letters, digits and '-', at most 32", ErrConfig, cfg.Wave)
		}
		r.wave = cfg.Wave
	}
	r.dir = rundir.Path(root, c.Name, r.sendMonth())
	r.inputs = []input{{name: "cardholders", path: r.campaignPath(c.Inputs.Cardholders)}}
	for _, in := range []input{{name: "transactions", path: c.Inputs.Transactions}, {name: "profiles", path: c.Inputs.Profiles}} {
		if in.path != "" {
			r.inputs = append(r.inputs, input{name: in.name, path: r.campaignPath(in.path)})
		}
	}
	r.outboxMode = c.Mail.Outbox
	if cfg.Outbox != "" {
		r.outboxMode = cfg.Outbox
	}
	switch r.outboxMode {
	case OutboxSamples, OutboxAll, OutboxNone:
	default:
		return nil, fmt.Errorf("%w: outbox %q: want samples, all or none", ErrConfig, r.outboxMode)
	}
	r.secret = cfg.Getenv(c.Sender.UnsubscribeSecretEnv)
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
		f, err := os.Open(r.campaignPath(t.path))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrConfig, t.key, err)
		}
		r.tax, err = t.apply(r.tax, filepath.Base(t.path), f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrConfig, t.key, err)
		}
	}
	if c.Inputs.Rates != "" {
		f, err := os.Open(r.campaignPath(c.Inputs.Rates))
		if err != nil {
			return nil, fmt.Errorf("%w: inputs.rates: %w", ErrConfig, err)
		}
		r.rates, err = ingest.ReadRates(f, filepath.Base(c.Inputs.Rates))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: inputs.rates: %w", ErrConfig, err)
		}
	}
	return r, nil
}

// loadTemplates loads the campaign's template set, the built-in one when
// it names none.
func (r *run) loadTemplates() error {
	if r.c.Templates.Dir == "" {
		set, err := templates.Default()
		r.set = set
		return err
	}
	dir := r.campaignPath(r.c.Templates.Dir)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%w: templates.dir: %w", ErrConfig, err)
	}
	set, err := templates.Load(os.DirFS(dir))
	if err != nil {
		return fmt.Errorf("%w: templates %s:\n%w", ErrConfig, dir, err)
	}
	r.set = set
	return nil
}

// configError returns a *ConfigError about the campaign's key (such as
// "format.transactions.columns"), at the key's line in the campaign file
// when the run has the file.
func (r *run) configError(key, msg string, args ...any) error {
	e := &ConfigError{File: "campaign", Key: key, Msg: fmt.Sprintf(msg, args...)}
	if f := r.cfg.CampaignFile; f != "" {
		e.File = filepath.Base(f)
		if src, err := os.ReadFile(f); err == nil {
			e.Line, e.Column = keyPosition(src, key)
		}
	}
	return e
}

// campaignPath resolves a path of the campaign file against its directory.
func (r *run) campaignPath(p string) string {
	if filepath.IsAbs(p) || r.cfg.CampaignDir == "" {
		return p
	}
	return filepath.Join(r.cfg.CampaignDir, p)
}

// file returns the path of a file of the run directory.
func (r *run) file(rel string) string { return filepath.Join(r.dir, filepath.FromSlash(rel)) }

// monthName is the run month as "YYYY-MM".
func (r *run) monthName() string { return r.month.Format("2006-01") }

// sendMonth names what the run sends: the month, and the resend wave when
// there is one ("2026-10-w2"). It names the run directory and goes into
// the messages' Message-IDs and headers.
func (r *run) sendMonth() string {
	if r.wave != "" {
		return r.monthName() + "-" + r.wave
	}
	return r.monthName()
}

// waveRE is a resend wave's name.
var waveRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

func (r *run) event(e Event) {
	if r.cfg.Events != nil {
		// Stages tell of their progress from goroutines of their own:
		// Events hears of one event at a time.
		r.eventMu.Lock()
		defer r.eventMu.Unlock()
		r.cfg.Events(e)
	}
}

// ingestOptions returns the ingest options of one input.
func (r *run) ingestOptions(name string) (ingest.Options, error) {
	fc := map[string]FormatConfig{"cardholders": r.c.Format.Cardholders, "transactions": r.c.Format.Transactions,
		"profiles": r.c.Format.Profiles}[name]
	f, err := fc.ingestFormat() // checked when the campaign was parsed
	if err != nil {
		return ingest.Options{}, fmt.Errorf("%w: format.%s: %w", ErrConfig, name, err)
	}
	return ingest.Options{Format: f, Currency: r.c.Inputs.Currency, Rates: r.rates, Tiers: r.c.Inputs.Tiers,
		HomeCountry: r.c.Profile.HomeCountry, Classifier: r.tax}, nil
}

// seed is the clustering seed.
func (r *run) seed() uint64 { return *r.c.Clustering.Seed }

// mailDate is the Date header of the run's messages.
func (r *run) mailDate() time.Time {
	if t, err := time.Parse(time.RFC3339, r.c.Mail.Date); err == nil {
		return t
	}
	return r.month.AddDate(0, 1, 0).Add(9 * time.Hour)
}

// fastPath reports whether personalization may use render's compiled
// programs: unless the campaign or TAILOR_FAST_PATH=off says not to.
func (r *run) fastPath() bool {
	return *r.c.Templates.FastPath && r.cfg.Getenv("TAILOR_FAST_PATH") != "off"
}

// renderConfig is the renderer's configuration for the run.
func (r *run) renderConfig() render.Config {
	return render.Config{
		Campaign: render.Campaign{Name: r.c.Name, Month: r.monthName(), MonthName: render.MonthName(r.monthName()),
			Locale: r.c.Sender.Locale, Currency: r.currency()},
		Sender:     r.sender(),
		Links:      r.c.Links.renderLinks(),
		NoFastPath: !r.fastPath(),
	}
}

// sender is the campaign's sender for the templates and the messages.
func (r *run) sender() render.Sender {
	s := r.c.Sender
	return render.Sender{Name: s.Name, From: s.From, ReplyTo: s.ReplyTo, PostalAddress: s.PostalAddress}
}

// currency is the campaign's currency, upper case.
func (r *run) currency() string {
	if c := r.c.Inputs.Currency; c != "" {
		return strings.ToUpper(c)
	}
	return DefaultCurrency
}
