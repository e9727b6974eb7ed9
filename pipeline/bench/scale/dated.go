package main

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A bank's export is more often in the order of posting than grouped by
// cardholder, as tailor gen writes it: -order date measures tailor on the
// same transactions in date order. Within a day the rows come in an order
// given by a hash of the cardholder's id, as if sorted by a transaction
// reference, and each cardholder's rows of one day keep their order, so
// that the profiles are the same as from the generated file.

// inDateOrder writes the rows of the CSV file src into dst sorted as above,
// the header first. It goes through one temporary file per month in dir,
// and holds one month's rows in memory at a time. The file must have a
// posted_on column of dates YYYY-MM-DD, no quoted line breaks, and no
// quoted field before posted_on.
func inDateOrder(src, dst, dir string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	r := bufio.NewReaderSize(in, 1<<20)
	header, err := r.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("%s: no header: %w", src, err)
	}
	dateCol := slices.Index(strings.Split(strings.TrimRight(string(header), "\r\n"), ","), "posted_on")
	if dateCol < 0 {
		return fmt.Errorf("%s: no posted_on column in %q", src, header)
	}
	// Pass 1: each row into its month's file.
	months := map[string]*monthFile{}
	defer func() {
		for _, m := range months {
			m.f.Close()
			os.Remove(m.f.Name())
		}
	}()
	line := 1
	for {
		row, rerr := r.ReadBytes('\n')
		if len(row) > 0 {
			line++
			if row[len(row)-1] != '\n' {
				row = append(row, '\n')
			}
			date, ok := field(row, dateCol)
			if !ok || !isDate(date) {
				return fmt.Errorf("%s:%d: posted_on %q is not a date YYYY-MM-DD", src, line, date)
			}
			key := string(date[:7])
			m := months[key]
			if m == nil {
				f, err := os.CreateTemp(dir, ".month-"+key+"-*.csv")
				if err != nil {
					return err
				}
				m = &monthFile{f: f, w: bufio.NewWriterSize(f, 1<<20)}
				months[key] = m
			}
			if _, err := m.w.Write(row); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	// Pass 2: month by month, the rows sorted by day and cardholder hash.
	out, err := os.CreateTemp(filepath.Dir(dst), ".dated-*.csv")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	w := bufio.NewWriterSize(out, 1<<20)
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(months)) {
		m := months[k]
		if err := m.w.Flush(); err != nil {
			return err
		}
		data, err := os.ReadFile(m.f.Name())
		if err != nil {
			return err
		}
		if err := writeSorted(w, data, dateCol); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(out.Name(), dst)
}

type monthFile struct {
	f *os.File
	w *bufio.Writer
}

// writeSorted writes the rows of data, whole lines of one month, to w
// sorted by their day and then by a hash of their first field, the
// cardholder's id; rows of one day and cardholder keep their order.
func writeSorted(w io.Writer, data []byte, dateCol int) error {
	type row struct {
		key  uint64 // day of the month, then the hash
		at   int    // place in data, for rows of the same key
		text []byte
	}
	var rows []row
	for len(data) > 0 {
		n := bytes.IndexByte(data, '\n') + 1
		if n == 0 {
			n = len(data)
		}
		text := data[:n]
		data = data[n:]
		date, _ := field(text, dateCol)
		id, _ := field(text, 0)
		day := uint64(date[8]-'0')*10 + uint64(date[9]-'0')
		h := uint64(14695981039346656037) // FNV-1a
		for _, c := range id {
			h = (h ^ uint64(c)) * 1099511628211
		}
		rows = append(rows, row{day<<56 | h>>8, len(rows), text})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.at, b.at)) })
	for _, r := range rows {
		if _, err := w.Write(r.text); err != nil {
			return err
		}
	}
	return nil
}

// isDate reports whether b looks like YYYY-MM-DD.
func isDate(b []byte) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return false
	}
	for i, c := range b {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// field returns field i of a CSV row without quoted fields before it.
func field(row []byte, i int) ([]byte, bool) {
	for range i {
		c := bytes.IndexByte(row, ',')
		if c < 0 {
			return nil, false
		}
		row = row[c+1:]
	}
	if c := bytes.IndexAny(row, ",\r\n"); c >= 0 {
		row = row[:c]
	}
	return row, true
}

// errOrder is the error of an -order the script does not know.
var errOrder = errors.New(`want "file" (as tailor gen writes it, each cardholder's rows together) or "date"`)
