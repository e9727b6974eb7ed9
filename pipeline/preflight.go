package pipeline

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/pipeline/suppress"
)

// PreflightConfig says what Preflight checks: a campaign file, and the
// month and output root a run would take. The zero value of every field
// but CampaignFile is useful.
type PreflightConfig struct {
	CampaignFile string
	// Month and OutRoot override the campaign's, as tailor run's --month
	// and --out do.
	Month, OutRoot string
	// Sample is how many rows of the cardholders and the pre-aggregated
	// profiles are read (default DefaultPreflightSample). The transactions
	// are read whole, for their dates.
	Sample int
	// TLS, when set, replaces every relay's TLS configuration (a private
	// CA's RootCAs).
	TLS *tls.Config
	// Timeout bounds each relay's probe (default send.DefaultProbeTimeout).
	Timeout time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
}

// DefaultPreflightSample is how many rows of the cardholders and profiles
// a preflight reads.
const DefaultPreflightSample = 1000

// Severities of a preflight problem.
const (
	// SeverityError is a problem the run or the send would stop at.
	SeverityError = "error"
	// SeverityWarning is a problem they would get past, such as rejected
	// rows within the error budget.
	SeverityWarning = "warning"
)

// PreflightResult is what Preflight found.
type PreflightResult struct {
	// File is the campaign file; Campaign its name and Month the run
	// month, both "" when the campaign did not parse.
	File     string `json:"file"`
	Campaign string `json:"campaign,omitempty"`
	Month    string `json:"month,omitempty"`
	// Checks are the checks in the order they ran, skipped ones included.
	Checks []PreflightCheck `json:"checks"`
	// Problems lists every problem, errors first, then in check order.
	Problems []PreflightProblem `json:"problems"`
}

// PreflightCheck is one check of a preflight and its outcome.
type PreflightCheck struct {
	// Name is campaign, inputs, data, templates, output, suppression,
	// secrets or smtp.
	Name string `json:"name"`
	// Status is "ok", "error" or "warning" (its worst problem), or
	// "skipped" when the campaign gives it nothing to check or an earlier
	// problem stops it.
	Status string `json:"status"`
	// Detail says what was checked, or why not.
	Detail string `json:"detail,omitempty"`
}

// PreflightProblem is one problem a preflight found.
type PreflightProblem struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	// File and Line say where the problem is: an input's row, a template,
	// or the campaign file's key (Key); File is "" when no file holds it
	// (a relay that does not answer, an --out folder).
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
}

// String formats the problem as file:line: check: key: message.
func (p PreflightProblem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Check + ": ")
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	if p.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Errors counts the problems of severity error.
func (r *PreflightResult) Errors() int {
	n := 0
	for _, p := range r.Problems {
		if p.Severity == SeverityError {
			n++
		}
	}
	return n
}

// Ran counts the checks that ran, not skipped.
func (r *PreflightResult) Ran() int {
	n := 0
	for _, c := range r.Checks {
		if c.Status != "skipped" {
			n++
		}
	}
	return n
}

