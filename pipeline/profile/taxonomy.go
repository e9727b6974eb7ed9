package profile

import (
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

//go:generate go run ./internal/mccgen -shared ../../../shared/data/mcc -out data/mcc_interests.csv

// taxonomyFiles holds the default taxonomy: the interests, in order, and the
// table mapping every known merchant category code to one of them.
//
//go:embed data/interests.csv data/mcc_interests.csv
var taxonomyFiles embed.FS

// Interest is one interest of the taxonomy.
type Interest struct {
	// ID is the stable identifier used in configurations, templates and
	// reports, e.g. "dining".
	ID string
	// Name is the display name, e.g. "Dining".
	Name string
	// Description says in plain words what the interest covers.
	Description string
}

// Taxonomy maps merchant category codes (MCC, ISO 18245) to interests. It is
// immutable after creation and safe for concurrent use. Interests are
// referred to by their index, in taxonomy order; the catch-all interest
// "other" is always last.
type Taxonomy struct {
	interests []Interest
	ids       map[string]int
	// codes holds, for every code 0000-9999, its interest index plus one;
	// zero means the code is unknown.
	codes [10000]int16
	descs map[int]string
	// categories maps normalized category names of an input's own to
	// interest indexes (see WithCategories).
	categories map[string]int
}

// The names used for the two files in error messages.
const (
	interestsFile = "interests.csv"
	mappingFile   = "mcc_interests.csv"
)

// otherID is the id of the catch-all interest that ends every taxonomy.
const otherID = "other"

// DefaultTaxonomy returns the taxonomy built into tailor. It parses the
// embedded files on every call, so callers should build it once and share
// it. An error means the embedded data is corrupt, which the package tests
// rule out.
func DefaultTaxonomy() (*Taxonomy, error) {
	interests, err := taxonomyFiles.Open("data/" + interestsFile)
	if err != nil {
		return nil, fmt.Errorf("profile: default taxonomy: %w", err)
	}
	defer interests.Close()
	mapping, err := taxonomyFiles.Open("data/" + mappingFile)
	if err != nil {
		return nil, fmt.Errorf("profile: default taxonomy: %w", err)
	}
	defer mapping.Close()
	return LoadTaxonomy(interests, mapping)
}

// LoadTaxonomy reads a taxonomy from two CSV files with a header row, as
// found in data/ of this package:
//
//   - interests: columns id and name, optionally description; one row per
//     interest in taxonomy order. Ids are lower-case letters, digits and
//     underscores, unique; the last row must be "other".
//   - mapping: columns mcc and interest, optionally description; one row
//     per code. Codes are up to 4 digits ("742" reads as "0742"), unique;
//     the interest must be an id from the first file.
//
// Other columns are ignored, in any order. Codes 3000-3999 that are not
// listed (single airlines, car rental firms and hotel chains) fold into the
// interest of 4511 (3000-3350), 7512 (3351-3500) or 7011 (3501-3999).
// Errors are *TaxonomyError values naming the file, line and column.
func LoadTaxonomy(interests, mapping io.Reader) (*Taxonomy, error) {
	t := &Taxonomy{ids: make(map[string]int), descs: make(map[int]string)}
	if err := t.readInterests(interests); err != nil {
		return nil, err
	}
	if err := t.readMapping(mapping); err != nil {
		return nil, err
	}
	for n := 3000; n <= 3999; n++ {
		if t.codes[n] == 0 {
			t.codes[n] = t.codes[privateRangeAnchor(n)]
		}
	}
	return t, nil
}

// privateRangeAnchor returns the generic code whose interest the private
// code n (3000-3999) folds into.
func privateRangeAnchor(n int) int {
	switch {
	case n <= 3350:
		return 4511 // airlines
	case n <= 3500:
		return 7512 // car rental
	default:
		return 7011 // lodging
	}
}

// Interests returns a copy of the interests, in taxonomy order, "other"
// last.
func (t *Taxonomy) Interests() []Interest {
	return slices.Clone(t.interests)
}

// Len returns the number of interests, "other" included.
func (t *Taxonomy) Len() int {
	return len(t.interests)
}

// Index returns the index of the interest with the given id.
func (t *Taxonomy) Index(id string) (int, bool) {
	i, ok := t.ids[id]
	return i, ok
}

// Other returns the index of the catch-all interest "other", which is
// always the last one.
func (t *Taxonomy) Other() int {
	return len(t.interests) - 1
}

// Lookup returns the index of the interest of a merchant category code.
// The code is up to 4 ASCII digits; leading zeros may be missing ("742" is
// "0742"). Unlisted codes in the private ranges 3000-3999 fold into
// airlines, car rental or lodging as described at LoadTaxonomy. For an
// unknown or malformed code, Lookup returns Other() and false; callers
// count such spending under "other". Lookup does not allocate.
func (t *Taxonomy) Lookup(mcc string) (int, bool) {
	n, ok := codeNumber(mcc)
	if !ok || t.codes[n] == 0 {
		return t.Other(), false
	}
	return int(t.codes[n]) - 1, true
}

// Describe returns the description of a listed merchant category code, or
// "" if the code is not listed or malformed. It accepts codes as Lookup
// does.
func (t *Taxonomy) Describe(mcc string) string {
	n, ok := codeNumber(mcc)
	if !ok {
		return ""
	}
	return t.descs[n]
}

// codeNumber parses a merchant category code of 1 to 4 ASCII digits.
func codeNumber(s string) (int, bool) {
	if len(s) == 0 || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int(d)
	}
	return n, true
}

