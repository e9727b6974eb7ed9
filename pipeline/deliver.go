package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tailor-mail/tailor/pipeline/ledger"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/report"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/pipeline/suppress"
)

// LedgerFile is the send ledger's name in a run directory.
const LedgerFile = "send.db"

// SendConfig says which run Send sends. The zero value of every field but
// RunDir is useful.
type SendConfig struct {
	// RunDir is the run directory of a run that got as far as render.
	RunDir string
	// RetryUncertain sends again the messages a stopped send left
	// uncertain (handed over without an answer recorded): they may then
	// reach their recipient twice.
	RetryUncertain bool
	// Delivery, when set, is the campaign file as it is now: its
	// [[smtp]], [send] and [dkim] replace those the run recorded (a relay
	// moved, a limit changed); the rest of it is not read.
	Delivery *Campaign
	// TLS, when set, replaces every relay's TLS configuration (a private
	// CA's RootCAs).
	TLS *tls.Config
	// Version and Command are recorded with the lock and in the history.
	Version, Command string
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// Events, when set, is told of warnings and of the send's progress
	// (Stage "send", State "progress", Counts: sent, deferred, failed,
	// uncertain, skipped, in_flight, rate a second, due: the messages to
	// send when the send began, done: 1 at the end).
	Events func(Event)
}

// SendResult is what Send did.
type SendResult struct {
	Dir, Campaign, Month string
	// Progress is what this send did.
	Progress send.Progress
	// Recovered counts the messages a stopped send left in flight, now
	// uncertain.
	Recovered int
	// Totals counts the ledger's messages by state, after the send.
	Totals map[send.State]int
}

// Send hands the messages of a finished run to the campaign's SMTP relays,
// each exactly once, recording every message in the run's ledger
// (send.db): personalized at send time from the run's variants and
// profiles, the same bytes as the outbox's. It holds the run's lock. A
// send that stops (Ctrl-C, kill -9, a relay outage, the failure
// threshold) resumes with the same call; the messages that were in flight
// become uncertain and are not sent again unless RetryUncertain.
func Send(ctx context.Context, sc SendConfig) (res *SendResult, err error) {
	if sc.Now == nil {
		sc.Now = time.Now
	}
	r, s, err := openRecorded(recorded{dir: sc.RunDir, command: "send", line: sc.Command, version: sc.Version,
		now: sc.Now, getenv: sc.Getenv, events: sc.Events, need: []string{"variants", "render"}, delivery: sc.Delivery})
	if err != nil {
		return nil, err
	}
	defer func() { s.close(err) }()
	m, dir := r.manifest, r.dir
	if err := r.loadTemplates(); err != nil {
		return nil, err
	}
	if h := r.set.Hash(); h != m.Templates {
		return nil, fmt.Errorf("send: the templates changed since the run rendered its variants: the messages would not be the newsletters the run made and the samples show; render them again (tailor render %s, or tailor run) and check them before sending", dir)
	}
	relays, err := r.relays(sc.TLS)
	if err != nil {
		return nil, err
	}
	if r.secret == "" {
		return nil, fmt.Errorf("%w: %s is not set: without it anyone who knows the campaign's name could forge an unsubscribe for any recipient; set it (the same key the unsubscribe endpoint verifies with) and send again",
			ErrConfig, r.c.Sender.UnsubscribeSecretEnv)
	}
	list, err := r.suppressions()
	if err != nil {
		return nil, err
	}
	var o outcomes
	l := r.load(ctx, &o)
	ns, plan := l.newsletters(), l.plan()
	if l.err != nil {
		return nil, l.err
	}
	newsletterOf := plan.NewsletterOf()
	db, err := ledger.Open(r.file(LedgerFile))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	res = &SendResult{Dir: dir, Campaign: m.Campaign, Month: m.Month}
	store, err := r.recipients(ctx, db, list, newsletterOf)
	if err != nil {
		return nil, err
	}
	if res.Recovered, err = db.Recover(ctx, sc.Now()); err != nil {
		return nil, err
	}
	if res.Recovered > 0 {
		r.event(Event{Stage: "send", State: EventWarn, Message: fmt.Sprintf("%d messages were in flight when the last send stopped: they are uncertain and not sent again (--retry-uncertain sends them, and may send some twice)", res.Recovered)})
	}
	if sc.RetryUncertain {
		if _, err := db.RetryUncertain(ctx, sc.Now()); err != nil {
			return nil, err
		}
	}
	byVariant := map[string]*render.Newsletter{}
	for _, n := range ns {
		byVariant[n.Variant.ID] = n
	}
	// What this send has to do, for the progress's ETA.
	before, err := db.Totals(ctx)
	if err != nil {
		return nil, err
	}
	due := before[send.Pending] + before[send.Deferred]
	composer := r.composer()
	bounces, err := suppress.OpenAppender(r.suppressionFile())
	if err != nil {
		return nil, err
	}
	defer bounces.Close()
	sender := &send.Sender{
		Ledger: db, Relays: relays, Now: sc.Now, Retry: r.retry(sc.Now()), Pause: r.pause(),
		Build: func(e send.Entry) (*send.Outgoing, error) {
			rc, ok := store.get(e.Cardholder)
			// A ledger filled before the variants shared their
			// newsletters names the cluster's own variant.
			n := byVariant[newsletterOf[e.Variant]]
			if !ok || n == nil {
				return nil, fmt.Errorf("ledger: cardholder %s, variant %s: not in this run", e.Cardholder, e.Variant)
			}
			// The list as it is now: an unsubscribe since the send began
			// keeps the rest of its messages back.
			if on, why := list.Has(e.Cardholder, e.Address); on {
				return nil, &send.SuppressedError{Reason: why}
			}
			return composer.Outgoing(n, rc)
		},
		Suppress: func(e send.Entry, reply send.Reply) {
			err := bounces.Append(suppress.Entry{At: sc.Now().UTC(), CardholderID: e.Cardholder, Address: e.Address,
				Reason: fmt.Sprintf("bounce %d %s", reply.Code, reply.Enhanced), Source: "send " + m.Month})
			if err != nil {
				r.event(Event{Stage: "send", State: EventWarn, Message: "suppression list: " + err.Error()})
			}
		},
		Progress: func(p send.Progress) {
			r.event(Event{Stage: "send", State: "progress", Counts: map[string]int{"sent": p.Sent, "deferred": p.Deferred,
				"failed": p.Failed, "uncertain": p.Uncertain, "skipped": p.Skipped, "in_flight": p.InFlight, "rate": int(p.Rate),
				"due": due, "done": map[bool]int{true: 1}[p.Done]}})
		},
	}
	res.Progress, err = sender.Run(ctx)
	totals, terr := db.Totals(context.WithoutCancel(ctx))
	res.Totals = totals
	if rerr := r.afterSend(context.WithoutCancel(ctx), &o, m, sc.Now()); rerr != nil {
		r.event(Event{Stage: "send", State: EventWarn, Message: "the report's Send sheet and the manifest: " + rerr.Error()})
	}
	if err != nil {
		return res, &StageError{Stage: "send", Err: err}
	}
	return res, terr
}

