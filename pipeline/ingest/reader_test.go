package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

const cardholdersCSV = "\uFEFFcardholder_id,first_name,last_name,email,locale,tier,member_since,status,cancelled_on,cancel_reason,marketing_consent\n" +
	"C1,Zoë,O'Brien,zoe@example.com,en-GB,gold,2010-04-01,active,,,yes\n" +
	"C2,José,Díaz,jose@example.org,es-MX,green,2019-01-15,cancelled,2026-05-02,annual fee,yes\n" +
	"C3,Ann,Lee,not-an-email,en-US,green,2019-01-15,active,,,yes\n" +
	",Bob,Ray,bob@example.com,en-US,green,,active,,,no\n" +
	"C1,Zoe,Again,zoe2@example.com,en-GB,gold,2010-04-01,active,,,yes\n" +
	"C4,Kim,Park,kim@example.net,en-US,platinum,2001-02-03,paused,,,no\n" +
	"C5,Lea,Moe,lea@example.net,en-US,green,2001-02-03,active,,,no\n" +
	"C6,Too,Few\n" +
	"C7,Pan,Holder,pan@example.com,en-US,green,2001-02-03,active,,4111111111111111,no\n" +
	"C8,\"Eve\r\nBcc: all@example.com\",Smith,eve@example.com,en-US,green,2001-02-03,active,,,yes\n"

type recorder struct {
	errs []*RowError
	raw  []string
}

func (r *recorder) Reject(e *RowError, raw string) error {
	r.errs = append(r.errs, e)
	r.raw = append(r.raw, raw)
	return nil
}

// classes is a Classifier for tests: 5812 dining (0), 5411 groceries (1),
// 0742 pets (2); categories by the same names; 3 is the catch-all.
type classes struct{}

func (classes) Lookup(mcc string) (int, bool) {
	switch mcc {
	case "5812":
		return 0, true
	case "5411":
		return 1, true
	case "0742":
		return 2, true
	}
	return 3, false
}

func (classes) Category(name string) (int, bool) {
	switch strings.ToLower(name) {
	case "dining", "restaurants":
		return 0, true
	case "groceries":
		return 1, true
	}
	return 3, false
}

func readTx(t *testing.T, in string, opts Options, ids ...string) ([]Record, Stats, *recorder, error) {
	t.Helper()
	var list []Cardholder
	for _, id := range ids {
		list = append(list, Cardholder{ID: id})
	}
	if opts.Classifier == nil {
		opts.Classifier = classes{}
	}
	var rej recorder
	var got []Record
	st, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "transactions.csv", opts, NewCardholderSet(list), &rej,
		func(rs []Record) error { got = append(got, rs...); return nil })
	return got, st, &rej, err
}

// TestReadCardholders reads the same rows whatever the size hint says,
// right, too small or far too large.
func TestReadCardholders(t *testing.T) {
	for _, hint := range []int64{0, int64(len(cardholdersCSV)), 1, 1 << 26} {
		t.Run(fmt.Sprintf("size hint %d", hint), func(t *testing.T) { testReadCardholders(t, hint) })
	}
}

