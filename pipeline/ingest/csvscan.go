package ingest

// The fast CSV path: a chunker that cuts an input into runs of whole
// records for parallel parse workers, and splitRecord, which splits one
// record exactly as encoding/csv does (FieldsPerRecord -1, LazyQuotes false,
// no comments, no TrimLeadingSpace) without allocating per record.
//
// Where records end depends on quoting. A plain count of quote parity finds
// the ends of well-formed records, but one malformed row, such as an
// unquoted 12" in a merchant name, flips the parity for the rest of the
// file: no cut would be found again, and the whole remaining input would
// become one chunk. So the chunker runs the record-boundary state machine
// of encoding/csv instead, including its recovery (after malformed quoting,
// the record ends at the end of the line), and cuts exactly where
// splitRecord, run over the whole input, starts a record. It stays cheap:
// it skips to the next quote with bytes.IndexByte, takes the last line feed
// before it with bytes.LastIndexByte, and where quotes are dense it works
// on 64 bytes at a time with bit masks (scanBlock).

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"math/bits"
	"unicode/utf8"
)

// defaultChunkSize is the chunk size of a chunker made with size <= 0.
const defaultChunkSize = 1 << 20

// maxHeaderScan bounds how much input the chunker reads to find the header
// line when it detects the delimiter.
const maxHeaderScan = 1 << 20

// chunk is a run of whole CSV records cut from the input.
type chunk struct {
	seq  int    // 0, 1, 2, ... in input order
	line int    // 1-based line number of data[0] in the file
	data []byte // whole records; the last one ends with its line terminator or at EOF
	buf  []byte // the buffer data was cut from, for release
}

// scanState is where the record-boundary state machine of a chunker is.
type scanState uint8

const (
	stField    scanState = iota // at the start of a field: a quote opens a quoted field
	stUnquoted                  // inside an unquoted field: a quote is a bare quote
	stQuoted                    // inside a quoted field: a line break is data
	stSkip                      // after malformed quoting: the record ends with the line
)

// chunker cuts an input into chunks of about size bytes that end on record
// boundaries, the same boundaries at which splitRecord, applied to the whole
// input in turn, starts its records; so splitting chunk after chunk gives
// exactly the records, errors and line numbers of splitting the whole
// input. A chunk ends at the last record boundary within size bytes; a
// record longer than that grows the chunk to hold it. The chunker strips a
// UTF-8 byte-order mark at the very start, and counts lines so that each
// chunk knows its first line number.
//
// Boundaries depend on the delimiter (`"a";"b"` is one record with ';' but
// a malformed one with ','), so the chunker must know it before the first
// cut: call setDelimiter before the first next, or let the chunker detect
// it from the header line with detectDelimiter, and read the choice back
// with delimiter. The caller must split with the same delimiter.
//
// Every chunk's data is a fresh slice that later calls to next never touch,
// so chunks can be handed to other goroutines. A caller that is done with a
// chunk may give its buffer back with release, to be read into again; that
// saves allocating and zeroing a buffer per chunk.
type chunker struct {
	r     io.Reader
	size  int
	delim byte // 0 until set or detected

	buf []byte // input read and not yet handed out; buf[0] starts a record
	eof bool   // r is exhausted
	err error  // sticky error of next

	// The state machine has run over buf[:pos] and is in state st there.
	// cut is the end of the last record in buf[:pos], 0 when none ends there.
	pos int
	st  scanState
	cut int

	started bool
	seq     int
	line    int

	free chan []byte // released buffers
}

// newChunker returns a chunker reading r, cutting chunks of about size
// bytes (defaultChunkSize when size <= 0).
func newChunker(r io.Reader, size int) *chunker {
	if size <= 0 {
		size = defaultChunkSize
	}
	return &chunker{r: r, size: size, line: 1, free: make(chan []byte, 4)}
}

// release gives the buffer of ch back to the chunker, which may read the
// input into it again: ch.data, and every slice of it (fields split from
// it included), must no longer be used, and ch must not be released twice.
// Calling it is optional, and safe from any goroutine.
func (c *chunker) release(ch chunk) {
	if cap(ch.buf) < c.size+1 {
		return
	}
	select {
	case c.free <- ch.buf[:0]:
	default:
	}
}

