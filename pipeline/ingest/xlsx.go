package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// errNotXLSX is wrapped by the FileError for input that excelize cannot read
// as a workbook: not a zip, a truncated or corrupt zip, broken workbook XML,
// a panic inside excelize.
var errNotXLSX = errors.New("not a readable XLSX file")

// errDate1904 is wrapped by the FileError for a workbook that uses the 1904
// date system. Its date serials are 1462 days off the 1900 system that
// SerialDate reads; taking them as 1900 serials would move every date back
// by four years without a word, so such workbooks are refused.
var errDate1904 = errors.New("workbook uses the 1904 date system, whose serial dates tailor does not read: save the sheet as CSV instead")

// maxUnzipped caps the total unzipped size of a workbook (excelize's own
// default is about 16 GB). A sheet at Excel's limit of 1,048,576 rows with a
// dozen columns is a few hundred MiB of XML; the cap stops a zip bomb, whose
// declared sizes excelize would otherwise allocate.
const maxUnzipped = 2 << 30

// readXLSX streams the rows of one sheet of an XLSX workbook: the named
// sheet, or the first sheet in tab order (hidden or not) when sheet is "".
// Sheet names match without regard to case, as in Excel. fn receives each
// row's 1-based row number in the sheet and its cells as strings, padded with
// "" to the width of the header row (the first non-empty row; fn receives it
// too).
// A row wider than the header is passed whole: the caller decides. Blank rows
// (no cells, or only empty or white-space cells) are skipped but still
// counted in row numbers. cells is not reused: fn may keep it.
//
// Cells are read as raw values (excelize.Options{RawCellValue: true}), so a
// date cell arrives as its serial number ("46296", see SerialDate) and a
// number as its plain value ("742", "42.1", see SpreadsheetAmount), never in
// a locale's display format; a boolean is "1" or "0", a formula its cached
// result. A cell of the rare ISO 8601 date type (t="d") arrives as written
// ("2026-10-01T00:00:00Z").
//
// Memory: excelize.OpenReader reads the whole zip into memory, and excelize
// unzips every part of it into memory except worksheets and the shared
// strings table larger than 16 MiB, which it unzips to temporary files
// (removed on return); the shared strings table, when in memory, is decoded
// whole. The rows of the sheet themselves are streamed (Rows, Next,
// Columns), never loaded all at once. The total unzipped size is capped at
// 2 GiB.
//
// Errors are *FileError: not a readable XLSX file (excelize panics are
// recovered and reported so), a workbook in the 1904 date system, a named
// sheet that does not exist (the message lists the sheets there are), a sheet
// with no non-blank row. An error from fn is returned as it is, and so is
// ctx.Err(), checked every 1024 rows. A panic in fn is not recovered.
//
// A worksheet whose XML breaks off inside the zip ends early without an
// error: excelize's row iterator stops at the first XML error and does not
// report it. (A zip that is cut short or fails its checksums is reported.)
func readXLSX(ctx context.Context, r io.Reader, file, sheet string, fn func(row int, cells []string) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := openXLSX(r, file)
	if f != nil {
		defer func() {
			if cerr := closeXLSX(f, file); err == nil {
				err = cerr
			}
		}()
	}
	if err != nil {
		return err
	}
	name, err := pickSheet(f, file, sheet)
	if err != nil {
		return err
	}
	rows, err := openRows(f, file, name)
	if rows.rows != nil {
		defer func() {
			if cerr := rows.close(); err == nil {
				err = cerr
			}
		}()
	}
	if err != nil {
		return err
	}
	width := -1 // unknown until the header row
	for row := 1; ; row++ {
		if row%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		cells, ok, err := rows.next(row)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if blank(cells) {
			continue
		}
		if width < 0 {
			width = len(cells)
		}
		for len(cells) < width {
			cells = append(cells, "")
		}
		if err := fn(row, cells); err != nil {
			return err
		}
	}
	if width < 0 {
		return &FileError{File: file, Err: fmt.Errorf("sheet %q is empty: want a header row", name)}
	}
	return nil
}

// recoverXLSX, deferred in a function that calls excelize, turns a panic
// into a FileError wrapping errNotXLSX.
func recoverXLSX(file string, err *error) {
	if p := recover(); p != nil {
		*err = &FileError{File: file, Err: fmt.Errorf("%w: excelize panicked: %v", errNotXLSX, p)}
	}
}

