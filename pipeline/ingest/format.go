package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"time"
)

// Format says how to read one input file. The zero value reads comma-,
// semicolon-, tab- or pipe-separated UTF-8 with ISO dates and dot decimals.
type Format struct {
	// Delimiter is the CSV field separator; 0 detects it from the header
	// line among ',', ';', tab and '|'.
	Delimiter byte
	// Encoding is "utf-8" (the default; a byte-order mark is skipped) or
	// "windows-1252".
	Encoding string
	// Sheet is the XLSX sheet to read; "" reads the first.
	Sheet string
	// DateFormat is how dates are written: "" or "iso" for 2006-01-02,
	// "dmy" for 02/01/2006, "mdy" for 01/02/2006, or any Go time layout
	// such as "02 Jan 2006" or "Jan 2, 2006". Spreadsheet serial day
	// numbers are read in XLSX files whatever the format.
	DateFormat string
	// Decimal is the decimal separator of amounts: '.' (default) or ','.
	Decimal byte
	// Thousands is the thousands separator of amounts, if any: ',', '.',
	// ' ' or '\''. It must differ from Decimal.
	Thousands byte
	// MinorUnits says amounts are integers in minor units (cents).
	MinorUnits bool
	// Columns maps a file's header names to tailor's column names, such as
	// "Card Ref" -> "cardholder_id". Header names match case-insensitively.
	Columns map[string]string
}

// Date layouts by alias.
var dateAliases = map[string]string{
	"": "2006-01-02", "iso": "2006-01-02", "dmy": "02/01/2006", "mdy": "01/02/2006",
	"ymd": "2006/01/02", "dmy.": "02.01.2006", "dmy-": "02-01-2006",
}

// Check reports the first inconsistency in f.
func (f Format) Check() error {
	switch strings.ToLower(f.Encoding) {
	case "", "utf-8", "utf8", "windows-1252", "cp1252":
	default:
		return fmt.Errorf("encoding %q: want utf-8 or windows-1252", f.Encoding)
	}
	switch f.Delimiter {
	case 0, ',', ';', '\t', '|':
	default:
		return fmt.Errorf("delimiter %q: want ',', ';', tab or '|'", f.Delimiter)
	}
	switch f.Decimal {
	case 0, '.', ',':
	default:
		return fmt.Errorf("decimal separator %q: want '.' or ','", f.Decimal)
	}
	switch f.Thousands {
	case 0, ',', '.', ' ', '\'':
	default:
		return fmt.Errorf("thousands separator %q: want ',', '.', ' ' or an apostrophe", f.Thousands)
	}
	if f.Thousands != 0 && f.Thousands == f.decimal() {
		return fmt.Errorf("thousands separator %q is also the decimal separator", f.Thousands)
	}
	if _, err := newDateParser(f.DateFormat); err != nil {
		return err
	}
	return nil
}

func (f Format) decimal() byte {
	if f.Decimal == 0 {
		return '.'
	}
	return f.Decimal
}

func (f Format) windows1252() bool {
	e := strings.ToLower(f.Encoding)
	return e == "windows-1252" || e == "cp1252"
}

// amountParser parses amounts of one format into cents, exactly.
type amountParser struct {
	decimal, thousands byte
	minor              bool
}

func (f Format) amountParser() amountParser {
	return amountParser{decimal: f.decimal(), thousands: f.Thousands, minor: f.MinorUnits}
}

// parse reads "1.234,56", "-12.30", "(12.30)" is not accepted. Thousands
// separators must group digits by three.
func (p amountParser) parse(s []byte) (int64, error) {
	if len(s) == 0 {
		return 0, ErrRequired
	}
	i := 0
	neg := false
	switch s[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	var v uint64
	digits, group, groups := 0, 0, 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			hi, lo := bits.Mul64(v, 10)
			if hi != 0 || lo > 1<<62 {
				return 0, ErrNotNumber
			}
			v = lo + uint64(c-'0')
			digits++
			group++
			continue
		}
		if p.thousands != 0 && c == p.thousands {
			// A separator follows 1-3 digits first, then exactly 3.
			if digits == 0 || (groups > 0 && group != 3) || group > 3 {
				return 0, ErrNotNumber
			}
			groups++
			group = 0
			continue
		}
		break
	}
	if digits == 0 || (groups > 0 && group != 3) {
		return 0, ErrNotNumber
	}
	if p.minor {
		if i != len(s) {
			return 0, ErrNotNumber
		}
	} else {
		frac := 0
		if i < len(s) && s[i] == p.decimal {
			i++
			for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
				if frac == 2 {
					return 0, ErrNotNumber
				}
				v = v*10 + uint64(s[i]-'0')
				frac++
			}
			if frac == 0 {
				return 0, ErrNotNumber
			}
		}
		if i != len(s) {
			return 0, ErrNotNumber
		}
		for ; frac < 2; frac++ {
			v *= 10
		}
		if v > 1<<62 {
			return 0, ErrNotNumber
		}
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// dateParser parses dates of one format into days since 1970-01-01.
type dateParser struct {
	layout string
	kind   int // 0 ISO, 1 day-month-year, 2 month-day-year (fixed width, any separator), 3 general layout
	sep    byte
}

