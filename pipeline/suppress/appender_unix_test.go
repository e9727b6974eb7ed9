//go:build unix

package suppress_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/suppress"
)

// TestModeUmask checks that tailor's file is 0600 and the folders made for
// it 0700 whatever the umask, and that a file left open to others is
// closed.
func TestModeUmask(t *testing.T) {
	tests := []struct {
		name  string
		umask int
		was   fs.FileMode // 0: no file yet
	}{
		{"new, umask 0", 0, 0},
		{"new, umask 022", 0o022, 0},
		{"was 0666, umask 0", 0, 0o666},
		{"was 0644, umask 022", 0o022, 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := syscall.Umask(tt.umask)
			defer syscall.Umask(old)
			dir := filepath.Join(t.TempDir(), "out", "october")
			path := filepath.Join(dir, suppress.FileName)
			if tt.was != 0 {
				os.MkdirAll(dir, 0o700)
				os.WriteFile(path, nil, tt.was)
				os.Chmod(path, tt.was)
			}
			a, err := suppress.OpenAppender(path)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if err := a.Append(suppress.Entry{CardholderID: "C1", Reason: "unsubscribe"}); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != 0o600 {
				t.Errorf("file mode %v, want 0600", fi.Mode())
			}
			if tt.was == 0 {
				for _, d := range []string{dir, filepath.Dir(dir)} {
					if fi, err := os.Stat(d); err != nil || fi.Mode() != fs.ModeDir|0o700 {
						t.Errorf("%s: mode %v, want 0700 (%v)", d, fi.Mode(), err)
					}
				}
			}
		})
	}
}
