package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// The run lock keeps two writers out of one run directory: tailor run,
// tailor render and tailor send take it before they write and hold it until
// they are done. It is an OS file lock (flock(2) through gofrs/flock) on a
// file beside the run directory, so the kernel drops it when its process
// dies, whatever the way (kill -9, a crash, a power cut): there is no stale
// lock to detect by guessing from pids or ages. The lock file also carries
// the holder's details, for the error the next writer gets and for the
// operator who looks at it.
//
// The file's life:
//
//	free      empty (or absent)
//	Acquire   flock, then truncate, write the holder as JSON, fsync
//	Release   truncate, fsync, then unlock
//
// so a lock file that is free but not empty was left by a writer that died
// holding it, and Acquire reports that writer through Previous. Lock files
// are never removed: a process may have the old file open, about to lock
// it, while another creates a new one and locks that, and both would then
// believe they hold the lock.
//
// Limits, not solved here:
//   - flock on a network file system (NFS, SMB) is emulated with the server's
//     byte-range locks, if at all, and is only as good as the server's lock
//     manager; two hosts writing one output root over NFS may both get the
//     lock. Holder.Host names the holder's machine so that an operator can
//     at least see it, but Acquire does not (and cannot, from here) check
//     whether a holder on another host is alive.
//   - On Windows the lock is LockFileEx, a mandatory lock on the file's
//     first byte, which keeps the holder's details from being written or
//     read through a second handle: the package is built and tested for
//     unix.
//   - On AIX and Solaris gofrs/flock emulates flock with fcntl locks, which
//     the process loses when it closes any descriptor of the file.
//
// Files are opened close-on-exec (as everything os.OpenFile opens), so a
// program a holder starts does not inherit, and so keep, its lock.

// maxHolder bounds what is read of a lock file: holder details are a few
// hundred bytes.
const maxHolder = 64 << 10

// LockPath returns the lock file of run directory dir: beside it, not
// inside it (the run directory's contents are hashed and compared), e.g.
// out/quickstart/.2026-10.lock for out/quickstart/2026-10.
func LockPath(dir string) string {
	dir = filepath.Clean(dir)
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".lock")
}

