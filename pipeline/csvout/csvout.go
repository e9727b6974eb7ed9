// Package csvout appends CSV fields as encoding/csv's Writer writes them,
// and amounts in cents as decimals, for the writers of large CSV files
// (profiles.csv, the generated inputs), which append their rows field by
// field without a record of strings per row.
package csvout

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Field appends s as encoding/csv's Writer writes a field with
// "," between fields and "\n" ending records: as it is, or quoted, with
// its quotes doubled, when it holds a ",", a quote, a line break, begins
// with a space, or is \. (fieldNeedsQuotes).
func Field[S ~string | ~[]byte](b []byte, s S) []byte {
	if !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// needsQuotes is encoding/csv's fieldNeedsQuotes for a "," separator.
func needsQuotes[S ~string | ~[]byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	if len(s) == 2 && s[0] == '\\' && s[1] == '.' {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	if c := s[0]; c < utf8.RuneSelf {
		return c == ' ' || '\t' <= c && c <= '\r'
	}
	r, _ := utf8.DecodeRuneInString(string(s[:min(len(s), utf8.UTFMax)]))
	return unicode.IsSpace(r)
}

// Cents appends an amount in cents as a decimal with two places, "-12.34"
// for -1234.
func Cents(b []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	return append(b, '.', byte('0'+u%100/10), byte('0'+u%10))
}