// setDelimiter sets the field delimiter. It must be called before the first
// next; without it the chunker detects the delimiter from the header line.
func (c *chunker) setDelimiter(d byte) {
	if !c.started {
		c.delim = d
	}
}

// delimiter returns the field delimiter the chunker cuts by: the one set
// with setDelimiter, or after the first next the one it detected.
func (c *chunker) delimiter() byte { return c.delim }

// next returns the next chunk, or io.EOF after the last one. A chunk's data
// stays valid, and unchanged, after later calls. Read errors other than
// io.EOF are returned as they are, and returned again by every later call.
func (c *chunker) next() (chunk, error) {
	if c.err != nil {
		return chunk{}, c.err
	}
	if !c.started {
		c.started = true
		if err := c.start(); err != nil {
			c.err = err
			return chunk{}, err
		}
	}
	if err := c.fill(c.size + 1); err != nil { // one byte more to classify a quote at the limit
		c.err = err
		return chunk{}, err
	}
	c.scan(min(c.size, len(c.buf)), false)
	for c.cut == 0 && !(c.eof && c.pos >= len(c.buf)) {
		// No record ends within size bytes: cut at the end of the long one.
		if !c.eof && c.pos+1 >= len(c.buf) {
			if err := c.fill(len(c.buf) + c.size); err != nil {
				c.err = err
				return chunk{}, err
			}
		}
		c.scan(len(c.buf), true)
	}
	if c.eof && c.pos >= len(c.buf) {
		if len(c.buf) == 0 {
			c.err = io.EOF
			return chunk{}, io.EOF
		}
		return c.emit(len(c.buf)), nil
	}
	return c.emit(c.cut), nil
}

