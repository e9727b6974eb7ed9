package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestSample(t *testing.T) {
	var holders, txs strings.Builder
	holders.WriteString("cardholder_id,first_name,email,marketing_consent\n")
	txs.WriteString("cardholder_id,posted_on,amount,mcc\n")
	const rows = 50000
	for i := range rows {
		fmt.Fprintf(&holders, "C%d,Ann,ann%d@example.com,yes\n", i, i)
		fmt.Fprintf(&txs, "X%d,2026-10-%02d,12.50,5812\n", i, 1+i%28)
	}
	tests := []struct {
		name      string
		sample    int
		wantLeast int
		wantMost  int
	}{
		{"whole file", 0, rows, rows},
		{"sample", 1000, 1000, 5000},
		{"sample over the file", rows * 2, rows, rows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, st, err := ReadCardholders(context.Background(), strings.NewReader(holders.String()), "c.csv", Options{Sample: tt.sample}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.Read < tt.wantLeast || st.Read > tt.wantMost || len(set.List) != st.Accepted {
				t.Errorf("cardholders: read %d (accepted %d, listed %d), want %d to %d", st.Read, st.Accepted, len(set.List), tt.wantLeast, tt.wantMost)
			}
			// A nil set accepts every cardholder id (here none is among
			// the cardholders).
			var recs int
			st, _, err = ReadTransactions(context.Background(), strings.NewReader(txs.String()), "t.csv",
				Options{Sample: tt.sample, Classifier: classes{}}, nil, nil, func(r []Record) error {
					for _, rec := range r {
						if rec.Holder != -1 {
							t.Fatalf("holder %d, want -1", rec.Holder)
						}
					}
					recs += len(r)
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if st.Read < tt.wantLeast || st.Read > tt.wantMost || recs != st.Accepted || st.Rejected != 0 {
				t.Errorf("transactions: read %d (accepted %d, records %d, rejected %d), want %d to %d", st.Read, st.Accepted, recs, st.Rejected, tt.wantLeast, tt.wantMost)
			}
		})
	}
}