// Preflight checks everything a run and its send need before either
// starts, and reports every problem at once, never stopping at the first:
// the campaign parses; each input exists and its header has the columns
// the campaign maps, and how many of a sample of its rows would be
// rejected (the transactions are read whole, nothing written); the month
// has data, as the profile stage would find; the templates compile; the
// output root is writable; the suppression list parses; and when the
// campaign sends, the secrets it needs are set and each [[smtp]] relay
// answers (connect, EHLO, STARTTLS, AUTH, QUIT: nothing is sent). It
// writes nothing. The error is for a cancelled ctx only.
func Preflight(ctx context.Context, cfg PreflightConfig) (*PreflightResult, error) {
	p := &preflight{cfg: cfg, res: &PreflightResult{File: cfg.CampaignFile, Checks: []PreflightCheck{}, Problems: []PreflightProblem{}}}
	if p.cfg.Sample <= 0 {
		p.cfg.Sample = DefaultPreflightSample
	}
	defer p.finish()
	c, err := LoadCampaign(cfg.CampaignFile)
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			p.add("campaign", SeverityError, cfg.CampaignFile, ce.Line, ce.Key, "%s", ce.Msg)
		} else {
			p.add("campaign", SeverityError, "", 0, "", "%s", configMessage(err))
		}
		p.check("campaign", "")
		for _, name := range []string{"inputs", "data", "templates", "output", "suppression", "secrets", "smtp"} {
			p.skip(name, "the campaign does not parse")
		}
		return p.res, nil
	}
	p.src, _ = os.ReadFile(cfg.CampaignFile)
	p.res.Campaign = c.Name
	rc := Config{Campaign: c, CampaignDir: filepath.Dir(cfg.CampaignFile), CampaignFile: cfg.CampaignFile,
		Month: cfg.Month, OutRoot: cfg.OutRoot, Now: cfg.Now, Getenv: cfg.Getenv}
	r, err := newRun(rc)
	if err != nil {
		// A table the campaign names (inputs.rates, inputs.mcc_map,
		// inputs.categories) is missing or bad: the rest is checked
		// without them.
		p.configProblem("campaign", err)
		lean := *c
		lean.Inputs.Rates, lean.Inputs.MCCMap, lean.Inputs.Categories = "", "", ""
		rc.Campaign = &lean
		if r, err = newRun(rc); err != nil {
			p.check("campaign", "")
			for _, name := range []string{"inputs", "data", "templates", "output", "suppression", "secrets", "smtp"} {
				p.skip(name, "the campaign's month or output cannot be used")
			}
			return p.res, nil
		}
	}
	p.res.Month = r.monthName()
	p.check("campaign", fmt.Sprintf("%s, month %s", c.Name, r.monthName()))
	steps := []struct {
		name string
		run  func(context.Context, *run)
	}{
		// Each input's header, and a sample of its rows; the
		// transactions whole, for the data check.
		{"inputs", p.inputs},
		// The month has data: what the profile stage checks.
		{"data", p.data},
		// The templates compile, against the campaign's tiers and
		// interests.
		{"templates", p.templates},
		// The output root is writable; nothing is left behind.
		{"output", p.output},
		// The marketer's suppression list and tailor's own parse.
		{"suppression", p.suppression},
		// When the campaign sends: the unsubscribe secret and the DKIM
		// key.
		{"secrets", p.secrets},
		// When the campaign sends: each relay answers.
		{"smtp", p.smtp},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return p.res, err
		}
		s.run(ctx, r)
	}
	return p.res, ctx.Err()
}

// preflight collects a Preflight's checks and problems.
type preflight struct {
	cfg PreflightConfig
	res *PreflightResult
	// src is the campaign file, for the lines of its keys.
	src []byte
	// txs is what the inputs check read of the transactions, for data.
	txs *txDates
}

// add records a problem.
func (p *preflight) add(check, severity, file string, line int, key, msg string, args ...any) {
	p.res.Problems = append(p.res.Problems, PreflightProblem{Check: check, Severity: severity, File: file, Line: line, Key: key,
		Message: fmt.Sprintf(msg, args...)})
}

// keyProblem records a problem about a key of the campaign file, at its
// line.
func (p *preflight) keyProblem(check, severity, key, msg string, args ...any) {
	line, _ := keyPosition(p.src, key)
	p.add(check, severity, p.cfg.CampaignFile, line, key, msg, args...)
}

// configProblem records an error of the run's setup ("bad configuration:
// inputs.rates: ..."), at its key's line when it names one.
func (p *preflight) configProblem(check string, err error) {
	var ce *ConfigError
	if errors.As(err, &ce) {
		p.keyProblem(check, SeverityError, ce.Key, "%s", ce.Msg)
		return
	}
	msg := configMessage(err)
	if key, rest, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(key, " /") {
		if line, _ := keyPosition(p.src, key); line > 0 {
			p.add(check, SeverityError, p.cfg.CampaignFile, line, key, "%s", rest)
			return
		}
	}
	p.add(check, SeverityError, "", 0, "", "%s", msg)
}

