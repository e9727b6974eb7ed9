package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataAgainstTheWindow runs the example (transactions from November
// 2025 to October 2026) for months that fit the data, that end past it
// and that miss it: the manifest says where the transactions fall, a
// month past the data stops unless the campaign allows the gap, and a
// month outside the data names its dates.
func TestDataAgainstTheWindow(t *testing.T) {
	run := func(month string, allowGap bool) (*Result, []string, error) {
		cfg := quickstartConfig(t)
		cfg.Month = month
		c := *cfg.Campaign
		c.Profile.AllowDataGap = allowGap
		cfg.Campaign = &c
		var warnings []string
		cfg.Events = func(e Event) {
			if e.State == EventWarn {
				warnings = append(warnings, e.Message)
			}
		}
		res, err := Run(context.Background(), cfg)
		return res, warnings, err
	}
	t.Run("a month inside the data", func(t *testing.T) {
		res, _, err := run("2026-08", false)
		if err != nil {
			t.Fatal(err)
		}
		d := res.Manifest.Data
		if d == nil || d.WindowFrom != "2025-09-01" || d.WindowTo != "2026-08-31" || d.After == 0 || d.Before != 0 ||
			d.Last < "2026-10-01" || d.InWindow+d.After != res.Manifest.Stage("profile").Counts["transactions_in_window"]+res.Manifest.Stage("profile").Counts["transactions_outside_window"] {
			t.Fatalf("data %+v, profile counts %v", d, res.Manifest.Stage("profile").Counts)
		}
		if got := res.Manifest.Stage("profile").Counts["transactions_after_window"]; got != d.After {
			t.Errorf("%d after the window in the counts, %d in the data range", got, d.After)
		}
	})
	t.Run("a month past the end of the data", func(t *testing.T) {
		_, _, err := run("2027-03", false)
		if err == nil || !strings.Contains(err.Error(), "the transactions end 2026-10-") || !strings.Contains(err.Error(), "--month 2026-10") ||
			!strings.Contains(err.Error(), "allow_data_gap") {
			t.Fatalf("error %v, want one naming the data's last date", err)
		}
		res, warnings, err := run("2027-03", true)
		if err != nil {
			t.Fatalf("with allow_data_gap: %v", err)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "the transactions end 2026-10-") {
			t.Errorf("warnings %q", warnings)
		}
		if d := res.Manifest.Data; d == nil || d.Before == 0 || d.After != 0 {
			t.Errorf("data %+v", d)
		}
	})
	t.Run("a month outside the data", func(t *testing.T) {
		_, _, err := run("2030-01", true)
		if err == nil || !strings.Contains(err.Error(), "no transaction falls in the window 2029-02-01 to 2030-01-31: the transactions run from 2025-") ||
			!strings.Contains(err.Error(), "to 2026-10-") {
			t.Fatalf("error %v, want one naming the data's dates", err)
		}
	})
}

// TestPaymentsLeftOut adds card repayments to the example's transactions,
// as a statement export has them: negative amounts with no merchant code,
// large enough to wipe out a year of spend. They are left out of spend and
// counted: the cardholders keep their spend and their newsletter.
func TestPaymentsLeftOut(t *testing.T) {
	cfg := quickstartConfig(t)
	c := *cfg.Campaign
	src := readFile(t, filepath.Join(cfg.CampaignDir, c.Inputs.Transactions))
	ids := []string{"C0000001", "C0000002", "C0000003"}
	var b strings.Builder
	b.Write(src)
	for _, id := range ids {
		b.WriteString(id + ",2026-06-20,-65600.00,USD,,DIRECT DEBIT PAYMENT - THANK YOU,,US\n")
	}
	c.Inputs.Transactions = filepath.Join(t.TempDir(), "transactions.csv")
	if err := os.WriteFile(c.Inputs.Transactions, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Campaign = &c
	res := mustRun(t, cfg)
	d := res.Manifest.Data
	if d == nil || d.Credits != 3 || d.CreditAmount != "-196800.00 USD" {
		t.Fatalf("data %+v", d)
	}
	spend := map[string]int64{}
	for _, p := range runProfiles(t, res.Dir) {
		spend[p.ID] = p.Spend
	}
	for _, id := range ids {
		if spend[id] <= 0 {
			t.Errorf("%s: spend %d after a repayment", id, spend[id])
		}
	}
}

// TestMappingNamesAMissingColumn maps a column the file does not have: a
// campaign error (ErrConfig, exit 2) at the line of the mapping, with the
// header's closest name.
func TestMappingNamesAMissingColumn(t *testing.T) {
	dir := t.TempDir()
	src := `name = "quickstart"
month = "2026-10"
[inputs]
cardholders = "` + filepath.Join(must(filepath.Abs("../examples/quickstart")), "cardholders.csv") + `"
transactions = "` + filepath.Join(must(filepath.Abs("../examples/quickstart")), "transactions.csv") + `"
[format.transactions.columns]
"Posted On" = "posted_on"
"Amont" = "amount"
[sender]
name = "M"
from = "m@example.com"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"
`
	file := filepath.Join(dir, "campaign.toml")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCampaign(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Config{Campaign: c, CampaignDir: dir, CampaignFile: file, OutRoot: dir})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "campaign.toml:6:1: format.transactions.columns: transactions.csv: ") ||
		!strings.Contains(err.Error(), `column mapping names "amont", not in the header`) || !strings.Contains(err.Error(), `did you mean "amount" for "amont"?`) {
		t.Fatalf("error %v", err)
	}
}

// TestRowFilters leaves a statement's fees and transfers out with the
// campaign's row filters: skipped and counted, the counts reconciling.
func TestRowFiltersInACampaign(t *testing.T) {
	dir := t.TempDir()
	qs := must(filepath.Abs("../examples/quickstart"))
	tx := "cardholder_id,posted_on,amount,currency,mcc,Description\n" +
		"C0000001,2026-06-01,40.00,USD,5812,OLIVE & THYME\n" +
		"C0000001,2026-06-04,2.50,USD,,FOREIGN TRANSACTION FEE\n" +
		"C0000001,2026-06-05,100.00,USD,4829,TRANSFER TO SAVINGS\n" +
		"C0000002,2026-06-06,12.00,USD,5411,GREEN GROCER\n"
	if err := os.WriteFile(filepath.Join(dir, "tx.csv"), []byte(tx), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `name = "filters"
month = "2026-06"
[inputs]
cardholders = "` + filepath.Join(qs, "cardholders.csv") + `"
transactions = "tx.csv"
error_budget = 0.5
[[format.transactions.exclude]]
column = "Description"
pattern = "(?i)\\bfee\\b|transfer"
[sender]
name = "M"
from = "m@example.com"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"
`
	file := filepath.Join(dir, "campaign.toml")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCampaign(file)
	if err != nil {
		t.Fatal(err)
	}
	c.Clustering.K = FixedK(1)
	res, err := Run(context.Background(), Config{Campaign: c, CampaignDir: dir, CampaignFile: file, OutRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	in := res.Inputs[1]
	if in.Name != "transactions" || in.Rows != 4 || in.Accepted != 2 || in.Filtered != 2 || in.Rejected != 0 {
		t.Errorf("transactions %+v", in)
	}
	_, err = ParseCampaign("c.toml", []byte(strings.Replace(src, "format.transactions.exclude", "format.cardholders.exclude", 1)))
	if err == nil || !strings.Contains(err.Error(), "c.toml:7:1: format.cardholders.exclude: row filters are for transactions only") {
		t.Errorf("a filter on cardholders: %v", err)
	}
}
