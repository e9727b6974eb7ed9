package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/variants"
)

// sampleMessage is a variant's sample.eml as a mail client reads it.
type sampleMessage struct {
	raw    []byte
	header mail.Header
	to     *mail.Address
	// parts maps each part's content type to its decoded body.
	parts map[string]string
	// types lists the parts' content types in order.
	types []string
}

// readSample parses a sample.eml with net/mail and mime/multipart.
func readSample(t *testing.T, path string) sampleMessage {
	t.Helper()
	s := sampleMessage{raw: readFile(t, path), parts: map[string]string{}}
	msg, err := mail.ReadMessage(bytes.NewReader(s.raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s.header = msg.Header
	if s.to, err = mail.ParseAddress(msg.Header.Get("To")); err != nil {
		t.Fatalf("%s: To: %v", path, err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("%s: content type %q, %v; want multipart/alternative", path, mt, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body, err := io.ReadAll(p) // multipart decodes quoted-printable
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		s.types = append(s.types, ct)
		s.parts[ct] = string(body)
	}
	return s
}

// readMeta reads a variant's meta.json.
func readMeta(t *testing.T, dir, id string) variantMeta {
	t.Helper()
	var m variantMeta
	if err := rundir.ReadJSON(filepath.Join(dir, rundir.VariantsDir, id, "meta.json"), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// readCSV reads a CSV file whole, header included.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// firstMailable returns, per variant, the most representative of the
// cardholders of assignments.csv whose mail status is "mail": the one
// whose share of wallet per interest is nearest the mean of theirs, the
// first in input order of those as near.
func firstMailable(t *testing.T, dir string) map[string]string {
	t.Helper()
	shares := map[string][]float64{}
	for _, p := range runProfiles(t, dir) {
		shares[p.ID] = p.Shares
	}
	members := map[string][]string{}
	for _, rec := range readCSV(t, filepath.Join(dir, rundir.AssignmentsFile))[1:] {
		if rec[2] != "" && rec[3] == "mail" {
			members[rec[2]] = append(members[rec[2]], rec[0])
		}
	}
	out := map[string]string{}
	for v, ids := range members {
		var mean []float64
		for _, id := range ids {
			if mean == nil {
				mean = make([]float64, len(shares[id]))
			}
			for i, x := range shares[id] {
				mean[i] += x
			}
		}
		for i := range mean {
			mean[i] /= float64(len(ids))
		}
		best, bestD := "", math.Inf(1)
		for _, id := range ids {
			d := 0.0
			for i, x := range shares[id] {
				d += (x - mean[i]) * (x - mean[i])
			}
			if d < bestD {
				best, bestD = id, d
			}
		}
		out[v] = best
	}
	return out
}

// outboxFiles maps the cardholders of outbox/index.csv to their files.
func outboxFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rec := range readCSV(t, filepath.Join(dir, rundir.OutboxDir, "index.csv"))[1:] {
		out[rec[1]] = filepath.Join(dir, rundir.OutboxDir, filepath.FromSlash(rec[4]))
	}
	return out
}

// samplesMatchOutbox checks that every variant's sample addressed to a
// cardholder the outbox has a message for is that message, byte for byte,
// and returns how many it compared.
func samplesMatchOutbox(t *testing.T, dir string, plan variants.Plan) int {
	t.Helper()
	files := outboxFiles(t, dir)
	n := 0
	for _, v := range plan.Variants {
		meta := readMeta(t, dir, v.ID)
		eml, ok := files[meta.Sample.Recipient]
		if meta.Sample.Preview || !ok {
			continue
		}
		if !bytes.Equal(readFile(t, filepath.Join(dir, rundir.VariantsDir, v.ID, send.SampleFile)), readFile(t, eml)) {
			t.Errorf("%s: sample.eml differs from the outbox's %s", v.ID, eml)
		}
		n++
	}
	return n
}

// inputEmails maps the cardholder ids of a cardholders CSV to their
// email addresses (the first row of an id, as ingest keeps it).
func inputEmails(t *testing.T, path string) map[string]string {
	t.Helper()
	recs := readCSV(t, path)
	id, email := slices.Index(recs[0], "cardholder_id"), slices.Index(recs[0], "email")
	out := map[string]string{}
	for _, rec := range recs[1:] {
		if _, dup := out[rec[id]]; !dup {
			out[rec[id]] = rec[email]
		}
	}
	return out
}

// TestVariantSamples runs the quickstart in both outbox modes that write
// messages and checks every variant's four files: meta.json carries the
// variant's facts and names its sample's recipient, the first mailable
// cardholder of the variant in input order; sample.eml is a multipart
// message to that cardholder, and the very file the outbox holds for them.
func TestVariantSamples(t *testing.T) {
	emails := inputEmails(t, filepath.Join(filepath.Dir(quickstart), "cardholders.csv"))
	for _, mode := range []string{OutboxSamples, OutboxAll} {
		t.Run(mode, func(t *testing.T) {
			cfg := quickstartConfig(t)
			cfg.Outbox = mode
			res := mustRun(t, cfg)
			var plan variants.Plan
			if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.PlanFile), &plan); err != nil {
				t.Fatal(err)
			}
			var cf segment.File
			if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.ClustersFile), &cf); err != nil {
				t.Fatal(err)
			}
			first := firstMailable(t, res.Dir)
			if len(plan.Variants) != 12 {
				t.Fatalf("%d variants, want 12", len(plan.Variants))
			}
			for _, v := range plan.Variants {
				vdir := filepath.Join(res.Dir, rundir.VariantsDir, v.ID)
				for _, f := range []string{"index.html", "index.txt", "meta.json", send.SampleFile} {
					if _, err := os.Stat(filepath.Join(vdir, f)); err != nil {
						t.Errorf("%s: %v", v.ID, err)
					}
				}
				raw := readFile(t, filepath.Join(vdir, "meta.json"))
				var keys map[string]json.RawMessage
				if err := json.Unmarshal(raw, &keys); err != nil {
					t.Fatalf("%s: meta.json: %v", v.ID, err)
				}
				for _, k := range []string{"id", "cluster", "size", "eligible", "label", "blocks", "subject", "preheader",
					"interests", "tier", "tier_share", "relationship", "relationship_share", "sample"} {
					if _, ok := keys[k]; !ok {
						t.Errorf("%s: meta.json lacks %q", v.ID, k)
					}
				}
				meta := readMeta(t, res.Dir, v.ID)
				c := cf.Clusters[v.Cluster]
				if meta.Cluster != c.ID || meta.Size != c.Size || meta.Eligible != c.Eligible || meta.Label != c.Label ||
					meta.Tier != c.Tier || meta.TierShare != c.TierShare ||
					meta.Relationship != c.Relationship || meta.RelationshipShare != c.RelationshipShare {
					t.Errorf("%s: meta.json %+v does not match cluster %+v", v.ID, meta, c.Cluster)
				}
				if !slices.Equal(meta.Blocks, v.Blocks) || meta.Subject != v.Subject || meta.Preheader != v.Preheader ||
					!slices.Equal(meta.Interests, v.Interests) || len(meta.Interests) == 0 {
					t.Errorf("%s: meta.json %+v does not match the plan %+v", v.ID, meta.Variant, v)
				}

				want := first[v.ID]
				if want == "" {
					t.Fatalf("%s: no mailable cardholder in assignments.csv", v.ID)
				}
				s := meta.Sample
				if s.Recipient != want || s.Preview || s.Skipped != 0 || s.File != send.SampleFile {
					t.Errorf("%s: sample %+v, want one to %s", v.ID, s, want)
				}
				msg := readSample(t, filepath.Join(vdir, send.SampleFile))
				if msg.to.Address != emails[want] {
					t.Errorf("%s: sample to %s, want %s's %s", v.ID, msg.to.Address, want, emails[want])
				}
				if !slices.Equal(msg.types, []string{"text/plain", "text/html"}) {
					t.Errorf("%s: sample parts %v, want text/plain then text/html", v.ID, msg.types)
				}
				greeting := "Hello " + strings.Fields(msg.to.Name)[0]
				if !strings.Contains(msg.parts["text/plain"], greeting) || !strings.Contains(msg.parts["text/html"], greeting) {
					t.Errorf("%s: sample does not greet its recipient (%q)", v.ID, greeting)
				}
				subject, _ := new(mime.WordDecoder).DecodeHeader(msg.header.Get("Subject"))
				if subject != s.Subject || msg.header.Get("Message-Id") != s.MessageID || s.MessageID == "" ||
					msg.header.Get("X-Tailor-Variant") != v.ID {
					t.Errorf("%s: sample headers %v do not match meta.json's %+v", v.ID, msg.header, s)
				}
				if !strings.Contains(msg.header.Get("List-Unsubscribe"), "id="+want) {
					t.Errorf("%s: List-Unsubscribe %q is not the recipient's", v.ID, msg.header.Get("List-Unsubscribe"))
				}
			}
			if n := samplesMatchOutbox(t, res.Dir, plan); n != len(plan.Variants) {
				t.Errorf("%d samples compared with the outbox, want all %d", n, len(plan.Variants))
			}
		})
	}
}

// sampleCampaign writes a small campaign: diners who may be mailed and
// grocery shoppers who gave no consent, so that k = 2 gives one variant
// with mailable cardholders and one without. The first diner's row carries
// a card number (ingest refuses it) and the second diner's name cannot be
// carried by a mail header (the outbox refuses them).
func sampleCampaign(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	var holders, txs strings.Builder
	holders.WriteString("cardholder_id,first_name,last_name,email,marketing_consent,note\n")
	txs.WriteString("cardholder_id,posted_on,amount,mcc,merchant\n")
	for i := 1; i <= 8; i++ {
		for _, g := range []struct {
			prefix, consent, mcc, merchant string
		}{{"D", "yes", "5812", "Olive & Thyme Bistro"}, {"G", "no", "5411", "Green Basket Market"}} {
			id := fmt.Sprintf("%s%02d", g.prefix, i)
			first, ref := "Robin", "REF"+id
			switch id {
			case "D01":
				ref = "4111 1111 1111 1111"
			case "D02":
				first = `Zoë \`
			}
			fmt.Fprintf(&holders, "%s,%s,Lee,%s@example.com,%s,%s\n", id, first, strings.ToLower(id), g.consent, ref)
			for m := 1; m <= 10; m++ {
				fmt.Fprintf(&txs, "%s,2026-%02d-1%d,%d.50,%s,%s\n", id, m, i%10, 20+i+m, g.mcc, g.merchant)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "cardholders.csv"), []byte(holders.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "transactions.csv"), []byte(txs.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := ParseCampaign("samples.toml", []byte(`name = "samples"
month = "2026-10"
[inputs]
cardholders = "cardholders.csv"
transactions = "transactions.csv"
error_budget = 0.5
[clustering]
k = 2
[sender]
name = "Meridian Card"
from = "Meridian Card <news@meridian.example.com>"
postal_address = "Meridian Card Services, 200 Vesey Street, New York, NY 10285"
unsubscribe_url = "https://meridian.example.com/unsubscribe"
[mail]
outbox = "all"
refusal_budget = 0.5
`))
	if err != nil {
		t.Fatal(err)
	}
	return Config{Campaign: c, CampaignDir: dir, OutRoot: t.TempDir(), Version: "test",
		Getenv: func(string) string { return "sample-secret" }}
}

// TestSampleWithoutEligibleRecipient checks the variant no cardholder may
// be mailed in: its sample goes to the previews' sample recipient and
// meta.json says so. In the other variant, the refused cardholder is
// passed over, and the cardholder whose row held a card number is nowhere.
func TestSampleWithoutEligibleRecipient(t *testing.T) {
	res := mustRun(t, sampleCampaign(t))
	assigned, err := readAssignments(filepath.Join(res.Dir, rundir.AssignmentsFile))
	if err != nil {
		t.Fatal(err)
	}
	diners, shoppers := assigned["D03"], assigned["G01"]
	if diners == "" || shoppers == "" || diners == shoppers {
		t.Fatalf("diners in %q, shoppers in %q: want two variants", diners, shoppers)
	}
	if _, ok := assigned["D01"]; ok {
		t.Fatal("the cardholder whose row holds a card number was accepted")
	}

	t.Run("no eligible recipient", func(t *testing.T) {
		meta := readMeta(t, res.Dir, shoppers)
		preview := render.SampleRecipient()
		if meta.Eligible != 0 || !meta.Sample.Preview || meta.Sample.Recipient != preview.ID || meta.Sample.Skipped != 0 {
			t.Errorf("meta.json eligible %d, sample %+v; want the preview recipient", meta.Eligible, meta.Sample)
		}
		msg := readSample(t, filepath.Join(res.Dir, rundir.VariantsDir, shoppers, send.SampleFile))
		if msg.to.Address != preview.Email || !strings.Contains(msg.parts["text/plain"], "Hello "+preview.FirstName) {
			t.Errorf("sample to %s, want %s greeted by name", msg.to, preview.Email)
		}
		if !slices.Equal(msg.types, []string{"text/plain", "text/html"}) {
			t.Errorf("sample parts %v", msg.types)
		}
		if _, err := os.Stat(filepath.Join(res.Dir, rundir.OutboxDir, shoppers)); !os.IsNotExist(err) {
			t.Errorf("the outbox has messages for a variant nobody may be mailed in: %v", err)
		}
	})

	t.Run("refused recipient passed over", func(t *testing.T) {
		meta := readMeta(t, res.Dir, diners)
		if meta.Sample.Recipient != "D03" || meta.Sample.Preview || meta.Sample.Skipped != 1 {
			t.Errorf("sample %+v, want D03 after one refused cardholder", meta.Sample)
		}
		refused := readCSV(t, filepath.Join(res.Dir, rundir.OutboxDir, "refused.csv"))
		if len(refused) != 2 || refused[1][1] != "D02" {
			t.Errorf("refused.csv = %q, want D02", refused)
		}
		sample := readFile(t, filepath.Join(res.Dir, rundir.VariantsDir, diners, send.SampleFile))
		if !bytes.Equal(sample, readFile(t, filepath.Join(res.Dir, rundir.OutboxDir, diners, "D03.eml"))) {
			t.Error("sample.eml differs from the outbox's D03.eml")
		}
	})

	t.Run("no card number", func(t *testing.T) {
		for _, v := range []string{diners, shoppers} {
			eml := readSample(t, filepath.Join(res.Dir, rundir.VariantsDir, v, send.SampleFile))
			all := string(eml.raw) + eml.parts["text/plain"] + eml.parts["text/html"]
			for _, bad := range []string{"4111 1111 1111 1111", "4111111111111111", "D01"} {
				if strings.Contains(all, bad) {
					t.Errorf("%s: sample.eml holds %q", v, bad)
				}
			}
		}
	})
}

// TestRenderKeyFollowsSamples changes, one step after the other, each
// setting a sample message depends on, and settings it does not: the
// render stage runs again exactly when the sample changes, and the outbox
// is not redone for nothing. The signing secret never reaches an event or
// the manifest.
func TestRenderKeyFollowsSamples(t *testing.T) {
	cfg := quickstartConfig(t)
	secret := "test-secret"
	cfg.Getenv = func(k string) string {
		if k == DefaultSecretEnv {
			return secret
		}
		return ""
	}
	var events []Event
	cfg.Events = func(e Event) { events = append(events, e) }
	c := *cfg.Campaign
	cfg.Campaign = &c
	res := mustRun(t, cfg)
	var plan variants.Plan
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	samplePath := filepath.Join(res.Dir, rundir.VariantsDir, "v0001", send.SampleFile)
	fromRender := []string{"render", "fit", "report", "outbox"}
	steps := []struct {
		name   string
		change func()
		ran    []string
		// shows is in the sample after the step; "" when the sample stays
		// as it was.
		shows string
		// warns says the render stage warns that the secret is not set.
		warns bool
	}{
		{"nothing", func() {}, nil, "", false},
		{"reply-to", func() { c.Sender.ReplyTo = "care@meridian.example.com" }, fromRender, "Reply-To: <care@meridian.example.com>", false},
		{"unsubscribe url", func() { c.Sender.UnsubscribeURL = "https://meridian.example.com/u" }, fromRender, "<https://meridian.example.com/u?", false},
		{"sender name", func() { c.Sender.Name = "Meridian Rewards" }, fromRender, "Meridian Rewards", false},
		{"mail date", func() { c.Mail.Date = "2026-11-03T08:30:00Z" }, fromRender, "Date: Tue, 03 Nov 2026 08:30:00 +0000", false},
		{"other secret", func() { secret = "rotated-secret" }, fromRender, "List-Unsubscribe", false},
		{"no secret", func() { secret = "" }, fromRender, "List-Unsubscribe", true},
		{"secret again", func() { secret = "rotated-secret" }, fromRender, "List-Unsubscribe", false},
		{"sample count", func() { c.Mail.Samples = 2 }, []string{"outbox"}, "", false},
		{"outbox mode", func() { cfg.Outbox = OutboxAll }, []string{"outbox"}, "", false},
	}
	secrets := []string{secret, "tailor-unsigned:" + c.Name}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := readFile(t, samplePath)
			st.change()
			if secret != "" {
				secrets = append(secrets, secret)
			}
			seen := len(events)
			res := mustRun(t, cfg)
			if !slices.Equal(res.Ran, st.ran) {
				t.Errorf("ran %v, want %v", res.Ran, st.ran)
			}
			warned := slices.ContainsFunc(events[seen:], func(e Event) bool {
				return e.Stage == "render" && e.State == "warn" && strings.Contains(e.Message, DefaultSecretEnv)
			})
			if warned != st.warns {
				t.Errorf("render warned of the secret: %v, want %v", warned, st.warns)
			}
			after := readFile(t, samplePath)
			if st.shows == "" && !bytes.Equal(before, after) {
				t.Error("the sample changed")
			}
			if st.shows != "" && (bytes.Equal(before, after) || !bytes.Contains(after, []byte(st.shows))) {
				t.Errorf("the sample did not change to show %q", st.shows)
			}
			if n := samplesMatchOutbox(t, res.Dir, plan); n != len(plan.Variants) {
				t.Errorf("%d samples compared with the outbox, want %d", n, len(plan.Variants))
			}
		})
	}
	manifest := readFile(t, filepath.Join(res.Dir, rundir.ManifestFile))
	for _, s := range secrets {
		if bytes.Contains(manifest, []byte(s)) {
			t.Errorf("the manifest holds the secret %q", s)
		}
		for _, e := range events {
			if strings.Contains(e.Message, s) || strings.Contains(fmt.Sprint(e.Counts), s) {
				t.Errorf("event %+v holds the secret %q", e, s)
			}
		}
	}
}

// TestRenderWritesSamples renders a run again after a block edit, as
// tailor render does: every variant's sample shows the edit, and after the
// next run redoes the outbox, the samples are still the outbox's messages.
func TestRenderWritesSamples(t *testing.T) {
	cfg, tdir := templateCampaign(t)
	first := mustRun(t, cfg)
	editFile(t, filepath.Join(tdir, "blocks", "intro-greeting.md"), "Here are this month's picks", "Here are this month's freshly tailored picks")
	if err := os.Remove(filepath.Join(first.Dir, rundir.VariantsDir, "v0002", send.SampleFile)); err != nil {
		t.Fatal(err)
	}
	mustRender(t, renderConfig(cfg, first.Dir))
	var plan variants.Plan
	if err := rundir.ReadJSON(filepath.Join(first.Dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	for _, v := range plan.Variants {
		msg := readSample(t, filepath.Join(first.Dir, rundir.VariantsDir, v.ID, send.SampleFile))
		for _, ct := range []string{"text/plain", "text/html"} {
			if !strings.Contains(msg.parts[ct], "freshly tailored picks") {
				t.Errorf("%s: the sample's %s part does not show the edit", v.ID, ct)
			}
		}
		if meta := readMeta(t, first.Dir, v.ID); meta.Sample.Preview {
			t.Errorf("%s: sample addressed to the preview recipient", v.ID)
		}
	}
	again := mustRun(t, cfg)
	if !slices.Equal(again.Ran, []string{"fit", "report", "outbox"}) {
		t.Errorf("the run after Render ran %v, want fit, report and outbox", again.Ran)
	}
	if n := samplesMatchOutbox(t, first.Dir, plan); n != len(plan.Variants) {
		t.Errorf("%d samples compared with the outbox, want %d", n, len(plan.Variants))
	}
}

// TestSampleKeyHidesTheSecret checks that the render stage's key changes
// with the secret but that no part of it is the secret.
func TestSampleKeyHidesTheSecret(t *testing.T) {
	tests := []struct {
		name   string
		secret string
	}{
		{"unset", ""},
		{"set", "test-secret"},
		{"other", "rotated-secret"},
	}
	keys := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := quickstartConfig(t)
			cfg.Getenv = func(string) string { return tt.secret }
			r, err := newRun(cfg)
			if err != nil {
				t.Fatal(err)
			}
			parts := fmt.Sprint(r.sampleKey()...)
			if tt.secret != "" && strings.Contains(parts, tt.secret) {
				t.Errorf("the sample key %q holds the secret", parts)
			}
			if strings.Contains(parts, r.signingSecret()) {
				t.Errorf("the sample key %q holds the signing key", parts)
			}
			if err := r.loadTemplates(); err != nil {
				t.Fatal(err)
			}
			stages := r.stages(&outcomes{})
			r.setKeys(stages, map[string]string{})
			for _, st := range stages {
				if st.name == "render" {
					keys[tt.name] = st.key
				}
			}
		})
	}
	if keys["unset"] == keys["set"] || keys["set"] == keys["other"] || keys["unset"] == keys["other"] {
		t.Errorf("render keys %v: want one per secret", keys)
	}
}

// TestSamplesRenderedOnce checks that a run with the outbox off still
// writes every sample, to a real cardholder, and that a second run keeps
// them.
func TestSamplesRenderedOnce(t *testing.T) {
	cfg := quickstartConfig(t)
	cfg.Outbox = OutboxNone
	res := mustRun(t, cfg)
	first := firstMailable(t, res.Dir)
	files := 0 // the variants' files: 4 each, and readers.json with more than one reader
	for v, id := range first {
		meta := readMeta(t, res.Dir, v)
		if meta.Sample.Recipient != id {
			t.Errorf("%s: sample to %q, want %s", v, meta.Sample.Recipient, id)
		}
		files += 4
		if len(meta.Readers) > 1 {
			files++
		}
	}
	before := modTimes(t, filepath.Join(res.Dir, rundir.VariantsDir))
	again := mustRun(t, cfg)
	if len(again.Ran) != 0 {
		t.Errorf("second run ran %v", again.Ran)
	}
	after := modTimes(t, filepath.Join(res.Dir, rundir.VariantsDir))
	if len(before) != files || len(after) != len(before) {
		t.Errorf("%d files under variants/, then %d; want %d", len(before), len(after), files)
	}
	for p, mt := range before {
		if !after[p].Equal(mt) {
			t.Errorf("%s was rewritten", p)
		}
	}
	// The render stage's outputs are the same with and without an outbox.
	withOutbox := mustRun(t, quickstartConfig(t))
	h1, _ := treeHash(t, filepath.Join(res.Dir, rundir.VariantsDir))
	h2, _ := treeHash(t, filepath.Join(withOutbox.Dir, rundir.VariantsDir))
	if h1 != h2 {
		t.Error("variants/ depends on the outbox mode")
	}
}
