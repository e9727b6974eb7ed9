//go:build unix

package ledger

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/send"
)

// crashEnv names, in a child process of TestCrash, the ledger it sends to.
const crashEnv = "TAILOR_LEDGER_CRASH_CHILD"

// TestCrash kills a send mid-flight and checks that the ledger it leaves
// is whole and exactly-once: every message Sent, Uncertain (at most the
// last claim of 8) or Pending, in that order, and every Sent the child saw
// committed is there.
func TestCrash(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("kills a child process")
	}
	// Kill at about 200ms after the rows are added, and at points spread
	// over the first part of the send, which on a fast disk may take less.
	for _, after := range []time.Duration{200 * time.Millisecond, 0, 2 * time.Millisecond, 10 * time.Millisecond, 40 * time.Millisecond} {
		t.Run(after.String(), func(t *testing.T) { crash(t, after) })
	}
}

func crash(t *testing.T, after time.Duration) {
	path := filepath.Join(t.TempDir(), "send.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	// committed is how many Sent the child had seen committed when killed.
	committed, done := 0, false
	var kill <-chan time.Time
	timeout := time.After(time.Minute)
wait:
	for {
		select {
		case line, ok := <-lines:
			switch {
			case !ok:
				break wait // the child exited: Wait says how
			case line == "added":
				kill = time.After(after)
			case line == "done":
				done = true
			case strings.HasPrefix(line, "sent "):
				committed, _ = strconv.Atoi(strings.TrimPrefix(line, "sent "))
			}
		case <-kill:
			break wait
		case <-timeout:
			break wait
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	// Lines written before the kill are still in the pipe.
	for line := range lines {
		if n, err := strconv.Atoi(strings.TrimPrefix(line, "sent ")); err == nil {
			committed = n
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, stderr.String())
	}
	if kill == nil {
		t.Fatalf("child never added its rows\n%s", stderr.String())
	}

	ctx := context.Background()
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var check string
	if err := l.db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	recovered, err := l.Recover(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	count := map[send.State]int{}
	// In ledger order: Sent, then Uncertain, then Pending.
	rank := map[send.State]int{send.Sent: 0, send.Uncertain: 1, send.Pending: 2}
	last := send.Sent
	for _, e := range all(t, l) {
		count[e.State]++
		r, ok := rank[e.State]
		if !ok {
			t.Errorf("%s: %s after Recover, want pending, sent or uncertain", e.Cardholder, e.State)
			continue
		}
		if r < rank[last] {
			t.Errorf("%s: %s after %s in ledger order", e.Cardholder, e.State, last)
		}
		last = e.State
		if want := map[bool]int{true: 0, false: 1}[e.State == send.Pending]; e.Attempts != want {
			t.Errorf("%s: %s with %d attempts, want %d", e.Cardholder, e.State, e.Attempts, want)
		}
	}
	sent, uncertain, pend := count[send.Sent], count[send.Uncertain], count[send.Pending]
	t.Logf("killed %v after adding (done %v): sent %d (%d seen committed), uncertain %d, pending %d",
		after, done, sent, committed, uncertain, pend)
	if uncertain != recovered || uncertain > 8 {
		t.Errorf("uncertain %d, recovered %d: want the same, at most 8", uncertain, recovered)
	}
	if sent+uncertain+pend != 1000 {
		t.Errorf("sent %d + uncertain %d + pending %d = %d, want 1000", sent, uncertain, pend, sent+uncertain+pend)
	}
	if sent < committed {
		t.Errorf("sent %d, but the child saw %d committed", sent, committed)
	}
}

// crashChild is the child of TestCrash: it sends 1000 messages, 8 at a
// time, recording the last 8 as Sent while claiming the next, and writes
// "added", then "sent N" after every commit, then "done" and waits to be
// killed.
func crashChild(path string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	l, err := Open(path)
	if err != nil {
		fail(err)
	}
	if _, err := l.Add(ctx, pending(0, 1000, "a")); err != nil {
		fail(err)
	}
	fmt.Println("added")
	var claimed []send.Entry
	sent := 0
	for {
		outcomes := make([]send.Outcome, len(claimed))
		for i, e := range claimed {
			outcomes[i] = send.Outcome{Cardholder: e.Cardholder, State: send.Sent, Reply: send.Reply{Code: 250, Text: "ok"}, At: time.Now()}
		}
		claimed, err = l.Advance(ctx, outcomes, 8, time.Now())
		if err != nil {
			fail(err)
		}
		sent += len(outcomes)
		fmt.Printf("sent %d\n", sent)
		if len(claimed) == 0 {
			break
		}
	}
	fmt.Println("done")
	// Wait to be killed. Not select {}: with every goroutine blocked for
	// good, the runtime ends the process itself ("all goroutines are
	// asleep"), before a kill scheduled after the send finished.
	time.Sleep(time.Hour)
}
