// Package bench measures tailor send against postfix's smtp-sink: the
// script smtp-sink.sh beside this file compares the tailor binary with
// smtp-source, and BenchmarkSend runs the same send in-process, so that
// go test's -cpuprofile and -memprofile show where its time and memory go.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// BenchmarkSend sends the finished run in $TAILOR_BENCH_RUN (such as the
// one smtp-sink.sh leaves with KEEP=1: WORK/out/bench/2026-10) to an
// smtp-sink it starts on loopback, over 8 connections, ledger included.
// Each iteration starts from an empty ledger: it deletes the run's send.db
// and the campaign's suppressions.csv, so use a scratch run. It reports
// messages per second and the peak of the Go heap in use; with
// $TAILOR_BENCH_HEAP set, it writes there a heap profile of the first
// send once messages flow (at its first progress report, a second in).
func BenchmarkSend(b *testing.B) {
	dir := os.Getenv("TAILOR_BENCH_RUN")
	if dir == "" {
		b.Skip("TAILOR_BENCH_RUN names no run directory to send (see README.md)")
	}
	sink, err := exec.LookPath("smtp-sink")
	if err != nil {
		b.Skip("no smtp-sink on PATH: install the postfix package")
	}
	port := startSink(b, sink)
	delivery := &pipeline.Campaign{SMTP: []pipeline.SMTPConfig{{Host: "127.0.0.1", Port: port, TLS: send.TLSNone, Connections: 8}}}
	getenv := func(k string) string {
		if v := os.Getenv(k); v != "" || k != pipeline.DefaultSecretEnv {
			return v
		}
		return "smtp-sink-benchmark"
	}
	heapFile := os.Getenv("TAILOR_BENCH_HEAP")

	var sent int
	var took time.Duration
	var peak uint64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, f := range []string{
			filepath.Join(dir, pipeline.LedgerFile), filepath.Join(dir, pipeline.LedgerFile+"-wal"),
			filepath.Join(dir, pipeline.LedgerFile+"-shm"), filepath.Join(filepath.Dir(dir), "suppressions.csv"),
		} {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				b.Fatal(err)
			}
		}
		runtime.GC()
		stop := sampleHeap(&peak)
		profiled := heapFile == "" || i > 0
		events := func(e pipeline.Event) {
			if !profiled && e.State == "progress" && e.Counts["sent"] > 0 {
				profiled = true
				writeHeap(b, heapFile)
			}
		}
		b.StartTimer()
		start := time.Now()
		res, err := pipeline.Send(context.Background(), pipeline.SendConfig{RunDir: dir, Delivery: delivery,
			Getenv: getenv, Events: events})
		took += time.Since(start)
		b.StopTimer()
		stop()
		if err != nil {
			b.Fatalf("send: %v", err)
		}
		sent += res.Progress.Sent
	}
	b.ReportMetric(float64(sent)/took.Seconds(), "msgs/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// startSink starts smtp-sink on a free port of 127.0.0.1 until the
// benchmark ends, and returns the port.
func startSink(b *testing.B, sink string) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := []string{fmt.Sprintf("127.0.0.1:%d", port), "1000"}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "root"}, args...)
	}
	cmd := exec.Command(sink, args...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for range 100 {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
			return port
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("smtp-sink did not listen on port %d", port)
	return 0
}

// sampleHeap records in peak the most heap in use it sees, every 50ms
// until the returned function is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// writeHeap writes a heap profile of what is live now to path.
func writeHeap(b *testing.B, path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Error(err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Error(err)
	}
}
