package suppress_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/suppress"
)

type check struct {
	id, addr string
	want     bool
	reason   string
}

func TestRead(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		len    int
		checks []check
	}{
		{
			name: "marketer, email only",
			in:   "email\nann@example.com\n  Bob@Example.COM \n",
			len:  2,
			checks: []check{
				{"", "ann@example.com", true, suppress.ReasonListed},
				{"", "ANN@EXAMPLE.COM", true, suppress.ReasonListed},
				{"", " bob@example.com\t", true, suppress.ReasonListed},
				{"", "carl@example.com", false, ""},
				{"C1", "", false, ""},
			},
		},
		{
			name:   "marketer, cardholder_id only",
			in:     "cardholder_id\nC1\n C2 \n",
			len:    2,
			checks: []check{{"C1", "", true, suppress.ReasonListed}, {"C2", "x@example.com", true, suppress.ReasonListed}, {"C3", "", false, ""}},
		},
		{
			name: "marketer, both, one value per row, other columns ignored",
			in:   "\ufeffName,Cardholder_ID,E-mail,EMAIL,note\r\nAnn,C1,,ann@example.com,x\r\nBob,,,bob@example.com,\r\nCarl,C3,,,\r\n,,,,\r\n",
			len:  4,
			checks: []check{
				{"C1", "", true, suppress.ReasonListed},
				{"C2", "ann@example.com", true, suppress.ReasonListed},
				{"", "bob@example.com", true, suppress.ReasonListed},
				{"C3", "", true, suppress.ReasonListed},
				{"Ann", "", false, ""},
				{"", "x", false, ""},
			},
		},
		{
			name:   "marketer, address column, short rows",
			in:     "address,cardholder_id,comment\nann@example.com\n,C2\n",
			len:    2,
			checks: []check{{"", "Ann@example.com", true, suppress.ReasonListed}, {"C2", "", true, suppress.ReasonListed}},
		},
		{
			name: "tailor's own",
			in: suppress.Header + "\n" +
				"2026-10-02T09:00:00Z,C1,,unsubscribe,one-click POST\n" +
				"2026-10-03T10:00:00Z,C2,Bob@Example.com,bounce 550 5.1.1,send 2026-10\n" +
				"2026-10-04T11:00:00Z,,carl@example.com,,send 2026-10\n",
			len: 4,
			checks: []check{
				{"C1", "", true, "unsubscribe"},
				{"", "bob@example.com ", true, "bounce 550 5.1.1"},
				{"C2", "", true, "bounce 550 5.1.1"},
				{"", "CARL@example.com", true, suppress.ReasonAdded},
				{"C3", "", false, ""},
			},
		},
		{
			name:   "tailor's own, last line cut short",
			in:     suppress.Header + "\n2026-10-02T09:00:00Z,C1,,unsubscribe,one-click POST\n2026-10-02T09:00:01Z,C2,",
			len:    1,
			checks: []check{{"C1", "", true, "unsubscribe"}, {"C2", "", false, ""}},
		},
		{
			name:   "tailor's own, last entry whole but for its newline",
			in:     suppress.Header + "\n2026-10-02T09:00:00Z,C1,,unsubscribe,one-click POST",
			len:    1,
			checks: []check{{"C1", "", true, "unsubscribe"}},
		},
		{
			name:   "tailor's own, header only",
			in:     suppress.Header + "\n",
			checks: []check{{"C1", "", false, ""}},
		},
		{name: "empty", in: ""},
		{name: "marketer, header only", in: "email\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := suppress.Read(strings.NewReader(tt.in), "list.csv")
			if err != nil {
				t.Fatal(err)
			}
			if l.Len() != tt.len {
				t.Errorf("Len() = %d, want %d", l.Len(), tt.len)
			}
			for _, c := range tt.checks {
				if got, reason := l.Has(c.id, c.addr); got != c.want || reason != c.reason {
					t.Errorf("Has(%q, %q) = %v, %q; want %v, %q", c.id, c.addr, got, reason, c.want, c.reason)
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	own := suppress.Header + "\n"
	tests := []struct {
		name, in string
		line     int
		col      int
		want     string
	}{
		{"no known column", "name,phone\nAnn,1\n", 1, 0, `header "name,phone": want a column email, address or cardholder_id`},
		{"bare quote", "email\nann@example.com\nb\"ob@example.com\n", 3, 2, `bare " in non-quoted-field`},
		{"unterminated quote", "email\nann@example.com\n\"bob@example.com\ncarl@example.com\n", 4, 18, `extraneous or missing " in quoted-field (in the record starting on line 3)`},
		{"own, bad time", own + "2026-10-02T09:00:00Z,C1,,unsubscribe,x\nyesterday,C2,,unsubscribe,x\n", 3, 0, `at "yesterday": want a time in RFC 3339`},
		{"own, too few fields", own + "2026-10-02T09:00:00Z,C1\n2026-10-02T09:00:00Z,C2,,unsubscribe,x\n", 2, 1, "wrong number of fields"},
		{"own, nobody", own + "2026-10-02T09:00:00Z,,,unsubscribe,x\n", 2, 0, "neither a cardholder_id nor an address"},
		// Ended by a newline, so not cut short by a crash.
		{"own, last line bad", own + "2026-10-02T09:00:00Z,C1\n", 2, 1, "wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := suppress.Read(strings.NewReader(tt.in), "list.csv")
			if err == nil {
				t.Fatal("no error")
			}
			var e *suppress.Error
			if !errors.As(err, &e) {
				t.Fatalf("%v: not a *suppress.Error", err)
			}
			if e.File != "list.csv" || e.Line != tt.line || (tt.col != 0 && e.Column != tt.col) {
				t.Errorf("%v: at %s:%d:%d, want list.csv:%d:%d", err, e.File, e.Line, e.Column, tt.line, tt.col)
			}
			if !strings.HasPrefix(err.Error(), "suppress: list.csv:") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want suppress: list.csv:... %s", err, tt.want)
			}
		})
	}
}

func TestListAddMerge(t *testing.T) {
	var l suppress.List // the zero value is ready
	if ok, _ := l.Has("C1", "a@example.com"); ok || l.Len() != 0 {
		t.Fatal("the zero List is not empty")
	}
	var nilList *suppress.List
	if ok, _ := nilList.Has("C1", ""); ok || nilList.Len() != 0 {
		t.Fatal("a nil List is not empty")
	}
	l.Add("C1", "")
	l.Add("", " A@Example.com")
	l.Add("", "")
	l.AddEntry(suppress.Entry{CardholderID: "C1", Reason: "unsubscribe"}) // keeps the first reason
	l.AddEntry(suppress.Entry{CardholderID: "C2", Address: "b@example.com", Reason: "bounce 550 5.1.1"})
	o := &suppress.List{}
	o.AddEntry(suppress.Entry{CardholderID: "C3", Reason: "unsubscribe"})
	o.Add("C2", "")
	l.Merge(o)
	l.Merge(nil)
	for _, c := range []check{
		{"C1", "", true, suppress.ReasonAdded},
		{"", "a@example.com", true, suppress.ReasonAdded},
		{"C2", "", true, "bounce 550 5.1.1"},
		{"", "B@EXAMPLE.COM", true, "bounce 550 5.1.1"},
		{"C3", "", true, "unsubscribe"},
		{"", "", false, ""},
		{"c1", "", false, ""}, // ids are compared as they are
	} {
		if got, reason := l.Has(c.id, c.addr); got != c.want || reason != c.reason {
			t.Errorf("Has(%q, %q) = %v, %q; want %v, %q", c.id, c.addr, got, reason, c.want, c.reason)
		}
	}
	if l.Len() != 5 {
		t.Errorf("Len() = %d, want 5", l.Len())
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	marketer := filepath.Join(dir, "do-not-mail.csv")
	os.WriteFile(marketer, []byte("email,cardholder_id\nann@example.com,\n,C9\n"), 0o600)
	own := suppress.Path(filepath.Join(dir, "out"), "october")
	if want := filepath.Join(dir, "out", "october", "suppressions.csv"); own != want {
		t.Errorf("Path = %s, want %s", own, want)
	}

	t.Run("tailor's file not made yet", func(t *testing.T) {
		l, err := suppress.Load(marketer, own, "")
		if err != nil {
			t.Fatal(err)
		}
		if l.Len() != 2 {
			t.Errorf("Len() = %d, want 2", l.Len())
		}
	})
	t.Run("a missing marketer's file is an error naming it", func(t *testing.T) {
		missing := filepath.Join(dir, "gone.csv")
		_, err := suppress.Load(own, missing)
		if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v, want one naming %s", err, missing)
		}
	})
	t.Run("both", func(t *testing.T) {
		a, err := suppress.OpenAppender(own)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		at := time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)
		for _, e := range []suppress.Entry{
			{At: at, CardholderID: "C1", Reason: "unsubscribe", Source: "one-click POST"},
			{At: at, CardholderID: "C9", Reason: "unsubscribe", Source: "one-click POST"},
			{At: at, Address: "Bob@example.com", Reason: "bounce 550 5.1.1", Source: "send 2026-10"},
		} {
			if err := a.Append(e); err != nil {
				t.Fatal(err)
			}
		}
		l, err := suppress.Load(own, marketer)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []check{
			{"C1", "", true, "unsubscribe"},
			{"C9", "", true, "unsubscribe"}, // the first file's reason
			{"", "ann@example.com", true, suppress.ReasonListed},
			{"", "bob@example.com", true, "bounce 550 5.1.1"},
		} {
			if got, reason := l.Has(c.id, c.addr); got != c.want || reason != c.reason {
				t.Errorf("Has(%q, %q) = %v, %q; want %v, %q", c.id, c.addr, got, reason, c.want, c.reason)
			}
		}
	})
	t.Run("a bad file is an error with its path and line", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.csv")
		os.WriteFile(bad, []byte("email\nok@example.com\n\"\n"), 0o600)
		_, err := suppress.Load(bad)
		if err == nil || !strings.Contains(err.Error(), bad+":3:") {
			t.Errorf("error %v, want one at %s:3", err, bad)
		}
	})
}
