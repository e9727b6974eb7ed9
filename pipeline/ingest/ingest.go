// Package ingest reads cardholders and their card transactions from CSV into
// records, checking every row. A row that cannot be used is never dropped in
// silence: it goes to a rejects sink with its line, column, field and reason,
// and it is counted, so that rows read always equal rows accepted plus rows
// rejected plus rows skipped (empty rows and repeated header rows, see
// Stats).
package ingest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Cardholder is one accepted cardholder row.
type Cardholder struct {
	ID           string
	FirstName    string
	LastName     string
	Email        string
	Locale       string
	Tier         string
	MemberSince  Date // zero when unknown
	Cancelled    bool
	CancelledOn  Date // zero when unknown or active
	CancelReason string
	Consent      bool
	// Attrs holds the values of the input's extra columns, by column name
	// (lower case, spaces as underscores); templates reach them as
	// .Recipient.Attrs.name.
	Attrs map[string]string
	// Line is where the row starts in its file.
	Line int
}

// Eligible reports whether the cardholder may receive marketing mail: active
// and consenting.
func (c *Cardholder) Eligible() bool { return c.Consent && !c.Cancelled }

// Date is a calendar date held in four bytes: days since 1970-01-01 plus a
// bias that keeps every real date away from zero, so that the zero Date
// means "unknown". A million cardholders hold two each.
type Date int32

// dateBias is added to day numbers; years 0 to 9999 stay far from zero.
const dateBias = 1 << 24

// DateOf returns the date of t in UTC; the zero time gives the zero Date.
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return 0
	}
	y, m, d := t.UTC().Date()
	return Date(dayNumber(y, int(m), d) + dateBias)
}

// Time returns the date's midnight in UTC, or the zero time for the zero
// Date.
func (d Date) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return DayTime(int32(d) - dateBias)
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d == 0 }

// String formats the date as YYYY-MM-DD, or "" when unknown.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return d.Time().Format("2006-01-02")
}

// Channel is where a transaction took place.
type Channel uint8

// Channels.
const (
	ChannelUnknown Channel = iota
	ChannelInStore
	ChannelOnline
)

// String returns the channel's name as written in input files.
func (c Channel) String() string {
	switch c {
	case ChannelInStore:
		return "in_store"
	case ChannelOnline:
		return "online"
	}
	return ""
}

// Transaction is one accepted transaction row. Amounts are integer minor
// units (cents), never floats; a negative amount is a refund.
type Transaction struct {
	CardholderID string
	Date         time.Time
	Amount       int64
	Currency     string
	MCC          string
	Merchant     string
	Channel      Channel
	Country      string
	Line         int
}

// RowError is a problem with one row of an input file.
type RowError struct {
	File   string
	Line   int
	Column int // 1-based; 0 when the problem is the whole row
	Field  string
	Value  string // the offending value, with card numbers masked
	Err    error
	// Detail adds facts particular to this row ("first on line 377") that
	// Reason leaves out, so that rejects group by reason.
	Detail string
}

