package report_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tailor-mail/tailor/pipeline/report"
)

// write returns the workbook of s as bytes.
func write(t *testing.T, s report.Summary) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, s); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// chartParts returns the names of the chart parts in an XLSX package.
func chartParts(t *testing.T, xlsx []byte) []string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range z.File {
		if strings.HasPrefix(f.Name, "xl/charts/chart") {
			out = append(out, f.Name)
		}
	}
	return out
}

func TestWriteCharts(t *testing.T) {
	tests := []struct {
		name string
		s    report.Summary
		want int
	}{
		// Audience per variant, relationship types, interests.
		{"full", testSummary(), 3},
		{"empty: no chart without data", report.Summary{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xlsx := write(t, tt.s)
			if got := chartParts(t, xlsx); len(got) != tt.want {
				t.Errorf("chart parts %q, want %d", got, tt.want)
			}
			var after bytes.Buffer
			if err := report.UpdateSend(bytes.NewReader(xlsx), &after, []report.SendRow{{Variant: "v0001", Sent: 1}}); err != nil {
				t.Fatal(err)
			}
			if got := chartParts(t, after.Bytes()); len(got) != tt.want {
				t.Errorf("after UpdateSend: chart parts %q, want %d", got, tt.want)
			}
		})
	}
}

func TestWriteChartSheets(t *testing.T) {
	f := open(t, testSummary())
	tests := []struct {
		sheet string
		cells []cell
	}{
		// The relationship types of every cluster, summed, for the pie.
		{report.SheetCharts, []cell{{"A2", "Lost-for-good"}, {"B2", 60}, {"A3", "Intermediate"}, {"B3", 70},
			{"A4", "Always-a-share"}, {"B4", 55}, {"A5", "Lapsing"}, {"B5", 11}, {"A6", "Lost"}, {"B6", 4}, {"A7", "Unknown"}, {"B7", 0}}},
		{report.SheetHeatmap, []cell{{"A2", 0}, {"B2", "v0001"}, {"C2", "Dining + Travel"}, {"D2", 0.425}, {"E2", 0.05},
			{"D3", 0.1}, {"E3", 0.5}, {"A4", 2}, {"D4", 0.2}, {"A5", ""}}},
		{report.SheetInterests, []cell{{"A2", "Dining"}, {"B2", 0.17}, {"C2", 0.2}, {"A3", "Groceries"}, {"B3", 0.33}, {"C3", 0.3}, {"A4", ""}}},
		{report.SheetTechnical, []cell{{"A2", "Clustering inertia"}, {"B2", 12.5}, {"A3", "Clustering iterations"}, {"B3", 17}}},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) { checkCells(t, f, tt.sheet, tt.cells) })
	}
	t.Run("heatmap colour scale", func(t *testing.T) {
		cf, err := f.GetConditionalFormats(report.SheetHeatmap)
		if err != nil {
			t.Fatal(err)
		}
		if opts := cf["D2:E4"]; len(opts) != 1 || opts[0].Type != "2_color_scale" {
			t.Errorf("conditional formats %+v, want a colour scale over D2:E4", cf)
		}
	})
}

func TestWriteGlossary(t *testing.T) {
	rows, err := open(t, testSummary()).GetRows(report.SheetGlossary)
	if err != nil {
		t.Fatal(err)
	}
	meaning := map[string]string{}
	for _, r := range rows[1:] {
		meaning[r[0]] = r[1]
	}
	tests := []struct{ term, says string }{
		{"Born", "new this month"}, {"Retired", "last month"}, {"Stayed", "same variant"}, {"Moved in", "another variant last month"},
		{"Moved out", "another variant this month"}, {"New", "no variant last month"}, {"Left", "no variant this month"},
		{"Lift", "divided by"},
		{"Share of wallet", "spending"},
		{"Lost-for-good", "NOT mean churned"},
		{"Unknown", "pre-aggregated"},
		{"Inertia", "Technical sheet"},
		{"Intermediate", ""}, {"Always-a-share", ""}, {"Lapsing", ""}, {"Lost", "churned"},
	}
	for _, tt := range tests {
		if m, ok := meaning[tt.term]; !ok || !strings.Contains(m, tt.says) {
			t.Errorf("glossary: %s = %q, want it to say %q", tt.term, m, tt.says)
		}
	}
}

