package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// FeatureTable holds pre-aggregated profiles: for cardholders whose features
// a data warehouse already computed, one row of numbers each.
type FeatureTable struct {
	// Names are the feature columns, in file order.
	Names []string
	// Holders are the cardholders' indexes in the CardholderSet, one per
	// row, in file order.
	Holders []int32
	// Values holds len(Holders) rows of len(Names) values, row-major.
	Values []float64
	// Filled says, by column name, how many empty values a missing-value
	// policy (Format.Missing) filled in, and with what; nil when none was.
	Filled map[string]Fill
}

// Fill is how the empty values of one column of profiles were filled in.
type Fill struct {
	// Policy is MissingZero or MissingMedian.
	Policy string
	// Count is the number of values filled in.
	Count int
	// Value is what they became: 0, or the median of the column's values
	// in the accepted rows.
	Value float64
}

// Row returns the values of row i.
func (t *FeatureTable) Row(i int) []float64 {
	n := len(t.Names)
	return t.Values[i*n : (i+1)*n : (i+1)*n]
}

// ErrNotFinite is wrapped when a feature is NaN or infinite.
var ErrNotFinite = errors.New("not a finite number")

// ReadFeatures reads pre-aggregated profiles: a cardholder_id column and
// numeric feature columns; columns, when not empty, chooses the features
// (by header name, case-insensitively), else every other column is one.
// Numbers use the format's decimal and thousands separators and may have
// an exponent. A row for an unknown or repeated cardholder, or with a value
// that is not a number, is rejected; so is a row with an empty value,
// unless the format's missing-value policy of the column says to read it as
// zero or as the column's median over the accepted rows, which is filled in
// once the whole file is read.
func ReadFeatures(ctx context.Context, r io.Reader, file string, opts Options, columns []string, set *CardholderSet, rej Rejects) (*FeatureTable, Stats, error) {
	st := Stats{File: file}
	opts = opts.sampling()
	in, err := openInput(r, file, opts.Format, opts.chunkSize)
	if err != nil {
		return nil, st, err
	}
	t := &FeatureTable{}
	var idCol int
	var cols []int
	var policies []missing // by feature column
	bindHeader := func(h []string) error {
		idCol = -1
		want := map[string]bool{}
		for _, c := range columns {
			want[normalizeHeader(c)] = true
		}
		mapped := map[string]string{}
		for from, to := range opts.Format.Columns {
			mapped[normalizeHeader(from)] = normalizeHeader(to)
		}
		for i, name := range h {
			n := normalizeHeader(name)
			if to, ok := mapped[n]; ok {
				n = to
			}
			switch {
			case n == "cardholder_id" || slices.Contains(cardholderIDAliases, n):
				idCol = i
			case n == "":
			case len(columns) == 0 || want[n]:
				t.Names = append(t.Names, attrName(n))
				cols = append(cols, i)
				delete(want, n)
			}
		}
		if idCol < 0 {
			return &FileError{File: file, Line: 1, Err: fmt.Errorf("missing required column \"cardholder_id\" (header has: %s)", strings.Join(h, ", "))}
		}
		if len(want) > 0 {
			var missing []string
			for n := range want {
				missing = append(missing, n)
			}
			return &FileError{File: file, Line: 1, Err: &MissingColumnsError{Columns: missing, Header: h}}
		}
		if len(cols) == 0 {
			return &FileError{File: file, Line: 1, Err: errors.New("no feature columns besides cardholder_id")}
		}
		var err error
		if policies, err = missingPolicies(opts.Format, t.Names, mapped); err != nil {
			return &FileError{File: file, Line: 1, Err: err}
		}
		return nil
	}
	if in.header != nil {
		if err := bindHeader(in.header); err != nil {
			return nil, st, err
		}
	}
	// Workers check and parse rows; the consumer, in file order, finds
	// duplicates and keeps the rows.
	type parsed struct {
		holder int32
		values []float64
		err    *RowError
		raw    []byte
		line   int
	}
	// A batch's rows, and the rows it skipped (empty rows, repeated
	// headers).
	type parsedBatch struct {
		rows            []parsed
		empty, repeated int
	}
	newWorker := func() (func(rowBatch) parsedBatch, func()) {
		w := &walker{in: in, skip: true}
		return func(batch rowBatch) parsedBatch {
			var out []parsed
			_ = w.walk(batch, func(line int, fields [][]byte, raw []byte, serr *scanError) error {
				r := parsed{line: line, raw: raw}
				r.holder, r.values, r.err = parseFeatureRow(file, line, fields, serr, len(in.header), idCol, cols, t.Names, policies, set, in.format)
				out = append(out, r)
				return nil
			})
			return parsedBatch{out, w.empty, w.repeated}
		}, func() {}
	}
	seen := map[int32]int{}
	consume := func(pb parsedBatch) error {
		st.Read += pb.empty + pb.repeated
		st.EmptyRows += pb.empty
		st.RepeatedHeaders += pb.repeated
		for _, r := range pb.rows {
			st.Read++
			e := r.err
			if e == nil {
				if first, dup := seen[r.holder]; dup {
					e = &RowError{File: file, Line: r.line, Column: idCol + 1, Field: "cardholder_id", Value: set.List[r.holder].ID,
						Err: ErrDuplicate, Detail: fmt.Sprintf("first on line %d", first)}
				}
			}
			if e != nil {
				if e.Err == ErrCardNumber && e.Column == idCol+1 {
					return refusedColumn(file, &binding{header: in.header}, e)
				}
				if err := reject(&st, rej, e, r.raw); err != nil {
					return err
				}
				continue
			}
			seen[r.holder] = r.line
			t.Holders = append(t.Holders, r.holder)
			t.Values = append(t.Values, r.values...)
			st.Accepted++
		}
		return opts.sampled(&st)
	}
	err = sampleDone(inOrder(ctx, in, opts.Workers, bindHeader, newWorker, consume))
	st.Encoding, st.EncodingDetected = in.encoding, in.encodingGuessed
	if err != nil {
		return nil, st, err
	}
	if err := noRows(in, &st); err != nil {
		return nil, st, err
	}
	if err := t.fill(policies); err != nil {
		return nil, st, &FileError{File: file, Err: err}
	}
	return t, st, nil
}

