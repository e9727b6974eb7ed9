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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan rowBatch, 2)
	errc := make(chan error, 1)
	go func() { errc <- in.batches(ctx, batches, bindHeader) }()
	w := &walker{in: in}
	seen := map[int32]int{}
	row := make([]float64, 0, 16)
	var consumeErr error
	for batch := range batches {
		if consumeErr != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			consumeErr = err
			continue
		}
		consumeErr = w.walk(batch, func(line int, fields [][]byte, raw []byte, serr *scanError) error {
			st.Read++
			e := func() *RowError {
				if serr != nil {
					return &RowError{File: file, Line: line + serr.Line, Column: serr.Column, Err: serr.Err}
				}
				if len(fields) != len(in.header) {
					return &RowError{File: file, Line: line, Err: ErrFieldCount, Detail: fmt.Sprintf("got %d, want %d", len(fields), len(in.header))}
				}
				id := string(trimSpace(fields[idCol]))
				if LooksLikeCardNumber(id) {
					return &RowError{File: file, Line: line, Column: idCol + 1, Field: "cardholder_id", Value: id, Err: ErrCardNumber}
				}
				h, ok := set.index[id]
				if !ok {
					return &RowError{File: file, Line: line, Column: idCol + 1, Field: "cardholder_id", Value: id, Err: ErrUnknownHolder}
				}
				if first, dup := seen[h]; dup {
					return &RowError{File: file, Line: line, Column: idCol + 1, Field: "cardholder_id", Value: id, Err: ErrDuplicate, Detail: fmt.Sprintf("first on line %d", first)}
				}
				row = row[:0]
				for k, c := range cols {
					v, err := parseFeature(trimSpace(fields[c]), in.format)
					if err != nil {
						return &RowError{File: file, Line: line, Column: c + 1, Field: t.Names[k], Value: string(fields[c]), Err: err}
					}
					row = append(row, v)
				}
				seen[h] = line
				t.Holders = append(t.Holders, h)
				t.Values = append(t.Values, row...)
				return nil
			}()
			if e != nil {
				if e.Err == ErrCardNumber {
					return refusedColumn(file, &binding{header: in.header}, e)
				}
				return reject(&st, rej, e, raw)
			}
			st.Accepted++
			return nil
		})
		if consumeErr != nil {
			cancel()
		}
	}
	if err := <-errc; err != nil && consumeErr == nil && !errors.Is(err, context.Canceled) {
		consumeErr = err
	}
	if consumeErr == nil {
		consumeErr = ctx.Err()
	}
	if consumeErr != nil {
		return nil, st, consumeErr
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
