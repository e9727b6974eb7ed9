package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// RunFeatures returns the matrix that the cluster stage of the run in
// runDir clustered, value for value: one row of dim values per clustered
// cardholder, row-major, in the order of profiles.csv, and the names of
// the columns. It reads the settings the manifest records and the
// profiles (with their pre-aggregated features, if any) the run wrote, and
// builds the matrix as the stage does, with the run's taxonomy, weights
// and scaling, so that other tools can be compared with tailor's k-means
// on the very numbers a run clusters. It checks that the run finished its
// profile and cluster stages, that its profiles are those it clustered,
// and that the matrix has the rows and columns clusters.json records.
// RunFeatures only reads: it takes no lock and records nothing.
func RunFeatures(runDir string) (data []float64, dim int, names []string, err error) {
	dir := filepath.Clean(runDir)
	mpath := filepath.Join(dir, rundir.ManifestFile)
	m, err := rundir.ReadManifest(dir)
	if err != nil {
		return nil, 0, nil, err
	}
	s, err := ReadSettings(m)
	switch {
	case err != nil:
		return nil, 0, nil, fmt.Errorf("%s: %w", dir, err)
	case s == nil || s.Campaign == nil:
		return nil, 0, nil, fmt.Errorf("%s: the run does not record its settings (an older tailor made it): run the campaign once with tailor run", mpath)
	case s.Campaign.Hash() != m.ConfigHash:
		return nil, 0, nil, fmt.Errorf("%s: the recorded campaign settings do not match their hash: run the campaign with tailor run", mpath)
	}
	for _, name := range []string{"profile", "cluster"} {
		if rec := m.Stage(name); rec == nil || rec.Status != rundir.Done {
			return nil, 0, nil, fmt.Errorf("%s: the run has not finished its %s stage: finish it with tailor run", mpath, name)
		}
	}
	if !rundir.OutputsIntact(dir, m.Stage("profile").Outputs) {
		return nil, 0, nil, fmt.Errorf("%s: %s changed since the run clustered it: run the campaign with tailor run", dir, rundir.ProfilesFile)
	}
	r, err := newRun(Config{Campaign: s.Campaign, CampaignDir: s.CampaignDir, Month: m.Month,
		OutRoot: rundir.Root(dir), Outbox: s.Outbox, Wave: m.Wave})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%s: %w", mpath, err)
	}
	r.dir, r.manifest = dir, m
	l := r.load(context.Background(), &outcomes{})
	ps, features, cf := l.profiles(), l.features(), l.clusters()
	if l.err != nil {
		var pe *fs.PathError
		if errors.As(l.err, &pe) {
			return nil, 0, nil, l.err
		}
		return nil, 0, nil, fmt.Errorf("%s: %w", dir, l.err)
	}
	feats := r.clusterFeatures(ps, features)
	cpath := filepath.Join(dir, rundir.ClustersFile)
	if !slices.Equal(feats.Names, cf.Features) {
		return nil, 0, nil, fmt.Errorf("%s: the run clustered features %v, its settings give %v: run the campaign with tailor run", cpath, cf.Features, feats.Names)
	}
	if len(feats.Rows) != cf.Rows {
		return nil, 0, nil, fmt.Errorf("%s: the run clustered %d rows, its profiles give %d: run the campaign with tailor run", cpath, cf.Rows, len(feats.Rows))
	}
	return feats.Data, feats.Dim, feats.Names, nil
}

// clusterFeatures returns the matrix the cluster stage clusters: the
// interest shares and weighted behaviour columns of the profiles that have
// spending, or, when the campaign has pre-aggregated features (their
// names), those, standardised unless clustering.scale is "none".
func (r *run) clusterFeatures(ps []profile.Profile, features []string) profile.Features {
	cc := r.c.Clustering
	if features != nil {
		return profile.FeatureMatrix(ps, features, cc.Scale != "none")
	}
	return profile.BuildFeatures(r.tax, ps, cc.Weights.featureOptions())
}
