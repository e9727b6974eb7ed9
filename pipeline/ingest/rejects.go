package ingest

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Rejects receives every row that ingest could not accept, with the row's
// original text. Implementations must mask card numbers before storing
// anything; RejectWriter does. The readers pass valid UTF-8 only: a byte
// of the original that is not UTF-8 arrives as U+FFFD, the replacement
// character (the RowError's Detail names the first such byte).
type Rejects interface {
	Reject(e *RowError, raw string) error
}

// RejectWriter writes rejected rows as CSV: line, column, field, reason, the
// full error and the original row, with card numbers masked. It writes
// valid UTF-8 whatever it is given: each byte that is not UTF-8 becomes
// U+FFFD, the replacement character.
type RejectWriter struct {
	w       *csv.Writer
	started bool
}

// NewRejectWriter returns a RejectWriter writing to w. Call Flush at the end.
func NewRejectWriter(w io.Writer) *RejectWriter {
	return &RejectWriter{w: csv.NewWriter(w)}
}

var _ Rejects = (*RejectWriter)(nil)

func (rw *RejectWriter) header() error {
	if rw.started {
		return nil
	}
	rw.started = true
	return rw.w.Write([]string{"line", "column", "field", "reason", "error", "record"})
}

// Reject writes one rejected row.
func (rw *RejectWriter) Reject(e *RowError, raw string) error {
	if err := rw.header(); err != nil {
		return err
	}
	col := ""
	if e.Column > 0 {
		col = fmt.Sprint(e.Column)
	}
	return rw.w.Write([]string{
		fmt.Sprint(e.Line), col, validUTF8(e.Field), validUTF8(e.Reason()), MaskCardNumbers(validUTF8(e.Error())),
		MaskCardNumbers(validUTF8(strings.TrimRight(raw, "\r\n"))),
	})
}

// Flush writes buffered data, and the header when no row was rejected.
func (rw *RejectWriter) Flush() error {
	if err := rw.header(); err != nil {
		return err
	}
	rw.w.Flush()
	return rw.w.Error()
}

// rowText re-encodes spreadsheet cells as one CSV line, the "original row"
// of a rejected XLSX row.
func rowText(cells []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(cells) // into a strings.Builder
	w.Flush()
	return strings.TrimRight(b.String(), "\n")
}
