package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"42.10", 4210, nil},
		{"42.1", 4210, nil},
		{"42", 4200, nil},
		{"-3.50", -350, nil},
		{"+7.05", 705, nil},
		{"0.01", 1, nil},
		{"0.00", 0, nil},
		{"1234567.89", 123456789, nil},
		{"", 0, ErrRequired},
		{"12,3.4", 0, ErrNotNumber},
		{"1,234.00", 0, ErrNotNumber},
		{"12.345", 0, ErrNotNumber},
		{"12.", 0, ErrNotNumber},
		{".5", 0, ErrNotNumber},
		{"-", 0, ErrNotNumber},
		{"abc", 0, ErrNotNumber},
		{"1e3", 0, ErrNotNumber},
		{"99999999999999999999", 0, ErrNotNumber},
		{"4611686018427387903", 0, ErrNotNumber},
		{"46116860184273879.04", 1 << 62, nil},
		{"46116860184273879.05", 0, ErrNotNumber},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseAmount(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if err == nil && got != tt.want {
				t.Errorf("ParseAmount(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		err  error
	}{
		{"2026-10-31", time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), nil},
		{"2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), nil},
		{"2025-02-29", time.Time{}, ErrNotDate},
		{"2026-13-45", time.Time{}, ErrNotDate},
		{"2026-1-05", time.Time{}, ErrNotDate},
		{"31/10/2026", time.Time{}, ErrNotDate},
		{"2026-10-00", time.Time{}, ErrNotDate},
		{"", time.Time{}, ErrRequired},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseDate(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeMCC(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"5812", "5812", nil},
		{"0742", "0742", nil},
		{"742", "0742", nil},
		{"7", "0007", nil},
		{"ABCD", "", ErrNotMCC},
		{"58120", "", ErrNotMCC},
		{"58.1", "", ErrNotMCC},
		{"", "", ErrRequired},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeMCC(tt.in)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("NormalizeMCC(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestMaskCardNumbers(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain PAN", "4111111111111111", "************1111"},
		{"spaced PAN", "card 4111 1111 1111 1111 used", "card ************1111 used"},
		{"dashed amex", "3782-822463-10005", "***********0005"},
		{"two PANs", "4111111111111111/5555555555554444", "************1111/************4444"},
		{"fails Luhn", "4111111111111112", "4111111111111112"},
		{"too short", "411111111111", "411111111111"},
		{"amount", "1234.56", "1234.56"},
		{"no digits", "Olive & Thyme", "Olive & Thyme"},
		// Identifiers in hex whose digits pass for a card number: a UUID
		// starting with 13 digits that pass the Luhn check, and one with
		// 16; a SHA-256 in hex with 16 such digits inside.
		{"UUID", "11511995-3747-3ef8-e555-a3c46f67f72a", "11511995-3747-3ef8-e555-a3c46f67f72a"},
		{"UUID, upper case", "41111111-1111-1111-A555-A3C46F67F72A", "41111111-1111-1111-A555-A3C46F67F72A"},
		{"hex hash", "9f2c4111111111111111e0a7c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978", "9f2c4111111111111111e0a7c1d2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978"},
		{"UUID beside a PAN", "11511995-3747-3ef8-e555-a3c46f67f72a 4111111111111111", "11511995-3747-3ef8-e555-a3c46f67f72a ************1111"},
		// Not identifiers: a PAN beside a few hex letters, a dashed PAN
		// in words, a PAN after a short hex code.
		{"PAN and letters", "VISA4111111111111111", "VISA************1111"},
		{"PAN after a short code", "ab-4111-1111-1111-1111", "ab-************1111"},
		{"PAN before a word", "4111111111111111cafe", "************1111cafe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskCardNumbers(tt.in); got != tt.want {
				t.Errorf("MaskCardNumbers(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if LooksLikeCardNumber(tt.in) != (tt.in != tt.want) {
				t.Errorf("LooksLikeCardNumber(%q) disagrees with MaskCardNumbers", tt.in)
			}
		})
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"42.10", "-3.5", "12,3.4", "", "+", "9999999999999999999.99", "4611686018427387903",
		"46116860184273879.04", "46116860184273879.05", "12.345", "£12.50", "(12.50)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseAmount(s)
		if err != nil {
			return
		}
		if v > 1<<62 || v < -(1<<62) {
			t.Fatalf("ParseAmount(%q) = %d out of range", s, v)
		}
		// The input files' parser reads whatever ParseAmount reads, the same.
		m, err := Format{}.amountParser().parse([]byte(s))
		if err != nil || m.cents != v || !m.cur.none() {
			t.Fatalf("ParseAmount(%q) = %d, but the input parser reads %d %s, %v", s, v, m.cents, m.cur, err)
		}
		// An accepted amount prints back to the same number of cents.
		w, err := ParseAmount(formatCents(v))
		if err != nil || w != v {
			t.Fatalf("ParseAmount(%q) = %d, but %q reparses to %d, %v", s, v, formatCents(v), w, err)
		}
	})
}

