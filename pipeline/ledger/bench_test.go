package ledger

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/send"
)

// BenchmarkAdvance is one step of a send: record 10 outcomes (8 Sent, 2
// Deferred and due again at once) and claim 16, in a ledger of 100,000
// recipients. ns/op includes the commit's fsync (compare BenchmarkFsync);
// cpu-ns/op is the CPU time, user and system, without the wait for the disk.
func BenchmarkAdvance(b *testing.B) {
	ctx := context.Background()
	l := openTemp(b)
	const rows = 100_000
	added := 0
	add := func() {
		for i := 0; i < rows; i += 10_000 {
			mustAdd(b, l, pending(added+i, 10_000, "a"))
		}
		added += rows
	}
	add()
	var inflight []send.Entry
	now := t0
	var cpu time.Duration
	cpu0, measured := cpuTime()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		k := min(10, len(inflight))
		outcomes := make([]send.Outcome, k)
		for i, e := range inflight[:k] {
			outcomes[i] = send.Outcome{Cardholder: e.Cardholder, State: send.Sent, Reply: send.Reply{Code: 250, Text: "2.0.0 queued"}, At: now}
			if i >= 8 {
				outcomes[i].State, outcomes[i].NextAt = send.Deferred, now
				outcomes[i].Reply = send.Reply{Code: 451, Enhanced: "4.7.1", Text: "try later"}
			}
		}
		inflight = inflight[k:]
		claimed, err := l.Advance(ctx, outcomes, 16, now)
		if err != nil {
			b.Fatal(err)
		}
		if len(claimed) < 16 {
			b.StopTimer()
			c, _ := cpuTime()
			cpu += c - cpu0
			add()
			cpu0, _ = cpuTime()
			b.StartTimer()
		}
		inflight = append(inflight, claimed...)
	}
	if c, _ := cpuTime(); measured {
		cpu += c - cpu0
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkAdd1M adds a send of 1,000,000 recipients in batches of 10,000
// to a new ledger.
func BenchmarkAdd1M(b *testing.B) {
	const total, batch = 1_000_000, 10_000
	batches := make([][]send.Entry, 0, total/batch)
	for i := 0; i < total; i += batch {
		batches = append(batches, pending(i, batch, "variant-"+string(rune('a'+i%7))))
	}
	ctx := context.Background()
	cpu0, measured := cpuTime()
	for b.Loop() {
		l, err := Open(filepath.Join(b.TempDir(), "send.db"))
		if err != nil {
			b.Fatal(err)
		}
		for _, es := range batches {
			if n, err := l.Add(ctx, es); err != nil || n != batch {
				b.Fatalf("added %d, %v", n, err)
			}
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu, _ := cpuTime(); measured {
		b.ReportMetric(float64((cpu-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkFsync is the floor under every commit: write a page and fsync
// it, on the same file system as the ledgers above.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	for b.Loop() {
		if _, err := f.WriteAt(page, 0); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}
