package rundir

import (
	"io"
	"os"
	"path/filepath"
	"strings"
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

// TestSwapRecord checks that a Swap's record of what it wrote is the one
// RecordOutputs reads back from the committed directory: the same hash in
// the same order (a directory's files before a sibling file whose name
// sorts after the directory's but before "name/"), counting kept files,
// files written twice and files written through Create.
func TestSwapRecord(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "old", "a", "kept.html"), "kept")
	writeTestFile(t, filepath.Join(dir, "old", "a", "z.txt"), "kept too")
	s, err := NewSwap(filepath.Join(dir, "variants"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	write := func(rel, data string) {
		t.Helper()
		if err := s.WriteFile(rel, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", "beside the directory a")
	write("a-b/c", "dash sorts before slash")
	write("b/c/d.eml", "deep")
	write("b/c/d.eml", "deep, written again")
	write("empty", "")
	if err := s.Create("b/meta.json", func(w io.Writer) error {
		for range 3 {
			if _, err := io.WriteString(w, strings.Repeat("x", 40000)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Keep("a", filepath.Join(dir, "old", "a")); err != nil {
		t.Fatal(err)
	}
	got := s.Record("variants")
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	want, err := RecordOutputs(dir, "variants")
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 1 || got != want[0] {
		t.Errorf("Record = %+v, read back %+v", got, want)
	}
	if got.Files != 7 {
		t.Errorf("Record counts %d files, want 7", got.Files)
	}
}

// WriteFileRecord records a file as RecordOutputs reads it back, in
// pieces of any size; a failed fill leaves the earlier file in place and
// no temporary file behind.
func TestWriteFileRecord(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "profiles.csv")
	for _, pieces := range [][]string{{}, {""}, {"id\n"}, {"id,a\n", strings.Repeat("x", 1<<20), "", "\n"}} {
		got, err := WriteFileRecord(path, "profiles.csv", func(w io.Writer) error {
			for _, p := range pieces {
				if _, err := io.WriteString(w, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want, err := RecordOutputs(dir, "profiles.csv")
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 1 || got != want[0] {
			t.Errorf("%d pieces: record %+v, RecordOutputs %+v", len(pieces), got, want)
		}
	}
	before, _ := os.ReadFile(path)
	errFill := io.ErrShortWrite
	if _, err := WriteFileRecord(path, "profiles.csv", func(w io.Writer) error {
		_, _ = io.WriteString(w, "half a file")
		return errFill
	}); err != errFill {
		t.Errorf("failed fill: error %v, want %v", err, errFill)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("failed fill changed the file: %q", after)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed fill left %d entries in the directory, want 1", len(entries))
	}
}
