package csvout_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/csvout"
)

// csvRecord writes fields with encoding/csv, the writer Field must
// match byte for byte.
func csvRecord(fields ...string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(fields) // into a bytes.Buffer
	w.Flush()
	return b.String()
}

func FuzzField(f *testing.F) {
	for _, s := range []string{"", "plain", `\.`, `\.x`, "a,b", `say "hi"`, "two\nlines", "cr\r", " leading", "\tTab",
		"\u00a0nbsp", "\u2003em", "\u0085next", "trailing ", "Zoë", "\xff\xfe", "\xc2"} {
		f.Add(s, "second")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got := string(append(csvout.Field(append(csvout.Field(nil, a), ','), []byte(b)), '\n'))
		if want := csvRecord(a, b); got != want {
			t.Errorf("csvout.Field(%q, %q) = %q, encoding/csv writes %q", a, b, got, want)
		}
	})
}

func TestCents(t *testing.T) {
	tests := []struct {
		cents int64
		want  string
	}{
		{0, "0.00"}, {5, "0.05"}, {10, "0.10"}, {100, "1.00"}, {4210, "42.10"},
		{-1234, "-12.34"}, {-7, "-0.07"}, {123456789, "1234567.89"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := string(csvout.Cents(nil, tt.cents)); got != tt.want {
				t.Errorf("csvout.Cents(%d) = %q, want %q", tt.cents, got, tt.want)
			}
		})
	}
}

func TestFieldReadsBack(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Olive & Thyme Bistro", "Olive & Thyme Bistro"},
		{"O'Brien", "O'Brien"},
		{"Zoë", "Zoë"},
		{"12,3.4", `"12,3.4"`},
		{`say "hi"`, `"say ""hi"""`},
		{" lead", `" lead"`},
		{"two\nlines", "\"two\nlines\""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := string(csvout.Field(nil, tt.in))
			if got != tt.want {
				t.Errorf("csvout.Field(%q) = %q, want %q", tt.in, got, tt.want)
			}
			rec, err := csv.NewReader(strings.NewReader(got + "\n")).Read()
			if tt.in != "" && (err != nil || len(rec) != 1 || rec[0] != tt.in) {
				t.Errorf("encoding/csv reads %q back as %q, %v", got, rec, err)
			}
		})
	}
}