// readInterests reads the interests file into t.
func (t *Taxonomy) readInterests(r io.Reader) error {
	tr, err := newTaxonomyReader(interestsFile, r, []string{"id", "name"}, []string{"description"})
	if err != nil {
		return err
	}
	otherLine := 0
	for {
		row, err := tr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		id, name, desc := tr.field(row, 0), tr.field(row, 1), tr.field(row, 2)
		switch {
		case otherLine != 0:
			return tr.errorf(0, "interest %q: %q must be the last interest", id, otherID)
		case !validInterestID(id):
			return tr.errorf(0, "interest %q: want lower-case letters, digits and underscores", id)
		case name == "":
			return tr.errorf(1, "interest %q: empty name", id)
		case len(t.interests) >= math.MaxInt16-1:
			return tr.errorf(0, "interest %q: too many interests", id)
		}
		if _, dup := t.ids[id]; dup {
			return tr.errorf(0, "interest %q: listed twice", id)
		}
		if id == otherID {
			otherLine = tr.line
		}
		t.ids[id] = len(t.interests)
		t.interests = append(t.interests, Interest{ID: id, Name: name, Description: desc})
	}
	if otherLine == 0 {
		return &TaxonomyError{File: interestsFile, Err: fmt.Errorf("no %q interest", otherID)}
	}
	return nil
}

// validInterestID reports whether id is a non-empty run of lower-case ASCII
// letters, digits and underscores.
func validInterestID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// readMapping reads the code-to-interest table into t; the interests must
// have been read.
func (t *Taxonomy) readMapping(r io.Reader) error {
	tr, err := newTaxonomyReader(mappingFile, r, []string{"mcc", "interest"}, []string{"description"})
	if err != nil {
		return err
	}
	for {
		row, err := tr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		code, id, desc := tr.field(row, 0), tr.field(row, 1), tr.field(row, 2)
		n, ok := codeNumber(code)
		if !ok {
			return tr.errorf(0, "mcc %q: want up to 4 digits", code)
		}
		if t.codes[n] != 0 {
			return tr.errorf(0, "mcc %q: listed twice", code)
		}
		i, ok := t.ids[id]
		if !ok {
			return tr.errorf(1, "interest %q: not in the taxonomy", id)
		}
		t.codes[n] = int16(i + 1)
		if desc != "" {
			t.descs[n] = desc
		}
	}
}

// TaxonomyError reports a problem in a taxonomy file.
type TaxonomyError struct {
	// File is "interests.csv" or "mcc_interests.csv".
	File string
	// Line is the 1-based line number, or 0 if the problem concerns the
	// whole file.
	Line int
	// Column is the 1-based field number, or 0 if the problem concerns the
	// whole row.
	Column int
	// Err describes the problem.
	Err error
}

// Error formats the error as "profile: file:line:column: problem", leaving
// out the line and column when they are zero.
func (e *TaxonomyError) Error() string {
	var b strings.Builder
	b.WriteString("profile: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *TaxonomyError) Unwrap() error {
	return e.Err
}

// taxonomyReader reads the rows of one taxonomy file, picking columns by
// header name.
type taxonomyReader struct {
	file string
	r    *csv.Reader
	// cols holds, per wanted column, its position in the row or -1 for an
	// absent optional column.
	cols []int
	// line is the line of the row last returned by next.
	line int
}

// newTaxonomyReader reads the header of r and checks that every required
// column is there; wanted columns are the required ones followed by the
// optional ones.
func newTaxonomyReader(file string, r io.Reader, required, optional []string) (*taxonomyReader, error) {
	tr := &taxonomyReader{file: file, r: csv.NewReader(r)}
	tr.r.ReuseRecord = true
	header, err := tr.r.Read()
	if err == io.EOF {
		return nil, &TaxonomyError{File: file, Err: errors.New("empty file, want a header row")}
	}
	if err != nil {
		return nil, tr.wrap(err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet byte order mark
	}
	for _, name := range required {
		i := slices.Index(header, name)
		if i < 0 {
			return nil, &TaxonomyError{File: file, Line: 1, Err: fmt.Errorf("missing column %q", name)}
		}
		tr.cols = append(tr.cols, i)
	}
	for _, name := range optional {
		tr.cols = append(tr.cols, slices.Index(header, name))
	}
	return tr, nil
}

// next returns the next data row, or io.EOF after the last one.
func (tr *taxonomyReader) next() ([]string, error) {
	row, err := tr.r.Read()
	if err == io.EOF {
		return nil, err
	}
	if err != nil {
		return nil, tr.wrap(err)
	}
	tr.line, _ = tr.r.FieldPos(0)
	return row, nil
}

// field returns the wanted column i of row, trimmed, or "" for an absent
// optional column.
func (tr *taxonomyReader) field(row []string, i int) string {
	if tr.cols[i] < 0 {
		return ""
	}
	return strings.TrimSpace(row[tr.cols[i]])
}

// errorf returns an error at wanted column i of the current row.
func (tr *taxonomyReader) errorf(i int, format string, args ...any) error {
	return &TaxonomyError{File: tr.file, Line: tr.line, Column: tr.cols[i] + 1, Err: fmt.Errorf(format, args...)}
}

// wrap turns a CSV syntax error into a *TaxonomyError.
func (tr *taxonomyReader) wrap(err error) error {
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		return &TaxonomyError{File: tr.file, Line: pe.Line, Err: pe.Err}
	}
	return &TaxonomyError{File: tr.file, Err: err}
}
