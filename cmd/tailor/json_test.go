package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
)

// TestRunAndSendJSON runs the example with --json --send to an SMTP
// server on loopback, then sends again with send --json, and reads the
// documents as a script would: every figure must agree with the others
// and with what the server received.
func TestRunAndSendJSON(t *testing.T) {
	t.Setenv("TAILOR_UNSUBSCRIBE_SECRET", "json-test-secret")
	srv, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	base, err := os.ReadFile(filepath.Join(example(t), "campaign.toml"))
	if err != nil {
		t.Fatal(err)
	}
	campaign := filepath.Join(dir, "campaign.toml")
	src := strings.ReplaceAll(string(base), `"cardholders.csv"`, fmt.Sprintf("%q", filepath.Join(example(t), "cardholders.csv")))
	src = strings.ReplaceAll(src, `"transactions.csv"`, fmt.Sprintf("%q", filepath.Join(example(t), "transactions.csv")))
	src += fmt.Sprintf("\n[[smtp]]\nhost = \"127.0.0.1\"\nport = %d\ntls = \"none\"\nthrottle_wait = \"1ms\"\n", srv.Port())
	if err := os.WriteFile(campaign, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")

	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", campaign, "--out", out, "--send", "--json", "-q"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr.String())
	}
	var doc runDocument
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not one run document: %v", err)
	}
	if dec.More() {
		t.Error("stdout holds more than the run document")
	}
	var names []string
	for _, st := range doc.Stages {
		names = append(names, st.Name+":"+st.State)
		// The process holds its binary, runtime and heap: tens of MB.
		if runtime.GOOS == "linux" && (st.PeakRSS < 1e6 || st.PeakRSS > 4e9 || st.CPUMS < 0) {
			t.Errorf("stage %s: peak resident memory %d bytes, %d ms of processor time", st.Name, st.PeakRSS, st.CPUMS)
		}
	}
	if got := strings.Join(names, " "); got != "ingest:ran profile:ran cluster:ran variants:ran render:ran fit:ran report:ran outbox:ran" {
		t.Errorf("stages %s", got)
	}
	for _, in := range doc.Inputs {
		if in.Rows != in.Accepted+in.Rejected+in.Skipped || in.Rejected > 0 && in.Rejects == "" {
			t.Errorf("input %+v does not reconcile", in)
		}
	}
	if doc.Status != "done" || doc.Month != "2026-10" || doc.Audience == nil || doc.Fit == nil ||
		doc.Fit.Checked != doc.Audience.Mail || doc.Clusters != 12 || doc.Variants != 12 || doc.Distinct != 12 || doc.Send == nil {
		t.Fatalf("document %+v", doc)
	}
	if _, err := os.Stat(doc.Report); err != nil {
		t.Errorf("report: %v", err)
	}
	s := doc.Send
	if s.Status != "done" || s.Sent == 0 || s.Sent != len(srv.Messages()) || s.Totals["sent"] != s.Sent ||
		s.Totals["pending"] != 0 || s.Dir != doc.Dir {
		t.Errorf("send document %+v; the server has %d messages", s, len(srv.Messages()))
	}

	// Sending again sends nothing, and says so.
	stdout.Reset()
	if code := run(context.Background(), []string{"send", doc.Dir, "--json", "-q"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("send: exit %d\n%s", code, stderr.String())
	}
	var again sendDocument
	if err := json.Unmarshal(stdout.Bytes(), &again); err != nil {
		t.Fatal(err)
	}
	if again.Status != "done" || again.Sent != 0 || again.Totals["sent"] != s.Sent || len(srv.Messages()) != s.Sent {
		t.Errorf("second send %+v", again)
	}

	// A run that fails says where and how to resume, in the document too.
	strict := filepath.Join(dir, "strict.toml")
	if err := os.WriteFile(strict, []byte(strings.Replace(src, "[inputs]", "[inputs]\nerror_budget = 0.0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	strictOut := filepath.Join(dir, "strict")
	if code := run(context.Background(), []string{"run", strict, "--out", strictOut, "--json"}, &stdout, &stderr); code != exitFailed {
		t.Fatalf("strict run: exit %d, want %d", code, exitFailed)
	}
	var failed runDocument
	if err := json.Unmarshal(stdout.Bytes(), &failed); err != nil {
		t.Fatal(err)
	}
	if failed.Status != "failed" || failed.Stage != "ingest" || !strings.Contains(failed.Error, "error budget") ||
		failed.Resume != "tailor run "+strict+" --json=true --out="+strictOut+" --month=2026-10" || failed.Dir == "" {
		t.Errorf("failed document %+v", failed)
	}

	// A campaign that cannot be read: a document still, and exit 2.
	stdout.Reset()
	if code := run(context.Background(), []string{"run", filepath.Join(dir, "none.toml"), "--json"}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("missing campaign: exit %d, want %d", code, exitUsage)
	}
	var bad runDocument
	if err := json.Unmarshal(stdout.Bytes(), &bad); err != nil || bad.Status != "failed" || !strings.Contains(bad.Error, "none.toml") {
		t.Errorf("missing campaign: document %q (%v)", stdout.String(), err)
	}
}
