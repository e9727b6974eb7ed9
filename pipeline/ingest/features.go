package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
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
// that is not a number, is rejected.
func ReadFeatures(ctx context.Context, r io.Reader, file string, opts Options, columns []string, set *CardholderSet, rej Rejects) (*FeatureTable, Stats, error) {
	st := Stats{File: file}
	in, err := openInput(r, file, opts.Format, opts.chunkSize)
	if err != nil {
		return nil, st, err
	}
	t := &FeatureTable{}
	var idCol int
	var cols []int
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
			case n == "cardholder_id" || n == "customer_id":
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
			return &FileError{File: file, Line: 1, Err: fmt.Errorf("feature columns %s not in the header (header has: %s)", strings.Join(quoteAll(missing), ", "), strings.Join(h, ", "))}
		}
		if len(cols) == 0 {
			return &FileError{File: file, Line: 1, Err: errors.New("no feature columns besides cardholder_id")}
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
	newWorker := func() (func(rowBatch) []parsed, func()) {
		w := &walker{in: in}
		return func(batch rowBatch) []parsed {
			var out []parsed
			_ = w.walk(batch, func(line int, fields [][]byte, raw []byte, serr *scanError) error {
				r := parsed{line: line, raw: raw}
				r.holder, r.values, r.err = parseFeatureRow(file, line, fields, serr, len(in.header), idCol, cols, t.Names, set, in.format)
				out = append(out, r)
				return nil
			})
			return out
		}, func() {}
	}
	seen := map[int32]int{}
	consume := func(rows []parsed) error {
		for _, r := range rows {
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
		return nil
	}
	if err := inOrder(ctx, in, opts.Workers, bindHeader, newWorker, consume); err != nil {
		return nil, st, err
	}
	return t, st, nil
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
	set *CardholderSet, f Format) (int32, []float64, *RowError) {
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
	h, ok := set.index[id]
	if !ok {
		return 0, nil, &RowError{File: file, Line: line, Column: idCol + 1, Field: "cardholder_id", Value: id, Err: ErrUnknownHolder}
	}
	values := make([]float64, len(cols))
	for k, c := range cols {
		v, err := parseFeature(trimSpace(fields[c]), f)
		if err != nil {
			return 0, nil, &RowError{File: file, Line: line, Column: c + 1, Field: names[k], Value: string(fields[c]), Err: err}
		}
		values[k] = v
	}
	return h, values, nil
}
