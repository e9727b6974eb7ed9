package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/tailor-mail/tailor/pipeline/cluster"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
)

// clustered is the cluster stage's outcome.
type clustered struct {
	Clusters   int `count:"clusters"`
	Clustered  int `count:"clustered"`
	Iterations int `count:"iterations"`
	// Continuity is set when last month was run.
	Continuity *continuity

	file     *segment.File
	assigned assignment
	// write writes clusters.json and assignments.csv beside the variants
	// stage (trailingOutcome); nil read back from the manifest.
	write func() error
}

func (c clustered) trail() func() error { return c.write }

// assignment is the variant of each profile, by its index in the
// profiles: "" for a cardholder in no cluster. It is what
// assignments.csv says, a few bytes a cardholder instead of a map by id.
type assignment []string

// continuity is how this month's clusters follow last month's.
type continuity struct {
	Matched int `count:"clusters_matched"`
	Born    int `count:"clusters_born"`
	Retired int `count:"clusters_retired"`
	Changed int `count:"cardholders_changed_variant"`
}

func (clustered) outputs() []string { return []string{rundir.ClustersFile, rundir.AssignmentsFile} }

// cluster clusters the profiles that have spending (or pre-aggregated
// features) and writes clusters.json and assignments.csv. It starts from
// last month's centroids when last month clustered the same features, and
// gives the clusters last month's variant ids.
func (r *run) cluster(ctx context.Context, ps []profile.Profile, features []string) (clustered, error) {
	var out clustered
	cc := r.c.Clustering
	feats := r.clusterFeatures(ps, features)
	if len(feats.Rows) == 0 {
		return out, fmt.Errorf("no cardholder has spending in the window ending %s, nor pre-aggregated features", r.monthName())
	}
	k, fixed := cc.K.Fixed()
	if !fixed {
		k = max(1, min(cc.MaxK, len(feats.Rows)/cc.MinAudience))
	}
	if k > len(feats.Rows) {
		return out, fmt.Errorf("clustering.k = %d but only %d cardholders have spending in the window: lower k", k, len(feats.Rows))
	}
	prevDir, prev := r.previousClusters(feats.Names)
	cfg := cluster.Config{K: k, Seed: r.seed(), MaxIter: cc.MaxIterations}
	if prev != nil && len(prev.Clusters) == k {
		for _, c := range prev.Clusters {
			cfg.Start = append(cfg.Start, c.Centroid...)
		}
	}
	if cc.K.Auto() {
		// Clusters below the minimum audience merge into their nearest
		// neighbour, and k-means goes on from the merged clusters: a
		// variant too small to be worth a designer's time serves its
		// cardholders worse than a close one.
		cfg.MinSize = cc.MinAudience
	}
	m := r.meter("cluster", "iterations", int64(cfg.MaxIter))
	defer m.close()
	m.SetDetail(fmt.Sprintf("%d rows, k = %d: choosing the first centroids", len(feats.Rows), k))
	cfg.Progress = func(it cluster.Iteration) {
		m.Set(int64(it.N), int64(it.Max))
		m.SetDetail(fmt.Sprintf("%d rows moved, %.0f%% of distances skipped", it.Changed, 100*it.Skipped))
	}
	res, err := cluster.KMeans(ctx, feats.Data, feats.Dim, cfg)
	if err != nil {
		return out, err
	}
	sc := segment.Clustering{Profiles: ps, Rows: feats.Rows, Dim: feats.Dim, Assign: res.Assign,
		Centroids: res.Centroids, Sizes: res.Sizes, K: res.K}
	cf := &segment.File{K: res.K, Seed: r.seed(), Features: feats.Names, Rows: len(feats.Rows),
		Iterations: res.Iterations, Converged: res.Converged, Inertia: res.Inertia, Merged: res.Merged,
		WarmStart: cfg.Start != nil}
	cf.Population, cf.Clusters = segment.Describe(r.tax, sc)
	// Variants keep their ids from one month to the next.
	if id := segment.MatchPrevious(cf.Clusters, prev, feats.Names); id != nil {
		id.PreviousMonth = filepath.Base(prevDir)
		if before, err := readAssignments(filepath.Join(prevDir, rundir.AssignmentsFile)); err == nil {
			id.Changed, id.Flows = segment.Flows(sc, cf.Clusters, before)
		}
		cf.Identity = id
		out.Continuity = &continuity{Matched: id.Matched, Born: len(id.Born), Retired: len(id.Retired), Changed: id.Changed}
	}
	variantOf := make([]string, sc.K)
	for c := range cf.Clusters {
		variantOf[c] = cf.Clusters[c].Variant
	}
	// The files are written while the variants stage plans, which only
	// reads the clustering. The writing holds what it writes, not the
	// feature matrix.
	rows, assign := feats.Rows, res.Assign
	out.write = func() error {
		if err := rundir.WriteJSON(r.file(rundir.ClustersFile), cf); err != nil {
			return err
		}
		return rundir.WriteFile(r.file(rundir.AssignmentsFile), func(w io.Writer) error {
			return segment.WriteAssignments(w, ps, rows, assign, variantOf)
		})
	}
	out.assigned = make(assignment, len(ps))
	for row, c := range res.Assign {
		out.assigned[feats.Rows[row]] = variantOf[c]
	}
	out.file, out.Clusters, out.Clustered, out.Iterations = cf, sc.K, len(feats.Rows), res.Iterations
	return out, nil
}

// previousClusters returns last month's run directory and clustering, the
// clustering nil when there is none on the same features.
func (r *run) previousClusters(features []string) (string, *segment.File) {
	dir, ok := r.previousMonth()
	if !ok {
		return dir, nil
	}
	var pf segment.File
	if err := rundir.ReadJSON(filepath.Join(dir, rundir.ClustersFile), &pf); err != nil || !slices.Equal(pf.Features, features) {
		return dir, nil
	}
	return dir, &pf
}

// readAssignments reads an assignments.csv: the variant of every
// cardholder that has one.
func readAssignments(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return segment.ReadAssignments(bufio.NewReader(f), path)
}
