package ingest

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestReadFeatures(t *testing.T) {
	set := NewCardholderSet([]Cardholder{{ID: "C1"}, {ID: "C2"}, {ID: "C3"}})
	in := "Customer ID;dining;travel;spend_level;segment\n" +
		"C2;0,5;0,25;1.234,5;x\n" +
		"C1;0;1e-1;12;y\n" +
		"C9;0;0;0;z\n" +
		"C2;1;1;1;w\n" +
		"C3;abc;0;0;v\n" +
		"C3;NaN;0;0;v\n"
	var rej recorder
	tab, st, err := ReadFeatures(context.Background(), strings.NewReader(in), "features.csv",
		Options{Format: Format{Decimal: ',', Thousands: '.'}}, []string{"dining", "Travel", "spend_level"}, set, &rej)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tab.Names, ",") != "dining,travel,spend_level" || st.Read != 6 || st.Accepted != 2 || st.Rejected != 4 {
		t.Fatalf("names %v, stats %+v", tab.Names, st)
	}
	if tab.Holders[0] != 1 || tab.Holders[1] != 0 {
		t.Errorf("holders %v", tab.Holders)
	}
	if r := tab.Row(0); r[0] != 0.5 || r[1] != 0.25 || r[2] != 1234.5 {
		t.Errorf("row 0 = %v", r)
	}
	if r := tab.Row(1); r[1] != 0.1 || r[2] != 12 {
		t.Errorf("row 1 = %v", r)
	}
	want := []string{
		`features.csv:4:1: cardholder_id "C9": unknown cardholder id`,
		`features.csv:5:1: cardholder_id "C2": duplicate cardholder id (first on line 2)`,
		`features.csv:6:2: dining "abc": not a number`,
		`features.csv:7:2: dining "NaN": not a finite number`,
	}
	for i, w := range want {
		if i >= len(rej.errs) || rej.errs[i].Error() != w {
			t.Errorf("reject %d: %v, want %s", i, rej.errs, w)
		}
	}
	_, _, err = ReadFeatures(context.Background(), strings.NewReader(in), "features.csv", Options{Format: Format{Delimiter: ';'}},
		[]string{"dining", "shopping"}, set, nil)
	if err == nil || !strings.Contains(err.Error(), `feature columns "shopping" not in the header`) {
		t.Errorf("missing feature column: %v", err)
	}
}

func FuzzReadFeatures(f *testing.F) {
	for i, in := range []string{"cardholder_id,a,b\nC1,1,2\nC2,x,3\n", "customer_id;dining\nC1;0,5\n", "cardholder_id\nC1\n",
		"cardholder_id,a,b\nC1,,2\nC2,4,\nC3,,\n"} {
		f.Add(in, uint8(i))
	}
	f.Fuzz(func(t *testing.T, in string, policy uint8) {
		set := NewCardholderSet([]Cardholder{{ID: "C1"}, {ID: "C2"}, {ID: "C3"}})
		policies := []string{"", MissingZero, MissingMedian}
		fm := Format{MissingDefault: policies[policy%3]}
		if policy&4 != 0 {
			fm.Missing = map[string]string{"a": policies[policy/8%3]}
		}
		var rej recorder
		tab, st, err := ReadFeatures(context.Background(), strings.NewReader(in), "f.csv", Options{Format: fm}, nil, set, &rej)
		if err != nil {
			return
		}
		if st.Read != st.Accepted+st.Rejected || st.Accepted != len(tab.Holders) || len(tab.Values) != len(tab.Holders)*len(tab.Names) {
			t.Fatalf("counts do not reconcile: %+v, %d holders, %d values", st, len(tab.Holders), len(tab.Values))
		}
		for i, v := range tab.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("value %d is %v", i, v)
			}
		}
		for name, fill := range tab.Filled {
			if fill.Count <= 0 || fill.Count > st.Accepted || !slices.Contains(tab.Names, name) {
				t.Fatalf("filled %s: %+v of %d rows", name, fill, st.Accepted)
			}
		}
	})
}

