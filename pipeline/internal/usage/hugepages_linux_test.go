package usage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func TestParseMaps(t *testing.T) {
	maps := []byte(`00400000-004ab000 r-xp 00000000 fe:00 10362996                           /usr/bin/tailor
00599000-005cf000 rw-p 00000000 00:00 0
c000000000-c004000000 rw-p 00000000 00:00 0 
c004000000-c008000000 ---p 00000000 00:00 0
c008000000-c00c000000 rw-p 00000000 00:00 0                              [anon: Go: heap]
c00c000000-c010000000 ---p 00000000 00:00 0                              [anon: Go: heap reservation]
c010000000-c010100000 rw-p 00000000 00:00 0                              [anon: Go: page alloc index]
7f12fac7e000-7f12faf00000 rw-s 00000000 00:01 1234                       /dev/zero (deleted)
7f12faf00000-7f12fd000000 rw-p 00000000 00:00 0
7ffe1603c000-7ffe1605d000 rw-p 00000000 00:00 0                          [stack]
not a line
zz-00 rw-p 00000000 00:00 0
00600000-00500000 rw-p 00000000 00:00 0
`)
	want := []mapping{
		{0x400000, 0x4ab000, false, false},
		{0x599000, 0x5cf000, true, true},
		{0xc000000000, 0xc004000000, true, true},
		{0xc004000000, 0xc008000000, false, true},
		{0xc008000000, 0xc00c000000, true, true},
		{0xc00c000000, 0xc010000000, false, true},
		{0xc010000000, 0xc010100000, true, false},
		{0x7f12fac7e000, 0x7f12faf00000, true, false},
		{0x7f12faf00000, 0x7f12fd000000, true, true},
		{0x7ffe1603c000, 0x7ffe1605d000, true, false},
	}
	got := parseMaps(maps)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("parseMaps:\n got %v\nwant %v", got, want)
	}
	for _, tc := range []struct {
		addr   uintptr
		lo, hi int
		ok     bool
	}{
		{0xc000001000, 2, 5, true},   // the heap, mapped and reserved, up to the page index
		{0xc00c000000, 2, 5, true},   // from its reservation
		{0x7f12faf00010, 8, 8, true}, // alone: a shared mapping before it, the stack after a gap
		{0x400100, 0, 0, false},      // a file
		{0xc010000010, 0, 0, false},  // another of the runtime's mappings
		{0x7ffe1603c000, 0, 0, false},
		{0x100, 0, 0, false}, // nothing
	} {
		lo, hi, ok := aroundOf(got, tc.addr)
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("aroundOf(%#x) = %d, %d, %v; want %d, %d, %v", tc.addr, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}

func TestTHPAdvised(t *testing.T) {
	dir := t.TempDir()
	defer func(p string) { thpPath = p }(thpPath)
	for _, tc := range []struct {
		setting, godebug string
		want             bool
	}{
		{"always madvise [never]\n", "", false},
		{"always [madvise] never\n", "", true},
		{"[always] madvise never\n", "", false},
		{"always [madvise] never\n", "disablethp=1", false},
		{"always [madvise] never\n", "gctrace=1, disablethp=1", false},
		{"always [madvise] never\n", "disablethp=0", true},
		{"", "", false}, // no file: no transparent huge pages in this kernel
	} {
		thpPath = filepath.Join(dir, "enabled")
		if tc.setting == "" {
			thpPath = filepath.Join(dir, "missing")
		} else if err := os.WriteFile(thpPath, []byte(tc.setting), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := thpAdvised(tc.godebug); got != tc.want {
			t.Errorf("setting %q, GODEBUG %q: advised %v, want %v", tc.setting, tc.godebug, got, tc.want)
		}
	}
}

// TestAdviseHeap checks that the heap's mappings are advised, those
// mapped before AdviseHeap and those the runtime maps after, and that a
// process-wide watcher stops with its last user.
func TestAdviseHeap(t *testing.T) {
	dir := t.TempDir()
	defer func(p string) { thpPath = p }(thpPath)
	thpPath = filepath.Join(dir, "enabled")
	if err := os.WriteFile(thpPath, []byte("always [madvise] never\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GODEBUG", "")
	probe := make([]byte, 1<<20)
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, alignedIn(probe), 4096, madvHugePage); e != 0 {
		if errors.Is(e, syscall.EINVAL) {
			t.Skip("this kernel has no transparent huge pages (MADV_HUGEPAGE: EINVAL)")
		}
		t.Fatal(e)
	}
	before := make([]byte, 64<<20)
	stop1 := AdviseHeap()
	stop2 := AdviseHeap()
	if !hugeAdvised(t, uintptr(unsafe.Pointer(&before[32<<20]))) {
		t.Error("the heap mapped before AdviseHeap is not advised")
	}
	// The heap grows while the watcher runs.
	var later [][]byte
	deadline := time.Now().Add(5 * time.Second)
	for {
		b := make([]byte, 64<<20)
		later = append(later, b)
		time.Sleep(4 * heapWatch)
		if hugeAdvised(t, uintptr(unsafe.Pointer(&b[32<<20]))) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("memory mapped after AdviseHeap is not advised within 5 s (%d MB grown)", len(later)*64)
		}
	}
	stop1()
	stop1() // a second call does nothing
	watcher.Lock()
	users := watcher.users
	watcher.Unlock()
	if users != 1 {
		t.Errorf("after one of two users stopped, the watcher has %d users", users)
	}
	stop2()
	watcher.Lock()
	users = watcher.users
	watcher.Unlock()
	if users != 0 {
		t.Errorf("after both users stopped, the watcher has %d users", users)
	}
	runtime.KeepAlive(before)
	runtime.KeepAlive(later)
	runtime.KeepAlive(probe)

	// Turned off: nothing is started.
	t.Setenv("GODEBUG", "disablethp=1")
	stop := AdviseHeap()
	watcher.Lock()
	users = watcher.users
	watcher.Unlock()
	stop()
	if users != 0 {
		t.Errorf("under GODEBUG=disablethp=1, AdviseHeap started a watcher (%d users)", users)
	}
}

// alignedIn returns the first page-aligned address in b.
func alignedIn(b []byte) uintptr {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return (p + 4095) &^ 4095
}

// hugeAdvised reports whether the mapping holding addr carries the
// huge-page advice (VmFlags "hg" in /proc/self/smaps).
func hugeAdvised(t *testing.T, addr uintptr) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			var lo, hi uintptr
			if _, err := fmt.Sscanf(f[0], "%x-%x", &lo, &hi); err == nil {
				in = lo <= addr && addr < hi
			}
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.Contains(line+" ", " hg ")
		}
	}
	return false
}

// FuzzParseMaps checks that any text parses without a panic into
// mappings that each end after they start, and that aroundOf stays within
// them.
func FuzzParseMaps(f *testing.F) {
	f.Add([]byte("c000000000-c004000000 rw-p 00000000 00:00 0\nc004000000-c008000000 ---p 00000000 00:00 0 [anon: Go: heap]\n"))
	f.Add([]byte("00400000-004ab000 r-xp 00000000 fe:00 10362996 /usr/bin/tailor\n"))
	f.Add([]byte("-\n- - - - -\nffffffffffffffffff-0 rw-p 0 0 0\n"))
	if b, err := os.ReadFile("/proc/self/maps"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		maps := parseMaps(b)
		for _, m := range maps {
			if m.end <= m.start {
				t.Fatalf("mapping %#x-%#x ends before it starts", m.start, m.end)
			}
		}
		for _, m := range maps {
			lo, hi, ok := aroundOf(maps, m.start)
			if ok && (lo < 0 || hi >= len(maps) || lo > hi || !maps[lo].anon || !maps[hi].anon) {
				t.Fatalf("aroundOf(%#x) = %d, %d of %d mappings", m.start, lo, hi, len(maps))
			}
		}
	})
}
