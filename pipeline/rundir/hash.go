package rundir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// StampSettle is how long a file must have been left alone for its stamp
// to stand for its contents: a write within the same tick of the clock as
// the stamp was taken would leave the stamp as it was.
const StampSettle = 2 * time.Second

// stampSettle is StampSettle, which tests shorten.
var stampSettle = StampSettle

// Stamp returns what identifies a file's contents without reading them:
// its device, inode, size, and modification and change times. It is ""
// where the system gives no change time, or when the file was written
// less than StampSettle ago; an empty stamp matches nothing, and the file
// must be read.
func Stamp(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	st, changed := stampOf(fi)
	if st == "" || time.Since(changed) < stampSettle {
		return "", nil
	}
	return st, nil
}

// HashFileStamped is HashFile with the file's stamp (Stamp), "" when the
// file changed while it was read: the stamp stands for the bytes hashed.
func HashFileStamped(path string) (sum string, size int64, stamp string, err error) {
	before, err := Stamp(path)
	if err != nil {
		// Opening the file says what is wrong with it.
		before = ""
	}
	if sum, size, err = HashFile(path); err != nil {
		return "", 0, "", err
	}
	if after, err := Stamp(path); err != nil || after != before {
		before = ""
	}
	return sum, size, before, nil
}

// HashFile returns the SHA-256 and size of a file.
func HashFile(path string) (string, int64, error) {
	f, err := sumFile(path)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(f.sum[:]), f.size, nil
}

// sumFile returns the SHA-256 and size of a file.
func sumFile(path string) (fileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileSum{}, err
	}
	defer f.Close()
	h := sha256.New()
	var out fileSum
	if out.size, err = io.Copy(h, f); err != nil {
		return fileSum{}, err
	}
	h.Sum(out.sum[:0])
	return out, nil
}

// HashTree returns one SHA-256 over every file under dir (names, sizes and
// contents, in name order) and the number of files.
func HashTree(dir string) (string, int, error) {
	h := sha256.New()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		sum, size, err := HashFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", filepath.ToSlash(rel), size, sum)
		n++
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// OutputsIntact reports whether every recorded output is still as written.
func OutputsIntact(dir string, outs []OutputRecord) bool {
	for _, o := range outs {
		p := filepath.Join(dir, filepath.FromSlash(o.Path))
		fi, err := os.Stat(p)
		if err != nil {
			return false
		}
		var sum string
		if fi.IsDir() {
			sum, _, err = HashTree(p)
		} else {
			sum, _, err = HashFile(p)
		}
		if err != nil || sum != o.SHA256 {
			return false
		}
	}
	return true
}

// RecordOutputs hashes the named outputs (files or directories, relative to
// dir and slash-separated) of a stage.
func RecordOutputs(dir string, rels ...string) ([]OutputRecord, error) {
	var out []OutputRecord
	for _, rel := range rels {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		rec := OutputRecord{Path: rel}
		if fi.IsDir() {
			rec.SHA256, rec.Files, err = HashTree(p)
		} else {
			rec.SHA256, _, err = HashFile(p)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// Key hashes the parts of a stage's key: each part as JSON, in order.
func Key(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range parts {
		_ = enc.Encode(p) // hashing plain values cannot fail
	}
	return hex.EncodeToString(h.Sum(nil))
}
