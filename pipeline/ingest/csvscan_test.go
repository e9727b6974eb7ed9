package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tailor-mail/tailor/examples/synth"
)

// delims are the delimiters the scanner supports.
var delims = [...]byte{',', ';', '\t', '|'}

func TestSplitRecord(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		delim    byte
		want     []string // nil: an empty line, zero fields
		n, lines int
		// An error: its kind, line (from the record's first) and column.
		err       error
		errLine   int
		errColumn int
	}{
		{name: "plain", in: "a,b,c\nx,y\n", want: []string{"a", "b", "c"}, n: 6, lines: 1},
		{name: "quoted", in: "\"a\",\"b c\",d\n", want: []string{"a", "b c", "d"}, n: 12, lines: 1},
		{name: "quoted delimiter", in: "\"a,b\",c\n", want: []string{"a,b", "c"}, n: 8, lines: 1},
		{name: "escaped quotes", in: "\"say \"\"hi\"\"\",x\n", want: []string{`say "hi"`, "x"}, n: 15, lines: 1},
		{name: "only an escaped quote", in: "\"\"\"\"\n", want: []string{`"`}, n: 5, lines: 1},
		{name: "quoted empty", in: "\"\",\"\"\n", want: []string{"", ""}, n: 6, lines: 1},
		{name: "embedded newline", in: "\"a\nb\",c\nnext\n", want: []string{"a\nb", "c"}, n: 8, lines: 2},
		{name: "embedded CRLF", in: "\"a\r\nb\",c\r\nnext\r\n", want: []string{"a\nb", "c"}, n: 10, lines: 2},
		{name: "embedded lone CR", in: "\"a\rb\"\n", want: []string{"a\rb"}, n: 6, lines: 1},
		{name: "CRLF terminator", in: "a,b\r\nc\r\n", want: []string{"a", "b"}, n: 5, lines: 1},
		{name: "quoted before CRLF", in: "a,\"b\"\r\nc\r\n", want: []string{"a", "b"}, n: 7, lines: 1},
		{name: "CR inside unquoted field", in: "a\rb,c\n", want: []string{"a\rb", "c"}, n: 6, lines: 1},
		{name: "only one CR dropped", in: "a\r\r\n", want: []string{"a\r"}, n: 4, lines: 1},
		{name: "trailing delimiter", in: "a,b,\n", want: []string{"a", "b", ""}, n: 5, lines: 1},
		{name: "trailing delimiter at EOF", in: "a,b,", want: []string{"a", "b", ""}, n: 4},
		{name: "only a delimiter", in: ",\n", want: []string{"", ""}, n: 2, lines: 1},
		{name: "quoted then trailing delimiter", in: "\"a\",\n", want: []string{"a", ""}, n: 5, lines: 1},
		{name: "empty line", in: "\na\n", n: 1, lines: 1},
		{name: "empty CRLF line", in: "\r\na\n", n: 2, lines: 1},
		{name: "lone CR at EOF is an empty line", in: "\r", n: 1},
		{name: "spaces are a field", in: " \n", want: []string{" "}, n: 2, lines: 1},
		{name: "missing final newline", in: "a,b", want: []string{"a", "b"}, n: 3},
		{name: "missing final newline quoted", in: "a,\"b\"", want: []string{"a", "b"}, n: 5},
		{name: "CR at EOF dropped", in: "a,b\r", want: []string{"a", "b"}, n: 4},
		{name: "quoted CR at EOF dropped", in: "\"a\"\r", want: []string{"a"}, n: 4},
		{name: "bare quote", in: "ab\"c,d\nnext\n", err: csv.ErrBareQuote, errColumn: 3, n: 7, lines: 1},
		{name: "bare quote in second field", in: "a,b\"\nnext\n", err: csv.ErrBareQuote, errColumn: 4, n: 5, lines: 1},
		{name: "leading space before quote", in: "a, \"b\"\n", err: csv.ErrBareQuote, errColumn: 4, n: 7, lines: 1},
		{name: "bare quote at EOF", in: "a\"", err: csv.ErrBareQuote, errColumn: 2, n: 2},
		{name: "bare quote after multiline field", in: "\"a\nb\",c\"d\nnext\n", err: csv.ErrBareQuote, errLine: 1, errColumn: 5, n: 10, lines: 2},
		{name: "text after closing quote", in: "\"a\"b,c\nnext\n", err: csv.ErrQuote, errColumn: 3, n: 7, lines: 1},
		{name: "text after closing quote, next line", in: "x,\"a\nb\"c\nnext\n", err: csv.ErrQuote, errLine: 1, errColumn: 2, n: 9, lines: 2},
		{name: "CR CR LF after closing quote", in: "\"a\"\r\r\nnext\n", err: csv.ErrQuote, errColumn: 3, n: 6, lines: 1},
		{name: "unterminated quote", in: "\"abc\ndef\n", err: csv.ErrQuote, errLine: 1, errColumn: 5, n: 9, lines: 2},
		{name: "unterminated quote without newline", in: "a,\"bc", err: csv.ErrQuote, errColumn: 6, n: 5},
		{name: "unterminated quote CRLF", in: "\"abc\r\n", err: csv.ErrQuote, errColumn: 6, n: 6, lines: 1},
		// The final '\r' is dropped, so the error is at the end of line 1.
		{name: "unterminated quote, CR at EOF", in: "\"\n\r", err: csv.ErrQuote, errColumn: 3, n: 3, lines: 1},
		{name: "semicolon", in: "a;\"b;c\";d\n", delim: ';', want: []string{"a", "b;c", "d"}, n: 10, lines: 1},
		{name: "semicolon keeps commas", in: "1,50;x\n", delim: ';', want: []string{"1,50", "x"}, n: 7, lines: 1},
		{name: "tab", in: "a\tb\t\"c\td\"\n", delim: '\t', want: []string{"a", "b", "c\td"}, n: 10, lines: 1},
		{name: "pipe", in: "a|b||c\n", delim: '|', want: []string{"a", "b", "", "c"}, n: 7, lines: 1},
		{name: "comma after quote with other delimiter", in: "\"a\",b\n", delim: ';', err: csv.ErrQuote, errColumn: 3, n: 6, lines: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			delim := tt.delim
			if delim == 0 {
				delim = ','
			}
			fields, _, n, lines, serr := splitRecord([]byte(tt.in), delim, nil, nil)
			if n != tt.n || lines != tt.lines {
				t.Errorf("n, lines = %d, %d; want %d, %d", n, lines, tt.n, tt.lines)
			}
			if tt.err != nil {
				if serr == nil {
					t.Fatalf("no error, fields %q; want %v", fields, tt.err)
				}
				if serr.Err != tt.err || serr.Line != tt.errLine || serr.Column != tt.errColumn {
					t.Errorf("error %+v; want line +%d column %d: %v", serr, tt.errLine, tt.errColumn, tt.err)
				}
				return
			}
			if serr != nil {
				t.Fatalf("error %v", serr)
			}
			if got := strs(fields); !slices.Equal(got, tt.want) {
				t.Errorf("fields %q; want %q", got, tt.want)
			}
		})
	}
}