// Holder says who holds a lock.
type Holder struct {
	PID  int    `json:"pid"`
	Host string `json:"host"`
	// Command is the command line, e.g. "tailor run
	// examples/quickstart/campaign.toml".
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// Lock is a held run lock. Its methods are not safe for concurrent use.
type Lock struct {
	dir  string
	fl   *flock.Flock // the lock, on a descriptor of its own
	f    *os.File     // the same file, to write the holder's details
	prev *Holder
}

// LockedError says another process holds a run's lock.
type LockedError struct {
	Dir    string // the run directory
	Holder Holder
	// Known is false when the holder's details could not be read: it may
	// have taken the lock an instant ago and not written them yet.
	Known bool
}

// Error says who holds the run directory and what to do, on one line.
func (e *LockedError) Error() string {
	if !e.Known {
		return fmt.Sprintf("%s is in use by another process (no details in %s); wait for it to finish or stop it",
			e.Dir, LockPath(e.Dir))
	}
	h := e.Holder
	who := fmt.Sprintf("pid %d", h.PID)
	if h.Host != "" {
		who += " on " + h.Host
	}
	if !h.Since.IsZero() {
		who += ", since " + h.Since.UTC().Format(time.DateTime) + " UTC"
	}
	return fmt.Sprintf("%s is in use by %q (%s); wait for it to finish or stop it", e.Dir, h.Command, who)
}

// Acquire takes the lock of run directory dir for command, creating the
// parent directories (mode 0700) if needed. It never waits: when another
// process holds the lock it returns a *LockedError (after at most a few
// milliseconds spent reading the holder's details). The run directory
// itself is neither created nor looked at.
//
// The lock belongs to the open file, not to the process: a second Acquire
// of the same directory in the same process fails too, as it should.
func Acquire(dir, command string, now time.Time) (*Lock, error) {
	clean := filepath.Clean(dir)
	switch filepath.Base(clean) {
	case ".", "..", string(filepath.Separator):
		return nil, fmt.Errorf("lock %s: not a run directory", dir)
	}
	if err := MkdirAll(filepath.Dir(clean)); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	path := LockPath(clean)

	// The holder's details go through a descriptor of our own (gofrs/flock
	// keeps its own unexported). It is opened first, read-write, so that
	// its chmod to FileMode comes before gofrs/flock opens the file: a
	// umask that made the new file read-only cannot then lock us out.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	fl, ok, err := tryLock(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if !ok {
		h, known := readHolder(f)
		f.Close()
		return nil, &LockedError{Dir: dir, Holder: h, Known: known}
	}

	l := &Lock{dir: dir, fl: fl, f: f}
	// Whatever the file holds now was written by a holder that died.
	if data, err := readAll(f); err == nil && len(data) > 0 {
		var h Holder
		if json.Unmarshal(data, &h) == nil {
			l.prev = &h
		}
	}
	host, _ := os.Hostname()
	data, err := json.Marshal(Holder{PID: os.Getpid(), Host: host, Command: command, Since: now.UTC()})
	if err == nil {
		err = writeHolder(f, append(data, '\n'))
	}
	if err != nil {
		l.close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return l, nil
}

// tryLock takes the flock of path, of which f is open, without waiting.
// ok is false when another open file holds it. The lock is only taken if it
// is the lock of the very file f is open on: path may have been replaced
// between the two opens.
func tryLock(path string, f *os.File) (fl *flock.Flock, ok bool, err error) {
	// Read-write: where flock is emulated with fcntl (NFS, AIX), an
	// exclusive lock needs a descriptor open for writing.
	fl = flock.New(path, flock.SetFlag(os.O_RDWR|os.O_CREATE), flock.SetPermissions(FileMode))
	if ok, err = fl.TryLock(); err != nil || !ok {
		return nil, ok, err
	}
	if err := sameFile(fl, f); err != nil {
		fl.Unlock()
		return nil, false, err
	}
	return fl, true, nil
}

// sameFile checks that fl locks the file f is open on.
func sameFile(fl *flock.Flock, f *os.File) error {
	locked, err := fl.Stat() // of the locked descriptor, while it is locked
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !os.SameFile(locked, fi) {
		return fmt.Errorf("%s was replaced while being locked (lock files must not be removed)", fl.Path())
	}
	return nil
}

// readHolder reads the holder's details from a lock file another process
// holds. known is false when there are none or they do not parse: a
// holder writes them just after taking the lock, so a few short retries
// cover the moment between.
func readHolder(f *os.File) (h Holder, known bool) {
	for try := 0; try < 3; try++ {
		if try > 0 {
			time.Sleep(5 * time.Millisecond)
		}
		data, err := readAll(f)
		if err != nil {
			return Holder{}, false
		}
		if len(data) > 0 && json.Unmarshal(data, &h) == nil {
			return h, true
		}
	}
	return Holder{}, false
}

// readAll reads a lock file from its start, at most maxHolder bytes.
func readAll(f *os.File) ([]byte, error) {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, maxHolder))
	return bytes.TrimSpace(data), err
}

// writeHolder replaces the lock file's contents with data and syncs it.
func writeHolder(f *os.File, data []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}

// Previous returns the holder recorded by a process that died holding the
// lock, which Acquire took over, or nil: nil too when that process died
// before its details were complete.
func (l *Lock) Previous() *Holder { return l.prev }

// Release clears the holder's details and unlocks. The lock file stays
// (removing a lock file others may be waiting on is unsafe). Releasing a
// released lock does nothing.
func (l *Lock) Release() error {
	if l.fl == nil {
		return nil
	}
	// Cleared and synced before the unlock: a lock file that is free and
	// not empty must mean its holder died.
	err := l.f.Truncate(0)
	if err == nil {
		err = l.f.Sync()
	}
	if cerr := l.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("unlock %s: %w", l.dir, err)
	}
	return nil
}

// close unlocks and closes both descriptors.
func (l *Lock) close() error {
	err := errors.Join(l.fl.Unlock(), l.f.Close())
	l.fl, l.f = nil, nil
	return err
}
