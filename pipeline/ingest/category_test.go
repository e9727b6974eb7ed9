package ingest

import (
	"strings"
	"testing"
)

// A transaction with neither code nor category counts under the catch-all
// interest, and under EmptyCategoryKey with the unmapped categories,
// unless the format rejects it.
func TestEmptyCategory(t *testing.T) {
	tests := []struct {
		name, in string
		f        Format
		interest []int16
		codes    []int16
		empty    int
		rejects  []string
	}{
		{"empty code", "cardholder_id,posted_on,amount,mcc\nC1,2026-10-01,1.00,\nC1,2026-10-01,1.00,5812\nC1,2026-10-01,1.00,  \n",
			Format{}, []int16{3, 0, 3}, []int16{-1, 5812, -1}, 2, nil},
		{"empty category", "cardholder_id,posted_on,amount,category\nC1,2026-10-01,1.00,\nC1,2026-10-01,1.00,Dining\n",
			Format{EmptyCategory: "other"}, []int16{3, 0}, []int16{-1, -1}, 1, nil},
		{"both empty", "cardholder_id,posted_on,amount,mcc,category\nC1,2026-10-01,1.00,,\nC1,2026-10-01,1.00,,Groceries\n",
			Format{}, []int16{3, 1}, []int16{-1, -1}, 1, nil},
		{"empty code rejected", "cardholder_id,posted_on,amount,mcc\nC1,2026-10-01,1.00,\nC1,2026-10-01,1.00,5812\n",
			Format{EmptyCategory: "Reject"}, []int16{0}, []int16{5812}, 0, []string{`transactions.csv:2:4: mcc "": required`}},
		{"empty category rejected", "cardholder_id,posted_on,amount,category\nC1,2026-10-01,1.00,\n",
			Format{EmptyCategory: "reject"}, nil, nil, 0, []string{`transactions.csv:2:4: category "": required`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st, rej, err := readTx(t, tt.in, Options{Format: tt.f}, "C1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.interest) {
				t.Fatalf("%d records, want %d; rejects %v", len(got), len(tt.interest), rej.errs)
			}
			for i := range got {
				if got[i].Interest != tt.interest[i] || got[i].Code != tt.codes[i] || got[i].Mapped != (tt.interest[i] != 3) {
					t.Errorf("record %d = %+v, want interest %d, code %d", i, got[i], tt.interest[i], tt.codes[i])
				}
			}
			if st.UnmappedCategories[EmptyCategoryKey] != tt.empty {
				t.Errorf("unmapped categories %v, want %d empty", st.UnmappedCategories, tt.empty)
			}
			if len(rej.errs) != len(tt.rejects) {
				t.Fatalf("rejects %v, want %v", rej.errs, tt.rejects)
			}
			for i, w := range tt.rejects {
				if rej.errs[i].Error() != w {
					t.Errorf("reject %d = %s, want %s", i, rej.errs[i], w)
				}
			}
		})
	}
	err := (Format{EmptyCategory: "drop"}).Check()
	if err == nil || !strings.Contains(err.Error(), `empty category "drop": want "other" or "reject"`) {
		t.Errorf("Check() = %v", err)
	}
}
