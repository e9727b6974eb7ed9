package ingest

import (
	"fmt"
	"regexp"
	"strings"
)

// RowFilter picks transaction rows by the value of one column: those whose
// value is one of Values (compared without regard to case or surrounding
// space) or matches Pattern (a Go regular expression, such as
// "(?i)direct debit"). A statement's repayments, fees and transfers are
// no spending: Format.Exclude leaves them out, Format.Include keeps only
// purchases and refunds.
type RowFilter struct {
	// Column is the file's header name of the column, or tailor's name
	// of a mapped column ("merchant").
	Column  string
	Values  []string
	Pattern string
}

// String describes f as the run's counts name it.
func (f RowFilter) String() string {
	var parts []string
	if len(f.Values) > 0 {
		parts = append(parts, strings.Join(f.Values, " | "))
	}
	if f.Pattern != "" {
		parts = append(parts, "/"+f.Pattern+"/")
	}
	return f.Column + " " + strings.Join(parts, " or ")
}

// check reports what is wrong with f.
func (f RowFilter) check() error {
	if strings.TrimSpace(f.Column) == "" {
		return fmt.Errorf("row filter: no column")
	}
	if len(f.Values) == 0 && f.Pattern == "" {
		return fmt.Errorf("row filter on %q: give values or a pattern", f.Column)
	}
	if f.Pattern != "" {
		if _, err := regexp.Compile(f.Pattern); err != nil {
			return fmt.Errorf("row filter on %q: pattern: %w", f.Column, err)
		}
	}
	return nil
}

// rowFilter is a RowFilter bound to a file's header.
type rowFilter struct {
	index  int
	values []string // lower case, trimmed
	re     *regexp.Regexp
}

func (f *rowFilter) matches(fields [][]byte) bool {
	if f.index >= len(fields) {
		return false
	}
	v := strings.TrimSpace(string(fields[f.index]))
	for _, w := range f.values {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return f.re != nil && f.re.MatchString(v)
}

// rowFilters are the include and exclude filters of a file.
type rowFilters struct {
	include, exclude []rowFilter
}

// bindFilters binds the format's filters to the header of b: each column
// is found by the file's header name or tailor's column name.
func bindFilters(b *binding, f Format) (*rowFilters, error) {
	if len(f.Include)+len(f.Exclude) == 0 {
		return nil, nil
	}
	find := func(name string) int {
		n := normalizeHeader(name)
		if i, ok := b.index[n]; ok {
			return i
		}
		for i, h := range b.header {
			if normalizeHeader(h) == n {
				return i
			}
		}
		return -1
	}
	out := &rowFilters{}
	for _, set := range []struct {
		from []RowFilter
		to   *[]rowFilter
		what string
	}{{f.Include, &out.include, "include"}, {f.Exclude, &out.exclude, "exclude"}} {
		for _, rf := range set.from {
			i := find(rf.Column)
			if i < 0 {
				return nil, &MissingColumnsError{Columns: []string{rf.Column}, Header: b.header, Filter: set.what}
			}
			bf := rowFilter{index: i}
			for _, v := range rf.Values {
				bf.values = append(bf.values, strings.TrimSpace(v))
			}
			if rf.Pattern != "" {
				bf.re = regexp.MustCompile(rf.Pattern) // checked by Format.Check
			}
			*set.to = append(*set.to, bf)
		}
	}
	return out, nil
}

// drop reports whether the row is filtered out: it fails an include
// filter or matches an exclude filter.
func (fs *rowFilters) drop(fields [][]byte) bool {
	if fs == nil {
		return false
	}
	for i := range fs.include {
		if !fs.include[i].matches(fields) {
			return true
		}
	}
	for i := range fs.exclude {
		if fs.exclude[i].matches(fields) {
			return true
		}
	}
	return false
}
