package suppress_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/suppress"
)

func TestAppender(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out", "october", suppress.FileName)
	a, err := suppress.OpenAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != suppress.Header+"\n" {
		t.Errorf("a new file holds %q, want the header", got)
	}
	at := time.Date(2026, 10, 2, 11, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	for _, e := range []suppress.Entry{
		{At: at, CardholderID: "C1", Reason: "unsubscribe", Source: "one-click POST"},
		{At: at, CardholderID: " C2 ", Address: "Bob, Jr <bob@example.com>", Reason: "bounce 550-5.1.1 no such user\r\n550 5.1.1 gone", Source: "send 2026-10"},
	} {
		if err := a.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Append(suppress.Entry{Reason: "unsubscribe"}); err == nil {
		t.Error("an entry with no cardholder and no address was appended")
	}
	want := suppress.Header + "\n" +
		"2026-10-02T09:00:00Z,C1,,unsubscribe,one-click POST\n" +
		"2026-10-02T09:00:00Z,C2,\"Bob, Jr <bob@example.com>\",bounce 550-5.1.1 no such user  550 5.1.1 gone,send 2026-10\n"
	if got := readFile(t, path); got != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := a.Append(suppress.Entry{CardholderID: "C3"}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Append after Close: %v, want os.ErrClosed", err)
	}

	// Opened again, it appends after what is there, without a second
	// header.
	a, err = suppress.OpenAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Append(suppress.Entry{At: at, CardholderID: "C3", Reason: "unsubscribe", Source: "one-click POST"}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != want+"2026-10-02T09:00:00Z,C3,,unsubscribe,one-click POST\n" {
		t.Errorf("file:\n%s", got)
	}
}

func TestAppenderZeroTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), suppress.FileName)
	a, err := suppress.OpenAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	before := time.Now().Truncate(time.Second)
	if err := a.Append(suppress.Entry{CardholderID: "C1"}); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, path)
	at, err := time.Parse(time.RFC3339, rows[1][0])
	if err != nil || at.Before(before) || at.After(time.Now()) || !strings.HasSuffix(rows[1][0], "Z") {
		t.Errorf("at %q, want the present moment in UTC", rows[1][0])
	}
}

// TestAppenderMendsTail starts from files a crash could leave behind.
func TestAppenderMendsTail(t *testing.T) {
	entry := "2026-10-02T09:00:00Z,C1,,unsubscribe,one-click POST"
	next := "2026-10-02T09:00:00Z,C2,,unsubscribe,one-click POST\n"
	tests := []struct{ name, before, after string }{
		{"empty", "", suppress.Header + "\n" + next},
		{"header cut short", "at,cardh", suppress.Header + "\n" + next},
		{"header without its newline", suppress.Header, suppress.Header + "\n" + next},
		{"entry cut short", suppress.Header + "\n" + entry + "\n2026-10-02T09:0", suppress.Header + "\n" + entry + "\n" + next},
		{"entry cut short in a quote", suppress.Header + "\n" + entry + "\n2026-10-02T09:00:00Z,C2,\"Bob, J", suppress.Header + "\n" + entry + "\n" + next},
		{"entry without its newline", suppress.Header + "\n" + entry, suppress.Header + "\n" + entry + "\n" + next},
		{"whole", suppress.Header + "\n" + entry + "\n", suppress.Header + "\n" + entry + "\n" + next},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), suppress.FileName)
			os.WriteFile(path, []byte(tt.before), 0o600)
			a, err := suppress.OpenAppender(path)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if err := a.Append(suppress.Entry{At: time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC), CardholderID: "C2", Reason: "unsubscribe", Source: "one-click POST"}); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tt.after {
				t.Errorf("file:\n%q\nwant:\n%q", got, tt.after)
			}
		})
	}
}

func TestAppenderRefusesOtherFiles(t *testing.T) {
	for _, content := range []string{"email\nann@example.com\n", "email", "cardholder_id,email\nC1,ann@example.com"} {
		path := filepath.Join(t.TempDir(), suppress.FileName)
		os.WriteFile(path, []byte(content), 0o600)
		a, err := suppress.OpenAppender(path)
		if err == nil {
			a.Close()
			t.Errorf("%q: opened", content)
		} else if !strings.Contains(err.Error(), "not tailor's suppression file") {
			t.Errorf("%q: %v", content, err)
		}
		if got := readFile(t, path); got != content {
			t.Errorf("%q became %q", content, got)
		}
	}
}

