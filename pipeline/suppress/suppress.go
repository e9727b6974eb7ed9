// Package suppress reads and writes a campaign's suppression list: the
// cardholders and addresses that must not be sent to.
//
// The list comes from two kinds of file. The marketer keeps one (or more):
// a CSV file with a header naming any of the columns email, address and
// cardholder_id (other columns are ignored), one value per row being
// enough. Tailor keeps its own, FileName in the campaign's output folder
// (Path), to which it only appends: one-click unsubscribes and hard
// bounces, with the header
//
//	at,cardholder_id,address,reason,source
//
// where at is RFC 3339 in UTC, reason is what happened ("unsubscribe",
// "bounce 550 5.1.1") and source where it was seen ("one-click POST",
// "send 2026-10"). Read tells the two apart by their header, Load reads and
// merges them, and an Appender appends to tailor's file.
package suppress

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileName is the name of tailor's own file in the campaign's output folder.
const FileName = "suppressions.csv"

// Header is the header line of tailor's own file.
const Header = "at,cardholder_id,address,reason,source"

// Reasons Has gives.
const (
	// ReasonListed is the reason of the entries of the marketer's files.
	ReasonListed = "on the marketer's list"
	// ReasonAdded is the reason of the entries given to Add, and of the
	// entries of tailor's file with no reason.
	ReasonAdded = "on the suppression list"
	// ReasonUnsubscribe is the reason of a one-click unsubscribe.
	ReasonUnsubscribe = "unsubscribe"
)

// ownColumns is the number of columns of tailor's own file.
const ownColumns = 5

// Path returns tailor's own file of a campaign: FileName in the campaign's
// folder of the output root, beside its months.
func Path(root, campaign string) string {
	return filepath.Join(root, campaign, FileName)
}

// List is a set of suppressed cardholders and addresses (addresses compared
// case-insensitively, trimmed). The zero value is an empty list ready to
// use; a nil *List is empty too. A List is not safe for concurrent use
// while it is changed.
type List struct {
	ids   map[string]string // cardholder id -> reason
	addrs map[string]string // normalized address -> reason
}

// Entry is one entry of tailor's own file.
type Entry struct {
	// At is when it happened; Append writes it in UTC to the second.
	At time.Time
	// CardholderID and Address say who: either may be empty, not both.
	CardholderID, Address string
	// Reason is what happened: "unsubscribe", "bounce 550 5.1.1".
	Reason string
	// Source is where it was seen: "one-click POST", "send 2026-10".
	Source string
}

// normAddress is how addresses are compared: trimmed, lower case.
func normAddress(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// add puts id and address on the list with reason, keeping the reason of
// those already on it.
func (l *List) add(id, address, reason string) {
	if l.ids == nil {
		l.ids, l.addrs = map[string]string{}, map[string]string{}
	}
	if id = strings.TrimSpace(id); id != "" {
		if _, ok := l.ids[id]; !ok {
			l.ids[id] = reason
		}
	}
	if a := normAddress(address); a != "" {
		if _, ok := l.addrs[a]; !ok {
			l.addrs[a] = reason
		}
	}
}

// Add puts a cardholder id, an address or both on the list (an empty one
// is left out), with the reason ReasonAdded. Those already on the list
// keep their reason.
func (l *List) Add(cardholderID, address string) {
	l.add(cardholderID, address, ReasonAdded)
}

// AddEntry puts the cardholder id and address of e on the list with e's
// reason (ReasonAdded when it has none), as Load would once e is in
// tailor's file. Those already on the list keep their reason.
func (l *List) AddEntry(e Entry) {
	reason := strings.TrimSpace(e.Reason)
	if reason == "" {
		reason = ReasonAdded
	}
	l.add(e.CardholderID, e.Address, reason)
}

// Merge adds the entries of o to l. Those already on l keep their reason.
func (l *List) Merge(o *List) {
	if o == nil {
		return
	}
	for id, r := range o.ids {
		l.add(id, "", r)
	}
	for a, r := range o.addrs {
		l.add("", a, r)
	}
}

// Has reports whether the cardholder or the address is on the list (an
// empty one matches nothing), and why: ReasonListed for the marketer's
// files, the entry's reason for tailor's. When both are, the reason is the
// cardholder's.
func (l *List) Has(cardholderID, address string) (bool, string) {
	if l == nil {
		return false, ""
	}
	// A run asks for every cardholder: an empty half of the list is not
	// looked up.
	if len(l.ids) > 0 {
		if id := strings.TrimSpace(cardholderID); id != "" {
			if r, ok := l.ids[id]; ok {
				return true, r
			}
		}
	}
	if len(l.addrs) > 0 {
		if a := normAddress(address); a != "" {
			if r, ok := l.addrs[a]; ok {
				return true, r
			}
		}
	}
	return false, ""
}

// Len returns the number of cardholder ids and addresses on the list.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.ids) + len(l.addrs)
}

