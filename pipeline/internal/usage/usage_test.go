package usage

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestMeter checks that a stage that touches 200 MB shows a peak of at
// least that, that the next stage, after the memory is returned, shows a
// lower one where the peak can be reset, and that busy work counts as
// processor time.
func TestMeter(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the peak is reset and read from /proc on Linux only")
	}
	var m Meter
	m.Start()
	b := make([]byte, 200<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	big := m.Stop()
	if big.PeakRSS < 200<<20 {
		t.Errorf("a stage that touched 200 MB peaked at %d bytes", big.PeakRSS)
	}
	runtime.KeepAlive(b)
	b = nil
	debug.FreeOSMemory()

	m.Start()
	deadline := time.Now().Add(100 * time.Millisecond)
	n := 0
	for time.Now().Before(deadline) {
		n++
	}
	small := m.Stop()
	if !small.PeakSinceStart && small.PeakRSS >= big.PeakRSS {
		t.Errorf("after the memory was returned, the next stage peaked at %d bytes, the stage before at %d", small.PeakRSS, big.PeakRSS)
	}
	// On a loaded machine the loop gets a part of a core: some of it.
	if small.CPU < 10*time.Millisecond || small.CPUShare() <= 0 || small.CPUShare() > float64(runtime.NumCPU())+0.5 {
		t.Errorf("100 ms of busy work: %v processor time, share %.2f", small.CPU, small.CPUShare())
	}
}
