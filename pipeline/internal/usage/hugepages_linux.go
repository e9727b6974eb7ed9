package usage

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// madvHugePage is MADV_HUGEPAGE.
const madvHugePage = 14

// thpPath says whether the system gives transparent huge pages to every
// mapping, only to those advised, or never.
var thpPath = "/sys/kernel/mm/transparent_hugepage/enabled"

// heapWatch is how often the heap's watcher looks whether the runtime
// mapped more memory: the heap grows 4 MB or more at a time, and a stage
// filling it at a few hundred megabytes a second touches a few megabytes
// in that time.
const heapWatch = 5 * time.Millisecond

// watcher is the process's heap watcher, shared by the runs that asked
// for it: the first starts it, the last stops it.
var watcher struct {
	sync.Mutex
	users int
	done  chan struct{}
	wg    sync.WaitGroup
}

// AdviseHeap asks the kernel to back the Go heap with transparent huge
// pages where the system gives them only to memory that asks for them
// ("madvise", the default of most distributions), until the function it
// returns is called: a 2 MB page is one page fault where 512 small pages
// are 512, and a stage that fills a few hundred megabytes otherwise spends
// a second or more of processor time in page faults (more on virtual
// machines). The Go runtime asks nothing of the kind itself since Go 1.21.
//
// The heap mapped so far is advised at once, and what the runtime maps
// later within heapWatch of its mapping, before most of it is touched.
// AdviseHeap does nothing under GODEBUG=disablethp=1 (the Go runtime's
// own switch for huge pages), nor when the system's setting is not
// madvise: "always" needs no advice, "never" takes none.
func AdviseHeap() (stop func()) {
	if !thpAdvised(os.Getenv("GODEBUG")) {
		return func() {}
	}
	watcher.Lock()
	defer watcher.Unlock()
	if watcher.users++; watcher.users == 1 {
		done := make(chan struct{})
		watcher.done = done
		watcher.wg.Go(func() { watchHeap(done) })
	}
	adviseHeap()
	var once sync.Once
	return func() {
		once.Do(func() {
			watcher.Lock()
			defer watcher.Unlock()
			if watcher.users--; watcher.users == 0 {
				close(watcher.done)
				watcher.wg.Wait()
			}
		})
	}
}

// watchHeap advises the heap again whenever the runtime has mapped more
// memory, until done is closed.
func watchHeap(done <-chan struct{}) {
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	mapped := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	last := mapped()
	t := time.NewTicker(heapWatch)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if now := mapped(); now > last {
				last = now
				adviseHeap()
			}
		}
	}
}

// thpAdvised reports whether the system gives transparent huge pages to
// advised memory only, and godebug (GODEBUG's value) does not turn them
// off for the heap.
func thpAdvised(godebug string) bool {
	for kv := range strings.SplitSeq(godebug, ",") {
		if strings.TrimSpace(kv) == "disablethp=1" {
			return false
		}
	}
	b, err := os.ReadFile(thpPath)
	return err == nil && bytes.Contains(b, []byte("[madvise]"))
}

// adviseHeap advises the mappings of the heap as they are now, and
// reports whether the kernel took the advice.
func adviseHeap() bool {
	p := new([64]byte)
	ok := adviseAround(uintptr(unsafe.Pointer(p)))
	runtime.KeepAlive(p)
	return ok
}

// adviseAround advises the writable anonymous mappings around addr: the
// one that holds it and those next to it without a gap, which is how the
// Go heap lies (its arenas, mapped and reserved, one after the other).
// Other mappings of the runtime (its own structures, some of which it
// keeps from huge pages on purpose) lie elsewhere.
func adviseAround(addr uintptr) bool {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return false
	}
	maps := parseMaps(b)
	lo, hi, ok := aroundOf(maps, addr)
	if !ok {
		return false
	}
	advised := false
	for _, m := range maps[lo : hi+1] {
		if !m.writable {
			continue
		}
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, madvHugePage); e == 0 {
			advised = true
		}
	}
	return advised
}

// aroundOf returns the first and last of the anonymous mappings, in maps
// (in address order), that lie next to each other without a gap around
// the one holding addr; ok is false when no anonymous mapping holds it.
func aroundOf(maps []mapping, addr uintptr) (lo, hi int, ok bool) {
	at := -1
	for i, m := range maps {
		if m.start <= addr && addr < m.end {
			at = i
			break
		}
	}
	if at < 0 || !maps[at].anon {
		return 0, 0, false
	}
	lo, hi = at, at
	for lo > 0 && maps[lo-1].anon && maps[lo-1].end == maps[lo].start {
		lo--
	}
	for hi+1 < len(maps) && maps[hi+1].anon && maps[hi+1].start == maps[hi].end {
		hi++
	}
	return lo, hi, true
}

// mapping is one line of /proc/self/maps.
type mapping struct {
	start, end uintptr
	writable   bool
	// anon is a private mapping of no file that may be the heap's: with
	// no name, or the name the runtime gives the heap's mappings where
	// the kernel keeps names ("[anon: Go: heap]"); not [stack] and the
	// like.
	anon bool
}

// heapName reports whether a mapping's name may be the heap's.
func heapName(name []byte) bool {
	return len(name) == 0 || bytes.HasPrefix(name, []byte("[anon: Go: heap"))
}

// parseMaps reads the lines of /proc/self/maps it understands, in order.
func parseMaps(b []byte) []mapping {
	var out []mapping
	for line := range bytes.Lines(b) {
		f := bytes.Fields(line)
		if len(f) < 5 {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start || len(f[1]) < 4 {
			continue
		}
		out = append(out, mapping{
			start:    uintptr(start),
			end:      uintptr(end),
			writable: f[1][1] == 'w',
			anon:     string(f[4]) == "0" && f[1][3] == 'p' && heapName(bytes.Join(f[5:], []byte(" "))),
		})
	}
	return out
}
