package profile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// WriteFeatures writes the pre-aggregated features of the profiles that
// have them, the file features.csv of a run: a cardholder_id column and one
// column per feature name, each value written so that it reads back
// exactly.
func WriteFeatures(w io.Writer, names []string, ps []Profile) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(append([]string{"cardholder_id"}, names...)); err != nil {
		return err
	}
	rec := make([]string, 0, len(names)+1)
	for i := range ps {
		if ps[i].Features == nil {
			continue
		}
		rec = append(rec[:0], ps[i].ID)
		for _, v := range ps[i].Features {
			rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// ReadFeatures reads what WriteFeatures wrote into the profiles ps (as
// ReadCSV read them back) and returns the feature names. name is the
// file's name in errors, which give its line.
func ReadFeatures(r io.Reader, name string, ps []Profile) ([]string, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(header) == 0 || header[0] != "cardholder_id" {
		return nil, fmt.Errorf("%s:1: want cardholder_id as the first column", name)
	}
	index := make(map[string]int, len(ps))
	for i := range ps {
		index[ps[i].ID] = i
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return header[1:], nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		i, ok := index[rec[0]]
		if !ok {
			return nil, fmt.Errorf("%s:%d: cardholder %q is not among the profiles", name, line, rec[0])
		}
		vals := make([]float64, len(rec)-1)
		for k, v := range rec[1:] {
			if vals[k], err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("%s:%d: %s: %w", name, line, header[k+1], err)
			}
		}
		ps[i].Features = vals
	}
}
