package ingest

import (
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"time"
)

// Format says how to read one input file. The zero value reads comma-,
// semicolon-, tab- or pipe-separated UTF-8 with ISO dates and dot decimals,
// counts a transaction without a category under "other" and rejects a
// profile row with an empty value.
type Format struct {
	// Delimiter is the CSV field separator; 0 detects it from the header
	// line among ',', ';', tab and '|'.
	Delimiter byte
	// Encoding is how a CSV file is encoded: "utf-8" (a byte-order mark is
	// skipped), "windows-1252" (or "cp1252"), "utf-16" (the byte order from
	// the byte-order mark, else from the text, else little-endian),
	// "utf-16le" or "utf-16be". "" detects it: a UTF-16 byte-order mark or
	// NUL pattern reads as UTF-16; a start of the file that is not UTF-8
	// and reads as Windows-1252 reads as Windows-1252; anything else reads
	// as UTF-8, and its rows with bytes that are not UTF-8 are rejected.
	// Stats.Encoding says which.
	Encoding string
	// Sheet is the XLSX sheet to read; "" reads the first.
	Sheet string
	// DateFormat is how dates are written: "" or "iso" for 2006-01-02,
	// "dmy" for 02/01/2006, "mdy" for 01/02/2006, "ymd" for 2006/01/02,
	// "dmy." for 02.01.2006, "dmy-" for 02-01-2006, or any Go time layout
	// such as "02 Jan 2006", "Jan 2, 2006" or "02/01/06". The presets but
	// ISO also read a day or month of one digit (3/1/2017) and a year of
	// two digits (03/01/17); ISO dates need four, since 26-10-31 could as
	// well be the 26th. A Go layout reads exactly its own widths. A
	// two-digit year, in a preset or in a
	// layout's "06", is 2000-2068 for 00-68 and 1969-1999 for 69-99: the
	// fixed POSIX rule (strptime %y, and Go's time package), whatever
	// today's date. Spreadsheet serial day numbers are read in XLSX files
	// whatever the format.
	DateFormat string
	// Decimal is the decimal separator of amounts: '.' (default) or ','.
	Decimal byte
	// Thousands is the thousands separator of amounts: ',', '.', ' ' or
	// '\''. It must differ from Decimal. With ' ', no-break spaces
	// separate thousands too. 0 groups them as Decimal implies: ',' with
	// '.', '.' with ','.
	Thousands byte
	// MinorUnits says amounts are integers in minor units (cents).
	MinorUnits bool
	// Columns maps a file's header names to tailor's column names, such as
	// "Card Ref" -> "cardholder_id". Header names match case-insensitively.
	Columns map[string]string
	// Include and Exclude filter a transactions file's rows (see
	// RowFilter): a row is read when it matches every Include filter and
	// no Exclude filter; the others are skipped and counted in
	// Stats.Filtered, neither accepted nor rejected.
	Include, Exclude []RowFilter
	// EmptyCategory is what becomes of a transaction whose merchant
	// category code and category are both empty: "" or "other" counts it
	// under the catch-all interest, and under EmptyCategoryKey in
	// Stats.UnmappedCategories; "reject" rejects the row.
	EmptyCategory string
	// MissingDefault is what becomes of an empty value in a column of
	// numbers of pre-aggregated profiles: "" or "reject" rejects the row,
	// "zero" reads it as 0, "median" as the median of the column's values
	// over the file's accepted rows. FeatureTable.Filled counts the values
	// filled in.
	MissingDefault string
	// Missing sets the missing-value policy of single columns, by header
	// name (matched as Columns are), overriding MissingDefault.
	Missing map[string]string
}

// Missing-value policies of Format.Missing and Format.MissingDefault.
const (
	MissingReject = "reject"
	MissingZero   = "zero"
	MissingMedian = "median"
)

// Policies of Format.EmptyCategory.
const (
	EmptyCategoryOther  = "other"
	EmptyCategoryReject = "reject"
)

// EmptyCategoryKey counts, in Stats.UnmappedCategories, the transactions
// with neither a merchant category code nor a category, which count under
// the catch-all interest.
const EmptyCategoryKey = "(empty)"

// datePreset is a date format named by an alias: its Go layout, for
// messages, and how to read it.
type datePreset struct {
	layout string
	kind   dateKind
	sep    byte
}