// start strips a byte-order mark and, unless it is set, detects the
// delimiter.
func (c *chunker) start() error {
	if err := c.fill(3); err != nil {
		return err
	}
	c.buf = bytes.TrimPrefix(c.buf, utf8BOM)
	if c.delim != 0 {
		return nil
	}
	for lineEnd(c.buf) < 0 && !c.eof && len(c.buf) < maxHeaderScan {
		if err := c.fill(2*len(c.buf) + 4096); err != nil {
			return err
		}
	}
	c.delim = detectDelimiter(c.buf)
	return nil
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// fill reads until buf holds at least want bytes or the input ends.
func (c *chunker) fill(want int) error {
	if cap(c.buf) < want {
		nb := make([]byte, len(c.buf), max(want, 2*cap(c.buf)))
		copy(nb, c.buf)
		c.buf = nb
	}
	for empty := 0; len(c.buf) < want && !c.eof; {
		n, err := c.r.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		switch {
		case err == io.EOF:
			c.eof = true
		case err != nil:
			return err
		case n == 0:
			if empty++; empty == 100 {
				return io.ErrNoProgress
			}
		}
	}
	return nil
}

// emit hands out buf[:end] as the next chunk and carries the rest over into
// a fresh buffer.
func (c *chunker) emit(end int) chunk {
	data := c.buf[:end:end]
	ch := chunk{seq: c.seq, line: c.line, data: data, buf: c.buf}
	c.seq++
	c.line += bytes.Count(data, newline)
	tail := c.buf[end:]
	if c.eof && len(tail) == 0 {
		c.buf = nil
	} else {
		var nb []byte
		select {
		case nb = <-c.free:
		default:
		}
		if want := max(c.size+1, 2*len(tail)); cap(nb) < want {
			nb = make([]byte, 0, want)
		}
		c.buf = append(nb, tail...)
	}
	// Nothing ends in buf[end:pos]: end was the last boundary there.
	c.pos -= end
	c.cut = 0
	return ch
}

var newline = []byte{'\n'}

// blockSize is how many bytes scanBlock takes at once.
const blockSize = 64

// scan runs the record-boundary state machine over buf[pos:limit], or
// until the first record boundary when first is set. It may look two bytes
// beyond limit, and end a byte after it.
//
// It jumps to the next quote with bytes.IndexByte; where quotes are dense,
// as in files that quote every field, it takes 64 bytes at a time with
// scanBlock, and goes quote by quote only through blocks with malformed
// quoting.
func (c *chunker) scan(limit int, first bool) {
	b, d := c.buf, c.delim
	pos, st, cut := c.pos, c.st, c.cut
	scalarUntil := 0 // after a malformed block, quote by quote up to here
	dense := false   // the last block had quotes: try the next without looking
	for pos < limit {
		if st == stSkip {
			j := bytes.IndexByte(b[pos:limit], '\n')
			if j < 0 {
				pos = limit
				break
			}
			pos, st, cut = pos+j+1, stField, pos+j+1
			if first {
				break
			}
			continue
		}
		i := -1 // the next quote is at pos+i, when known
		if !dense {
			i = bytes.IndexByte(b[pos:limit], '"')
		}
		if !dense && (i < 0 || i >= blockSize) {
			// No quote nearby: take the bytes before it at once. Inside
			// quotes they are data; outside, every line feed ends a record.
			stop := limit
			if i >= 0 {
				stop = pos + i
			}
			if st != stQuoted {
				if first {
					if j := bytes.IndexByte(b[pos:stop], '\n'); j >= 0 {
						pos, st, cut = pos+j+1, stField, pos+j+1
						break
					}
				} else if j := bytes.LastIndexByte(b[pos:stop], '\n'); j >= 0 {
					pos, st, cut = pos+j+1, stField, pos+j+1
				}
				if stop > pos {
					st = stUnquoted
					if b[stop-1] == d {
						st = stField
					}
				}
			}
			pos = stop
			continue
		}
		if pos >= scalarUntil && pos+blockSize <= limit && pos+blockSize+2 <= len(b) {
			n, next, end, quotes, ok := scanBlock((*[blockSize + 2]byte)(b[pos:]), d, st, first)
			if ok {
				if end > 0 {
					cut = pos + end
				}
				pos, st, dense = pos+n, next, quotes
				if first && end > 0 {
					break
				}
				continue
			}
			scalarUntil = pos + blockSize
		}
		dense = false
		if i < 0 {
			if i = bytes.IndexByte(b[pos:limit], '"'); i < 0 {
				continue // the bytes up to limit, next time round
			}
		}
		// The next quote, at q, on its own.
		q := pos + i
		if st == stQuoted {
			if q+1 == len(b) {
				if !c.eof {
					pos = q // come back when the next byte is here
					break
				}
				pos, st = len(b), stField // the record ends at EOF
				break
			}
			switch b[q+1] {
			case '"': // an escaped quote
				pos = q + 2
			case d:
				pos, st = q+2, stField
			case '\n':
				pos, st, cut = q+2, stField, q+2
				if first {
					c.pos, c.st, c.cut = pos, st, cut
					return
				}
			default: // "\r\n", or malformed: either way the line ends the record
				pos, st = q+1, stSkip
			}
			continue
		}
		if first {
			if j := bytes.IndexByte(b[pos:q], '\n'); j >= 0 {
				pos, st, cut = pos+j+1, stField, pos+j+1
				break
			}
		} else if j := bytes.LastIndexByte(b[pos:q], '\n'); j >= 0 {
			pos, st, cut = pos+j+1, stField, pos+j+1
		}
		if q > pos {
			st = stUnquoted
			if b[q-1] == d {
				st = stField
			}
		}
		if st == stField {
			st = stQuoted
		} else {
			st = stSkip // a bare quote
		}
		pos = q + 1
	}
	c.pos, c.st, c.cut = pos, st, cut
}

// scanBlock runs the state machine over w[:64] from state st (not stSkip)
// with bit masks; w holds two more bytes to look at. Quote parity, from a
// prefix XOR of the quote mask, says which bytes are inside quotes; that
// agrees with encoding/csv as long as every quote is in its place: an
// opening one after a delimiter, a line feed, or another quote (the second
// of ""), and a closing one before a delimiter, a line feed, "\r\n", or
// another quote. ok is false when a quote is out of place; the caller then
// goes quote by quote. It returns how many bytes it took, the state after
// them, and the end of the last record boundary in them (of the first, when
// first is set; 0 when none). A closing quote at w[63] is left for the
// caller, which looks at what follows it. hadQuotes reports whether the
// block held any quote.
func scanBlock(w *[blockSize + 2]byte, d byte, st scanState, first bool) (n int, next scanState, end int, hadQuotes, ok bool) {
	dpat := swarOnes * uint64(d)
	var quotes, lfs, delims uint64
	add := func(k int) {
		q, l, dl := blockMasks(binary.LittleEndian.Uint64(w[k:]), dpat)
		quotes |= q << k
		lfs |= l << k
		delims |= dl << k
	}
	add(0)
	add(8)
	add(16)
	add(24)
	add(32)
	add(40)
	add(48)
	add(56)
	inside := prefixXOR(quotes) // bit i: inside quotes after w[i]
	if st == stQuoted {
		inside = ^inside
	}
	opening, closing := quotes&inside, quotes&^inside
	marks := delims | lfs | quotes
	after := marks << 1 // bit i: w[i-1] is a delimiter, line feed or quote
	if st == stField {
		after |= 1
	}
	if opening&^after != 0 {
		return 0, st, 0, true, false
	}
	before := marks >> 1 // bit i: w[i+1] is a delimiter, line feed or quote
	if x := w[blockSize]; x == d || x == '\n' || x == '"' {
		before |= 1 << 63
	}
	for bad := closing &^ before; bad != 0; bad &= bad - 1 {
		if i := bits.TrailingZeros64(bad); w[i+1] != '\r' || w[i+2] != '\n' {
			return 0, st, 0, true, false
		}
	}
	if ends := lfs &^ inside; ends != 0 {
		if first {
			i := bits.TrailingZeros64(ends)
			return i + 1, stField, i + 1, quotes != 0, true
		}
		end = blockSize - bits.LeadingZeros64(ends)
	}
	hadQuotes = quotes != 0
	switch last := w[blockSize-1]; {
	case inside>>63 != 0:
		return blockSize, stQuoted, end, hadQuotes, true
	case closing>>63 != 0:
		return blockSize - 1, stQuoted, end, hadQuotes, true
	case last == d || last == '\n':
		return blockSize, stField, end, hadQuotes, true
	}
	return blockSize, stUnquoted, end, hadQuotes, true
}

// blockMasks returns which of the 8 bytes of x are quotes, line feeds and
// the delimiter that dpat repeats, as the low 8 bits of each mask.
func blockMasks(x, dpat uint64) (quotes, lfs, delims uint64) {
	return moveMask(zeroBytes(x ^ swarQuote)), moveMask(zeroBytes(x ^ swarLF)), moveMask(zeroBytes(x ^ dpat))
}

// moveMask gathers the high bits of the 8 bytes of m, which has no other
// bits set, into the low 8 bits: bit i from byte i.
func moveMask(m uint64) uint64 {
	return (m >> 7) * 0x0102040810204080 >> 56
}

// prefixXOR returns x with bit i set to the XOR of bits 0 through i of x.
func prefixXOR(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// scanError is malformed quoting in a record.
type scanError struct {
	// Line is the line of the error counted from the record's first line
	// (0 for that line), as encoding/csv's ParseError.Line - StartLine.
	Line int
	// Column is the 1-based byte offset of the error in its line, as
	// encoding/csv's ParseError.Column.
	Column int
	// Err is csv.ErrBareQuote or csv.ErrQuote.
	Err error
}

func (e *scanError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%d lines into the record, column %d: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("column %d: %v", e.Column, e.Err)
}

func (e *scanError) Unwrap() error { return e.Err }

// splitRecord parses one record from the start of data with the given
// delimiter, exactly as encoding/csv does with FieldsPerRecord = -1 and
// LazyQuotes = false: fields may be quoted, "" inside quotes is a quote,
// quoted fields may hold delimiters and line breaks, "\r\n" ends a record
// like "\n", a "\r\n" inside a quoted field becomes "\n", and a '\r' at the
// very end of data is dropped (other lone '\r' are data).
//
// It returns the fields, the number of bytes consumed including the line
// terminator, and the number of line breaks ('\n') consumed. n is 0 only
// when data is empty. An empty line ("\n", "\r\n", or a lone '\r' at the
// end) gives zero fields with n > 0: skip it and count its line.
//
// Unquoted fields, and quoted ones without "" or "\r\n", are sub-slices of
// data; other quoted fields are unescaped into scratch. Both fields and
// scratch are reset to length 0, grown as needed and returned for reuse, so
// the fields are valid until data changes or the returned slices are passed
// to splitRecord again.
//
// Malformed quoting gives an error with the kind (csv.ErrBareQuote or
// csv.ErrQuote) and position encoding/csv reports, the fields read before
// it, and n at the start of the next line after the error, which is where
// encoding/csv goes on reading; an unterminated quoted field runs to the
// end of data.
func splitRecord(data []byte, delim byte, fields [][]byte, scratch []byte) (out [][]byte, scratchOut []byte, n, lines int, err *scanError) {
	fields, scratch = fields[:0], scratch[:0]
	// The common case is a record on one line without quotes, with fields
	// a few bytes long: too short for bytes.IndexByte to pay for its call.
	// So look at many bytes at a time for delimiters, line feeds and
	// quotes at once, and leave records with quotes to splitQuoted: on
	// amd64 with AVX2, 128 bytes at a time with splitLineArch, as long as
	// 64 bytes are left; elsewhere, and for the last bytes of data, 8 bytes
	// at a time with the loop below.
	fields, start, i, at := splitLineArch(data, delim, fields)
	if at >= 0 {
		// The first line feed or quote, found by splitLineArch: as the
		// loop below ends a line there.
		if data[at] == '"' {
			return splitQuoted(data, delim, fields[:0], scratch)
		}
		end := at
		if end > start && data[end-1] == '\r' {
			end--
		}
		if end == 0 {
			return fields, scratch, at + 1, 1, nil // an empty line
		}
		return append(fields, data[start:end:end]), scratch, at + 1, 1, nil
	}
	dpat := swarOnes * uint64(delim)
	for ; i < len(data); i += 8 {
		var w uint64
		valid := ^uint64(0)
		if i+8 <= len(data) {
			w = binary.LittleEndian.Uint64(data[i:])
		} else {
			var tail [8]byte
			copy(tail[:], data[i:])
			w = binary.LittleEndian.Uint64(tail[:])
			valid = 1<<(8*(len(data)-i)) - 1
		}
		d := zeroBytes(w^dpat) & valid
		lf := -1
		if stop := (zeroBytes(w^swarLF) | zeroBytes(w^swarQuote)) & valid; stop != 0 {
			lf = i + bits.TrailingZeros64(stop)>>3
			if data[lf] == '"' {
				return splitQuoted(data, delim, fields[:0], scratch)
			}
			d &= 1<<(8*(lf-i)) - 1 // the delimiters before the line feed
		}
		for d != 0 {
			k := i + bits.TrailingZeros64(d)>>3
			fields = append(fields, data[start:k:k])
			start = k + 1
			d &= d - 1
		}
		if lf >= 0 {
			end := lf
			if end > start && data[end-1] == '\r' {
				end--
			}
			if end == 0 {
				return fields, scratch, lf + 1, 1, nil // an empty line
			}
			return append(fields, data[start:end:end]), scratch, lf + 1, 1, nil
		}
	}
	// The last record of data, without a line terminator.
	end := len(data)
	if end > start && data[end-1] == '\r' {
		end--
	}
	if end == 0 {
		return fields, scratch, len(data), 0, nil // empty, or a lone '\r'
	}
	return append(fields, data[start:end:end]), scratch, len(data), 0, nil
}

// SWAR (SIMD within a register) constants: a byte in every byte of a word.
const (
	swarOnes  = 0x0101010101010101
	swarLow7  = 0x7F7F7F7F7F7F7F7F
	swarLF    = swarOnes * '\n'
	swarQuote = swarOnes * '"'
)

// zeroBytes returns a word with the high bit set in each byte where w has a
// zero byte, and only there (the shorter (w - ones) &^ w form can also
// mark a byte after a zero byte).
func zeroBytes(w uint64) uint64 {
	return ^((w&swarLow7 + swarLow7) | w | swarLow7)
}

// splitQuoted is splitRecord for a record whose first line holds a quote.
func splitQuoted(data []byte, delim byte, fields [][]byte, scratch []byte) ([][]byte, []byte, int, int, *scanError) {
	var (
		i         int // the current field starts at data[i]
		lines     int // line feeds before data[lineStart]
		lineStart int // the start of the current line
	)
field:
	for {
		if i == len(data) || data[i] != '"' {
			// Unquoted: up to the next delimiter or the end of the line.
			k := indexSpecial(data[i:], delim)
			if k >= 0 && data[i+k] == delim {
				fields = append(fields, data[i:i+k:i+k])
				i += k + 1
				continue
			}
			end, next := len(data), len(data)
			if k >= 0 {
				end = i + k
				if data[end] == '"' {
					err := &scanError{Line: lines, Column: end - lineStart + 1, Err: csv.ErrBareQuote}
					n := len(data)
					if e := bytes.IndexByte(data[end:], '\n'); e >= 0 {
						n = end + e + 1
						lines++
					}
					return fields, scratch, n, lines, err
				}
				next = end + 1 // after the '\n'
				lines++
			}
			if end > i && data[end-1] == '\r' {
				end-- // "\r\n", or a '\r' at the end of data
			}
			return append(fields, data[i:end:end]), scratch, next, lines, nil
		}
		// Quoted: up to a quote that is not followed by another.
		start := i + 1
		plain := true // the field is data[start:q] as it is
		for j := start; ; {
			k := indexSpecial(data[j:], '"')
			if k < 0 {
				return fields, scratch, len(data), lines, eofQuoteError(data)
			}
			q := j + k
			if data[q] == '\n' {
				if data[q-1] == '\r' {
					plain = false // "\r\n" becomes "\n"
				}
				lines++
				lineStart = q + 1
				j = q + 1
				continue
			}
			a := q + 1 // after the quote
			if a < len(data) {
				switch data[a] {
				case '"':
					plain = false
					j = a + 1
					continue
				case delim:
					fields, scratch = appendQuoted(fields, scratch, data[start:q], plain)
					i = a + 1
					continue field
				}
			}
			if w := eolLen(data, a); w >= 0 {
				fields, scratch = appendQuoted(fields, scratch, data[start:q], plain)
				if w > 0 && data[a+w-1] == '\n' {
					lines++
				}
				return fields, scratch, a + w, lines, nil
			}
			err := &scanError{Line: lines, Column: q - lineStart + 1, Err: csv.ErrQuote}
			n := len(data)
			if e := bytes.IndexByte(data[a:], '\n'); e >= 0 {
				n = a + e + 1
				lines++
			}
			return fields, scratch, n, lines, err
		}
	}
}

// indexSpecial returns the index of the first byte of b that is '"', '\n'
// or d, or -1. Fields are short, too short for bytes.IndexByte to pay for
// its call: it looks at 8 bytes at a time.
func indexSpecial(b []byte, d byte) int {
	dpat := swarOnes * uint64(d)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := zeroBytes(x^swarQuote) | zeroBytes(x^swarLF) | zeroBytes(x^dpat); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\n' || c == d {
			return i
		}
	}
	return -1
}

