package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// testdata/concatenated.csv: three monthly exports joined with cat, each
// with its header (the third with a byte-order mark, another case and
// spaces), with empty rows as spreadsheets leave them, and blank lines.
func TestConcatenatedExports(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "concatenated.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 50} {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("chunk %d, %d workers", size, workers), func(t *testing.T) {
				got, st, rej, err := readTx(t, string(data), Options{chunkSize: size, Workers: workers}, "C1", "C2")
				if err != nil {
					t.Fatal(err)
				}
				want := Stats{Read: 11, Accepted: 5, Rejected: 1, RepeatedHeaders: 2, EmptyRows: 3}
				if st.Read != want.Read || st.Accepted != want.Accepted || st.Rejected != want.Rejected ||
					st.RepeatedHeaders != want.RepeatedHeaders || st.EmptyRows != want.EmptyRows {
					t.Errorf("stats %+v, want %+v", st, want)
				}
				if st.Read != st.Accepted+st.Rejected+st.Skipped() {
					t.Errorf("read %d != accepted %d + rejected %d + skipped %d", st.Read, st.Accepted, st.Rejected, st.Skipped())
				}
				var lines []int
				for _, r := range got {
					lines = append(lines, int(r.Day-dayNumber(2026, 8, 1)))
				}
				if fmt.Sprint(lines) != "[0 1 31 61 62]" {
					t.Errorf("days since 2026-08-01 = %v", lines)
				}
				const wantReject = `transactions.csv:13:3: amount "n/a": not a number`
				if len(rej.errs) != 1 || rej.errs[0].Error() != wantReject {
					t.Errorf("rejects %v, want %s", rej.errs, wantReject)
				}
			})
		}
	}
}

func TestSkippedCardholderRows(t *testing.T) {
	in := "cardholder_id;first_name;email;marketing_consent\r\n" +
		"C1;Ann;ann@example.com;yes\r\n" +
		";;;\r\n" +
		" ; \t;\"\";\r\n" +
		"CARDHOLDER_ID; First_Name ;EMAIL;marketing_consent\r\n" +
		"C2;Bo;bo@example.com;no\r\n" +
		"cardholder_id;first_name;email\r\n" + // not the same header: a row
		";;\r\n" // not as wide as the header, still empty
	var rej recorder
	set, st, err := ReadCardholders(context.Background(), strings.NewReader(in), "c.csv", Options{}, &rej)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 7 || st.Accepted != 2 || st.Rejected != 1 || st.EmptyRows != 3 || st.RepeatedHeaders != 1 || len(set.List) != 2 {
		t.Errorf("stats %+v, %d cardholders", st, len(set.List))
	}
	want := `c.csv:7: wrong number of fields (got 3, want 4)`
	if len(rej.errs) != 1 || rej.errs[0].Error() != want {
		t.Errorf("rejects %v, want %s", rej.errs, want)
	}
}

