package ingest

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Rejects receives every row that ingest could not accept. The record is the
// row's fields as read; implementations must mask card numbers before they
// store anything (RejectWriter does).
type Rejects interface {
	Reject(e *RowError, record []string) error
}

// Options tunes the readers. The zero value accepts only USD.
type Options struct {
	// Currency is the currency of accepted transactions (default "USD").
	// Transactions in another currency are rejected with a reason.
	Currency string
	// Comma is the field delimiter (default ',').
	Comma rune
	// Tiers, when not empty, lists the accepted card tiers (lower case);
	// a cardholder with another tier is rejected. Empty accepts any tier.
	Tiers []string
}

func (o Options) currency() string {
	if o.Currency == "" {
		return "USD"
	}
	return strings.ToUpper(o.Currency)
}

// column describes one known column of an input.
type column struct {
	name     string
	required bool
}

var (
	cardholderColumns = []column{
		{"cardholder_id", true}, {"first_name", true}, {"last_name", false},
		{"email", true}, {"locale", false}, {"tier", false}, {"member_since", false},
		{"status", false}, {"cancelled_on", false}, {"cancel_reason", false},
		{"marketing_consent", true},
	}
	transactionColumns = []column{
		{"cardholder_id", true}, {"posted_on", true}, {"amount", true},
		{"currency", false}, {"mcc", true}, {"merchant", false},
		{"channel", false}, {"country", false},
	}
)

// table reads a CSV input: header, column positions, rows with positions.
type table struct {
	file  string
	r     *csv.Reader
	index map[string]int // column name -> field index
	width int
	stats Stats
	rej   Rejects
	opts  Options
}

func openTable(r io.Reader, file string, cols []column, opts Options, rej Rejects) (*table, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	if opts.Comma != 0 {
		cr.Comma = opts.Comma
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &FileError{File: file, Err: errors.New("empty file: want a header row")}
	}
	if err != nil {
		return nil, &FileError{File: file, Line: 1, Err: fmt.Errorf("header: %w", err)}
	}
	t := &table{file: file, r: cr, index: map[string]int{}, width: len(header), rej: rej, opts: opts}
	t.stats.File = file
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "" {
			continue
		}
		if prev, dup := t.index[name]; dup {
			return nil, &FileError{File: file, Line: 1, Column: i + 1,
				Err: fmt.Errorf("column %q appears twice (columns %d and %d)", name, prev+1, i+1)}
		}
		t.index[name] = i
	}
	for _, c := range cols {
		if _, ok := t.index[c.name]; !ok && c.required {
			return nil, &FileError{File: file, Line: 1,
				Err: fmt.Errorf("missing required column %q (header has: %s)", c.name, strings.Join(header, ", "))}
		}
	}
	return t, nil
}

// next reads the next record. It returns io.EOF at the end; row-level CSV
// syntax errors are rejected and skipped.
func (t *table) next() ([]string, int, error) {
	for {
		rec, err := t.r.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, 0, &FileError{File: t.file, Err: err}
			}
			t.stats.Read++
			if rerr := t.reject(&RowError{File: t.file, Line: pe.StartLine, Column: pe.Column, Err: pe.Err}, rec); rerr != nil {
				return nil, 0, rerr
			}
			continue
		}
		line, _ := t.r.FieldPos(0)
		t.stats.Read++
		if len(rec) != t.width {
			err := &RowError{File: t.file, Line: line, Err: ErrFieldCount, Detail: fmt.Sprintf("got %d, want %d", len(rec), t.width)}
			if rerr := t.reject(err, rec); rerr != nil {
				return nil, 0, rerr
			}
			continue
		}
		return rec, line, nil
	}
}

func (t *table) reject(e *RowError, rec []string) error {
	e.Value = MaskCardNumbers(e.Value)
	t.stats.reject(e)
	if t.rej == nil {
		return nil
	}
	if err := t.rej.Reject(e, rec); err != nil {
		return fmt.Errorf("ingest: %s: writing rejects: %w", t.file, err)
	}
	return nil
}