// Every sheet declares its used range, prints landscape one page wide
// with its header row repeated, and its columns fit their header.
func TestWriteLayout(t *testing.T) {
	s := testSummary()
	s.Send = []report.SendRow{{Variant: "v0001", Sent: 1}}
	first, after := open(t, s), open(t, withContinuity(s))
	tests := []struct {
		sheet, dimension string
		header           bool
		// continuity is for a month after another.
		continuity bool
	}{
		{report.SheetSummary, "A1:C22", false, false},
		{report.SheetCharts, "A1:B9", true, false},
		{report.SheetClusters, "A1:AB4", true, false},
		{report.SheetHeatmap, "A1:E4", true, false},
		{report.SheetInterests, "A1:C3", true, false},
		{report.SheetVariants, "A1:N4", true, false},
		{report.SheetLost, "A1:N3", true, false},
		{report.SheetInputs, "A1:F5", true, false},
		{report.SheetUnmapped, "A1:D5", true, false},
		{report.SheetFit, "A1:D6", true, false},
		{report.SheetGlossary, "A1:B29", true, false},
		{report.SheetTechnical, "A1:C3", true, false},
		{report.SheetSend, "A1:I3", true, false},
		// Six rows on last month; six columns and, under the table, an
		// empty row and the retired variant.
		{report.SheetSummary, "A1:C28", false, true},
		{report.SheetClusters, "A1:AH6", true, true},
	}
	for _, tt := range tests {
		name, f := tt.sheet, first
		if tt.continuity {
			name, f = tt.sheet+" after a month", after
		}
		names := f.GetDefinedName()
		t.Run(name, func(t *testing.T) {
			if got, err := f.GetSheetDimension(tt.sheet); err != nil || got != tt.dimension {
				t.Errorf("dimension %q, %v; want %q", got, err, tt.dimension)
			}
			pl, err := f.GetPageLayout(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Orientation == nil || *pl.Orientation != "landscape" || pl.FitToWidth == nil || *pl.FitToWidth != 1 ||
				pl.FitToHeight == nil || *pl.FitToHeight != 0 {
				t.Errorf("page layout %+v, want landscape, one page wide", pl)
			}
			titles := ""
			for _, n := range names {
				if n.Name == "_xlnm.Print_Titles" && n.Scope == tt.sheet {
					titles = n.RefersTo
				}
			}
			if want := "'" + tt.sheet + "'!$1:$1"; tt.header && titles != want {
				t.Errorf("print titles %q, want %q", titles, want)
			}
			if !tt.header {
				return
			}
			panes, err := f.GetPanes(tt.sheet)
			if err != nil || !panes.Freeze || panes.YSplit != 1 {
				t.Errorf("panes %+v, %v: want the header row frozen", panes, err)
			}
			rows, err := f.GetRows(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range rows[0] {
				col, _ := excelize.ColumnNumberToName(i + 1)
				w, err := f.GetColWidth(tt.sheet, col)
				if err != nil || w < float64(len([]rune(h))) {
					t.Errorf("column %s (%q) is %v wide: it cuts its header", col, h, w)
				}
			}
		})
	}
}

// LibreOffice reads the workbook as Write means it: each sheet converted
// to CSV shows the key cells. It needs soffice; with CI=true a missing
// soffice fails the test.
func TestLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("soffice (LibreOffice) is not installed; CI installs libreoffice-calc-nogui")
		}
		t.Skip("soffice (LibreOffice) is not installed: install libreoffice-calc-nogui to run this test")
	}
	if testing.Short() {
		t.Skip("LibreOffice takes seconds to start")
	}
	dir := t.TempDir()
	book := filepath.Join(dir, "report.xlsx")
	if err := os.WriteFile(book, write(t, testSummary()), 0o644); err != nil {
		t.Fatal(err)
	}
	// One CSV per sheet (-1), UTF-8, values as stored, not as shown.
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.ToSlash(filepath.Join(dir, "profile")), "--headless",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1", "--outdir", dir, book)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	tests := []struct {
		sheet string
		want  map[[2]int]string // row, column (0-based) -> value
	}{
		{report.SheetSummary, map[[2]int]string{{0, 1}: "quickstart", {4, 1}: "207", {13, 1}: "160"}},
		{report.SheetCharts, map[[2]int]string{{1, 0}: "Lost-for-good", {1, 1}: "60"}},
		{report.SheetClusters, map[[2]int]string{{1, 2}: "Dining + Travel", {1, 5}: "1234.56", {1, 10}: "Dining", {1, 25}: "70"}},
		{report.SheetHeatmap, map[[2]int]string{{0, 3}: "Dining", {2, 4}: "50%"}},
		{report.SheetVariants, map[[2]int]string{{1, 7}: "Ann, a table for two", {1, 8}: "Ann, 4x points on dinner", {1, 9}: "A table for two"}},
		{report.SheetLost, map[[2]int]string{{1, 0}: "C0042", {2, 0}: "C0007", {1, 13}: "Olive & Thyme"}},
		{report.SheetGlossary, map[[2]int]string{{0, 0}: "Term"}},
		{report.SheetTechnical, map[[2]int]string{{1, 1}: "12.5", {2, 1}: "17"}},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "report-"+tt.sheet+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			r := csv.NewReader(bytes.NewReader(data))
			r.FieldsPerRecord = -1
			rows, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for at, want := range tt.want {
				got := ""
				if at[0] < len(rows) && at[1] < len(rows[at[0]]) {
					got = rows[at[0]][at[1]]
				}
				if got != want {
					t.Errorf("row %d column %d = %q, want %q", at[0]+1, at[1]+1, got, want)
				}
			}
		})
	}
}

// The same summary gives the same bytes: the run directory's golden
// hashes rely on it, and excelize declares the image types of a chart's
// drawing in map order unless Write declared them first.
func TestWriteSameBytes(t *testing.T) {
	first := write(t, testSummary())
	for range 5 {
		if !bytes.Equal(write(t, testSummary()), first) {
			t.Fatal("two writes of the same summary differ")
		}
	}
}

// The book fits its columns to its sheets' text read from the cells it
// wrote, not from GetRows, which writes each sheet out as XML to parse
// it back: the text must be GetRows's, cell for cell, with the empty
// cells between others and the rows a sheet leaves empty.
func TestSheetTextIsGetRows(t *testing.T) {
	empty := testSummary()
	empty.Clusters, empty.Members, empty.Plan.Variants = nil, nil, nil
	for name, s := range map[string]report.Summary{"one month": testSummary(), "after a month": withContinuity(testSummary()),
		"no clusters": empty} {
		t.Run(name, func(t *testing.T) {
			text, rows, err := report.SheetTexts(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(text) < 10 {
				t.Fatalf("%d sheets read back, want the unstreamed sheets", len(text))
			}
			for sheet, want := range rows {
				if len(want) == 0 && sheet != report.SheetSend {
					t.Errorf("%s: GetRows reads nothing", sheet)
				}
				if got := text[sheet]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: text\n%q\nGetRows\n%q", sheet, got, want)
				}
			}
		})
	}
}
