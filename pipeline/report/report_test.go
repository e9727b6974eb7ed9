package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/tailor-mail/tailor/pipeline/report"
	"github.com/tailor-mail/tailor/variants"
)

// testSummary is a run with 3 clusters and variants and 2 inputs, one with
// rejects.
func testSummary() report.Summary {
	clusters := []variants.Cluster{
		{ID: 0, Size: 120, Eligible: 100, Label: "Dining + Travel", Interests: []variants.Interest{
			{ID: "dining", Name: "Dining", Share: 0.425, Lift: 2.5},
			{ID: "airlines", Name: "Airlines", Share: 0.2, Lift: 1.75},
			{ID: "lodging", Name: "Hotels & lodging", Share: 0.1, Lift: 1.25},
			{ID: "fuel", Name: "Fuel", Share: 0.05, Lift: 1.125},
		}},
		{ID: 1, Size: 80, Eligible: 60, Label: "Groceries", Interests: []variants.Interest{
			{ID: "groceries", Name: "Groceries", Share: 0.5, Lift: 1.5},
		}},
		{ID: 2, Size: 7, Eligible: 0, Label: "Mixed spending"},
	}
	plan := variants.Plan{Variants: []variants.Variant{
		{ID: "v0001", Cluster: 0, Label: "Dining + Travel", Size: 120, Eligible: 100, Tier: "gold", Relationship: "always-a-share",
			Blocks: []string{"intro", "dining", "airlines", "closing"}, Subject: "A table for two", Preheader: "Book now"},
		{ID: "v0002", Cluster: 1, Label: "Groceries", Size: 80, Eligible: 60,
			Blocks: []string{"intro", "groceries", "closing"}, Subject: "Fresh this month"},
		{ID: "v0003", Cluster: 2, Label: "Mixed spending", Size: 7,
			Blocks: []string{"intro", "picks", "closing"}, Subject: "Our picks"},
	}}
	return report.Summary{
		Campaign: "quickstart",
		Month:    "2026-10",
		Version:  "v1.2.3",
		Inputs: []report.Input{
			{Name: "cardholders", Rows: 210, Accepted: 207, Rejected: 3, Reasons: []report.Reason{
				{Reason: "email: not an email address", Count: 2},
				{Reason: "duplicate cardholder id", Count: 1},
			}},
			{Name: "transactions", Rows: 5000, Accepted: 5000},
		},
		Audience: report.Audience{Cardholders: 207, Mail: 160, NoConsent: 30, Cancelled: 10, NoSpend: 7},
		Clusters: clusters,
		// Cluster 2 has no mix: it shows zeros.
		Relationships: []report.Mix{
			{LostForGood: 50, Intermediate: 40, AlwaysAShare: 20, Lapsing: 6, Lost: 4},
			{LostForGood: 10, Intermediate: 30, AlwaysAShare: 35, Lapsing: 5},
		},
		Plan:             plan,
		SampleSubjects:   []string{"Ann, a table for two", "Fresh this month"},
		SamplePreheaders: []string{"Ann, 4x points on dinner"},
		Members: []report.Members{
			{MedianSpend: 123456, MeanSpend: 150000, AverageTicket: 4250, Transactions: 12.5, ActiveMonths: 7.25,
				Tiers: map[string]int{"gold": 70, "green": 40, "": 10}},
			{MedianSpend: 50000, MeanSpend: 60000, AverageTicket: 2000, Transactions: 20, ActiveMonths: 10,
				Tiers: map[string]int{"green": 80}},
		},
		Interests: []report.InterestShare{
			{Name: "Dining", Population: 0.17, Audience: 0.2},
			{Name: "Groceries", Population: 0.33, Audience: 0.3},
		},
		Wallets:    [][]float64{{0.425, 0.05}, {0.1, 0.5}, {0.2, 0.2}},
		Messages:   160,
		Inertia:    12.5,
		Iterations: 17,
		Lost: []report.LostCustomer{
			{ID: "C0042", FirstName: "Ann", CancelledOn: date("2026-07-01"), Reason: "moved abroad", Spend: 123456,
				ActiveMonths: 8, LastActive: date("2026-06-28"), FavouriteMerchant: "Olive & Thyme",
				Interests: []variants.Interest{
					{ID: "dining", Name: "Dining", Share: 0.5},
					{ID: "groceries", Name: "Groceries", Share: 0.25},
					{ID: "fuel", Name: "Fuel", Share: 0.125},
					{ID: "pets", Name: "Pets", Share: 0.0625},
				}},
			{ID: "C0007", FirstName: "Bo", Reason: "", Spend: -500,
				Interests: []variants.Interest{{ID: "fuel", Name: "Fuel", Share: 1}}},
		},
		Unmapped: []report.Unmapped{
			{Code: "0001", Transactions: 2},
			{Code: "9999", Description: "Test code", Transactions: 50},
			{Code: "Hobbies", Transactions: 2},
			{Code: "0000", Transactions: 2},
		},
		Transactions: 5000,
	}
}

