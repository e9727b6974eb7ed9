//go:build unix

package ledger

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestMode checks that the ledger's files are 0600 whatever the umask,
// also when the file was there with a wider mode. It changes the process's
// umask: no parallel tests.
func TestMode(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0))
	dir := t.TempDir()
	wide := filepath.Join(dir, "wide.db")
	if err := os.WriteFile(wide, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "send.db"), wide} {
		l, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Add(context.Background(), pending(0, 10, "a")); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Error(err)
				continue
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