func newDateParser(format string) (dateParser, error) {
	layout, ok := dateAliases[strings.ToLower(format)]
	if !ok {
		layout = format
		// A layout must name a year, a month and a day.
		if !strings.Contains(layout, "2006") || !strings.ContainsAny(layout, "1J") || !strings.Contains(layout, "2") {
			return dateParser{}, fmt.Errorf("date format %q: want iso, dmy, mdy or a Go layout such as 02/01/2006", format)
		}
		if _, err := time.Parse(layout, time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC).Format(layout)); err != nil {
			return dateParser{}, fmt.Errorf("date format %q: %w", format, err)
		}
	}
	p := dateParser{layout: layout, kind: 3}
	switch {
	case layout == "2006-01-02":
		p.kind = 0
	case len(layout) == 10 && layout[:2] == "02" && layout[3:5] == "01" && layout[6:] == "2006" && layout[2] == layout[5]:
		p.kind, p.sep = 1, layout[2]
	case len(layout) == 10 && layout[:2] == "01" && layout[3:5] == "02" && layout[6:] == "2006" && layout[2] == layout[5]:
		p.kind, p.sep = 2, layout[2]
	}
	return p, nil
}

// ErrDateFormat is wrapped when a date does not match the campaign's format.
var ErrDateFormat = errors.New("not a date in the expected format")

func (p dateParser) parse(s []byte) (int32, error) {
	if len(s) == 0 {
		return 0, ErrRequired
	}
	var y, m, d int
	ok := false
	switch p.kind {
	case 0:
		if len(s) == 10 && s[4] == '-' && s[7] == '-' {
			y, m, d, ok = num(s[0:4]), num(s[5:7]), num(s[8:10]), true
		}
	case 1, 2:
		if len(s) == 10 && s[2] == p.sep && s[5] == p.sep {
			a, b := num(s[0:2]), num(s[3:5])
			y, ok = num(s[6:10]), true
			if p.kind == 1 {
				d, m = a, b
			} else {
				m, d = a, b
			}
		}
	default:
		t, err := time.Parse(p.layout, string(s))
		if err != nil {
			return 0, p.err()
		}
		return dayNumber(t.Year(), int(t.Month()), t.Day()), nil
	}
	if !ok || y < 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, p.err()
	}
	return dayNumber(y, m, d), nil
}

func (p dateParser) err() error {
	if p.kind == 0 {
		return ErrNotDate
	}
	return fmt.Errorf("%w (want %s)", ErrDateFormat, p.layout)
}

// num parses a run of ASCII digits; -1 if any byte is not a digit.
func num(b []byte) int {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// dayNumber returns the days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's days_from_civil).
func dayNumber(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

// DayTime returns the UTC midnight of a day number.
func DayTime(day int32) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// Rate converts an amount in a foreign currency to the campaign currency.
type Rate struct {
	// scaled is the rate times 1e8.
	scaled uint64
}

const rateScale = 100_000_000

// ParseRate parses a decimal rate such as "1.0842" (campaign currency units
// per unit of the foreign currency), with up to 8 decimals.
func ParseRate(s string) (Rate, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	w, f := num([]byte(whole)), num([]byte(frac))
	if whole == "" || w < 0 || f < 0 || len(frac) > 8 || len(whole) > 7 {
		return Rate{}, fmt.Errorf("rate %q: want a decimal number with up to 8 decimals", s)
	}
	scaledFrac := uint64(f)
	for i := len(frac); i < 8; i++ {
		scaledFrac *= 10
	}
	r := Rate{scaled: uint64(w)*rateScale + scaledFrac}
	if r.scaled == 0 {
		return Rate{}, fmt.Errorf("rate %q: want a positive rate", s)
	}
	return r, nil
}

// convert returns cents × rate, rounded half away from zero.
func (r Rate) convert(cents int64) (int64, bool) {
	neg := cents < 0
	u := uint64(cents)
	if neg {
		u = uint64(-cents)
	}
	hi, lo := bits.Mul64(u, r.scaled)
	if hi >= rateScale {
		return 0, false
	}
	q, rem := bits.Div64(hi, lo, rateScale)
	if rem*2 >= rateScale {
		q++
	}
	if q > 1<<62 {
		return 0, false
	}
	if neg {
		return -int64(q), true
	}
	return int64(q), true
}

// ReadRates reads an exchange-rate table: a CSV with columns currency (ISO
// 4217) and rate (units of the campaign currency per unit of that
// currency). file names it in errors.
func ReadRates(r io.Reader, file string) (map[string]Rate, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, &FileError{File: file, Err: fmt.Errorf("header: %w", err)}
	}
	cur, rate := -1, -1
	for i, h := range header {
		switch normalizeHeader(h) {
		case "currency":
			cur = i
		case "rate":
			rate = i
		}
	}
	if cur < 0 || rate < 0 {
		return nil, &FileError{File: file, Line: 1, Err: fmt.Errorf("want columns currency and rate (header has: %s)", strings.Join(header, ", "))}
	}
	out := map[string]Rate{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, &FileError{File: file, Err: err}
		}
		line, _ := cr.FieldPos(0)
		c := strings.ToUpper(strings.TrimSpace(rec[cur]))
		if len(c) != 3 || !isAlpha([]byte(c)) {
			return nil, &FileError{File: file, Line: line, Column: cur + 1, Err: fmt.Errorf("currency %q: %w", rec[cur], ErrNotCurrency)}
		}
		if _, dup := out[c]; dup {
			return nil, &FileError{File: file, Line: line, Column: cur + 1, Err: fmt.Errorf("currency %s listed twice", c)}
		}
		v, err := ParseRate(rec[rate])
		if err != nil {
			return nil, &FileError{File: file, Line: line, Column: rate + 1, Err: err}
		}
		out[c] = v
	}
}