// withContinuity returns s after a month with v0001 and v0002, which
// continue, and v0004, which retired; v0003 is born. The flows reconcile
// with the clusters' sizes.
func withContinuity(s report.Summary) report.Summary {
	s.Continuity = &report.Continuity{PreviousMonth: "2026-09", Kept: 2, Born: []string{"v0003"}, Retired: []string{"v0004"}, Changed: 31,
		Flows: []report.Flow{
			{Variant: "v0001", Stayed: 100, MovedIn: 15, New: 5, MovedOut: 10, Left: 3},
			{Variant: "v0002", Stayed: 60, MovedIn: 12, New: 8, MovedOut: 9, Left: 2},
			{Variant: "v0003", MovedIn: 4, New: 3},
			{Variant: "v0004", MovedOut: 12, Left: 6},
		}}
	return s
}

// date parses a date.
func date(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// open writes s and reads the workbook back.
func open(t *testing.T, s report.Summary) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, s); err != nil {
		t.Fatalf("Write: %v", err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("OpenReader: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// cell is an expected cell: a string, or a number (int or float64) that
// must be stored as a number.
type cell struct {
	ref  string
	want any
}

// checkCells compares cells of a sheet: strings by their raw value, numbers
// by their stored type and raw value.
func checkCells(t *testing.T, f *excelize.File, sheet string, cells []cell) {
	t.Helper()
	for _, c := range cells {
		raw, err := f.GetCellValue(sheet, c.ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Errorf("%s!%s: %v", sheet, c.ref, err)
			continue
		}
		typ, err := f.GetCellType(sheet, c.ref)
		if err != nil {
			t.Errorf("%s!%s: %v", sheet, c.ref, err)
			continue
		}
		switch want := c.want.(type) {
		case string:
			if raw != want {
				t.Errorf("%s!%s = %q, want %q", sheet, c.ref, raw, want)
			}
		case int, float64:
			w, _ := strconv.ParseFloat(toString(want), 64)
			if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
				t.Errorf("%s!%s has cell type %v, want a number", sheet, c.ref, typ)
			}
			got, err := strconv.ParseFloat(raw, 64)
			if err != nil || got != w {
				t.Errorf("%s!%s = %q, want the number %v", sheet, c.ref, raw, want)
			}
		default:
			t.Fatalf("bad expectation %T", c.want)
		}
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return ""
}

func TestWriteSheets(t *testing.T) {
	tests := []struct {
		name string
		s    report.Summary
	}{
		{"full", testSummary()},
		{"empty", report.Summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := open(t, tt.s)
			want := []string{"Summary", "Charts", "Clusters", "Heatmap", "Interests", "Variants", "Lost customers", "Inputs", "Unmapped codes", "Fit",
				"Glossary", "Technical"}
			if got := f.GetSheetList(); !reflect.DeepEqual(got, want) {
				t.Errorf("sheets %q, want %q", got, want)
			}
			if i, _ := f.GetSheetIndex("Sheet1"); i != -1 {
				t.Errorf("Sheet1 is still there, at index %d", i)
			}
			if got := f.GetSheetName(f.GetActiveSheetIndex()); got != report.SheetSummary {
				t.Errorf("active sheet %q, want %q", got, report.SheetSummary)
			}
		})
	}
}

func TestWriteHeaders(t *testing.T) {
	f := open(t, testSummary())
	tests := []struct {
		sheet string
		want  []string
	}{
		{report.SheetClusters, []string{"Cluster", "Variant", "Label", "Cardholders", "Eligible",
			"Median spend", "Mean spend", "Average ticket", "Transactions per cardholder", "Active months per cardholder",
			"Interest 1", "Share 1", "Lift 1", "Interest 2", "Share 2", "Lift 2", "Interest 3", "Share 3", "Lift 3",
			"Lost-for-good", "Intermediate", "Always-a-share", "Lapsing", "Lost", "Unknown", "Tier gold", "Tier green", "No tier"}},
		{report.SheetHeatmap, []string{"Cluster", "Variant", "Label", "Dining", "Groceries"}},
		{report.SheetInterests, []string{"Interest", "All cardholders", "Newsletter recipients"}},
		{report.SheetGlossary, []string{"Term", "Meaning"}},
		{report.SheetTechnical, []string{"Figure", "Value", "Meaning"}},
		{report.SheetLost, []string{"Cardholder", "First name", "Cancelled on", "Reason", "Spend in window", "Active months",
			"Last active", "Interest 1", "Share 1", "Interest 2", "Share 2", "Interest 3", "Share 3", "Favourite merchant"}},
		{report.SheetUnmapped, []string{"Code", "Description", "Transactions", "Share of transactions"}},
		{report.SheetVariants, []string{"Variant", "Cluster", "Label", "Cardholders", "Eligible", "Tier", "Relationship",
			"Subject, as its sample recipient reads it", "Preheader, as its sample recipient reads it", "Subject template", "Preheader template",
			"Blocks", "Chosen per recipient", "Same newsletter as"}},
		{report.SheetInputs, []string{"Input", "Rows read", "Accepted", "Rejected", "Reason", "Rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			rows, err := f.GetRows(tt.sheet)
			if err != nil {
				t.Fatalf("GetRows: %v", err)
			}
			if len(rows) == 0 || !reflect.DeepEqual(rows[0], tt.want) {
				var got []string
				if len(rows) > 0 {
					got = rows[0]
				}
				t.Errorf("header\n got %q\nwant %q", got, tt.want)
			}
			panes, err := f.GetPanes(tt.sheet)
			if err != nil {
				t.Fatalf("GetPanes: %v", err)
			}
			if !panes.Freeze || panes.YSplit != 1 {
				t.Errorf("panes %+v, want the header row frozen", panes)
			}
		})
	}
}

func TestWriteSummarySheet(t *testing.T) {
	f := open(t, testSummary())
	checkCells(t, f, report.SheetSummary, []cell{
		{"A1", "Campaign"}, {"B1", "quickstart"},
		{"A2", "Month"}, {"B2", "2026-10"},
		{"A3", "tailor version"}, {"B3", "v1.2.3"},
		{"A4", ""},
		{"A5", "Cardholders"}, {"B5", 207},
		{"A6", "Receive this month's newsletter"}, {"B6", 160},
		{"A7", "No marketing consent"}, {"B7", 30},
		{"A8", "Cancelled"}, {"B8", 10},
		{"A9", "No spend in the window"}, {"B9", 7},
		{"A11", "Clusters"}, {"B11", 3},
		{"A12", "Variants"}, {"B12", 3},
		{"A13", "Distinct newsletters"}, {"B13", 3}, {"C13", "3 clusters, 3 distinct newsletters"},
		{"A14", "Messages in the outbox"}, {"B14", 160},
		// The clustering's figures are on the Technical sheet.
		{"A15", "Charts, the Glossary of the terms used, and the clustering's technical figures are on their own sheets."},
		{"A17", "cardholders: rows read"}, {"B17", 210},
		{"A18", "cardholders: accepted"}, {"B18", 207},
		{"A19", "cardholders: rejected"}, {"B19", 3},
		{"A20", "transactions: rows read"}, {"B20", 5000},
		{"A21", "transactions: accepted"}, {"B21", 5000},
		{"A22", "transactions: rejected"}, {"B22", 0},
	})
	rows, err := f.GetRows(report.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 22 {
		t.Errorf("%d rows, want 22", len(rows))
	}
}

func TestWriteClustersSheet(t *testing.T) {
	f := open(t, testSummary())
	checkCells(t, f, report.SheetClusters, []cell{
		{"A2", 0}, {"B2", "v0001"}, {"C2", "Dining + Travel"}, {"D2", 120}, {"E2", 100},
		// Spending in currency units, activity per cardholder.
		{"F2", 1234.56}, {"G2", 1500}, {"H2", 42.5}, {"I2", 12.5}, {"J2", 7.25},
		{"K2", "Dining"}, {"L2", 0.425}, {"M2", 2.5},
		{"N2", "Airlines"}, {"O2", 0.2}, {"P2", 1.75},
		{"Q2", "Hotels & lodging"}, {"R2", 0.1}, {"S2", 1.25},
		// Only the top three interests, then the relationship mix, then
		// the tiers, no tier last.
		{"T2", 50}, {"U2", 40}, {"V2", 20}, {"W2", 6}, {"X2", 4}, {"Y2", 0},
		{"Z2", 70}, {"AA2", 40}, {"AB2", 10}, {"AC2", ""},
		{"A3", 1}, {"B3", "v0002"}, {"C3", "Groceries"}, {"D3", 80}, {"E3", 60}, {"F3", 500},
		{"K3", "Groceries"}, {"L3", 0.5}, {"M3", 1.5}, {"N3", ""}, {"O3", ""},
		{"T3", 10}, {"U3", 30}, {"V3", 35}, {"W3", 5}, {"X3", 0}, {"Z3", 0}, {"AA3", 80}, {"AB3", 0},
		// No Members entry: empty spending, zero counts.
		{"A4", 2}, {"B4", "v0003"}, {"C4", "Mixed spending"}, {"D4", 7}, {"E4", 0}, {"F4", ""}, {"K4", ""},
		{"T4", 0}, {"U4", 0}, {"V4", 0}, {"W4", 0}, {"X4", 0}, {"AA4", 0},
		{"A5", ""},
	})

	tests := []struct {
		ref    string
		numFmt int
		shown  string
	}{
		{"F2", 4, "1,234.56"},
		{"H2", 4, "42.50"},
		{"I2", 2, "12.50"},
		{"L2", 10, "42.50%"},
		{"O2", 10, "20.00%"},
		{"R2", 10, "10.00%"},
		{"L3", 10, "50.00%"},
		{"M2", 2, "2.50"},
		{"P2", 2, "1.75"},
		{"S2", 2, "1.25"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			id, err := f.GetCellStyle(report.SheetClusters, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil {
				t.Fatal(err)
			}
			if st.NumFmt != tt.numFmt {
				t.Errorf("number format %d, want %d", st.NumFmt, tt.numFmt)
			}
			if got, _ := f.GetCellValue(report.SheetClusters, tt.ref); got != tt.shown {
				t.Errorf("shown as %q, want %q", got, tt.shown)
			}
		})
	}
}

// With a last month, the Clusters sheet follows each variant from it and
// lists the retired ones under the table; without, it has no such columns.
func TestWriteClustersSheetContinuity(t *testing.T) {
	flowHeader := []string{"Last month", "Stayed", "Moved in", "Moved out", "New", "Left"}
	unknown := withContinuity(testSummary())
	unknown.Continuity.Flows = nil
	tests := []struct {
		name  string
		s     report.Summary
		cols  int // in the header
		rows  int
		cells []cell
	}{
		{
			name: "first month", s: testSummary(), cols: 28, rows: 4,
			cells: []cell{{"AC1", ""}, {"AC2", ""}, {"A5", ""}, {"B6", ""}},
		},
		{
			name: "after a month", s: withContinuity(testSummary()), cols: 34, rows: 6,
			cells: []cell{
				// After the tiers (Z to AB).
				{"AB1", "No tier"}, {"AC1", "Last month"}, {"AD1", "Stayed"}, {"AE1", "Moved in"}, {"AF1", "Moved out"}, {"AG1", "New"}, {"AH1", "Left"},
				{"B2", "v0001"}, {"AC2", "kept"}, {"AD2", 100}, {"AE2", 15}, {"AF2", 10}, {"AG2", 5}, {"AH2", 3},
				{"B3", "v0002"}, {"AC3", "kept"}, {"AD3", 60}, {"AE3", 12}, {"AF3", 9}, {"AG3", 8}, {"AH3", 2},
				{"B4", "v0003"}, {"AC4", "born"}, {"AD4", 0}, {"AE4", 4}, {"AF4", 0}, {"AG4", 3}, {"AH4", 0},
				// An empty row, then the retired variant, with only its
				// cardholders that moved out or left.
				{"A5", ""}, {"B5", ""}, {"AC5", ""},
				{"A6", ""}, {"B6", "v0004"}, {"C6", ""}, {"D6", ""}, {"Z6", ""},
				{"AC6", "retired"}, {"AD6", ""}, {"AE6", ""}, {"AF6", 12}, {"AG6", ""}, {"AH6", 6},
			},
		},
		{
			name: "last month's assignments unknown", s: unknown, cols: 34, rows: 6,
			cells: []cell{{"AC2", "kept"}, {"AD2", ""}, {"AH2", ""}, {"AC4", "born"}, {"AE4", ""}, {"B6", "v0004"}, {"AC6", "retired"}, {"AF6", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := open(t, tt.s)
			rows, err := f.GetRows(report.SheetClusters)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tt.rows {
				t.Errorf("%d rows, want %d", len(rows), tt.rows)
			}
			if len(rows) > 0 && len(rows[0]) != tt.cols {
				t.Errorf("header %q: %d columns, want %d", rows[0], len(rows[0]), tt.cols)
			}
			if len(rows) > 0 && tt.s.Continuity == nil && slices.ContainsFunc(rows[0], func(h string) bool { return slices.Contains(flowHeader, h) }) {
				t.Errorf("header %q follows last month, but there was none", rows[0])
			}
			checkCells(t, f, report.SheetClusters, tt.cells)
			// The filter covers the clusters, not the retired variants.
			last, _ := excelize.CoordinatesToCellName(tt.cols, 4)
			want := "'Clusters'!$A$1:$" + strings.TrimRight(last, "0123456789") + "$4"
			var filter string
			for _, n := range f.GetDefinedName() {
				if n.Name == "_xlnm._FilterDatabase" && n.Scope == report.SheetClusters {
					filter = n.RefersTo
				}
			}
			if filter != want {
				t.Errorf("filter %q, want %q", filter, want)
			}
		})
	}
}

func TestWriteVariantsSheet(t *testing.T) {
	f := open(t, testSummary())
	checkCells(t, f, report.SheetVariants, []cell{
		{"A2", "v0001"}, {"B2", 0}, {"C2", "Dining + Travel"}, {"D2", 120}, {"E2", 100},
		{"F2", "gold"}, {"G2", "always-a-share"},
		{"H2", "Ann, a table for two"}, {"I2", "Ann, 4x points on dinner"}, {"J2", "A table for two"}, {"K2", "Book now"},
		{"L2", "intro, dining, airlines, closing"},
		{"A3", "v0002"}, {"B3", 1}, {"F3", ""}, {"G3", ""}, {"H3", "Fresh this month"}, {"I3", ""}, {"J3", "Fresh this month"}, {"K3", ""},
		{"L3", "intro, groceries, closing"},
		// No sample subject: empty beside the template.
		{"A4", "v0003"}, {"B4", 2}, {"D4", 7}, {"E4", 0}, {"H4", ""}, {"I4", ""}, {"J4", "Our picks"}, {"L4", "intro, picks, closing"},
		{"A5", ""},
	})
}

func TestWriteInputsSheet(t *testing.T) {
	f := open(t, testSummary())
	checkCells(t, f, report.SheetInputs, []cell{
		{"A2", "cardholders"}, {"B2", 210}, {"C2", 207}, {"D2", 3}, {"E2", ""},
		{"A3", "cardholders"}, {"B3", ""}, {"E3", "email: not an email address"}, {"F3", 2},
		{"A4", "cardholders"}, {"E4", "duplicate cardholder id"}, {"F4", 1},
		{"A5", "transactions"}, {"B5", 5000}, {"C5", 5000}, {"D5", 0}, {"E5", ""},
		{"A6", ""},
	})
}

func TestWriteLostSheet(t *testing.T) {
	f := open(t, testSummary())
	// Dates are numbers (Excel serial days) shown as ISO dates; 2026-07-01
	// is day 46204.
	checkCells(t, f, report.SheetLost, []cell{
		{"A2", "C0042"}, {"B2", "Ann"}, {"C2", 46204}, {"D2", "moved abroad"}, {"E2", 1234.56}, {"F2", 8}, {"G2", 46201},
		{"H2", "Dining"}, {"I2", 0.5}, {"J2", "Groceries"}, {"K2", 0.25}, {"L2", "Fuel"}, {"M2", 0.125}, {"N2", "Olive & Thyme"},
		{"O2", ""}, // three interests only
		{"A3", "C0007"}, {"B3", "Bo"}, {"C3", ""}, {"D3", ""}, {"E3", -5}, {"F3", 0}, {"G3", ""},
		{"H3", "Fuel"}, {"I3", 1}, {"J3", ""}, {"K3", ""}, {"N3", ""},
		{"A4", ""},
	})
	tests := []struct {
		ref    string
		numFmt int
		shown  string
	}{
		{"C2", 0, "2026-07-01"},
		{"G2", 0, "2026-06-28"},
		{"E2", 4, "1,234.56"},
		{"E3", 4, "-5.00"},
		{"I2", 10, "50.00%"},
		{"M2", 10, "12.50%"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			id, err := f.GetCellStyle(report.SheetLost, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil {
				t.Fatal(err)
			}
			if st.NumFmt != tt.numFmt {
				t.Errorf("number format %d, want %d", st.NumFmt, tt.numFmt)
			}
			if tt.numFmt == 0 && (st.CustomNumFmt == nil || *st.CustomNumFmt != "yyyy-mm-dd") {
				t.Errorf("custom number format %v, want yyyy-mm-dd", st.CustomNumFmt)
			}
			if got, _ := f.GetCellValue(report.SheetLost, tt.ref); got != tt.shown {
				t.Errorf("shown as %q, want %q", got, tt.shown)
			}
		})
	}
	panes, err := f.GetPanes(report.SheetLost)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v, want the header row frozen", panes)
	}
}

func TestWriteUnmappedSheet(t *testing.T) {
	f := open(t, testSummary())
	// Most frequent first, then by code.
	checkCells(t, f, report.SheetUnmapped, []cell{
		{"A2", "9999"}, {"B2", "Test code"}, {"C2", 50}, {"D2", 0.01},
		{"A3", "0000"}, {"B3", ""}, {"C3", 2}, {"D3", 0.0004},
		{"A4", "0001"}, {"C4", 2}, {"D4", 0.0004},
		{"A5", "Hobbies"}, {"C5", 2}, {"D5", 0.0004},
		{"A6", ""},
	})
	if got, _ := f.GetCellValue(report.SheetUnmapped, "D2"); got != "1.00%" {
		t.Errorf("D2 shown as %q, want 1.00%%", got)
	}
	t.Run("no transactions", func(t *testing.T) {
		s := testSummary()
		s.Transactions = 0
		f := open(t, s)
		checkCells(t, f, report.SheetUnmapped, []cell{{"A2", "9999"}, {"C2", 50}, {"D2", ""}})
	})
	t.Run("input left alone", func(t *testing.T) {
		s := testSummary()
		open(t, s)
		if s.Unmapped[0].Code != "0001" {
			t.Errorf("Write sorted the caller's slice: %v", s.Unmapped)
		}
	})
}

func TestWriteEmpty(t *testing.T) {
	f := open(t, report.Summary{})
	tests := []struct {
		sheet string
		rows  int
	}{
		{report.SheetSummary, 15},
		{report.SheetClusters, 1},
		{report.SheetVariants, 1},
		{report.SheetLost, 1},
		{report.SheetInputs, 1},
		{report.SheetUnmapped, 1},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			rows, err := f.GetRows(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tt.rows {
				t.Errorf("%d rows, want %d: %q", len(rows), tt.rows, rows)
			}
		})
	}
	checkCells(t, f, report.SheetSummary, []cell{{"A11", "Clusters"}, {"B11", 0}})
	checkCells(t, f, report.SheetTechnical, []cell{{"A2", "Clustering inertia"}, {"B2", 0}, {"B3", 0}})
}

// failAfter accepts n bytes, then fails.
type failAfter struct {
	n   int
	err error
}

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	n := w.n
	w.n = 0
	return n, w.err
}

func TestWriteError(t *testing.T) {
	errDisk := errors.New("disk full")
	tests := []struct {
		name string
		w    io.Writer
		want error
	}{
		{"at once", &failAfter{n: 0, err: errDisk}, errDisk},
		{"midway", &failAfter{n: 1000, err: errDisk}, errDisk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := report.Write(tt.w, testSummary())
			if !errors.Is(err, tt.want) {
				t.Fatalf("Write error %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "report: ") {
				t.Errorf("error %q lacks the %q prefix", err, "report: ")
			}
		})
	}
}

// BenchmarkWrite writes a workbook of 768 clusters and variants and 20,000
// lost customers (2% of a million cardholders).
func BenchmarkWrite(b *testing.B) {
	s := testSummary()
	for i := 0; i < 8; i++ {
		s.Clusters = append(s.Clusters, s.Clusters...)
		s.Plan.Variants = append(s.Plan.Variants, s.Plan.Variants...)
	}
	for len(s.Lost) < 20000 {
		s.Lost = append(s.Lost, s.Lost...)
	}
	for b.Loop() {
		if err := report.Write(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWriteSendSheet(t *testing.T) {
	s := testSummary()
	s.Send = []report.SendRow{
		{Variant: "v0001", Sent: 90, Deferred: 5, Failed: 5, Suppressed: 7, Skipped: 1},
		{Variant: "v0002", Sent: 40, Uncertain: 2, Pending: 8},
	}
	f := open(t, s)
	if got := f.GetSheetList(); got[len(got)-1] != report.SheetSend {
		t.Fatalf("sheets %q: want Send last", got)
	}
	rows, err := f.GetRows(report.SheetSend)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Variant", "Sent", "Deferred", "Pending", "Failed", "Uncertain", "Suppressed", "Skipped", "Sent of those to send"},
		{"v0001", "90", "5", "0", "5", "0", "7", "1", "90.00%"},
		{"v0002", "40", "0", "8", "0", "2", "0", "0", "80.00%"},
		{"Total", "130", "5", "8", "5", "2", "7", "1", "86.67%"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("Send sheet\n%q\nwant\n%q", rows, want)
	}
	if got := open(t, testSummary()).GetSheetList(); slices.Contains(got, report.SheetSend) {
		t.Errorf("a Send sheet before any send: %q", got)
	}
}

func TestUpdateSend(t *testing.T) {
	var before bytes.Buffer
	if err := report.Write(&before, testSummary()); err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][]report.SendRow{{{Variant: "v0001", Sent: 3}}, {{Variant: "v0001", Sent: 5, Failed: 1}}} {
		var after bytes.Buffer
		if err := report.UpdateSend(bytes.NewReader(before.Bytes()), &after, rows); err != nil {
			t.Fatal(err)
		}
		written := after.Bytes()
		f, err := excelize.OpenReader(bytes.NewReader(written))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.GetRows(report.SheetSend)
		if len(got) != 3 || got[1][1] != fmt.Sprint(rows[0].Sent) || got[2][0] != "Total" {
			t.Errorf("Send sheet %q", got)
		}
		if sheets := f.GetSheetList(); len(sheets) != 13 || sheets[0] != report.SheetSummary {
			t.Errorf("sheets %q", sheets)
		}
		f.Close()
		before.Reset()
		before.Write(written)
	}
}

// The Fit sheet counts each variant's misfit messages by rule, totals
// them, and lists the examples; with none, it says every message is true.
func TestFitSheet(t *testing.T) {
	s := testSummary()
	s.Fit = report.Fit{Checked: 30, Misfit: 2, Budget: 0.01, Rules: []string{"tier", "spend"},
		Variants: []report.FitRow{{Variant: "v0001", Checked: 20, Misfit: 2, Rules: []int{1, 2}}, {Variant: "v0002", Checked: 10}},
		Examples: []report.FitExample{{Cardholder: "C1", Variant: "v0001", Rule: "spend", Detail: "Why you got this: ... Fuel."}}}
	f := open(t, s)
	rows, err := f.GetRows(report.SheetFit)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Variant", "Messages", "Not true for their reader", "Share", "tier", "spend"},
		{"v0001", "20", "2", "10.00%", "1", "2"},
		{"v0002", "10", "0", "0.00%"},
		{"Total", "30", "2", "6.67%", "1", "2"},
		{},
		{"Budget", "", "", "1.00%"},
		{},
		{"Cardholder", "Variant", "Rule", "What they read"},
		{"C1", "v0001", "spend", "Why you got this: ... Fuel."},
	}
	if fmt.Sprintf("%q", rows) != fmt.Sprintf("%q", want) { // an empty row reads as nil or empty
		t.Errorf("Fit sheet\n got %q\nwant %q", rows, want)
	}
	s.Fit = report.Fit{Checked: 5, Rules: []string{"tier"}, Variants: []report.FitRow{{Variant: "v0001", Checked: 5, Rules: []int{0}}}}
	rows, _ = open(t, s).GetRows(report.SheetFit)
	if last := rows[len(rows)-1]; len(last) != 1 || last[0] != "Every message audited is true for its reader." {
		t.Errorf("Fit sheet without misfits ends with %q", last)
	}
}

// TestWriteVariantsSameNewsletter checks that a variant that shares
// another's newsletter names it, that the others name none, and that the
// Summary counts the newsletter once.
func TestWriteVariantsSameNewsletter(t *testing.T) {
	s := testSummary()
	if len(s.Plan.Variants) < 2 {
		t.Fatal("the test summary has fewer than two variants")
	}
	twin := s.Plan.Variants[0]
	twin.ID, twin.Cluster, twin.Label, twin.Size, twin.SameAs = "v9999", 99, "a twin", 7, s.Plan.Variants[0].ID
	s.Plan.Variants = append(s.Plan.Variants, twin)
	f := open(t, s)
	rows, err := f.GetRows(report.SheetVariants)
	if err != nil {
		t.Fatal(err)
	}
	summary, err := f.GetRows(report.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d clusters, %d distinct newsletters", len(s.Clusters), len(s.Plan.Variants)-1)
	if !slices.ContainsFunc(summary, func(row []string) bool { return len(row) > 2 && row[0] == "Distinct newsletters" && row[2] == want }) {
		t.Errorf("the Summary does not say %q", want)
	}
	col := len(rows[0]) - 1
	if rows[0][col] != "Same newsletter as" {
		t.Fatalf("last column %q", rows[0][col])
	}
	for i, row := range rows[1:] {
		want := ""
		if i == len(s.Plan.Variants)-1 {
			want = s.Plan.Variants[0].ID
		}
		got := ""
		if col < len(row) {
			got = row[col]
		}
		if got != want {
			t.Errorf("%s: same newsletter as %q, want %q", row[0], got, want)
		}
	}
}
