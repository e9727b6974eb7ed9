package profile

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

// csvRecord writes fields with encoding/csv, the writer AppendCSVField must
// match byte for byte.
func csvRecord(fields ...string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(fields) // into a bytes.Buffer
	w.Flush()
	return b.String()
}

func FuzzAppendCSVField(f *testing.F) {
	for _, s := range []string{"", "plain", `\.`, `\.x`, "a,b", `say "hi"`, "two\nlines", "cr\r", " leading", "\tTab",
		"\u00a0nbsp", "\u2003em", "\u0085next", "trailing ", "Zoë", "\xff\xfe", "\xc2"} {
		f.Add(s, "second")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got := string(append(AppendCSVField(append(AppendCSVField(nil, a), ','), []byte(b)), '\n'))
		if want := csvRecord(a, b); got != want {
			t.Errorf("AppendCSVField(%q, %q) = %q, encoding/csv writes %q", a, b, got, want)
		}
	})
}

func TestAppendNumbers(t *testing.T) {
	for _, v := range []int64{0, 1, 9, 10, 99, 100, 101, 123456, -1, -99, -100, -123456, math.MaxInt64, math.MinInt64} {
		if got, want := string(AppendCents(nil, v)), FormatCents(v); got != want {
			t.Errorf("AppendCents(%d) = %q, want %q", v, got, want)
		}
	}
	for _, v := range []float64{0, 1, -1, 0.1, 1.0 / 3, 1e-7, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		if got, want := string(appendFloat(nil, v)), ftoa(v); got != want {
			t.Errorf("appendFloat(%v) = %q, want %q", v, got, want)
		}
	}
	for _, d := range []time.Time{{}, time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), time.Date(1999, 1, 2, 0, 0, 0, 0, time.UTC)} {
		if got, want := string(appendDate(nil, d)), date(d); got != want {
			t.Errorf("appendDate(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAppendTopMerchants(t *testing.T) {
	for _, f := range []Favourites{
		nil,
		{{"dining", "Olive; Thyme"}},
		{{"dining", `A=B\C`}, {"fuel", "QuickPump"}, {"travel", ""}},
		// Out of order, and an interest twice: as the map has them.
		{{"fuel", "QuickPump"}, {"dining", "Bistro"}},
		{{"dining", "First"}, {"dining", "Second"}},
	} {
		if got, want := string(appendTopMerchants(nil, f)), EncodeTopMerchants(f.Map()); got != want {
			t.Errorf("appendTopMerchants(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestWriteRowsAsEncodingCSV(t *testing.T) {
	// Every field of a row written as encoding/csv writes the record
	// the profile's columns make.
	ch := &ingest.Cardholder{ID: " C1", FirstName: `Zoë "Z"`, LastName: "O'Neil, Jr", Email: "z@example.com", Locale: "fr-CA",
		Tier: "gold", CancelReason: "moved\nabroad", Attrs: map[string]string{"segment": `\.`, "points": "1,200"}}
	p := Profile{Cardholder: ch, Spend: -1234, Transactions: 7, ActiveMonths: 3, TransactionsPerMonth: 7.0 / 3, AverageTicket: 99,
		LastActive: time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC), RecencyDays: 28, Trend: -0.25, OnlineShare: 1.0 / 3,
		Shares: []float64{0.5, 0, 0.5}, Concentration: 0.5, FavouriteMerchant: " Corner Shop",
		TopMerchants: Favourites{{"dining", "Olive; Thyme"}}, Relationship: "intermediate"}
	var b bytes.Buffer
	if err := writeRows(&b, []Profile{p, p}, []string{"points", "segment"}); err != nil {
		t.Fatal(err)
	}
	rec := []string{p.ID, p.FirstName, p.LastName, p.Email, p.Locale, p.Tier, date(p.MemberSince.Time()), "active",
		date(p.CancelledOn.Time()), p.CancelReason, "no", string(p.Status()), FormatCents(p.Spend), strconv.Itoa(p.Transactions),
		strconv.Itoa(p.ActiveMonths), date(p.LastActive), strconv.Itoa(p.RecencyDays), ftoa(p.Trend), ftoa(p.OnlineShare),
		ftoa(p.ForeignShare), string(p.Relationship), ftoa(p.TransactionsPerMonth), FormatCents(p.AverageTicket),
		ftoa(p.Concentration), p.FavouriteMerchant, EncodeTopMerchants(p.TopMerchants.Map()), "0.5", "0", "0.5", "1,200", `\.`}
	if want := csvRecord(rec...); b.String() != want+want {
		t.Errorf("writeRows wrote\n%q\nencoding/csv writes\n%q twice", b.String(), want)
	}
}

func TestAppendCents(t *testing.T) {
	tests := []struct {
		cents int64
		want  string
	}{
		{0, "0.00"}, {5, "0.05"}, {10, "0.10"}, {100, "1.00"}, {4210, "42.10"},
		{-1234, "-12.34"}, {-7, "-0.07"}, {123456789, "1234567.89"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := string(AppendCents(nil, tt.cents)); got != tt.want {
				t.Errorf("AppendCents(%d) = %q, want %q", tt.cents, got, tt.want)
			}
		})
	}
}

func TestAppendCSVFieldReadsBack(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Olive & Thyme Bistro", "Olive & Thyme Bistro"},
		{"O'Brien", "O'Brien"},
		{"Zoë", "Zoë"},
		{"12,3.4", `"12,3.4"`},
		{`say "hi"`, `"say ""hi"""`},
		{" lead", `" lead"`},
		{"two\nlines", "\"two\nlines\""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := string(AppendCSVField(nil, tt.in))
			if got != tt.want {
				t.Errorf("AppendCSVField(%q) = %q, want %q", tt.in, got, tt.want)
			}
			rec, err := csv.NewReader(strings.NewReader(got + "\n")).Read()
			if tt.in != "" && (err != nil || len(rec) != 1 || rec[0] != tt.in) {
				t.Errorf("encoding/csv reads %q back as %q, %v", got, rec, err)
			}
		})
	}
}
