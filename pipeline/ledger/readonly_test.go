package ledger

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/send"
)

// sendAt records the claimed messages ids as Sent at at.
func sendAt(t *testing.T, l *Ledger, n int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	claimed, err := l.Advance(ctx, nil, n, at)
	if err != nil {
		t.Fatal(err)
	}
	var outs []send.Outcome
	for _, e := range claimed {
		outs = append(outs, send.Outcome{Cardholder: e.Cardholder, State: send.Sent, At: at})
	}
	if _, err := l.Advance(ctx, outs, 0, at); err != nil {
		t.Fatal(err)
	}
}

// TestOpenReadOnly reads a ledger a send holds open and writes to, and
// checks that reading changed nothing: no file made, none written.
func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "send.db")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, w, pending(1, 10, "v0001"))
	sendAt(t, w, 3, t0)
	sendAt(t, w, 2, t0.Add(time.Minute))

	r, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	totals, err := r.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if totals[send.Sent] != 5 || totals[send.Pending] != 5 {
		t.Errorf("totals while the writer is open: %v", totals)
	}
	// The writer goes on while the reader is open.
	sendAt(t, w, 1, t0.Add(2*time.Minute))
	st, err := r.SentTimes(ctx, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := SentTimes{Count: 6, First: t0, Last: t0.Add(2 * time.Minute), Since: 3}
	if st != want {
		t.Errorf("SentTimes = %+v, want %+v", st, want)
	}
	if _, err := r.Add(ctx, pending(100, 1, "v0001")); err == nil {
		t.Error("Add on a read-only ledger succeeded")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// A closed ledger: reading it leaves every file as it was.
	before := snapshot(t, path)
	r, err = OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Counts(ctx); err != nil || n["v0001"][send.Sent] != 6 {
		t.Errorf("Counts = %v, %v", n, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, path); after != before {
		t.Errorf("reading changed send.db:\nbefore %s\nafter  %s", before, after)
	}
	// SQLite's readers leave the WAL files of a WAL database: empty, and
	// as private as the database.
	for _, suffix := range []string{"-wal", "-shm"} {
		fi, err := os.Stat(path + suffix)
		if err != nil {
			continue
		}
		if fi.Mode().Perm() != 0o600 || suffix == "-wal" && fi.Size() != 0 {
			t.Errorf("%s: mode %s, %d bytes", suffix, fi.Mode(), fi.Size())
		}
	}
}

// snapshot describes send.db: its mode, time and contents.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s %s %x", fi.Mode(), fi.ModTime(), sha256.Sum256(data))
}

func TestOpenReadOnlyRefuses(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"absent", filepath.Join(dir, "send.db"), "no such file"},
		{"a directory", dir, "not a file"},
		{"no schema", empty, "no ledger schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := OpenReadOnly(tt.path)
			if err == nil {
				l.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "send.db")); err == nil {
		t.Error("OpenReadOnly created the file")
	}
}
