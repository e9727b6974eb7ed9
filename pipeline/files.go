package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// tmpMark marks temporary files and directories: whatever carries it was
// interrupted and is removed at the start of the next run.
const tmpMark = ".tmp-"

// writeFile writes path atomically: fill writes a temporary file in the same
// directory, which is synced and renamed over path only when fill succeeds.
// On any error, nothing is left behind and path is unchanged.
func writeFile(path string, fill func(w io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+tmpMark+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	// CreateTemp makes the file private; outputs are ordinary files.
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	return writeFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// readJSON reads a JSON file into v.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// dirSwap builds a directory under a temporary name and swaps it in place
// of the real one when done, so a directory of outputs (the variants, the
// outbox) is replaced as a whole or not at all.
type dirSwap struct {
	final, tmp string
}

func newDirSwap(final string) (*dirSwap, error) {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+tmpMark+"*")
	if err != nil {
		return nil, err
	}
	return &dirSwap{final: final, tmp: tmp}, nil
}

// path returns the temporary location of a file of the directory.
func (d *dirSwap) path(rel string) string { return filepath.Join(d.tmp, filepath.FromSlash(rel)) }

// commit replaces the final directory by the temporary one.
func (d *dirSwap) commit() error {
	old := d.final + tmpMark + "old"
	os.RemoveAll(old)
	if _, err := os.Stat(d.final); err == nil {
		if err := os.Rename(d.final, old); err != nil {
			return err
		}
	}
	if err := os.Rename(d.tmp, d.final); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// abort removes the temporary directory.
func (d *dirSwap) abort() { os.RemoveAll(d.tmp) }

// writeFileIn writes a file inside a directory being built; the file is not
// synced on its own, the directory is swapped in as a whole.
func writeFileIn(path string, fill func(w io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// removeLeftovers deletes the temporary files and directories that an
// interrupted run left in dir, at any depth.
func removeLeftovers(dir string) error {
	var stale []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if strings.Contains(d.Name(), tmpMark) {
			stale = append(stale, p)
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range stale {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}

// hashFile returns the SHA-256 and size of a file.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// hashTree returns one SHA-256 over every file under dir (names and
// contents, in name order) and the number of files.
func hashTree(dir string) (string, int, error) {
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		sum, size, err := hashFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", filepath.ToSlash(rel), size, sum)
		n++
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// keyOf hashes the parts of a stage's key.
func keyOf(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range parts {
		_ = enc.Encode(p) // hashing plain values cannot fail
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WriteFile writes path atomically: fill writes to a temporary file beside
// it, which replaces path only once complete. Commands use it for the files
// they write outside a run.
func WriteFile(path string, fill func(w io.Writer) error) error { return writeFile(path, fill) }