// noVariant stands for the cardholders without a variant (no spending in
// the window) in the send's counts.
const noVariant = "none"

// afterSend records in the manifest where the send's messages stand and
// brings the report's Send sheet up to date (the rest of the report, which
// needs every profile in memory, is left as it is: the next tailor run
// makes it again, its key following the ledger).
func (r *run) afterSend(ctx context.Context, o *outcomes, m *rundir.Manifest, start time.Time) error {
	counts, err := r.sendCounts()
	if err != nil {
		return err
	}
	m.Send = map[string]map[string]int{}
	for v, byState := range counts {
		if v == "" {
			v = noVariant
		}
		m.Send[v] = map[string]int{}
		for st, n := range byState {
			m.Send[v][string(st)] = n
		}
	}
	m.LastRun = rundir.RunRecord{StartedAt: start.UTC(), FinishedAt: r.cfg.Now().UTC(), Status: rundir.Done}
	l := r.load(ctx, o)
	plan := l.plan()
	if l.err != nil {
		return l.err
	}
	path := r.file(rundir.ReportFile)
	old, err := os.ReadFile(path)
	if err == nil {
		err = rundir.WriteFile(path, func(w io.Writer) error {
			return report.UpdateSend(bytes.NewReader(old), w, sendRows(plan, counts))
		})
	}
	if werr := m.Write(r.dir); err == nil {
		err = werr
	}
	return err
}

