package suppress_test

import (
	"errors"
	"strings"
	"testing"

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
