package pipeline

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLayout holds the packages to the dependency rules of the README's
// Layout section: data flows one way, cmd -> pipeline -> stages ->
// variants/templates; a stage imports only stages upstream of it, never
// pipeline and never rundir (the orchestrator gives it paths and writers);
// rundir, cluster, csvout and variants import no project package.
func TestLayout(t *testing.T) {
	const module = "github.com/tailor-mail/tailor/"
	// The stages in the order data flows through them.
	stages := []string{"pipeline/ingest", "pipeline/profile", "pipeline/cluster", "pipeline/segment",
		"pipeline/render", "pipeline/report", "pipeline/send"}
	shared := []string{"variants", "templates", "pipeline/internal/workers", "pipeline/csvout"}
	allowed := map[string][]string{
		"variants":                         nil,
		"templates":                        {"variants"},
		"pipeline/rundir":                  nil,
		"pipeline/cluster":                 nil,
		"pipeline/csvout":                  nil,
		"pipeline/internal/workers":        nil,
		"pipeline/render/inline":           nil,
		"pipeline/profile/internal/mccgen": nil,
	}
	for i, s := range stages {
		if _, fixed := allowed[s]; fixed {
			continue
		}
		allowed[s] = append(slices.Clone(stages[:i]), shared...)
	}
	allowed["pipeline/render"] = append(allowed["pipeline/render"], "pipeline/render/inline")
	// Beside the stages: the send ledger implements send's interface;
	// the suppression list stands alone; the unsubscribe endpoint
	// verifies render's links and appends to the list.
	allowed["pipeline/ledger"] = []string{"pipeline/send"}
	allowed["pipeline/suppress"] = nil
	// The fit audit reads messages as render writes them (their block
	// rows) and knows the plan's blocks.
	allowed["pipeline/fit"] = []string{"variants", "pipeline/render"}
	allowed["pipeline/unsubscribe"] = []string{"pipeline/render", "pipeline/suppress"}
	allowed["pipeline/send/smtptest"] = nil
	allowed["pipeline/send/mailpittest"] = nil
	for pkg, ok := range allowed {
		p, err := build.Default.ImportDir(filepath.Join("..", filepath.FromSlash(pkg)), 0)
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		for _, imp := range p.Imports {
			rel, ours := strings.CutPrefix(imp, module)
			if ours && !slices.Contains(ok, rel) {
				t.Errorf("%s imports %s; it may import only %v", pkg, rel, ok)
			}
		}
	}
}