func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d", e.File, e.Line)
	if e.Column > 0 {
		fmt.Fprintf(&b, ":%d", e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		if e.Value != "" || e.Column > 0 {
			fmt.Fprintf(&b, " %q", e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error { return e.Err }

// Reason is the row error without its position and value, used to group
// rejects: "amount: not a number".
func (e *RowError) Reason() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error()
}

// Sentinel errors for row problems, so callers can group and test them.
var (
	ErrRequired      = errors.New("required")
	ErrNotNumber     = errors.New("not a number")
	ErrNotDate       = errors.New("not a date (want YYYY-MM-DD)")
	ErrNotMCC        = errors.New("not a merchant category code (want 4 digits)")
	ErrNotEmail      = errors.New("not an email address")
	ErrNotCurrency   = errors.New("not a currency code (want 3 letters, ISO 4217)")
	ErrCurrency      = errors.New("currency not accepted: no exchange rate is configured")
	ErrNotCountry    = errors.New("not a country code (want 2 letters, ISO 3166)")
	ErrNotStatus     = errors.New("not a status (want active or cancelled)")
	ErrNotChannel    = errors.New("not a channel (want online or in_store)")
	ErrNotConsent    = errors.New("not a consent flag (want yes or no)")
	ErrFieldCount    = errors.New("wrong number of fields")
	ErrDuplicate     = errors.New("duplicate cardholder id")
	ErrUnknownHolder = errors.New("unknown cardholder id")
	ErrCardNumber    = errors.New("looks like a card number: refused")
	ErrTooLong       = errors.New("too long")
	ErrNotTier       = errors.New("not one of the campaign's tiers")
	ErrControl       = errors.New("holds a line break or another control character")
	// ErrInvalidUTF8 is the error of a row that holds bytes that are not
	// UTF-8 in a file read as UTF-8; the RowError's Detail names the byte.
	ErrInvalidUTF8 = errors.New(`not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252"`)
)

// ErrNoRows is wrapped by the FileError of an input that has a header and
// no data rows.
var ErrNoRows = errors.New("no data rows")

// FileError is a problem with a whole file: not readable as CSV, empty, or
// missing a required column.
type FileError struct {
	File   string
	Line   int
	Column int
	Err    error
}

func (e *FileError) Error() string {
	s := "ingest: " + e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			s += fmt.Sprintf(":%d", e.Column)
		}
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// Stats counts what happened to the rows of one file. Every row read is
// accepted, rejected or skipped:
//
//	Read = Accepted + Rejected + RepeatedHeaders + EmptyRows + Filtered
//
// Blank lines of a CSV file, and blank rows of a sheet, are not rows: they
// count in line numbers only. The header row is not counted.
type Stats struct {
	File     string `json:"file"`
	Read     int    `json:"read"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	// RepeatedHeaders counts the rows, skipped, that repeat the header
	// (compared without regard to case or surrounding spaces), as files
	// concatenated with their headers have.
	RepeatedHeaders int `json:"repeated_headers,omitempty"`
	// EmptyRows counts the rows, skipped, whose every field is empty or
	// white space, such as ";;;;".
	EmptyRows int `json:"empty_rows,omitempty"`
	// Filtered counts the rows, skipped, that the format's row filters
	// leave out (Format.Include, Format.Exclude).
	Filtered int            `json:"filtered,omitempty"`
	Reasons  map[string]int `json:"reasons,omitempty"`
	// Encoding is the text encoding the file was read in: "utf-8",
	// "windows-1252", "utf-16le" or "utf-16be"; "" for an XLSX workbook.
	Encoding string `json:"encoding,omitempty"`
	// EncodingDetected says tailor chose Encoding from the file's content,
	// as the format names none, and it is not UTF-8: a UTF-16 byte-order
	// mark or byte pattern, or a start that is Windows-1252 and not UTF-8.
	// The run should say so; the user confirms it with the format's
	// encoding.
	EncodingDetected bool `json:"encoding_detected,omitempty"`
	// UnmappedCategories counts accepted transactions whose category no
	// table maps, by category; they count under "other".
	UnmappedCategories map[string]int `json:"unmapped_categories,omitempty"`
	// First is the first row rejected, in file order; nil when none was.
	First *RowError `json:"-"`
}

// Skipped returns the number of rows skipped: repeated headers, empty
// rows and rows the row filters leave out.
func (s *Stats) Skipped() int { return s.RepeatedHeaders + s.EmptyRows + s.Filtered }

func (s *Stats) reject(e *RowError) {
	if s.First == nil {
		s.First = e
	}
	s.Rejected++
	if s.Reasons == nil {
		s.Reasons = map[string]int{}
	}
	s.Reasons[e.Reason()]++
}

// ReasonCount is a reject reason and how often it occurred.
type ReasonCount struct {
	Reason string
	Count  int
}

// TopReasons returns up to n reasons, most frequent first.
func (s *Stats) TopReasons(n int) []ReasonCount {
	out := make([]ReasonCount, 0, len(s.Reasons))
	for r, c := range s.Reasons {
		out = append(out, ReasonCount{r, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// ErrBudget is wrapped by the error returned when a file has more rejected
// rows than its error budget allows.
var ErrBudget = errors.New("error budget exceeded")

// CheckBudget returns an error wrapping ErrBudget when the share of rejected
// rows exceeds maxRatio (0.01 is 1%), listing the most frequent reasons; it
// wraps the first rejected row's *RowError too, with its position. The
// share is of the data rows, accepted or rejected: skipped rows do not
// count.
func (s *Stats) CheckBudget(maxRatio float64) error {
	rows := s.Read - s.Skipped()
	if s.Rejected == 0 || float64(s.Rejected) <= maxRatio*float64(rows) {
		return nil
	}
	var b strings.Builder
	for i, r := range s.TopReasons(5) {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%d)", r.Reason, r.Count)
	}
	err := fmt.Errorf("ingest: %s: %d of %d rows rejected (%.2f%%, budget %.2f%%): %w; top reasons: %s",
		s.File, s.Rejected, rows, 100*float64(s.Rejected)/float64(rows), 100*maxRatio, ErrBudget, b.String())
	if s.First != nil {
		err = fmt.Errorf("%w; first: %w", err, s.First)
	}
	return err
}