func testReadCardholders(t *testing.T, hint int64) {
	var rej recorder
	set, st, err := ReadCardholders(context.Background(), strings.NewReader(cardholdersCSV), "cardholders.csv", Options{SizeHint: hint}, &rej)
	if err != nil {
		t.Fatal(err)
	}
	if i, ok := set.Index("C5"); set.index.Len() != 3 || !ok || i != 2 {
		t.Errorf("index holds %d ids, C5 at %d (%v), want 3 and 2", set.index.Len(), i, ok)
	}
	got := set.List
	if st.Read != 10 || st.Accepted != 3 || st.Rejected != 7 || st.Read != st.Accepted+st.Rejected+st.Skipped() || st.Encoding != "utf-8" || st.EncodingDetected {
		t.Fatalf("stats = %+v, want read 10 = accepted 3 + rejected 7, UTF-8", st)
	}
	ids := []string{}
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "C1,C2,C5" {
		t.Errorf("accepted ids = %v, want C1,C2,C5", ids)
	}
	if !got[0].Eligible() || got[1].Eligible() || got[2].Eligible() {
		t.Errorf("eligibility: C1 %v (want true), C2 cancelled %v, C5 no consent %v", got[0].Eligible(), got[1].Eligible(), got[2].Eligible())
	}
	if got[1].CancelReason != "annual fee" || got[1].CancelledOn.String() != "2026-05-02" {
		t.Errorf("C2 cancellation = %q %v", got[1].CancelReason, got[1].CancelledOn)
	}
	want := []string{
		`cardholders.csv:4:4: email "not-an-email": not an email address`,
		`cardholders.csv:5:1: cardholder_id "": required`,
		`cardholders.csv:6:1: cardholder_id "C1": duplicate cardholder id (first on line 2)`,
		`cardholders.csv:7:8: status "paused": not a status (want active or cancelled)`,
		`cardholders.csv:9: wrong number of fields (got 3, want 11)`,
		`cardholders.csv:10:10: cancel_reason "************1111": looks like a card number: refused`,
		`cardholders.csv:11:2: first_name "Eve\nBcc: all@example.com": holds a line break or another control character`,
	}
	for i, w := range want {
		if i >= len(rej.errs) {
			t.Fatalf("only %d rejects, want %d", len(rej.errs), len(want))
		}
		if g := rej.errs[i].Error(); g != w {
			t.Errorf("reject %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

func TestExpectedRows(t *testing.T) {
	lengths := func(n ...int) []int { return n }
	id := func(n int) int { return n }
	for _, tt := range []struct {
		size  int64
		first []int
		want  int
	}{
		{1000, lengths(9, 9), 106},                   // 100 rows of 10 bytes, and a sixteenth
		{1000, lengths(0, 0), 125},                   // empty lines: no row under 8 bytes
		{1 << 40, lengths(99), maxExpectedRows},      // never more than 4 million
		{90_000_000, lengths(89, 89, 89), 1_062_500}, // a million cardholders' file
		{10, lengths(999), 0},                        // the first row larger than the file
	} {
		if got := expectedRows(tt.size, tt.first, id); got != tt.want {
			t.Errorf("expectedRows(%d, %v) = %d, want %d", tt.size, tt.first, got, tt.want)
		}
	}
}

func TestReadTransactions(t *testing.T) {
	in := "cardholder_id,posted_on,amount,currency,mcc,merchant,channel,country\r\n" +
		"C1,2026-10-01,42.10,USD,5812,\"Olive & Thyme, Bistro\",in_store,US\r\n" +
		"C1,2026-10-02,-5.00,usd,742,Paws Vet,,\r\n" +
		"C1,2026-10-03,\"12,3.4\",USD,5812,X,online,US\r\n" +
		"C9,2026-10-03,1.00,USD,5812,X,online,US\r\n" +
		"C1,2026-13-45,1.00,USD,5812,X,online,US\r\n" +
		"C1,2026-10-03,1.00,USD,ABCD,X,online,US\r\n" +
		"C1,2026-10-03,1.00,???,5812,X,online,US\r\n" +
		"C1,2026-10-03,1.00,EUR,5812,X,online,FR\r\n" +
		"C1,2026-10-04,3.00,USD,5411,\"Multi\nLine\",in_store,US\r\n"
	got, st, rej, err := readTx(t, in, Options{}, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 9 || st.Accepted != 3 || st.Rejected != 6 {
		t.Fatalf("stats = %+v", st)
	}
	if got[0].Amount != 4210 || got[0].Merchant != MerchantKey([]byte("Olive & Thyme, Bistro")) || got[0].Flags != FlagInStore ||
		got[0].Interest != 0 || !got[0].Mapped || got[0].Day != dayNumber(2026, 10, 1) {
		t.Errorf("first = %+v", got[0])
	}
	if got[1].Amount != -500 || got[1].Code != 742 || got[1].Interest != 2 {
		t.Errorf("refund = %+v", got[1])
	}
	if got[2].Merchant != MerchantKey([]byte("Multi\nLine")) || got[2].Interest != 1 {
		t.Errorf("multi-line = %+v", got[2])
	}
	want := []string{
		`transactions.csv:4:3: amount "12,3.4": not a number`,
		`transactions.csv:5:1: cardholder_id "C9": unknown cardholder id`,
		`transactions.csv:6:2: posted_on "2026-13-45": not a date (want YYYY-MM-DD)`,
		`transactions.csv:7:5: mcc "ABCD": not a merchant category code (want 4 digits)`,
		`transactions.csv:8:4: currency "???": not a currency code (want 3 letters, ISO 4217)`,
		`transactions.csv:9:4: currency "EUR": currency not accepted: no exchange rate is configured (no rate for EUR to USD)`,
	}
	for i, w := range want {
		if g := rej.errs[i].Error(); g != w {
			t.Errorf("reject %d:\n got %s\nwant %s", i, g, w)
		}
	}
	if r := st.TopReasons(10); len(r) != 6 || r[0] != (ReasonCount{"amount: not a number", 1}) {
		t.Errorf("top reasons = %+v, want 6 reasons, amount first", r)
	}
}

func TestTiers(t *testing.T) {
	in := "cardholder_id,first_name,email,tier,marketing_consent\n" +
		"C1,Ann,ann@example.com,Gold,yes\n" +
		"C2,Bo,bo@example.com,diamond,yes\n" +
		"C3,Cy,cy@example.com,,yes\n"
	var rej recorder
	set, st, err := ReadCardholders(context.Background(), strings.NewReader(in), "c.csv", Options{Tiers: []string{"green", "gold", "platinum"}}, &rej)
	if err != nil {
		t.Fatal(err)
	}
	got := set.List
	if st.Accepted != 2 || got[0].Tier != "gold" || got[1].Tier != "" {
		t.Fatalf("accepted %+v", got)
	}
	want := `c.csv:3:4: tier "diamond": not one of the campaign's tiers (want green, gold, platinum)`
	if len(rej.errs) != 1 || rej.errs[0].Error() != want {
		t.Errorf("rejects = %v, want %s", rej.errs, want)
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "ingest: t.csv: empty file: want a header row"},
		{"missing column", "cardholder_id,posted_on,mcc\n", `ingest: t.csv:1: missing required column "amount" (header has: cardholder_id, posted_on, mcc); map it with a column mapping if it has another name`},
		{"duplicate column", "cardholder_id,posted_on,amount,mcc,AMOUNT\n", `ingest: t.csv:1:5: columns 3 ("amount") and 5 ("AMOUNT") are both amount`},
		{"no mcc nor category", "cardholder_id,posted_on,amount\n", `ingest: t.csv:1: missing column: want one of "mcc", "category" (header has: cardholder_id, posted_on, amount)`},
		{"binary", "PK\x00\x00garbage", "ingest: t.csv:1: not a CSV file: binary data (is it a spreadsheet saved in another format, or compressed with something other than gzip?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadTransactions(context.Background(), strings.NewReader(tt.in), "t.csv", Options{Classifier: classes{}}, NewCardholderSet(nil), nil,
				func([]Record) error { return nil })
			var fe *FileError
			if !errors.As(err, &fe) || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestCheckBudget(t *testing.T) {
	st := Stats{File: "t.csv", Read: 1000, Rejected: 10, Reasons: map[string]int{"amount: not a number": 10}}
	if err := st.CheckBudget(0.01); err != nil {
		t.Errorf("1%% rejected within a 1%% budget: %v", err)
	}
	st.Rejected, st.Reasons["amount: not a number"] = 11, 11
	err := st.CheckBudget(0.01)
	if !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), "amount: not a number (11)") {
		t.Errorf("error = %v", err)
	}
}

func TestRejectWriterMasks(t *testing.T) {
	var buf bytes.Buffer
	rw := NewRejectWriter(&buf)
	e := &RowError{File: "t.csv", Line: 3, Column: 2, Field: "note", Value: MaskCardNumbers("4111111111111111"), Err: ErrCardNumber}
	if err := rw.Reject(e, "C1,4111 1111 1111 1111\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "4111 1111") || strings.Contains(buf.String(), "4111111111111111") {
		t.Fatalf("rejects carry a card number:\n%s", buf.String())
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != "3" || recs[1][5] != "C1,************1111" {
		t.Errorf("rejects = %q, %v", recs, err)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := ReadCardholders(ctx, strings.NewReader(cardholdersCSV), "c.csv", Options{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func FuzzReadTransactions(f *testing.F) {
	f.Add("cardholder_id,posted_on,amount,mcc\nC1,2026-10-01,1.00,5812\n")
	f.Add("cardholder_id,posted_on,amount,mcc\n\"C1,2026-10-01,1.00\n")
	f.Add("cardholder_id;posted_on;amount;category\nC1;2026-10-01;1.00;dining\n")
	f.Add("cardholder_id|posted_on|amount|mcc\r\nC1|2026-10-01|-1|742\r\nC2|x|y|z")
	f.Add("cardholder_id,posted_on,amount,mcc\nC1,2026-10-01,1.00,5812\n,,,\nCARDHOLDER_ID,posted_on,amount,mcc\n")
	f.Add("cardholder_id,posted_on,amount,mcc,merchant\nC1,2026-10-01,1.00,5812,Caf\xe9\n")
	f.Add("cardholder_id,posted_on,amount,mcc,merchant\nC1,2026-10-01,1.00,5812,Zoë\nC1,2026-10-01,1.00,5812,Caf\xe9\n")
	f.Add(string(utf16Bytes("cardholder_id\tposted_on\tamount\tmcc\r\nC1\t2026-10-01\t1.00\t5812\r\n", false, true)))
	f.Add(string(utf16Bytes("cardholder_id;posted_on;amount;mcc\nC1;2026-10-01;1.00;5812\n", true, false)))
	f.Add("cardholder_id,posted_on,amount,mcc\nC2,2026-10-01,1.00,5812\nC1,2026-10-01,x,5812\nC9,2026-10-01,1.00,5812\nC3,2026-10-02,1.00,5812\nC9,2026-10-02,y,5812\nC2,2026-10-02,1.00,5812\n")
	f.Fuzz(func(t *testing.T, in string) {
		var rej recorder
		accepted := 0
		badHolder := false
		st, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "f.csv", Options{Classifier: classes{}, Workers: 2},
			NewCardholderSet([]Cardholder{{ID: "C1"}, {ID: "C2"}, {ID: "C3"}}), &rej, func(rs []Record) error {
				accepted += len(rs)
				for _, r := range rs {
					badHolder = badHolder || r.Holder < 0 || r.Holder > 2
				}
				return nil
			})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FileError", err)
			}
			return
		}
		if st.Read != st.Accepted+st.Rejected+st.Skipped() || st.Accepted != accepted || st.Rejected != len(rej.errs) {
			t.Fatalf("counts do not reconcile: %+v, accepted %d, rejects %d", st, accepted, len(rej.errs))
		}
		if badHolder {
			t.Fatal("a record's holder is not one of the cardholders")
		}
		for i := 1; i < len(rej.errs); i++ {
			if rej.errs[i].Line < rej.errs[i-1].Line {
				t.Fatalf("reject of line %d after line %d's", rej.errs[i].Line, rej.errs[i-1].Line)
			}
		}
		for i, e := range rej.errs {
			if !utf8.ValidString(rej.raw[i]) || !utf8.ValidString(e.Error()) {
				t.Fatalf("reject %q (%q) is not UTF-8", e.Error(), rej.raw[i])
			}
		}
	})
}

func FuzzReadCardholders(f *testing.F) {
	f.Add(cardholdersCSV)
	f.Fuzz(func(t *testing.T, in string) {
		set, st, err := ReadCardholders(context.Background(), strings.NewReader(in), "f.csv", Options{}, nil)
		if err != nil {
			return
		}
		if st.Read != st.Accepted+st.Rejected+st.Skipped() || st.Accepted != len(set.List) {
			t.Fatalf("counts do not reconcile: %+v, got %d", st, len(set.List))
		}
		for _, c := range set.List {
			if !utf8.ValidString(c.ID + c.FirstName + c.LastName + c.Email + c.Locale + c.Tier + c.CancelReason) {
				t.Fatalf("cardholder %+v is not UTF-8", c)
			}
			for k, v := range c.Attrs {
				if !utf8.ValidString(k + v) {
					t.Fatalf("attribute %q = %q is not UTF-8", k, v)
				}
			}
		}
	})
}

func TestHeaderAfterEmptyLines(t *testing.T) {
	in := "\n\r\n\ncardholder_id,posted_on,amount,mcc\n\nC1,2026-10-01,1.00,5812\n"
	for _, size := range []int{0, 1, 7} {
		var got []Record
		st, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "t.csv",
			Options{Classifier: classes{}, chunkSize: size}, NewCardholderSet([]Cardholder{{ID: "C1"}}), nil,
			func(rs []Record) error { got = append(got, rs...); return nil })
		if err != nil || st.Read != 1 || len(got) != 1 {
			t.Errorf("chunk size %d: %+v, %d records, %v", size, st, len(got), err)
		}
	}
	_, _, err := ReadTransactions(context.Background(), strings.NewReader("\n\n\n"), "t.csv",
		Options{Classifier: classes{}}, NewCardholderSet(nil), nil, func([]Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("only empty lines: %v", err)
	}
}

// Rows in the cardholders' own order take the next cardholder without the
// index; the holders are those the index gives, in order or not, and when
// a set built by hand names an id twice (the index's last).
func TestTransactionHolders(t *testing.T) {
	list := func(ids ...string) []Cardholder {
		out := make([]Cardholder, len(ids))
		for i, id := range ids {
			out[i] = Cardholder{ID: id}
		}
		return out
	}
	for _, tc := range []struct {
		set  []Cardholder
		rows []string
		want []int32
	}{
		{list("A", "B", "C"), []string{"A", "A", "B", "C", "C"}, []int32{0, 0, 1, 2, 2}},
		{list("A", "B", "C"), []string{"C", "A", "B", "A", "C", "B"}, []int32{2, 0, 1, 0, 2, 1}},
		{list("A", "B", "C", "B"), []string{"A", "B", "C", "B"}, []int32{0, 3, 2, 3}},
		{list("A", "B", "C"), []string{"B", "C", "A", "B"}, []int32{1, 2, 0, 1}},
	} {
		var sb strings.Builder
		sb.WriteString("cardholder_id,posted_on,amount,mcc\n")
		for _, id := range tc.rows {
			sb.WriteString(id + ",2026-10-01,1.00,5411\n")
		}
		var got []int32
		_, _, err := ReadTransactions(context.Background(), strings.NewReader(sb.String()), "t.csv", Options{Classifier: classes{}, Workers: 1},
			NewCardholderSet(tc.set), nil, func(rs []Record) error {
				for _, r := range rs {
					got = append(got, r.Holder)
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("rows %v of %v: holders %v, want %v", tc.rows, tc.set, got, tc.want)
		}
	}
}

// TestDuplicateFirstLine names the first line of a repeated id whatever
// batch it came in, in small chunks, each id of a long file repeated.
func TestDuplicateFirstLine(t *testing.T) {
	const n = 3000
	var sb strings.Builder
	sb.WriteString("cardholder_id,first_name,email,marketing_consent\n")
	for range 2 {
		for i := range n {
			fmt.Fprintf(&sb, "C%05d,Ann,ann%d@example.com,yes\n", i, i)
		}
	}
	var rej recorder
	set, st, err := ReadCardholders(context.Background(), strings.NewReader(sb.String()), "c.csv", Options{chunkSize: 4096}, &rej)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.List) != n || st.Rejected != n || len(rej.errs) != n {
		t.Fatalf("%d accepted, %d rejected (%d errors), want %d each", len(set.List), st.Rejected, len(rej.errs), n)
	}
	for i, e := range rej.errs {
		if want := fmt.Sprintf("first on line %d", i+2); e.Err != ErrDuplicate || e.Detail != want || e.Line != n+i+2 {
			t.Fatalf("reject %d: line %d, %v (%s), want line %d, a duplicate %s", i, e.Line, e.Err, e.Detail, n+i+2, want)
		}
	}
}
