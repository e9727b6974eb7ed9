package ingest

import (
	"context"
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
	f.Add("cardholder_id,a,b\nC1,1,2\nC2,x,3\n")
	f.Add("customer_id;dining\nC1;0,5\n")
	f.Add("cardholder_id\nC1\n")
	f.Fuzz(func(t *testing.T, in string) {
		set := NewCardholderSet([]Cardholder{{ID: "C1"}, {ID: "C2"}})
		var rej recorder
		tab, st, err := ReadFeatures(context.Background(), strings.NewReader(in), "f.csv", Options{}, nil, set, &rej)
		if err != nil {
			return
		}
		if st.Read != st.Accepted+st.Rejected || st.Accepted != len(tab.Holders) || len(tab.Values) != len(tab.Holders)*len(tab.Names) {
			t.Fatalf("counts do not reconcile: %+v, %d holders, %d values", st, len(tab.Holders), len(tab.Values))
		}
	})
}
