package ingest

// Text encodings. Inputs are UTF-8, Windows-1252 or UTF-16 (Excel's
// "Unicode text"). UTF-16 is decoded to UTF-8 as a stream, before the CSV
// scanner, so that delimiter detection, quoting and line counting work on
// UTF-8 whatever the file; Windows-1252 is decoded chunk by chunk by the
// parse workers (decodeWindows1252). A file read as UTF-8 is checked: a row
// with bytes that are not UTF-8 is rejected, so that nothing but valid
// UTF-8 reaches the records, the rejects or any message.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding names, as Stats.Encoding reports them.
const (
	encUTF8        = "utf-8"
	encWindows1252 = "windows-1252"
	encUTF16LE     = "utf-16le"
	encUTF16BE     = "utf-16be"
)

// encodingOf returns the canonical name of a Format.Encoding, "" when it
// is not set. f.Check has accepted it.
func encodingOf(name string) string {
	switch strings.ToLower(name) {
	case "":
		return ""
	case "utf-8", "utf8":
		return encUTF8
	case "windows-1252", "cp1252":
		return encWindows1252
	case "utf-16le":
		return encUTF16LE
	case "utf-16be":
		return encUTF16BE
	}
	return "utf-16" // either byte order
}

// Byte-order marks.
var (
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF32LE = []byte{0xFF, 0xFE, 0x00, 0x00}
	bomUTF32BE = []byte{0x00, 0x00, 0xFE, 0xFF}
)

// textEncoding decides whether a text input is UTF-16, from the format's
// encoding (canonical, or "" when not set) and the first bytes of the file.
// Not set: a UTF-16 byte-order mark decides, then the NUL pattern of UTF-16
// text without one (utf16Pattern). "utf-16": the byte-order mark, the
// pattern, else little-endian. "utf-16le" and "utf-16be" are taken as they
// are. It returns the UTF-16 encoding to decode, "" for a byte-oriented
// one (UTF-8 or Windows-1252, decided later), and whether it guessed it;
// or an error when the file contradicts the format: a byte-order mark of
// another encoding, or UTF-16 given for text without a NUL byte. UTF-32
// is refused.
func textEncoding(format string, head []byte) (enc string, guessed bool, err error) {
	var bom string
	switch {
	case bytes.HasPrefix(head, bomUTF32LE) || bytes.HasPrefix(head, bomUTF32BE):
		return "", false, errors.New("UTF-32 text, which tailor does not read: save it as UTF-8 (or as .xlsx)")
	case bytes.HasPrefix(head, bomUTF16LE):
		bom = encUTF16LE
	case bytes.HasPrefix(head, bomUTF16BE):
		bom = encUTF16BE
	case bytes.HasPrefix(head, utf8BOM):
		bom = encUTF8
	}
	switch format {
	case "":
		if bom == encUTF16LE || bom == encUTF16BE {
			return bom, true, nil
		}
		if bom == "" {
			if e := utf16Pattern(head); e != "" {
				return e, true, nil
			}
		}
		return "", false, nil
	case encUTF8, encWindows1252:
		if bom == encUTF16LE || bom == encUTF16BE {
			return "", false, fmt.Errorf("the file is UTF-16 (it starts with a %s byte-order mark), not %s: set encoding = \"utf-16\" or leave encoding out",
				bomOrder(bom), format)
		}
		return "", false, nil
	}
	// UTF-16 is given.
	switch {
	case bom == encUTF8:
		return "", false, fmt.Errorf("the file is UTF-8 (it starts with a UTF-8 byte-order mark), not %s: set encoding = \"utf-8\" or leave encoding out", format)
	case bom == "" && len(head) >= 2 && bytes.IndexByte(head, 0) < 0:
		// A header line in UTF-16 has a NUL beside every delimiter.
		return "", false, fmt.Errorf("encoding = %q, but the file has no byte-order mark and none of the NUL bytes of UTF-16 text: it is UTF-8 or Windows-1252; leave encoding out", format)
	case format == "utf-16":
		if bom != "" {
			return bom, false, nil
		}
		if e := utf16Pattern(head); e != "" {
			return e, false, nil
		}
		return encUTF16LE, false, nil // as Windows writes it
	case bom != "" && bom != format:
		return "", false, fmt.Errorf("the file starts with a %s byte-order mark, which contradicts encoding = %q: set encoding = \"utf-16\" or leave encoding out",
			bomOrder(bom), format)
	}
	return format, false, nil
}

