// Package rundir owns the run directory, <out>/<campaign>/<YYYY-MM>: the
// names of its files, the manifest that records how each was made, atomic
// writes of files and whole directories, the cleanup of what an
// interrupted run left, the lock that keeps two writers apart, and the run
// history of an output root. It imports no stage: stages get paths and
// writers from the orchestrator.
//
// A run directory holds names, addresses and spending profiles, so it is
// private: directories are made 0700 and files 0600, whatever the umask.
// README.md in this directory describes every file.
package rundir

import (
	"path/filepath"
)

// The files and directories of a run directory, relative to it.
const (
	// ManifestFile records the run's settings, inputs and stages.
	ManifestFile = "manifest.json"
	// RejectsDir holds rejects/<input>.csv, the rejected rows.
	RejectsDir = "rejects"
	// ProfilesFile holds one profile per cardholder.
	ProfilesFile = "profiles.csv"
	// FeaturesFile holds the pre-aggregated features clustered on, when
	// the campaign has them.
	FeaturesFile = "features.csv"
	// ClustersFile describes the clusters.
	ClustersFile = "clusters.json"
	// AssignmentsFile gives every cardholder's cluster and variant.
	AssignmentsFile = "assignments.csv"
	// PlanFile is the variants' plan.
	PlanFile = "variants.json"
	// VariantsDir holds variants/<id>/ with each variant rendered.
	VariantsDir = "variants"
	// FitFile is the fit audit's findings.
	FitFile = "fit.json"
	// ReportFile is the marketers' workbook.
	ReportFile = "report.xlsx"
	// OutboxDir holds the messages as .eml files.
	OutboxDir = "outbox"
)

// The files of a variant's directory, variants/<id>/.
const (
	// VariantHTML and VariantText are the variant's HTML and text parts
	// as the previews' reader reads them.
	VariantHTML = "index.html"
	VariantText = "index.txt"
	// VariantMeta holds the variant's facts.
	VariantMeta = "meta.json"
	// VariantSample is the sample message.
	VariantSample = "sample.eml"
	// ReadersFile holds the variant as other recipients of it read it
	// (the preview's "view as"): a JSON array whose element i-1 is
	// reader i's {"html": ..., "text": ...}; reader 0 reads VariantHTML
	// and VariantText. One file, not two per reader: creating files is
	// what a render of thousands of variants spends most on.
	ReadersFile = "readers.json"
)

// Path returns the run directory of a campaign month under an output root.
func Path(root, campaign, month string) string {
	return filepath.Join(root, campaign, month)
}

// Root returns the output root of a run directory.
func Root(dir string) string { return filepath.Dir(filepath.Dir(filepath.Clean(dir))) }

// Sibling returns the run directory of another month of the same campaign.
func Sibling(dir, month string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(dir)), month)
}
