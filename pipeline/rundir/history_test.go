package rundir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// line returns e as a history line.
func line(t testing.TB, e Entry) string {
	t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(data) + "\n"
}

func TestAppendHistoryRoundTrip(t *testing.T) {
	root := filepath.Join(t.TempDir(), "out") // made by AppendHistory
	start := time.Date(2026, 12, 6, 3, 31, 50, 0, time.UTC)
	entries := []Entry{
		{
			Command: "run", Campaign: "quickstart", Month: "2026-10", Dir: "out/quickstart/2026-10",
			Start: start, End: start.Add(42 * time.Second), Outcome: "done",
			Ran: []string{"ingest", "profile"}, Kept: []string{"cluster"},
			PID: 4242, Host: "host1", Version: "v1.2.3",
		},
		{
			Command: "render", Campaign: "quickstart", Month: "2026-10", Dir: "out/quickstart/2026-10",
			Start: start.Add(time.Hour), End: start.Add(time.Hour + time.Second), Outcome: "failed",
			Error: "render: 2 problems in the templates\nand a second line", PID: 4243, Host: "host1", Version: "v1.2.3",
		},
	}
	for _, e := range entries {
		if err := AppendHistory(root, e); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(root, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != len(entries) {
		t.Errorf("history has %d lines, want %d:\n%s", n, len(entries), data)
	}
	if !bytes.Contains(data, []byte(`"ran":[],"kept":[]`)) {
		t.Errorf("empty lists are not written as []:\n%s", data)
	}
	got, err := ReadHistory(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	entries[1].Ran, entries[1].Kept = []string{}, []string{}
	if !reflect.DeepEqual(got, entries) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, entries)
	}
}

// TestAppendHistoryConcurrent appends from several goroutines at once,
// each with its own open files and lock, as several campaigns finishing
// together in one output root do.
func TestAppendHistoryConcurrent(t *testing.T) {
	const writers, each = 8, 50
	root := t.TempDir()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := Entry{
					Command: "run", Campaign: fmt.Sprintf("c%d", w), Month: fmt.Sprintf("%d", i),
					Outcome: "done", Ran: []string{strings.Repeat("x", 100*i)}, // lines of many lengths
				}
				if err := AppendHistory(root, e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	data, err := os.ReadFile(filepath.Join(root, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != writers*each {
		t.Errorf("%d lines, want %d", len(lines), writers*each)
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line %d is not JSON: %.80q", i+1, l)
		}
	}
	entries, err := ReadHistory(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	next := make([]int, writers) // each writer's entries are in its order
	for _, e := range entries {
		seen[e.Campaign+"/"+e.Month]++
		var w, i int
		fmt.Sscanf(e.Campaign, "c%d", &w)
		fmt.Sscanf(e.Month, "%d", &i)
		if i != next[w] {
			t.Errorf("writer %d's entry %d comes where %d should", w, i, next[w])
		}
		next[w] = i + 1
	}
	for w := range writers {
		for i := range each {
			if n := seen[fmt.Sprintf("c%d/%d", w, i)]; n != 1 {
				t.Errorf("writer %d's entry %d is there %d times", w, i, n)
			}
		}
	}
}

// TestAppendHistoryMendsTail appends after what a crash may leave at the
// end of the history.
func TestAppendHistoryMendsTail(t *testing.T) {
	a := line(t, Entry{Command: "run", Campaign: "a", Outcome: "done"})
	b := Entry{Command: "run", Campaign: "b", Outcome: "done", Ran: []string{}, Kept: []string{}}
	tests := []struct {
		name string
		had  string
		kept string   // what is left of it before the new line
		want []string // campaigns read back
	}{
		{"new", "", "", []string{"b"}},
		{"whole", a, a, []string{"a", "b"}},
		{"torn", a + a[:20], a, []string{"a", "b"}},
		{"torn first line", a[:20], "", []string{"b"}},
		{"zeros after a power cut", a + "\x00\x00\x00\x00", a, []string{"a", "b"}},
		{"no newline", strings.TrimSuffix(a, "\n"), a, []string{"a", "b"}},
		{"long torn line", a + `{"command":"` + strings.Repeat("x", 10000), a, []string{"a", "b"}},
		{"long torn first line", `{"command":"` + strings.Repeat("x", 10000), "", []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, HistoryFile)
			if err := os.WriteFile(path, []byte(tt.had), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := AppendHistory(root, b); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.kept + line(t, b); string(data) != want {
				t.Errorf("history is\n%q\nwant\n%q", data, want)
			}
			entries, err := ReadHistory(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Campaign)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("campaigns read back %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAppendHistoryMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	root := t.TempDir()
	path := filepath.Join(root, HistoryFile)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendHistory(root, Entry{Command: "run"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestAppendHistoryBadRoot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := AppendHistory(file, Entry{Command: "run"})
	if err == nil || !strings.Contains(err.Error(), HistoryFile) {
		t.Errorf("AppendHistory under a file: %v, want an error naming the history", err)
	}
}

func TestReadHistory(t *testing.T) {
	a := line(t, Entry{Command: "run", Campaign: "a"})
	b := line(t, Entry{Command: "render", Campaign: "b"})
	tests := []struct {
		name    string
		in      string
		want    []string // campaigns
		wantErr string   // in the error
	}{
		{name: "empty", in: ""},
		{name: "one", in: a, want: []string{"a"}},
		{name: "two", in: a + b, want: []string{"a", "b"}},
		{name: "last line without newline", in: a + strings.TrimSuffix(b, "\n"), want: []string{"a", "b"}},
		{name: "CRLF", in: strings.ReplaceAll(a+b, "\n", "\r\n"), want: []string{"a", "b"}},
		{name: "blank lines", in: "\n" + a + "\n  \n" + b + "\n", want: []string{"a", "b"}},
		{name: "torn last line", in: a + b[:len(b)/2], want: []string{"a"}},
		{name: "torn only line", in: a[:5], want: nil},
		{name: "zeros at the end", in: a + "\x00\x00\x00", want: []string{"a"}},
		{name: "bad middle line", in: a + b[:len(b)/2] + "\n" + a, wantErr: "history line 2: "},
		{name: "bad last line with newline", in: a + a + "{oops}\n", wantErr: "history line 3: "},
		{name: "not an object", in: a + "null\n" + a, wantErr: "history line 2: not a JSON object"},
		{name: "array", in: "[]\n", wantErr: "history line 1: "},
		{name: "two objects on a line", in: strings.TrimSuffix(a, "\n") + a + b, wantErr: "history line 1: "},
		{name: "wrong type", in: `{"pid":"one"}` + "\n" + a, wantErr: "history line 1: "},
		{name: "unknown fields are ignored", in: `{"campaign":"a","later":1}` + "\n", want: []string{"a"}},
		{name: "long line", in: a + line(t, Entry{Campaign: "c", Error: strings.Repeat("e", 200000)}), want: []string{"a", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := ReadHistory(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Campaign)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("campaigns %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzReadHistory(f *testing.F) {
	a := line(f, Entry{Command: "run", Campaign: "a", Month: "2026-10", Outcome: "done", Ran: []string{"ingest"}})
	for _, seed := range []string{"", a, a + a, a + a[:10], a[:10] + "\n" + a, "null\n", "\n\n", "{}", "\x00", a + "\r\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		entries, err := ReadHistory(bytes.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "history line ") {
				t.Errorf("error %q does not name its line", err)
			}
			return
		}
		if n := bytes.Count(in, []byte("\n")) + 1; len(entries) > n {
			t.Fatalf("%d entries from %d lines", len(entries), n)
		}
		// What was read writes back as a history that reads the same.
		var buf bytes.Buffer
		for _, e := range entries {
			buf.WriteString(line(t, e))
		}
		again, err := ReadHistory(&buf)
		if err != nil {
			t.Fatalf("history written back: %v", err)
		}
		if len(again) != len(entries) {
			t.Fatalf("history written back has %d entries, want %d", len(again), len(entries))
		}
	})
}
