package pipeline

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/cluster"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
)

// TestRunFeatures checks that RunFeatures gives back the very matrix a run
// clustered: clustering it again with the run's settings gives the run's
// assignments, row for row, and its inertia, bit for bit.
func TestRunFeatures(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  func(t *testing.T) Config
		// first is the first feature's name.
		first string
	}{
		{"quickstart", quickstartConfig, "share_dining"},
		{"pre-aggregated features", preAggregatedConfig, "dining"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg(t)
			res := mustRun(t, cfg)
			data, dim, names, err := RunFeatures(res.Dir)
			if err != nil {
				t.Fatal(err)
			}
			var cf segment.File
			if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.ClustersFile), &cf); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, cf.Features) || dim != len(cf.Features) || names[0] != tt.first {
				t.Fatalf("names %v (dim %d), want %v", names, dim, cf.Features)
			}
			if len(data) != cf.Rows*dim {
				t.Fatalf("%d values, want %d rows of %d", len(data), cf.Rows, dim)
			}
			kc := cluster.Config{K: cf.K, Seed: cf.Seed, MaxIter: cfg.Campaign.withDefaults().Clustering.MaxIterations}
			km, err := cluster.KMeans(context.Background(), data, dim, kc)
			if err != nil {
				t.Fatal(err)
			}
			want := clusteredAssignments(t, filepath.Join(res.Dir, rundir.AssignmentsFile))
			if len(want) != cf.Rows {
				t.Fatalf("%s assigns %d rows, clusters.json says %d", rundir.AssignmentsFile, len(want), cf.Rows)
			}
			for i, c := range km.Assign {
				if int(c) != want[i] {
					t.Fatalf("row %d: cluster %d, the run assigned %d", i, c, want[i])
				}
			}
			if km.Inertia != cf.Inertia {
				t.Errorf("inertia %v, the run's %v", km.Inertia, cf.Inertia)
			}
		})
	}
}

// preAggregatedConfig is a campaign clustered on a warehouse's own
// features, standardised by the run: 120 cardholders in three loose
// groups.
func preAggregatedConfig(t *testing.T) Config {
	return preAggregatedCampaign(t, 120, 4, func(i int) string {
		d := float64(i%7) / 20
		return fmt.Sprintf("%g,%g,%d", []float64{0.1, 0.5, 0.8}[i%3]+d/3, 0.9-d, 3+i%5*(i%3)*4)
	})
}

// preAggregatedCampaign is a campaign of n cardholders clustered into k
// on a warehouse's own features (dining, share_fuel, visits; features(i)
// gives the i-th cardholder's, comma-separated), with no transactions.
func preAggregatedCampaign(t *testing.T, n, k int, features func(i int) string) Config {
	t.Helper()
	dir := t.TempDir()
	var holders, feats strings.Builder
	holders.WriteString("cardholder_id,first_name,email,marketing_consent\n")
	feats.WriteString("cardholder_id,dining,share_fuel,visits\n")
	for i := range n {
		id := fmt.Sprintf("C%03d", i)
		fmt.Fprintf(&holders, "%s,Ann,a%s@example.com,yes\n", id, id)
		fmt.Fprintf(&feats, "%s,%s\n", id, features(i))
	}
	for name, b := range map[string]string{"c.csv": holders.String(), "f.csv": feats.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ParseCampaign("p.toml", []byte(fmt.Sprintf(`name = "pre"
month = "2026-10"
[inputs]
cardholders = "c.csv"
profiles = "f.csv"
[clustering]
k = %d
[sender]
name = "M"
from = "m@example.com"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"
`, k)))
	if err != nil {
		t.Fatal(err)
	}
	return Config{Campaign: c, CampaignDir: dir, OutRoot: t.TempDir()}
}

// clusteredAssignments returns the cluster column of assignments.csv for
// the cardholders in a cluster, in the file's order.
func clusteredAssignments(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReader(f))
	if _, err := cr.Read(); err != nil {
		t.Fatal(err)
	}
	var out []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec[1] == "" {
			continue
		}
		c, err := strconv.Atoi(rec[1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
}

func TestRunFeaturesErrors(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	profiles := filepath.Join(res.Dir, rundir.ProfilesFile)
	b, err := os.ReadFile(profiles)
	if err != nil {
		t.Fatal(err)
	}
	empty, old := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(old, rundir.ManifestFile), []byte(`{"tool": "tailor", "month": "2026-10"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		dir  string
		edit func()
		want string
	}{
		{"no manifest", empty, func() {}, filepath.Join(empty, rundir.ManifestFile)},
		{"no settings", old, func() {}, filepath.Join(old, rundir.ManifestFile) + ": the run does not record its settings"},
		{"profiles changed", res.Dir, func() {
			if err := os.WriteFile(profiles, append(b, b[len(b)-200:]...), 0o600); err != nil {
				t.Fatal(err)
			}
		}, res.Dir + ": profiles.csv changed since the run clustered it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.edit()
			if _, _, _, err := RunFeatures(tt.dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RunFeatures: %v, want %s", err, tt.want)
			}
		})
	}
}
