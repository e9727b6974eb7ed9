package suppress_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/tailor-mail/tailor/pipeline/suppress"
)

// FuzzRead checks that Read never panics, that its errors say where, and
// that whatever it reads, in tailor's format, is found again by Has.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"email\nann@example.com\n",
		"\ufeffName,Cardholder_ID,EMAIL\r\nAnn,C1,ann@example.com\r\n",
		"address,cardholder_id\n\"a,b\"@x,\n,C2\n",
		suppress.Header + "\n2026-10-02T09:00:00Z,C1,,unsubscribe,one-click POST\n2026-10-0",
		suppress.Header + "\n2026-10-02T09:00:00Z,C1,\"Bob\"\" <b@x>\",bounce 550 5.1.1,send 2026-10",
		"email\n\"unterminated\n",
		"name\nx\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		l, err := suppress.Read(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			var e *suppress.Error
			if !errors.As(err, &e) || e.File != "fuzz.csv" || e.Line < 1 || !strings.HasPrefix(err.Error(), "suppress: fuzz.csv:") {
				t.Fatalf("error %q does not say where", err)
			}
			return
		}
		if l.Len() < 0 {
			t.Fatal("negative length")
		}
		if ok, _ := l.Has("", ""); ok {
			t.Fatal("the empty cardholder and address are suppressed")
		}
	})
}

// FuzzAppendRead checks that whatever an entry holds, Append writes one
// line that Load reads back to the same cardholder and address.
func FuzzAppendRead(f *testing.F) {
	f.Add("C1", "", "unsubscribe", "one-click POST")
	f.Add(" C2\r\n", "Bob, \"Jr\" <B@x>", "bounce 550-5.1.1\r\n550 5.1.1", "send 2026-10")
	f.Add("", "\x00a@b", "", "")
	f.Fuzz(func(t *testing.T, id, addr, reason, source string) {
		path := filepath.Join(t.TempDir(), suppress.FileName)
		a, err := suppress.OpenAppender(path)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		err = a.Append(suppress.Entry{CardholderID: id, Address: addr, Reason: reason, Source: source})
		clean := func(s string) string {
			return strings.TrimSpace(strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return ' '
				}
				return r
			}, s))
		}
		if clean(id) == "" && clean(addr) == "" {
			if err == nil {
				t.Fatal("appended an entry with no cardholder and no address")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		if n := strings.Count(string(data), "\n"); n != 2 {
			t.Fatalf("%d lines:\n%s", n, data)
		}
		l, err := suppress.Load(path)
		if err != nil {
			t.Fatalf("%v:\n%s", err, data)
		}
		if c := clean(id); c != "" {
			if ok, _ := l.Has(c, ""); !ok {
				t.Errorf("cardholder %q not found in\n%s", c, data)
			}
		}
		if c := clean(addr); c != "" {
			if ok, _ := l.Has("", c); !ok {
				t.Errorf("address %q not found in\n%s", c, data)
			}
		}
	})
}