// Without skipping (ReadFeatures, which does not set it yet), empty rows
// and repeated headers are rows like any other.
func TestWalkerSkip(t *testing.T) {
	in, err := openInput(strings.NewReader("a,b\n1,2\n,\nA , B\n"), "t.csv", Format{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, skip := range []bool{false, true} {
		w := &walker{in: in, skip: skip}
		var rows []string
		w.walk(in.first, func(line int, fields [][]byte, raw []byte, serr *scanError) error {
			rows = append(rows, fmt.Sprintf("%d:%q", line, raw))
			return nil
		})
		want := `[2:"1,2\n" 3:",\n" 4:"A , B\n"]`
		if skip {
			want = `[2:"1,2\n"]`
		}
		if fmt.Sprint(rows) != want || (skip && (w.empty != 1 || w.repeated != 1)) {
			t.Errorf("skip %v: rows %s, %d empty, %d repeated; want %s", skip, rows, w.empty, w.repeated, want)
		}
	}
}

func TestSkippedXLSXRows(t *testing.T) {
	data := xlsxWorkbook(t, func(f *excelize.File) {
		rows := [][]any{
			{"cardholder_id", "posted_on", "amount", "mcc"},
			{"C1", "2026-10-01", 1.5, 5812},
			{"Cardholder_ID", "Posted_On", "Amount", "MCC"},
			{"C1", "2026-10-02", 2.5, 5812},
			{nil, nil, nil, nil},
			{"", " ", "", ""},
		}
		for i, r := range rows {
			xlsxMust(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r))
		}
	})
	got, st, _, err := readTx(t, string(data), Options{}, "C1")
	// Blank rows of a sheet are not rows; the repeated header is skipped.
	if err != nil || len(got) != 2 || st.Read != 3 || st.RepeatedHeaders != 1 || st.EmptyRows != 0 || st.Accepted != 2 {
		t.Errorf("%d records, %+v, %v", len(got), st, err)
	}
}

func TestNoDataRows(t *testing.T) {
	headerOnly := xlsxWorkbook(t, func(f *excelize.File) {
		xlsxMust(t, f.SetSheetRow("Sheet1", "A2", &[]any{"cardholder_id", "first_name", "email", "marketing_consent", "posted_on", "amount", "mcc"}))
	})
	tests := []struct {
		name, in, want string
	}{
		{"header only", "cardholder_id,first_name,email,marketing_consent,posted_on,amount,mcc\n",
			"ingest: t.csv:1: no data rows after the header"},
		{"header only, no line end", "\n\ncardholder_id,first_name,email,marketing_consent,posted_on,amount,mcc",
			"ingest: t.csv:3: no data rows after the header"},
		{"header and blank lines", "cardholder_id,first_name,email,marketing_consent,posted_on,amount,mcc\r\n\r\n\r\n",
			"ingest: t.csv:1: no data rows after the header"},
		{"only skipped rows", "cardholder_id,first_name,email,marketing_consent,posted_on,amount,mcc\n,,,,,,\ncardholder_id,first_name,email,marketing_consent,posted_on,amount,mcc\n,,,,,,\n",
			"ingest: t.csv:1: no data rows after the header, only 2 empty rows, 1 repeated header rows and 0 rows the row filters leave out"},
		{"XLSX", string(headerOnly), "ingest: t.csv:2: no data rows after the header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fe *FileError
			_, st, err := ReadCardholders(context.Background(), strings.NewReader(tt.in), "t.csv", Options{}, nil)
			if !errors.As(err, &fe) || !errors.Is(err, ErrNoRows) || err.Error() != tt.want {
				t.Errorf("cardholders: %v\nwant %s", err, tt.want)
			}
			if st.Read != st.Skipped() {
				t.Errorf("cardholders: stats %+v", st)
			}
			_, _, err = ReadTransactions(context.Background(), strings.NewReader(tt.in), "t.csv", Options{Classifier: classes{}},
				NewCardholderSet(nil), nil, func([]Record) error { return nil })
			if !errors.As(err, &fe) || !errors.Is(err, ErrNoRows) || err.Error() != tt.want {
				t.Errorf("transactions: %v\nwant %s", err, tt.want)
			}
		})
	}
	// One data row, even rejected, is not "no data rows".
	_, st, _, err := readTx(t, "cardholder_id,posted_on,amount,mcc\nC9,2026-10-01,1.00,5812\n", Options{})
	if err != nil || st.Rejected != 1 {
		t.Errorf("a rejected row: %+v, %v", st, err)
	}
}

func TestCheckBudgetSkipped(t *testing.T) {
	// 1,000 empty rows do not water down 2 rejects out of 4 data rows.
	st := Stats{File: "t.csv", Read: 1004, Accepted: 2, Rejected: 2, EmptyRows: 1000, Reasons: map[string]int{"amount: not a number": 2}}
	err := st.CheckBudget(0.01)
	want := "ingest: t.csv: 2 of 4 rows rejected (50.00%, budget 1.00%): error budget exceeded; top reasons: amount: not a number (2)"
	if !errors.Is(err, ErrBudget) || err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
}

// The fixture of TestConcatenatedExports is what its comment says.
func TestConcatenatedFixture(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "concatenated.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\xEF\xBB\xBF")); n != 2 || !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Errorf("%d byte-order marks, want 2, one at the start", n)
	}
}