// configMessage is err's text without the ErrConfig prefix.
func configMessage(err error) string {
	return strings.TrimPrefix(err.Error(), ErrConfig.Error()+": ")
}

// check records that a check ran; its status comes from its problems.
func (p *preflight) check(name, detail string) {
	p.res.Checks = append(p.res.Checks, PreflightCheck{Name: name, Detail: detail})
}

// skip records a check that did not run, and why.
func (p *preflight) skip(name, why string) {
	p.res.Checks = append(p.res.Checks, PreflightCheck{Name: name, Status: "skipped", Detail: why})
}

// finish sets each check's status and puts the errors first.
func (p *preflight) finish() {
	for i := range p.res.Checks {
		c := &p.res.Checks[i]
		if c.Status == "skipped" {
			continue
		}
		c.Status = "ok"
		for _, pr := range p.res.Problems {
			if pr.Check == c.Name && (c.Status == "ok" || pr.Severity == SeverityError) {
				c.Status = pr.Severity
			}
		}
	}
	slices.SortStableFunc(p.res.Problems, func(a, b PreflightProblem) int {
		return boolOrder(a.Severity != SeverityError) - boolOrder(b.Severity != SeverityError)
	})
}

func boolOrder(b bool) int {
	if b {
		return 1
	}
	return 0
}

// inputs reads each input's header and a sample of its rows (the
// transactions whole, for the data check), through the readers of the
// ingest stage, writing no rejects.
func (p *preflight) inputs(ctx context.Context, r *run) {
	var details []string
	var set *ingest.CardholderSet
	for _, in := range r.inputs {
		f, err := os.Open(in.path)
		if err != nil {
			p.keyProblem("inputs", SeverityError, "inputs."+in.name, "%v", err)
			continue
		}
		opts, err := r.ingestOptions(in.name)
		if err != nil {
			f.Close()
			p.configProblem("inputs", err)
			continue
		}
		file := filepath.Base(in.path)
		rej := &sampleRejects{ignoreUnknown: true}
		var st ingest.Stats
		switch in.name {
		case "cardholders":
			opts.Sample = p.cfg.Sample
			set, st, err = ingest.ReadCardholders(ctx, f, file, opts, rej)
		case "transactions":
			// Every row, for the dates: cardholder ids are not
			// checked against the cardholders (nil set).
			p.txs = newTxDates(r)
			st, _, err = ingest.ReadTransactions(ctx, f, file, opts, nil, rej, p.txs.add)
		default:
			opts.Sample = p.cfg.Sample
			// Against the sample of cardholders: unknown ids are not
			// counted (ignoreUnknown).
			if set == nil {
				set = ingest.NewCardholderSet(nil)
			}
			_, st, err = ingest.ReadFeatures(ctx, f, file, opts, r.c.Inputs.ProfileColumns, set, rej)
		}
		f.Close()
		if err != nil {
			if in.name == "transactions" {
				p.txs = nil
			}
			p.inputError(in, err)
			continue
		}
		sampled := in.name != "transactions"
		what := fmt.Sprintf("%s: %d rows", file, st.Read)
		if sampled && st.Read >= p.cfg.Sample {
			what = fmt.Sprintf("%s: a sample of %d rows", file, st.Read)
		}
		details = append(details, what)
		if st.EncodingDetected {
			p.add("inputs", SeverityWarning, in.path, 0, "", "read as %s, the encoding its bytes show (set [format.%s] encoding to say so)", st.Encoding, in.name)
		}
		if rej.n == 0 {
			continue
		}
		rows := st.Read - st.Skipped() - (st.Rejected - rej.n)
		share := float64(rej.n) / float64(max(rows, 1))
		budget := *r.c.Inputs.ErrorBudget
		severity, of := SeverityWarning, fmt.Sprintf("%d of %d rows", rej.n, rows)
		switch {
		case sampled:
			of += " sampled"
		case share > budget:
			// The whole file was read: the run would stop here.
			severity = SeverityError
		}
		p.add("inputs", severity, in.path, rej.first.Line, "", "%s would be rejected (%.2f%%, budget %.2f%%): %s; first: %v",
			of, 100*share, 100*budget, rej.topReasons(3), rej.first)
	}
	if len(r.inputs) > 0 {
		p.check("inputs", strings.Join(details, "; "))
	}
}