// Empty values of pre-aggregated profiles: rejected, read as zero, or read
// as the median of the column over the accepted rows, as the format says.
func TestMissingValues(t *testing.T) {
	raw, err := os.ReadFile("testdata/profiles_missing.csv")
	if err != nil {
		t.Fatal(err)
	}
	set := NewCardholderSet([]Cardholder{{ID: "C1"}, {ID: "C2"}, {ID: "C3"}, {ID: "C4"}, {ID: "C5"}, {ID: "C6"}})
	read := func(f Format) (*FeatureTable, Stats, *recorder, error) {
		var rej recorder
		tab, st, err := ReadFeatures(context.Background(), bytes.NewReader(raw), "profiles.csv", Options{Format: f}, nil, set, &rej)
		return tab, st, &rej, err
	}

	// By default an empty value rejects its row, as before.
	_, st, rej, err := read(Format{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Accepted != 2 || st.Reasons["dining: required"] != 1 || st.Reasons["minimum_payments: required"] != 1 || st.Reasons["balance: required"] != 1 {
		t.Errorf("stats %+v, rejects %v", st, rej.errs)
	}

	tab, st, rej, err := read(Format{MissingDefault: "zero", Missing: map[string]string{"Minimum Payments": "median", "DINING": "reject"}})
	if err != nil {
		t.Fatal(err)
	}
	wantRejects := []string{
		`profiles.csv:3:2: dining "": required`,
		`profiles.csv:6:2: dining "abc": not a number`,
		`profiles.csv:7:1: cardholder_id "C1": duplicate cardholder id (first on line 2)`,
	}
	if st.Read != 7 || st.Accepted != 4 || len(rej.errs) != len(wantRejects) {
		t.Fatalf("stats %+v, rejects %v", st, rej.errs)
	}
	for i, w := range wantRejects {
		if rej.errs[i].Error() != w {
			t.Errorf("reject %d = %s, want %s", i, rej.errs[i], w)
		}
	}
	// The median is over the accepted rows, C1, C4 and C6: 100, 200 and
	// 400; the 300 of the rejected C2 does not count.
	want := [][]float64{{0.5, 100, 1000, 3}, {0.25, 200, 3000, 0}, {0.75, 200, 0, 5}, {0.1, 400, 2000, 2}}
	for i, w := range want {
		if r := tab.Row(i); !slices.Equal(r, w) {
			t.Errorf("row %d = %v, want %v", i, r, w)
		}
	}
	wantFilled := map[string]Fill{
		"minimum_payments": {Policy: "median", Count: 1, Value: 200},
		"balance":          {Policy: "zero", Count: 1, Value: 0},
		"tenure":           {Policy: "zero", Count: 1, Value: 0},
	}
	if !maps.Equal(tab.Filled, wantFilled) {
		t.Errorf("filled %v, want %v", tab.Filled, wantFilled)
	}
}

func TestMissingMedian(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{4, 1}, 2.5},
		{[]float64{5, 1, 3}, 3},
		{[]float64{-1e308, 1e308, 2, -2}, 0},
		{[]float64{1e308, 1.5e308}, 1.25e308},
	} {
		if got := median(slices.Clone(tt.in)); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestMissingValueErrors(t *testing.T) {
	set := NewCardholderSet([]Cardholder{{ID: "C1"}, {ID: "C2"}})
	tests := []struct {
		name, in string
		f        Format
		want     string
	}{
		{"unknown column", "cardholder_id,dining\nC1,1\n", Format{Missing: map[string]string{"travel": "zero"}},
			`ingest: f.csv:1: missing value policy names column "travel", not a feature column (features: dining)`},
		{"unknown policy", "cardholder_id,dining\nC1,1\n", Format{Missing: map[string]string{"dining": "mean"}},
			`ingest: f.csv: missing value policy of column "dining": "mean": want "reject", "zero" or "median"`},
		{"unknown default", "cardholder_id,dining\nC1,1\n", Format{MissingDefault: "drop"},
			`ingest: f.csv: missing: "drop": want "reject", "zero" or "median"`},
		{"no median", "cardholder_id,dining,travel\nC1,1,\nC2,2,\n", Format{MissingDefault: "median"},
			`ingest: f.csv: column "travel": every value is empty, so it has no median: set its missing value policy to "zero" or leave the column out`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadFeatures(context.Background(), strings.NewReader(tt.in), "f.csv", Options{Format: tt.f}, nil, set, nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}

// A million profiles with empty values: the fill costs one pass and one
// column of scratch.
func BenchmarkMissingMedian(b *testing.B) {
	const rows, cols = 1_000_000, 4
	t := &FeatureTable{Names: []string{"a", "b", "c", "d"}, Values: make([]float64, rows*cols)}
	policies := []missing{missingMedian, missingMedian, missingZero, missingReject}
	for b.Loop() {
		b.StopTimer()
		for i := range t.Values {
			t.Values[i] = float64(i % 977)
			if i%29 == 0 {
				t.Values[i] = math.NaN()
			}
		}
		t.Filled = nil
		b.StartTimer()
		if err := t.fill(policies); err != nil {
			b.Fatal(err)
		}
	}
}

// Concatenated profile exports: a repeated header and empty rows are
// skipped and counted, and a file with nothing but a header says so.
func TestReadFeaturesSkips(t *testing.T) {
	set := NewCardholderSet([]Cardholder{{ID: "C1"}, {ID: "C2"}})
	in := "cardholder_id;balance\nC1;10\n;\n\nCARDHOLDER_ID ; Balance\nC2;20\n"
	tab, st, err := ReadFeatures(context.Background(), strings.NewReader(in), "f.csv", Options{}, nil, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Holders) != 2 || st.Read != 4 || st.Accepted != 2 || st.Rejected != 0 || st.EmptyRows != 1 || st.RepeatedHeaders != 1 ||
		st.Read != st.Accepted+st.Rejected+st.Skipped() {
		t.Errorf("holders %v, stats %+v", tab.Holders, st)
	}
	_, _, err = ReadFeatures(context.Background(), strings.NewReader("cardholder_id,balance\n"), "f.csv", Options{}, nil, set, nil)
	if !errors.Is(err, ErrNoRows) {
		t.Errorf("a header alone: %v, want ErrNoRows", err)
	}
}
