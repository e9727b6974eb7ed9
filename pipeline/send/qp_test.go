package send

import (
	"bytes"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
)

// stdQP is what go-mail writes for a part: mime/quotedprintable's Writer,
// src written in the given pieces, then closed.
func stdQP(t testing.TB, pieces ...[]byte) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	for _, p := range pieces {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAppendQPWritesWhatTheStandardWriterWrites(t *testing.T) {
	long := strings.Repeat("x", 75)
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"plain", "Hello, world"},
		{"equals", "a=b"},
		{"utf-8", "Zoë Ångström — 100 €"},
		{"line of 75", long},
		{"line of 76", long + "y"},
		{"line of 150", long + long},
		{"encoded at the end of a line", strings.Repeat("x", 73) + "é"},
		{"encoded just past the room", strings.Repeat("x", 72) + "=" + "y"},
		{"trailing space", "a \nb"},
		{"trailing tab at the end", "a\t"},
		{"trailing space near the limit", strings.Repeat("x", 74) + " \n"},
		{"trailing space at the limit", strings.Repeat("x", 75) + " \n"},
		{"crlf", "a\r\nb\r\n"},
		{"lone cr and lf", "a\rb\nc\n\rd"},
		{"cr, an encoded byte, lf", "a\r=\nb"},
		{"cr, a space, lf", "a\r \nb"},
		{"blank lines", "\n\n\r\n\r\r"},
		{"control bytes", "\x00\x01\x7f\xff"},
		{"html", `<td style="padding:0 24px;font-family:Arial,sans-serif">Hi Zoë,</td>` + "\n" + long + "=" + long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := stdQP(t, []byte(tc.in))
			if got := appendQP(nil, []byte(tc.in)); !bytes.Equal(got, want) {
				t.Errorf("appendQP(%q)\n got %q\nwant %q", tc.in, got, want)
			}
		})
	}
}

func TestAppendQPAppends(t *testing.T) {
	got := appendQP([]byte("head:"), []byte("a=b "))
	if want := "head:a=3Db=20"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzQuotedPrintable holds appendQP to the standard Writer's bytes, for
// the input written whole and in two pieces (the Writer's result does not
// depend on how its input is cut).
func FuzzQuotedPrintable(f *testing.F) {
	f.Add([]byte("Hello =\r\n world \t\n"), 3)
	f.Add([]byte(strings.Repeat("ab ", 40)+"\r\r\n\n\xff"), 70)
	f.Add([]byte("\r=\n"), 1)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		want := stdQP(t, in)
		if got := appendQP(nil, in); !bytes.Equal(got, want) {
			t.Fatalf("appendQP(%q)\n got %q\nwant %q", in, got, want)
		}
		if cut < 0 {
			cut = -cut
		}
		if len(in) > 0 {
			cut %= len(in) + 1
			if pieces := stdQP(t, in[:cut], in[cut:]); !bytes.Equal(pieces, want) {
				t.Fatalf("the standard Writer writes %q in two pieces as %q, whole as %q", in, pieces, want)
			}
		}
	})
}

func BenchmarkQuotedPrintable(b *testing.B) {
	in := []byte(strings.Repeat(`<td style="padding:0 24px;font-family:Arial,sans-serif">Hi Zoë, your €12.50 = points</td>`+"\n", 300))
	b.Run("appendQP", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		var dst []byte
		for b.Loop() {
			dst = appendQP(dst[:0], in)
		}
	})
	b.Run("quotedprintable.Writer", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			stdQP(b, in)
		}
	})
}

// framedAndWhole writes m with env's headers both ways: into go-mail's
// frame (what Composer.Compose sends) and through go-mail alone.
func framedAndWhole(t testing.TB, m *render.Message, env Envelope) (framed, whole []byte, ok bool) {
	t.Helper()
	msg, err := composeHeaders(m, env)
	if err != nil {
		return nil, nil, false
	}
	framed, ok, err = writeFramed(msg, m)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Compose(m, env)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteEML(&b, ref); err != nil {
		t.Fatal(err)
	}
	return framed, b.Bytes(), ok
}

