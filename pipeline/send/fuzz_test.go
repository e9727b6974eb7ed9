package send_test

import (
	"bytes"
	"errors"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// FuzzCompose composes messages with random names, subject and email.
// Compose must not panic, and must either refuse the recipient (a
// *RefusedError wrapping render.ErrHeader: only the recipient's fields
// vary) or write a message that parses back with the one recipient it was
// given, the same number of header fields whatever the values, and, for
// printable values, the same display name and subject (less the spaces
// that end a header line).
func FuzzCompose(f *testing.F) {
	f.Add("Zoë", "O'Brien", "Hello Zoë", "zoe@example.com")
	f.Add(`Dwayne "The Rock"`, `\`, "=?utf-8?q?x?=", "a@b.example")
	f.Add("Eve\r\nBcc: x@evil.example", "", "s", "e@example.com")
	f.Add("a", "b", strings.Repeat("long subject ", 20), "x@example.com")
	f.Add("", "", "", "")
	f.Add("Zoë \\", "", "s", "zoe@example.com") // net/mail: Go issue 80592
	m := &render.Message{HTML: []byte("<p>Hi</p>"), Text: []byte("Hi\n")}
	ref := headerCount(f, eml(f, &render.Message{Subject: "s", HTML: m.HTML, Text: m.Text}, envelope()))
	f.Fuzz(func(t *testing.T, first, last, subject, email string) {
		env := envelope()
		env.Recipient.FirstName, env.Recipient.LastName, env.Recipient.Email = first, last, email
		mm := *m
		mm.Subject = subject
		msg, err := send.Compose(&mm, env)
		if err != nil {
			var re *send.RefusedError
			if !errors.As(err, &re) || !errors.Is(err, render.ErrHeader) {
				t.Fatalf("error %v (%T) is not a refusal wrapping render.ErrHeader", err, err)
			}
			return
		}
		var b bytes.Buffer
		if err := send.WriteEML(&b, msg); err != nil {
			t.Fatal(err)
		}
		if n := headerCount(t, b.Bytes()); n != ref {
			t.Fatalf("%d header fields, want %d:\n%s", n, ref, b.Bytes())
		}
		pm, err := mail.ReadMessage(&b)
		if err != nil {
			t.Fatal(err)
		}
		to, err := pm.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != strings.TrimSpace(email) {
			t.Fatalf("To %q: %v %v, want one address %q", pm.Header.Get("To"), to, err, email)
		}
		// A value with "=?" may read as an RFC 2047 encoded word:
		// neither go-mail nor net/mail encodes ASCII text that looks
		// like one.
		if !printable(first+last+subject) || strings.Contains(first+last+subject, "=?") {
			return
		}
		if want := strings.TrimSpace(first + " " + last); to[0].Name != want {
			t.Fatalf("To name %q, want %q (header %q)", to[0].Name, want, pm.Header.Get("To"))
		}
		var dec mime.WordDecoder
		got, err := dec.DecodeHeader(pm.Header.Get("Subject"))
		if err != nil || strings.TrimSpace(got) != strings.TrimSpace(subject) {
			t.Fatalf("Subject %q decodes to %q (%v), want %q", pm.Header.Get("Subject"), got, err, subject)
		}
	})
}

// headerCount counts the header fields of a message: lines of its header
// that do not continue a folded one.
func headerCount(t testing.TB, raw []byte) int {
	t.Helper()
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no end of header:\n%s", raw)
	}
	n := 0
	for _, l := range strings.Split(string(head), "\r\n") {
		if l != "" && l[0] != ' ' && l[0] != '\t' {
			n++
		}
	}
	return n
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
