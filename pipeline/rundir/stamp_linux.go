package rundir

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// stampOf returns what identifies fi's contents without reading them: its
// device, inode, size, and modification and change times, and the later
// of the two times. Any write to the file moves its change time, which no
// program can set back.
func stampOf(fi os.FileInfo) (string, time.Time) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", time.Time{}
	}
	mtime := time.Unix(st.Mtim.Unix())
	ctime := time.Unix(st.Ctim.Unix())
	return fmt.Sprintf("%d:%d:%d:%d:%d", st.Dev, st.Ino, st.Size, mtime.UnixNano(), ctime.UnixNano()), later(mtime, ctime)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
