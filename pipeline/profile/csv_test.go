package profile_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"reflect"
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
		{
			ID: "X,1", FirstName: `Ann "Nan"`, LastName: "O'Neil\nSmith", Email: "ann@example.com",
			Locale: "fr-FR", Tier: "", Cancelled: true, CancelledOn: day("2026-02-28"),
			CancelReason: "too, expensive", Consent: false, Spend: -12345, Transactions: 7,
			ActiveMonths: 3, LastActive: day("2026-10-31"), RecencyDays: 0,
			Trend: -2.0 / 3, OnlineShare: 0.1 + 0.7, ForeignShare: 1e-300, Shares: shares,
		},
		{
			ID: " lead", FirstName: "Ünïcödé", LastName: "\t", Email: "", MemberSince: day("1999-12-31"),
			Consent: true, Spend: 123456789012, Transactions: 1 << 40, ActiveMonths: 60,
			LastActive: day("2024-02-29"), RecencyDays: 1000, Trend: 1, OnlineShare: 1,
			ForeignShare: math.Nextafter(1, 0), Shares: make([]float64, n),
		},
		{ID: "empty", RecencyDays: -1, Shares: make([]float64, n)},
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
	p := profile.Profile{ID: "C1", FirstName: "Ann", Consent: true, Spend: 150, Transactions: 2, ActiveMonths: 1,
		LastActive: day("2026-10-01"), RecencyDays: 30, Trend: 1, Shares: []float64{0.5, 0.25, 0, 0.25}}
	var buf bytes.Buffer
	if err := profile.WriteCSV(&buf, tax, []profile.Profile{p}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
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
		"share_dining": "0.5", "share_travel": "0.25", "share_pets": "0", "share_other": "0.25",
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
		{"first share", 1, "share_dining", "0.5x", `profile: profiles.csv:4:21: share_dining: strconv.ParseFloat: parsing "0.5x": invalid syntax`, strconv.ErrSyntax},
		{"last share", 2, "share_other", "", `profile: profiles.csv:5:44: share_other: strconv.ParseFloat: parsing "": invalid syntax`, strconv.ErrSyntax},
		{"NaN share", 1, "share_dining", "NaN", `profile: profiles.csv:4:21: share_dining: "NaN": not a finite number`, nil},
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
		{"another taxonomy", small.String(), "profile: profiles.csv:1: 24 columns, want 44 (written with another taxonomy?)", nil},
		{"renamed interest", strings.Replace(header, "share_dining", "share_food", 1) + "\n",
			`profile: profiles.csv:1:21: column "share_food", want "share_dining"`, nil},
		{"interests reordered", strings.Replace(strings.Replace(header, "share_dining", "share_x", 1), "share_groceries", "share_dining", 1) + "\n",
			`profile: profiles.csv:1:21: column "share_x", want "share_dining"`, nil},
		{"empty", "", "profile: profiles.csv: header: EOF", io.EOF},
		{"header only", header + "\n", "", nil},
		{"header without newline", header, "", nil},
		{"short row", header + "\nC1,Ann\n", "profile: profiles.csv: record on line 2: wrong number of fields", csv.ErrFieldCount},
		{"bad quote", header + "\nC\"1" + strings.Repeat(",", 43) + "\n", "profiles.csv", csv.ErrBareQuote},
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
	f.Add(header + "\nC1,,,,,,,active,,,yes,mail,1.00,1,1,2026-01-01,3,0.5,NaN,+Inf,1,0,0,0\n")
	f.Add(header + "\nC1,,,,,,2026-02-29,,,,,,x,1,1,,3,0,0,0,1,0,0,0\n")
	f.Add(header + "\n\"C\n1\",\"\r\",,,,,,,,,,,-0.5,-0,+7,,-1,-0,1e-320,0x1p-2,1,0,0,0\n")
	f.Add("cardholder_id\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		ps, err := profile.ReadCSV(strings.NewReader(in), "fuzz.csv", tax)
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
