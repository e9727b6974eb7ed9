package ingest

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// chunkSize is the size of the pieces a CSV input is cut into for the
// parse workers.
const chunkSize = 1 << 20

// rowBatch is a piece of an input for a worker: whole CSV records, or rows
// of a spreadsheet.
type rowBatch struct {
	seq  int
	line int    // CSV: the line of data[0]
	data []byte // CSV records
	// decoded says data is already UTF-8 (the first chunk, decoded to
	// read the header).
	decoded bool
	// Spreadsheet rows and their row numbers.
	cells [][]string
	rows  []int
	// src is the chunk data comes from, which a worker may hand back to
	// the chunker once nothing refers to data any more.
	src chunk
}

// input is an opened input: where its rows come from and its header.
type input struct {
	file   string
	format Format
	sheet  bool // a spreadsheet: dates may be serial numbers, amounts floats
	delim  byte
	header []string
	// CSV: the chunker and the records of the first chunk after the header.
	chunks *chunker
	first  rowBatch
	// XLSX: the rows, read by a goroutine of the caller's.
	xlsx io.Reader
}

// openInput sniffs r: an XLSX workbook, gzip-compressed CSV or plain CSV,
// and reads the header row.
func openInput(r io.Reader, file string, f Format, size int) (*input, error) {
	if size <= 0 {
		size = chunkSize
	}
	if err := f.Check(); err != nil {
		return nil, &FileError{File: file, Err: err}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(4)
	in := &input{file: file, format: f}
	switch {
	case isZip(head):
		in.sheet = true
		in.xlsx = br
		return in, nil
	case isGzip(head):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FileError{File: file, Err: fmt.Errorf("gzip: %w", err)}
		}
		return in, in.openCSV(zr, size)
	}
	return in, in.openCSV(br, size)
}

func (in *input) openCSV(r io.Reader, size int) error {
	in.chunks = newChunker(r, size)
	if in.format.Delimiter != 0 {
		in.chunks.setDelimiter(in.format.Delimiter)
	}
	c, err := in.chunks.next()
	if err == io.EOF {
		return &FileError{File: in.file, Err: errors.New("empty file: want a header row")}
	}
	if err != nil {
		return &FileError{File: in.file, Err: err}
	}
	data := c.data
	if in.format.windows1252() {
		data = decodeWindows1252(nil, data)
	}
	if bad := binaryByte(data); bad >= 0 {
		return &FileError{File: in.file, Line: 1 + strings.Count(string(data[:bad]), "\n"),
			Err: errors.New("not a CSV file: binary data (is it a spreadsheet saved in another format, or compressed with something other than gzip?)")}
	}
	in.delim = in.chunks.delimiter()
	// The header is the first record that is not an empty line, as
	// encoding/csv skips empty lines.
	line := c.line
	for {
		fields, _, n, lines, serr := splitRecord(data, in.delim, nil, nil)
		if serr != nil {
			return &FileError{File: in.file, Line: line + serr.Line, Column: serr.Column, Err: fmt.Errorf("header: %w", serr.Err)}
		}
		if n == 0 {
			// Only empty lines so far: the header is further on.
			next, err := in.chunks.next()
			if err == io.EOF {
				return &FileError{File: in.file, Err: errors.New("empty file: want a header row")}
			}
			if err != nil {
				return &FileError{File: in.file, Err: err}
			}
			data, line = next.data, next.line
			if in.format.windows1252() {
				data = decodeWindows1252(nil, data)
			}
			continue
		}
		data, line = data[n:], line+lines
		if len(fields) == 0 {
			continue
		}
		for _, f := range fields {
			in.header = append(in.header, string(f))
		}
		in.first = rowBatch{seq: 0, line: line, data: data, decoded: true}
		return nil
	}
}

// binaryByte returns the offset of a NUL byte in the first 8 KB, or -1.
func binaryByte(b []byte) int {
	if len(b) > 8192 {
		b = b[:8192]
	}
	return indexByte(b, 0)
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// batches sends the input's rows, after the header, as batches to out, in
// order, and closes out. For a spreadsheet it first reads the header.
func (in *input) batches(ctx context.Context, out chan<- rowBatch, headerReady func([]string) error) error {
	defer close(out)
	send := func(b rowBatch) error {
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if in.xlsx != nil {
		const batchRows = 4096
		b := rowBatch{}
		seq := 0
		err := readXLSX(ctx, in.xlsx, in.file, in.format.Sheet, func(row int, cells []string) error {
			if in.header == nil {
				in.header = append([]string(nil), cells...)
				return headerReady(in.header)
			}
			b.cells = append(b.cells, append([]string(nil), cells...))
			b.rows = append(b.rows, row)
			if len(b.rows) == batchRows {
				b.seq = seq
				seq++
				if err := send(b); err != nil {
					return err
				}
				b = rowBatch{}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if in.header == nil {
			return &FileError{File: in.file, Err: errors.New("empty sheet: want a header row")}
		}
		if len(b.rows) > 0 {
			b.seq = seq
			return send(b)
		}
		return nil
	}
	if err := send(in.first); err != nil {
		return err
	}
	for seq := 1; ; seq++ {
		c, err := in.chunks.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &FileError{File: in.file, Err: err}
		}
		if err := send(rowBatch{seq: seq, line: c.line, data: c.data, src: c}); err != nil {
			return err
		}
	}
}

// walker splits batches into rows, reusing its buffers.
type walker struct {
	in      *input
	fields  [][]byte
	scratch []byte
	decoded []byte
}

// walk calls fn for every row of b with its line, its fields and its
// original text; serr is set for a row whose quoting is broken. fields and
// raw are only valid during the call.
func (w *walker) walk(b rowBatch, fn func(line int, fields [][]byte, raw []byte, serr *scanError) error) error {
	if b.cells != nil {
		for i, cells := range b.cells {
			w.fields = w.fields[:0]
			for _, c := range cells {
				w.fields = append(w.fields, []byte(c))
			}
			if err := fn(b.rows[i], w.fields, []byte(rowText(cells)), nil); err != nil {
				return err
			}
		}
		return nil
	}
	data := b.data
	if w.in.format.windows1252() && !b.decoded {
		w.decoded = decodeWindows1252(w.decoded[:0], data)
		data = w.decoded
	}
	line := b.line
	for len(data) > 0 {
		var n, lines int
		var serr *scanError
		w.fields, w.scratch, n, lines, serr = splitRecord(data, w.in.delim, w.fields[:0], w.scratch[:0])
		if n == 0 {
			return fmt.Errorf("ingest: %s:%d: the CSV scanner made no progress", w.in.file, line)
		}
		if len(w.fields) > 0 || serr != nil {
			if err := fn(line, w.fields, data[:n], serr); err != nil {
				return err
			}
		}
		line += lines
		data = data[n:]
	}
	return nil
}

// release hands the batch's chunk back to the chunker for reuse: nothing
// may refer to the batch's data afterwards.
func (in *input) release(b rowBatch) {
	if in.chunks != nil && b.src.buf != nil {
		in.chunks.release(b.src)
	}
}