var crlf = []byte("\r\n")

// eolLen returns the length of the line terminator at data[i]: 1 for "\n",
// 2 for "\r\n", 0 at the end of data and 1 for a '\r' just before it; or -1
// when no line ends at i.
func eolLen(data []byte, i int) int {
	switch {
	case i == len(data):
		return 0
	case data[i] == '\n':
		return 1
	case data[i] != '\r':
		return -1
	case i+1 == len(data):
		return 1
	case data[i+1] == '\n':
		return 2
	}
	return -1
}

// eofQuoteError is the error for a quoted field still open at the end of
// data, placed as encoding/csv places it: at the end of the last line that
// has any bytes once a '\r' at the very end is dropped.
func eofQuoteError(data []byte) *scanError {
	if k := len(data) - 1; data[k] == '\r' {
		data = data[:k]
	}
	body := data // without the final '\n', if any
	if k := len(body) - 1; body[k] == '\n' {
		body = body[:k]
	}
	ls := bytes.LastIndexByte(body, '\n') + 1
	width := len(data) - ls
	if bytes.HasSuffix(data, crlf) {
		width-- // "\r\n" counts as "\n"
	}
	return &scanError{Line: bytes.Count(data[:ls], newline), Column: width + 1, Err: csv.ErrQuote}
}