// openXLSX opens the workbook read from r. It may return a file with an
// error; the caller must close it then too.
func openXLSX(r io.Reader, file string) (f *excelize.File, err error) {
	defer recoverXLSX(file, &err)
	f, err = excelize.OpenReader(r, excelize.Options{RawCellValue: true, UnzipSizeLimit: maxUnzipped})
	if f != nil {
		// excelize reads a zip without a workbook, and may fail on it
		// later; say what it is first.
		if err := zipNotWorkbook(f); err != nil {
			return f, &FileError{File: file, Err: fmt.Errorf("%w: %w", errNotXLSX, err)}
		}
	}
	if err != nil {
		return f, &FileError{File: file, Err: fmt.Errorf("%w: %w", errNotXLSX, err)}
	}
	props, err := f.GetWorkbookProps()
	if err != nil {
		return f, &FileError{File: file, Err: fmt.Errorf("%w: %w", errNotXLSX, err)}
	}
	if props.Date1904 != nil && *props.Date1904 {
		return f, &FileError{File: file, Err: errDate1904}
	}
	return f, nil
}

// zipNotWorkbook returns an error naming the first files of a zip archive
// that holds no workbook part, such as a zipped CSV file.
func zipNotWorkbook(f *excelize.File) error {
	var names []string
	workbook := false
	f.Pkg.Range(func(k, _ any) bool {
		name, _ := k.(string)
		if strings.HasSuffix(strings.ToLower(name), "workbook.xml") {
			workbook = true
			return false
		}
		names = append(names, validUTF8(name))
		return true
	})
	if workbook {
		return nil
	}
	slices.Sort(names)
	if len(names) > 3 {
		names = append(names[:3], "...")
	}
	return fmt.Errorf("a zip archive holding %s, not a workbook: unzip it and give tailor the file inside", strings.Join(names, ", "))
}

// closeXLSX closes f, removing its temporary files.
func closeXLSX(f *excelize.File, file string) (err error) {
	defer recoverXLSX(file, &err)
	if err := f.Close(); err != nil {
		return &FileError{File: file, Err: fmt.Errorf("closing workbook: %w", err)}
	}
	return nil
}

// pickSheet returns the name of the sheet to read as the workbook spells it.
func pickSheet(f *excelize.File, file, sheet string) (name string, err error) {
	defer recoverXLSX(file, &err)
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return "", &FileError{File: file, Err: fmt.Errorf("%w: the workbook has no sheets", errNotXLSX)}
	}
	if sheet == "" {
		return sheets[0], nil
	}
	for _, s := range sheets {
		if strings.EqualFold(s, sheet) {
			return s, nil
		}
	}
	return "", &FileError{File: file, Err: fmt.Errorf("sheet %q not found (sheets: %s)", sheet, strings.Join(sheets, ", "))}
}

// sheetRows wraps excelize's row iterator so that every call into it is
// guarded against panics, while fn runs outside the guard.
type sheetRows struct {
	rows *excelize.Rows
	file string
}

func openRows(f *excelize.File, file, name string) (rows sheetRows, err error) {
	defer recoverXLSX(file, &err)
	rows.file = file
	rows.rows, err = f.Rows(name)
	if err != nil {
		return rows, &FileError{File: file, Err: fmt.Errorf("%w: sheet %q: %w", errNotXLSX, name, err)}
	}
	return rows, nil
}

// next returns the cells of the next row, which is row number row; ok is
// false at the end of the sheet.
func (s sheetRows) next(row int) (cells []string, ok bool, err error) {
	defer recoverXLSX(s.file, &err)
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, false, &FileError{File: s.file, Line: row, Err: fmt.Errorf("%w: %w", errNotXLSX, err)}
		}
		return nil, false, nil
	}
	// No options: the file was opened with RawCellValue, and passing them
	// here would allocate on every row.
	cells, err = s.rows.Columns()
	if err != nil {
		return nil, false, &FileError{File: s.file, Line: row, Err: fmt.Errorf("%w: %w", errNotXLSX, err)}
	}
	return cells, true, nil
}

func (s sheetRows) close() (err error) {
	defer recoverXLSX(s.file, &err)
	if err := s.rows.Close(); err != nil {
		return &FileError{File: s.file, Err: fmt.Errorf("closing sheet: %w", err)}
	}
	return nil
}

// blank reports whether a row has no cell with anything but white space.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Serial day numbers of the 1900 date system.
const (
	serialUnixEpoch = 25569   // 1970-01-01
	maxSerial       = 2958465 // 9999-12-31
	msPerDay        = 24 * 60 * 60 * 1000
)

// SerialDate converts an Excel serial day number ("46296", "46296.5") to a
// UTC date at midnight, for the 1900 date system: day n is n days after
// 1899-12-30, so "46296" is 2026-10-01. The time of day is dropped, after
// rounding to the millisecond so that floating-point noise just below
// midnight ("46296.99999999999") does not lose a day. ok is false when s is
// not a plain decimal number (no spaces, hex, NaN or Inf) or when the day is
// outside 1 (1899-12-31) to 2958465 (9999-12-31): 0 and negative serials,
// which are times of day or nonsense, are refused.
//
// Serials from 61 (1900-03-01) on are the dates Excel shows. Below 61 the
// result is one day before Excel's, as in LibreOffice: Excel counts a
// 1900-02-29 that never existed (serial 60), which SerialDate does not, so
// 60 is 1900-02-28 and 1 is 1899-12-31 (Excel: 1900-01-01).
func SerialDate(s string) (t time.Time, ok bool) {
	if _, ok := scanDecimal(s); !ok {
		return time.Time{}, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, false
	}
	v += 0.5 / msPerDay
	if !(v >= 1 && v < maxSerial+1) { // also false for NaN
		return time.Time{}, false
	}
	n := int64(v)
	return time.Unix((n-serialUnixEpoch)*86400, 0).UTC(), true
}

