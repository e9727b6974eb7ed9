package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tailor-mail/tailor/pipeline/report"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
	"github.com/tailor-mail/tailor/variants"
)

// fewBlocksCampaign returns the quickstart with every message in the
// outbox and a template set that has little to choose from: one interest
// block and the two defaults, each with one subject and one preheader,
// so that many clusters plan the same newsletter. readLabel makes a block
// read the cluster's label without writing it (the messages are the same
// bytes), which keeps every variant a newsletter of its own.
func fewBlocksCampaign(t *testing.T, readLabel bool) Config {
	t.Helper()
	cfg, dir := templateCampaign(t)
	cfg.Outbox = OutboxAll
	blocks := filepath.Join(dir, "blocks")
	entries, err := os.ReadDir(blocks)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(blocks, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("\ninterests = ")) && e.Name() != "dining-table.md" {
			if err := os.Remove(filepath.Join(blocks, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	one := func(name, subjects, preheaders string) {
		p := filepath.Join(blocks, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, key := range []struct{ key, value string }{{"subjects", subjects}, {"preheaders", preheaders}} {
			i := strings.Index(s, key.key+" = [")
			j := i + strings.Index(s[i:], "]\n")
			if i < 0 || j < i {
				t.Fatalf("%s: no %s list", name, key.key)
			}
			s = s[:i] + key.key + " = [" + key.value + "]" + s[j+1:]
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	one("dining-table.md", `"Tables worth booking"`, `"4x points at restaurants."`)
	one("default-benefits.md", `"The benefits in your wallet"`, `"Protection, points and perks."`)
	one("default-security.md", `"Keep your card safe"`, `"Alerts and a card lock."`)
	if readLabel {
		editFile(t, filepath.Join(blocks, "closing-signoff.md"), "+++\nThank you", "+++\n{{ if .Variant.Label }}{{ end }}Thank you")
	}
	return cfg
}

// whySpending is the sentence of "why you got this" that names the
// reader's spending, or says they have none the picks follow.
var whySpending = regexp.MustCompile(`(?s)this month’s picks\s.*?\.`)

// TestSharedNewsletters runs a campaign whose clusters plan few distinct
// newsletters: the clusters with the same plan share one variant, which
// is rendered, audited, written to the outbox and sent once, as the first
// of them; every cardholder reads byte for byte the message they read
// when each cluster had its own (but for the variant's id); the counts,
// the workbook and the ledger say so.
func TestSharedNewsletters(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	shared := fewBlocksCampaign(t, false)
	c := *shared.Campaign
	c.SMTP = []SMTPConfig{{Host: "127.0.0.1", Port: srv.Port(), TLS: "none", Connections: 2, ThrottleWait: "1ms"}}
	c.Send = SendingConfig{RetryBase: "1ms", RetryMax: "20ms", MaxAttempts: 3, PauseShare: 1}
	shared.Campaign = &c
	res := mustRun(t, shared)
	var plan variants.Plan
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	groups := plan.Distinct()
	if len(groups) >= len(plan.Variants) || len(groups) < 2 {
		t.Fatalf("%d variants make %d distinct newsletters: the test wants some, not all, shared", len(plan.Variants), len(groups))
	}
	if res.Distinct != len(groups) || res.Variants != len(plan.Variants) {
		t.Errorf("result: %d variants, %d distinct; want %d, %d", res.Variants, res.Distinct, len(plan.Variants), len(groups))
	}
	// Each group: its first variant stands, the others are the same as it.
	newsletterOf := map[string]string{}
	var own []string
	for _, g := range groups {
		first := plan.Variants[g[0]]
		own = append(own, first.ID)
		if first.SameAs != "" {
			t.Errorf("%s, the first of its group, is the same as %s", first.ID, first.SameAs)
		}
		var also []string
		for _, i := range g {
			v := plan.Variants[i]
			newsletterOf[v.ID] = first.ID
			if i != g[0] {
				also = append(also, v.ID)
				if v.SameAs != first.ID {
					t.Errorf("%s: same_as %q, want %s", v.ID, v.SameAs, first.ID)
				}
			}
		}
		if !slices.Equal(first.Also, also) {
			t.Errorf("%s: also %q, want %q", first.ID, first.Also, also)
		}
	}
	// Only the newsletters are rendered, each with its whole audience.
	entries, err := os.ReadDir(filepath.Join(res.Dir, rundir.VariantsDir))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		dirs = append(dirs, e.Name())
	}
	if !slices.Equal(dirs, own) {
		t.Errorf("variants/ holds %q, want the newsletters %q", dirs, own)
	}
	for _, g := range groups {
		var m variantMeta
		id := plan.Variants[g[0]].ID
		if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.VariantsDir, id, rundir.VariantMeta), &m); err != nil {
			t.Fatal(err)
		}
		size, eligible := 0, 0
		for _, i := range g {
			size += plan.Variants[i].Size
			eligible += plan.Variants[i].Eligible
		}
		if m.Size != size || m.Eligible != eligible {
			t.Errorf("%s: meta.json size %d, eligible %d; want %d and %d, its group's", id, m.Size, m.Eligible, size, eligible)
		}
	}

	// The same campaign, its templates reading each cluster's label: no
	// newsletter is shared.
	apart := fewBlocksCampaign(t, true)
	resApart := mustRun(t, apart)
	var planApart variants.Plan
	if err := rundir.ReadJSON(filepath.Join(resApart.Dir, rundir.PlanFile), &planApart); err != nil {
		t.Fatal(err)
	}
	if resApart.Distinct != len(planApart.Variants) || len(planApart.Newsletters().Variants) != len(planApart.Variants) {
		t.Errorf("templates that read the label: %d distinct of %d variants, want none shared", resApart.Distinct, len(planApart.Variants))
	}
	if len(planApart.Variants) != len(plan.Variants) {
		t.Fatalf("%d variants apart, %d shared", len(planApart.Variants), len(plan.Variants))
	}

	// Every mailable cardholder gets one message in either run, from
	// their cluster's newsletter, the same bytes but for the variant id.
	f, err := os.Open(filepath.Join(res.Dir, rundir.AssignmentsFile))
	if err != nil {
		t.Fatal(err)
	}
	assigned, err := segment.ReadAssignments(f, rundir.AssignmentsFile)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	messages, sharedOnes := 0, 0
	for cardholder, variant := range assigned {
		want := newsletterOf[variant]
		_, err := os.Stat(filepath.Join(res.Dir, rundir.OutboxDir, want, cardholder+".eml"))
		if os.IsNotExist(err) {
			continue // not mailable
		}
		if err != nil {
			t.Fatal(err)
		}
		messages++
		apartFile := filepath.Join(resApart.Dir, rundir.OutboxDir, variant, cardholder+".eml")
		if _, err := os.Stat(apartFile); err != nil {
			t.Fatalf("%s has a message from %s shared and none from %s apart: %v", cardholder, want, variant, err)
		}
		// "Why you got this" names the reader's spending among the
		// interests of every cluster the newsletter serves, not their
		// own cluster's alone: the rest is the same.
		if want != variant {
			sharedOnes++
		}
		sharedFile := filepath.Join(res.Dir, rundir.OutboxDir, want, cardholder+".eml")
		for _, ctype := range []string{"text/plain", "text/html"} {
			s, subject := part(t, sharedFile, ctype)
			a, apartSubject := part(t, apartFile, ctype)
			a = strings.ReplaceAll(a, variant, want)
			if s, a := whySpending.ReplaceAllString(s, "WHY"), whySpending.ReplaceAllString(a, "WHY"); s != a || subject != apartSubject {
				t.Errorf("%s (variant %s, newsletter %s): the shared message's %s differs from its own variant's", cardholder, variant, want, ctype)
			}
		}
	}
	if messages != res.Messages || messages != resApart.Messages || sharedOnes == 0 {
		t.Errorf("%d messages checked (%d from a shared newsletter); the runs wrote %d and %d", messages, sharedOnes, res.Messages, resApart.Messages)
	}

	// The fit audit checks each message once, by newsletter.
	var fit FitReport
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.FitFile), &fit); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, v := range fit.Variants {
		if !slices.Contains(own, v.Variant) {
			t.Errorf("fit.json audits %s, not a newsletter", v.Variant)
		}
		checked += v.Checked
	}
	if fit.Misfit != 0 {
		t.Errorf("fit.json: %d messages say something untrue for their reader", fit.Misfit)
	}
	if checked != messages || fit.Checked != messages {
		t.Errorf("fit.json checked %d (by variant %d), want %d", fit.Checked, checked, messages)
	}

	// The workbook names each variant's newsletter and counts them.
	book, err := excelize.OpenFile(filepath.Join(res.Dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	rows, err := book.GetRows(report.SheetVariants)
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "Same newsletter as")
	if col < 0 {
		t.Fatalf("no Same newsletter as column in %q", rows[0])
	}
	for _, row := range rows[1:] {
		got := ""
		if col < len(row) {
			got = row[col]
		}
		want := newsletterOf[row[0]]
		if want == row[0] {
			want = ""
		}
		if got != want {
			t.Errorf("Variants sheet: %s same newsletter as %q, want %q", row[0], got, want)
		}
	}
	sum, err := book.GetRows(report.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	line := itoa(len(plan.Variants)) + " clusters, " + itoa(len(groups)) + " distinct newsletters"
	if !slices.ContainsFunc(sum, func(r []string) bool { return len(r) > 2 && r[2] == line }) {
		t.Errorf("the Summary does not say %q", line)
	}

	// A send mails each of them once, from the newsletter.
	if _, err := Send(context.Background(), sendConfig(shared, res.Dir)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := 0
	for cardholder, e := range ledgerRows(t, res.Dir) {
		if e.State != send.Sent {
			continue
		}
		sent++
		if want := newsletterOf[assigned[cardholder]]; e.Variant != want {
			t.Errorf("ledger: %s sent %s, want %s", cardholder, e.Variant, want)
		}
	}
	if got := len(srv.Messages()); sent != messages || got != messages {
		t.Errorf("sent %d by the ledger, %d at the server; want %d", sent, got, messages)
	}
}
