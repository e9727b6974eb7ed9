package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/xuri/excelize/v2"
)

// TestBankExportCampaign runs a campaign whose inputs come as a bank's
// systems export them: cardholders in an XLSX workbook with their own
// column names and an extra attribute, transactions as gzip-compressed,
// semicolon-separated Windows-1252 CSV with day-first dates, decimal
// commas, categories instead of codes, and a foreign currency.
func TestBankExportCampaign(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	rows := [][]any{{"Kunde", "Vorname", "E-Mail", "Einwilligung", "Punkte"}}
	var tx strings.Builder
	tx.WriteString("Kunde;Datum;Betrag;W\xe4hrung;Kategorie;H\xe4ndler\r\n")
	cats := []string{"Restaurants", "Lebensmittel", "Reisen"}
	for i := 0; i < 60; i++ {
		id := "K" + string(rune('A'+i/26)) + string(rune('A'+i%26))
		rows = append(rows, []any{id, "Jürgen", strings.ToLower(id) + "@example.de", "ja", 100 * i})
		for m := 1; m <= 9; m++ {
			cat := cats[i%3]
			cur := "EUR"
			if m == 9 && i%10 == 0 {
				cur = "CHF"
			}
			tx.WriteString(id + ";0" + string(rune('0'+m)) + "/10/2026;1.2" + string(rune('0'+m)) + "4,50;" + cur + ";" + cat + ";Caf\xe9 " + cat + "\r\n")
		}
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	f.SetSheetName("Sheet1", "Kunden")
	if err := f.SaveAs(filepath.Join(dir, "kunden.xlsx")); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(tx.String()))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "umsaetze.csv.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "rates.csv"), []byte("currency,rate\nCHF,1.06\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "categories.csv"), []byte("category,interest\nRestaurants,dining\nLebensmittel,groceries\nReisen,travel_services\n"), 0o644)
	c, err := ParseCampaign("bank.toml", []byte(`name = "bank"
month = "2026-10"
[inputs]
cardholders = "kunden.xlsx"
transactions = "umsaetze.csv.gz"
currency = "EUR"
rates = "rates.csv"
categories = "categories.csv"
[profile]
home_country = "DE"
[format.cardholders]
sheet = "Kunden"
[format.cardholders.columns]
Kunde = "cardholder_id"
Vorname = "first_name"
"E-Mail" = "email"
Einwilligung = "marketing_consent"
[format.transactions]
delimiter = ";"
encoding = "windows-1252"
date_format = "dmy"
decimal = ","
thousands = "."
[format.transactions.columns]
Kunde = "cardholder_id"
Datum = "posted_on"
Betrag = "amount"
"Währung" = "currency"
Kategorie = "category"
"Händler" = "merchant"
[clustering]
k = 3
[sender]
name = "Bank"
from = "news@bank.example"
postal_address = "Platz 1, Berlin"
unsubscribe_url = "https://bank.example/u"
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Config{Campaign: c, CampaignDir: dir, OutRoot: t.TempDir()})
	if err == nil {
		t.Fatalf("consent %q is not a yes/no value: the run should stop at the error budget", "ja")
	}
	if !strings.Contains(err.Error(), `marketing_consent: not a consent flag`) {
		t.Fatalf("error = %v", err)
	}
	// German exports say ja/nein: map the column through a tiers-free
	// campaign with consent written the way tailor reads it.
	for i := 1; i < len(rows); i++ {
		cell, _ := excelize.CoordinatesToCellName(4, i+1)
		f.SetCellValue("Kunden", cell, "yes")
	}
	f.SaveAs(filepath.Join(dir, "kunden.xlsx"))
	res, err := Run(context.Background(), Config{Campaign: c, CampaignDir: dir, OutRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if in := res.Inputs[1]; in.Rows != 540 || in.Rejected != 0 {
		t.Errorf("transactions %+v", in)
	}
	if res.Clusters != 3 || res.Audience.Mail != 60 {
		t.Errorf("clusters %d, audience %+v", res.Clusters, res.Audience)
	}
	// Each cluster is one of the three categories.
	labels := map[string]bool{}
	for _, v := range readPlan(t, res.Dir).Variants {
		labels[v.Label] = true
	}
	for _, want := range []string{"Dining", "Groceries", "Travel services"} {
		found := false
		for l := range labels {
			found = found || strings.HasPrefix(l, want)
		}
		if !found {
			t.Errorf("no cluster labelled %s: %v", want, labels)
		}
	}
	// Attributes and favourite merchants reach profiles.csv.
	pf, _ := os.Open(filepath.Join(res.Dir, "profiles.csv"))
	defer pf.Close()
	recs, err := csv.NewReader(pf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if recs[2][col["attr_punkte"]] != "100" || !strings.HasPrefix(recs[1][col["favourite_merchant"]], "Café") {
		t.Errorf("profile row: punkte %q, favourite %q", recs[2][col["attr_punkte"]], recs[1][col["favourite_merchant"]])
	}
}

func readPlan(t *testing.T, dir string) (p struct {
	Variants []struct{ Label string }
}) {
	t.Helper()
	if err := rundir.ReadJSON(filepath.Join(dir, rundir.PlanFile), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPreAggregatedProfiles clusters on a warehouse's own features, with no
// transactions at all.
func TestPreAggregatedProfiles(t *testing.T) {
	// Three tight groups of 30.
	cfg := preAggregatedCampaign(t, 90, 3, func(i int) string {
		return []string{"0.9,0.1,3", "0.1,0.9,4", "0.5,0.5,40"}[i%3]
	})
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Audience.Mail != 90 || res.Clusters != 3 {
		t.Fatalf("audience %+v, clusters %d", res.Audience, res.Clusters)
	}
	var cf segment.File
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.ClustersFile), &cf); err != nil {
		t.Fatal(err)
	}
	for _, cl := range cf.Clusters {
		if cl.Size != 30 {
			t.Errorf("cluster %d has %d cardholders, want the 3 groups of 30", cl.ID, cl.Size)
		}
	}
	if strings.Join(cf.Features, ",") != "dining,share_fuel,visits" {
		t.Errorf("features %v", cf.Features)
	}
	// Without transactions no one is "inactive": the relationship type is
	// unknown, labels name none and no spend level, and no retention
	// block reaches anyone.
	if res.Relationships["unknown"] != 90 || res.Relationships["inactive"] != 0 {
		t.Errorf("relationships %v, want 90 unknown", res.Relationships)
	}
	var plan struct {
		Variants []struct {
			Label  string
			Blocks []string
			Slots  []struct {
				Slot         string
				Alternatives []struct{ Recipients int }
				Unmatched    int
			}
		}
	}
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, v := range plan.Variants {
		distinct[strings.Join(v.Blocks, ",")] = true
		if strings.Contains(v.Label, "inactive") || strings.HasSuffix(v.Label, " spend") || strings.Contains(v.Label, " spend,") {
			t.Errorf("label %q", v.Label)
		}
		for _, sl := range v.Slots {
			for _, a := range sl.Alternatives {
				if sl.Slot == "retention" && a.Recipients != 0 {
					t.Errorf("a retention block for %d recipients of unknown type", a.Recipients)
				}
			}
		}
	}
	if len(distinct) < 2 {
		t.Errorf("one block list for every variant: %v", distinct)
	}
	// A change of k reclusters from the features kept in the run directory.
	cfg.Campaign.Clustering.K = FixedK(2)
	res, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Clusters != 2 || res.Ran[0] != "cluster" {
		t.Errorf("after k = 2: clusters %d, ran %v", res.Clusters, res.Ran)
	}
}

// TestPreAggregatedSpend maps the profiles' spend and transaction columns:
// labels tell the big spenders from the small by them.
func TestPreAggregatedSpend(t *testing.T) {
	dir := t.TempDir()
	var holders, feats strings.Builder
	holders.WriteString("cardholder_id,first_name,email,marketing_consent\n")
	feats.WriteString("cardholder_id,dining,fuel,PURCHASES,PURCHASES_TRX\n")
	for i := 0; i < 60; i++ {
		id := fmt.Sprintf("C%02d", i)
		holders.WriteString(id + ",Ann,a" + id + "@example.com,yes\n")
		if i%2 == 0 {
			feats.WriteString(id + ",0.9,0.1,9500.00,120\n")
		} else {
			feats.WriteString(id + ",0.1,0.9,45.50,2\n")
		}
	}
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte(holders.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "f.csv"), []byte(feats.String()), 0o644)
	c, err := ParseCampaign("p.toml", []byte(`name = "pre"
month = "2026-10"
[inputs]
cardholders = "c.csv"
profiles = "f.csv"
profile_spend = "PURCHASES"
profile_transactions = "PURCHASES_TRX"
[clustering]
k = 2
[sender]
name = "M"
from = "m@example.com"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Config{Campaign: c, CampaignDir: dir, OutRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, v := range readPlan(t, res.Dir).Variants {
		labels = append(labels, v.Label)
	}
	slices.Sort(labels)
	if want := []string{"Dining, high spend", "Fuel, low spend"}; !slices.Equal(labels, want) {
		t.Errorf("labels %q, want %q", labels, want)
	}
	ps := runProfiles(t, res.Dir)
	if ps[0].Spend != 950000 || ps[0].Transactions != 120 || ps[1].Spend != 4550 {
		t.Errorf("profiles: spend %d and %d, %d transactions", ps[0].Spend, ps[1].Spend, ps[0].Transactions)
	}
}

// TestPreAggregatedWithoutInterests clusters profiles that name no
// interest: every variant gets the same blocks, and the run says why.
func TestPreAggregatedWithoutInterests(t *testing.T) {
	dir := t.TempDir()
	var holders, feats strings.Builder
	holders.WriteString("CUST_ID,first_name,email,marketing_consent\n")
	feats.WriteString("CUST_ID,BALANCE,TENURE\n")
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("C%05d", 10001+i)
		holders.WriteString(id + ",Ann,a" + id + "@example.com,yes\n")
		feats.WriteString(fmt.Sprintf("%s,%d,%d\n", id, 100+i%2*5000, 6+i%2*6))
	}
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte(holders.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "f.csv"), []byte(feats.String()), 0o644)
	c, err := ParseCampaign("p.toml", []byte(`name = "pre"
month = "2026-10"
[inputs]
cardholders = "c.csv"
profiles = "f.csv"
[clustering]
k = 2
[sender]
name = "M"
from = "m@example.com"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"
`))
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	cfg := Config{Campaign: c, CampaignDir: dir, OutRoot: t.TempDir(), Events: func(e Event) {
		if e.State == EventWarn && e.Stage == "variants" {
			warnings = append(warnings, e.Message)
		}
	}}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "all 2 variants have the same blocks") {
		t.Errorf("warnings %q", warnings)
	}
}
