package pipeline_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden hashes in testdata")

// TestQuickstartRunDirectory runs the bundled example and compares every
// file of its run directory with the hashes committed in testdata: what a
// run writes changes only with a change that means it to (then run the
// test with -update and review the diff). The manifest is compared
// without what differs from one run or machine to the next: timings, the
// tailor version and the campaign's absolute directory.
func TestQuickstartRunDirectory(t *testing.T) {
	for _, outbox := range []string{pipeline.OutboxSamples, pipeline.OutboxAll} {
		t.Run(outbox, func(t *testing.T) {
			c, err := pipeline.LoadCampaign("../examples/quickstart/campaign.toml")
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
			res, err := pipeline.Run(context.Background(), pipeline.Config{
				Campaign: c, CampaignDir: "../examples/quickstart", OutRoot: t.TempDir(), Outbox: outbox,
				Version: "golden", Now: func() time.Time { return now },
				Getenv: func(k string) string {
					if k == pipeline.DefaultSecretEnv {
						return "golden-secret"
					}
					return ""
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			got := runDirHashes(t, res.Dir)
			golden := filepath.Join("testdata", "quickstart-"+outbox+".sha256")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("the run directory differs from %s:\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

// runDirHashes lists every file of a run directory with its SHA-256, in
// the form of sha256sum, sorted by path.
func runDirHashes(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "manifest.json" {
			b = stableManifest(t, b)
		}
		sum := sha256.Sum256(b)
		lines = append(lines, hex.EncodeToString(sum[:])+"  "+rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	return strings.Join(lines, "\n") + "\n"
}

// stableManifest returns the manifest without timings, version and the
// campaign's absolute directory, in a canonical form.
func stableManifest(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	var strip func(v any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"finished_at", "started_at", "duration_ms", "cpu_ms", "peak_rss_bytes", "files_ms", "version", "campaign_dir", "stamp"} {
				delete(x, k)
			}
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		sc := bufio.NewScanner(strings.NewReader(s))
		for sc.Scan() {
			m[sc.Text()] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(want), "\n") {
		if !g[l] {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if !w[l] {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}
