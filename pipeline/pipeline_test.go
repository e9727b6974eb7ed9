package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/templates"
)

const quickstart = "../examples/quickstart/campaign.toml"

// quickstartConfig returns a Config for the bundled example writing under a
// fresh temporary output root.
func quickstartConfig(t *testing.T) Config {
	t.Helper()
	c, err := LoadCampaign(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Campaign: c, CampaignDir: filepath.Dir(quickstart), OutRoot: t.TempDir(), Version: "test",
		Getenv: func(k string) string {
			if k == DefaultSecretEnv {
				return "test-secret"
			}
			return ""
		},
	}
}

func mustRun(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestRunQuickstart(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	for _, f := range []string{
		"manifest.json", "profiles.csv", "clusters.json", "assignments.csv", "variants.json",
		"report.xlsx", "outbox/index.csv", "rejects/cardholders.csv", "rejects/transactions.csv",
	} {
		if _, err := os.Stat(filepath.Join(res.Dir, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	if res.Variants != 12 || res.Clusters != 12 {
		t.Errorf("variants %d clusters %d, want 12 and 12", res.Variants, res.Clusters)
	}
	for i := 1; i <= res.Variants; i++ {
		for _, f := range []string{"index.html", "index.txt", "meta.json"} {
			if _, err := os.Stat(filepath.Join(res.Dir, "variants", variantID(i), f)); err != nil {
				t.Errorf("missing variant file: %v", err)
			}
		}
	}
	// Counts reconcile: every row read is accepted or rejected, and the
	// example's deliberately bad rows are rejected.
	for _, in := range res.Inputs {
		if in.Rows != in.Accepted+in.Rejected+in.EmptyRows+in.RepeatedHeaders+in.Filtered {
			t.Errorf("%s: read %d != accepted %d + rejected %d + skipped %d + %d", in.Name, in.Rows, in.Accepted, in.Rejected, in.EmptyRows, in.RepeatedHeaders)
		}
		if in.Rejected == 0 {
			t.Errorf("%s: no rows rejected; the example has bad rows", in.Name)
		}
	}
	a := res.Audience
	if a.Cardholders != a.Mail+a.NoConsent+a.Cancelled+a.NoSpend || a.NoConsent == 0 || a.Cancelled == 0 {
		t.Errorf("audience does not reconcile or lacks opted-out/cancelled cardholders: %+v", a)
	}
	if res.Messages != 3*res.Variants {
		t.Errorf("messages = %d, want 3 samples for each of %d variants", res.Messages, res.Variants)
	}
	m := res.Manifest
	if len(m.Stages) != 8 || m.LastRun.Status != "done" || len(m.Inputs) != 2 || m.Inputs[0].SHA256 == "" {
		t.Errorf("manifest incomplete: %+v", m)
	}
}

func variantID(i int) string { return "v" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i) }

func itoa(i int) string {
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

// TestOutboxMessage opens a sample message as a mail client would.
func TestOutboxMessage(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	paths, _ := filepath.Glob(filepath.Join(res.Dir, "outbox", "v0001", "*.eml"))
	if len(paths) != 3 {
		t.Fatalf("v0001 has %d messages, want 3", len(paths))
	}
	raw, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	to, err := mail.ParseAddress(msg.Header.Get("To"))
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Fields(to.Name)[0]
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject == "" || strings.Contains(subject, "{{") {
		t.Errorf("subject %q is not personalized", subject)
	}
	if msg.Header.Get("List-Unsubscribe") == "" || msg.Header.Get("Message-Id") == "" {
		t.Errorf("headers lack List-Unsubscribe or Message-ID: %v", msg.Header)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q, %v; want multipart/alternative", mt, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // multipart decodes quoted-printable
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		if !strings.Contains(string(body), "Hello "+first) {
			t.Errorf("%s part does not greet %s", ct, first)
		}
		if ct == "text/html" && !strings.Contains(string(body), "<table") {
			t.Errorf("html part is not the newsletter layout")
		}
	}
	if !slices.Equal(types, []string{"text/plain", "text/html"}) {
		t.Errorf("parts = %v, want text/plain then text/html", types)
	}
}

func TestVariantsDiffer(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	a, _ := os.ReadFile(filepath.Join(res.Dir, "variants", "v0001", "index.html"))
	b, _ := os.ReadFile(filepath.Join(res.Dir, "variants", "v0002", "index.html"))
	h2 := func(b []byte) []string {
		var out []string
		for _, part := range strings.Split(string(b), "<h2")[1:] {
			part = part[strings.Index(part, ">")+1:] // past the inlined style
			out = append(out, part[:strings.Index(part, "</h2>")])
		}
		return out
	}
	if slices.Equal(h2(a), h2(b)) || len(h2(a)) == 0 {
		t.Errorf("v0001 and v0002 have the same headings: %q", h2(a))
	}
}

// TestRunTwiceIdentical runs the example into two directories and compares
// the variants, assignments and messages byte for byte.
func TestRunTwiceIdentical(t *testing.T) {
	r1 := mustRun(t, quickstartConfig(t))
	r2 := mustRun(t, quickstartConfig(t))
	for _, rel := range []string{"variants", "outbox", "assignments.csv", "profiles.csv", "clusters.json", "variants.json", "rejects"} {
		h1, n1 := treeHash(t, filepath.Join(r1.Dir, rel))
		h2, n2 := treeHash(t, filepath.Join(r2.Dir, rel))
		if h1 != h2 || n1 != n2 {
			t.Errorf("%s differs between two runs", rel)
		}
	}
}

func treeHash(t *testing.T, p string) (string, int) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		h, _, err := rundir.HashFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return h, 1
	}
	h, n, err := rundir.HashTree(p)
	if err != nil {
		t.Fatal(err)
	}
	return h, n
}

func modTimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == rundir.ManifestFile {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi.ModTime()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRerunKeepsFinishedStages(t *testing.T) {
	cfg := quickstartConfig(t)
	first := mustRun(t, cfg)
	before := modTimes(t, first.Dir)
	second := mustRun(t, cfg)
	if len(second.Ran) != 0 || len(second.Kept) != 8 {
		t.Errorf("second run ran %v, kept %v; want nothing run, all 8 kept", second.Ran, second.Kept)
	}
	if after := modTimes(t, second.Dir); len(after) != len(before) {
		t.Errorf("file count changed: %d -> %d", len(before), len(after))
	} else {
		for p, mt := range before {
			if !after[p].Equal(mt) {
				t.Errorf("%s was rewritten", p)
			}
		}
	}
	if second.Messages != first.Messages || second.Variants != first.Variants {
		t.Errorf("kept run reports %d messages, %d variants; first %d, %d", second.Messages, second.Variants, first.Messages, first.Variants)
	}
	// A damaged output is noticed and remade, with everything after it.
	if err := os.Remove(filepath.Join(first.Dir, "variants", "v0003", "index.html")); err != nil {
		t.Fatal(err)
	}
	third := mustRun(t, cfg)
	if !slices.Equal(third.Ran, []string{"render", "fit", "report", "outbox"}) {
		t.Errorf("after deleting a preview, ran %v; want render, fit, report, outbox", third.Ran)
	}
}

// templateCampaign returns a quickstart Config whose templates are a copy of
// the default set in a temporary directory, and that directory.
func templateCampaign(t *testing.T) (Config, string) {
	t.Helper()
	cfg := quickstartConfig(t)
	dir := t.TempDir()
	if err := os.CopyFS(dir, templates.DefaultFS()); err != nil {
		t.Fatal(err)
	}
	c := *cfg.Campaign
	c.Templates.Dir = dir
	cfg.Campaign = &c
	return cfg, dir
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTemplateEditRerunsFromRender(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		old, new string
		ran      []string
	}{
		{"block wording", "blocks/dining-table.md", "## ", "## Fresh: ", []string{"render", "fit", "report", "outbox"}},
		{"layout", "layout.html", "<body", "<body data-edited=\"1\"", []string{"render", "fit", "report", "outbox"}},
		{"front matter", "blocks/dining-table.md", "priority = 10", "priority = 11", []string{"variants", "render", "fit", "report", "outbox"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, dir := templateCampaign(t)
			mustRun(t, cfg)
			editFile(t, filepath.Join(dir, tt.file), tt.old, tt.new)
			c, _ := LoadCampaign(quickstart)
			c.Templates.Dir = dir
			cfg.Campaign = c
			res := mustRun(t, cfg)
			if !slices.Equal(res.Ran, tt.ran) {
				t.Errorf("ran %v, want %v", res.Ran, tt.ran)
			}
		})
	}
}

// TestInterruptedRunResumes cancels the run as each stage starts, as Ctrl-C
// does, and checks that no partial file is left and that the next run
// finishes from the interrupted stage.
func TestInterruptedRunResumes(t *testing.T) {
	for _, stage := range []string{"ingest", "profile", "cluster", "variants", "render", "fit", "report", "outbox"} {
		t.Run(stage, func(t *testing.T) {
			cfg := quickstartConfig(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg.Events = func(e Event) {
				if e.Stage == stage && e.State == "run" {
					cancel()
				}
			}
			_, err := Run(ctx, cfg)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run error = %v, want context.Canceled", err)
			}
			dir := filepath.Join(cfg.OutRoot, "quickstart", "2026-10")
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && strings.Contains(d.Name(), ".tmp-") {
					t.Errorf("partial file left behind: %s", p)
				}
				return nil
			})
			if m := readManifest(dir); m == nil || m.LastRun.Status != "interrupted" {
				t.Errorf("manifest does not record the interruption: %+v", m)
			}
			cfg.Events = nil
			res := mustRun(t, cfg)
			want := []string{"ingest", "profile", "cluster", "variants", "render", "fit", "report", "outbox"}
			i := slices.Index(want, stage)
			switch stage {
			case "profile":
				i = 0 // profiling needs ingest's in-memory aggregates
			case "cluster":
				// profiles.csv is written beside the cluster stage, and
				// Ctrl-C stops its writing too: profile is not done.
				i = 0
			}
			if !slices.Equal(res.Ran, want[i:]) {
				t.Errorf("resumed run ran %v, want %v", res.Ran, want[i:])
			}
			ref := mustRun(t, quickstartConfig(t))
			for _, rel := range []string{"outbox", "variants", "assignments.csv"} {
				h1, _ := treeHash(t, filepath.Join(res.Dir, rel))
				h2, _ := treeHash(t, filepath.Join(ref.Dir, rel))
				if h1 != h2 {
					t.Errorf("%s of the resumed run differs from an uninterrupted run", rel)
				}
			}
		})
	}
}

func TestErrorBudget(t *testing.T) {
	dir := t.TempDir()
	holders := "cardholder_id,first_name,email,marketing_consent\nC1,Ann,ann@example.com,yes\nC2,Bo,bo@example.com,yes\n"
	txs := "cardholder_id,posted_on,amount,mcc\nC1,2026-10-01,10.00,5812\nC2,2026-10-02,1O.00,5812\nC2,2026-10-03,12.00,5411\n"
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte(holders), 0o644)
	os.WriteFile(filepath.Join(dir, "t.csv"), []byte(txs), 0o644)
	c, err := ParseCampaign("c.toml", []byte(`name = "budget"
month = "2026-10"
[inputs]
cardholders = "c.csv"
transactions = "t.csv"
[clustering]
k = 1
[sender]
name = "Meridian"
from = "news@example.com"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Campaign: c, CampaignDir: dir, OutRoot: t.TempDir()}
	_, err = Run(context.Background(), cfg)
	if !errors.Is(err, ingest.ErrBudget) || !strings.Contains(err.Error(), "t.csv: 1 of 3 rows rejected") ||
		!strings.Contains(err.Error(), "amount: not a number (1)") {
		t.Fatalf("error = %v, want the budget error with its top reason", err)
	}
	rejects, err := os.ReadFile(filepath.Join(cfg.OutRoot, "budget", "2026-10", "rejects", "transactions.csv"))
	if err != nil || !strings.Contains(string(rejects), `t.csv:3:3: amount ""1O.00"": not a number`) {
		t.Errorf("rejects = %q, %v", rejects, err)
	}
	half := 0.5
	c.Inputs.ErrorBudget = &half
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("with a 50%% budget: %v", err)
	}
	if res.Inputs[1].Rejected != 1 || res.Messages != 2 {
		t.Errorf("inputs %+v, messages %d", res.Inputs, res.Messages)
	}
}

func TestMonthAndOutput(t *testing.T) {
	cfg := quickstartConfig(t)
	cfg.Month = "2026-09"
	cfg.Outbox = OutboxNone
	res := mustRun(t, cfg)
	if want := filepath.Join(cfg.OutRoot, "quickstart", "2026-09"); res.Dir != want {
		t.Errorf("dir = %s, want %s", res.Dir, want)
	}
	if res.Messages != 0 {
		t.Errorf("outbox none wrote %d messages", res.Messages)
	}
	cfg.Month = "2026-9"
	if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("bad month: error %v, want ErrConfig", err)
	}
	if got := LastFullMonth(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)); got.Format("2006-01") != "2025-12" {
		t.Errorf("LastFullMonth(2026-01-15) = %s", got.Format("2006-01"))
	}
}

func TestTooManyClusters(t *testing.T) {
	cfg := quickstartConfig(t)
	c := *cfg.Campaign
	c.Clustering.K = FixedK(5000)
	cfg.Campaign = &c
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "clustering.k = 5000 but only") {
		t.Errorf("error = %v", err)
	}
}

// readManifest reads a run directory's manifest, nil when it cannot.
func readManifest(dir string) *rundir.Manifest {
	m, err := rundir.ReadManifest(dir)
	if err != nil {
		return nil
	}
	return m
}