// inputError records why an input could not be read: a column the
// campaign maps that the header lacks is a problem of the campaign, at
// its key, as the ingest stage reports it.
func (p *preflight) inputError(in input, err error) {
	var mce *ingest.MissingColumnsError
	if errors.As(err, &mce) {
		p.keyProblem("inputs", SeverityError, missingColumnsKey(in.name, mce), "%s: %v", filepath.Base(in.path), mce)
		return
	}
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		p.add("inputs", SeverityError, in.path, fe.Line, "", "%v", fe.Err)
		return
	}
	p.add("inputs", SeverityError, in.path, 0, "", "%v", err)
}

// sampleRejects counts the rows a reader rejects, without writing them.
type sampleRejects struct {
	// ignoreUnknown leaves out rows rejected for a cardholder id not among
	// the cardholders read: only a sample of them was.
	ignoreUnknown bool
	n             int
	reasons       map[string]int
	first         *ingest.RowError
}

func (s *sampleRejects) Reject(e *ingest.RowError, _ string) error {
	if s.ignoreUnknown && errors.Is(e.Err, ingest.ErrUnknownHolder) {
		return nil
	}
	if s.first == nil {
		s.first = e
		s.reasons = map[string]int{}
	}
	s.n++
	s.reasons[e.Reason()]++
	return nil
}

// topReasons lists up to n reasons, most frequent first, with counts.
func (s *sampleRejects) topReasons(n int) string {
	st := ingest.Stats{Reasons: s.reasons}
	var parts []string
	for _, rc := range st.TopReasons(n) {
		parts = append(parts, fmt.Sprintf("%s (%d)", rc.Reason, rc.Count))
	}
	if len(s.reasons) > n {
		parts = append(parts, fmt.Sprintf("%d more", len(s.reasons)-n))
	}
	return strings.Join(parts, "; ")
}

// txDates follows the dates of the transactions read: the first, the
// last, and how many fall in the profile window [from, to).
type txDates struct {
	n, inWindow int
	first, last int32
	from, to    int32
}

// newTxDates follows the dates against the run's profile window.
func newTxDates(r *run) *txDates {
	from, to := r.profileOptions().Window()
	return &txDates{from: int32(from.Unix() / 86400), to: int32(to.Unix() / 86400)}
}

// add takes a batch of records: ReadTransactions' sink.
func (t *txDates) add(recs []ingest.Record) error {
	for _, rec := range recs {
		if t.n == 0 || rec.Day < t.first {
			t.first = rec.Day
		}
		if t.n == 0 || rec.Day > t.last {
			t.last = rec.Day
		}
		if rec.Day >= t.from && rec.Day < t.to {
			t.inWindow++
		}
		t.n++
	}
	return nil
}