// missing is a missing-value policy.
type missing uint8

const (
	missingReject missing = iota
	missingZero
	missingMedian
)

func missingPolicy(s string) (missing, error) {
	switch strings.ToLower(s) {
	case "", MissingReject:
		return missingReject, nil
	case MissingZero:
		return missingZero, nil
	case MissingMedian:
		return missingMedian, nil
	}
	return 0, fmt.Errorf("%q: want %q, %q or %q", s, MissingReject, MissingZero, MissingMedian)
}

func (m missing) String() string {
	return [...]string{MissingReject, MissingZero, MissingMedian}[m]
}

// missingPolicies returns the policy of each feature column, names, as
// the format sets them; mapped is the format's column mapping with
// normalized names. A policy for a column that is not a feature is an
// error: it would not do what it says.
func missingPolicies(f Format, names []string, mapped map[string]string) ([]missing, error) {
	def, err := missingPolicy(f.MissingDefault)
	if err != nil {
		return nil, fmt.Errorf("missing: %w", err)
	}
	out := make([]missing, len(names))
	for i := range out {
		out[i] = def
	}
	for col, policy := range f.Missing {
		m, err := missingPolicy(policy)
		if err != nil {
			return nil, fmt.Errorf("missing value policy of column %q: %w", col, err)
		}
		n := normalizeHeader(col)
		if to, ok := mapped[n]; ok {
			n = to
		}
		i := slices.Index(names, attrName(n))
		if i < 0 {
			return nil, fmt.Errorf("missing value policy names column %q, not a feature column (features: %s)", col, strings.Join(names, ", "))
		}
		out[i] = m
	}
	return out, nil
}

