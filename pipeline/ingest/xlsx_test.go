package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxRow is one row as readXLSX passed it to fn.
type xlsxRow struct {
	Row   int
	Cells []string
}

// readAllXLSX reads a sheet with readXLSX and collects its rows.
func readAllXLSX(data []byte, file, sheet string) ([]xlsxRow, error) {
	var got []xlsxRow
	err := readXLSX(context.Background(), bytes.NewReader(data), file, sheet, func(row int, cells []string) error {
		got = append(got, xlsxRow{row, cells})
		return nil
	})
	return got, err
}

// xlsxWorkbook builds a workbook with build and returns its bytes.
func xlsxWorkbook(t testing.TB, build func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatalf("writing workbook: %v", err)
	}
	return buf.Bytes()
}

// xlsxMust fails the test on an excelize error while building a workbook.
func xlsxMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("building workbook: %v", err)
	}
}

// xlsxTestWorkbook has four sheets:
//
//	Sheet1   the transactions: numbers as numbers and as text, a date cell
//	         with a date format, blank rows, a short row, a wide row
//	Refunds  two rows
//	Empty    nothing
//	Late     the header on row 3
func xlsxTestWorkbook(t testing.TB) []byte {
	return xlsxWorkbook(t, func(f *excelize.File) {
		for _, s := range []string{"Refunds", "Empty", "Late"} {
			_, err := f.NewSheet(s)
			xlsxMust(t, err)
		}
		dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yy, shown as "10-01-26"
		xlsxMust(t, err)
		dateTimeStyle, err := f.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm
		xlsxMust(t, err)
		money, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00, shown as "42.10"
		xlsxMust(t, err)
		pad := "0000"
		mccStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &pad}) // shown as "0742"
		xlsxMust(t, err)

		xlsxMust(t, f.SetSheetRow("Sheet1", "A1", &[]any{"cardholder_id", "posted_on", "amount", "mcc"}))
		// Row 2: a date cell, numbers stored as numbers, each with a
		// display format that differs from the raw value.
		xlsxMust(t, f.SetSheetRow("Sheet1", "A2", &[]any{"C1", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), 42.1, 742}))
		xlsxMust(t, f.SetCellStyle("Sheet1", "B2", "B2", dateStyle))
		xlsxMust(t, f.SetCellStyle("Sheet1", "C2", "C2", money))
		xlsxMust(t, f.SetCellStyle("Sheet1", "D2", "D2", mccStyle))
		// Row 3: the same stored as text.
		xlsxMust(t, f.SetSheetRow("Sheet1", "A3", &[]any{"C2", "2026-10-02", "42.10", "0742"}))
		// Row 4: blank, an empty cell and a white-space cell. Row 5: absent.
		xlsxMust(t, f.SetCellValue("Sheet1", "A4", ""))
		xlsxMust(t, f.SetCellStr("Sheet1", "B4", "  "))
		// Row 6: short. Row 7: a date and time, a refund, a 4-digit MCC.
		xlsxMust(t, f.SetCellStr("Sheet1", "A6", "C3"))
		xlsxMust(t, f.SetSheetRow("Sheet1", "A7", &[]any{"C4", time.Date(2026, 10, 2, 18, 0, 0, 0, time.UTC), -3.5, 5411}))
		xlsxMust(t, f.SetCellStyle("Sheet1", "B7", "B7", dateTimeStyle))
		// Row 8: wider than the header; row 9: a gap inside the row.
		xlsxMust(t, f.SetSheetRow("Sheet1", "A8", &[]any{"C5", 46300, 1, 5812, "extra"}))
		xlsxMust(t, f.SetCellStr("Sheet1", "A9", "C6"))
		xlsxMust(t, f.SetCellInt("Sheet1", "D9", 4111))

		xlsxMust(t, f.SetSheetRow("Refunds", "A1", &[]any{"cardholder_id", "amount"}))
		xlsxMust(t, f.SetSheetRow("Refunds", "A2", &[]any{"C9", -12.5}))

		xlsxMust(t, f.SetSheetRow("Late", "A3", &[]any{"id", "name", "tier"}))
		xlsxMust(t, f.SetSheetRow("Late", "A4", &[]any{"1"}))
	})
}

