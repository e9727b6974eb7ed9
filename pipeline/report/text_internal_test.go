package report

import (
	"reflect"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// text reads back what row wrote as GetRows does: the cells in their
// number formats, empty cells inside a row, a row's trailing empty cells
// left out, and the empty rows after the last with text dropped.
func TestTextAsGetRows(t *testing.T) {
	tests := []struct {
		name string
		rows [][]any
		// percent is a column (1-based) styled as a percentage from row 2.
		percent int
	}{
		{"strings and numbers", [][]any{{"Name", "Count", "Share"}, {"Ann", 3, 0.25}, {"Zoë", 1234567, 1.0 / 3}}, 0},
		{"a percentage column", [][]any{{"Name", "Share"}, {"Ann", 0.125}, {"Bob", 1.0 / 3}}, 2},
		{"empty cells inside a row and at its end", [][]any{{"a", nil, "c", nil, nil}, {nil, "", 2.5, nil}}, 0},
		{"an empty row inside", [][]any{{"a"}, {nil, nil}, {"c", 1}}, 0},
		{"empty rows at the end", [][]any{{"a", "b"}, {"c"}, {nil, ""}, {}}, 0},
		{"nothing but empty cells", [][]any{{nil, ""}, {}}, 0},
		{"floats past fifteen digits and large integers", [][]any{{0.1 + 0.2, 123456789012345678, -1e-7, 1e21}}, 0},
		{"dates, booleans, times", [][]any{{time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC), true, false}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := excelize.NewFile()
			defer f.Close()
			b := &book{f: f}
			b.styles()
			b.sheet("S", nil, nil)
			for i, r := range tt.rows {
				b.row("S", i+1, r...)
			}
			if tt.percent > 0 {
				b.style("S", tt.percent, 2, len(tt.rows), b.percent)
			}
			if b.err != nil {
				t.Fatal(b.err)
			}
			got, err := b.text("S")
			if err != nil {
				t.Fatal(err)
			}
			want, err := f.GetRows("S")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("text\n%q\nGetRows\n%q", got, want)
			}
		})
	}
}
