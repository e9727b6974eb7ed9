package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// TestUnformattableValueRefused checks that a cardholder whose extra
// column the templates cannot format (a points balance that is no
// number, which the default intro block formats with number) is refused
// with the reason, listed in refused.csv, and that everyone else's
// message is still written.
func TestUnformattableValueRefused(t *testing.T) {
	res := mustRun(t, pointsCampaign(t, "0.1"))
	refused := readCSV(t, filepath.Join(res.Dir, rundir.OutboxDir, "refused.csv"))
	if len(refused) != 2 || refused[1][1] != "C04" || !strings.Contains(refused[1][2], "not a number") {
		t.Fatalf("refused.csv = %q, want C04 with its reason", refused)
	}
	index := readCSV(t, filepath.Join(res.Dir, rundir.OutboxDir, "index.csv"))
	if len(index) != 12 {
		t.Errorf("index.csv lists %d messages, want 11", len(index)-1)
	}
	for _, row := range index[1:] {
		eml := readFile(t, filepath.Join(res.Dir, rundir.OutboxDir, row[4]))
		if row[1] == "C07" && !strings.Contains(string(eml), "7,000 points") {
			t.Errorf("C07's message does not show its 7,000 points")
		}
	}
}

// TestRefusalBudget checks that the outbox stage fails once more of its
// recipients are refused than mail.refusal_budget allows (the default,
// 1%, is 0 of 12 here), naming the count, the file and the first reason,
// and that refused.csv is left for the diagnosis.
func TestRefusalBudget(t *testing.T) {
	for _, budget := range []string{"", "0.05"} {
		t.Run("budget="+budget, func(t *testing.T) {
			cfg := pointsCampaign(t, budget)
			_, err := Run(context.Background(), cfg)
			if err == nil {
				t.Fatal("the run passed with 1 of 12 recipients refused")
			}
			for _, want := range []string{"1 of 12 recipients refused", "mail.refusal_budget", "refused.csv", "not a number"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			dir := filepath.Join(cfg.OutRoot, "points", "2026-10")
			if refused := readCSV(t, filepath.Join(dir, rundir.OutboxDir, "refused.csv")); len(refused) != 2 {
				t.Errorf("refused.csv = %q, want C04", refused)
			}
		})
	}
}

// pointsCampaign returns a campaign of 12 cardholders with a
// points_balance column, which the default intro block formats with
// number; C04's is no number. budget is mail.refusal_budget, "" for the
// default.
func pointsCampaign(t *testing.T, budget string) Config {
	t.Helper()
	dir := t.TempDir()
	var holders, txs strings.Builder
	holders.WriteString("cardholder_id,first_name,last_name,email,marketing_consent,points_balance\n")
	txs.WriteString("cardholder_id,posted_on,amount,mcc,merchant\n")
	for i := 1; i <= 12; i++ {
		id := fmt.Sprintf("C%02d", i)
		points := fmt.Sprint(1000 * i)
		if id == "C04" {
			points = "lots"
		}
		fmt.Fprintf(&holders, "%s,Robin,Lee,%s@example.com,yes,%s\n", id, strings.ToLower(id), points)
		for m := 1; m <= 10; m++ {
			fmt.Fprintf(&txs, "%s,2026-%02d-1%d,%d.50,5812,Olive Bistro\n", id, m, i%10, 20+i+m)
		}
	}
	for name, s := range map[string]string{"cardholders.csv": holders.String(), "transactions.csv": txs.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ParseCampaign("points.toml", []byte(`name = "points"
month = "2026-10"
[inputs]
cardholders = "cardholders.csv"
transactions = "transactions.csv"
[clustering]
k = 1
[sender]
name = "Meridian Card"
from = "Meridian Card <news@meridian.example.com>"
postal_address = "Meridian Card Services, 200 Vesey Street, New York, NY 10285"
unsubscribe_url = "https://meridian.example.com/unsubscribe"
[mail]
outbox = "all"
`+refusalBudget(budget)))
	if err != nil {
		t.Fatal(err)
	}
	return Config{Campaign: c, CampaignDir: dir, OutRoot: t.TempDir(), Version: "test",
		Getenv: func(string) string { return "points-secret" }}
}

// refusalBudget returns the TOML line setting mail.refusal_budget, or
// nothing for "".
func refusalBudget(b string) string {
	if b == "" {
		return ""
	}
	return "refusal_budget = " + b + "\n"
}
