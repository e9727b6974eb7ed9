package rundir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Modes of everything written into a run directory: private to the
// account that runs tailor.
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// tmpMark marks temporary files and directories: whatever carries it was
// interrupted and is removed by RemoveLeftovers.
const tmpMark = ".tmp-"

// MkdirAll makes dir and any missing parents with DirMode, whatever the
// umask. Directories that exist are left as they are.
func MkdirAll(dir string) error {
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("not a directory")}
		}
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, DirMode); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // made by another goroutine or process meanwhile
		}
		return err
	}
	return os.Chmod(dir, DirMode)
}

// Private makes dir private (DirMode): whatever an older run wrote inside
// it becomes unreachable to other accounts.
func Private(dir string) error {
	if err := MkdirAll(dir); err != nil {
		return err
	}
	return os.Chmod(dir, DirMode)
}

// WriteFile writes path atomically: fill writes a temporary file in the same
// directory, which is synced and renamed over path only when fill succeeds.
// On any error nothing is left behind and path is unchanged. The file gets
// FileMode.
func WriteFile(path string, fill func(w io.Writer) error) error {
	return writeFile(path, fill, nil)
}

// WriteFileRecord is WriteFile that also returns the file's record as
// RecordOutputs gives it, named rel, from the bytes as they were written:
// a large output is not read back to be hashed.
func WriteFileRecord(path, rel string, fill func(w io.Writer) error) (OutputRecord, error) {
	h := sha256.New()
	if err := writeFile(path, fill, h); err != nil {
		return OutputRecord{}, err
	}
	return OutputRecord{Path: rel, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeFile is WriteFile, which also writes what it writes to h unless h
// is nil.
func writeFile(path string, fill func(w io.Writer) error, h hash.Hash) (err error) {
	if err := MkdirAll(filepath.Dir(path)); err != nil {
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
	var w io.Writer = f
	if h != nil {
		w = &hashWriter{f: f, h: h}
	}
	if err = fill(w); err != nil {
		return err
	}
	if err = f.Chmod(FileMode); err != nil {
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

// WriteJSON writes v as indented JSON, atomically.
func WriteJSON(path string, v any) error {
	return WriteFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// ReadJSON reads a JSON file into v. Errors name the file.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Swap builds a directory under a temporary name and swaps it in place of
// the real one on Commit, so that a directory of outputs (the variants, the
// outbox) is replaced as a whole or not at all.
type Swap struct {
	final, tmp string
	// sums are the SHA-256 and size of every file written or kept, by
	// slash-separated path, for Record.
	mu   sync.Mutex
	sums map[string]fileSum
	// dirs are the directories made (or found) for the files written,
	// made once each.
	dirs sync.Map // string -> struct{}
}

// fileSum is a file's SHA-256 and size.
type fileSum struct {
	sum  [sha256.Size]byte
	size int64
}

// note records the sum of the file rel.
func (s *Swap) note(rel string, sum fileSum) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sums == nil {
		s.sums = map[string]fileSum{}
	}
	s.sums[rel] = sum
}

// Record returns what RecordOutputs records for the directory once
// committed, as rel, from its files as they were written: HashTree's
// hash and count, without reading them back.
func (s *Swap) Record(rel string) OutputRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	paths := slices.Collect(maps.Keys(s.sums))
	// HashTree walks each directory in name order: a path sorts by its
	// names one after the other, not as a string ("a/b" before "a.txt").
	slices.SortFunc(paths, func(a, b string) int {
		return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
	})
	h := sha256.New()
	for _, p := range paths {
		f := s.sums[p]
		fmt.Fprintf(h, "%s\x00%d\x00%x\n", p, f.size, f.sum)
	}
	return OutputRecord{Path: rel, SHA256: hex.EncodeToString(h.Sum(nil)), Files: len(paths)}
}

// hashWriter writes to a file and hashes what it wrote.
type hashWriter struct {
	f    *os.File
	h    hash.Hash
	size int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.size += int64(n)
	return n, err
}

// NewSwap starts building the directory final.
func NewSwap(final string) (*Swap, error) {
	if err := MkdirAll(filepath.Dir(final)); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+tmpMark+"*")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, DirMode); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &Swap{final: final, tmp: tmp}, nil
}

// Path returns the temporary location of a file of the directory; rel is
// slash-separated.
func (s *Swap) Path(rel string) string { return filepath.Join(s.tmp, filepath.FromSlash(rel)) }

// WriteFile writes one file of the directory being built, making its
// parent directories. The file is not synced on its own: the directory is
// swapped in as a whole, and the manifest's hash of it tells a torn one.
// It may be called from several goroutines at once.
func (s *Swap) WriteFile(rel string, data []byte) error {
	_, err := s.WriteFileSum(rel, data)
	return err
}

// WriteFileSum is WriteFile, returning the SHA-256 of data, which the
// directory's record holds for the file.
func (s *Swap) WriteFileSum(rel string, data []byte) ([sha256.Size]byte, error) {
	f, err := s.open(rel)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return [sha256.Size]byte{}, err
	}
	if err := f.Close(); err != nil {
		return [sha256.Size]byte{}, err
	}
	sum := fileSum{sum: sha256.Sum256(data), size: int64(len(data))}
	s.note(rel, sum)
	return sum.sum, nil
}

// open creates the file rel of the directory being built, and its parent
// directories.
func (s *Swap) open(rel string) (*os.File, error) {
	path := s.Path(rel)
	if dir := filepath.Dir(path); !s.made(dir) {
		if err := MkdirAll(dir); err != nil {
			return nil, err
		}
		s.dirs.Store(dir, struct{}{})
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// made reports whether open made the directory dir already.
func (s *Swap) made(dir string) bool {
	_, ok := s.dirs.Load(dir)
	return ok
}

// Create writes one file of the directory being built with fill, as
// WriteFile does.
func (s *Swap) Create(rel string, fill func(w io.Writer) error) error {
	f, err := s.open(rel)
	if err != nil {
		return err
	}
	w := &hashWriter{f: f, h: sha256.New()}
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	var sum fileSum
	w.h.Sum(sum.sum[:0])
	sum.size = w.size
	s.note(rel, sum)
	return nil
}

// Keep puts the directory src, an earlier version's, into the directory
// being built as rel, file by file: hard links where the file system
// allows them, copies where it does not. Only regular files and
// directories are kept. It may be called from several goroutines at once.
func (s *Swap) Keep(rel, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		sub, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(s.Path(rel), sub)
		switch {
		case d.IsDir():
			return MkdirAll(dst)
		case !d.Type().IsRegular():
			return nil
		}
		if err := os.Link(p, dst); err == nil {
			sum, err := sumFile(dst)
			if err != nil {
				return err
			}
			s.note(filepath.ToSlash(filepath.Join(rel, sub)), sum)
			return nil
		}
		return s.Create(filepath.ToSlash(filepath.Join(rel, sub)), func(w io.Writer) error {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
	})
}

// Commit replaces the final directory by the one built.
func (s *Swap) Commit() error {
	old := s.final + tmpMark + "old"
	os.RemoveAll(old)
	if _, err := os.Stat(s.final); err == nil {
		if err := os.Rename(s.final, old); err != nil {
			return err
		}
	}
	if err := os.Rename(s.tmp, s.final); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// Abort removes the directory being built; after Commit it does nothing.
func (s *Swap) Abort() { os.RemoveAll(s.tmp) }

// RemoveLeftovers deletes the temporary files and directories that an
// interrupted run left in dir, at any depth. Call it only while holding the
// run's lock: another writer's temporary files are its work in progress.
func RemoveLeftovers(dir string) error {
	var stale []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
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

// Backup moves the outputs rels of dir aside, so that Restore can put them
// back should the stage that replaces them fail; Discard drops them once
// it succeeded. Outputs that do not exist are skipped.
type Backup struct {
	dir   string
	moved []string
}

// NewBackup moves rels aside.
func NewBackup(dir string, rels ...string) (*Backup, error) {
	b := &Backup{dir: dir}
	for _, rel := range rels {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		aside := p + tmpMark + "backup"
		os.RemoveAll(aside)
		if err := os.Rename(p, aside); err != nil {
			b.Restore()
			return nil, err
		}
		b.moved = append(b.moved, rel)
	}
	return b, nil
}

// Restore puts the outputs back, replacing what was written meanwhile.
func (b *Backup) Restore() error {
	var errs []error
	for _, rel := range b.moved {
		p := filepath.Join(b.dir, filepath.FromSlash(rel))
		os.RemoveAll(p)
		errs = append(errs, os.Rename(p+tmpMark+"backup", p))
	}
	b.moved = nil
	return errors.Join(errs...)
}

// Earlier returns the path of the output rel of dir as it was before the
// stage that replaces it began: moved aside by a Backup, or still in place
// (a stage that writes through a Swap replaces it only when it commits).
// A stage may reuse what it finds there.
func Earlier(dir, rel string) string {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Lstat(p + tmpMark + "backup"); err == nil {
		return p + tmpMark + "backup"
	}
	return p
}

// Discard removes the outputs moved aside.
func (b *Backup) Discard() error {
	var errs []error
	for _, rel := range b.moved {
		errs = append(errs, os.RemoveAll(filepath.Join(b.dir, filepath.FromSlash(rel))+tmpMark+"backup"))
	}
	b.moved = nil
	return errors.Join(errs...)
}
