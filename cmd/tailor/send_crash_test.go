//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/ledger"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
)

// TestSendCrash runs the real binary: a send killed with SIGKILL at random
// moments while its messages flow, ten times, and resumed each time, then
// finished with --retry-uncertain. At the end no eligible recipient is
// missing, nobody has two messages but cardholders whose row was once
// uncertain, those are at most one per connection per kill (a connection
// writes the end of a message, which delivers it, only once the outcome of
// the one before is on record), and the rows each kill left uncertain are
// at most two per connection (the one handed over and the one queued
// behind it).
func TestSendCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the tailor binary")
	}
	const (
		cardholders = 6000
		kills       = 10
		connections = 4
	)
	began := time.Now()
	dir := t.TempDir()
	bin := buildTailor(t, dir)
	base, err := os.ReadFile(exampleCampaign(t, bin, dir, "crash", cardholders))
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TAILOR_UNSUBSCRIBE_SECRET=crash-test-secret")

	// An uninterrupted send of the same run, to another server, says when
	// messages start to flow and how long they flow.
	calib, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer calib.Close()
	calibDir := crashRun(t, bin, env, dir, "calibrate", base, calib.Port(), connections)
	start := time.Now()
	if out, err := tailorSend(bin, env, calibDir).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted send: %v\n%s", err, out)
	}
	took := time.Since(start)
	msgs := calib.Messages()
	if len(msgs) < 1000 {
		t.Fatalf("the uninterrupted send sent %d messages", len(msgs))
	}
	flow := msgs[len(msgs)-1].At.Sub(msgs[0].At)
	t.Logf("uninterrupted send: %d messages in %v, flowing for %v after %v",
		len(msgs), took.Round(time.Millisecond), flow.Round(time.Millisecond), msgs[0].At.Sub(start).Round(time.Millisecond))
	eligible := len(msgs)
	calib.Close()
	msgs = nil

	srv, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	runDir := crashRun(t, bin, env, dir, "crash", base, srv.Port(), connections)

	// Ten sends, each killed at a random moment once its messages flow:
	// on average a twentieth of the whole flow in, so that every kill
	// finds messages left to send.
	rng := rand.New(rand.NewPCG(2026, 10))
	everUncertain := map[string]bool{}
	var inFlight, recovered []int
	uncertain := 0
	for i := range kills {
		accepted := srv.Stats().Accepted
		cmd := tailorSend(bin, env, runDir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		tick := time.NewTicker(time.Millisecond)
		giveUp := time.After(30 * time.Second)
		for srv.Stats().Accepted == accepted {
			select {
			case err := <-exited:
				t.Fatalf("send %d ended before it sent anything: %v\n%s", i+1, err, out.Bytes())
			case <-giveUp:
				cmd.Process.Kill()
				t.Fatalf("send %d sent nothing in 30s", i+1)
			case <-tick.C:
			}
		}
		// A machine less loaded than during the uninterrupted send could
		// send everything before the last kill: a send that has sent its
		// share of what is left is killed at once.
		delay := time.Duration((0.05 + 0.85*rng.Float64()) * float64(flow) / (kills + 1))
		share := accepted + (eligible-accepted)/(kills-i+1)
		flowing := time.Now()
		timer := time.NewTimer(delay)
	wait:
		for {
			select {
			case err := <-exited:
				t.Fatalf("send %d finished before its kill after %v: %v\n%s", i+1, delay, err, out.Bytes())
			case <-timer.C:
				break wait
			case <-tick.C:
				if srv.Stats().Accepted >= share {
					break wait
				}
			}
		}
		tick.Stop()
		timer.Stop()
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killedAfter := time.Since(flowing)
		err := <-exited
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("send %d: %v, want killed by SIGKILL\n%s", i+1, err, out.Bytes())
		}

		// The rows left Sending were in flight at the kill: the next send
		// makes them Uncertain. This send made uncertain those the last
		// kill left in flight.
		rows, totals := ledgerState(t, runDir)
		sending := 0
		for _, e := range rows {
			if e.State == send.Sending || e.State == send.Uncertain {
				everUncertain[e.Cardholder] = true
			}
			if e.State == send.Sending {
				sending++
			}
		}
		inFlight = append(inFlight, sending)
		recovered = append(recovered, totals[send.Uncertain]-uncertain)
		uncertain = totals[send.Uncertain]
		if sending > 2*connections {
			t.Errorf("kill %d left %d messages in flight, more than two per connection (%d)", i+1, sending, connections)
		}
		if n := recovered[i]; n > 2*connections {
			t.Errorf("send %d made %d messages uncertain, more than two per connection (%d)", i+1, n, connections)
		}
		if totals[send.Pending] == 0 {
			t.Fatalf("send %d sent everything before its kill", i+1)
		}
		// Whatever the ledger says is sent has arrived.
		for _, e := range rows {
			if e.State == send.Sent && srv.Received(e.Address) == 0 {
				t.Errorf("after kill %d: %s is sent in the ledger, but %s received nothing", i+1, e.Cardholder, e.Address)
			}
		}
		t.Logf("kill %d after %v of flow: %d sent, %d in flight, %d uncertain; the server has %d messages",
			i+1, killedAfter.Round(time.Millisecond), totals[send.Sent], sending, uncertain, srv.Stats().Accepted)
	}

	out, err := tailorSend(bin, env, runDir, "--retry-uncertain").CombinedOutput()
	if err != nil {
		t.Fatalf("send --retry-uncertain: %v\n%s", err, out)
	}
	rows, totals := ledgerState(t, runDir)
	addresses := map[string]bool{} // of the eligible recipients
	duplicates := 0
	for _, e := range rows {
		if e.State == send.Suppressed || e.State == send.Skipped {
			continue
		}
		addresses[e.Address] = true
		n := srv.Received(e.Address)
		switch {
		case e.State != send.Sent:
			t.Errorf("%s: %s (%s) after the last send", e.Cardholder, e.State, e.Reason)
		case n == 0:
			t.Errorf("%s: sent in the ledger, but %s received nothing", e.Cardholder, e.Address)
		case n > 1 && !everUncertain[e.Cardholder]:
			t.Errorf("%s received %d messages and was never uncertain", e.Cardholder, n)
		}
		duplicates += max(0, n-1)
	}
	messages := srv.Messages()
	for _, m := range messages {
		for _, to := range m.To {
			if !addresses[to] {
				t.Errorf("a message went to %s, who is not an eligible recipient", to)
			}
		}
	}
	if len(messages) != len(addresses)+duplicates || len(addresses) != eligible {
		t.Errorf("the server has %d messages for %d eligible recipients (%d in the uninterrupted send) and %d duplicates",
			len(messages), len(addresses), eligible, duplicates)
	}
	if duplicates > connections*kills || duplicates > len(everUncertain) {
		t.Errorf("%d duplicates, more than the %d rows ever uncertain or %d connections × %d kills",
			duplicates, len(everUncertain), connections, kills)
	}
	t.Logf("%d cardholders, %d eligible, ledger %v; %d messages received; %d kills; in flight at each kill %v; made uncertain by each resume %v; %d ever uncertain; %d duplicates; peak %d connections; %v in all",
		len(rows), len(addresses), totals, len(messages), kills, inFlight, recovered, len(everUncertain), duplicates,
		srv.Stats().PeakConnections, time.Since(began).Round(time.Millisecond))
}

