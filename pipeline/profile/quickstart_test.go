package profile_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
)

var update = flag.Bool("update", false, "rewrite golden files")

// quickstartDir holds the generated example data (tailor gen).
var quickstartDir = filepath.Join("..", "..", "examples", "quickstart")

// quickstartEnd is the quickstart campaign's run month.
var quickstartEnd = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// readCSV calls fn with every data row of a CSV file, by column name.
func readCSV(t testing.TB, name string, fn func(row map[string]string)) {
	t.Helper()
	f, err := os.Open(filepath.Join(quickstartDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("no quickstart data: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil || len(rec) != len(header) {
			continue // one of the deliberately bad rows
		}
		row := make(map[string]string, len(header))
		for i, h := range header {
			row[h] = rec[i]
		}
		fn(row)
	}
}

// quickstart reads the example cardholders and transactions the simple way
// (skipping the rows ingest would reject) into cardholders and compact
// records, with merchant names.
func quickstart(t testing.TB, tax *profile.Taxonomy) ([]ingest.Cardholder, []ingest.Record, map[uint64]string) {
	t.Helper()
	var holders []ingest.Cardholder
	index := map[string]int{}
	readCSV(t, "cardholders.csv", func(row map[string]string) {
		h := ingest.Cardholder{ID: row["cardholder_id"], FirstName: row["first_name"], LastName: row["last_name"],
			Email: row["email"], Locale: row["locale"], Tier: row["tier"], CancelReason: row["cancel_reason"],
			Cancelled: row["status"] == "cancelled", Consent: row["marketing_consent"] == "yes"}
		since, err := ingest.ParseDate(row["member_since"])
		if err != nil {
			return
		}
		h.MemberSince = ingest.DateOf(since)
		if row["cancelled_on"] != "" {
			cancelled, err := ingest.ParseDate(row["cancelled_on"])
			if err != nil {
				return
			}
			h.CancelledOn = ingest.DateOf(cancelled)
		}
		if _, dup := index[h.ID]; dup || h.ID == "" {
			return
		}
		index[h.ID] = len(holders)
		holders = append(holders, h)
	})
	var recs []ingest.Record
	names := map[uint64]string{}
	readCSV(t, "transactions.csv", func(row map[string]string) {
		h, ok := index[row["cardholder_id"]]
		if !ok || row["currency"] != "USD" {
			return
		}
		d, err := ingest.ParseDate(row["posted_on"])
		if err != nil {
			return
		}
		amt, err := ingest.ParseAmount(row["amount"])
		if err != nil {
			return
		}
		k, mapped := tax.Lookup(row["mcc"])
		rec := ingest.Record{Holder: int32(h), Day: int32(d.Unix() / 86400), Amount: amt,
			Interest: int16(k), Mapped: mapped, Code: -1}
		if c, ok := code(row["mcc"]); ok {
			rec.Code = int16(c)
		} else {
			return
		}
		switch row["channel"] {
		case "online":
			rec.Flags |= ingest.FlagOnline
		case "in_store":
			rec.Flags |= ingest.FlagInStore
		}
		if c := row["country"]; c != "" && c != "US" {
			rec.Flags |= ingest.FlagForeign
		}
		rec.Merchant = ingest.MerchantKey([]byte(row["merchant"]))
		if _, ok := names[rec.Merchant]; !ok && rec.Merchant != 0 {
			names[rec.Merchant] = row["merchant"]
		}
		recs = append(recs, rec)
	})
	return holders, recs, names
}

// code parses a 4-digit merchant category code.
func code(s string) (int, bool) {
	if len(s) != 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// quickstartProfiles builds the profiles of the example data.
func quickstartProfiles(t testing.TB, opts profile.Options) []profile.Profile {
	t.Helper()
	tax := defaultTax(t)
	holders, recs, names := quickstart(t, tax)
	opts.End = quickstartEnd
	b := profile.NewBuilder(tax, holders, opts)
	for len(recs) > 0 {
		n := min(len(recs), 4096)
		b.AddRecords(recs[:n])
		recs = recs[n:]
	}
	ps, err := b.Profiles(context.Background(), func(k uint64) string { return names[k] })
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestQuickstartRelationships checks the relationship mix of the example
// data against testdata/quickstart_relationships.golden (go test -update
// rewrites it) and that the mix is plausible: no type takes most
// cardholders and each of Jackson's types and lapsing is well represented.
func TestQuickstartRelationships(t *testing.T) {
	ps := quickstartProfiles(t, profile.Options{})
	count := map[profile.Relationship]int{}
	for i := range ps {
		count[ps[i].Relationship]++
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Relationship mix of examples/quickstart (%d cardholders, window of 12 months to %s)\n", len(ps), quickstartEnd.Format("2006-01"))
	for _, r := range profile.Relationships() {
		fmt.Fprintf(&b, "%-15s %5d %5.1f%%\n", r, count[r], 100*float64(count[r])/float64(len(ps)))
	}
	golden := filepath.Join("testdata", "quickstart_relationships.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("relationship mix\n got:\n%s\nwant:\n%s", b.Bytes(), want)
	}
	for _, r := range profile.Relationships() {
		share := float64(count[r]) / float64(len(ps))
		if share > 0.5 {
			t.Errorf("%s takes %.0f%% of the cardholders: the rules do not separate", r, 100*share)
		}
		switch r {
		case profile.RelationshipLostForGood, profile.RelationshipIntermediate, profile.RelationshipAlwaysAShare, profile.RelationshipLapsing:
			if share < 0.05 {
				t.Errorf("%s has %.1f%% of the cardholders, want at least 5%%", r, 100*share)
			}
		}
	}
	if share := float64(count[profile.RelationshipLapsing]) / float64(len(ps)); share > 0.15 {
		t.Errorf("lapsing has %.1f%% of the cardholders: more than 15%% is noise, not a trend", 100*share)
	}
}

// TestQuickstartFavourites compares the sketch's favourite merchants with
// the exact ones (every merchant's spend counted) on the example data.
func TestQuickstartFavourites(t *testing.T) {
	tax := defaultTax(t)
	holders, recs, _ := quickstart(t, tax)
	ps := quickstartProfiles(t, profile.Options{})
	type pair struct {
		merchant uint64
		interest int16
	}
	exact := make([]map[pair]int64, len(holders))
	from, to := profile.Options{End: quickstartEnd}.Window()
	lo, hi := int32(from.Unix()/86400), int32(to.Unix()/86400)
	for _, r := range recs {
		if r.Amount <= 0 || r.Merchant == 0 || r.Day < lo || r.Day >= hi {
			continue
		}
		if exact[r.Holder] == nil {
			exact[r.Holder] = map[pair]int64{}
		}
		exact[r.Holder][pair{r.Merchant, r.Interest}] += r.Amount
	}
	ids := tax.Interests()
	var favourites, favouritesRight, tops, topsRight int
	for i := range ps {
		p := &ps[i]
		byMerchant := map[uint64]int64{}
		for k, v := range exact[i] {
			byMerchant[k.merchant] += v
		}
		var best int64
		for _, v := range byMerchant {
			best = max(best, v)
		}
		if p.FavouriteMerchant != "" {
			favourites++
			if byMerchant[ingest.MerchantKey([]byte(p.FavouriteMerchant))] == best {
				favouritesRight++
			}
		}
		for id, name := range p.TopMerchants.Map() {
			k := index(t, tax, id)
			var bestIn int64
			for pr, v := range exact[i] {
				if pr.interest == int16(k) {
					bestIn = max(bestIn, v)
				}
			}
			tops++
			if exact[i][pair{ingest.MerchantKey([]byte(name)), int16(k)}] == bestIn {
				topsRight++
			}
		}
	}
	t.Logf("favourite overall right for %d of %d cardholders, per interest %d of %d (%d interests)", favouritesRight, favourites, topsRight, tops, len(ids))
	if favourites < len(ps)*9/10 {
		t.Errorf("%d of %d cardholders have a favourite merchant, want 90%%", favourites, len(ps))
	}
	if favouritesRight < favourites*95/100 {
		t.Errorf("favourite right for %d of %d, want 95%%", favouritesRight, favourites)
	}
	if topsRight < tops*90/100 {
		t.Errorf("favourite per interest right for %d of %d, want 90%%", topsRight, tops)
	}
}