// field returns the value of a named column, trimmed, or "" when the file
// has no such column.
func (t *table) field(rec []string, name string) string {
	i, ok := t.index[name]
	if !ok {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// rowErr builds a RowError for the named column.
func (t *table) rowErr(line int, name, value string, err error) *RowError {
	col := 0
	if i, ok := t.index[name]; ok {
		col = i + 1
	}
	return &RowError{File: t.file, Line: line, Column: col, Field: name, Value: value, Err: err}
}

// checkCardNumbers refuses a row that carries a card number in any field.
func (t *table) checkCardNumbers(rec []string, line int) *RowError {
	for i, v := range rec {
		if LooksLikeCardNumber(v) {
			name := ""
			for n, j := range t.index {
				if j == i {
					name = n
				}
			}
			return &RowError{File: t.file, Line: line, Column: i + 1, Field: name, Value: v, Err: ErrCardNumber}
		}
	}
	return nil
}

// ReadCardholders reads every cardholder row of r (a CSV file named file,
// used in messages). Rejected rows go to rej. It fails only on whole-file
// problems or when ctx is done.
func ReadCardholders(ctx context.Context, r io.Reader, file string, opts Options, rej Rejects) ([]Cardholder, Stats, error) {
	t, err := openTable(r, file, cardholderColumns, opts, rej)
	if err != nil {
		return nil, Stats{File: file}, err
	}
	var out []Cardholder
	firstLine := map[string]int{}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, t.stats, err
			}
		}
		rec, line, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, t.stats, err
		}
		c, rerr := t.cardholder(rec, line)
		if rerr == nil {
			if first, dup := firstLine[c.ID]; dup {
				rerr = t.rowErr(line, "cardholder_id", c.ID, ErrDuplicate)
				rerr.Detail = fmt.Sprintf("first on line %d", first)
			}
		}
		if rerr != nil {
			if err := t.reject(rerr, rec); err != nil {
				return nil, t.stats, err
			}
			continue
		}
		firstLine[c.ID] = line
		t.stats.Accepted++
		out = append(out, c)
	}
	return out, t.stats, nil
}

func (t *table) cardholder(rec []string, line int) (Cardholder, *RowError) {
	if e := t.checkCardNumbers(rec, line); e != nil {
		return Cardholder{}, e
	}
	c := Cardholder{Line: line}
	c.ID = t.field(rec, "cardholder_id")
	if c.ID == "" {
		return c, t.rowErr(line, "cardholder_id", "", ErrRequired)
	}
	if len(c.ID) > 64 {
		return c, t.rowErr(line, "cardholder_id", c.ID[:64], ErrTooLong)
	}
	c.FirstName = t.field(rec, "first_name")
	if c.FirstName == "" {
		return c, t.rowErr(line, "first_name", "", ErrRequired)
	}
	c.LastName = t.field(rec, "last_name")
	for _, f := range []struct{ name, v string }{{"first_name", c.FirstName}, {"last_name", c.LastName}} {
		if hasControl(f.v) {
			// Names go into mail headers, where a line break would let
			// a row write headers of its own.
			return c, t.rowErr(line, f.name, f.v, ErrControl)
		}
	}
	email := t.field(rec, "email")
	var err error
	if c.Email, err = parseEmail(email); err != nil {
		return c, t.rowErr(line, "email", email, err)
	}
	c.Locale = t.field(rec, "locale")
	c.Tier = strings.ToLower(t.field(rec, "tier"))
	if len(t.opts.Tiers) > 0 && c.Tier != "" && !slices.Contains(t.opts.Tiers, c.Tier) {
		e := t.rowErr(line, "tier", c.Tier, ErrNotTier)
		e.Detail = "want " + strings.Join(t.opts.Tiers, ", ")
		return c, e
	}
	if s := t.field(rec, "member_since"); s != "" {
		if c.MemberSince, err = ParseDate(s); err != nil {
			return c, t.rowErr(line, "member_since", s, err)
		}
	}
	switch s := strings.ToLower(t.field(rec, "status")); s {
	case "", "active":
	case "cancelled", "canceled", "closed":
		c.Cancelled = true
	default:
		return c, t.rowErr(line, "status", s, ErrNotStatus)
	}
	if s := t.field(rec, "cancelled_on"); s != "" {
		if c.CancelledOn, err = ParseDate(s); err != nil {
			return c, t.rowErr(line, "cancelled_on", s, err)
		}
	}
	c.CancelReason = t.field(rec, "cancel_reason")
	s := t.field(rec, "marketing_consent")
	if c.Consent, err = parseConsent(s); err != nil {
		return c, t.rowErr(line, "marketing_consent", s, err)
	}
	return c, nil
}

