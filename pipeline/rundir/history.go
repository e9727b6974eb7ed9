package rundir

import (
	"bufio"
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

// HistoryFile is the run history's name in the output root.
const HistoryFile = "history.jsonl"

// maxLine bounds the last line AppendHistory reads to see whether it is
// whole: entries are a few hundred bytes.
const maxLine = 1 << 20

// Entry is one invocation.
type Entry struct {
	Command  string    `json:"command"` // "run", "render", ...
	Campaign string    `json:"campaign"`
	Month    string    `json:"month"`
	Dir      string    `json:"dir"` // the run directory
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Outcome  string    `json:"outcome"` // "done", "failed", "interrupted"
	Error    string    `json:"error,omitempty"`
	Ran      []string  `json:"ran"`
	Kept     []string  `json:"kept"`
	PID      int       `json:"pid"`
	Host     string    `json:"host"`
	Version  string    `json:"version"`
}

// AppendHistory appends e to root's history as one line, creating root
// (DirMode) and the history if needed. The file is opened
// O_APPEND|O_CREATE and made FileMode whatever the umask; the line is
// written with one write while holding an exclusive flock on the file
// (several campaigns may finish at once in one output root), then synced.
//
// A last line cut short by a crash (no newline at the end of the file, and
// not an entry) is removed first, so that the new line starts a line of its
// own: ReadHistory skips such a line while it is last, and would fail on it
// once it is not.
func AppendHistory(root string, e Entry) error {
	path := filepath.Join(root, HistoryFile)
	if err := appendHistory(path, e); err != nil {
		return fmt.Errorf("history %s: %w", path, err)
	}
	return nil
}

func appendHistory(path string, e Entry) error {
	// Empty lists are [], not null, for whoever reads the file.
	if e.Ran == nil {
		e.Ran = []string{}
	}
	if e.Kept == nil {
		e.Kept = []string{}
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	line = append(line, '\n')

	if err := MkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, FileMode)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Chmod(FileMode); err != nil {
		return err
	}
	fl := flock.New(path, flock.SetFlag(os.O_RDWR|os.O_CREATE), flock.SetPermissions(FileMode))
	if err := fl.Lock(); err != nil {
		return err
	}
	defer fl.Unlock()
	if err := sameFile(fl, f); err != nil {
		return err
	}
	nl, err := mendTail(f)
	if err != nil {
		return err
	}
	if nl {
		line = append([]byte{'\n'}, line...)
	}
	if _, err := f.Write(line); err != nil {
		return err
	}
	return f.Sync()
}

// mendTail makes f end with a whole line before a new one is appended. A
// last line with no newline is either whole but for its newline, and gets
// one (in front of the new line: nl), or cut short by a crash, and is
// truncated away: ReadHistory would read neither differently.
func mendTail(f *os.File) (nl bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	// start is where the last line starts: after the last newline.
	start, buf := fi.Size(), make([]byte, 4096)
	for start > 0 {
		n := min(start, int64(len(buf)))
		if _, err := f.ReadAt(buf[:n], start-n); err != nil {
			return false, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			start += int64(i) + 1 - n
			break
		}
		start -= n
	}
	tail := fi.Size() - start
	if tail == 0 {
		return false, nil
	}
	if tail <= maxLine {
		line := make([]byte, tail)
		if _, err := f.ReadAt(line, start); err != nil {
			return false, err
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			if _, err := parseEntry(line); err == nil {
				return true, nil
			}
		}
	}
	return false, f.Truncate(start)
}

// ReadHistory reads a history, oldest first. A last line cut short by a
// crash (one with no newline that does not parse) is skipped, not an
// error; any other bad line is an error with its line number. Blank lines
// are skipped.
func ReadHistory(r io.Reader) ([]Entry, error) {
	br := bufio.NewReader(r)
	var entries []Entry
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("history: %w", err)
		}
		last := err == io.EOF
		if line = bytes.TrimSpace(line); len(line) > 0 {
			e, perr := parseEntry(line)
			switch {
			case perr == nil:
				entries = append(entries, e)
			case !last:
				return nil, fmt.Errorf("history line %d: %w", n, perr)
			}
		}
		if last {
			return entries, nil
		}
	}
}

// parseEntry parses one line of a history, which must be a JSON object.
func parseEntry(line []byte) (Entry, error) {
	var e Entry
	if line[0] != '{' {
		return e, errors.New("not a JSON object")
	}
	err := json.Unmarshal(line, &e)
	return e, err
}