func bomOrder(enc string) string {
	if enc == encUTF16BE {
		return "big-endian (FE FF)"
	}
	return "little-endian (FF FE)"
}

// utf16Pattern recognises UTF-16 text without a byte-order mark by its NUL
// bytes: a header line is ASCII, which UTF-16 writes as the character and a
// NUL, in one order or the other. It looks at up to 256 code units and
// wants at least 4: the first must be ASCII, other than NUL, in one order,
// 3 out of 4 must be, and none may be two NULs (U+0000 is not text). It
// returns encUTF16LE, encUTF16BE or "".
func utf16Pattern(head []byte) string {
	n := min(len(head), 512) / 2
	if n < 4 {
		return ""
	}
	var le, be int
	for i := range n {
		lo, hi := head[2*i], head[2*i+1]
		switch {
		case lo == 0 && hi == 0:
			return ""
		case hi == 0 && lo < 0x80:
			le++
		case lo == 0 && hi < 0x80:
			be++
		}
	}
	switch {
	case head[1] == 0 && head[0] != 0 && head[0] < 0x80 && 4*le >= 3*n:
		return encUTF16LE
	case head[0] == 0 && head[1] != 0 && head[1] < 0x80 && 4*be >= 3*n:
		return encUTF16BE
	}
	return ""
}

// utf16Reader decodes UTF-16 text read from r into UTF-8, as a stream: it
// holds at most a buffer of each, whatever the size of the input. A
// byte-order mark becomes the UTF-8 one (which the chunker strips). An
// unpaired surrogate, and an odd byte at the end, become U+FFFD, the
// replacement character, so the output is always valid UTF-8.
type utf16Reader struct {
	r          io.Reader
	be         bool
	in         []byte // in[start:end] is read and not yet decoded
	start, end int
	out        []byte // out[pos:] is decoded and not yet returned
	pos        int
	err        error // of r, returned once out is empty
}

// newUTF16Reader returns a reader of the UTF-8 form of the UTF-16 text of
// r, big-endian when be is set.
func newUTF16Reader(r io.Reader, be bool) *utf16Reader {
	return &utf16Reader{r: r, be: be, in: make([]byte, 32<<10)}
}

// Read reads decoded UTF-8 into p.
func (d *utf16Reader) Read(p []byte) (int, error) {
	for empty := 0; ; {
		if d.pos < len(d.out) {
			n := copy(p, d.out[d.pos:])
			d.pos += n
			return n, nil
		}
		if d.err != nil {
			return 0, d.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		d.end = copy(d.in, d.in[d.start:d.end])
		d.start = 0
		n, err := d.r.Read(d.in[d.end:])
		d.end += n
		if err != nil {
			d.err = err
		} else if n == 0 {
			if empty++; empty == 100 {
				d.err = io.ErrNoProgress
			}
		}
		d.out, d.pos = d.decode(d.out[:0], d.err != nil), 0
	}
}

// decode appends the UTF-8 form of the code units in in[start:end] to dst,
// leaving an incomplete unit, or a high surrogate whose partner is not
// read yet, for next time, unless final.
func (d *utf16Reader) decode(dst []byte, final bool) []byte {
	b := d.in[d.start:d.end]
	i := 0
	unit := func(i int) rune {
		if d.be {
			return rune(b[i])<<8 | rune(b[i+1])
		}
		return rune(b[i]) | rune(b[i+1])<<8
	}
	for ; i+2 <= len(b); i += 2 {
		u := unit(i)
		switch {
		case u < utf8.RuneSelf:
			dst = append(dst, byte(u))
		case !utf16.IsSurrogate(u):
			dst = utf8.AppendRune(dst, u)
		case u < 0xDC00 && i+4 <= len(b):
			if r := utf16.DecodeRune(u, unit(i+2)); r != utf8.RuneError {
				dst = utf8.AppendRune(dst, r)
				i += 2
			} else {
				dst = utf8.AppendRune(dst, utf8.RuneError) // a high surrogate alone
			}
		case u < 0xDC00 && !final:
			d.start += i
			return dst // its partner is in the next read
		default:
			dst = utf8.AppendRune(dst, utf8.RuneError) // a low surrogate alone, or the last unit
		}
	}
	if final && i < len(b) {
		dst = utf8.AppendRune(dst, utf8.RuneError) // an odd byte at the end
		i = len(b)
	}
	d.start += i
	return dst
}

// looksWindows1252 reports whether b, which is not valid UTF-8, reads as
// Windows-1252 text: no byte of the five the code page leaves undefined,
// and no sequence that is valid UTF-8 beyond ASCII (such as "é" as C3 A9),
// which would say that the file is UTF-8 with a few bad bytes, not
// Windows-1252.
func looksWindows1252(b []byte) bool {
	for i := asciiPrefix(b); i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		switch c {
		case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
			return false
		}
		if r, n := utf8.DecodeRune(b[i:]); r != utf8.RuneError || n > 1 {
			return false
		}
		i++
	}
	return true
}

