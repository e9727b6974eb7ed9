package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// A bank export as it comes: semicolons, Windows-1252, CRLF, decimal comma,
// thousands dots, day-first dates, its own column names and categories
// instead of codes.
func TestEuropeanExport(t *testing.T) {
	raw := "Card Ref;Buchungstag;Betrag;W\xe4hrung;Kategorie;H\xe4ndler;Land\r\n" +
		"C1;31/10/2026;1.234,56;EUR;Restaurants;Caf\xe9 M\xfcller;DE\r\n" +
		"C1;01/10/2026;-12,30;EUR;Groceries;\"Rewe; Markt\";DE\r\n" +
		"C1;15/10/2026;5,00;GBP;Restaurants;Pub;GB\r\n" +
		"C1;15/10/2026;5,00;CHF;Restaurants;Bar;CH\r\n" +
		"C1;2026-10-15;5,00;EUR;Restaurants;Bar;DE\r\n" +
		"C1;16/10/2026;7,00;EUR;Casino;Spielbank;DE\r\n"
	gbp, _ := ParseRate("1.17")
	opts := Options{
		Format: Format{Encoding: "windows-1252", DateFormat: "dmy", Decimal: ',', Thousands: '.', Columns: map[string]string{
			"Card Ref": "cardholder_id", "Buchungstag": "posted_on", "Betrag": "amount", "Währung": "currency",
			"Kategorie": "category", "Händler": "merchant", "Land": "country"}},
		Currency: "EUR", Rates: map[string]Rate{"GBP": gbp}, HomeCountry: "DE",
	}
	got, st, rej, err := readTx(t, raw, opts, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 6 || st.Accepted != 4 || st.Rejected != 2 {
		t.Fatalf("stats %+v", st)
	}
	want := []struct {
		amount   int64
		day      int32
		interest int16
		foreign  bool
	}{
		{123456, dayNumber(2026, 10, 31), 0, false},
		{-1230, dayNumber(2026, 10, 1), 1, false},
		{585, dayNumber(2026, 10, 15), 0, true}, // 5.00 GBP at 1.17
		{700, dayNumber(2026, 10, 16), 3, false},
	}
	for i, w := range want {
		g := got[i]
		if g.Amount != w.amount || g.Day != w.day || g.Interest != w.interest || (g.Flags&FlagForeign != 0) != w.foreign {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
	}
	if got[3].Mapped || st.UnmappedCategories["Casino"] != 1 {
		t.Errorf("unmapped category not counted: %+v, %v", got[3], st.UnmappedCategories)
	}
	wantRejects := []string{
		`transactions.csv:5:4: currency "CHF": currency not accepted: no exchange rate is configured (no rate for CHF to EUR)`,
		`transactions.csv:6:2: posted_on "2026-10-15": not a date in the expected format (want 02/01/2006)`,
	}
	for i, w := range wantRejects {
		if i >= len(rej.errs) || rej.errs[i].Error() != w {
			t.Errorf("reject %d = %v, want %s", i, rej.errs, w)
		}
	}
	if !strings.Contains(rej.raw[0], "C1;15/10/2026;5,00;CHF") {
		t.Errorf("reject keeps the original line: %q", rej.raw[0])
	}
}

func TestGzipInput(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("cardholder_id,posted_on,amount,mcc\nC1,2026-10-01,10.00,5812\nC1,2026-10-02,x,5812\n"))
	zw.Close()
	got, st, _, err := readTx(t, buf.String(), Options{}, "C1")
	if err != nil || len(got) != 1 || st.Rejected != 1 || got[0].Amount != 1000 {
		t.Fatalf("gzip: %+v %+v %v", got, st, err)
	}
}

func TestXLSXInput(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{
		{"cardholder_id", "posted_on", "amount", "mcc", "merchant"},
		{"C1", time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), 42.1, 742, "Vet"},
		{"C1", "2026-10-01", "19.99", "5812", "Bistro"},
		{"C1", 46296, 0.1 + 0.2, 5411, "Shop"}, // 2026-10-01 as a serial; 0.30000000000000004
		{"C1", "yesterday", 1, 5411, "Shop"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetCellStyle("Sheet1", "B2", "B2", style)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, st, rej, err := readTx(t, buf.String(), Options{}, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 4 || len(got) != 3 {
		t.Fatalf("stats %+v, rejects %v", st, rej.errs)
	}
	if got[0].Day != dayNumber(2026, 10, 31) || got[0].Amount != 4210 || got[0].Code != 742 || got[0].Interest != 2 {
		t.Errorf("date cell, float and re-padded code: %+v", got[0])
	}
	if got[1].Day != dayNumber(2026, 10, 1) || got[1].Amount != 1999 {
		t.Errorf("text cells: %+v", got[1])
	}
	if got[2].Day != dayNumber(2026, 10, 1) || got[2].Amount != 30 {
		t.Errorf("serial date and float noise: %+v", got[2])
	}
	if len(rej.errs) != 1 || rej.errs[0].Line != 5 || rej.errs[0].Field != "posted_on" {
		t.Errorf("rejects %v", rej.errs)
	}
	_, _, _, err = readTx(t, buf.String(), Options{Format: Format{Sheet: "Txns"}}, "C1")
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `sheet "Txns" not found (sheets: Sheet1)`) {
		t.Errorf("missing sheet: %v", err)
	}
}

func TestCardholderAttributesAndPANColumn(t *testing.T) {
	in := "id,first_name,email,marketing_consent,Points Balance,Home Branch\n" +
		"C1,Ann,ann@example.com,yes,12500,Leeds\n" +
		"C2,Bo,bo@example.com,no,,\n"
	set, st, err := ReadCardholders(context.Background(), strings.NewReader(in), "c.csv",
		Options{Format: Format{Columns: map[string]string{"ID": "cardholder_id"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Accepted != 2 || strings.Join(set.Attrs, ",") != "points_balance,home_branch" {
		t.Fatalf("attrs %v, stats %+v", set.Attrs, st)
	}
	if a := set.List[0].Attrs; a["points_balance"] != "12500" || a["home_branch"] != "Leeds" || set.List[1].Attrs != nil {
		t.Errorf("attrs = %v, %v", a, set.List[1].Attrs)
	}
	pans := "card_number,first_name,email,marketing_consent\n4111111111111111,Ann,ann@example.com,yes\n"
	_, _, err = ReadCardholders(context.Background(), strings.NewReader(pans), "c.csv",
		Options{Format: Format{Columns: map[string]string{"card_number": "cardholder_id"}}}, nil)
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `column "card_number" carries card numbers (************1111)`) {
		t.Errorf("PAN column: %v", err)
	}
	if strings.Contains(err.Error(), "4111111111111111") {
		t.Errorf("the error prints a card number: %v", err)
	}
	_, _, err = ReadCardholders(context.Background(), strings.NewReader(in), "c.csv",
		Options{Format: Format{Columns: map[string]string{"Card Ref": "cardholder_id"}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `column mapping names "card_ref", not in the header`) {
		t.Errorf("mapping a missing column: %v", err)
	}
	_, _, err = ReadCardholders(context.Background(), strings.NewReader(in), "c.csv",
		Options{Format: Format{Columns: map[string]string{"id": "customer_number"}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `"customer_number" is not a column of this input`) {
		t.Errorf("mapping to an unknown column: %v", err)
	}
}

func TestRejectedCardholderDetail(t *testing.T) {
	holders := "cardholder_id,first_name,email,marketing_consent\nC1,Ann,ann@example.com,yes\nC2,Bo,not-an-email,yes\n"
	set, _, err := ReadCardholders(context.Background(), strings.NewReader(holders), "c.csv", Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rej recorder
	_, _, err = ReadTransactions(context.Background(), strings.NewReader("cardholder_id,posted_on,amount,mcc\nC2,2026-10-01,1.00,5812\n"),
		"t.csv", Options{Classifier: classes{}}, set, &rej, func([]Record) error { return nil })
	want := `t.csv:2:1: cardholder_id "C2": unknown cardholder id (the cardholder's row, line 3, was rejected)`
	if err != nil || len(rej.errs) != 1 || rej.errs[0].Error() != want {
		t.Errorf("got %v, %v; want %s", rej.errs, err, want)
	}
}

// The parallel path gives the same records, in the same order, whatever
// the number of workers and the chunk boundaries.
func TestWorkersAgree(t *testing.T) {
	var b strings.Builder
	b.WriteString("cardholder_id,posted_on,amount,mcc,merchant\n")
	ids := []string{"C1", "C2", "C3"}
	for i := 0; i < 30000; i++ {
		b.WriteString(ids[i%3] + ",2026-10-" + []string{"01", "15", "31"}[i%3] + "," + []string{"1.00", "-2.50", "x"}[i%7%3] + ",5812,\"M " + string(rune('a'+i%26)) + "\"\n")
	}
	in := b.String()
	var ref []Record
	for _, tc := range []struct{ workers, chunk int }{{1, 0}, {2, 4096}, {7, 777}, {3, 1}} {
		workers := tc.workers
		got, st, _, err := readTx(t, in, Options{Workers: workers, chunkSize: tc.chunk}, ids...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Read != 30000 || st.Accepted+st.Rejected != st.Read {
			t.Fatalf("workers %d: %+v", workers, st)
		}
		if ref == nil {
			ref = got
			continue
		}
		if len(got) != len(ref) {
			t.Fatalf("workers %d: %d records, want %d", workers, len(got), len(ref))
		}
		for i := range got {
			if got[i] != ref[i] {
				t.Fatalf("workers %d: record %d = %+v, want %+v", workers, i, got[i], ref[i])
			}
		}
	}
}

func TestMaxAmount(t *testing.T) {
	in := "cardholder_id,posted_on,amount,mcc\n" +
		"C1,2026-10-01,45035996273704.96,5812\n" + // 2^52 cents exactly
		"C1,2026-10-01,45035996273704.97,5812\n" +
		"C1,2026-10-01,-45035996273704.97,5812\n"
	got, st, rej, err := readTx(t, in, Options{}, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Amount != MaxAmount || st.Rejected != 2 {
		t.Fatalf("records %+v, stats %+v", got, st)
	}
	if want := `transactions.csv:3:3: amount "45035996273704.97": not a number (beyond the largest amount, 2^52 cents)`; rej.errs[0].Error() != want {
		t.Errorf("reject = %s, want %s", rej.errs[0], want)
	}
}
