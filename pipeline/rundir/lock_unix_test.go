//go:build unix

package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAcquireKilledHolder has a helper process take the lock and die by
// SIGKILL holding it: until then Acquire fails at once naming it, after
// that Acquire takes the lock over and reports it.
func TestAcquireKilledHolder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := filepath.Join(t.TempDir(), "quickstart", "2026-10")
	h := startHelper(t, dir, false)
	h.expect(t, "locked")
	pid := h.cmd.Process.Pid

	start := time.Now()
	_, err := Acquire(dir, "tailor render", time.Now())
	if took := time.Since(start); took > time.Second {
		t.Errorf("Acquire of a held lock took %v, want it to fail at once", took)
	}
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Acquire of a held lock: %v, want a *LockedError", err)
	}
	if !le.Known || le.Holder.PID != pid || le.Holder.Command != helperCommand {
		t.Errorf("holder %+v (known %v), want pid %d and command %q", le.Holder, le.Known, pid, helperCommand)
	}
	for _, want := range []string{dir, fmt.Sprintf("%q", helperCommand), fmt.Sprintf("pid %d", pid)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}

	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.wait() // killed: its error says so

	l, err := Acquire(dir, "tailor render", time.Now())
	if err != nil {
		t.Fatalf("Acquire after the holder died: %v", err)
	}
	defer l.Release()
	host, _ := os.Hostname()
	p := l.Previous()
	if p == nil || p.PID != pid || p.Command != helperCommand || p.Host != host || p.Since.IsZero() {
		t.Errorf("Previous() = %+v, want the killed helper (pid %d, %q on %s)", p, pid, helperCommand, host)
	}
}

// TestModesUmask checks that the lock file and the history are 0600
// whatever the umask and whatever mode they had.
func TestModesUmask(t *testing.T) {
	tests := []struct {
		name  string
		umask int
		had   fs.FileMode // 0: the file is new
	}{
		{"new, umask 0", 0, 0},
		{"new, umask 077", 0o077, 0},
		{"new, umask 277", 0o277, 0}, // created read-only
		{"was 0666, umask 0", 0, 0o666},
		{"was 0644, umask 022", 0o022, 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "c", "2026-10")
			lockFile, history := LockPath(dir), filepath.Join(root, HistoryFile)
			if tt.had != 0 {
				for _, path := range []string{lockFile, history} {
					if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, nil, tt.had); err != nil {
						t.Fatal(err)
					}
					if err := os.Chmod(path, tt.had); err != nil {
						t.Fatal(err)
					}
				}
			}

			old := syscall.Umask(tt.umask)
			l, lerr := Acquire(dir, "tailor run", time.Now())
			herr := AppendHistory(root, Entry{Command: "run"})
			syscall.Umask(old)
			if lerr != nil {
				t.Fatal(lerr)
			}
			defer l.Release()
			if herr != nil {
				t.Fatal(herr)
			}
			for _, path := range []string{lockFile, history} {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, want 0600", filepath.Base(path), fi.Mode().Perm())
				}
			}
		})
	}
}