// Date formats by alias.
var datePresets = map[string]datePreset{
	"":     {"2006-01-02", dateISO, '-'},
	"iso":  {"2006-01-02", dateISO, '-'},
	"dmy":  {"02/01/2006", dateDMY, '/'},
	"mdy":  {"01/02/2006", dateMDY, '/'},
	"ymd":  {"2006/01/02", dateYMD, '/'},
	"dmy.": {"02.01.2006", dateDMY, '.'},
	"dmy-": {"02-01-2006", dateDMY, '-'},
}

// Check reports the first inconsistency in f.
func (f Format) Check() error {
	for _, rf := range append(append([]RowFilter(nil), f.Include...), f.Exclude...) {
		if err := rf.check(); err != nil {
			return err
		}
	}
	switch strings.ToLower(f.Encoding) {
	case "", "utf-8", "utf8", "windows-1252", "cp1252", "utf-16", "utf-16le", "utf-16be":
	default:
		return fmt.Errorf("encoding %q: want utf-8, windows-1252, utf-16, utf-16le or utf-16be", f.Encoding)
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
	switch strings.ToLower(f.EmptyCategory) {
	case "", EmptyCategoryOther, EmptyCategoryReject:
	default:
		return fmt.Errorf("empty category %q: want %q or %q", f.EmptyCategory, EmptyCategoryOther, EmptyCategoryReject)
	}
	if _, err := missingPolicy(f.MissingDefault); err != nil {
		return fmt.Errorf("missing: %w", err)
	}
	for col, m := range f.Missing {
		if _, err := missingPolicy(m); err != nil {
			return fmt.Errorf("missing value policy of column %q: %w", col, err)
		}
	}
	return nil
}

// rejectEmptyCategory reports whether a transaction without a category is
// rejected.
func (f Format) rejectEmptyCategory() bool {
	return strings.EqualFold(f.EmptyCategory, EmptyCategoryReject)
}

func (f Format) decimal() byte {
	if f.Decimal == 0 {
		return '.'
	}
	return f.Decimal
}

// amountParser parses amounts of one format into cents, exactly.
type amountParser struct {
	decimal, thousands byte
	minor              bool
}

func (f Format) amountParser() amountParser {
	th := f.Thousands
	if th == 0 {
		// Without one given, thousands are grouped as the decimal
		// separator implies: 1,234.50 or 1.234,50 (groups of exactly
		// three digits, so that 1,5 is still no amount).
		th = map[byte]byte{'.': ',', ',': '.'}[f.decimal()]
	}
	return amountParser{decimal: f.decimal(), thousands: th, minor: f.MinorUnits}
}

// maxCents bounds what the amount parsers read, in cents of either sign;
// MaxAmount, smaller, is checked after conversion.
const maxCents = 1 << 62

// parse reads an amount: a plain number of the format ("-1.234,56") on a
// fast path, else as people write it, with a currency and the signs of
// accountants, or the error (see parseWritten).
func (p amountParser) parse(s []byte) (money, error) {
	if cents, ok := p.plain(s); ok {
		return money{cents: cents}, nil
	}
	return p.parseWritten(s)
}

// plain reads a plain number of the format: a sign, digits grouped by
// three when the format has a thousands separator, at most two decimals
// (or none in minor units), at most 2^62 cents. ok is false for anything
// else, which parseWritten reads or explains.
func (p amountParser) plain(s []byte) (cents int64, ok bool) {
	if len(s) == 0 {
		return 0, false
	}
	neg := s[0] == '-'
	if neg || s[0] == '+' {
		s = s[1:]
	}
	v, err := p.number(s)
	if err != nil {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

// number reads an unsigned number of the format into cents: digits, with
// thousands separators grouping them by three when the format has one, and
// at most two decimals (ErrDecimals when there are more).
func (p amountParser) number(s []byte) (uint64, error) {
	// Most amounts: up to thirteen digits, the decimal separator and two
	// decimals, read without looking for separators.
	if n := len(s); !p.minor && n >= 4 && n <= 16 && s[n-3] == p.decimal {
		var v uint64
		for _, c := range s[:n-3] {
			if c -= '0'; c > 9 {
				goto long
			}
			v = v*10 + uint64(c)
		}
		if d1, d2 := s[n-2]-'0', s[n-1]-'0'; d1 <= 9 && d2 <= 9 {
			return v*100 + uint64(d1)*10 + uint64(d2), nil
		}
	}
long:
	return p.numberLong(s)
}

// numberLong is number without its shortcut.
func (p amountParser) numberLong(s []byte) (uint64, error) {
	var v uint64
	i, digits, group, groups := 0, 0, 0, 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if v > maxCents/10 {
				return 0, ErrNotNumber
			}
			v = v*10 + uint64(c-'0')
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
		if i != len(s) || v > maxCents {
			return 0, ErrNotNumber
		}
		return v, nil
	}
	if v > maxCents/100 {
		return 0, ErrNotNumber
	}
	v *= 100
	if i < len(s) && s[i] == p.decimal {
		i++
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		switch {
		case i == j:
			return 0, ErrNotNumber
		case i != len(s):
			return 0, ErrNotNumber
		case i-j > 2:
			return 0, ErrDecimals
		case i-j == 2:
			v += uint64(s[j]-'0')*10 + uint64(s[j+1]-'0')
		default:
			v += uint64(s[j]-'0') * 10
		}
	}
	if i != len(s) || v > maxCents {
		return 0, ErrNotNumber
	}
	return v, nil
}

// dateKind is how a dateParser reads.
type dateKind uint8

const (
	dateISO    dateKind = iota // 2006-01-02, fixed width
	dateDMY                    // day, month, year with a separator
	dateMDY                    // month, day, year
	dateYMD                    // year, month, day
	dateLayout                 // any other Go layout, through time.Parse
)

// dateParser parses dates of one format into days since 1970-01-01.
type dateParser struct {
	layout string
	kind   dateKind
	sep    byte
	// loose says a preset: days and months of one or two digits, years of
	// two or four. Otherwise two digits each, and years of yearDigits.
	loose      bool
	yearDigits int
}

func newDateParser(format string) (dateParser, error) {
	if pr, ok := datePresets[strings.ToLower(format)]; ok {
		// Presets read both widths of years; yearDigits 4 lets the
		// common case take the fast path.
		return dateParser{layout: pr.layout, kind: pr.kind, sep: pr.sep, loose: pr.kind != dateISO, yearDigits: 4}, nil
	}
	layout := format
	// A layout must name a year, a month and a day.
	if !strings.Contains(layout, "06") || !strings.ContainsAny(layout, "1J") || !strings.Contains(layout, "2") {
		return dateParser{}, fmt.Errorf("date format %q: want iso, dmy, mdy, ymd or a Go layout such as 02/01/2006", format)
	}
	if _, err := time.Parse(layout, time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC).Format(layout)); err != nil {
		return dateParser{}, fmt.Errorf("date format %q: %w", format, err)
	}
	if layout == "2006-01-02" {
		return dateParser{layout: layout, kind: dateISO, sep: '-', yearDigits: 4}, nil
	}
	if kind, sep, yd, ok := numericLayout(layout); ok {
		return dateParser{layout: layout, kind: kind, sep: sep, yearDigits: yd}, nil
	}
	return dateParser{layout: layout, kind: dateLayout}, nil
}

// numericLayout recognises the layouts of three numbers, "02/01/2006",
// "01-02-06", "2006.01.02", that the fast path reads: a two-digit day and
// month, a year of four or two digits (yearDigits), one separator.
func numericLayout(layout string) (kind dateKind, sep byte, yearDigits int, ok bool) {
	i := strings.IndexAny(layout, "/-. ")
	if i < 0 {
		return 0, 0, 0, false
	}
	sep = layout[i]
	parts := strings.Split(layout, string(sep))
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	year := func(s string) int {
		switch s {
		case "2006":
			return 4
		case "06":
			return 2
		}
		return 0
	}
	switch {
	case parts[0] == "02" && parts[1] == "01" && year(parts[2]) > 0:
		return dateDMY, sep, year(parts[2]), true
	case parts[0] == "01" && parts[1] == "02" && year(parts[2]) > 0:
		return dateMDY, sep, year(parts[2]), true
	case year(parts[0]) > 0 && parts[1] == "01" && parts[2] == "02":
		return dateYMD, sep, year(parts[0]), true
	}
	return 0, 0, 0, false
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
	case dateISO:
		if day, ok := isoDay(s); ok {
			return day, nil
		}
		if len(s) == 10 && s[4] == '-' && s[7] == '-' {
			y, m, d, ok = num(s[0:4]), num(s[5:7]), num(s[8:10]), true
		}
	case dateDMY, dateMDY:
		if len(s) == 10 && s[2] == p.sep && s[5] == p.sep && p.yearDigits == 4 {
			// Two-digit days and months and a four-digit year, the
			// common case.
			a, b := num(s[0:2]), num(s[3:5])
			y, ok = num(s[6:10]), true
			if p.kind == dateDMY {
				d, m = a, b
			} else {
				m, d = a, b
			}
		} else {
			y, m, d, ok = p.numbers(s)
		}
	case dateYMD:
		y, m, d, ok = p.numbers(s)
	default:
		// Go's "06" reads two-digit years by the same rule as twoDigitYear.
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

// numbers reads a date of three numbers and one separator in the parser's
// order. The year's range is checked by the caller.
func (p dateParser) numbers(s []byte) (y, m, d int, ok bool) {
	var n, w [3]int
	k := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			if w[k] == 4 {
				return 0, 0, 0, false
			}
			n[k] = n[k]*10 + int(c-'0')
			w[k]++
			continue
		}
		if c != p.sep || k == 2 || w[k] == 0 {
			return 0, 0, 0, false
		}
		k++
	}
	if k != 2 {
		return 0, 0, 0, false
	}
	yi, mi, di := 2, 1, 0
	switch p.kind {
	case dateMDY:
		mi, di = 0, 1
	case dateYMD:
		yi, di = 0, 2
	}
	if p.loose {
		if w[mi] > 2 || w[di] > 2 || (w[yi] != 2 && w[yi] != 4) {
			return 0, 0, 0, false
		}
	} else if w[mi] != 2 || w[di] != 2 || w[yi] != p.yearDigits {
		return 0, 0, 0, false
	}
	y = n[yi]
	if w[yi] == 2 {
		y = twoDigitYear(y)
	}
	return y, n[mi], n[di], true
}