// appendQuoted appends the field whose raw text between its quotes is raw,
// unescaping it into scratch unless it is plain.
func appendQuoted(fields [][]byte, scratch, raw []byte, plain bool) ([][]byte, []byte) {
	if plain {
		return append(fields, raw[:len(raw):len(raw)]), scratch
	}
	off := len(scratch)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '"':
			i++ // raw holds quotes only in pairs
		case c == '\r' && i+1 < len(raw) && raw[i+1] == '\n':
			continue
		}
		scratch = append(scratch, c)
	}
	return append(fields, scratch[off:len(scratch):len(scratch)]), scratch
}

// lineEnd returns the index of the first '\n' of b outside quotes, or -1.
func lineEnd(b []byte) int {
	quotes := 0
	for i := 0; ; {
		k := bytes.IndexByte(b[i:], '\n')
		if k < 0 {
			return -1
		}
		quotes += bytes.Count(b[i:i+k], quote)
		if quotes%2 == 0 {
			return i + k
		}
		i += k + 1
	}
}

var quote = []byte{'"'}

// detectDelimiter picks the delimiter of a header line among ',', ';',
// '\t' and '|': the one that occurs most often outside quotes. Ties, and a
// line with none of them, give ','. Only the first line counts: line counts
// stop at the first '\n' outside quotes.
func detectDelimiter(line []byte) byte {
	if e := lineEnd(line); e >= 0 {
		line = line[:e]
	}
	var comma, semi, tab, pipe int
	in := false
	for _, c := range line {
		switch c {
		case '"':
			in = !in
		case ',':
			if !in {
				comma++
			}
		case ';':
			if !in {
				semi++
			}
		case '\t':
			if !in {
				tab++
			}
		case '|':
			if !in {
				pipe++
			}
		}
	}
	best, n, tie := byte(','), comma, false
	for _, x := range [...]struct {
		d byte
		n int
	}{{';', semi}, {'\t', tab}, {'|', pipe}} {
		switch {
		case x.n > n:
			best, n, tie = x.d, x.n, false
		case x.n == n:
			tie = true
		}
	}
	if tie || n == 0 {
		return ','
	}
	return best
}

