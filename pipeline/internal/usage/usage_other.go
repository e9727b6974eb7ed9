//go:build !linux

package usage

import (
	"runtime"
	"time"
)

// resetPeak cannot reset the peak here: Stop reports the peak since the
// process started.
func resetPeak() bool { return false }

// peakRSS is the Go runtime's view where the system's is not read: the
// memory it obtained from the system, an upper bound of the resident
// memory.
func peakRSS() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.Sys)
}

func cpuTime() time.Duration { return 0 }
