package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// ProofFile lists a run's proofs, apart from its send.
const ProofFile = "proofs.csv"

// ProofConfig says which variants of which run Proof sends, and to whom.
type ProofConfig struct {
	RunDir string
	// To are the addresses the proofs go to.
	To []string
	// Variants are the variant ids to send; none: every variant.
	Variants []string
	// Version, Command, Now and Getenv are as in SendConfig.
	Version, Command string
	Now              func() time.Time
	Getenv           func(string) string
	Events           func(Event)
}

// ProofResult is what Proof sent.
type ProofResult struct {
	Dir string
	// Sent lists, per variant, the recipient the proof was personalized
	// for and what the relay said.
	Sent []ProofSent
}

// ProofSent is one proof.
type ProofSent struct {
	Variant, Recipient, MessageID string
	Outcome                       send.Outcome
}

// Proof sends each chosen variant of a run, personalized for the variant's
// real sample recipient (the cardholder its sample.eml is addressed to),
// to the To addresses, through the campaign's first relay, its subject
// marked [TEST] and its Message-ID its own. A proof is recorded in
// proofs.csv, never in the send ledger: it marks nobody as sent and does
// not seal the run.
func Proof(ctx context.Context, pc ProofConfig) (res *ProofResult, err error) {
	if pc.Now == nil {
		pc.Now = time.Now
	}
	if len(pc.To) == 0 {
		return nil, fmt.Errorf("%w: proofs need at least one address (--test-to)", ErrConfig)
	}
	for _, a := range pc.To {
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
			return nil, fmt.Errorf("%w: --test-to %q: want a bare email address", ErrConfig, a)
		}
	}
	r, s, err := openRecorded(recorded{dir: pc.RunDir, command: "proof", line: pc.Command, version: pc.Version,
		now: pc.Now, getenv: pc.Getenv, events: pc.Events, need: []string{"variants", "render"}})
	if err != nil {
		return nil, err
	}
	defer func() { s.close(err) }()
	dir := r.dir
	if err := r.loadTemplates(); err != nil {
		return nil, err
	}
	relays, err := r.relays(nil)
	if err != nil {
		return nil, err
	}
	var o outcomes
	l := r.load(ctx, &o)
	ps, ns := l.profiles(), l.newsletters()
	if l.err != nil {
		return nil, l.err
	}
	for _, v := range pc.Variants {
		if !slices.ContainsFunc(ns, func(n *render.Newsletter) bool { return n.Variant.ID == v }) {
			return nil, fmt.Errorf("%w: --variants: the run has no variant %q", ErrConfig, v)
		}
	}
	byID := map[string]int{}
	for i := range ps {
		byID[ps[i].ID] = i
	}
	composer := r.composer()
	res = &ProofResult{Dir: dir}
	var msgs []*send.Outgoing
	stamp := pc.Now().UTC().Format("20060102T150405")
	for _, n := range ns {
		if len(pc.Variants) > 0 && !slices.Contains(pc.Variants, n.Variant.ID) {
			continue
		}
		var meta variantMeta
		if err := rundir.ReadJSON(r.file(rundir.VariantsDir+"/"+n.Variant.ID+"/meta.json"), &meta); err != nil {
			return nil, err
		}
		rc := render.SampleRecipient()
		if i, ok := byID[meta.Sample.Recipient]; ok && !meta.Sample.Preview {
			rc = r.recipientOf(&ps[i])
		}
		msg, err := composer.Message(n, rc)
		if err != nil {
			return nil, fmt.Errorf("variant %s: proof for %s: %w", n.Variant.ID, rc.ID, err)
		}
		subject := msg.GetGenHeader(gomail.HeaderSubject)
		msg.Subject("[TEST] " + strings.Join(subject, ""))
		if err := msg.To(pc.To...); err != nil {
			return nil, fmt.Errorf("%w: --test-to: %w", ErrConfig, err)
		}
		h := sha256.Sum256([]byte(r.c.Name + "\x00" + r.monthName() + "\x00" + n.Variant.ID + "\x00" + stamp))
		id := "proof-" + hex.EncodeToString(h[:12]) + "@" + mailDomain(r.c.Sender.From)
		msg.SetMessageIDWithValue(id)
		msg.SetGenHeader("X-Tailor-Proof", "for "+rc.ID)
		out, err := send.OutgoingOf(msg)
		if err != nil {
			return nil, fmt.Errorf("variant %s: proof: %w", n.Variant.ID, err)
		}
		msgs = append(msgs, out)
		res.Sent = append(res.Sent, ProofSent{Variant: n.Variant.ID, Recipient: rc.ID, MessageID: "<" + id + ">"})
	}
	outs := send.Deliver(ctx, relays[0], msgs)
	for i := range res.Sent {
		res.Sent[i].Outcome = outs[i]
	}
	return res, r.recordProofs(res, pc.To)
}

// recordProofs appends the proofs to proofs.csv.
func (r *run) recordProofs(res *ProofResult, to []string) error {
	path := r.file(ProofFile)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, rundir.FileMode)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	if statErr != nil {
		w.Write([]string{"at", "variant", "personalized_for", "to", "message_id", "state", "reply"})
	}
	for _, p := range res.Sent {
		w.Write([]string{p.Outcome.At.UTC().Format(time.RFC3339), p.Variant, p.Recipient, strings.Join(to, " "), p.MessageID,
			string(p.Outcome.State), p.Outcome.Reply.Text})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return f.Sync()
}

// mailDomain is the domain of an address, "" when it does not parse.
func mailDomain(addr string) string {
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return ""
	}
	return a.Address[strings.LastIndexByte(a.Address, '@')+1:]
}
