package ingest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// A statement export with repayments, fees and transfers among the
// purchases: the row filters leave them out, count them and keep the
// purchases and refunds.
func TestRowFilters(t *testing.T) {
	const in = `cardholder_id,posted_on,amount,mcc,Transaction Type,Description
C1,2026-06-01,40.00,5812,PURCHASE,OLIVE & THYME
C1,2026-06-02,-656.00,,Payment,DIRECT DEBIT PAYMENT - THANK YOU
C1,2026-06-03,-5.00,5812,REFUND,OLIVE & THYME
C1,2026-06-04,2.50,,FEE,FOREIGN FEE
C1,2026-06-05,100.00,4829,TRANSFER,Transfer to savings
C1,2026-06-06,12.00,5411,purchase ,GREEN GROCER
`
	set := NewCardholderSet([]Cardholder{{ID: "C1"}})
	tests := []struct {
		name             string
		include, exclude []RowFilter
		accepted         []int64
		filtered         int
		err              string
	}{
		{"no filter", nil, nil, []int64{4000, -65600, -500, 250, 10000, 1200}, 0, ""},
		{"exclude by values", nil, []RowFilter{{Column: "transaction type", Values: []string{"payment", "FEE", "transfer"}}},
			[]int64{4000, -500, 1200}, 3, ""},
		{"exclude by pattern, on the header name", nil, []RowFilter{{Column: "Description", Pattern: `(?i)direct debit|transfer`}},
			[]int64{4000, -500, 250, 1200}, 2, ""},
		{"include", []RowFilter{{Column: "Transaction_Type", Values: []string{"purchase", "refund"}}}, nil,
			[]int64{4000, -500, 1200}, 3, ""},
		{"include and exclude", []RowFilter{{Column: "Transaction Type", Values: []string{"purchase", "refund"}}},
			[]RowFilter{{Column: "mcc", Values: []string{"5411"}}}, []int64{4000, -500}, 4, ""},
		{"a column the file lacks", nil, []RowFilter{{Column: "Type", Values: []string{"PAYMENT"}}}, nil, 0,
			`exclude filter on "Type", not in the header`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			st, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "t.csv",
				Options{Classifier: classes{}, Format: Format{Include: tt.include, Exclude: tt.exclude}}, set, nil,
				func(rs []Record) error {
					for _, r := range rs {
						got = append(got, r.Amount)
					}
					return nil
				})
			if tt.err != "" {
				var mce *MissingColumnsError
				if !errors.As(err, &mce) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.accepted) || st.Filtered != tt.filtered || st.Read != 6 || st.Read != st.Accepted+st.Rejected+st.Skipped() {
				t.Errorf("accepted %v, stats %+v; want %v and %d filtered", got, st, tt.accepted, tt.filtered)
			}
		})
	}
}

func TestRowFilterCheck(t *testing.T) {
	for _, tt := range []struct {
		f    RowFilter
		want string
	}{
		{RowFilter{Values: []string{"x"}}, "row filter: no column"},
		{RowFilter{Column: "Type"}, `row filter on "Type": give values or a pattern`},
		{RowFilter{Column: "Type", Pattern: "(unclosed"}, `row filter on "Type": pattern: error parsing regexp`},
	} {
		err := Format{Exclude: []RowFilter{tt.f}}.Check()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Check(%+v) = %v, want %q", tt.f, err, tt.want)
		}
	}
}