// crashRun writes the campaign base with a relay on port, runs it with no
// outbox into dir/name and returns the run directory.
func crashRun(t *testing.T, bin string, env []string, dir, name string, base []byte, port, connections int) string {
	t.Helper()
	campaign := filepath.Join(dir, name+".toml")
	relay := fmt.Sprintf(`
[[smtp]]
host = "127.0.0.1"
port = %d
tls = "none"
connections = %d
throttle_wait = "1ms"

[send]
retry_base = "1ms"
retry_max = "50ms"
`, port, connections)
	if err := os.WriteFile(campaign, append(bytes.Clone(base), relay...), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command(bin, "run", campaign, "--out", out, "--outbox", "none")
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, b)
	}
	return filepath.Join(out, "crash", "2026-10")
}

// tailorSend returns the command that sends the run in runDir.
func tailorSend(bin string, env []string, runDir string, flags ...string) *exec.Cmd {
	cmd := exec.Command(bin, append([]string{"send", runDir, "--quiet"}, flags...)...)
	cmd.Env = env
	return cmd
}

// ledgerState reads every row of the run's ledger and its totals, and
// closes it.
func ledgerState(t *testing.T, runDir string) ([]send.Entry, map[send.State]int) {
	t.Helper()
	db, err := ledger.Open(filepath.Join(runDir, pipeline.LedgerFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	totals, err := db.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows []send.Entry
	if err := db.Each(ctx, func(e send.Entry) error { rows = append(rows, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows, totals
}
