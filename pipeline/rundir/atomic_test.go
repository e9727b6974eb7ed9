package rundir

import (
	"os"
	"path/filepath"
	"testing"
)

func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := MkdirAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), FileMode); err != nil {
		t.Fatal(err)
	}
}

func readTestFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKeepAndEarlier checks that a stage rebuilding a directory through a
// Swap can keep parts of the earlier version, whether a Backup moved it
// aside or it is still in place, and that a Restore brings the earlier
// version back unharmed by what the Swap kept.
func TestKeepAndEarlier(t *testing.T) {
	for _, backup := range []bool{false, true} {
		name := "in place"
		if backup {
			name = "moved aside"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTestFile(t, filepath.Join(dir, "variants", "v1", "index.html"), "old v1")
			writeTestFile(t, filepath.Join(dir, "variants", "v1", "readers", "1.html"), "old v1 reader")
			writeTestFile(t, filepath.Join(dir, "variants", "v2", "index.html"), "old v2")
			var b *Backup
			if backup {
				var err error
				if b, err = NewBackup(dir, "variants"); err != nil {
					t.Fatal(err)
				}
			}
			prev := Earlier(dir, "variants")
			if got := readTestFile(t, filepath.Join(prev, "v1", "index.html")); got != "old v1" {
				t.Fatalf("Earlier: %s holds %q", prev, got)
			}
			s, err := NewSwap(filepath.Join(dir, "variants"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Keep("v1", filepath.Join(prev, "v1")); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteFile("v2/index.html", []byte("new v2")); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(); err != nil {
				t.Fatal(err)
			}
			for rel, want := range map[string]string{"v1/index.html": "old v1", "v1/readers/1.html": "old v1 reader", "v2/index.html": "new v2"} {
				p := filepath.Join(dir, "variants", filepath.FromSlash(rel))
				if got := readTestFile(t, p); got != want {
					t.Errorf("%s: %q, want %q", rel, got, want)
				}
				if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != FileMode {
					t.Errorf("%s: mode %v (%v), want %v", rel, fi.Mode().Perm(), err, FileMode)
				}
			}
			if !backup {
				return
			}
			// The stage after failed: the earlier version comes back whole.
			if err := b.Restore(); err != nil {
				t.Fatal(err)
			}
			for rel, want := range map[string]string{"v1/index.html": "old v1", "v1/readers/1.html": "old v1 reader", "v2/index.html": "old v2"} {
				if got := readTestFile(t, filepath.Join(dir, "variants", filepath.FromSlash(rel))); got != want {
					t.Errorf("after Restore, %s: %q, want %q", rel, got, want)
				}
			}
		})
	}
}