func strs(fields [][]byte) []string {
	var out []string
	for _, f := range fields {
		out = append(out, string(f))
	}
	return out
}

// TestSplitRecordReuse checks that fields are sub-slices of data, that
// unescaped fields share scratch, and that no record allocates once the
// buffers have grown.
func TestSplitRecordReuse(t *testing.T) {
	data := []byte("C1,2026-01-02,12.50,USD,5411,\"Olive \"\"&\"\" Thyme\",online,US\nC2,2026-01-03,3.10,USD,5812,Cafe,in_store,US\n")
	fields, scratch, n, _, _ := splitRecord(data, ',', nil, nil)
	if &fields[0][0] != &data[0] {
		t.Error("unquoted field is a copy")
	}
	if got := string(fields[5]); got != `Olive "&" Thyme` {
		t.Errorf("field 5 = %q", got)
	}
	if &fields[5][0] != &scratch[0] {
		t.Error("unescaped field is not in scratch")
	}
	allocs := testing.AllocsPerRun(100, func() {
		for off := 0; off < len(data); off += n {
			fields, scratch, n, _, _ = splitRecord(data[off:], ',', fields, scratch)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run; want 0", allocs)
	}
}

// TestChunker checks cuts, line numbers and the byte-order mark.
func TestChunker(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		size  int
		delim byte // 0: detect
		want  []string
		lines []int
		// wantDelim is the delimiter the chunker uses.
		wantDelim byte
	}{
		{name: "one chunk", in: "h1,h2\na,b\n", size: 100, want: []string{"h1,h2\na,b\n"}, lines: []int{1}, wantDelim: ','},
		{name: "record per chunk", in: "h\na\nb\n", size: 2, want: []string{"h\n", "a\n", "b\n"}, lines: []int{1, 2, 3}, wantDelim: ','},
		{name: "cut at last boundary", in: "a\nb\nccc\n", size: 5, want: []string{"a\nb\n", "ccc\n"}, lines: []int{1, 3}, wantDelim: ','},
		{name: "long record grows", in: "a\nbbbbbbbbbb\nc\n", size: 3, want: []string{"a\n", "bbbbbbbbbb\n", "c\n"}, lines: []int{1, 2, 3}, wantDelim: ','},
		{name: "BOM", in: "\xEF\xBB\xBFh;i\na;b\n", size: 100, want: []string{"h;i\na;b\n"}, lines: []int{1}, wantDelim: ';'},
		{name: "missing final newline", in: "h\na\nb", size: 2, want: []string{"h\n", "a\n", "b"}, lines: []int{1, 2, 3}, wantDelim: ','},
		{name: "empty lines", in: "h\n\n\na\n", size: 2, want: []string{"h\n", "\n\n", "a\n"}, lines: []int{1, 2, 4}, wantDelim: ','},
		{name: "quoted newline is not cut", in: "h\n\"a\nb\nc\",d\ne\n", size: 4, want: []string{"h\n", "\"a\nb\nc\",d\n", "e\n"}, lines: []int{1, 2, 5}, wantDelim: ','},
		{name: "quoted CRLF", in: "h\r\n\"a\r\nb\"\r\ne\r\n", size: 4, want: []string{"h\r\n", "\"a\r\nb\"\r\n", "e\r\n"}, lines: []int{1, 2, 4}, wantDelim: ','},
		{name: "escaped quote and newline", in: "\"\"\"\n\"\nx\n", size: 2, want: []string{"\"\"\"\n\"\n", "x\n"}, lines: []int{1, 3}, wantDelim: ','},
		// A bare quote ends its record at the end of the line, as in
		// encoding/csv, so quote parity does not carry over.
		{name: "bare quote", in: "h\n12\" sub\na\nb\n", size: 2, want: []string{"h\n", "12\" sub\n", "a\n", "b\n"}, lines: []int{1, 2, 3, 4}, wantDelim: ','},
		{name: "text after closing quote", in: "\"a\"x\"\nb\n", size: 2, want: []string{"\"a\"x\"\n", "b\n"}, lines: []int{1, 2}, wantDelim: ','},
		{name: "given delimiter", in: "\"a\";\"b\nc\"\nd\n", size: 2, delim: ';', want: []string{"\"a\";\"b\nc\"\n", "d\n"}, lines: []int{1, 3}, wantDelim: ';'},
		// With ',' the same bytes are two malformed lines.
		{name: "delimiter matters", in: "\"a\";\"b\nc\"\nd\n", size: 2, delim: ',', want: []string{"\"a\";\"b\n", "c\"\n", "d\n"}, lines: []int{1, 2, 3}, wantDelim: ','},
		{name: "detected tab", in: "a\tb,c\tx\n1\t2\t3\n", size: 100, want: []string{"a\tb,c\tx\n1\t2\t3\n"}, lines: []int{1}, wantDelim: '\t'},
		{name: "far quotes", in: "h\n" + strings.Repeat("a", 100) + ",\"x\ny\"\n" + strings.Repeat("b", 70) + "\n", size: 10,
			want: []string{"h\n", strings.Repeat("a", 100) + ",\"x\ny\"\n", strings.Repeat("b", 70) + "\n"}, lines: []int{1, 2, 4}, wantDelim: ','},
		{name: "empty input", in: "", size: 10, wantDelim: ','},
		{name: "only a BOM", in: "\xEF\xBB\xBF", size: 10, wantDelim: ','},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChunker(iotest.HalfReader(strings.NewReader(tt.in)), tt.size)
			if tt.delim != 0 {
				c.setDelimiter(tt.delim)
			}
			var got []string
			var lines []int
			for seq := 0; ; seq++ {
				ch, err := c.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if ch.seq != seq {
					t.Errorf("chunk %d has seq %d", seq, ch.seq)
				}
				got = append(got, string(ch.data))
				lines = append(lines, ch.line)
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(lines, tt.lines) {
				t.Errorf("chunks %q at lines %v; want %q at %v", got, lines, tt.want, tt.lines)
			}
			if d := c.delimiter(); d != tt.wantDelim {
				t.Errorf("delimiter %q; want %q", d, tt.wantDelim)
			}
			if _, err := c.next(); err != io.EOF {
				t.Errorf("next after the end: %v; want io.EOF", err)
			}
		})
	}
}

