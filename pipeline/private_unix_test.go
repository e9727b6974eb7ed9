//go:build unix

package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRunDirectoryIsPrivate runs the example with a umask that takes
// nothing away (and one that would open everything to the group): every
// directory of the run is 0700 and every file 0600, as are the lock and
// the run history beside it. A run directory an older version left open
// (0755) is closed by the next run; directories the run did not make
// above it are left as they are.
func TestRunDirectoryIsPrivate(t *testing.T) {
	for _, umask := range []int{0, 0o002} {
		t.Run(fs.FileMode(umask).String(), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			cfg := quickstartConfig(t)
			open := filepath.Join(cfg.OutRoot, "quickstart", "2026-10")
			if err := os.MkdirAll(open, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(open, 0o755); err != nil {
				t.Fatal(err)
			}
			res := mustRun(t, cfg)
			n := 0
			err := filepath.WalkDir(cfg.OutRoot, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				fi, err := d.Info()
				if err != nil {
					return err
				}
				want := fs.FileMode(0o600)
				if d.IsDir() {
					want = fs.ModeDir | 0o700
				}
				if p == cfg.OutRoot || p == filepath.Dir(open) {
					return nil // made by the caller, left as they are
				}
				n++
				if fi.Mode() != want {
					t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n < 90 {
				t.Errorf("only %d entries under %s", n, res.Dir)
			}
		})
	}
}
