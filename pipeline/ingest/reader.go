package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
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
	// decoded says data is already decoded from Windows-1252 (the first
	// chunk, decoded to read the header).
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
	// headerKey is the header's fields trimmed, to recognise a repeated
	// header row; headerLine is the header's line (row in a spreadsheet).
	headerKey  [][]byte
	headerLine int
	// encoding is the text encoding the file is read in (encUTF8, ...;
	// "" for a spreadsheet), and encodingGuessed says tailor chose it from
	// the content. cp1252 says the workers decode Windows-1252; utf16 that
	// the text was decoded before the chunker, so it is valid UTF-8.
	encoding        string
	encodingGuessed bool
	cp1252, utf16   bool
	// guess says the first chunks may still choose Windows-1252: no
	// encoding is given, and no byte-order mark says UTF-8 or UTF-16.
	guess bool
	// CSV: the chunker and the records of the first chunk after the header.
	chunks *chunker
	first  rowBatch
	// XLSX: the rows, read by a goroutine of the caller's.
	xlsx io.Reader
}

// sniffSize is how much of an input openInput looks at to tell its format.
const sniffSize = 512

// openInput sniffs r: an XLSX workbook, gzip-compressed text, UTF-16 or
// byte-oriented text, or a format it names and refuses; and reads the
// header row.
func openInput(r io.Reader, file string, f Format, size int) (*input, error) {
	if size <= 0 {
		size = chunkSize
	}
	if err := f.Check(); err != nil {
		return nil, &FileError{File: file, Err: err}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := peek(br)
	if err != nil {
		return nil, &FileError{File: file, Err: err}
	}
	in := &input{file: file, format: f}
	if ff := sniffForeign(head, br, file); ff != nil {
		return nil, &FileError{File: file, Err: ff}
	}
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
		zbr := bufio.NewReaderSize(zr, 1<<16)
		head, err := peek(zbr)
		if err != nil {
			return nil, &FileError{File: file, Err: fmt.Errorf("gzip: %w", err)}
		}
		if ff := sniffForeign(head, zbr, file); ff != nil {
			ff.what = "gzip-compressed, and inside it " + ff.what
			return nil, &FileError{File: file, Err: ff}
		}
		if isZip(head) {
			// An XLSX workbook, compressed once more.
			in.sheet = true
			in.xlsx = zbr
			return in, nil
		}
		return in, in.openText(zbr, head, size)
	}
	return in, in.openText(br, head, size)
}

// peek returns the first sniffSize bytes of br, fewer for a shorter input.
func peek(br *bufio.Reader) ([]byte, error) {
	head, err := br.Peek(sniffSize)
	if err == io.EOF || err == bufio.ErrBufferFull {
		err = nil
	}
	return head, err
}

// openText decides the text encoding from the format and the first bytes,
// head, of r: UTF-16 is decoded here, as a stream; and reads the header.
func (in *input) openText(r io.Reader, head []byte, size int) error {
	enc, guessed, err := textEncoding(encodingOf(in.format.Encoding), head)
	if err != nil {
		return &FileError{File: in.file, Err: err}
	}
	switch enc {
	case encUTF16LE, encUTF16BE:
		r = newUTF16Reader(r, enc == encUTF16BE)
		in.encoding, in.encodingGuessed, in.utf16 = enc, guessed, true
	default:
		in.encoding = encodingOf(in.format.Encoding)
		in.cp1252 = in.encoding == encWindows1252
		if in.encoding == "" {
			in.encoding = encUTF8 // unless the first chunk says Windows-1252
			in.guess = !bytes.HasPrefix(head, utf8BOM)
		}
	}
	return in.openCSV(r, size)
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
	// With no encoding given, the chunk that holds the header (the first,
	// unless it is all empty lines) decides between UTF-8 and
	// Windows-1252.
	data := in.decodeFirst(c.data)
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
			data, line = in.decodeFirst(next.data), next.line
			continue
		}
		if len(fields) == 0 {
			data, line = data[n:], line+lines
			continue
		}
		if !in.cp1252 && !utf8.Valid(data[:n]) {
			serr := utf8ScanError(data[:n])
			return &FileError{File: in.file, Line: line + serr.Line, Column: serr.Column,
				Err: fmt.Errorf("header: %w (byte 0x%02X)", ErrInvalidUTF8, serr.Err.(*utf8Error).b)}
		}
		in.setHeader(line, fields)
		data, line = data[n:], line+lines
		in.first = rowBatch{seq: 0, line: line, data: data, decoded: in.cp1252}
		return nil
	}
}

// decodeFirst returns a chunk read before the header row is found, decoded
// from Windows-1252 if need be; with in.guess set, it first chooses
// Windows-1252 for the file when the chunk is not UTF-8 and looks like
// Windows-1252 text (looksWindows1252), which is what Excel and most
// Windows software write.
func (in *input) decodeFirst(data []byte) []byte {
	if in.guess && !in.cp1252 && !utf8.Valid(data) && looksWindows1252(data) {
		in.encoding, in.encodingGuessed, in.cp1252 = encWindows1252, true, true
	}
	if in.cp1252 {
		return decodeWindows1252(nil, data)
	}
	return data
}

// setHeader keeps the header row, found at line (row), and its key.
func (in *input) setHeader(line int, fields [][]byte) {
	in.headerLine = line
	in.header = make([]string, len(fields))
	in.headerKey = make([][]byte, len(fields))
	for i, f := range fields {
		in.header[i] = string(f)
		in.headerKey[i] = trimSpace([]byte(in.header[i]))
	}
}