func testEnvelope() Envelope {
	return Envelope{
		Sender:            render.Sender{Name: "Meridian Card", From: "Meridian Card <news@meridian.example>", ReplyTo: "help@meridian.example"},
		Recipient:         render.Recipient{ID: "C000042", FirstName: "Zoë", LastName: "O'Brien", Email: "zoe.obrien@example.com"},
		Unsubscribe:       "https://meridian.example/unsubscribe?c=october&id=C000042&t=0123456789abcdef",
		UnsubscribeMailto: "unsubscribe@meridian.example",
		ListID:            "Meridian Card <october.meridian.example>",
		FeedbackSender:    "meridian.example",
		Date:              time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC),
		Campaign:          "october",
		Month:             "2026-10",
		Variant:           "v0001",
		UserAgent:         "tailor test",
	}
}

func TestWriteFramedIsGoMailsMessage(t *testing.T) {
	for _, tc := range []struct {
		name              string
		subject, text     string
		html, first, last string
	}{
		{"plain", "Hello", "Hi Zoë,\nyour points.\n", "<p style=\"margin:0\">Hi Zoë,</p>\n", "Zoë", "O'Brien"},
		{"empty parts", "s", "", "", "A", "B"},
		{"long lines and trailing spaces", strings.Repeat("long subject ", 12), strings.Repeat("word ", 60) + " \n\t\n", strings.Repeat("<td>=</td> ", 50), "Dwayne \"The Rock\"", `\`},
		{"a subject like a boundary", "--tailor-0123--", "--tailor-0123--\r\n\r\n", "y", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnvelope()
			env.Recipient.FirstName, env.Recipient.LastName = tc.first, tc.last
			m := &render.Message{Subject: tc.subject, Text: []byte(tc.text), HTML: []byte(tc.html)}
			framed, whole, ok := framedAndWhole(t, m, env)
			if whole == nil {
				return // refused: nothing to write
			}
			if !ok {
				t.Fatalf("go-mail's frame is not the one expected:\n%s", whole)
			}
			if !bytes.Equal(framed, whole) {
				t.Fatalf("framed message differs from go-mail's:\n got %q\nwant %q", framed, whole)
			}
		})
	}
}

// FuzzWriteFramed holds the messages Composer.Compose writes to go-mail's
// own bytes for the same message, whatever the names, subject and parts.
func FuzzWriteFramed(f *testing.F) {
	f.Add("Zoë", "O'Brien", "Hello Zoë", "Hi\r\n", "<p>Hi</p>")
	f.Add("", "", "", "", "")
	f.Add("a", "b", strings.Repeat("€", 40), "x \n", "=\r=\n")
	f.Fuzz(func(t *testing.T, first, last, subject, text, html string) {
		env := testEnvelope()
		env.Recipient.FirstName, env.Recipient.LastName = first, last
		m := &render.Message{Subject: subject, Text: []byte(text), HTML: []byte(html)}
		msg, err := composeHeaders(m, env)
		if err != nil {
			return // refused
		}
		framed, ok, err := writeFramed(msg, m)
		if err != nil {
			t.Fatal(err)
		}
		_, whole, _ := framedAndWhole(t, m, env)
		if !ok {
			t.Fatalf("go-mail's frame is not the one expected:\n%s", whole)
		}
		if !bytes.Equal(framed, whole) {
			t.Fatalf("framed message differs from go-mail's:\n got %q\nwant %q", framed, whole)
		}
	})
}

func TestQPPlain8(t *testing.T) {
	for b := 0; b < 256; b++ {
		want := b >= ' ' && b <= '~' && b != '='
		for at := range 8 {
			word := []byte("abcdefgh")
			word[at] = byte(b)
			w := uint64(0)
			for i := 7; i >= 0; i-- {
				w = w<<8 | uint64(word[i])
			}
			if got := qpPlain8(w); got != want {
				t.Fatalf("qpPlain8(%q) = %v, want %v", word, got, want)
			}
		}
	}
}
