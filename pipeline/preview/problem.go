package preview

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// positioned finds "file:line:" at the start of a problem's line.
var positioned = regexp.MustCompile(`^(\S+?):(\d+):`)

// WithSource returns msg, a problem of a template set in the folder dir
// ("blocks/x.md:7: .Recipient.Frist: ..."), with the source line each
// positioned line points at written under it, so that the page shows what
// to fix. Only files inside dir are read.
func WithSource(msg, dir string) string {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return msg
	}
	defer root.Close()
	var b strings.Builder
	for i, l := range strings.Split(msg, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		m := positioned.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		name := m[1]
		if filepath.IsAbs(name) {
			rel, err := filepath.Rel(dir, name)
			if err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			name = rel
		}
		n, _ := strconv.Atoi(m[2])
		if src, ok := sourceLine(root, name, n); ok {
			b.WriteString("\n    " + strconv.Itoa(n) + " | " + src)
		}
	}
	return b.String()
}

// sourceLine returns line n (from 1) of the file name in root.
func sourceLine(root *os.Root, name string, n int) (string, bool) {
	f, err := root.Open(filepath.ToSlash(name))
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 1; sc.Scan(); i++ {
		if i == n {
			return strings.TrimRight(sc.Text(), "\r"), true
		}
	}
	return "", false
}
