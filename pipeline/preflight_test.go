package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
	"github.com/tailor-mail/tailor/templates"
)

// TestPreflightProblems checks that one Preflight reports every problem of
// a campaign with many, each at its place.
func TestPreflightProblems(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Options{Username: "u", Password: "right"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	copyFile(t, "../examples/quickstart/cardholders.csv", filepath.Join(dir, "cardholders.csv"))
	copyFile(t, "../examples/quickstart/transactions.csv", filepath.Join(dir, "transactions.csv"))
	// A template set with a broken block.
	tpl := filepath.Join(dir, "tpl")
	if err := os.CopyFS(tpl, templates.DefaultFS()); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(tpl, "blocks", "broken.md"), "+++\nid = \"broken\"\ntitle = \"Broken\"\ninterests = [\"dining\"]\nposition = \"body\"\n+++\nHello {{ .Recipient.FirstName\n")
	write(t, filepath.Join(dir, "afile"), "not a folder\n")
	write(t, filepath.Join(dir, "suppress.csv"), "name,phone\nAnn,555\n")
	campaign := filepath.Join(dir, "campaign.toml")
	write(t, campaign, fmt.Sprintf(`name = "many"
month = "2026-10"
output = "afile/out"

[inputs]
cardholders = "cardholders.csv"
transactions = "transactions.csv"
profiles = "profiles.csv"

[format.transactions.columns]
"posted" = "posted_on"

[templates]
dir = "tpl"

[sender]
name = "M"
from = "m@example.com"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"

[send]
suppression = "suppress.csv"

[[smtp]]
host = "127.0.0.1"
port = %d
tls = "none"
auth = "plain"
username = "u"
password_env = "TEST_SMTP_PASSWORD"
`, srv.Port()))
	env := map[string]string{"TEST_SMTP_PASSWORD": "wrong", DefaultSecretEnv: "s3cret"}
	res, err := Preflight(context.Background(), PreflightConfig{CampaignFile: campaign, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, p := range res.Problems {
		fmt.Fprintln(&out, p)
	}
	want := []struct {
		name, check, text string
	}{
		{"missing input file", "inputs", "campaign.toml:8: inputs: inputs.profiles: open "},
		{"mapped column missing", "inputs", `campaign.toml:10: inputs: format.transactions.columns: transactions.csv: column mapping names "posted", not in the header`},
		{"broken block", "templates", filepath.Join(tpl, "blocks", "broken.md") + ":"},
		{"output under a file", "output", "campaign.toml:3: output: output: " + filepath.Join(dir, "afile/out") + ": " + filepath.Join(dir, "afile") + " is a file, not a folder"},
		{"bad suppression list", "suppression", "suppress.csv:1: suppression: header"},
		{"refused AUTH", "smtp", "campaign.toml:25: smtp: smtp[0]: relay 127.0.0.1:"},
	}
	for _, w := range want {
		t.Run(w.name, func(t *testing.T) {
			if !strings.Contains(out.String(), w.text) {
				t.Errorf("no problem with %q", w.text)
			}
			for _, c := range res.Checks {
				if c.Name == w.check && c.Status != SeverityError {
					t.Errorf("check %s: status %q, want error", c.Name, c.Status)
				}
			}
		})
	}
	if strings.Contains(out.String(), "wrong") {
		t.Error("the password is in the report")
	}
	if !strings.Contains(out.String(), "535") {
		t.Error("the relay's refusal is not in the report")
	}
	if st := srv.Stats(); st.Transactions != 0 {
		t.Errorf("the probe sent something: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "afile")); err != nil {
		t.Error(err)
	}
	for i, p := range res.Problems {
		if i > 0 && p.Severity == SeverityError && res.Problems[i-1].Severity != SeverityError {
			t.Errorf("an error after a warning: %v", p)
		}
	}
}

// TestPreflightQuickstart checks that the quickstart has no error, and
// that a preflight writes nothing.
func TestPreflightQuickstart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	res, err := Preflight(context.Background(), PreflightConfig{CampaignFile: "../examples/quickstart/campaign.toml", OutRoot: out,
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		if p.Severity == SeverityError {
			t.Errorf("error: %v", p)
		}
	}
	if res.Campaign != "quickstart" || res.Month != "2026-10" || res.Ran() != 5 {
		t.Errorf("campaign %q month %q, %d checks ran: %+v", res.Campaign, res.Month, res.Ran(), res.Checks)
	}
	// The quickstart has rows made bad on purpose: a warning each.
	if len(res.Problems) == 0 {
		t.Error("no warning about the bad rows")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the output root: %v, want none", err)
	}
}

// TestPreflightCampaign checks that a campaign that does not parse is the
// one problem.
func TestPreflightCampaign(t *testing.T) {
	campaign := filepath.Join(t.TempDir(), "c.toml")
	write(t, campaign, "name = \"x\"\ncolour = 1\n")
	res, err := Preflight(context.Background(), PreflightConfig{CampaignFile: campaign})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Line != 2 || res.Problems[0].Key != "colour" || res.Ran() != 1 {
		t.Errorf("problems %v, checks %+v", res.Problems, res.Checks)
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	write(t, to, string(b))
}