// recipients reads the run's profiles and assignments as a stream and
// returns the merge fields of every cardholder who may be mailed, packed.
// The first send also puts every cardholder in the ledger, in input order
// and 10,000 a transaction: the mailable with a variant Pending, the
// others Suppressed or Skipped with the reason; an address is sent to
// once. A send that resumes finds them there and adds nothing (the
// suppression list as it is now is checked again as each message is
// built). Each entry names the newsletter the cardholder's variant reads
// (newsletterOf): a cluster whose variant is the same as another's is
// sent that one.
func (r *run) recipients(ctx context.Context, db *ledger.Ledger, list *suppress.List, newsletterOf map[string]string) (*mailees, error) {
	v, _, err := db.Get(ctx, "filled")
	if err != nil {
		return nil, err
	}
	fill := v != "yes"
	domain := mailDomain(r.c.Sender.From)
	now := r.cfg.Now().UTC()
	first := map[uint64]string{} // address -> the cardholder who has it
	store := &mailees{ids: r.interestIDs(), other: r.tax.Other()}
	var batch []send.Entry
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := db.Add(ctx, batch)
		batch = batch[:0]
		return err
	}
	err = r.eachAssigned(func(p *profile.Profile, variant string) error {
		if n, ok := newsletterOf[variant]; ok {
			variant = n
		}
		if p.Status() == profile.StatusMail && variant != "" {
			store.add(p)
		}
		if !fill {
			return nil
		}
		batch = append(batch, r.ledgerEntry(p, variant, list, first, domain, now))
		if len(batch) < 10000 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, err
	}
	store.finish()
	if fill {
		return store, db.Set(ctx, "filled", "yes")
	}
	return store, nil
}

// ledgerEntry is a cardholder's row of the ledger. first holds the
// addresses seen so far, by hash, with the cardholder who has each.
func (r *run) ledgerEntry(p *profile.Profile, variant string, list *suppress.List, first map[uint64]string, domain string, now time.Time) send.Entry {
	id := strings.Clone(p.ID) // not the whole record the CSV reader read
	e := send.Entry{Cardholder: id, Variant: strings.Clone(variant), Address: strings.Clone(strings.TrimSpace(p.Email)),
		MessageID: "<" + send.MessageID(r.c.Name, r.sendMonth(), p.ID, domain) + ">", State: send.Pending,
		Created: now, Updated: now}
	switch st := p.Status(); {
	case st != profile.StatusMail:
		e.State, e.Reason = send.Suppressed, string(st)
		if st == profile.StatusNoSpend {
			e.State = send.Skipped
		}
	case e.Variant == "":
		e.State, e.Reason = send.Skipped, "no variant"
	default:
		h := fnv.New64a()
		h.Write([]byte(strings.ToLower(e.Address)))
		key := h.Sum64()
		if on, why := list.Has(p.ID, e.Address); on {
			e.State, e.Reason = send.Suppressed, why
		} else if a, err := mail.ParseAddress(e.Address); err != nil || a.Address != e.Address {
			e.State, e.Reason = send.Skipped, "not a valid email address"
		} else if other, seen := first[key]; seen {
			e.State, e.Reason = send.Skipped, "the same address as cardholder "+other
		} else {
			first[key] = id
		}
	}
	return e
}

// eachAssigned reads profiles.csv and assignments.csv together, a row of
// each at a time (both list the cardholders in input order), and calls fn
// with each profile and its variant, "" for none.
func (r *run) eachAssigned(fn func(p *profile.Profile, variant string) error) error {
	pf, err := os.Open(r.file(rundir.ProfilesFile))
	if err != nil {
		return err
	}
	defer pf.Close()
	af, err := os.Open(r.file(rundir.AssignmentsFile))
	if err != nil {
		return err
	}
	defer af.Close()
	ar := csv.NewReader(bufio.NewReader(af))
	ar.ReuseRecord = true
	if _, err := ar.Read(); err != nil {
		return fmt.Errorf("%s: %w", rundir.AssignmentsFile, err)
	}
	return profile.EachCSV(bufio.NewReader(pf), rundir.ProfilesFile, r.tax, func(p *profile.Profile) error {
		rec, err := ar.Read()
		if err != nil {
			return fmt.Errorf("%s: %w", rundir.AssignmentsFile, err)
		}
		if len(rec) != 4 || rec[0] != p.ID {
			line, _ := ar.FieldPos(0)
			return fmt.Errorf("%s:%d: not the cardholder %s is on in %s: %s and %s are not of the same run",
				rundir.AssignmentsFile, line, p.ID, rundir.ProfilesFile, rundir.AssignmentsFile, rundir.ProfilesFile)
		}
		return fn(p, rec[2])
	})
}

// suppressionFile is tailor's own suppression list of the campaign:
// <output>/<campaign>/suppressions.csv.
func (r *run) suppressionFile() string {
	return filepath.Join(filepath.Dir(r.dir), "suppressions.csv")
}

