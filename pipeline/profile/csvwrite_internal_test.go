package profile

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/csvout"
	"github.com/tailor-mail/tailor/pipeline/ingest"
)

func TestAppendNumbers(t *testing.T) {
	for _, v := range []int64{0, 1, 9, 10, 99, 100, 101, 123456, -1, -99, -100, -123456, math.MaxInt64, math.MinInt64} {
		if got, want := string(csvout.Cents(nil, v)), FormatCents(v); got != want {
			t.Errorf("csvout.Cents(%d) = %q, want %q", v, got, want)
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1.0 / 3, 1e-7, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64, math.Inf(1), math.NaN()} {
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
		{},
		MakeFavourites(Favourite{"dining", "Olive; Thyme"}),
		MakeFavourites(Favourite{"dining", `A=B\C`}, Favourite{"fuel", "QuickPump"}, Favourite{"travel", ""}),
		// Out of order, and an interest twice: as the map has them.
		MakeFavourites(Favourite{"fuel", "QuickPump"}, Favourite{"dining", "Bistro"}),
		MakeFavourites(Favourite{"dining", "First"}, Favourite{"dining", "Second"}),
		// Ids that sort differently as bytes and as text.
		MakeFavourites(Favourite{"fuel", "F"}, Favourite{"Fuel", "G"}, Favourite{"fuel_2", "H"}, Favourite{"fuel-2", "I"}),
	} {
		if got, want := string(appendTopMerchants(nil, f)), EncodeTopMerchants(f.Map()); got != want {
			t.Errorf("appendTopMerchants(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestAppendRowsAsEncodingCSV(t *testing.T) {
	// Every field of a row written as encoding/csv writes the record
	// the profile's columns make.
	ch := &ingest.Cardholder{ID: " C1", FirstName: `Zoë "Z"`, LastName: "O'Neil, Jr", Email: "z@example.com", Locale: "fr-CA",
		Tier: "gold", CancelReason: "moved\nabroad", Attrs: map[string]string{"segment": `\.`, "points": "1,200"}}
	p := Profile{Cardholder: ch, Spend: -1234, Transactions: 7, ActiveMonths: 3, TransactionsPerMonth: 7.0 / 3, AverageTicket: 99,
		LastActive: time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC), RecencyDays: 28, Trend: -0.25, OnlineShare: 1.0 / 3,
		Shares: []float64{0.5, 0, 0.5}, Concentration: 0.5, FavouriteMerchant: " Corner Shop",
		TopMerchants: MakeFavourites(Favourite{"dining", "Olive; Thyme"}), Relationship: "intermediate"}
	got := appendRows([]byte("before\n"), []Profile{p, p}, []string{"points", "segment"})
	rec := []string{p.ID, p.FirstName, p.LastName, p.Email, p.Locale, p.Tier, date(p.MemberSince.Time()), "active",
		date(p.CancelledOn.Time()), p.CancelReason, "no", string(p.Status()), FormatCents(p.Spend), strconv.Itoa(p.Transactions),
		strconv.Itoa(p.ActiveMonths), date(p.LastActive), strconv.Itoa(p.RecencyDays), ftoa(p.Trend), ftoa(p.OnlineShare),
		ftoa(p.ForeignShare), string(p.Relationship), ftoa(p.TransactionsPerMonth), FormatCents(p.AverageTicket),
		ftoa(p.Concentration), p.FavouriteMerchant, EncodeTopMerchants(p.TopMerchants.Map()), "0.5", "0", "0.5", "1,200", `\.`}
	var w bytes.Buffer
	cw := csv.NewWriter(&w)
	_ = cw.Write(rec) // into a bytes.Buffer
	cw.Flush()
	if want := w.String(); string(got) != "before\n"+want+want {
		t.Errorf("appendRows appended\n%q\nto \"before\\n\"; encoding/csv writes\n%q twice", got, want)
	}
}

// FuzzAppendDate holds appendDate to time's layout for any day, in any
// year time can lay out.
func FuzzAppendDate(f *testing.F) {
	for _, sec := range []int64{0, 1796598132, -62135596800, -62135596801, 253402300799, 253402300800, 1 << 40, -1 << 40} {
		f.Add(sec)
	}
	f.Fuzz(func(t *testing.T, sec int64) {
		d := time.Unix(sec%(1<<42), 0).UTC()
		if got, want := string(appendDate([]byte("x"), d)), "x"+date(d); got != want {
			t.Fatalf("appendDate(%v) = %q, want %q", d, got, want)
		}
	})
}
