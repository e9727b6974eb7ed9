package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Bytes encodes s as UTF-16, little-endian unless be, with the
// byte-order mark when bom is set.
func utf16Bytes(s string, be, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if be {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

// unicodeText is a transactions file as Excel's "Unicode text" export
// writes it, before encoding: tab-separated, CRLF, with letters beyond
// Latin-1 and a character beyond the Basic Multilingual Plane (a surrogate
// pair in UTF-16).
const unicodeText = "cardholder_id\tposted_on\tamount\tmcc\tmerchant\r\n" +
	"C1\t2026-10-01\t42.10\t5812\tCafé Łódź\r\n" +
	"C1\t2026-10-02\t3.00\t5411\t\"Deli 🍕, \"\"Best\"\"\"\r\n" +
	"C1\t2026-10-03\tx\t5411\tShop\r\n"

func TestUTF16Input(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		encoding string // Format.Encoding
		want     string // Stats.Encoding
		detected bool
	}{
		{"LE with BOM (Excel's Unicode text)", utf16Bytes(unicodeText, false, true), "", "utf-16le", true},
		{"BE with BOM", utf16Bytes(unicodeText, true, true), "", "utf-16be", true},
		{"LE without BOM", utf16Bytes(unicodeText, false, false), "", "utf-16le", true},
		{"BE without BOM", utf16Bytes(unicodeText, true, false), "", "utf-16be", true},
		{"utf-16 given, BOM", utf16Bytes(unicodeText, true, true), "utf-16", "utf-16be", false},
		{"utf-16 given, no BOM", utf16Bytes(unicodeText, false, false), "UTF-16", "utf-16le", false},
		{"utf-16le given, BOM", utf16Bytes(unicodeText, false, true), "utf-16le", "utf-16le", false},
		{"utf-16be given, no BOM", utf16Bytes(unicodeText, true, false), "utf-16be", "utf-16be", false},
	}
	for _, tt := range tests {
		for _, size := range []int{0, 7} { // one chunk; a chunk per record
			t.Run(fmt.Sprintf("%s/chunk %d", tt.name, size), func(t *testing.T) {
				var rej recorder
				st, merchants, err := ReadTransactions(context.Background(), iotest.HalfReader(bytes.NewReader(tt.in)), "t.txt",
					Options{Classifier: classes{}, Format: Format{Encoding: tt.encoding}, chunkSize: size},
					NewCardholderSet([]Cardholder{{ID: "C1"}}), &rej, func([]Record) error { return nil })
				if err != nil {
					t.Fatal(err)
				}
				if st.Read != 3 || st.Accepted != 2 || st.Rejected != 1 || st.Encoding != tt.want || st.EncodingDetected != tt.detected {
					t.Errorf("stats %+v; want 3 read, 2 accepted, 1 rejected, encoding %s (detected %v)", st, tt.want, tt.detected)
				}
				if got := merchants.Name(MerchantKey([]byte("Café Łódź"))); got != "Café Łódź" {
					t.Errorf("merchant = %q", got)
				}
				if got := merchants.Name(MerchantKey([]byte(`Deli 🍕, "Best"`))); got != `Deli 🍕, "Best"` {
					t.Errorf("quoted merchant = %q", got)
				}
				want := `t.txt:4:3: amount "x": not a number`
				if len(rej.errs) != 1 || rej.errs[0].Error() != want || rej.raw[0] != "C1\t2026-10-03\tx\t5411\tShop\r\n" {
					t.Errorf("rejects %v %q; want %s", rej.errs, rej.raw, want)
				}
			})
		}
	}
}

func TestEncodingErrors(t *testing.T) {
	tests := []struct {
		name, encoding string
		in             []byte
		want           string
	}{
		{"UTF-16 but utf-8 given", "utf-8", utf16Bytes(unicodeText, false, true),
			`ingest: t.txt: the file is UTF-16 (it starts with a little-endian (FF FE) byte-order mark), not utf-8: set encoding = "utf-16" or leave encoding out`},
		{"UTF-16 but windows-1252 given", "cp1252", utf16Bytes(unicodeText, true, true),
			`ingest: t.txt: the file is UTF-16 (it starts with a big-endian (FE FF) byte-order mark), not windows-1252: set encoding = "utf-16" or leave encoding out`},
		{"byte order contradicts", "utf-16be", utf16Bytes(unicodeText, false, true),
			`ingest: t.txt: the file starts with a little-endian (FF FE) byte-order mark, which contradicts encoding = "utf-16be": set encoding = "utf-16" or leave encoding out`},
		{"UTF-8 but utf-16 given", "utf-16", []byte("\xEF\xBB\xBFcardholder_id,posted_on,amount,mcc\n"),
			`ingest: t.txt: the file is UTF-8 (it starts with a UTF-8 byte-order mark), not utf-16: set encoding = "utf-8" or leave encoding out`},
		{"plain text but utf-16 given", "utf-16le", []byte("cardholder_id,posted_on,amount,mcc\n"),
			`ingest: t.txt: encoding = "utf-16le", but the file has no byte-order mark and none of the NUL bytes of UTF-16 text: it is UTF-8 or Windows-1252; leave encoding out`},
		{"UTF-32", "", []byte("\xFF\xFE\x00\x00c\x00\x00\x00"),
			`ingest: t.txt: UTF-32 text, which tailor does not read: save it as UTF-8 (or as .xlsx)`},
		{"unknown encoding", "latin-9", []byte("a\n"),
			`ingest: t.txt: encoding "latin-9": want utf-8, windows-1252, utf-16, utf-16le or utf-16be`},
		{"header not UTF-8, utf-8 given", "utf-8", []byte("cardholder_id,posted_on,amount,mcc,W\xe4hrung\nC1,2026-10-01,1.00,5812,EUR\n"),
			`ingest: t.txt:1:37: header: not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0xE4)`},
		{"header not UTF-8, mixed", "", []byte("cardholder_id,posted_on,amount,mcc,W\xe4hrung,Zoë\nC1,2026-10-01,1.00,5812,EUR,x\n"),
			`ingest: t.txt:1:37: header: not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0xE4)`},
		{"UTF-16 with no BOM and no pattern, utf-8", "", []byte("c\x00a\x00r\x00\x00\x00"),
			`ingest: t.txt:1: not a CSV file: binary data (is it a spreadsheet saved in another format, or compressed with something other than gzip?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadTransactions(context.Background(), bytes.NewReader(tt.in), "t.txt",
				Options{Classifier: classes{}, Format: Format{Encoding: tt.encoding}}, NewCardholderSet([]Cardholder{{ID: "C1"}}), nil,
				func([]Record) error { return nil })
			var fe *FileError
			if !errors.As(err, &fe) || err.Error() != tt.want {
				t.Errorf("error = %v\nwant %s", err, tt.want)
			}
		})
	}
}

// countingReader counts the bytes read from it. The count is read from
// another goroutine than the one that reads (the sink's), hence atomic.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// utf16Source writes n transactions as UTF-16LE with a BOM, on demand.
type utf16Source struct {
	n, i int
	buf  []byte
}

func (s *utf16Source) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		switch {
		case s.i == 0:
			s.buf = utf16Bytes("cardholder_id\tposted_on\tamount\tmcc\tmerchant\r\n", false, true)
		case s.i > s.n:
			return 0, io.EOF
		default:
			s.buf = utf16Bytes("C1\t2026-10-01\t42.10\t5812\tCafé Ångström\r\n", false, false)
		}
		s.i++
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// A large UTF-16 file is decoded as it is read: when the first records
// reach the sink, only a few chunks of it have been read.
func TestUTF16Streams(t *testing.T) {
	const rows = 400_000 // 36 MB of UTF-16
	src := &countingReader{r: &utf16Source{n: rows}}
	var atFirst int64 = -1
	total := 0
	st, _, err := ReadTransactions(context.Background(), src, "big.txt", Options{Classifier: classes{}, Workers: 1},
		NewCardholderSet([]Cardholder{{ID: "C1"}}), nil, func(rs []Record) error {
			if atFirst < 0 {
				atFirst = src.n.Load()
			}
			total += len(rs)
			return nil
		})
	if err != nil || st.Accepted != rows || total != rows {
		t.Fatalf("%+v, %d records, %v", st, total, err)
	}
	if n := src.n.Load(); n < 30<<20 {
		t.Fatalf("read %d bytes, want the whole 36 MB", n)
	}
	// 1 MB chunks of UTF-8 are about 1.9 MB of this UTF-16; a few are in
	// flight at once.
	if atFirst > 16<<20 {
		t.Errorf("%d bytes read before the first records came out: the input is not streamed", atFirst)
	}
}

// utf16Reference decodes b as the standard library does: unpaired
// surrogates, and an odd last byte, become U+FFFD.
func utf16Reference(b []byte, be bool) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		if be {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
	}
	s := string(utf16.Decode(units))
	if len(b)%2 == 1 {
		s += "\uFFFD"
	}
	return s
}

func TestUTF16Reader(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		be   bool
		want string
	}{
		{"ASCII", []byte("a\x00,\x00b\x00\n\x00"), false, "a,b\n"},
		{"BOM kept as UTF-8 BOM", []byte("\xFF\xFEa\x00"), false, "\uFEFFa"},
		{"big-endian", []byte("\x00a\x00\xE9\x20\xAC"), true, "aé€"},
		{"surrogate pair", utf16Bytes("x🍕y", false, false), false, "x🍕y"},
		{"lone high surrogate", []byte("\x3D\xD8a\x00"), false, "\uFFFDa"},
		{"lone low surrogate", []byte("\x55\xDCa\x00"), false, "\uFFFDa"},
		{"high surrogate at the end", []byte("a\x00\x3D\xD8"), false, "a\uFFFD"},
		{"two high surrogates then a low one", []byte("\x3D\xD8\x3D\xD8\x55\xDC"), false, "\uFFFD\U0001F455"},
		{"odd byte at the end", []byte("a\x00b"), false, "a\uFFFD"},
		{"empty", nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{bytes.NewReader(tt.in), iotest.OneByteReader(bytes.NewReader(tt.in)), iotest.DataErrReader(bytes.NewReader(tt.in))} {
				got, err := io.ReadAll(newUTF16Reader(r, tt.be))
				if err != nil || string(got) != tt.want {
					t.Errorf("got %q, %v; want %q", got, err, tt.want)
				}
			}
			if ref := utf16Reference(tt.in, tt.be); ref != tt.want {
				t.Errorf("the standard library decodes %q", ref)
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		_, err := io.ReadAll(newUTF16Reader(iotest.TimeoutReader(bytes.NewReader([]byte("a\x00b\x00"))), false))
		if !errors.Is(err, iotest.ErrTimeout) {
			t.Errorf("error %v, want %v", err, iotest.ErrTimeout)
		}
	})
}

func FuzzUTF16Reader(f *testing.F) {
	f.Add(utf16Bytes(unicodeText, false, true), false, uint8(1))
	f.Add(utf16Bytes(unicodeText, true, false), true, uint8(3))
	f.Add([]byte("\x3D\xD8\x3D\xD8\x55\xDC\x00"), false, uint8(0))
	f.Add([]byte("\xD8\x3D\xDC"), true, uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, be bool, step uint8) {
		want := utf16Reference(in, be)
		// Read in pieces of step+1 bytes, so that pairs and units split.
		r := newUTF16Reader(&stepReader{b: in, step: int(step)%7 + 1}, be)
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("output %q is not UTF-8", got)
		}
	})
}

// stepReader returns at most step bytes a read.
type stepReader struct {
	b    []byte
	step int
}

func (s *stepReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), s.step)], s.b)
	s.b = s.b[n:]
	return n, nil
}

func TestUTF16Pattern(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"a\x00b\x00c\x00d\x00", encUTF16LE},
		{"\x00a\x00b\x00c\x00d", encUTF16BE},
		{"a\x00b\x00", ""},                       // too short to tell
		{"a\x00b\x00\x00\x00d\x00", ""},          // U+0000 is not text
		{"a\x00\x00b\x00c\x00d", ""},             // orders mixed
		{"\x00a\x00b\x00c\x00d\x00", encUTF16BE}, // an odd byte at the end
		{"a\x00\xE9\x01\x42\x30\x43\x30", ""},    // mostly not ASCII
		{"abcdefgh", ""},
		{"a\x00b\x00c\x00\x01\x02", encUTF16LE}, // 3 of 4 units ASCII
	}
	for _, tt := range tests {
		if got := utf16Pattern([]byte(tt.in)); got != tt.want {
			t.Errorf("utf16Pattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLooksWindows1252(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Caf\xe9 \x96 Pizza", true},
		{"O\x92Brien;\x80 12", true},
		{"Zo\xc3\xab and Caf\xe9", false}, // real UTF-8 beside a bad byte: UTF-8 with an error
		{"bad \x81 byte", false},          // undefined in Windows-1252
		{"\xef\xbf\xbd and \xe9", false},  // U+FFFD written as UTF-8
		{"\xe9", true},
	}
	for _, tt := range tests {
		if got := looksWindows1252([]byte(tt.in)); got != tt.want {
			t.Errorf("looksWindows1252(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestWindows1252Detected(t *testing.T) {
	in := "cardholder_id;posted_on;amount;mcc;merchant\r\n" +
		"C1;2026-10-01;42.10;5812;Caf\xe9 \x96 Pizza\r\n" +
		"C1;2026-10-02;1.00;5812;O\x92Brien\r\n"
	var rej recorder
	st, merchants, err := ReadTransactions(context.Background(), strings.NewReader(in), "t.csv", Options{Classifier: classes{}},
		NewCardholderSet([]Cardholder{{ID: "C1"}}), &rej, func(rs []Record) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.Encoding != "windows-1252" || !st.EncodingDetected || st.Accepted != 2 || st.Rejected != 0 {
		t.Errorf("stats %+v, want windows-1252 detected, 2 accepted", st)
	}
	if got := merchants.Name(MerchantKey([]byte("Café – Pizza"))); got != "Café – Pizza" {
		t.Errorf("merchant %q, want Café – Pizza", got)
	}
	if got := merchants.Name(MerchantKey([]byte("O’Brien"))); got != "O’Brien" {
		t.Errorf("merchant %q", got)
	}
	// Given as UTF-8, it is not guessed: both rows are rejected.
	st, _, err = ReadTransactions(context.Background(), strings.NewReader(in), "t.csv", Options{Classifier: classes{}, Format: Format{Encoding: "utf-8"}},
		NewCardholderSet([]Cardholder{{ID: "C1"}}), &rej, func(rs []Record) error { return nil })
	if err != nil || st.Encoding != "utf-8" || st.EncodingDetected || st.Rejected != 2 || st.Accepted != 0 {
		t.Errorf("encoding = \"utf-8\": %+v, %v; want 2 rejected", st, err)
	}
}

// Rows that are not UTF-8, in a file read as UTF-8, are rejected with the
// byte and where it is; nothing that is not UTF-8 reaches the records, the
// rejects or the messages.
func TestInvalidUTF8Rejected(t *testing.T) {
	header := "cardholder_id,posted_on,amount,mcc,merchant\n"
	good := strings.Repeat("C1,2026-10-01,1.00,5812,Deli\n", 40)
	tests := []struct {
		name   string
		in     string
		format Format
		sizes  []int // chunk sizes to read with
		want   []string
		raw    string // the first reject's original text, as the Rejects receive it
	}{
		{"later in the file", header + good + "C1,2026-10-02,2.00,5812,Caf\xe9 \x96 Pizza\n" + good, Format{}, []int{64},
			[]string{`t.csv:42:5: merchant "Caf\uFFFD \uFFFD Pizza": not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0xE9 at byte 4 of the field)`},
			"C1,2026-10-02,2.00,5812,Caf\uFFFD \uFFFD Pizza\n"},
		{"first chunk, utf-8 given", header + "C1,2026-10-02,2.00,5812,Caf\xe9\n", Format{Encoding: "UTF-8"}, []int{0, 64},
			[]string{`t.csv:2:5: merchant "Caf\uFFFD": not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0xE9 at byte 4 of the field)`},
			"C1,2026-10-02,2.00,5812,Caf\uFFFD\n"},
		{"mixed with real UTF-8", header + "C1,2026-10-01,1.00,5812,Zoë\nC1,2026-10-02,2.00,5812,\"Caf\xe9\nBar\"\n", Format{}, []int{0, 64},
			[]string{`t.csv:3:5: merchant "Caf\uFFFD\nBar": not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0xE9 at byte 4 of the field)`},
			"C1,2026-10-02,2.00,5812,\"Caf\uFFFD\nBar\"\n"},
		{"truncated sequence, second line of a record", header + "C1,2026-10-02,2.00,5812,\"ab\ncd\xc3\"\n", Format{}, []int{64},
			[]string{`t.csv:3:5: merchant "ab\ncd\uFFFD": not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0xC3 at byte 6 of the field)`},
			"C1,2026-10-02,2.00,5812,\"ab\ncd\uFFFD\"\n"},
		{"UTF-8 byte-order mark: not guessed", "\xEF\xBB\xBF" + header + "C1,2026-10-02,2.00,5812,Caf\xe9\n", Format{}, []int{0, 64},
			[]string{`t.csv:2:5: merchant "Caf\uFFFD": not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0xE9 at byte 4 of the field)`},
			"C1,2026-10-02,2.00,5812,Caf\uFFFD\n"},
		{"undefined Windows-1252 byte: not guessed", header + "C1,2026-10-02,2.00,5812,\x81x\n", Format{}, []int{0, 64},
			[]string{`t.csv:2:5: merchant "\uFFFDx": not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0x81 at byte 1 of the field)`},
			"C1,2026-10-02,2.00,5812,\uFFFDx\n"},
	}
	for _, tt := range tests {
		for _, size := range tt.sizes {
			t.Run(fmt.Sprintf("%s/chunk %d", tt.name, size), func(t *testing.T) {
				var rej recorder
				var buf bytes.Buffer
				rw := NewRejectWriter(&buf)
				accepted := 0
				st, merchants, err := ReadTransactions(context.Background(), strings.NewReader(tt.in), "t.csv",
					Options{Classifier: classes{}, Format: tt.format, chunkSize: size, Workers: 2}, NewCardholderSet([]Cardholder{{ID: "C1"}}),
					multiRejects{&rej, rw}, func(rs []Record) error { accepted += len(rs); return nil })
				if err != nil {
					t.Fatal(err)
				}
				if st.Encoding != "utf-8" || st.EncodingDetected || st.Rejected != len(tt.want) || st.Read != st.Accepted+st.Rejected || accepted != st.Accepted {
					t.Errorf("stats %+v", st)
				}
				for i, w := range tt.want {
					if w = fffd(w); i >= len(rej.errs) || rej.errs[i].Error() != w {
						t.Errorf("rejects %v\nwant %s", rej.errs, w)
					}
				}
				if len(rej.raw) == 0 || rej.raw[0] != tt.raw {
					t.Errorf("original text %q, want %q", rej.raw, tt.raw)
				}
				if r := st.TopReasons(1); len(r) != 1 || r[0].Reason != "merchant: "+ErrInvalidUTF8.Error() {
					t.Errorf("reasons %v", r)
				}
				for k := range merchants.names {
					if n := merchants.Name(k); !utf8.ValidString(n) {
						t.Errorf("merchant name %q is not UTF-8", n)
					}
				}
				if err := rw.Flush(); err != nil {
					t.Fatal(err)
				}
				if !utf8.Valid(buf.Bytes()) {
					t.Errorf("rejects file is not UTF-8:\n%q", buf.Bytes())
				}
				recs, err := csv.NewReader(&buf).ReadAll()
				if err != nil || len(recs) != 1+len(tt.want) || recs[1][5] != strings.TrimRight(tt.raw, "\n") ||
					recs[1][3] != "merchant: "+ErrInvalidUTF8.Error() {
					t.Errorf("rejects file %q, %v", recs, err)
				}
			})
		}
	}
}

// fffd writes U+FFFD for \uFFFD in a raw string.
func fffd(s string) string { return strings.ReplaceAll(s, `\uFFFD`, "\uFFFD") }

// multiRejects hands each reject to all of its Rejects.
type multiRejects []Rejects

func (m multiRejects) Reject(e *RowError, raw string) error {
	for _, r := range m {
		if err := r.Reject(e, raw); err != nil {
			return err
		}
	}
	return nil
}

func TestInvalidUTF8Cardholder(t *testing.T) {
	in := "cardholder_id,first_name,email,marketing_consent\n" +
		"C01,Ann,ann@example.com,yes\nC02,Ann,ann@example.com,yes\nC03,Ann,ann@example.com,yes\n" +
		"C1,Jos\xe9,jose@example.com,yes\n" +
		"C2,Ann,ann@example.com,yes\n"
	var rej recorder
	set, st, err := ReadCardholders(context.Background(), strings.NewReader(in), "c.csv", Options{chunkSize: 40}, &rej)
	if err != nil {
		t.Fatal(err)
	}
	want := fffd(`c.csv:5:2: first_name "Jos\uFFFD": not UTF-8 text; if the file is Windows-1252, set encoding = "windows-1252" (byte 0xE9 at byte 4 of the field)`)
	if len(rej.errs) != 1 || rej.errs[0].Error() != want {
		t.Fatalf("rejects %v\nwant %s last", rej.errs, want)
	}
	if st.Read != 5 || st.Accepted != 4 || st.Rejected != 1 || len(set.List) != 4 {
		t.Errorf("stats %+v", st)
	}
	// The cardholder's transactions say why they are unknown.
	_, _, rejTx, err := readTxWith(t, "cardholder_id,posted_on,amount,mcc\nC1,2026-10-01,1.00,5812\n", set)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejTx.errs) != 1 || rejTx.errs[0].Error() != `transactions.csv:2:1: cardholder_id "C1": unknown cardholder id (the cardholder's row, line 5, was rejected)` {
		t.Errorf("transaction rejects %v", rejTx.errs)
	}
}

// readTxWith reads transactions for a set of cardholders.
func readTxWith(t *testing.T, in string, set *CardholderSet) ([]Record, Stats, *recorder, error) {
	t.Helper()
	var rej recorder
	var got []Record
	st, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "transactions.csv", Options{Classifier: classes{}}, set, &rej,
		func(rs []Record) error { got = append(got, rs...); return nil })
	return got, st, &rej, err
}

func TestRejectWriterValidUTF8(t *testing.T) {
	var buf bytes.Buffer
	rw := NewRejectWriter(&buf)
	e := &RowError{File: "t.csv", Line: 3, Column: 5, Field: "merch\xffant", Value: "Caf\xe9", Err: ErrInvalidUTF8}
	if err := rw.Reject(e, "C1,Caf\xe9 \x96 Pizza\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(buf.Bytes()) {
		t.Fatalf("not UTF-8: %q", buf.Bytes())
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][2] != "merch\uFFFDant" || recs[1][5] != "C1,Caf\uFFFD \uFFFD Pizza" ||
		recs[1][4] != `t.csv:3:5: merch`+"\uFFFD"+`ant "Caf\xe9": `+ErrInvalidUTF8.Error() {
		t.Errorf("rejects %q, %v", recs, err)
	}
}