// TestAppenderReplaced removes the file under an open Appender: the next
// entry goes to a new file at the path, not to the removed one.
func TestAppenderReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), suppress.FileName)
	a, err := suppress.OpenAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Append(suppress.Entry{CardholderID: "C1"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	if err := a.Append(suppress.Entry{CardholderID: "C2"}); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, path)
	if len(rows) != 2 || rows[1][1] != "C2" {
		t.Errorf("new file rows %q, want the header and C2", rows)
	}
}

// TestConcurrentAppends has 8 goroutines share one Appender and 2 more
// each open their own: every entry is in the file once, on a line of
// its own.
func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), suppress.FileName)
	shared, err := suppress.OpenAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	const goroutines, each = 10, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			a := shared
			if g >= 8 {
				own, err := suppress.OpenAppender(path)
				if err != nil {
					errs <- err
					return
				}
				defer own.Close()
				a = own
			}
			for i := range each {
				if err := a.Append(entry(fmt.Sprintf("g%d", g), i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkEntries(t, path, []string{"g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"}, each)
}

// TestConcurrentProcesses runs this test binary twice at once as
// appending processes (helperProcess), while this process appends too.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test binary")
	}
	path := filepath.Join(t.TempDir(), suppress.FileName)
	const each = 200
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, who := range []string{"p0", "p1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "SUPPRESS_HELPER="+path+"|"+who+"|"+strconv.Itoa(each))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	a, err := suppress.OpenAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range each {
		if err := a.Append(entry("main", i)); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	checkEntries(t, path, []string{"main", "p0", "p1"}, each)
}

// TestHelperProcess is the appending process of TestConcurrentProcesses;
// it does nothing unless SUPPRESS_HELPER is set (path|who|count).
func TestHelperProcess(t *testing.T) {
	spec := os.Getenv("SUPPRESS_HELPER")
	if spec == "" {
		return
	}
	parts := strings.Split(spec, "|")
	n, _ := strconv.Atoi(parts[2])
	a, err := suppress.OpenAppender(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for i := range n {
		if err := a.Append(entry(parts[1], i)); err != nil {
			t.Fatal(err)
		}
	}
}

// entry is the i-th entry of writer who, long enough that a torn or
// interleaved write would show.
func entry(who string, i int) suppress.Entry {
	return suppress.Entry{
		At:           time.Date(2026, 10, 2, 9, 0, i%60, 0, time.UTC),
		CardholderID: fmt.Sprintf("%s-%04d", who, i),
		Address:      fmt.Sprintf("%s.%d@example.com", who, i),
		Reason:       "bounce 550 5.1.1 " + strings.Repeat("x", 200),
		Source:       "test " + who,
	}
}

// checkEntries checks that the file holds the header and the entries of
// each writer, each once and whole, and nothing else.
func checkEntries(t *testing.T, path string, writers []string, each int) {
	t.Helper()
	data := readFile(t, path)
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if lines[0] != suppress.Header {
		t.Fatalf("first line %q, want the header", lines[0])
	}
	seen := map[string]int{}
	for n, line := range lines[1:] {
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil || len(rec) != 5 {
			t.Fatalf("line %d %q: %v", n+2, line, err)
		}
		who := strings.TrimPrefix(rec[4], "test ")
		var i int
		fmt.Sscanf(rec[1][len(who)+1:], "%d", &i)
		if want := entry(who, i); rec[1] != want.CardholderID || rec[2] != want.Address || rec[3] != want.Reason {
			t.Fatalf("line %d is not whole: %q", n+2, line)
		}
		seen[rec[1]]++
	}
	for _, who := range writers {
		for i := range each {
			if id := entry(who, i).CardholderID; seen[id] != 1 {
				t.Errorf("%s: %d times", id, seen[id])
			}
		}
	}
	if want := len(writers)*each + 1; len(lines) != want {
		t.Errorf("%d lines, want %d", len(lines), want)
	}
	l, err := suppress.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2*len(writers)*each {
		t.Errorf("Load: Len() = %d, want %d", l.Len(), 2*len(writers)*each)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readRows(t *testing.T, path string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(readFile(t, path))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
