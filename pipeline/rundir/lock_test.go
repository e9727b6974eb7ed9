package rundir

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// helperCommand is the command line the helper process records as holder.
const helperCommand = "tailor run campaign.toml (lock helper)"

// TestLockHelper is not a test: it is the other process of the tests that
// need two, run by startHelper as the test binary itself (the os/exec
// tests' pattern). It takes the lock of the run directory named by
// RUNDIR_LOCK_HELPER and prints "locked", "busy" (another process holds
// it) or "error: ..."; holding the lock, it waits for its stdin to close,
// then releases it. With RUNDIR_LOCK_WAIT set it first prints "ready" and
// waits for a line on stdin, so that several helpers can be started
// together.
func TestLockHelper(t *testing.T) {
	dir := os.Getenv("RUNDIR_LOCK_HELPER")
	if dir == "" {
		return
	}
	os.Exit(lockHelper(dir))
}

func lockHelper(dir string) int {
	in := bufio.NewReader(os.Stdin)
	if os.Getenv("RUNDIR_LOCK_WAIT") != "" {
		fmt.Println("ready")
		if _, err := in.ReadString('\n'); err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	l, err := Acquire(dir, helperCommand, time.Now())
	var locked *LockedError
	switch {
	case errors.As(err, &locked):
		fmt.Println("busy")
		return 0
	case err != nil:
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, in)
	if err := l.Release(); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	return 0
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // its stdout, line by line; closed at EOF
	once  sync.Once
	err   error // of Wait
}

// startHelper starts a helper process on run directory dir. It is stopped
// when the test ends.
func startHelper(t *testing.T, dir string, wait bool) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelper$")
	cmd.Env = append(os.Environ(), "RUNDIR_LOCK_HELPER="+dir)
	if wait {
		cmd.Env = append(cmd.Env, "RUNDIR_LOCK_WAIT=1")
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		defer close(h.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		h.wait()
	})
	return h
}

// next returns the helper's next line of output.
func (h *helper) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-h.lines:
		if !ok {
			t.Fatalf("helper %d ended without a word: %v", h.cmd.Process.Pid, h.wait())
		}
		return line
	case <-time.After(time.Minute):
		t.Fatalf("helper %d said nothing for a minute", h.cmd.Process.Pid)
		return ""
	}
}

// expect fails the test unless the helper's next line is want.
func (h *helper) expect(t *testing.T, want string) {
	t.Helper()
	if got := h.next(t); got != want {
		t.Fatalf("helper %d said %q, want %q", h.cmd.Process.Pid, got, want)
	}
}

// wait waits for the helper to end, once, and returns Wait's error.
func (h *helper) wait() error {
	h.once.Do(func() {
		for range h.lines { // Wait must not race the reader
		}
		h.err = h.cmd.Wait()
	})
	return h.err
}

// inProcessExclusive says whether two open files of one process exclude
// each other: flock(2) locks belong to the open file description, while
// gofrs/flock emulates them with per-process fcntl locks on AIX and Solaris.
func inProcessExclusive() bool {
	return runtime.GOOS != "aix" && runtime.GOOS != "solaris"
}

func TestLockPath(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"out/quickstart/2026-10", "out/quickstart/.2026-10.lock"},
		{"out/quickstart/2026-10/", "out/quickstart/.2026-10.lock"},
		{"./out/q/../quickstart/2026-10", "out/quickstart/.2026-10.lock"},
		{"/srv/out/c/2026-01", "/srv/out/c/.2026-01.lock"},
		{"2026-10", ".2026-10.lock"},
	}
	for _, tt := range tests {
		want := filepath.FromSlash(tt.want)
		if got := LockPath(filepath.FromSlash(tt.dir)); got != want {
			t.Errorf("LockPath(%q) = %q, want %q", tt.dir, got, want)
		}
	}
}

