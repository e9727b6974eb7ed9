package preview

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch calls changed once the files under dir (a template set: its
// layouts, partials and blocks) have been quiet for quiet after a change,
// until ctx is done. Folders made later are watched too. An editor that
// saves by writing a new file and renaming it counts as one change.
func Watch(ctx context.Context, dir string, quiet time.Duration, changed func()) error {
	w, err := StartWatch(dir)
	if err != nil {
		return err
	}
	return w.Run(ctx, quiet, changed)
}

// Watcher watches a folder's files (Watch), from StartWatch on.
type Watcher struct {
	w *fsnotify.Watcher
}

// StartWatch starts watching the files under dir: a change made once it
// returns is not missed, whenever Run starts.
func StartWatch(dir string) (*Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	x := &Watcher{w: w}
	if err := x.add(dir); err != nil {
		w.Close()
		return nil, err
	}
	return x, nil
}

// add watches root and every folder under it.
func (x *Watcher) add(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return x.w.Add(p)
		}
		return nil
	})
}

// Run calls changed as Watch does, until ctx is done, and then stops
// watching.
func (x *Watcher) Run(ctx context.Context, quiet time.Duration, changed func()) error {
	w := x.w
	defer w.Close()
	timer := time.NewTimer(quiet)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					_ = x.add(ev.Name)
				}
			}
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) {
				continue
			}
			timer.Reset(quiet)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			return err
		case <-timer.C:
			changed()
		}
	}
}