// data checks that the month has data, as the profile stage does: some
// transaction in the profile window, and none of the months after the
// data ends, unless the campaign allows the gap.
func (p *preflight) data(_ context.Context, r *run) {
	if r.c.Inputs.Transactions == "" {
		p.skip("data", "no transactions: the pre-aggregated profiles have no dates")
		return
	}
	t := p.txs
	if t == nil || t.n == 0 {
		p.skip("data", "the transactions could not be read")
		return
	}
	from, to := r.profileOptions().Window()
	inWindow := t.inWindow
	day := func(tm time.Time) string { return tm.Format(time.DateOnly) }
	first, last := ingest.DayTime(t.first), ingest.DayTime(t.last)
	file, line, key := r.campaignPath(r.c.Inputs.Transactions), 0, ""
	if p.cfg.Month == "" && r.c.Month != "" {
		file, key = p.cfg.CampaignFile, "month"
		line, _ = keyPosition(p.src, key)
	}
	switch {
	case inWindow == 0:
		p.add("data", SeverityError, file, line, key, "no transaction falls in the window %s to %s: the transactions run from %s to %s; run a month in that range (--month %s)",
			day(from), day(to.AddDate(0, 0, -1)), day(first), day(last), last.Format("2006-01"))
	case last.Before(r.month) && !r.c.Profile.AllowDataGap:
		p.add("data", SeverityError, file, line, key, "the transactions end %s, before the run month %s begins: the months without data would make cardholders look lapsing; run the month the data ends in (--month %s), or set [profile] allow_data_gap = true",
			day(last), r.monthName(), last.Format("2006-01"))
	case last.Before(r.month):
		p.add("data", SeverityWarning, file, line, key, "the transactions end %s, before the run month %s begins; the run profiles anyway (allow_data_gap): cardholders may look lapsing",
			day(last), r.monthName())
	}
	p.check("data", fmt.Sprintf("transactions from %s to %s, %d in the window %s to %s", day(first), day(last), inWindow, day(from), day(to.AddDate(0, 0, -1))))
}

// templates compiles the campaign's template set, as tailor check does.
func (p *preflight) templates(_ context.Context, r *run) {
	res, err := CheckTemplates(CheckConfig{Campaign: r.asWritten, CampaignDir: r.cfg.CampaignDir})
	if err != nil {
		if r.c.Templates.Dir != "" {
			p.keyProblem("templates", SeverityError, "templates.dir", "%s", strings.TrimPrefix(configMessage(err), "templates: "))
		} else {
			p.add("templates", SeverityError, "", 0, "", "%s", configMessage(err))
		}
		p.check("templates", "")
		return
	}
	for _, e := range res.Problems {
		p.add("templates", SeverityError, e.File, e.Line, "", "%v", e.Err)
	}
	name := res.Dir
	if name == "" {
		name = "the built-in template set"
	}
	detail := name
	if res.Set != nil {
		detail = fmt.Sprintf("%s: %d content blocks, %d partials", name, len(res.Set.Blocks), len(res.Set.Partials))
	}
	p.check("templates", detail)
}

// output checks that the run directory can be made: the folder nearest
// to it that exists is a folder, and a file can be created in it (and is
// removed at once). No folder is created.
func (p *preflight) output(_ context.Context, r *run) {
	root := rundir.Root(r.dir)
	file, line, key := "", 0, ""
	if p.cfg.OutRoot == "" && r.c.Output != "" {
		file, key = p.cfg.CampaignFile, "output"
		line, _ = keyPosition(p.src, key)
	}
	at := r.dir
	for {
		fi, err := os.Stat(at)
		if err == nil {
			if !fi.IsDir() {
				p.add("output", SeverityError, file, line, key, "%s: %s is a file, not a folder: the run directory %s cannot be made", root, at, r.dir)
				p.check("output", root)
				return
			}
			break
		}
		parent := filepath.Dir(at)
		if parent == at || !(errors.Is(err, fs.ErrNotExist) || isNotDir(err)) {
			p.add("output", SeverityError, file, line, key, "%s: %v", root, err)
			p.check("output", root)
			return
		}
		at = parent
	}
	f, err := os.CreateTemp(at, ".tailor-preflight-*")
	if err != nil {
		p.add("output", SeverityError, file, line, key, "%s: not writable: %v", root, err)
		p.check("output", root)
		return
	}
	f.Close()
	os.Remove(f.Name())
	detail := fmt.Sprintf("%s: writable", root)
	if at != r.dir {
		detail = fmt.Sprintf("%s: %s is writable; the run makes the rest", root, at)
	}
	p.check("output", detail)
}