// utf8Error is the scanError.Err of a row that holds bytes that are not
// UTF-8 in a file read as UTF-8. Its message is the same for every row, so
// that rejects group by it; the byte is in the RowError's Detail.
type utf8Error struct {
	b byte // the first byte that is not UTF-8
}

func (e *utf8Error) Error() string { return ErrInvalidUTF8.Error() }
func (e *utf8Error) Unwrap() error { return ErrInvalidUTF8 }

// invalidUTF8 returns the offset of the first byte of b that does not
// start a valid UTF-8 sequence, or -1.
func invalidUTF8(b []byte) int {
	for i := asciiPrefix(b); i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// utf8ScanError places the first byte of raw, a record, that is not UTF-8
// as splitRecord places malformed quoting: its line counted from the
// record's first, and its 1-based byte column in that line. raw must hold
// one.
func utf8ScanError(raw []byte) *scanError {
	at := invalidUTF8(raw)
	lineStart := bytes.LastIndexByte(raw[:at], '\n') + 1
	return &scanError{Line: bytes.Count(raw[:at], newline), Column: at - lineStart + 1, Err: &utf8Error{raw[at]}}
}

// validUTF8 returns s with every byte that is not UTF-8 replaced by
// U+FFFD, one for each byte; s itself when it is valid.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// utf8RowError is the RowError of a row that holds bytes that are not
// UTF-8, from the scanError utf8ScanError made of it: placed at the first
// field holding one (its line, column and name), with the field's text made
// valid (validUTF8), and the byte and its offset in the field as Detail.
func utf8RowError(b *binding, line int, fields [][]byte, serr *scanError) *RowError {
	var ue *utf8Error
	errors.As(serr.Err, &ue)
	e := &RowError{File: b.file, Line: line + serr.Line, Column: serr.Column, Err: ErrInvalidUTF8}
	for i, f := range fields {
		if at := invalidUTF8(f); at >= 0 {
			e.Column, e.Value = i+1, validUTF8(string(f))
			if i < len(b.names) {
				e.Field = b.names[i]
			}
			e.Detail = fmt.Sprintf("byte 0x%02X at byte %d of the field", f[at], at+1)
			return e
		}
	}
	// Not in a field: a quoted field's unescaping never drops bytes, so
	// this cannot happen; report the byte at its place in the line.
	e.Detail = fmt.Sprintf("byte 0x%02X at byte %d of the line", ue.b, serr.Column)
	return e
}

// isUTF8Problem reports whether a row's scanError is bytes that are not
// UTF-8 rather than malformed quoting.
func isUTF8Problem(serr *scanError) bool {
	if serr == nil {
		return false
	}
	_, ok := serr.Err.(*utf8Error)
	return ok
}