// isHeader reports whether a row repeats the header: the same fields,
// trimmed, without regard to case, as files concatenated with their
// headers have. A UTF-8 byte-order mark before the first field, which such
// a file carries along, is ignored.
func (in *input) isHeader(fields [][]byte) bool {
	if len(fields) != len(in.headerKey) || len(fields) == 0 || len(fields[0]) < len(in.headerKey[0]) {
		return false // trimming only shortens: a shorter first field is not the header's
	}
	for i, f := range fields {
		f = trimSpace(f)
		if i == 0 {
			f = trimSpace(bytes.TrimPrefix(f, utf8BOM))
		}
		// Lengths first: on a data row this is where it ends. (Case
		// pairs of different lengths in UTF-8, such as K and the Kelvin
		// sign, are not worth a slower test.)
		if k := in.headerKey[i]; len(f) != len(k) || !bytes.EqualFold(f, k) {
			return false
		}
	}
	return true
}

// binaryByte returns the offset of a NUL byte in the first 8 KB, or -1.
func binaryByte(b []byte) int {
	if len(b) > 8192 {
		b = b[:8192]
	}
	return bytes.IndexByte(b, 0)
}

// emptyRow reports whether every field of a row is empty or white space.
func emptyRow(fields [][]byte) bool {
	for _, f := range fields {
		if len(trimSpace(f)) > 0 {
			return false
		}
	}
	return true
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
				fields := make([][]byte, len(cells))
				for i, c := range cells {
					fields[i] = []byte(c)
				}
				in.setHeader(row, fields)
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
	// skip makes walk skip empty rows (every field empty or white space)
	// and rows that repeat the header, counting them in empty and
	// repeated, instead of passing them to fn; a reader that sets it adds
	// the counts to its Stats. Without it they are rows like any other.
	skip            bool
	empty, repeated int
}

// walk calls fn for every row of b with its line, its fields and its
// original text; serr is set for a row whose quoting is broken, or that
// holds bytes that are not UTF-8 in a file read as UTF-8 (isUTF8Problem;
// utf8RowError makes its RowError). fields are only valid during the
// call; raw stays valid until walk is called again (a reader that looks
// rows' cardholders up in groups keeps it that long). With skip set, the counts of skipped rows start from zero.
func (w *walker) walk(b rowBatch, fn func(line int, fields [][]byte, raw []byte, serr *scanError) error) error {
	w.empty, w.repeated = 0, 0
	if b.cells != nil {
		for i, cells := range b.cells {
			w.fields = w.fields[:0]
			var serr *scanError
			for k, c := range cells {
				w.fields = append(w.fields, []byte(c))
				if serr == nil && !utf8.ValidString(c) {
					// encoding/xml refuses such workbooks; this is a
					// safeguard.
					serr = &scanError{Column: k + 1, Err: &utf8Error{c[invalidUTF8([]byte(c))]}}
				}
			}
			if serr == nil && w.skipped(w.fields) {
				continue
			}
			if err := fn(b.rows[i], w.fields, []byte(rowText(cells)), serr); err != nil {
				return err
			}
		}
		return nil
	}
	data := b.data
	if w.in.cp1252 && !b.decoded {
		w.decoded = decodeWindows1252(w.decoded[:0], data)
		data = w.decoded
	}
	// Decoded text is UTF-8; other text is checked batch by batch, and row
	// by row only in a batch that is not all valid.
	// A row whose first field is not empty, does not start with white
	// space and is shorter than the header's first field is neither empty
	// nor the header: most rows are let through on that test alone, one
	// comparison of its length with limit (len(f0)-1 < limit, unsigned,
	// with limit one less than the header's first field's length). In a
	// batch to check for UTF-8, limit is 0: every row is looked at.
	limit := uint(math.MaxInt)
	if w.skip {
		limit = uint(len(w.in.headerKey[0]) - 1)
	}
	check := !w.in.cp1252 && !w.in.utf16 && !utf8.Valid(data)
	if check {
		limit = 0
	}
	line := b.line
	// The buffers in locals, which the compiler keeps in registers; given
	// back for the next batch.
	fields, scratch := w.fields, w.scratch
	defer func() { w.fields, w.scratch = fields, scratch }()
	for len(data) > 0 {
		var n, lines int
		var serr *scanError
		fields, scratch, n, lines, serr = splitRecord(data, w.in.delim, fields, scratch)
		if n == 0 {
			return fmt.Errorf("ingest: %s:%d: the CSV scanner made no progress", w.in.file, line)
		}
		if len(fields) > 0 && serr == nil {
			if f0 := fields[0]; uint(len(f0)-1) >= limit || f0[0] <= ' ' {
				switch {
				case w.skipped(fields):
					fields = fields[:0]
				case check && !utf8.Valid(data[:n]):
					serr = utf8ScanError(data[:n])
				}
			}
		}
		if len(fields) > 0 || serr != nil {
			if err := fn(line, fields, data[:n], serr); err != nil {
				return err
			}
		}
		line += lines
		data = data[n:]
	}
	return nil
}

// skipped reports whether walk skips a row, and counts it.
func (w *walker) skipped(fields [][]byte) bool {
	if !w.skip {
		return false
	}
	if emptyRow(fields) {
		w.empty++
		return true
	}
	if w.in.isHeader(fields) {
		w.repeated++
		return true
	}
	return false
}

// release hands the batch's chunk back to the chunker for reuse: nothing
// may refer to the batch's data afterwards.
func (in *input) release(b rowBatch) {
	if in.chunks != nil && b.src.buf != nil {
		in.chunks.release(b.src)
	}
}
