package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gofrs/flock"
)

// Holding reports whether a process holds the lock of run directory dir
// now, and who (h is zero when the holder's details do not parse), for an
// operator's look at a run (tailor status): it never creates the lock
// file and never writes it.
//
// A lock file that is empty is free: holders clear it before they unlock.
// One that is not was written by a holder that is either at work or died
// holding the lock; only then does Holding tell them apart by taking a
// shared lock of the file for an instant, which it releases at once. A
// writer that tries the lock in that instant is refused as if the dead
// holder held it, and may simply try again. A holder that took the lock an
// instant ago and has not written its details yet is reported as not
// holding it.
func Holding(dir string) (h Holder, held bool, err error) {
	path := LockPath(dir)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Holder{}, false, nil
	}
	if err != nil {
		return Holder{}, false, fmt.Errorf("lock %s: %w", dir, err)
	}
	defer f.Close()
	data, err := readAll(f)
	if err != nil {
		return Holder{}, false, fmt.Errorf("lock %s: %w", dir, err)
	}
	if len(data) == 0 {
		return Holder{}, false, nil
	}
	if json.Unmarshal(data, &h) != nil {
		h = Holder{}
	}
	fl := flock.New(path, flock.SetFlag(os.O_RDONLY))
	free, err := fl.TryRLock()
	if err != nil {
		return Holder{}, false, fmt.Errorf("lock %s: %w", dir, err)
	}
	if free {
		if err := fl.Unlock(); err != nil {
			return Holder{}, false, fmt.Errorf("lock %s: %w", dir, err)
		}
		return h, false, nil
	}
	return h, true, nil
}
