package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// TestInputStamps: an input whose stamp is the one the manifest recorded
// with its hash is not read to be hashed again; any write to it is.
func TestInputStamps(t *testing.T) {
	cfg := quickstartConfig(t)
	data := t.TempDir()
	c := *cfg.Campaign
	for name, field := range map[string]*string{"cardholders.csv": &c.Inputs.Cardholders, "transactions.csv": &c.Inputs.Transactions} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(quickstart), name))
		if err != nil {
			t.Fatal(err)
		}
		*field = filepath.Join(data, name)
		if err := os.WriteFile(*field, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Campaign = &c
	// A stamp stands for a file left alone since it was written.
	time.Sleep(rundir.StampSettle + 100*time.Millisecond)

	sumOf := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	record := func(dir, name string) rundir.InputRecord {
		t.Helper()
		m, err := rundir.ReadManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range m.Inputs {
			if in.Name == name {
				return in
			}
		}
		t.Fatalf("manifest records no input %s", name)
		return rundir.InputRecord{}
	}
	first := mustRun(t, cfg)
	tx := record(first.Dir, "transactions")
	if tx.Stamp == "" || tx.SHA256 != sumOf(c.Inputs.Transactions) {
		t.Fatalf("first run records stamp %q, sha256 %s; want a stamp and the file's hash", tx.Stamp, tx.SHA256)
	}

	// The recorded hash is taken, not the file's: the second run keeps
	// every stage and reads nothing. To see that the file was not hashed,
	// the record is given another hash under the same stamp.
	second := mustRun(t, cfg)
	if len(second.Ran) != 0 {
		t.Fatalf("second run ran %v; want every stage kept", second.Ran)
	}
	path := filepath.Join(first.Dir, rundir.ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("ab", 32)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, in := range m["inputs"].([]any) {
		if in := in.(map[string]any); in["name"] == "transactions" {
			in["sha256"] = other
		}
	}
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	third := mustRun(t, cfg)
	if !slices.Contains(third.Ran, "ingest") {
		t.Errorf("with another recorded hash, ran %v; want ingest run again (its key follows the hash)", third.Ran)
	}
	if got := record(third.Dir, "transactions").SHA256; got != other {
		t.Errorf("sha256 %s, want the recorded %s taken for the unchanged stamp", got, other)
	}

	// Any write moves the stamp: the file is hashed as it is.
	f, err := os.OpenFile(c.Inputs.Transactions, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fourth := mustRun(t, cfg)
	if got, want := record(fourth.Dir, "transactions"), sumOf(c.Inputs.Transactions); got.SHA256 != want || got.Stamp != "" {
		t.Errorf("after a write, sha256 %s and stamp %q; want %s and no stamp (the file was just written)", got.SHA256, got.Stamp, want)
	}
	if !slices.Contains(fourth.Ran, "ingest") {
		t.Errorf("after a write, ran %v; want ingest", fourth.Ran)
	}
}
