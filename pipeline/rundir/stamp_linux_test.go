package rundir

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "transactions.csv")
	write := func(data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stamp := func() string {
		t.Helper()
		s, err := Stamp(path)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	write("card,amount\n1,2.00\n")
	if s := stamp(); s != "" {
		t.Fatalf("a file written just now has stamp %q, want none: a write in the same tick would keep it", s)
	}
	defer func(d time.Duration) { stampSettle = d }(stampSettle)
	stampSettle = 0
	first := stamp()
	if first == "" {
		t.Fatal("no stamp")
	}
	if again := stamp(); again != first {
		t.Fatalf("stamp %q, then %q for the same file", first, again)
	}
	sum, size, st, err := HashFileStamped(path)
	if err != nil || st != first || size != 19 || sum == "" {
		t.Fatalf("HashFileStamped = %q, %d, %q, %v; want the stamp %q and 19 bytes", sum, size, st, err, first)
	}
	// The same size and bytes, written again: the stamp moves with the
	// change time. (Past the clock's tick, which StampSettle covers.)
	time.Sleep(50 * time.Millisecond)
	write("card,amount\n1,2.00\n")
	if s := stamp(); s == first || s == "" {
		t.Fatalf("stamp after a write: %q, want a new one (was %q)", s, first)
	}
	// A copy is another file.
	moved := path + ".new"
	write("card,amount\n1,3.00\n")
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	write("card,amount\n1,2.00\n")
	if s := stamp(); s == first {
		t.Fatal("a new file under the old name has the old stamp")
	}
}
