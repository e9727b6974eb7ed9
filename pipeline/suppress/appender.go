package suppress

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/gofrs/flock"
)

// Modes of tailor's file and of the folders OpenAppender makes: the file
// names cardholders, so it is private to its owner whatever the umask.
const (
	fileMode fs.FileMode = 0o600
	dirMode  fs.FileMode = 0o700
)

// maxTail bounds how far back an Appender looks for the start of a last
// line with no newline: entries are a few hundred bytes.
const maxTail = 64 << 10

// Appender appends entries to tailor's own file. The file is opened
// O_APPEND|O_CREATE and made 0600 whatever the umask; each entry is one
// write, made while holding an exclusive flock(2) on the file (through
// gofrs/flock) and synced before Append returns. It is safe for concurrent
// use by goroutines, and processes (and other Appenders of the same file)
// take turns through the flock.
//
// A file that was replaced (renamed away, removed) since it was opened is
// opened again at the next Append. A last line cut short by a crash is cut
// away before the next entry is written, so that every entry starts a line
// of its own; a whole last entry that only lacks its newline gets one.
type Appender struct {
	path string
	fl   *flock.Flock // the lock, on a descriptor it opens for each Append

	mu sync.Mutex // one Append at a time in this process
	f  *os.File   // the file, O_APPEND; nil once closed
}

// OpenAppender opens tailor's file at path for appending, making it (with
// its header) and its folder (0700) if needed. A file that is there but is
// not tailor's, by its header, is an error.
func OpenAppender(path string) (*Appender, error) {
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("suppress: %w", err)
	}
	f, err := openFile(path)
	if err != nil {
		return nil, fmt.Errorf("suppress: %w", err)
	}
	a := &Appender{
		path: path, f: f,
		// Read-write: where flock is emulated with fcntl (NFS, AIX), an
		// exclusive lock needs a descriptor open for writing.
		fl: flock.New(path, flock.SetFlag(os.O_RDWR|os.O_CREATE), flock.SetPermissions(fileMode)),
	}
	if err := a.write(nil); err != nil {
		f.Close()
		return nil, err
	}
	return a, nil
}

// openFile opens path to append and makes it fileMode.
func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Append appends e to the file and syncs it. A zero At is the present
// moment. Line breaks and other control characters in its fields become
// spaces (an SMTP reply may run over several lines), so that every entry
// is one line. An entry with neither a cardholder id nor an address is an
// error.
func (a *Appender) Append(e Entry) error {
	line, err := formatEntry(e)
	if err != nil {
		return fmt.Errorf("suppress: %s: %w", a.path, err)
	}
	return a.write(line)
}

// formatEntry returns e as a line of tailor's file.
func formatEntry(e Entry) ([]byte, error) {
	clean := func(s string) string {
		return strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s))
	}
	e.CardholderID, e.Address = clean(e.CardholderID), clean(e.Address)
	if e.CardholderID == "" && e.Address == "" {
		return nil, errors.New("an entry needs a cardholder id or an address")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{e.At.UTC().Format(time.RFC3339), e.CardholderID, e.Address, clean(e.Reason), clean(e.Source)})
	w.Flush()
	return b.Bytes(), w.Error()
}

// write appends line (nothing but the header of a new file when nil)
// under the lock.
func (a *Appender) write(line []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return fmt.Errorf("suppress: %s: %w", a.path, os.ErrClosed)
	}
	if err := a.writeLocked(line); err != nil {
		return fmt.Errorf("suppress: %s: %w", a.path, err)
	}
	return nil
}

func (a *Appender) writeLocked(line []byte) error {
	if err := a.fl.Lock(); err != nil {
		return err
	}
	defer a.fl.Unlock()
	if err := a.sameFile(); err != nil {
		return err
	}
	if err := checkHeader(a.f); err != nil {
		return err
	}
	nl, size, err := mendTail(a.f)
	if err != nil {
		return err
	}
	var buf []byte
	switch {
	case size == 0:
		buf = append([]byte(Header+"\n"), line...)
	case nl:
		buf = append([]byte{'\n'}, line...)
	default:
		buf = line
	}
	if len(buf) == 0 {
		return nil
	}
	if _, err := a.f.Write(buf); err != nil {
		return err
	}
	return a.f.Sync()
}

// sameFile makes sure that a.f is the file the lock is on, the one at the
// path now, opening it again if it was replaced.
func (a *Appender) sameFile() error {
	locked, err := a.fl.Stat() // of the locked descriptor
	if err != nil {
		return err
	}
	fi, err := a.f.Stat()
	if err == nil && os.SameFile(locked, fi) {
		return nil
	}
	f, err := openFile(a.path)
	if err != nil {
		return err
	}
	if fi, err = f.Stat(); err != nil || !os.SameFile(locked, fi) {
		f.Close()
		return errors.New("replaced while being appended to; try again")
	}
	a.f.Close()
	a.f = f
	return nil
}

// checkHeader makes sure that f is empty or starts with tailor's header
// (or a piece of it, when that is all there is: a first write cut short),
// not some other file's.
func checkHeader(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	b := make([]byte, min(fi.Size(), int64(len(Header)+len("\ufeff\r\n"))))
	if _, err := f.ReadAt(b, 0); err != nil {
		return err
	}
	first, _, whole := strings.Cut(string(b), "\n")
	first = strings.TrimSuffix(strings.TrimPrefix(first, "\ufeff"), "\r")
	if whole && first == Header || !whole && int64(len(b)) == fi.Size() && strings.HasPrefix(Header, first) {
		return nil
	}
	return fmt.Errorf("not tailor's suppression file: it starts %q, want the header %q", first, Header)
}

// mendTail makes f end with a whole line before a new one is appended. A
// last line with no newline is either a whole entry but for its newline,
// and gets one (in front of the new line: nl), or cut short by a crash,
// and is cut away: a piece of an entry, or of the header when it is the
// only line. Anything else is left for checkHeader and Read to report,
// and the new line starts a line of its own. size is the file's size
// after.
func mendTail(f *os.File) (nl bool, size int64, err error) {
	fi, err := f.Stat()
	if err != nil {
		return false, 0, err
	}
	size = fi.Size()
	// start is where the last line starts: after the last newline.
	start, buf, found := size, make([]byte, 4096), false
	for start > 0 && size-start <= maxTail {
		n := min(start, int64(len(buf)))
		if _, err := f.ReadAt(buf[:n], start-n); err != nil {
			return false, 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			start, found = start-n+int64(i)+1, true
			break
		}
		start -= n
	}
	switch {
	case start == size:
		return false, size, nil
	case !found && start > 0:
		return true, size, nil // longer than any entry: not one of ours
	}
	line := make([]byte, size-start)
	if _, err := f.ReadAt(line, start); err != nil {
		return false, 0, err
	}
	if start == 0 {
		if !strings.HasPrefix(Header+"\n", string(line)) {
			return true, size, nil
		}
	} else {
		r := csv.NewReader(bytes.NewReader(line))
		r.FieldsPerRecord = ownColumns
		if rec, err := r.Read(); err == nil {
			if _, err := parseOwn(rec); err == nil {
				return true, size, nil
			}
		}
	}
	return false, start, f.Truncate(start)
}

// Close closes the file. The Appender cannot be used after; a second Close
// does nothing.
func (a *Appender) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	if cerr := a.fl.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("suppress: %s: %w", a.path, err)
	}
	return nil
}