// Error is a problem in a suppression file, with its position.
type Error struct {
	File   string
	Line   int
	Column int // 1-based; 0 when the problem is the whole line
	Err    error
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	if e.Column == 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
}

// Unwrap returns the problem.
func (e *Error) Unwrap() error { return e.Err }

// lineCounter counts the newlines read through it and keeps the last byte,
// for Read to recognize a last line cut short by a crash.
type lineCounter struct {
	r     io.Reader
	lines int
	last  byte
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.lines += bytes.Count(p[:n], []byte{'\n'})
		c.last = p[n-1]
	}
	return n, err
}

// Read reads a suppression file, the marketer's or tailor's own, telling
// them apart by the header; name is used in errors, which are *Error with
// the line (and column) of the problem. Empty input is an empty list.
//
// In the marketer's format the header must name at least one of the
// columns email, address and cardholder_id (in any case; other columns are
// ignored), rows may hold any of them, and rows with none are skipped.
// In tailor's format every row has five fields, a time in RFC 3339 and a
// cardholder id or an address. A last line cut short by a crash (not ended
// by a newline, and not a whole entry) is skipped: Appender writes every
// entry with one write, so no entry that was reported written can end
// that way.
func Read(r io.Reader, name string) (*List, error) {
	lc := &lineCounter{r: r}
	cr := csv.NewReader(lc)
	cr.FieldsPerRecord = -1
	bad := func(line, col int, err error) error {
		return fmt.Errorf("suppress: %w", &Error{File: name, Line: line, Column: col, Err: err})
	}
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if pe.StartLine != pe.Line {
				return bad(pe.Line, pe.Column, fmt.Errorf("%w (in the record starting on line %d)", pe.Err, pe.StartLine))
			}
			return bad(pe.Line, pe.Column, pe.Err)
		}
		return fmt.Errorf("suppress: %s: %w", name, err)
	}
	l := &List{}
	head, err := cr.Read()
	if err == io.EOF {
		return l, nil
	}
	if err != nil {
		return nil, csvErr(err)
	}
	names := make([]string, len(head))
	for i, h := range head {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		names[i] = strings.ToLower(strings.TrimSpace(h))
	}
	own := strings.Join(names, ",") == Header
	var idCols, addrCols []int
	for i, n := range names {
		switch n {
		case "cardholder_id":
			idCols = append(idCols, i)
		case "email", "address":
			addrCols = append(addrCols, i)
		}
	}
	if len(idCols)+len(addrCols) == 0 {
		return nil, bad(1, 0, fmt.Errorf("header %q: want a column email, address or cardholder_id", strings.Join(head, ",")))
	}
	if own {
		cr.FieldsPerRecord = ownColumns
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return l, nil
		}
		var line int
		var e Entry
		if err == nil {
			line, _ = cr.FieldPos(0)
			if own {
				if e, err = parseOwn(rec); err != nil {
					err = bad(line, 0, err)
				}
			}
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
				err = csvErr(err)
			}
			// A last line, not ended by a newline and not an entry, was
			// cut short.
			if own {
				if _, next := cr.Read(); next == io.EOF && lc.last != '\n' && line == lc.lines+1 {
					return l, nil
				}
			}
			return nil, err
		}
		if own {
			l.AddEntry(e)
			continue
		}
		for _, i := range idCols {
			if i < len(rec) {
				l.add(rec[i], "", ReasonListed)
			}
		}
		for _, i := range addrCols {
			if i < len(rec) {
				l.add("", rec[i], ReasonListed)
			}
		}
	}
}

// parseOwn parses a row of tailor's own file.
func parseOwn(rec []string) (Entry, error) {
	if len(rec) != ownColumns {
		return Entry{}, fmt.Errorf("%d fields, want %d (%s)", len(rec), ownColumns, Header)
	}
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(rec[0]))
	if err != nil {
		return Entry{}, fmt.Errorf("at %q: want a time in RFC 3339", rec[0])
	}
	e := Entry{At: at, CardholderID: strings.TrimSpace(rec[1]), Address: strings.TrimSpace(rec[2]), Reason: rec[3], Source: rec[4]}
	if e.CardholderID == "" && e.Address == "" {
		return Entry{}, errors.New("neither a cardholder_id nor an address")
	}
	return e, nil
}

// Load reads the suppression files at paths, in either format, and merges
// them in order (an id or address on two keeps the first one's reason).
// Tailor's own file, a path named FileName, may not exist yet: it is then
// empty. Any other file must exist; an empty path is skipped.
func Load(paths ...string) (*List, error) {
	l := &List{}
	for _, p := range paths {
		if p == "" {
			continue
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) && filepath.Base(p) == FileName {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("suppress: %w", err)
		}
		o, err := Read(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
		l.Merge(o)
	}
	return l, nil
}
