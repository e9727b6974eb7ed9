package rundir

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHolding(t *testing.T) {
	since := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	host, _ := os.Hostname()
	dead := `{"pid":4242,"host":"gone","command":"tailor send out/c/2026-10","since":"2026-11-01T08:00:00Z"}`
	tests := []struct {
		name string
		// setup prepares the lock of dir and returns what to release.
		setup    func(t *testing.T, dir string) func()
		wantHeld bool
		want     Holder
	}{
		{"no lock file", func(t *testing.T, dir string) func() { return func() {} }, false, Holder{}},
		{"released", func(t *testing.T, dir string) func() {
			l, err := Acquire(dir, "tailor run c.toml", since)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			return func() {}
		}, false, Holder{}},
		{"held", func(t *testing.T, dir string) func() {
			l, err := Acquire(dir, "tailor run c.toml", since)
			if err != nil {
				t.Fatal(err)
			}
			return func() { l.Release() }
		}, true, Holder{PID: os.Getpid(), Host: host, Command: "tailor run c.toml", Since: since}},
		{"held, details unreadable", func(t *testing.T, dir string) func() {
			l, err := Acquire(dir, "tailor run c.toml", since)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(LockPath(dir), []byte("{not json"), FileMode); err != nil {
				t.Fatal(err)
			}
			return func() { l.Release() }
		}, true, Holder{}},
		{"holder died", func(t *testing.T, dir string) func() {
			if err := os.WriteFile(LockPath(dir), []byte(dead), FileMode); err != nil {
				t.Fatal(err)
			}
			return func() {}
		}, false, Holder{PID: 4242, Host: "gone", Command: "tailor send out/c/2026-10", Since: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "c", "2026-10")
			if err := MkdirAll(filepath.Dir(dir)); err != nil {
				t.Fatal(err)
			}
			release := tt.setup(t, dir)
			defer release()
			before, _ := os.ReadFile(LockPath(dir))
			_, statErr := os.Stat(LockPath(dir))
			h, held, err := Holding(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(LockPath(dir)); (err == nil) != (statErr == nil) {
				t.Errorf("Holding made or removed the lock file")
			}
			if held != tt.wantHeld {
				t.Errorf("held = %v, want %v", held, tt.wantHeld)
			}
			if h != tt.want {
				t.Errorf("holder = %+v, want %+v", h, tt.want)
			}
			after, _ := os.ReadFile(LockPath(dir))
			if string(after) != string(before) {
				t.Errorf("Holding changed the lock file: %q, was %q", after, before)
			}
			// Holding left the lock as it was: free for the next writer,
			// or still held.
			l, err := Acquire(dir, "tailor render", since)
			if (err == nil) == tt.wantHeld {
				t.Errorf("Acquire after Holding: %v", err)
			}
			if err == nil {
				l.Release()
			}
		})
	}
}