func formatCents(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := []byte{}
	if neg {
		s = append(s, '-')
	}
	whole := v / 100
	frac := v % 100
	s = append(s, []byte(itoa(whole))...)
	s = append(s, '.', byte('0'+frac/10), byte('0'+frac%10))
	return string(s)
}

func itoa(v int64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-10-31", "2026-13-45", "", "0000-00-00", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if got := d.Format("2006-01-02"); got != s {
			t.Fatalf("ParseDate(%q) = %s", s, got)
		}
	})
}

func FuzzMaskCardNumbers(f *testing.F) {
	for _, s := range []string{"4111111111111111", "a 4111-1111-1111-1111 b", "123", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := MaskCardNumbers(s)
		if LooksLikeCardNumber(m) {
			t.Fatalf("MaskCardNumbers(%q) = %q still holds a card number", s, m)
		}
	})
}

// countDigits counts the ASCII digits of s one byte at a time.
func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// TestAtLeast13Digits checks the eight-bytes-at-a-time digit count
// against counting byte by byte, on every byte value in every position
// of a word and on fields around 13 digits.
func TestAtLeast13Digits(t *testing.T) {
	for c := range 256 {
		for at := range 8 {
			w := [8]byte{'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'}
			w[at] = byte(c)
			want := uint64(0)
			if c >= '0' && c <= '9' {
				want = 0x80 << (8 * at)
			}
			if got := digitBytes(binary.LittleEndian.Uint64(w[:])); got != want {
				t.Fatalf("byte %#x at %d: digitBytes %#x, want %#x", c, at, got, want)
			}
		}
	}
	for _, s := range []string{
		"", "1234567890123", "123456789012", "4111 1111 1111 1111", "Gearhead Auto Parts",
		"a1b2c3d4e5f6g7h8i9j0k1l2m3", "a1b2c3d4e5f6g7h8i9j0k1l2", "/0:9/0:9/0:9/0:9/0:9/0:9/0:9",
		"\xff9\x809\xb09\xb99\xc09999999999", "mallen1@example.com", "2026-10-31,2026-11-01,20",
	} {
		if got, want := atLeast13Digits(s), countDigits(s) >= 13; got != want {
			t.Errorf("atLeast13Digits(%q) = %v, want %v", s, got, want)
		}
		if got, want := atLeast13Digits([]byte(s)), countDigits(s) >= 13; got != want {
			t.Errorf("atLeast13Digits([]byte(%q)) = %v, want %v", s, got, want)
		}
	}
}

// FuzzAtLeast13Digits checks the digit count against counting byte by
// byte.
func FuzzAtLeast13Digits(f *testing.F) {
	for _, s := range []string{"4111111111111111", "a 4111-1111-1111-1111 b", "123", "", "0123456789:/0123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := atLeast13Digits(s), countDigits(s) >= 13; got != want {
			t.Fatalf("atLeast13Digits(%q) = %v, want %v", s, got, want)
		}
	})
}

// Every length to 40, with digits, near-digits and bytes with the high bit
// at every place: the word-wise count is the byte-wise one.
func TestAtLeast13DigitsLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	alphabet := []byte{'0', '9', '/', ':', 'a', ' ', 0x80 | '0', 0xb9}
	for l := range 41 {
		b := make([]byte, l)
		for range 3000 {
			digits := rng.IntN(3) // mostly digits, or half, or few
			for i := range b {
				if rng.IntN(4) > digits {
					b[i] = '0' + byte(rng.IntN(10))
				} else {
					b[i] = alphabet[rng.IntN(len(alphabet))]
				}
			}
			if got, want := atLeast13Digits(b), countDigits(string(b)) >= 13; got != want {
				t.Fatalf("atLeast13Digits(%q) = %v, want %v", b, got, want)
			}
			if got, want := atLeast13Digits(string(b)), countDigits(string(b)) >= 13; got != want {
				t.Fatalf("atLeast13Digits(string %q) = %v, want %v", b, got, want)
			}
		}
	}
}

