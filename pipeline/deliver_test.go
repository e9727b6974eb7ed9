package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tailor-mail/tailor/pipeline/ledger"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
	"github.com/tailor-mail/tailor/pipeline/suppress"
	"github.com/tailor-mail/tailor/pipeline/unsubscribe"
)

// sendCampaign returns the quickstart with every message in the outbox and
// a relay at srv on loopback, fast retries and no pause.
func sendCampaign(t *testing.T, srv *smtptest.Server, connections int) Config {
	t.Helper()
	cfg := quickstartConfig(t)
	cfg.Outbox = OutboxAll
	c := *cfg.Campaign
	c.SMTP = []SMTPConfig{{Host: "127.0.0.1", Port: srv.Port(), TLS: "none", Connections: connections, MessagesPerConnection: 50,
		ThrottleWait: "1ms"}}
	c.Send = SendingConfig{RetryBase: "1ms", RetryMax: "20ms", MaxAttempts: 30, PauseShare: 1}
	cfg.Campaign = &c
	return cfg
}

func sendConfig(cfg Config, dir string) SendConfig {
	return SendConfig{RunDir: dir, Version: cfg.Version, Getenv: cfg.Getenv}
}

// ledgerRows returns the ledger's rows by cardholder.
func ledgerRows(t *testing.T, dir string) map[string]send.Entry {
	t.Helper()
	db, err := ledger.Open(filepath.Join(dir, LedgerFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]send.Entry{}
	if err := db.Each(context.Background(), func(e send.Entry) error { out[e.Cardholder] = e; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSendExactlyOnce sends the example through a relay that answers 421
// and 451 at random, drops connections before and after DATA and refuses
// some recipients for good: every eligible recipient gets exactly one
// message, the bytes the outbox holds for them; the refused fail and join
// the suppression list; nobody else gets anything; every count reconciles;
// a second send sends nothing; the run is sealed.
func TestSendExactlyOnce(t *testing.T) {
	rejected := func(rcpt string) bool { return strings.HasSuffix(rcpt, "7@example.com") }
	srv, err := smtptest.Start(smtptest.Options{Faults: smtptest.Faults{Seed: 7, TempMail: 0.03, TempRcpt: 0.03, TempData: 0.03,
		Reject: rejected, DropBeforeData: 0.03, DropAfterData: 0.03}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := sendCampaign(t, srv, 4)
	run := mustRun(t, cfg)
	res, err := Send(context.Background(), sendConfig(cfg, run.Dir))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	rows := ledgerRows(t, run.Dir)
	if len(rows) != run.Audience.Cardholders {
		t.Errorf("%d ledger rows for %d cardholders", len(rows), run.Audience.Cardholders)
	}
	index := readCSV(t, filepath.Join(run.Dir, "outbox", "index.csv"))
	states := map[send.State]int{}
	for _, e := range rows {
		states[e.State]++
	}
	sent := 0
	for _, rec := range index[1:] {
		id, addr, file := rec[1], rec[2], rec[4]
		e := rows[id]
		got := srv.Received(addr)
		switch {
		case rejected(addr):
			if got != 0 || e.State != send.Failed || e.Reply.Code != 550 {
				t.Errorf("%s (refused by the server): %d messages, ledger %s %+v", id, got, e.State, e.Reply)
			}
		case e.State == send.Sent:
			sent++
			if got != 1 {
				t.Errorf("%s: %d messages, want exactly 1", id, got)
			}
		default:
			t.Errorf("%s: ledger %s (%s), %d messages", id, e.State, e.Reason, got)
		}
		if e.State == send.Sent {
			eml, err := os.ReadFile(filepath.Join(run.Dir, "outbox", filepath.FromSlash(file)))
			if err != nil {
				t.Fatal(err)
			}
			if data := received(srv, addr); !bytes.Equal(data, eml) {
				t.Errorf("%s: the message sent differs from the outbox's (%d bytes, %d)", id, len(data), len(eml))
			}
		}
	}
	if sent == 0 || states[send.Sent] != sent || res.Totals[send.Sent] != sent {
		t.Errorf("sent %d, ledger %v, result %v", sent, states, res.Totals)
	}
	if n := len(srv.Messages()); n != sent {
		t.Errorf("the server accepted %d messages, the ledger says %d were sent", n, sent)
	}
	total := 0
	for _, n := range states {
		total += n
	}
	if total != run.Audience.Cardholders || states[send.Pending]+states[send.Sending]+states[send.Deferred]+states[send.Uncertain] != 0 {
		t.Errorf("ledger states %v for %d cardholders", states, run.Audience.Cardholders)
	}
	if states[send.Suppressed] != run.Audience.NoConsent+run.Audience.Cancelled {
		t.Errorf("%d suppressed, want the %d without consent and the %d cancelled", states[send.Suppressed], run.Audience.NoConsent, run.Audience.Cancelled)
	}
	stats := srv.Stats()
	t.Logf("ledger %v; server %+v", states, stats)
	if stats.TempMail == 0 || stats.TempRcpt == 0 || stats.TempData == 0 || stats.DroppedBeforeData == 0 || stats.DroppedAfterData == 0 || stats.Rejected == 0 {
		t.Errorf("a kind of fault was never injected: %+v", stats)
	}
	// The refused addresses are on the campaign's suppression list.
	list, err := os.ReadFile(filepath.Join(filepath.Dir(run.Dir), "suppressions.csv"))
	if err != nil || strings.Count(string(list), "bounce 550") != states[send.Failed] {
		t.Errorf("suppression list (%v):\n%s", err, list)
	}

	// The manifest and the report's Send sheet say where the messages
	// stand.
	m := readManifest(run.Dir)
	mSent := 0
	for _, byState := range m.Send {
		mSent += byState["sent"]
	}
	if mSent != sent || len(m.Send) != run.Variants+1 || m.Send["none"]["skipped"] != run.Audience.NoSpend {
		t.Errorf("manifest send counts %v: %d sent, want %d", m.Send, mSent, sent)
	}
	book, err := excelize.OpenFile(filepath.Join(run.Dir, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := book.GetRows("Send")
	book.Close()
	if err != nil || len(sheet) != run.Variants+3 || sheet[len(sheet)-1][0] != "Total" || sheet[len(sheet)-1][1] != fmt.Sprint(sent) {
		t.Errorf("Send sheet %q, %v", sheet, err)
	} else {
		// Its Total row counts the ledger's messages by state.
		head, total := sheet[0], sheet[len(sheet)-1]
		for i, st := range []send.State{send.Sent, send.Deferred, send.Pending, send.Failed, send.Uncertain, send.Suppressed, send.Skipped} {
			if !strings.EqualFold(head[i+1], string(st)) || total[i+1] != fmt.Sprint(states[st]) {
				t.Errorf("Send sheet column %d: %s, total %s; want %s, %d", i+1, head[i+1], total[i+1], st, states[st])
			}
		}
	}

	// Sending again sends nothing.
	again, err := Send(context.Background(), sendConfig(cfg, run.Dir))
	if err != nil || again.Progress.Sent != 0 || len(srv.Messages()) != sent {
		t.Errorf("second send: %+v, %v; the server has %d messages", again, err, len(srv.Messages()))
	}

	// The run is sealed: what the send reads may not change.
	cfg2 := cfg
	c := *cfg.Campaign
	c.Clustering.K = FixedK(5)
	cfg2.Campaign = &c
	if _, err := Run(context.Background(), cfg2); !errors.Is(err, ErrSealed) {
		t.Errorf("a run that reclusters a sent month: %v, want ErrSealed", err)
	}
	// The report and the outbox may still be made again.
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Errorf("a run that changes nothing a send reads: %v", err)
	}
}

// startSMTP starts a test SMTP server, closed when the test ends.
func startSMTP(t *testing.T, opts smtptest.Options) *smtptest.Server {
	t.Helper()
	srv, err := smtptest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// received returns the data of the message the server accepted for rcpt.
func received(srv *smtptest.Server, rcpt string) []byte {
	for _, m := range srv.Messages() {
		for _, to := range m.To {
			if to == rcpt {
				return m.Data
			}
		}
	}
	return nil
}

// TestSendRefusesWithoutSecret checks that a real send does not start with
// unsubscribe links anyone could forge.
func TestSendRefusesWithoutSecret(t *testing.T) {
	srv := startSMTP(t, smtptest.Options{})
	cfg := sendCampaign(t, srv, 1)
	run := mustRun(t, cfg)
	sc := sendConfig(cfg, run.Dir)
	sc.Getenv = func(string) string { return "" }
	_, err := Send(context.Background(), sc)
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), DefaultSecretEnv) {
		t.Errorf("Send without a secret: %v", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("%d messages sent", len(srv.Messages()))
	}
}

// TestSendPauses checks that a relay that defers everything pauses the
// send, resumably, and that the next send finishes it.
func TestSendPauses(t *testing.T) {
	srv := startSMTP(t, smtptest.Options{Faults: smtptest.Faults{Seed: 1, TempRcpt: 1}})
	cfg := sendCampaign(t, srv, 2)
	c := *cfg.Campaign
	c.Send.PauseShare, c.Send.PauseWindow = 0.05, 100
	cfg.Campaign = &c
	run := mustRun(t, cfg)
	_, err := Send(context.Background(), sendConfig(cfg, run.Dir))
	if !IsPaused(err) {
		t.Fatalf("Send through a relay that defers everything: %v, want paused", err)
	}
	srv.Close()
	srv2 := startSMTP(t, smtptest.Options{})
	// The same run, the relay back on another port, as the campaign
	// file now says.
	c.SMTP = []SMTPConfig{{Host: "127.0.0.1", Port: srv2.Port(), TLS: "none", ThrottleWait: "1ms"}}
	res, err := Send(context.Background(), SendConfig{RunDir: run.Dir, Getenv: cfg.Getenv, Delivery: &c})
	if err != nil {
		t.Fatalf("resumed send: %v", err)
	}
	if res.Totals[send.Sent] != run.Audience.Mail || res.Totals[send.Deferred] != 0 {
		t.Errorf("after the resumed send: %v", res.Totals)
	}
}

// TestUnsubscribeHonoured unsubscribes a recipient through the one-click
// endpoint over real HTTP, with the link the message carries: the send
// that follows leaves them out; a forged link changes nothing.
func TestUnsubscribeHonoured(t *testing.T) {
	srv := startSMTP(t, smtptest.Options{})
	cfg := sendCampaign(t, srv, 2)
	run := mustRun(t, cfg)
	list, err := suppress.OpenAppender(suppress.Path(cfg.OutRoot, cfg.Campaign.Name))
	if err != nil {
		t.Fatal(err)
	}
	defer list.Close()
	web := httptest.NewServer(unsubscribe.New(unsubscribe.Config{Campaign: cfg.Campaign.Name, Secret: "test-secret", List: list}))
	defer web.Close()
	index := readCSV(t, filepath.Join(run.Dir, "outbox", "index.csv"))
	quitter, stayer := index[1], index[2]
	post := func(id, secret string) int {
		link, err := render.UnsubscribeURL(web.URL+"/u", secret, cfg.Campaign.Name, id)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(quitter[1], "test-secret"); code != http.StatusOK {
		t.Fatalf("one-click POST: %d", code)
	}
	if code := post(stayer[1], "forged"); code != http.StatusBadRequest {
		t.Fatalf("forged POST: %d, want 400", code)
	}
	// The next run leaves the unsubscribed out of the outbox and the
	// samples.
	again := mustRun(t, cfg)
	if !slices.Contains(again.Ran, "outbox") || slices.Contains(again.Ran, "cluster") {
		t.Errorf("after an unsubscribe the run ran %v, want the samples and outbox again", again.Ran)
	}
	for _, rec := range readCSV(t, filepath.Join(run.Dir, "outbox", "index.csv"))[1:] {
		if rec[1] == quitter[1] {
			t.Errorf("the unsubscribed %s is still in the outbox", quitter[1])
		}
	}
	if _, err := Send(context.Background(), sendConfig(cfg, run.Dir)); err != nil {
		t.Fatal(err)
	}
	rows := ledgerRows(t, run.Dir)
	if e := rows[quitter[1]]; e.State != send.Suppressed || srv.Received(quitter[2]) != 0 {
		t.Errorf("the unsubscribed %s: %s (%s), %d messages", quitter[1], e.State, e.Reason, srv.Received(quitter[2]))
	}
	if e := rows[stayer[1]]; e.State != send.Sent || srv.Received(stayer[2]) != 1 {
		t.Errorf("%s, whose unsubscribe was forged: %s, %d messages", stayer[1], e.State, srv.Received(stayer[2]))
	}
}

// TestProof sends proofs of two variants to two test addresses: each is
// personalized for the variant's sample recipient, marked [TEST], has its
// own Message-ID, and is recorded in proofs.csv; the ledger knows nothing
// of it and the run is not sealed.
func TestProof(t *testing.T) {
	srv := startSMTP(t, smtptest.Options{})
	cfg := sendCampaign(t, srv, 1)
	run := mustRun(t, cfg)
	res, err := Proof(context.Background(), ProofConfig{RunDir: run.Dir, To: []string{"me@example.org", "designer@example.org"},
		Variants: []string{"v0001", "v0004"}, Getenv: cfg.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sent) != 2 || len(srv.Messages()) != 2 {
		t.Fatalf("proofs %+v, server %d messages", res.Sent, len(srv.Messages()))
	}
	for i, p := range res.Sent {
		m := srv.Messages()[i]
		meta := readMeta(t, run.Dir, p.Variant)
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if p.Outcome.State != send.Sent || p.Recipient != meta.Sample.Recipient || !slices.Equal(m.To, []string{"me@example.org", "designer@example.org"}) {
			t.Errorf("proof %+v to %v; the sample is %s's", p, m.To, meta.Sample.Recipient)
		}
		if subj := msg.Header.Get("Subject"); subj != "[TEST] "+meta.Sample.Subject {
			t.Errorf("subject %q, want [TEST] %q", subj, meta.Sample.Subject)
		}
		if id := msg.Header.Get("Message-Id"); id != p.MessageID || id == meta.Sample.MessageID {
			t.Errorf("Message-ID %q (proof %q, real %q)", id, p.MessageID, meta.Sample.MessageID)
		}
	}
	proofs := readCSV(t, filepath.Join(run.Dir, ProofFile))
	if len(proofs) != 3 || proofs[1][1] != "v0001" || proofs[2][5] != "sent" {
		t.Errorf("proofs.csv %v", proofs)
	}
	if _, err := os.Stat(filepath.Join(run.Dir, LedgerFile)); err == nil {
		t.Error("a proof made a send ledger")
	}
	c := *cfg.Campaign
	c.Clustering.K = FixedK(5)
	cfg.Campaign = &c
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Errorf("a run after proofs only: %v", err)
	}
	if _, err := Proof(context.Background(), ProofConfig{RunDir: run.Dir, To: []string{"me@example.org"}, Variants: []string{"v9999"}}); !errors.Is(err, ErrConfig) {
		t.Errorf("an unknown variant: %v", err)
	}
}

// TestResendWave sends a month, then a resend wave of it with changed
// newsletters: the wave runs into a directory of its own although the
// month is sealed, and its messages have Message-IDs of their own.
func TestResendWave(t *testing.T) {
	srv := startSMTP(t, smtptest.Options{})
	cfg := sendCampaign(t, srv, 2)
	cfg.Outbox = OutboxNone
	first := mustRun(t, cfg)
	if _, err := Send(context.Background(), sendConfig(cfg, first.Dir)); err != nil {
		t.Fatal(err)
	}
	sent := len(srv.Messages())
	c := *cfg.Campaign
	c.Clustering.K = FixedK(8)
	cfg.Campaign = &c
	if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrSealed) || !strings.Contains(err.Error(), "--resend-as") {
		t.Fatalf("a changed run of the sent month: %v", err)
	}
	cfg.Wave = "w2"
	wave := mustRun(t, cfg)
	if filepath.Base(wave.Dir) != "2026-10-w2" || wave.Variants != 8 {
		t.Fatalf("wave in %s with %d variants", wave.Dir, wave.Variants)
	}
	if _, err := Send(context.Background(), sendConfig(cfg, wave.Dir)); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 2*sent {
		t.Fatalf("%d messages after the wave, %d before", len(msgs), sent)
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		id := msg.Header.Get("Message-Id")
		if ids[id] {
			t.Fatalf("Message-ID %s twice", id)
		}
		ids[id] = true
	}
}

// The campaign's relays reach the sender as written: limits, the throttle
// wait, pipelining.
func TestRelaysFromTheCampaign(t *testing.T) {
	cfg := quickstartConfig(t)
	c := *cfg.Campaign
	off := false
	c.SMTP = []SMTPConfig{
		{Name: "primary", Host: "smtp.example.com", Connections: 6, MessagesPerConnection: 40, Rate: 12.5, PerHour: 9000, PerDomain: 2, ThrottleWait: "2s"},
		{Host: "127.0.0.1", Port: 2525, TLS: "none", Pipelining: &off},
	}
	cfg.Campaign = &c
	r, err := newRun(cfg)
	if err != nil {
		t.Fatal(err)
	}
	relays, err := r.relays(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := relays[0], relays[1]
	if a.Name != "primary" || a.Connections != 6 || a.PerConnection != 40 || a.Rate != 12.5 || a.PerHour != 9000 ||
		a.PerDomain != 2 || a.SlowDown != 2*time.Second || a.NoPipelining {
		t.Errorf("first relay %+v", a)
	}
	if b.Host != "127.0.0.1" || b.Port != 2525 || b.TLS != "none" || !b.NoPipelining {
		t.Errorf("second relay %+v", b)
	}
}