func TestScanError(t *testing.T) {
	_, _, _, _, serr := splitRecord([]byte("\"a\nb\"c\n"), ',', nil, nil)
	if got, want := serr.Error(), "1 lines into the record, column 2: "+csv.ErrQuote.Error(); got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	_, _, _, _, serr = splitRecord([]byte("a\"\n"), ',', nil, nil)
	if got, want := serr.Error(), "column 2: "+csv.ErrBareQuote.Error(); got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if !errors.Is(serr, csv.ErrBareQuote) {
		t.Error("errors.Is(serr, csv.ErrBareQuote) is false")
	}
}

func TestChunkerReadError(t *testing.T) {
	boom := errors.New("boom")
	c := newChunker(io.MultiReader(strings.NewReader("a\nb\n"), iotest.ErrReader(boom)), 2)
	var err error
	for err == nil {
		_, err = c.next()
	}
	if err != boom {
		t.Errorf("error %v; want %v", err, boom)
	}
	if _, err := c.next(); err != boom {
		t.Errorf("error again %v; want %v", err, boom)
	}
}

func TestChunkerRelease(t *testing.T) {
	in := strings.Repeat("a,b\n", 100)
	c := newChunker(strings.NewReader(in), 16)
	first, err := c.next()
	if err != nil {
		t.Fatal(err)
	}
	joined := bytes.Clone(first.data)
	c.release(first)
	reused := false
	for {
		ch, err := c.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if &ch.buf[:1][0] == &first.buf[:1][0] {
			reused = true
		}
		joined = append(joined, ch.data...)
		c.release(ch)
	}
	if string(joined) != in {
		t.Errorf("chunks join to %q", joined)
	}
	if !reused {
		t.Error("a released buffer was not reused")
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want byte
	}{
		{"comma", "cardholder_id,posted_on,amount", ','},
		{"semicolon", "cardholder_id;posted_on;amount", ';'},
		{"tab", "cardholder_id\tposted_on\tamount", '\t'},
		{"pipe", "cardholder_id|posted_on|amount", '|'},
		{"none", "cardholder_id", ','},
		{"empty", "", ','},
		{"tie", "a;b|c", ','},
		{"tie with comma", "a,b;c", ','},
		{"most wins", "a;b;c,d", ';'},
		{"inside quotes ignored", "\"a;b;c\",d", ','},
		{"outside quotes counted", "\"a,b,c\";d", ';'},
		{"only the first line", "a;b\nc,d,e,f", ';'},
		{"quoted line break", "\"x\ny,z,w\";b\nc,d,e", ';'},
		{"CRLF", "a|b\r\n", '|'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := detectDelimiter([]byte(tt.in)); got != tt.want {
				t.Errorf("detectDelimiter(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeWindows1252(t *testing.T) {
	tests := []struct {
		name string
		dst  string
		in   string
		want string
	}{
		{"euro", "", "\x80", "€"},
		{"right single quote", "", "O\x92Brien", "O’Brien"},
		{"e acute", "", "caf\xE9", "café"},
		{"Latin-1 range", "", "\xA0\xC0\xFF", "\u00A0Àÿ"},
		{"table ends", "", "\x8A\x9F", "ŠŸ"},
		{"undefined bytes", "", "\x81\x8D\x8F\x90\x9D", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"long ASCII prefix", "", "0123456789abcdef\xE9", "0123456789abcdefé"},
		{"appends to dst", "x", "\xE9", "xé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(decodeWindows1252([]byte(tt.dst), []byte(tt.in))); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
	t.Run("ASCII passthrough", func(t *testing.T) {
		src := []byte("C1,2026-01-02,12.50,USD,5411,Cafe,online,US\n")
		got := decodeWindows1252(make([]byte, 0, 100), src)
		if &got[0] != &src[0] || len(got) != len(src) {
			t.Error("ASCII input is not returned as it is")
		}
	})
}

func TestSniff(t *testing.T) {
	tests := []struct {
		in         string
		gzip, zip_ bool
	}{
		{"\x1f\x8b\x08\x00", true, false},
		{"PK\x03\x04\x14\x00", false, true},
		{"PK\x05\x06", false, false},
		{"\x1f", false, false},
		{"a,b\n", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := isGzip([]byte(tt.in)); got != tt.gzip {
			t.Errorf("isGzip(%q) = %v", tt.in, got)
		}
		if got := isZip([]byte(tt.in)); got != tt.zip_ {
			t.Errorf("isZip(%q) = %v", tt.in, got)
		}
	}
}

// scanSeeds are inputs for the fuzz tests.
var scanSeeds = []string{
	"a,b,c\n1,2,3\n",
	"a;b\r\n\"x;y\";\"z\"\"w\"\r\n",
	"\"a\nb\",c\n\n\nd\te|f\n",
	"ab\"c,d\nnext\n\"a\"b\n\"unterminated\nline\n",
	"\"a\"\r\r\n\r\n\r",
	"x,\"a\nb\"c\n\"\"\"\n\"\n",
	"\xEF\xBB\xBFh1,h2\n\"q\",\n",
	"a\"\n\"b\nc\n",
	"\"a\";\"b\nc\"\nd\n",
	"\"\r\n\"\r\n",
	// Quote-dense inputs, cut 64 bytes at a time.
	strings.Repeat("\"C0000001\",\"2025-10-10\",\"8.31\",\"USD\",\"5814\",\"Slice \"\"Avenue\"\" Pizza\",\"in_store\",\"US\"\r\n", 4),
	strings.Repeat("\"a\",\"b\nc\",\"\"\"\"\";", 12) + "\"x\"y,\"z\"\n" + strings.Repeat("\"q\",", 20) + "\n",
	strings.Repeat("\"ab\",", 15) + "c\"d\"\n" + strings.Repeat("\"e\"\r\n", 20),
	// Unquoted lines longer than the 64 bytes the AVX2 kernel takes.
	strings.Repeat("C0000001,2025-10-10,8.31,USD,5814,Slice Avenue Pizza,in_store,US\n", 3) + "C0000001,2025-10-20,21.99",
	"C0000002;2026-01-12;37,88;EUR;5814;Caf\xe9 du Nord;in_store;FR\r\n\r\nC0000002;2026-01-13;1,50;EUR;5814;Le \"12\";online;FR\r\n",
	strings.Repeat("a|", 40) + "\n" + strings.Repeat("\t", 70) + "\r",
}

// csvRecord is a record, or an error, as a scanner sees it.
type csvRecord struct {
	line   int
	fields []string
	err    error // csv.ErrQuote or csv.ErrBareQuote
	// errLine and errColumn place an error as csv.ParseError's Line and
	// Column do.
	errLine, errColumn int
}

// splitAll splits data, whose first line is line, into records with
// splitRecord.
func splitAll(t *testing.T, data []byte, delim byte, line int) []csvRecord {
	var (
		out     []csvRecord
		fields  [][]byte
		scratch []byte
	)
	for len(data) > 0 {
		var n, lines int
		var serr *scanError
		fields, scratch, n, lines, serr = splitRecord(data, delim, fields, scratch)
		if n <= 0 || n > len(data) {
			t.Fatalf("splitRecord(%q) consumed %d bytes", data, n)
		}
		if c := bytes.Count(data[:n], newline); c != lines {
			t.Fatalf("splitRecord(%q) counted %d lines in %q; want %d", data, lines, data[:n], c)
		}
		switch {
		case serr != nil:
			out = append(out, csvRecord{line: line, err: serr.Err, errLine: line + serr.Line, errColumn: serr.Column})
		case len(fields) > 0:
			out = append(out, csvRecord{line: line, fields: strs(fields)})
		}
		data = data[n:]
		line += lines
	}
	return out
}

// FuzzSplitRecord checks splitRecord against encoding/csv and, on amd64
// with AVX2, the assembly kernel against the Go code.
func FuzzSplitRecord(f *testing.F) {
	for _, s := range scanSeeds {
		for d := range delims {
			f.Add([]byte(s), uint8(d))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, d uint8) {
		delim := delims[int(d)%len(delims)]
		checkAssembly(t, data, delim)
		got := splitAll(t, data, delim, 1)
		r := csv.NewReader(bytes.NewReader(data))
		r.Comma = rune(delim)
		r.FieldsPerRecord = -1
		for i := 0; ; i++ {
			rec, err := r.Read()
			if err == io.EOF {
				if i != len(got) {
					t.Fatalf("%q: encoding/csv has %d records, splitRecord %d: %+v", data, i, len(got), got[i:])
				}
				return
			}
			if i == len(got) {
				t.Fatalf("%q: splitRecord has %d records, encoding/csv more: %q, %v", data, len(got), rec, err)
			}
			g := got[i]
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				want := csvRecord{line: pe.StartLine, err: pe.Err, errLine: pe.Line, errColumn: pe.Column}
				if g.err == nil || g.line != want.line || g.err != want.err || g.errLine != want.errLine || g.errColumn != want.errColumn {
					t.Fatalf("%q: record %d: splitRecord %+v; encoding/csv %+v", data, i, g, want)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			line, _ := r.FieldPos(0)
			if g.err != nil || g.line != line || !slices.Equal(g.fields, rec) {
				t.Fatalf("%q: record %d: splitRecord %+v; encoding/csv %q at line %d", data, i, g, rec, line)
			}
		}
	})
}

func FuzzChunker(f *testing.F) {
	for _, s := range scanSeeds {
		for d := range len(delims) + 1 {
			f.Add([]byte(s), uint8(d), uint8(d*7), d%2 == 0, d%3 == 0)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, d, size uint8, oneByte, release bool) {
		checkChunker(t, data, int(d)%(len(delims)+1), 1+int(size), oneByte, release)
	})
}

// TestChunkerDense checks the chunker on random inputs full of quotes,
// delimiters and line breaks, where it takes 64 bytes at a time, against
// splitting the whole input.
func TestChunkerDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{`"`, `"`, `""`, ",", ",", ";", "\n", "\r\n", "\r", "ab", "c", `","`, "\",\""}
	for range 2000 {
		var b []byte
		for range rng.IntN(400) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		// Mostly well-formed: quote most records whole.
		if rng.IntN(2) == 0 {
			var w []byte
			for _, rec := range bytes.SplitAfter(b, []byte("\n")) {
				w = append(w, '"')
				w = append(w, bytes.ReplaceAll(bytes.TrimSuffix(rec, []byte("\n")), []byte(`"`), []byte(`""`))...)
				w = append(w, "\"\n"...)
			}
			b = w
		}
		checkChunker(t, b, rng.IntN(len(delims)+1), 1+rng.IntN(300), rng.IntN(4) == 0, rng.IntN(2) == 0)
		if t.Failed() {
			return
		}
	}
}

// checkChunker cuts data with the chunker, with delimiter delims[d] or,
// when d is len(delims), the detected one, and checks that splitting the
// chunks gives the records, errors and lines of splitting the whole input.
func checkChunker(t *testing.T, data []byte, d, size int, oneByte, release bool) {
	t.Helper()
	var r io.Reader = bytes.NewReader(data)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	c := newChunker(r, size)
	body := bytes.TrimPrefix(data, utf8BOM)
	delim := detectDelimiter(body)
	if d < len(delims) {
		delim = delims[d]
		c.setDelimiter(delim)
	}
	// Without release, cut everything before splitting: chunks stay valid
	// and unchanged after later calls. With release, split each chunk and
	// give its buffer back before the next call.
	var (
		chunks []chunk
		copies [][]byte
		joined []byte
		got    []csvRecord
	)
	take := func(ch chunk) {
		if want := 1 + bytes.Count(joined, newline); ch.line != want {
			t.Fatalf("%q: chunk %d starts at line %d; want %d", data, ch.seq, ch.line, want)
		}
		joined = append(joined, ch.data...)
		got = append(got, splitAll(t, ch.data, delim, ch.line)...)
	}
	for i := 0; ; i++ {
		ch, err := c.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ch.seq != i || len(ch.data) == 0 {
			t.Fatalf("%q: chunk %d: seq %d, %d bytes", data, i, ch.seq, len(ch.data))
		}
		chunks = append(chunks, ch)
		copies = append(copies, bytes.Clone(ch.data))
		if release {
			take(ch)
			c.release(ch)
		}
	}
	if !release {
		for i, ch := range chunks {
			if !bytes.Equal(ch.data, copies[i]) {
				t.Fatalf("%q: chunk %d changed after later calls", data, i)
			}
			take(ch)
		}
	}
	if c.delimiter() != delim {
		t.Fatalf("%q: delimiter %q; want %q", data, c.delimiter(), delim)
	}
	if !bytes.Equal(joined, body) {
		t.Fatalf("%q: chunks join to %q", data, joined)
	}
	want := splitAll(t, body, delim, 1)
	if len(got) != len(want) {
		t.Fatalf("%q (delimiter %q, size %d) in %q: chunks give %d records, the whole %d:\n%+v\n%+v", data, delim, size, chunkTexts(chunks), len(got), len(want), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.line != w.line || g.err != w.err || g.errLine != w.errLine || g.errColumn != w.errColumn || !slices.Equal(g.fields, w.fields) {
			t.Fatalf("%q (delimiter %q, size %d) in %q: record %d: chunks give %+v, the whole %+v", data, delim, size, chunkTexts(chunks), i, g, w)
		}
	}
}

func chunkTexts(chunks []chunk) []string {
	var s []string
	for _, ch := range chunks {
		s = append(s, string(ch.data))
	}
	return s
}

// benchCSV returns about 50 MB of transactions as examples/synth writes
// them.
var benchCSV = sync.OnceValues(func() ([]byte, error) {
	var buf bytes.Buffer
	// 40,000 cardholders make about 51 MB (100,000 make 128 MB).
	_, err := synth.Generate(context.Background(), synth.Config{
		Cardholders: 40000,
		EndMonth:    time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
	}, io.Discard, &buf)
	return buf.Bytes(), err
})

// quotedCSV is benchCSV with every field quoted, as some exports write.
var quotedCSV = sync.OnceValues(func() ([]byte, error) {
	data, err := benchCSV()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(data)*13/10)
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for i, f := range rec {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, '"')
			out = append(out, strings.ReplaceAll(f, `"`, `""`)...)
			out = append(out, '"')
		}
		out = append(out, '\n')
	}
})

// benchInputs are the inputs of the benchmarks.
var benchInputs = []struct {
	name string
	data func() ([]byte, error)
}{
	{"plain", benchCSV},
	{"quoted", quotedCSV},
}

// BenchmarkChunkerSplit cuts the input into chunks and splits every record,
// in one goroutine. With release, chunk buffers are given back for reuse.
func BenchmarkChunkerSplit(b *testing.B) {
	for _, in := range benchInputs {
		for _, release := range []bool{false, true} {
			name := in.name + "/fresh"
			if release {
				name = in.name + "/release"
			}
			b.Run(name, func(b *testing.B) {
				data, err := in.data()
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var (
					fields  [][]byte
					scratch []byte
				)
				for b.Loop() {
					c := newChunker(bytes.NewReader(data), defaultChunkSize)
					for {
						ch, err := c.next()
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
						for d := ch.data; len(d) > 0; {
							var n int
							var serr *scanError
							fields, scratch, n, _, serr = splitRecord(d, c.delimiter(), fields, scratch)
							if serr != nil {
								b.Fatal(serr)
							}
							d = d[n:]
						}
						if release {
							c.release(ch)
						}
					}
				}
			})
		}
	}
}

// BenchmarkSplitRecord splits every record of the input in one piece,
// without the chunker.
func BenchmarkSplitRecord(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			data, err := in.data()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var (
				fields  [][]byte
				scratch []byte
			)
			for b.Loop() {
				for d := data; len(d) > 0; {
					var n int
					fields, scratch, n, _, _ = splitRecord(d, ',', fields, scratch)
					d = d[n:]
				}
			}
		})
	}
}

// BenchmarkEncodingCSV reads the same inputs with encoding/csv, reusing the
// record.
func BenchmarkEncodingCSV(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			data, err := in.data()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r := csv.NewReader(bytes.NewReader(data))
				r.FieldsPerRecord = -1
				r.ReuseRecord = true
				for {
					_, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