// suppressions reads the campaign's suppression list: the marketer's file
// and tailor's own.
func (r *run) suppressions() (*suppress.List, error) {
	paths := []string{r.suppressionFile()}
	if f := r.c.Send.Suppression; f != "" {
		paths = append(paths, r.campaignPath(f))
	}
	list, err := suppress.Load(paths...)
	if err != nil {
		return nil, fmt.Errorf("%w: send.suppression: %w", ErrConfig, err)
	}
	return list, nil
}

// relays returns the campaign's SMTP relays with their credentials.
func (r *run) relays(tlsConfig *tls.Config) ([]*send.Relay, error) {
	if len(r.c.SMTP) == 0 {
		return nil, fmt.Errorf("%w: the campaign has no [[smtp]] relay to send through", ErrConfig)
	}
	signer, err := r.dkim()
	if err != nil {
		return nil, err
	}
	var out []*send.Relay
	for i, s := range r.c.SMTP {
		rl := &send.Relay{Name: s.Name, Host: s.Host, Port: s.Port, TLS: s.TLS, TLSConfig: tlsConfig, Auth: s.Auth,
			Username: s.Username, HELO: s.HELO, Connections: s.Connections, PerConnection: s.MessagesPerConnection,
			Rate: s.Rate, PerHour: s.PerHour, PerDomain: s.PerDomain, DKIM: signer,
			NoPipelining: s.Pipelining != nil && !*s.Pipelining}
		rl.SlowDown, _ = time.ParseDuration(s.ThrottleWait) // checked when the campaign was parsed
		if rl.Password, err = r.secretFrom(fmt.Sprintf("smtp[%d]", i), s.PasswordEnv, s.PasswordFile); err != nil {
			return nil, err
		}
		out = append(out, rl)
	}
	return out, nil
}

// dkim returns the campaign's DKIM signer, nil when it signs nothing.
func (r *run) dkim() (*gomail.DKIMSigner, error) {
	d := r.c.DKIM
	if d == (DKIMConfig{}) {
		return nil, nil
	}
	pem, err := r.secretFrom("dkim", d.KeyEnv, d.KeyFile)
	if err != nil {
		return nil, err
	}
	key, err := gomail.PrivKeyFromPEM([]byte(pem))
	if err != nil {
		return nil, fmt.Errorf("%w: dkim: the key is not a PEM RSA or Ed25519 private key: %w", ErrConfig, err)
	}
	signer := gomail.NewDKIMSigner(d.Domain, d.Selector, key)
	// The headers mailbox providers require signed. go-mail v0.8.1 folds
	// the signature's h= tag inside a header name once the list passes
	// about 70 characters, and the signature then no longer verifies:
	// this list stays below that (TestSendToMailpit verifies it).
	signer.SignHeaders("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post")
	if err := signer.ValidateConfig(); err != nil {
		return nil, fmt.Errorf("%w: dkim: %w", ErrConfig, err)
	}
	// The signer settles its algorithm at its first signature: make it
	// here, before the connections share it.
	if _, err := signer.Sign([]byte("From: a@example.com\r\n"), nil); err != nil {
		return nil, fmt.Errorf("%w: dkim: %w", ErrConfig, err)
	}
	return signer, nil
}

// secretFrom reads a secret from the environment variable env or the file
// path (readable by its owner alone); "" when neither is set.
func (r *run) secretFrom(key, env, path string) (string, error) {
	switch {
	case env != "":
		v := r.cfg.Getenv(env)
		if v == "" {
			return "", fmt.Errorf("%w: %s: the environment variable %s is not set", ErrConfig, key, env)
		}
		return v, nil
	case path != "":
		p := r.campaignPath(path)
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrConfig, key, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("%w: %s: %s is readable by other accounts (mode %v): chmod 600 it", ErrConfig, key, p, fi.Mode().Perm())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrConfig, key, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", nil
}

// retry is the campaign's retry policy for a send starting at start.
func (r *run) retry(start time.Time) send.Retry {
	sc := r.c.Send
	d := func(s string) time.Duration {
		v, _ := time.ParseDuration(s) // checked when the campaign was parsed
		return v
	}
	out := send.Retry{Attempts: sc.MaxAttempts, Base: d(sc.RetryBase), Max: d(sc.RetryMax)}
	if v := d(sc.Deadline); v > 0 {
		out.Deadline = start.Add(v)
	}
	return out
}

// pause is the campaign's failure threshold.
func (r *run) pause() send.Pause {
	return send.Pause{Window: r.c.Send.PauseWindow, Share: r.c.Send.PauseShare}
}

// IsPaused reports whether err is a send paused by its failure threshold.
func IsPaused(err error) bool {
	var pe *send.PausedError
	return errors.As(err, &pe)
}