// twoDigitYear places a year written with two digits by the POSIX rule
// (strptime's %y, which Go's time package follows for "06"): 69-99 are
// 1969-1999, 00-68 are 2000-2068. The rule is fixed, so that a file reads
// the same whatever the day it is read.
func twoDigitYear(yy int) int {
	if yy >= 69 {
		return 1900 + yy
	}
	return 2000 + yy
}

func (p dateParser) err() error {
	if p.kind == dateISO {
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

// isoDay reads the common case of an ISO date, four digits, a dash, two
// digits, a dash, two digits, of a year from tableFirstYear to
// tableLastYear: the day number dateParser.parse gives it, by looking the
// year and the month up. ok is false for anything else, valid or not,
// which parse reads the long way. Its eight first bytes are checked in
// one word: every transaction has a date, and most differ from the row
// before.
func isoDay(s []byte) (day int32, ok bool) {
	if len(s) != 10 {
		return 0, false
	}
	w := binary.LittleEndian.Uint64(s[:8])
	const (
		dashAt = 0xff<<32 | 0xff<<56 // bytes 4 and 7
		dashes = '-'<<32 | '-'<<56
		digits = swarOnes * 0x80 &^ (0x80<<32 | 0x80<<56)
	)
	if w&dashAt != dashes || digitBytes(w)&digits != digits || !isDigit(s[8]) || !isDigit(s[9]) {
		return 0, false
	}
	v := w - digits>>7*'0' // the digits' values, the dashes left as they are: no borrow
	y := int(v&0xff)*1000 + int(v>>8&0xff)*100 + int(v>>16&0xff)*10 + int(v>>24&0xff)
	m := int(v>>40&0xff)*10 + int(v>>48&0xff)
	d := int32(s[8]-'0')*10 + int32(s[9]-'0')
	if y < tableFirstYear || y > tableLastYear || m < 1 || m > 12 {
		return 0, false
	}
	i := (y-tableFirstYear)*12 + m - 1
	first := monthStarts[i]
	if d < 1 || d > monthStarts[i+1]-first {
		return 0, false
	}
	return first + d - 1, true
}

// The years whose months isoDay looks up.
const (
	tableFirstYear = 1900
	tableLastYear  = 2155
)

// monthStarts holds the day number of the first of each month from
// January tableFirstYear, and of the month after the last: a month's
// length is the difference to the next.
var monthStarts = func() (t [(tableLastYear-tableFirstYear+1)*12 + 1]int32) {
	for i := range t {
		t[i] = dayNumber(tableFirstYear+i/12, i%12+1, 1)
	}
	return t
}()

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