func TestParseChannelBytes(t *testing.T) {
	names := []string{"", "online", "ONLINE", "OnLine", "ecommerce", "E-Commerce", "card_not_present", "in_store", "IN_STORE", "in store", "instore", "POS", "pos",
		"card_present", "pos\x00", "po", "posx", "onlin", "online ", "in_stor", "in_storee", "in-store", "ÖNLINE", "online\x00\x00", "\x00", "onlinE"}
	for _, s := range names {
		for _, b := range [][]byte{[]byte(s), append([]byte(s), "xx"...)[:len(s)]} {
			got, err := parseChannelBytes(b)
			want, werr := channelByNames(b)
			if got != want || err != werr {
				t.Errorf("parseChannelBytes(%q) = %v, %v; want %v, %v", b, got, err, want, werr)
			}
		}
	}
}

func FuzzParseChannelBytes(f *testing.F) {
	for _, s := range []string{"online", "in_store", "POS", "pos\x00", "card_present"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseChannelBytes([]byte(s))
		want, werr := channelByNames([]byte(s))
		if got != want || err != werr {
			t.Fatalf("parseChannelBytes(%q) = %v, %v; want %v, %v", s, got, err, want, werr)
		}
	})
}

// trimSpace drops spaces and tabs at both ends, and nothing else.
func TestTrimSpace(t *testing.T) {
	for _, s := range []string{"", " ", "\t", "a", " a", "a ", "\ta\t", "  a b  ", "\x00a", "a\x00", "\x1fa\x1f", " \t\x00 ", "\x00", "a\t\t", "\x7f", "é "} {
		want := strings.Trim(s, " \t")
		if got := string(trimSpace([]byte(s))); got != want {
			t.Errorf("trimSpace(%q) = %q, want %q", s, got, want)
		}
	}
}

// shortWord is the word a copy into eight zeroed bytes gives, at every
// length and for every byte at every place.
func TestShortWord(t *testing.T) {
	for n := 1; n <= 8; n++ {
		for at := range n {
			for c := range 256 {
				b := []byte("\x81bcdefgh")[:n]
				b = append([]byte(nil), b...)
				b[at] = byte(c)
				var w [8]byte
				copy(w[:], b)
				if got, want := shortWord(b), binary.LittleEndian.Uint64(w[:]); got != want {
					t.Fatalf("shortWord(%q) = %#x, want %#x", b, got, want)
				}
			}
		}
	}
}

func BenchmarkParseChannel(b *testing.B) {
	names := [][]byte{[]byte("online"), []byte("in_store"), []byte("online"), []byte("POS")}
	for i := 0; b.Loop(); i++ {
		if _, err := parseChannelBytes(names[i&3]); err != nil {
			b.Fatal(err)
		}
	}
}

// No UUID and no hash in hex is taken for a card number: one random UUID
// in a few thousand begins with 13 or more digits that pass the Luhn
// check, so that a cardholders file keyed by UUIDs was refused whole.
func TestHexIDsAreNotCardNumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const hexDigits = "0123456789abcdef"
	hexString := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			// Digits three times in four, so that long runs of them come
			// often.
			if r.IntN(4) > 0 {
				b[i] = hexDigits[r.IntN(10)]
			} else {
				b[i] = hexDigits[10+r.IntN(6)]
			}
		}
		return b
	}
	runs := 0
	for range 200_000 {
		u := hexString(32)
		u[12] = '4' // version 4
		id := fmt.Sprintf("%s-%s-%s-%s-%s", u[:8], u[8:12], u[12:16], u[16:20], u[20:])
		for _, s := range []string{id, strings.ToUpper(id), string(hexString(64)), string(hexString(40))} {
			if LooksLikeCardNumber(s) {
				t.Fatalf("%q taken for a card number", s)
			}
			if _, _, ok := findPAN(strings.NewReplacer("a", "g", "b", "g", "c", "g", "d", "g", "e", "g", "f", "g",
				"A", "G", "B", "G", "C", "G", "D", "G", "E", "G", "F", "G").Replace(s), 0); ok {
				runs++ // the same digits among letters that are not hex
			}
		}
	}
	if runs == 0 {
		t.Fatal("no identifier had digits that pass for a card number elsewhere: the test shows nothing")
	}
	t.Logf("%d identifiers hold digits that would pass for a card number outside a hex identifier", runs)
}
