package usage

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// DefaultLimitShare is the share of the memory the process may use that
// DefaultMemoryLimit gives the Go runtime as its soft limit.
const DefaultLimitShare = 0.9

// DefaultMemoryLimit sets the Go runtime's soft memory limit to
// DefaultLimitShare of the memory the process may use (MemoryAvailable),
// unless getenv gives GOMEMLIMIT: near the limit the collector works
// harder instead of letting garbage grow to twice the live data, so that
// a run too large for the machine slows down instead of being killed. It
// returns the limit set, 0 for none (GOMEMLIMIT given, or the memory not
// known).
func DefaultMemoryLimit(getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	total := MemoryAvailable()
	if total <= 0 {
		return 0
	}
	limit := int64(float64(total) * DefaultLimitShare)
	debug.SetMemoryLimit(limit)
	return limit
}

// MemoryAvailable returns the memory the process may use: the machine's
// (MemTotal) or its control group's limit, whichever is lower; 0 when
// neither is known.
func MemoryAvailable() int64 {
	total := memTotal("/proc/meminfo")
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if limit := cgroupLimit(p); limit > 0 && (total == 0 || limit < total) {
			total = limit
		}
	}
	return total
}

// memTotal reads MemTotal from a meminfo file, in bytes; 0 when it cannot.
func memTotal(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && kb > 0 {
					return kb << 10
				}
			}
		}
	}
	return 0
}

// cgroupLimit reads a control group's memory limit, in bytes; 0 for none
// ("max", or a number too large to be a limit) or when it cannot.
func cgroupLimit(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 {
		return 0
	}
	return n
}

// RuntimeMemory returns the memory the Go runtime holds and has not given
// back to the system (heap, stacks and its own structures): what a soft
// memory limit (debug.SetMemoryLimit) is measured against.
func RuntimeMemory() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}