// fill replaces the empty values, read as NaN, by zero or by the median of
// their column's other values, and counts them in t.Filled. The median
// takes one column's values at a time: 8 MB for a million rows.
func (t *FeatureTable) fill(policies []missing) error {
	n := len(t.Names)
	var scratch []float64
	for k, policy := range policies {
		if policy == missingReject {
			continue
		}
		count := 0
		scratch = scratch[:0]
		for i := k; i < len(t.Values); i += n {
			if v := t.Values[i]; v != v { // NaN: empty
				count++
			} else if policy == missingMedian {
				scratch = append(scratch, v)
			}
		}
		if count == 0 {
			continue
		}
		value := 0.0
		if policy == missingMedian {
			if len(scratch) == 0 {
				return fmt.Errorf("column %q: every value is empty, so it has no median: set its missing value policy to %q or leave the column out", t.Names[k], MissingZero)
			}
			value = median(scratch)
		}
		for i := k; i < len(t.Values); i += n {
			if v := t.Values[i]; v != v {
				t.Values[i] = value
			}
		}
		if t.Filled == nil {
			t.Filled = map[string]Fill{}
		}
		t.Filled[t.Names[k]] = Fill{Policy: policy.String(), Count: count, Value: value}
	}
	return nil
}

// median returns the median of vs, the mean of the middle two when their
// number is even; it reorders vs.
func median(vs []float64) float64 {
	slices.Sort(vs)
	mid := len(vs) / 2
	if len(vs)%2 == 1 {
		return vs[mid]
	}
	a, b := vs[mid-1], vs[mid]
	return a/2 + b/2 // a+b might overflow
}

// parseFeature reads a number in the format's conventions.
func parseFeature(b []byte, f Format) (float64, error) {
	if len(b) == 0 {
		return 0, ErrRequired
	}
	s := string(b)
	if f.Thousands != 0 {
		s = strings.ReplaceAll(s, string(f.Thousands), "")
	}
	if f.decimal() == ',' {
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, ErrNotNumber
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, ErrNotFinite
	}
	return v, nil
}

// parseFeatureRow checks one row of pre-aggregated profiles and reads its
// cardholder and feature values.
func parseFeatureRow(file string, line int, fields [][]byte, serr *scanError, width, idCol int, cols []int, names []string,
	policies []missing, set *CardholderSet, f Format) (int32, []float64, *RowError) {
	if serr != nil {
		return 0, nil, &RowError{File: file, Line: line + serr.Line, Column: serr.Column, Err: serr.Err}
	}
	if len(fields) != width {
		return 0, nil, &RowError{File: file, Line: line, Err: ErrFieldCount, Detail: fmt.Sprintf("got %d, want %d", len(fields), width)}
	}
	id := string(trimSpace(fields[idCol]))
	if LooksLikeCardNumber(id) {
		return 0, nil, &RowError{File: file, Line: line, Column: idCol + 1, Field: "cardholder_id", Value: id, Err: ErrCardNumber}
	}
	h, ok := set.index.get(id, set.List)
	if !ok {
		return 0, nil, &RowError{File: file, Line: line, Column: idCol + 1, Field: "cardholder_id", Value: id, Err: ErrUnknownHolder}
	}
	values := make([]float64, len(cols))
	for k, c := range cols {
		b := trimSpace(fields[c])
		if len(b) == 0 && policies[k] != missingReject {
			values[k] = math.NaN() // filled in when the file is read
			continue
		}
		v, err := parseFeature(b, f)
		if err != nil {
			return 0, nil, &RowError{File: file, Line: line, Column: c + 1, Field: names[k], Value: string(fields[c]), Err: err}
		}
		values[k] = v
	}
	return h, values, nil
}
