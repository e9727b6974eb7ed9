package jsontext

import (
	"bytes"
	"encoding/json"
	"math/bits"
	"strings"
	"testing"
)

// encoded is s as encoding/json writes it with HTML escaping off.
func encoded(t testing.TB, s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestAppendString(t *testing.T) {
	long := strings.Repeat(`<td class="block" style="padding:0 24px">`, 40)
	for _, s := range []string{
		"", "a", "plain text of some length, longer than eight bytes",
		`"quoted" and \back\slashed`, "12345678\"", "1234567\\", "\x00\x01\x1f\x7f\b\f\n\r\t",
		"tab\there and a newline\nthere, 12345678",
		"caf\u00e9 \u2014 \u20ac12 \U0001F600", "line\u2028sep\u2029para", "bad \xff utf-8 \xc3",
		"\xe2\x80", "<a href=\"https://example.com/?a=1&b=2\">&amp;</a>", long, long + "\x00" + long,
		"01234567\x8001234567",
	} {
		if got, want := string(AppendString(nil, s)), encoded(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
	// dst is appended to.
	if got := string(AppendString([]byte("x:"), "y")); got != `x:"y"` {
		t.Errorf("AppendString onto x: = %s", got)
	}
}

// TestSpecial checks the eight-byte test against the byte-by-byte one for
// every byte value in every position, beside plain bytes and beside
// special ones (a borrow must not hide or move the first special byte).
func TestSpecial(t *testing.T) {
	ok := func(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }
	for _, fill := range []byte{'a', ' ', 0x7f, 0x00, '"', 0xff} {
		for pos := range 8 {
			for c := range 256 {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				first := 8
				for i, x := range w {
					if !ok(x) {
						first = i
						break
					}
				}
				m := special(load(string(w[:])))
				if got := bits.TrailingZeros64(m) / 8; got != first || m&^highs != 0 {
					t.Fatalf("special(%q) = %#x: first special byte %d, want %d", w, m, got, first)
				}
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain text of some length", "\"\\\x00\u2028\xff", "caf\u00e9 12345678 \xc3("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendString(nil, s)), encoded(t, s); got != want {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	s := strings.Repeat("<tr><td class=\"block\" style=\"padding:0 24px\">Caf\u00e9 &amp; more</td></tr>\n", 500)
	b.Run("jsontext", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		var dst []byte
		for b.Loop() {
			dst = AppendString(dst[:0], s)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for b.Loop() {
			buf.Reset()
			if err := enc.Encode(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