func TestReadXLSX(t *testing.T) {
	data := xlsxTestWorkbook(t)
	sheet1 := []xlsxRow{
		{1, []string{"cardholder_id", "posted_on", "amount", "mcc"}},
		{2, []string{"C1", "46296", "42.1", "742"}},
		{3, []string{"C2", "2026-10-02", "42.10", "0742"}},
		{6, []string{"C3", "", "", ""}},
		{7, []string{"C4", "46297.75", "-3.5", "5411"}},
		{8, []string{"C5", "46300", "1", "5812", "extra"}},
		{9, []string{"C6", "", "", "4111"}},
	}
	tests := []struct {
		name  string
		sheet string
		want  []xlsxRow
	}{
		{"first sheet by default", "", sheet1},
		{"named sheet", "Sheet1", sheet1},
		{"another named sheet", "Refunds", []xlsxRow{
			{1, []string{"cardholder_id", "amount"}},
			{2, []string{"C9", "-12.5"}},
		}},
		{"sheet name in another case", "REFUNDS", []xlsxRow{
			{1, []string{"cardholder_id", "amount"}},
			{2, []string{"C9", "-12.5"}},
		}},
		{"header after blank rows", "Late", []xlsxRow{
			{3, []string{"id", "name", "tier"}},
			{4, []string{"1", "", ""}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAllXLSX(data, "t.xlsx", tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestReadXLSXDisplayFormats checks the premise of TestReadXLSX: the cells
// whose raw values it expects display otherwise, so reading formatted values
// would fail it.
func TestReadXLSXDisplayFormats(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(xlsxTestWorkbook(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for cell, raw := range map[string]string{"B2": "46296", "C2": "42.1", "D2": "742"} {
		shown, err := f.GetCellValue("Sheet1", cell)
		if err != nil {
			t.Fatal(err)
		}
		if shown == raw {
			t.Errorf("%s is shown as %q, its raw value: the test workbook proves nothing", cell, shown)
		}
	}
}

func TestReadXLSXSerialDates(t *testing.T) {
	got, err := readAllXLSX(xlsxTestWorkbook(t), "t.xlsx", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{2: "2026-10-01", 7: "2026-10-02", 8: "2026-10-05"}
	for _, r := range got {
		w, ok := want[r.Row]
		if !ok {
			continue
		}
		d, ok := SerialDate(r.Cells[1])
		if !ok || d.Format(time.DateOnly) != w {
			t.Errorf("row %d: SerialDate(%q) = %v, %v; want %s", r.Row, r.Cells[1], d, ok, w)
		}
	}
}

func TestReadXLSXErrors(t *testing.T) {
	good := xlsxTestWorkbook(t)
	date1904 := xlsxWorkbook(t, func(f *excelize.File) {
		yes := true
		xlsxMust(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}))
		xlsxMust(t, f.SetSheetRow("Sheet1", "A1", &[]any{"posted_on"}))
		xlsxMust(t, f.SetSheetRow("Sheet1", "A2", &[]any{44834})) // 2026-10-01 in 1904
	})
	onlyBlank := xlsxWorkbook(t, func(f *excelize.File) {
		xlsxMust(t, f.SetCellStr("Sheet1", "A1", ""))
		xlsxMust(t, f.SetCellStr("Sheet1", "C5", " \t"))
	})
	tests := []struct {
		name  string
		data  []byte
		sheet string
		want  string // the whole message
		is    error  // when not nil, errors.Is must hold
	}{
		{"missing sheet", good, "Txns", `ingest: t.xlsx: sheet "Txns" not found (sheets: Sheet1, Refunds, Empty, Late)`, nil},
		{"empty sheet", good, "Empty", `ingest: t.xlsx: sheet "Empty" is empty: want a header row`, nil},
		{"only blank rows", onlyBlank, "", `ingest: t.xlsx: sheet "Sheet1" is empty: want a header row`, nil},
		{"1904 date system", date1904, "", "ingest: t.xlsx: " + errDate1904.Error(), errDate1904},
		{"no bytes", nil, "", "", errNotXLSX},
		{"not a zip", []byte("cardholder_id,amount\nC1,42.10\n"), "", "", errNotXLSX},
		{"truncated", good[:len(good)/2], "", "", errNotXLSX},
		{"last byte missing", good[:len(good)-1], "", "", errNotXLSX},
		{"a zip but no workbook", xlsxZipOf(t, "hello.txt", "hi"), "", "", errNotXLSX},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readAllXLSX(tt.data, "t.xlsx", tt.sheet)
			if err == nil {
				t.Fatalf("no error; rows %v", rows)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "t.xlsx" {
				t.Errorf("error %T %v, want a *FileError for t.xlsx", err, err)
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if !strings.HasPrefix(err.Error(), "ingest: t.xlsx: ") {
				t.Errorf("error %q lacks the ingest: t.xlsx: prefix", err)
			}
		})
	}
}

// xlsxZipOf returns a zip archive holding one file.
func xlsxZipOf(t testing.TB, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadXLSXCallback(t *testing.T) {
	data := xlsxTestWorkbook(t)
	t.Run("fn error returned as is", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := readXLSX(context.Background(), bytes.NewReader(data), "t.xlsx", "", func(row int, cells []string) error {
			n++
			if row == 3 {
				return stop
			}
			return nil
		})
		if err != stop || n != 3 {
			t.Errorf("err = %v after %d rows, want stop after 3", err, n)
		}
	})
	t.Run("fn panic not recovered", func(t *testing.T) {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the panic of fn", p)
			}
		}()
		err := readXLSX(context.Background(), bytes.NewReader(data), "t.xlsx", "", func(int, []string) error {
			panic("boom")
		})
		t.Errorf("readXLSX returned %v, want a panic", err)
	})
	t.Run("cells may be kept", func(t *testing.T) {
		var kept [][]string
		err := readXLSX(context.Background(), bytes.NewReader(data), "t.xlsx", "Refunds", func(_ int, cells []string) error {
			kept = append(kept, cells)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := [][]string{{"cardholder_id", "amount"}, {"C9", "-12.5"}}; !reflect.DeepEqual(kept, want) {
			t.Errorf("kept %q, want %q", kept, want)
		}
	})
}

func TestReadXLSXContext(t *testing.T) {
	const n = 5000
	data := xlsxWorkbook(t, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		xlsxMust(t, err)
		for i := 1; i <= n; i++ {
			cell, _ := excelize.CoordinatesToCellName(1, i)
			xlsxMust(t, sw.SetRow(cell, []any{i}))
		}
		xlsxMust(t, sw.Flush())
	})
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		err := readXLSX(ctx, bytes.NewReader(data), "t.xlsx", "", func(int, []string) error { called = true; return nil })
		if !errors.Is(err, context.Canceled) || called {
			t.Errorf("err = %v, fn called %v; want context.Canceled before any row", err, called)
		}
	})
	t.Run("cancelled during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		last := 0
		err := readXLSX(ctx, bytes.NewReader(data), "t.xlsx", "", func(row int, _ []string) error {
			last = row
			if row == 10 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if last < 10 || last >= 1024 {
			t.Errorf("last row %d, want the stop at the check before row 1024", last)
		}
	})
	t.Run("all rows", func(t *testing.T) {
		got, err := readAllXLSX(data, "t.xlsx", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n || got[n-1].Row != n || got[n-1].Cells[0] != strconv.Itoa(n) {
			t.Errorf("%d rows, last %v; want %d rows", len(got), got[len(got)-1], n)
		}
	})
}

// TestReadXLSXRecover checks that a panic inside excelize becomes a
// FileError: a nil row iterator makes excelize dereference nil.
func TestReadXLSXRecover(t *testing.T) {
	tests := []struct {
		name string
		call func() error
	}{
		{"next", func() error { _, _, err := (sheetRows{file: "t.xlsx"}).next(1); return err }},
		{"close rows", func() error { return (sheetRows{file: "t.xlsx"}).close() }},
		{"pick sheet", func() error { _, err := pickSheet(nil, "t.xlsx", ""); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, errNotXLSX) || !strings.Contains(err.Error(), "panicked") {
				t.Errorf("err = %v, want a FileError wrapping errNotXLSX for the panic", err)
			}
		})
	}
}

// mccXLSXDir holds the workbooks LibreOffice made from the greggles MCC
// table, relative to this package.
const mccXLSXDir = "../../../shared/data/mcc/xlsx"

func TestReadXLSXLibreOffice(t *testing.T) {
	if _, err := os.Stat(mccXLSXDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference workbooks not available: %v (CI=true: not skipping)", err)
		}
		t.Skipf("reference workbooks not available: %v", err)
	}
	header := []string{"mcc", "edited_description", "combined_description", "usda_description", "irs_description", "irs_reportable"}
	tests := []struct {
		file string
		a2   string
	}{
		{"mcc_codes.default-import.xlsx", "742"}, // the MCC column became numbers
		{"mcc_codes.mcc-as-text.xlsx", "0742"},   // imported as text
	}
	var codes [][]string
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(mccXLSXDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAllXLSX(data, tt.file, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 982 {
				t.Fatalf("%d rows, want 982 (header + 981)", len(got))
			}
			if !reflect.DeepEqual(got[0], xlsxRow{1, header}) {
				t.Errorf("row 1 = %v, want the header %q", got[0], header)
			}
			if got[1].Row != 2 || got[1].Cells[0] != tt.a2 {
				t.Errorf("A2 = %q (row %d), want %q", got[1].Cells[0], got[1].Row, tt.a2)
			}
			if last := got[len(got)-1]; last.Row != 982 || last.Cells[0] != "9950" {
				t.Errorf("last row %d, A = %q; want row 982, 9950", last.Row, last.Cells[0])
			}
			var mccs []string
			for _, r := range got[1:] {
				if len(r.Cells) != len(header) {
					t.Fatalf("row %d has %d cells, want %d", r.Row, len(r.Cells), len(header))
				}
				mcc, err := NormalizeMCC(r.Cells[0])
				if err != nil {
					t.Fatalf("row %d: %v", r.Row, err)
				}
				mccs = append(mccs, mcc)
			}
			codes = append(codes, mccs)
		})
	}
	if len(codes) == 2 && !reflect.DeepEqual(codes[0], codes[1]) {
		t.Errorf("the two workbooks give different codes once normalized")
	}
}

func TestSerialDate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" when ok must be false
	}{
		{"a date", "46296", "2026-10-01"},
		{"time of day dropped", "46296.75", "2026-10-01"},
		{"noise just below midnight", "46296.99999999999", "2026-10-02"},
		{"just before midnight kept", "46296.9999", "2026-10-01"},
		{"exponent", "4.6296E4", "2026-10-01"},
		{"unix epoch", "25569", "1970-01-01"},
		{"first serial", "1", "1899-12-31"},
		{"before the fictitious leap day", "59", "1900-02-27"},
		{"the fictitious 1900-02-29", "60", "1900-02-28"},
		{"first right serial", "61", "1900-03-01"},
		{"last serial", "2958465", "9999-12-31"},
		{"last serial, evening", "2958465.5", "9999-12-31"},
		{"after the last", "2958466", ""},
		{"zero", "0", ""},
		{"a time of day only", "0.5", ""},
		{"negative", "-5", ""},
		{"negative zero", "-0", ""},
		{"too large", "1e10", ""},
		{"huge exponent", "1e999", ""},
		{"not a number", "abc", ""},
		{"empty", "", ""},
		{"ISO date", "2026-10-01", ""},
		{"space", " 46296", ""},
		{"NaN", "NaN", ""},
		{"Inf", "Inf", ""},
		{"hex", "0x1p4", ""},
		{"underscore", "46_296", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SerialDate(tt.in)
			if tt.want == "" {
				if ok {
					t.Errorf("SerialDate(%q) = %v, want not ok", tt.in, got)
				}
				return
			}
			if !ok || got.Format(time.RFC3339) != tt.want+"T00:00:00Z" {
				t.Errorf("SerialDate(%q) = %v, %v; want %s", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestSpreadsheetAmount(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		err  error
	}{
		{"one decimal", "42.1", 4210, nil},
		{"two decimals", "42.10", 4210, nil},
		{"whole", "742", 74200, nil},
		{"negative", "-3.5", -350, nil},
		{"plus", "+3.5", 350, nil},
		{"exponent", "1E-2", 1, nil},
		{"exponent lower case", "4.21e1", 4210, nil},
		{"exponent up", "1.5E+3", 150000, nil},
		{"noise below", "42.099999999999994", 4210, nil},
		{"noise above", "42.100000000000001", 4210, nil},
		{"sum noise", "0.30000000000000004", 30, nil},
		{"negative noise", "-0.30000000000000004", -30, nil},
		{"noise across a unit", "99.999999999999986", 10000, nil},
		{"leading point", ".5", 50, nil},
		{"trailing point", "5.", 500, nil},
		{"zero", "0", 0, nil},
		{"negative zero", "-0", 0, nil},
		{"negative zero decimals", "-0.00", 0, nil},
		{"tiny negative noise", "-1E-9", 0, nil},
		{"zero with a huge exponent", "0e999999999999", 0, nil},
		{"within 1e-6", "1.000001", 100, nil},
		{"large exact", "12345678901234.56", 1234567890123456, nil},
		{"limit", "1E15", 1e17, nil},
		{"limit negative", "-1000000000000000.00", -1e17, nil},
		{"over the limit", "1000000000000000.01", 0, ErrNotNumber},
		{"far over the limit", "1e300", 0, ErrNotNumber},
		{"sub-cent", "42.105", 0, ErrNotNumber},
		{"a tenth of a cent", "0.001", 0, ErrNotNumber},
		{"just over 1e-6", "1.0000011", 0, ErrNotNumber},
		{"tiny", "1e-300", 0, nil},
		{"empty", "", 0, ErrRequired},
		{"sign only", "-", 0, ErrNotNumber},
		{"point only", ".", 0, ErrNotNumber},
		{"exponent without digits", "1e", 0, ErrNotNumber},
		{"exponent sign only", "1e+", 0, ErrNotNumber},
		{"two signs", "--1", 0, ErrNotNumber},
		{"two points", "1.2.3", 0, ErrNotNumber},
		{"NaN", "NaN", 0, ErrNotNumber},
		{"Inf", "-Inf", 0, ErrNotNumber},
		{"hex", "0x10", 0, ErrNotNumber},
		{"thousands", "1,200.00", 0, ErrNotNumber},
		{"decimal comma", "42,10", 0, ErrNotNumber},
		{"space", "42.10 ", 0, ErrNotNumber},
		{"currency sign", "$42.10", 0, ErrNotNumber},
		{"underscore", "1_000", 0, ErrNotNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SpreadsheetAmount(tt.in)
			if err != tt.err || got != tt.want {
				t.Errorf("SpreadsheetAmount(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

// xlsxCents writes cents as a decimal with two places, as ParseAmount reads.
func xlsxCents(c int64) string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign, u = "-", uint64(-c)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

func FuzzSpreadsheetAmount(f *testing.F) {
	for _, s := range []string{"42.1", "-3.5", "1E-2", "42.099999999999994", "0.30000000000000004", "1e15", "-0", ".5", "1e-300", "12345678901234.56", "NaN", "1,5", ""} {
		f.Add(s, int64(4210))
	}
	f.Add("0", int64(-1e17))
	f.Add("0", int64(1e17))
	f.Add("0", int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, s string, c int64) {
		got, err := SpreadsheetAmount(s)
		if err == nil {
			if got < -1e17 || got > 1e17 {
				t.Fatalf("SpreadsheetAmount(%q) = %d, over the limit", s, got)
			}
			// The cents are the value, within 1e-6 and float rounding.
			v, perr := strconv.ParseFloat(s, 64)
			if perr != nil && !errors.Is(perr, strconv.ErrRange) {
				t.Fatalf("SpreadsheetAmount(%q) = %d, but ParseFloat fails: %v", s, got, perr)
			}
			if math.Abs(v*100-float64(got)) > 1e-4+math.Abs(v)*1e-12 {
				t.Fatalf("SpreadsheetAmount(%q) = %d, but the value is %v", s, got, v)
			}
			// And they read back the same as two decimals, by both parsers.
			txt := xlsxCents(got)
			if again, err := SpreadsheetAmount(txt); err != nil || again != got {
				t.Fatalf("SpreadsheetAmount(%q) = %d; of %q: %d, %v", s, got, txt, again, err)
			}
			if exact, err := ParseAmount(txt); err != nil || exact != got {
				t.Fatalf("SpreadsheetAmount(%q) = %d; ParseAmount(%q) = %d, %v", s, got, txt, exact, err)
			}
		} else if err != ErrNotNumber && err != ErrRequired {
			t.Fatalf("SpreadsheetAmount(%q): error %v, want a sentinel", s, err)
		}
		// Any amount within the limit survives its trip through a float, as
		// a spreadsheet stores it: shortest form, and 17 digits.
		// Up to 15 significant digits, the shortest form is exact; with 17
		// digits the noise stays under 1e-6 up to 1e9 (1e11 cents).
		c %= 1e15
		v := float64(c) / 100
		forms := []string{strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(v, 'E', -1, 64)}
		if c > -1e11 && c < 1e11 {
			forms = append(forms, strconv.FormatFloat(v, 'g', 17, 64))
		}
		for _, txt := range forms {
			if got, err := SpreadsheetAmount(txt); err != nil || got != c {
				t.Fatalf("SpreadsheetAmount(%q) = %d, %v; want %d", txt, got, err, c)
			}
		}
	})
}

func FuzzSerialDate(f *testing.F) {
	for _, s := range []string{"46296", "46296.75", "1", "60", "61", "2958465", "2958466", "0", "-5", "1e10", "abc", "0.99999999999"} {
		f.Add(s, int64(46296))
	}
	f.Add("", int64(1))
	f.Add("", int64(2958465))
	f.Add("", int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		got, ok := SerialDate(s)
		if ok {
			if got.Location() != time.UTC || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
				t.Fatalf("SerialDate(%q) = %v, not a UTC midnight", s, got)
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("SerialDate(%q) = %v, but ParseFloat fails: %v", s, got, err)
			}
			days := got.Unix()/86400 + serialUnixEpoch
			if d := v - float64(days); d < -1e-6 || d >= 1 {
				t.Fatalf("SerialDate(%q) = %v, serial %d, %v days off", s, got, days, d)
			}
			if days < 1 || days > maxSerial {
				t.Fatalf("SerialDate(%q) = %v, serial %d out of range", s, got, days)
			}
		}
		// A whole serial round-trips exactly, or is refused when out of range.
		txt := strconv.FormatInt(n, 10)
		got, ok = SerialDate(txt)
		if in := n >= 1 && n <= maxSerial; ok != in {
			t.Fatalf("SerialDate(%q) ok = %v, want %v", txt, ok, in)
		}
		if ok && got.Unix()/86400+serialUnixEpoch != n {
			t.Fatalf("SerialDate(%q) = %v, serial %d", txt, got, got.Unix()/86400+serialUnixEpoch)
		}
	})
}

func FuzzReadXLSX(f *testing.F) {
	tiny := xlsxWorkbook(f, func(wb *excelize.File) {
		xlsxMust(f, wb.SetSheetRow("Sheet1", "A1", &[]any{"cardholder_id", "posted_on", "amount", "mcc"}))
		xlsxMust(f, wb.SetSheetRow("Sheet1", "A2", &[]any{"C1", 46296, 42.1, 742}))
		xlsxMust(f, wb.SetCellStr("Sheet1", "A4", "C2"))
	})
	f.Add(tiny)
	for _, n := range []int{0, 4, 30, 100, len(tiny) / 2, len(tiny) - 22, len(tiny) - 1} {
		f.Add(tiny[:n])
	}
	// The same workbook stored uncompressed with no checksums, so that
	// mutations reach excelize's XML parsing instead of failing the zip's
	// CRC check.
	f.Add(xlsxStored(f, tiny))
	f.Fuzz(func(t *testing.T, data []byte) {
		width, last := -1, 0
		err := readXLSX(context.Background(), bytes.NewReader(data), "f.xlsx", "", func(row int, cells []string) error {
			if row <= last {
				t.Fatalf("row %d after row %d", row, last)
			}
			last = row
			if width < 0 {
				width = len(cells)
			}
			if len(cells) < width || blank(cells) {
				t.Fatalf("row %d: %q, header width %d", row, cells, width)
			}
			return nil
		})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v, want a *FileError", err, err)
			}
			return
		}
		if last == 0 {
			t.Fatal("no error and no rows")
		}
	})
}

// xlsxStored rewrites a zip with every entry stored (not compressed) and its
// CRC-32 left at 0, which archive/zip takes as "not checked". It leaves out
// the theme and document properties, which a reader does not need, to keep
// the fuzzer's input small.
func xlsxStored(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/theme/") || strings.HasPrefix(f.Name, "docProps/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: f.Name, Method: zip.Store,
			CompressedSize64: uint64(len(content)), UncompressedSize64: uint64(len(content)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadXLSX reads a 100,000-row transactions sheet, shared strings
// and all, as Excel would write it.
func BenchmarkReadXLSX(b *testing.B) {
	const rows = 100_000
	data := xlsxWorkbook(b, func(f *excelize.File) {
		xlsxMust(b, f.SetSheetRow("Sheet1", "A1", &[]any{"cardholder_id", "posted_on", "amount", "currency", "mcc", "merchant", "channel", "country"}))
		channels := []string{"in_store", "online"}
		for i := 2; i <= rows+1; i++ {
			cell, _ := excelize.CoordinatesToCellName(1, i)
			xlsxMust(b, f.SetSheetRow("Sheet1", cell, &[]any{
				fmt.Sprintf("C%06d", i%5000), 46000 + i%400, float64(i%100000) / 100, "USD",
				[]int{742, 5411, 5812, 4111, 5999}[i%5], fmt.Sprintf("Merchant %d", i%2000), channels[i%2], "US",
			}))
		}
	})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	iters := 0
	for b.Loop() {
		n := 0
		err := readXLSX(context.Background(), bytes.NewReader(data), "bench.xlsx", "", func(int, []string) error {
			n++
			return nil
		})
		if err != nil || n != rows+1 {
			b.Fatalf("%d rows, %v", n, err)
		}
		iters++
	}
	b.ReportMetric(float64(iters*rows)/b.Elapsed().Seconds(), "rows/s")
}