// Limits of SpreadsheetAmount, in cents.
const (
	maxSpreadsheetCents = 1e17 // 1e15 currency units
	// A fraction of a cent within centTolerance/1e8 of a whole cent (1e-4
	// cents, 1e-6 currency units) is floating-point noise.
	centTolerance = 1e4
)

// SpreadsheetAmount parses a number as a spreadsheet stores it in a cell,
// "42.1", "-3.5", "1E-2", "42.099999999999994", "42.100000000000001", into
// integer minor units (cents). The decimal text is read exactly, without
// going through a float, and the value must be within 1e-6 of a whole number
// of cents: floating-point noise is absorbed ("0.30000000000000004" is 30
// cents), a real fraction of a cent ("42.105") is refused with ErrNotNumber.
// Its magnitude may be at most 1e15 (1e17 cents). NaN, Inf, hex, spaces and
// thousands separators are refused with ErrNotNumber; "" is ErrRequired. A
// negative zero ("-0", "-0.000000001") is 0.
func SpreadsheetAmount(s string) (int64, error) {
	if s == "" {
		return 0, ErrRequired
	}
	d, ok := scanDecimal(s)
	if !ok {
		return 0, ErrNotNumber
	}
	// The value is m × 10^(exp - len(frac)), m the digits of whole and
	// frac, so the amount in cents is m × 10^k.
	whole, frac := d.whole, d.frac
	digit := func(i int) byte {
		if i < len(whole) {
			return whole[i]
		}
		return frac[i-len(whole)]
	}
	m := len(whole) + len(frac)
	start := 0
	for start < m && digit(start) == '0' {
		start++
	}
	if start == m {
		return 0, nil // zero, whatever its sign or exponent
	}
	sig := m - start // significant digits
	k := d.exp - len(frac) + 2
	intLen := sig + k // digits of the whole cents
	if intLen > 18 {
		return 0, ErrNotNumber // at least 1e18 cents
	}
	at := func(pos int) byte { // the pos-th significant digit, '0' outside
		if pos < 0 || pos >= sig {
			return '0'
		}
		return digit(start + pos)
	}
	var cents int64
	for i := 0; i < intLen; i++ {
		cents = cents*10 + int64(at(i)-'0')
	}
	if k < 0 {
		// The fraction of a cent: its first 8 digits, and whether any
		// digit after them is not zero.
		var f8 int64
		for j := 0; j < 8; j++ {
			f8 = f8*10 + int64(at(intLen+j)-'0')
		}
		sticky := false
		for pos := max(intLen+8, 0); pos < sig; pos++ {
			if at(pos) != '0' {
				sticky = true
				break
			}
		}
		switch {
		case f8 < centTolerance || f8 == centTolerance && !sticky:
			// noise above a whole cent
		case f8 >= 1e8-centTolerance:
			cents++ // noise below the next cent
		default:
			return 0, ErrNotNumber
		}
	}
	if cents > maxSpreadsheetCents {
		return 0, ErrNotNumber
	}
	if d.neg {
		cents = -cents
	}
	return cents, nil
}

// decNumber is the syntax of a decimal number: sign, whole digits, fraction
// digits, exponent.
type decNumber struct {
	neg         bool
	whole, frac string
	exp         int // saturates at ±1e6
}

// scanDecimal parses [+-]digits[.digits][(e|E)[+-]digits], with digits on at
// least one side of the point. It accepts no spaces, underscores, hex, NaN or
// Inf, unlike strconv.ParseFloat.
func scanDecimal(s string) (d decNumber, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	j := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	d.whole = s[j:i]
	if i < len(s) && s[i] == '.' {
		i++
		j = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		d.frac = s[j:i]
	}
	if d.whole == "" && d.frac == "" {
		return decNumber{}, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		j = i
		for ; i < len(s) && isDigit(s[i]); i++ {
			if d.exp < 1e6 {
				d.exp = d.exp*10 + int(s[i]-'0')
			}
		}
		if i == j {
			return decNumber{}, false
		}
		d.exp = min(d.exp, 1e6)
		if neg {
			d.exp = -d.exp
		}
	}
	if i != len(s) {
		return decNumber{}, false
	}
	return d, true
}