func TestLockedErrorText(t *testing.T) {
	since := time.Date(2026, 12, 6, 4, 31, 50, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		err  LockedError
		want string
	}{
		{
			name: "known",
			err:  LockedError{Dir: "out/quickstart/2026-10", Known: true, Holder: Holder{PID: 4242, Host: "host1", Command: "tailor run campaign.toml", Since: since}},
			want: `out/quickstart/2026-10 is in use by "tailor run campaign.toml" (pid 4242 on host1, since 2026-12-06 03:31:50 UTC); wait for it to finish or stop it`,
		},
		{
			name: "no host, no time",
			err:  LockedError{Dir: "out/q/2026-10", Known: true, Holder: Holder{PID: 7, Command: "tailor render"}},
			want: `out/q/2026-10 is in use by "tailor render" (pid 7); wait for it to finish or stop it`,
		},
		{
			name: "command on two lines",
			err:  LockedError{Dir: "out/q/2026-10", Known: true, Holder: Holder{PID: 7, Host: "h", Command: "tailor\nrun"}},
			want: `out/q/2026-10 is in use by "tailor\nrun" (pid 7 on h); wait for it to finish or stop it`,
		},
		{
			name: "unknown",
			err:  LockedError{Dir: "out/q/2026-10", Holder: Holder{PID: 7}},
			want: "out/q/2026-10 is in use by another process (no details in " + filepath.FromSlash("out/q/.2026-10.lock") + "); wait for it to finish or stop it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestAcquireBadDir(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		dir    string
		osErr  bool // wraps an *fs.PathError
		inText string
	}{
		{"parent is a file", filepath.Join(file, "2026-10"), true, "2026-10"},
		{"grandparent is a file", filepath.Join(file, "campaign", "2026-10"), true, "campaign"},
		{"empty", "", false, "not a run directory"},
		{"dot", ".", false, "not a run directory"},
		{"root", string(filepath.Separator), false, "not a run directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Acquire(tt.dir, "tailor run", time.Now())
			if err == nil {
				l.Release()
				t.Fatalf("Acquire(%q) succeeded", tt.dir)
			}
			var pe *fs.PathError
			if tt.osErr && !errors.As(err, &pe) {
				t.Errorf("error %q (%T) does not wrap an *fs.PathError", err, err)
			}
			var le *LockedError
			if errors.As(err, &le) {
				t.Errorf("error %q is a *LockedError", err)
			}
			if !strings.Contains(err.Error(), tt.inText) || !strings.HasPrefix(err.Error(), "lock ") {
				t.Errorf("error %q: want it to start with \"lock \" and name %q", err, tt.inText)
			}
		})
	}
}

func TestAcquireCreatesParents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "campaign", "2026-10")
	l, err := Acquire(dir, "tailor run", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if _, err := os.Stat(LockPath(dir)); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the run directory was made (Stat: %v); only its parents should be", err)
	}
}

// TestAcquireHolder checks the holder's details in the lock file while it
// is held, and that Release clears them and leaves the file.
func TestAcquireHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c", "2026-10")
	now := time.Date(2026, 12, 6, 3, 31, 50, 0, time.UTC)
	l, err := Acquire(dir, "tailor run c.toml", now)
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Previous(); p != nil {
		t.Errorf("Previous() = %+v on a new lock file, want nil", p)
	}
	data, err := os.ReadFile(LockPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("lock file %q: %v", data, err)
	}
	host, _ := os.Hostname()
	want := Holder{PID: os.Getpid(), Host: host, Command: "tailor run c.toml", Since: now}
	if h != want {
		t.Errorf("holder %+v, want %+v", h, want)
	}

	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	fi, err := os.Stat(LockPath(dir))
	if err != nil {
		t.Fatalf("lock file after Release: %v", err)
	}
	if fi.Size() != 0 {
		t.Errorf("lock file after Release holds %d bytes, want 0", fi.Size())
	}

	l, err = Acquire(dir, "tailor render", now)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if p := l.Previous(); p != nil {
		t.Errorf("Previous() = %+v after a clean Release, want nil", p)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}

