//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// TestOneWriterPerRun runs the real binary: of two runs started together
// one runs and the other is refused; while a run writes a campaign
// month, a second run and a render of the same month are refused at once,
// naming the first; the first finishes undamaged. A run killed with
// SIGKILL leaves its lock behind; the next run takes it over and resumes.
func TestOneWriterPerRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the tailor binary")
	}
	dir := t.TempDir()
	bin := buildTailor(t, dir)
	campaign := exampleCampaign(t, bin, dir, "lock", 12000)

	// Two runs started together: one runs, the other is refused at once.
	together := filepath.Join(dir, "together")
	var cmds [2]*exec.Cmd
	var outs [2]bytes.Buffer
	for i := range cmds {
		cmds[i] = exec.Command(bin, "run", campaign, "--out", together)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	refused := 0
	for i, c := range cmds {
		err := c.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee) && ee.ExitCode() == exitFailed && strings.Contains(outs[i].String(), "is in use by"):
			refused++
		default:
			t.Errorf("run %d: %v\n%s", i, err, outs[i].String())
		}
	}
	if refused != 1 {
		t.Errorf("%d of two runs started together were refused, want 1:\n%s\n---\n%s", refused, outs[0].String(), outs[1].String())
	}

	first := filepath.Join(dir, "first")
	a := startUntil(t, bin, "cluster", "run", campaign, "--out", first)
	runDir := filepath.Join(first, "lock", "2026-10")
	for _, args := range [][]string{{"run", campaign, "--out", first}, {"render", runDir}} {
		start := time.Now()
		out, err := exec.Command(bin, args...).CombinedOutput()
		took := time.Since(start)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitFailed {
			t.Fatalf("tailor %s during a run: %v, want exit status 1\n%s", args[0], err, out)
		}
		want := fmt.Sprintf("is in use by \"tailor run %s --out=%s\" (pid %d", campaign, first, a.cmd.Process.Pid)
		if !strings.Contains(string(out), want) {
			t.Errorf("tailor %s during a run says\n%s\nwant it to name the holder: %s", args[0], out, want)
		}
		if took > 5*time.Second {
			t.Errorf("tailor %s took %v to refuse", args[0], took)
		}
	}
	if err := a.wait(); err != nil {
		t.Fatalf("the first run failed: %v\n%s", err, a.stderr())
	}
	// Nothing of the first run was touched: every stage's outputs are as
	// its manifest recorded them, so a run again keeps them all.
	out, err := exec.Command(bin, "run", campaign, "--out", first).Output()
	if err != nil || !bytes.Contains(out, []byte("ran: none; kept: ingest, profile, cluster, variants, render, fit, report, outbox")) {
		t.Fatalf("run after the first: %v\n%s", err, out)
	}

	killed := filepath.Join(dir, "killed")
	k := startUntil(t, bin, "cluster", "run", campaign, "--out", killed)
	if err := k.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	k.wait()
	if b, _ := os.ReadFile(rundir.LockPath(filepath.Join(killed, "lock", "2026-10"))); !bytes.Contains(b, []byte(fmt.Sprint(k.cmd.Process.Pid))) {
		t.Errorf("the killed run left no holder in its lock file: %q", b)
	}
	resume := exec.Command(bin, "run", campaign, "--out", killed)
	var stderr bytes.Buffer
	resume.Stderr = &stderr
	out, err = resume.Output()
	if err != nil {
		t.Fatalf("run after kill -9: %v\n%s%s", err, out, stderr.Bytes())
	}
	if want := fmt.Sprintf("took over the lock of \"tailor run %s --out=%s\" (pid %d", campaign, killed, k.cmd.Process.Pid); !strings.Contains(stderr.String(), want) {
		t.Errorf("the run after kill -9 does not say it took over the lock:\n%s", stderr.Bytes())
	}
	if !bytes.Contains(out, []byte("kept: ingest, profile, cluster")) {
		t.Errorf("the run after kill -9 did not resume after clustering:\n%s", out)
	}
	if a, b := treeSums(t, runDir), treeSums(t, filepath.Join(killed, "lock", "2026-10")); a != b {
		t.Errorf("the resumed run's files differ from an uninterrupted run's:\n%s\n---\n%s", a, b)
	}
}

// started is a tailor process started in the background.
type started struct {
	cmd  *exec.Cmd
	err  chan error
	errs *bytes.Buffer
}

// startUntil starts tailor with args and returns once it has printed that
// stage done.
func startUntil(t *testing.T, bin, stage string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &started{cmd: cmd, err: make(chan error, 1), errs: &bytes.Buffer{}}
	reached := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.errs.WriteString(sc.Text() + "\n")
			if f := strings.Fields(sc.Text()); len(f) > 1 && f[0] == stage && f[1] == "done" {
				reached <- true
			}
		}
		io.Copy(io.Discard, pipe)
		close(reached)
		s.err <- cmd.Wait()
	}()
	select {
	case ok := <-reached:
		if !ok {
			t.Fatalf("tailor %v ended before %s was done: %v\n%s", args, stage, <-s.err, s.errs)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("tailor %v did not finish %s in 2 minutes", args, stage)
	}
	return s
}

func (s *started) wait() error { return <-s.err }

func (s *started) stderr() string { return s.errs.String() }

// treeSums lists the files of a run directory but the manifest with their
// sizes and contents' hashes.
func treeSums(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == rundir.ManifestFile {
			return err
		}
		sum, size, err := rundir.HashFile(p)
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %d %s\n", rel, size, sum)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