// win1252 maps the bytes 0x80-0x9F of Windows-1252 to runes. The five bytes
// the code page leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to
// U+FFFD rather than to the C1 controls of the same number (as the WHATWG
// Encoding Standard has it): a C1 control is invisible, passes the checks
// for control characters in names (which look below U+0020 only), and
// U+009D is a terminal's OSC introducer; U+FFFD shows that something was
// wrong with the byte.
var win1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

// decodeWindows1252 appends the UTF-8 form of the Windows-1252 text src to
// dst and returns the result. Bytes 0xA0-0xFF are Latin-1, 0x80-0x9F follow
// the Windows-1252 table (see win1252 for the undefined ones). When src is
// all ASCII it returns src itself, whatever dst is.
func decodeWindows1252(dst, src []byte) []byte {
	i := asciiPrefix(src)
	if i == len(src) {
		return src
	}
	dst = append(dst, src[:i]...)
	for _, c := range src[i:] {
		switch {
		case c < 0x80:
			dst = append(dst, c)
		case c < 0xA0:
			dst = utf8.AppendRune(dst, win1252[c-0x80])
		default:
			dst = append(dst, 0xC0|c>>6, 0x80|c&0x3F)
		}
	}
	return dst
}

// asciiPrefix returns the length of the longest all-ASCII prefix of b.
func asciiPrefix(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			break
		}
	}
	return i
}

// isGzip reports whether b starts like a gzip stream.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// isZip reports whether b starts like a zip archive, such as an XLSX
// workbook.
func isZip(b []byte) bool { return bytes.HasPrefix(b, []byte("PK\x03\x04")) }