// TestAcquirePrevious writes what a holder leaves when it dies at various
// moments into a free lock file.
func TestAcquirePrevious(t *testing.T) {
	dead := Holder{PID: 99999, Host: "elsewhere", Command: "tailor run x.toml", Since: time.Date(2026, 11, 1, 2, 3, 4, 0, time.UTC)}
	whole, err := json.Marshal(dead)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		contents string
		want     *Holder
	}{
		{"released", "", nil},
		{"died holding it", string(whole) + "\n", &dead},
		{"died writing", string(whole[:len(whole)/2]), nil},
		{"garbage", "\x00\x00\x00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "2026-10")
			if err := os.WriteFile(LockPath(dir), []byte(tt.contents), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Acquire(dir, "tailor run", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			defer l.Release()
			got := l.Previous()
			switch {
			case got == nil && tt.want == nil:
			case got == nil || tt.want == nil || *got != *tt.want:
				t.Errorf("Previous() = %+v, want %+v", got, tt.want)
			}
			// The file now holds this process's details, whole.
			data, err := os.ReadFile(LockPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			var h Holder
			if err := json.Unmarshal(data, &h); err != nil || h.PID != os.Getpid() {
				t.Errorf("lock file %q after Acquire: holder %+v, %v", data, h, err)
			}
		})
	}
}

// TestAcquireInProcess checks that the lock keeps out a second Acquire in
// the same process, on a second open file, and that of goroutines racing
// for a lock exactly one gets it.
func TestAcquireInProcess(t *testing.T) {
	if !inProcessExclusive() {
		t.Skip("file locks are per process here")
	}
	dir := filepath.Join(t.TempDir(), "2026-10")
	l, err := Acquire(dir, "tailor run first", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, "tailor run second", time.Now())
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Acquire: %v, want a *LockedError", err)
	}
	if !le.Known || le.Holder.PID != os.Getpid() || le.Holder.Command != "tailor run first" || le.Dir != dir {
		t.Errorf("second Acquire: %+v, want the first holder", le)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}

	const n = 8
	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		won            []*Lock
		busy, failures int
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			l, err := Acquire(dir, fmt.Sprint("racer ", i), time.Now())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, l)
			case errors.As(err, new(*LockedError)):
				busy++
			default:
				failures++
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(won) != 1 || busy != n-1 {
		t.Errorf("%d goroutines got the lock and %d found it busy (%d failed), want 1 and %d", len(won), busy, failures, n-1)
	}
	for _, l := range won {
		l.Release()
	}
}

// TestAcquireUnknownHolder holds a lock without writing a holder's
// details, as a holder does for an instant after it takes the lock.
func TestAcquireUnknownHolder(t *testing.T) {
	if !inProcessExclusive() {
		t.Skip("file locks are per process here")
	}
	dir := filepath.Join(t.TempDir(), "2026-10")
	fl := flock.New(LockPath(dir))
	if ok, err := fl.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock: %v, %v", ok, err)
	}
	defer fl.Unlock()
	_, err := Acquire(dir, "tailor run", time.Now())
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Acquire: %v, want a *LockedError", err)
	}
	if le.Known {
		t.Errorf("Known is true, holder %+v, for a lock file with no details", le.Holder)
	}
	if !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("error %q does not say that another process uses the directory", err)
	}
}

// TestAcquireRace starts helper processes together on one run directory:
// exactly one may get the lock.
func TestAcquireRace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := filepath.Join(t.TempDir(), "c", "2026-10")
	const n = 8
	helpers := make([]*helper, n)
	for i := range helpers {
		helpers[i] = startHelper(t, dir, true)
	}
	for _, h := range helpers {
		h.expect(t, "ready")
	}
	for _, h := range helpers {
		if _, err := io.WriteString(h.stdin, "go\n"); err != nil {
			t.Fatal(err)
		}
	}
	words := map[string]int{}
	for _, h := range helpers {
		words[h.next(t)]++
	}
	if words["locked"] != 1 || words["busy"] != n-1 {
		t.Errorf("helpers said %v, want locked once and busy %d times", words, n-1)
	}
	for _, h := range helpers {
		h.stdin.Close()
		if err := h.wait(); err != nil {
			t.Errorf("helper %d: %v", h.cmd.Process.Pid, err)
		}
	}
	// The winner released: the lock is free and clean.
	l, err := Acquire(dir, "tailor run", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if p := l.Previous(); p != nil {
		t.Errorf("Previous() = %+v after the helpers released, want nil", p)
	}
}