// suppression reads the marketer's suppression list (send.suppression)
// and tailor's own, as a send does.
func (p *preflight) suppression(_ context.Context, r *run) {
	own := r.suppressionFile()
	_, ownErr := os.Stat(own)
	if r.c.Send.Suppression == "" && ownErr != nil {
		p.skip("suppression", "no send.suppression, and no suppressions of tailor's own yet")
		return
	}
	var paths []string
	if ownErr == nil {
		paths = append(paths, own)
	}
	if f := r.c.Send.Suppression; f != "" {
		paths = append(paths, r.campaignPath(f))
	}
	list, err := suppress.Load(paths...)
	var se *suppress.Error
	switch {
	case errors.As(err, &se):
		p.add("suppression", SeverityError, se.File, se.Line, "", "%v", se.Err)
	case err != nil:
		p.keyProblem("suppression", SeverityError, "send.suppression", "%s", strings.TrimPrefix(err.Error(), "suppress: "))
	}
	detail := ""
	if list != nil {
		detail = fmt.Sprintf("%d entries", list.Len())
	}
	p.check("suppression", detail)
}

// secrets checks, when the campaign sends, what a send reads from the
// environment or files besides the relays' passwords: the unsubscribe
// secret and the DKIM key. Their values are never shown.
func (p *preflight) secrets(_ context.Context, r *run) {
	if len(r.c.SMTP) == 0 {
		p.skip("secrets", "the campaign has no [[smtp]] relay: it does not send")
		return
	}
	if r.secret == "" {
		p.keyProblem("secrets", SeverityError, "sender.unsubscribe_secret_env", "the environment variable %s is not set: a send refuses to start without it, as anyone who knows the campaign's name could forge an unsubscribe",
			r.c.Sender.UnsubscribeSecretEnv)
	}
	if _, err := r.dkim(); err != nil {
		p.configProblem("secrets", err)
	}
	p.check("secrets", "")
}

// smtp probes each relay at once, sending nothing.
func (p *preflight) smtp(ctx context.Context, r *run) {
	if len(r.c.SMTP) == 0 {
		p.skip("smtp", "the campaign has no [[smtp]] relay: it does not send")
		return
	}
	errs := make([]error, len(r.c.SMTP))
	relays := make([]*send.Relay, len(r.c.SMTP))
	var wg sync.WaitGroup
	for i, s := range r.c.SMTP {
		rl := &send.Relay{Name: s.Name, Host: s.Host, Port: s.Port, TLS: s.TLS, TLSConfig: p.cfg.TLS, Auth: s.Auth,
			Username: s.Username, HELO: s.HELO, Timeout: p.cfg.Timeout}
		relays[i] = rl
		var err error
		if rl.Password, err = r.secretFrom(fmt.Sprintf("smtp[%d]", i), s.PasswordEnv, s.PasswordFile); err != nil {
			errs[i] = fmt.Errorf("relay %s: %s", rl, strings.TrimPrefix(configMessage(err), fmt.Sprintf("smtp[%d]: ", i)))
			continue
		}
		wg.Go(func() { errs[i] = send.Probe(ctx, rl) })
	}
	wg.Wait()
	var names []string
	for i, err := range errs {
		names = append(names, relays[i].String())
		if err == nil {
			continue
		}
		line := arrayTableLine(p.src, "smtp", i)
		p.add("smtp", SeverityError, p.cfg.CampaignFile, line, fmt.Sprintf("smtp[%d]", i), "%v", err)
	}
	p.check("smtp", strings.Join(names, ", "))
}

// arrayTableLine returns the line of the i-th [[name]] table of TOML
// source, 0 when there is none.
func arrayTableLine(src []byte, name string, i int) int {
	n := 0
	for l, line := range strings.Split(string(src), "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "[[") && strings.TrimSpace(strings.Trim(t, "[]")) == name {
			if n == i {
				return l + 1
			}
			n++
		}
	}
	return 0
}

// isNotDir reports whether err says a path goes through a file.
func isNotDir(err error) bool {
	return errors.Is(err, syscall.ENOTDIR)
}