// ReadTransactions streams the transaction rows of r (a CSV file named file)
// to fn, one at a time; the *Transaction passed to fn is reused, so fn must
// copy what it keeps. known reports whether a cardholder id was accepted;
// rows for unknown cardholders are rejected. Memory does not grow with the
// number of rows.
func ReadTransactions(ctx context.Context, r io.Reader, file string, opts Options, known func(id string) bool, rej Rejects, fn func(*Transaction) error) (Stats, error) {
	t, err := openTable(r, file, transactionColumns, opts, rej)
	if err != nil {
		return Stats{File: file}, err
	}
	cur := opts.currency()
	var tx Transaction
	for n := 0; ; n++ {
		if n%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return t.stats, err
			}
		}
		rec, line, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return t.stats, err
		}
		if rerr := t.transaction(rec, line, cur, known, &tx); rerr != nil {
			if err := t.reject(rerr, rec); err != nil {
				return t.stats, err
			}
			continue
		}
		if err := fn(&tx); err != nil {
			return t.stats, err
		}
		t.stats.Accepted++
	}
	return t.stats, nil
}

func (t *table) transaction(rec []string, line int, currency string, known func(string) bool, tx *Transaction) *RowError {
	if e := t.checkCardNumbers(rec, line); e != nil {
		return e
	}
	*tx = Transaction{Line: line}
	tx.CardholderID = t.field(rec, "cardholder_id")
	if tx.CardholderID == "" {
		return t.rowErr(line, "cardholder_id", "", ErrRequired)
	}
	if known != nil && !known(tx.CardholderID) {
		return t.rowErr(line, "cardholder_id", tx.CardholderID, ErrUnknownHolder)
	}
	var err error
	s := t.field(rec, "posted_on")
	if tx.Date, err = ParseDate(s); err != nil {
		return t.rowErr(line, "posted_on", s, err)
	}
	s = t.field(rec, "amount")
	if tx.Amount, err = ParseAmount(s); err != nil {
		return t.rowErr(line, "amount", s, err)
	}
	tx.Currency = strings.ToUpper(t.field(rec, "currency"))
	switch {
	case tx.Currency == "":
		tx.Currency = currency
	case !isUpperAlpha(tx.Currency, 3):
		return t.rowErr(line, "currency", t.field(rec, "currency"), ErrNotCurrency)
	case tx.Currency != currency:
		e := t.rowErr(line, "currency", tx.Currency, ErrCurrency)
		e.Detail = "accepted: " + currency
		return e
	}
	s = t.field(rec, "mcc")
	if tx.MCC, err = NormalizeMCC(s); err != nil {
		return t.rowErr(line, "mcc", s, err)
	}
	tx.Merchant = t.field(rec, "merchant")
	s = t.field(rec, "channel")
	if tx.Channel, err = parseChannel(s); err != nil {
		return t.rowErr(line, "channel", s, err)
	}
	tx.Country = strings.ToUpper(t.field(rec, "country"))
	if tx.Country != "" && !isUpperAlpha(tx.Country, 2) {
		return t.rowErr(line, "country", t.field(rec, "country"), ErrNotCountry)
	}
	return nil
}

// RejectWriter writes rejected rows as CSV: line, column, field, reason and
// the original record re-encoded as one CSV line, with card numbers masked.
type RejectWriter struct {
	w       *csv.Writer
	started bool
	buf     strings.Builder
}

// NewRejectWriter returns a RejectWriter writing to w. Call Flush at the end.
func NewRejectWriter(w io.Writer) *RejectWriter {
	return &RejectWriter{w: csv.NewWriter(w)}
}

var _ Rejects = (*RejectWriter)(nil)

// Reject writes one rejected row.
func (rw *RejectWriter) Reject(e *RowError, record []string) error {
	if !rw.started {
		rw.started = true
		if err := rw.w.Write([]string{"line", "column", "field", "reason", "error", "record"}); err != nil {
			return err
		}
	}
	rw.buf.Reset()
	cw := csv.NewWriter(&rw.buf)
	masked := make([]string, len(record))
	for i, f := range record {
		masked[i] = MaskCardNumbers(f)
	}
	_ = cw.Write(masked) // writes to a strings.Builder cannot fail
	cw.Flush()
	col := ""
	if e.Column > 0 {
		col = fmt.Sprint(e.Column)
	}
	return rw.w.Write([]string{
		fmt.Sprint(e.Line), col, e.Field, e.Reason(), MaskCardNumbers(e.Error()),
		strings.TrimRight(rw.buf.String(), "\n"),
	})
}

// Flush writes any buffered data and the header when no row was rejected.
func (rw *RejectWriter) Flush() error {
	if !rw.started {
		rw.started = true
		if err := rw.w.Write([]string{"line", "column", "field", "reason", "error", "record"}); err != nil {
			return err
		}
	}
	rw.w.Flush()
	return rw.w.Error()
}

// hasControl reports whether s holds a control character, such as CR or LF.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
