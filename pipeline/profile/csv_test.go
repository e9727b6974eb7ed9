package profile_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
)

// awkwardProfiles returns profiles whose text and numbers are hard to
// write and read back: CSV metacharacters, floats with no short decimal
// form, extreme values.
func awkwardProfiles(n int) []profile.Profile {
	shares := make([]float64, n)
	shares[0] = 1.0 / 3
	shares[1] = 0.1 + 0.2
	shares[2] = math.SmallestNonzeroFloat64
	shares[n-1] = 1 - shares[0] - shares[1] - shares[2]
	return []profile.Profile{
		{Cardholder: &ingest.Cardholder{ID: "X,1", FirstName: `Ann "Nan"`, LastName: "O'Neil\nSmith", Email: "ann@example.com", Locale: "fr-FR", Tier: "", Cancelled: true, CancelledOn: ingest.DateOf(day("2026-02-28")), CancelReason: "too, expensive", Consent: false, Attrs: map[string]string{"segment": "B2", "note": "a,b \"c\" \\;="}}, Spend: -12345, Transactions: 7, ActiveMonths: 3, LastActive: day("2026-10-31"), RecencyDays: 0, Trend: -2.0 / 3, OnlineShare: 0.1 + 0.7, ForeignShare: 1e-300, Shares: shares, Relationship: profile.RelationshipLost, TransactionsPerMonth: 7.0 / 3, AverageTicket: 12345, Concentration: shares[0]*shares[0] + shares[1]*shares[1] + shares[n-1]*shares[n-1], FavouriteMerchant: `Café "Le ;=\ Coin"`, TopMerchants: profile.FavouritesOf(map[string]string{"dining": `Olive \ Thyme; Co=op`, "pets": `=;\`})},
		{Cardholder: &ingest.Cardholder{ID: " lead", FirstName: "Ünïcödé", LastName: "\t", Email: "", MemberSince: ingest.DateOf(day("1999-12-31")), Consent: true, Attrs: map[string]string{"segment": "A"}}, Spend: 123456789012, Transactions: 1 << 40, ActiveMonths: 60, LastActive: day("2024-02-29"), RecencyDays: 1000, Trend: 1, OnlineShare: 1, ForeignShare: math.Nextafter(1, 0), Shares: make([]float64, n), Relationship: profile.RelationshipLostForGood, TransactionsPerMonth: 1 << 40 / 60.0, AverageTicket: -1, Concentration: 1, TopMerchants: profile.FavouritesOf(map[string]string{"dining": ""})},
		{Cardholder: &ingest.Cardholder{ID: "empty"}, RecencyDays: -1, Shares: make([]float64, n)},
	}
}

// roundTrip writes profiles and reads them back.
func roundTrip(t *testing.T, tax *profile.Taxonomy, ps []profile.Profile) ([]profile.Profile, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := profile.WriteCSV(&buf, tax, ps); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	out := bytes.Clone(buf.Bytes())
	got, err := profile.ReadCSV(&buf, "profiles.csv", tax)
	if err != nil {
		t.Fatalf("ReadCSV: %v\n%s", err, out)
	}
	return got, out
}

func TestCSVRoundTrip(t *testing.T) {
	tax := defaultTax(t)
	byID, _ := buildTest(t, tax, profile.Options{End: runEnd})
	var built []profile.Profile
	for _, h := range testHolders() {
		built = append(built, byID[h.ID])
	}
	tests := []struct {
		name     string
		profiles []profile.Profile
	}{
		{"built", built},
		{"awkward", awkwardProfiles(tax.Len())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, out := roundTrip(t, tax, tt.profiles)
			if !reflect.DeepEqual(got, tt.profiles) {
				for i := range got {
					if i < len(tt.profiles) && !reflect.DeepEqual(got[i], tt.profiles[i]) {
						t.Errorf("profile %d\n got %+v\nwant %+v", i, got[i], tt.profiles[i])
					}
				}
				t.Fatalf("read %d profiles back, wrote %d", len(got), len(tt.profiles))
			}
			for i := range got {
				for k := range got[i].Shares {
					if math.Float64bits(got[i].Shares[k]) != math.Float64bits(tt.profiles[i].Shares[k]) {
						t.Errorf("profile %d share %d: %v, want exactly %v", i, k, got[i].Shares[k], tt.profiles[i].Shares[k])
					}
				}
			}
			_, again := roundTrip(t, tax, got)
			if !bytes.Equal(out, again) {
				t.Errorf("second write differs:\n%s\n%s", out, again)
			}
		})
	}
}

func TestWriteCSVColumns(t *testing.T) {
	tax := smallTax(t)
	p := profile.Profile{Cardholder: &ingest.Cardholder{ID: "C1", FirstName: "Ann", Consent: true, Attrs: map[string]string{"segment": "B2"}}, Spend: 150, Transactions: 2, ActiveMonths: 1, LastActive: day("2026-10-01"), RecencyDays: 30, Trend: 1, Shares: []float64{0.5, 0.25, 0, 0.25}, Relationship: profile.RelationshipAlwaysAShare, TransactionsPerMonth: 2, AverageTicket: 75, Concentration: 0.375, FavouriteMerchant: "Olive & Thyme", TopMerchants: profile.FavouritesOf(map[string]string{"dining": "Olive & Thyme", "pets": `A=B \ C;`})}
	// Another profile's attribute makes a column, empty for C1.
	other := profile.Profile{Cardholder: &ingest.Cardholder{ID: "C2", Attrs: map[string]string{"branch": "Lyon"}}, Shares: make([]float64, 4)}
	var buf bytes.Buffer
	if err := profile.WriteCSV(&buf, tax, []profile.Profile{p, other}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	wantHeader := []string{"cardholder_id", "first_name", "last_name", "email", "locale", "tier",
		"member_since", "status", "cancelled_on", "cancel_reason", "marketing_consent",
		"mail_status", "spend", "transactions", "active_months", "last_active",
		"recency_days", "trend", "online_share", "foreign_share", "relationship",
		"transactions_per_month", "average_ticket", "concentration",
		"favourite_merchant", "top_merchants", "share_dining", "share_travel", "share_pets", "share_other",
		"attr_branch", "attr_segment"}
	if !reflect.DeepEqual(recs[0], wantHeader) {
		t.Errorf("header\n got %q\nwant %q", recs[0], wantHeader)
	}
	got := map[string]string{}
	for i, h := range recs[0] {
		got[h] = recs[1][i]
	}
	want := map[string]string{
		"cardholder_id": "C1", "first_name": "Ann", "last_name": "", "email": "", "locale": "", "tier": "",
		"member_since": "", "status": "active", "cancelled_on": "", "cancel_reason": "", "marketing_consent": "yes",
		"mail_status": "mail", "spend": "1.50", "transactions": "2", "active_months": "1", "last_active": "2026-10-01",
		"recency_days": "30", "trend": "1", "online_share": "0", "foreign_share": "0",
		"relationship": "always-a-share", "transactions_per_month": "2", "average_ticket": "0.75",
		"concentration": "0.375", "favourite_merchant": "Olive & Thyme", "top_merchants": `dining=Olive & Thyme;pets=A\=B \\ C\;`,
		"share_dining": "0.5", "share_travel": "0.25", "share_pets": "0", "share_other": "0.25",
		"attr_branch": "", "attr_segment": "B2",
	}
	if !reflect.DeepEqual(got, want) || len(recs[0]) != len(want) {
		t.Errorf("columns\n got %v\nwant %v", got, want)
	}
}

// writeErr fails every write.
type writeErr struct{ err error }

func (w writeErr) Write([]byte) (int, error) { return 0, w.err }

func TestWriteCSVError(t *testing.T) {
	errDisk := errors.New("disk full")
	err := profile.WriteCSV(writeErr{errDisk}, smallTax(t), awkwardProfiles(4))
	if !errors.Is(err, errDisk) {
		t.Errorf("WriteCSV error %v, want %v", err, errDisk)
	}
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct {
	n   int
	err error
}

func (w *failAfter) Write(b []byte) (int, error) {
	if len(b) > w.n {
		return 0, w.err
	}
	w.n -= len(b)
	return len(b), nil
}

// TestWriteCSVManyRounds writes more profiles than one round of chunks
// formats at once: the rows come out whole and in order, and a write that
// fails in the middle stops the writing with its error.
func TestWriteCSVManyRounds(t *testing.T) {
	tax := smallTax(t)
	one := awkwardProfiles(4)
	var ps []profile.Profile
	for len(ps) < 100_000 {
		ps = append(ps, one...)
	}
	var whole, first bytes.Buffer
	if err := profile.WriteCSV(&whole, tax, ps); err != nil {
		t.Fatal(err)
	}
	if err := profile.WriteCSV(&first, tax, one); err != nil {
		t.Fatal(err)
	}
	header, rows, _ := bytes.Cut(first.Bytes(), []byte("\n"))
	if !bytes.HasPrefix(rows, []byte("\"X,1\"")) {
		t.Fatalf("unexpected first row %q", rows)
	}
	want := append(append(bytes.Clone(header), '\n'), bytes.Repeat(rows, len(ps)/len(one))...)
	if !bytes.Equal(whole.Bytes(), want) {
		t.Fatalf("%d profiles: %d bytes, want %d bytes of the same rows repeated", len(ps), whole.Len(), len(want))
	}
	errDisk := errors.New("disk full")
	for _, n := range []int{0, len(header) + 1, whole.Len() / 2, whole.Len() - 1} {
		err := profile.WriteCSV(&failAfter{n: n, err: errDisk}, tax, ps)
		if !errors.Is(err, errDisk) {
			t.Errorf("failing after %d bytes: error %v, want %v", n, err, errDisk)
		}
	}
}

// csvWith writes profiles and changes one field of one data row (0-based,
// after the header).
func csvWith(t *testing.T, tax *profile.Taxonomy, row int, column, value string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := profile.WriteCSV(&buf, tax, awkwardProfiles(tax.Len())); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == column {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no column %q", column)
	}
	recs[row+1][col] = value
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestReadCSVErrors(t *testing.T) {
	tax := defaultTax(t)
	// Row 0 spans lines 2 and 3 (a last name with a newline): row 1 is on
	// line 4 and row 2 on line 5.
	tests := []struct {
		name   string
		row    int
		column string
		value  string
		want   string // the error message
		is     error
	}{
		{"spend", 1, "spend", "12,50", "profile: profiles.csv:4:13: spend: not a number", ingest.ErrNotNumber},
		{"spend required", 2, "spend", "", "profile: profiles.csv:5:13: spend: required", ingest.ErrRequired},
		{"spend on a record over two lines", 0, "spend", "1.234", "profile: profiles.csv:2:13: spend: not a number", ingest.ErrNotNumber},
		{"member_since", 1, "member_since", "2026-13-01", "profile: profiles.csv:4:7: member_since: " + ingest.ErrNotDate.Error(), ingest.ErrNotDate},
		{"cancelled_on", 2, "cancelled_on", "yesterday", "profile: profiles.csv:5:9: cancelled_on: " + ingest.ErrNotDate.Error(), ingest.ErrNotDate},
		{"last_active", 1, "last_active", "2026-02-30", "profile: profiles.csv:4:16: last_active: " + ingest.ErrNotDate.Error(), ingest.ErrNotDate},
		{"transactions", 1, "transactions", "many", `profile: profiles.csv:4:14: transactions: strconv.Atoi: parsing "many": invalid syntax`, strconv.ErrSyntax},
		{"active_months", 1, "active_months", "", `profile: profiles.csv:4:15: active_months: strconv.Atoi: parsing "": invalid syntax`, strconv.ErrSyntax},
		{"recency_days", 1, "recency_days", "1.5", `profile: profiles.csv:4:17: recency_days: strconv.Atoi: parsing "1.5": invalid syntax`, strconv.ErrSyntax},
		{"trend", 1, "trend", "up", `profile: profiles.csv:4:18: trend: strconv.ParseFloat: parsing "up": invalid syntax`, strconv.ErrSyntax},
		{"online_share", 2, "online_share", "1e999", `profile: profiles.csv:5:19: online_share: strconv.ParseFloat: parsing "1e999": value out of range`, strconv.ErrRange},
		{"foreign_share", 1, "foreign_share", "50%", `profile: profiles.csv:4:20: foreign_share: strconv.ParseFloat: parsing "50%": invalid syntax`, strconv.ErrSyntax},
		{"relationship", 1, "relationship", "friend", `profile: profiles.csv:4:21: relationship: "friend": not a relationship type`, nil},
		{"relationship in capitals", 2, "relationship", "LOST", `profile: profiles.csv:5:21: relationship: "LOST": not a relationship type`, nil},
		{"transactions_per_month", 1, "transactions_per_month", "2/month", `profile: profiles.csv:4:22: transactions_per_month: strconv.ParseFloat: parsing "2/month": invalid syntax`, strconv.ErrSyntax},
		{"average_ticket", 1, "average_ticket", "12.345", "profile: profiles.csv:4:23: average_ticket: not a number", ingest.ErrNotNumber},
		{"concentration", 2, "concentration", "NaN", `profile: profiles.csv:5:24: concentration: "NaN": not a finite number`, nil},
		{"top_merchants without =", 1, "top_merchants", "dining", `profile: profiles.csv:4:26: top_merchants: "dining": want interest=merchant`, nil},
		{"top_merchants trailing ;", 1, "top_merchants", "dining=A;", `profile: profiles.csv:4:26: top_merchants: "": want interest=merchant`, nil},
		{"top_merchants unknown interest", 1, "top_merchants", "dining=A;travel=B", `profile: profiles.csv:4:26: top_merchants: interest "travel": not in the taxonomy`, nil},
		{"top_merchants twice", 2, "top_merchants", "dining=A;dining=B", `profile: profiles.csv:5:26: top_merchants: interest "dining": given twice`, nil},
		{"top_merchants bad escape", 1, "top_merchants", `dining=A\B`, `profile: profiles.csv:4:26: top_merchants: at byte 9: a backslash must escape "\", ";" or "="`, nil},
		{"top_merchants unescaped =", 1, "top_merchants", `dining=A=B`, `profile: profiles.csv:4:26: top_merchants: at byte 9: "=" in a merchant name must be escaped`, nil},
		{"first share", 1, "share_dining", "0.5x", `profile: profiles.csv:4:27: share_dining: strconv.ParseFloat: parsing "0.5x": invalid syntax`, strconv.ErrSyntax},
		{"last share", 2, "share_other", "", `profile: profiles.csv:5:50: share_other: strconv.ParseFloat: parsing "": invalid syntax`, strconv.ErrSyntax},
		{"NaN share", 1, "share_dining", "NaN", `profile: profiles.csv:4:27: share_dining: "NaN": not a finite number`, nil},
		{"infinite trend", 2, "trend", "-Inf", `profile: profiles.csv:5:18: trend: "-Inf": not a finite number`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := csvWith(t, tax, tt.row, tt.column, tt.value)
			ps, err := profile.ReadCSV(strings.NewReader(in), "profiles.csv", tax)
			if err == nil {
				t.Fatalf("ReadCSV read %d profiles, want an error", len(ps))
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestReadCSVHeader(t *testing.T) {
	tax := defaultTax(t)
	var small bytes.Buffer
	if err := profile.WriteCSV(&small, smallTax(t), awkwardProfiles(4)); err != nil {
		t.Fatal(err)
	}
	var good bytes.Buffer
	if err := profile.WriteCSV(&good, tax, nil); err != nil {
		t.Fatal(err)
	}
	header := strings.TrimSuffix(good.String(), "\n")
	tests := []struct {
		name string
		in   string
		want string // a part of the error message, or "" for none
		is   error
	}{
		{"another taxonomy", small.String(), "profile: profiles.csv:1: 32 columns, want 50 and attributes (written with another taxonomy?)", nil},
		{"renamed interest", strings.Replace(header, "share_dining", "share_food", 1) + "\n",
			`profile: profiles.csv:1:27: column "share_food", want "share_dining"`, nil},
		{"interests reordered", strings.Replace(strings.Replace(header, "share_dining", "share_x", 1), "share_groceries", "share_dining", 1) + "\n",
			`profile: profiles.csv:1:27: column "share_x", want "share_dining"`, nil},
		{"renamed fixed column", strings.Replace(header, ",spend,", ",amount,", 1) + "\n",
			`profile: profiles.csv:1:13: column "amount", want "spend"`, nil},
		{"columns swapped", strings.Replace(header, "online_share,foreign_share", "foreign_share,online_share", 1) + "\n",
			`profile: profiles.csv:1:19: column "foreign_share", want "online_share"`, nil},
		{"extra column", header + ",notes\n", `profile: profiles.csv:1:51: column "notes", want attr_<name>`, nil},
		{"attribute without a name", header + ",attr_\n", `profile: profiles.csv:1:51: column "attr_", want attr_<name>`, nil},
		{"attribute twice", header + ",attr_a,attr_b,attr_a\n", `profile: profiles.csv:1:53: column "attr_a" twice`, nil},
		{"attributes", header + ",attr_a,attr_b\n", "", nil},
		{"empty", "", "profile: profiles.csv: header: EOF", io.EOF},
		{"header only", header + "\n", "", nil},
		{"header without newline", header, "", nil},
		{"short row", header + "\nC1,Ann\n", "profile: profiles.csv: record on line 2: wrong number of fields", csv.ErrFieldCount},
		{"bad quote", header + "\nC\"1" + strings.Repeat(",", 49) + "\n", "profiles.csv", csv.ErrBareQuote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := profile.ReadCSV(strings.NewReader(tt.in), "profiles.csv", tax)
			if tt.want == "" {
				if err != nil || len(ps) != 0 {
					t.Fatalf("ReadCSV = %d profiles, %v; want none, nil", len(ps), err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadCSV read %d profiles, want an error", len(ps))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n got %q\nwant %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestFormatCents(t *testing.T) {
	tests := []struct {
		cents int64
		want  string
	}{
		{0, "0.00"},
		{1, "0.01"},
		{5, "0.05"},
		{10, "0.10"},
		{99, "0.99"},
		{100, "1.00"},
		{12345, "123.45"},
		{-1, "-0.01"},
		{-5, "-0.05"},
		{-99, "-0.99"},
		{-100, "-1.00"},
		{-12345, "-123.45"},
		{123456789012, "1234567890.12"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := profile.FormatCents(tt.cents)
			if got != tt.want {
				t.Fatalf("FormatCents(%d) = %q, want %q", tt.cents, got, tt.want)
			}
			if tt.cents == math.MaxInt64 || tt.cents == math.MinInt64 {
				return // beyond ParseAmount's range
			}
			if back, err := ingest.ParseAmount(got); err != nil || back != tt.cents {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", got, back, err, tt.cents)
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	tax := smallTax(f)
	var buf bytes.Buffer
	if err := profile.WriteCSV(&buf, tax, awkwardProfiles(tax.Len())); err != nil {
		f.Fatal(err)
	}
	valid := buf.String()
	header, _, _ := strings.Cut(valid, "\n")
	f.Add(valid)
	f.Add(header + "\n")
	f.Add(header + "\nC1,,,,,,,active,,,yes,mail,1.00,1,1,2026-01-01,3,0.5,NaN,+Inf,lost,1,0.50,1,,,1,0,0,0,x,\n")
	f.Add(header + "\nC1,,,,,,2026-02-29,,,,,,x,1,1,,3,0,0,0,,1,1,1,,dining=\\;;pets=\\\\,1,0,0,0,,y\n")
	f.Add(header + "\n\"C\n1\",\"\r\",,,,,,,,,,,-0.5,-0,+7,,-1,-0,1e-320,0x1p-2,inactive,-0,-0.01,0x1p-2,M,other=,1,0,0,0,,\n")
	f.Add(header + "\nC1,,,,,,,,,,,,1,1,1,,1,0,0,0,,0,0,0,,dining=a=b,0,0,0,0,,\n")
	f.Add("cardholder_id\n")
	f.Add("")
	// Chunks of 64 bytes: most inputs are cut into several.
	defer profile.SetReadChunk(64)()
	f.Fuzz(func(t *testing.T, in string) {
		ps, err := profile.ReadCSV(strings.NewReader(in), "fuzz.csv", tax)
		// The chunked reader reads as one reader does (compared as
		// written again, NaN shares being no DeepEqual of themselves).
		want, wantErr := readByEach(strings.NewReader(in), "fuzz.csv", tax)
		var got, once bytes.Buffer
		profile.WriteCSV(&got, tax, ps)
		profile.WriteCSV(&once, tax, want)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || len(ps) != len(want) || got.String() != once.String() {
			t.Fatalf("ReadCSV: %v, %d profiles; one reader: %v, %d profiles", err, len(ps), wantErr, len(want))
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "profile: fuzz.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for i, p := range ps {
			if len(p.Shares) != tax.Len() {
				t.Fatalf("profile %d has %d shares, want %d", i, len(p.Shares), tax.Len())
			}
		}
		// What was read writes and reads back to the same text.
		var w1, w2 bytes.Buffer
		if err := profile.WriteCSV(&w1, tax, ps); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		again, err := profile.ReadCSV(bytes.NewReader(w1.Bytes()), "again.csv", tax)
		if err != nil {
			t.Fatalf("reading back what WriteCSV wrote: %v\n%q", err, w1.String())
		}
		if err := profile.WriteCSV(&w2, tax, again); err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
			t.Fatalf("not stable:\n%q\n%q", w1.String(), w2.String())
		}
	})
}

func TestEncodeTopMerchants(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]string
		want string
	}{
		{"nil", nil, ""},
		{"empty", map[string]string{}, ""},
		{"one", map[string]string{"dining": "Olive & Thyme"}, "dining=Olive & Thyme"},
		{"sorted by interest", map[string]string{"pets": "Paws", "dining": "Bistro", "fuel": "QuickPump"}, "dining=Bistro;fuel=QuickPump;pets=Paws"},
		{"escapes", map[string]string{"dining": `a;b=c\d`}, `dining=a\;b\=c\\d`},
		{"escapes in the interest", map[string]string{`x=;\`: "y"}, `x\=\;\\=y`},
		{"empty name", map[string]string{"dining": ""}, "dining="},
		{"only specials", map[string]string{"a": `\\;;==`}, `a=\\\\\;\;\=\=`},
		{"commas, quotes and newlines are CSV's business", map[string]string{"a": "x,\"y\"\nz"}, "a=x,\"y\"\nz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := profile.EncodeTopMerchants(tt.m)
			if got != tt.want {
				t.Fatalf("EncodeTopMerchants = %q, want %q", got, tt.want)
			}
			back, err := profile.DecodeTopMerchants(got)
			if err != nil {
				t.Fatalf("DecodeTopMerchants(%q): %v", got, err)
			}
			if len(tt.m) == 0 {
				if back != nil {
					t.Errorf("DecodeTopMerchants(%q) = %v, want nil", got, back)
				}
				return
			}
			if !reflect.DeepEqual(back, tt.m) {
				t.Errorf("DecodeTopMerchants(%q) = %q, want %q", got, back, tt.m)
			}
		})
	}
}

func TestDecodeTopMerchantsErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"dining", `"dining": want interest=merchant`},
		{";", `"": want interest=merchant`},
		{"a=b;", `"": want interest=merchant`},
		{"a=b;;c=d", `"": want interest=merchant`},
		{"=b", "at byte 1: empty interest"},
		{"a=b=c", `at byte 4: "=" in a merchant name must be escaped`},
		{"a=b;a=c", `interest "a": given twice`},
		{`a=b\`, `at byte 4: a backslash must escape "\", ";" or "="`},
		{`a=b\n`, `at byte 4: a backslash must escape "\", ";" or "="`},
		{`a\=b`, `"a=b": want interest=merchant`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := profile.DecodeTopMerchants(tt.in)
			if err == nil {
				t.Fatalf("DecodeTopMerchants(%q) = %q, want an error", tt.in, m)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeTopMerchants(f *testing.F) {
	for _, s := range []string{"", "dining=Olive", `a=\;\=\\;b=`, "a=b;a=c", `a\`, "=", ";;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := profile.DecodeTopMerchants(s)
		if err != nil {
			return
		}
		// What decodes encodes to a text that decodes to the same map.
		enc := profile.EncodeTopMerchants(m)
		back, err := profile.DecodeTopMerchants(enc)
		if err != nil {
			t.Fatalf("DecodeTopMerchants(%q) = %q, which encodes as %q, which does not decode: %v", s, m, enc, err)
		}
		if len(m) == 0 && back != nil || len(m) > 0 && !reflect.DeepEqual(back, m) {
			t.Fatalf("DecodeTopMerchants(%q) = %q, which encodes as %q, which decodes as %q", s, m, enc, back)
		}
		// Pairs in interest order are the canonical form.
		if enc != s && slices.IsSorted(interests(s)) && !strings.Contains(s, "\\") {
			t.Fatalf("DecodeTopMerchants(%q) = %q, which encodes as %q", s, m, enc)
		}
	})
}

// interests returns the interests of an encoded top_merchants value without
// escapes, in their order.
func interests(s string) []string {
	var out []string
	for _, pair := range strings.Split(s, ";") {
		k, _, _ := strings.Cut(pair, "=")
		out = append(out, k)
	}
	return out
}

// TestWriteCSVChunks writes enough profiles for several rounds of chunks,
// with one core and with several: the bytes are the one writer's, rows in
// order.
func TestWriteCSVChunks(t *testing.T) {
	tax := defaultTax(t)
	unit := awkwardProfiles(tax.Len())
	var one bytes.Buffer
	if err := profile.WriteCSV(&one, tax, unit); err != nil {
		t.Fatal(err)
	}
	header, rows, _ := bytes.Cut(one.Bytes(), []byte("\n"))
	rows = rows[:len(rows):len(rows)]
	const repeat = 20011 // past several rounds of 4096-profile chunks, not a multiple of them
	var many []profile.Profile
	want := append(append([]byte{}, header...), '\n')
	for range repeat {
		many = append(many, unit...)
		want = append(want, rows...)
	}
	for _, procs := range []int{1, 3, 8} {
		prev := runtime.GOMAXPROCS(procs)
		var got bytes.Buffer
		err := profile.WriteCSV(&got, tax, many)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("GOMAXPROCS %d: %d bytes written, want the %d of one writer", procs, got.Len(), len(want))
		}
	}
}

// readByEach is ReadCSV the one-reader way, the reference.
func readByEach(r io.Reader, name string, tax *profile.Taxonomy) ([]profile.Profile, error) {
	var out []profile.Profile
	err := profile.EachCSV(r, name, tax, func(p *profile.Profile) error {
		out = append(out, *p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TestReadCSVChunks reads files of many chunks, whole and with a fault
// far in, as one reader would: the same profiles, or the same error at
// the same line.
func TestReadCSVChunks(t *testing.T) {
	tax := defaultTax(t)
	unit := awkwardProfiles(tax.Len())
	var many []profile.Profile
	for range 30011 {
		many = append(many, unit...)
	}
	var buf bytes.Buffer
	if err := profile.WriteCSV(&buf, tax, many); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	if len(file) < 3*(4<<20) {
		t.Fatalf("the file is %d bytes: too few chunks to test", len(file))
	}
	// at returns the offset of the start of the line-th line (1-based).
	at := func(line int) int {
		off := 0
		for range line - 1 {
			off += bytes.IndexByte(file[off:], '\n') + 1
		}
		return off
	}
	// A row far in: its line (the awkward profiles hold a quoted line
	// break, so rows and lines differ) and its first field.
	row := at(40001)
	tests := []struct {
		name string
		file []byte
	}{
		{"whole", file},
		{"no last line end", bytes.TrimSuffix(file, []byte("\n"))},
		{"header only", file[:at(2)]},
		{"a bad number far in", append(append([]byte{}, file[:row]...), bytes.Replace(file[row:], []byte(",7,3,"), []byte(",7,x,"), 1)...)},
		{"a bare quote far in", append(append(append([]byte{}, file[:row]...), []byte(`a"b,`)...), file[row:]...)},
		{"a short row far in", append(append(append([]byte{}, file[:row]...), []byte("short,row\n")...), file[row:]...)},
		{"an open quote at the end", append(append([]byte{}, file...), []byte(`"open`)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := readByEach(bytes.NewReader(tt.file), "profiles.csv", tax)
			got, err := profile.ReadCSV(bytes.NewReader(tt.file), "profiles.csv", tax)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, want %v", err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read %d profiles, one reader reads %d, or they differ", len(got), len(want))
			}
		})
	}
}
