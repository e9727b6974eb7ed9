// Package usage measures what a stage costs the process: the processor
// time it used (user and system, all threads) and the peak resident
// memory while it ran, so that a run can say, stage by stage, how busy
// the cores were and how much memory it needed.
package usage

import "time"

// Sample is the process's use of the machine up to a moment.
type Sample struct {
	// CPU is the processor time used so far, user and system.
	CPU time.Duration
	// Wall is when the sample was taken.
	Wall time.Time
}

// Stage is what a stage cost: its wall time, the processor time it used,
// and the peak resident memory of the process while it ran (or, where
// the peak cannot be reset, since the process started: PeakSinceStart).
type Stage struct {
	Wall, CPU      time.Duration
	PeakRSS        int64
	PeakSinceStart bool
}

// CPUShare is the processor time per wall time: 1.8 for a stage that kept
// 1.8 cores busy on average; 0 for no wall time.
func (s Stage) CPUShare() float64 {
	if s.Wall <= 0 {
		return 0
	}
	return float64(s.CPU) / float64(s.Wall)
}

// Meter measures one stage at a time: Start before it, Stop after.
type Meter struct {
	start Sample
	reset bool
}

// Start begins measuring a stage: it resets the peak resident memory to
// the current one where the system allows it.
func (m *Meter) Start() {
	m.reset = resetPeak()
	m.start = now()
}

// Stop ends the measure begun by Start.
func (m *Meter) Stop() Stage {
	end := now()
	return Stage{Wall: end.Wall.Sub(m.start.Wall), CPU: end.CPU - m.start.CPU, PeakRSS: peakRSS(), PeakSinceStart: !m.reset}
}

// Peak returns the peak resident memory of the process since it started
// or since the last reset, in bytes; 0 where it is not known.
func Peak() int64 { return peakRSS() }

func now() Sample { return Sample{CPU: cpuTime(), Wall: time.Now()} }
