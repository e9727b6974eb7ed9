package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/templates"
)

// TestRunErrorsKeepTheirCause checks that what stops a run reaches the
// caller whole: the template problems with their positions, the first
// rejected row with its own, the stage that failed, named once.
func TestRunErrorsKeepTheirCause(t *testing.T) {
	t.Run("a block that does not parse", func(t *testing.T) {
		cfg, dir := templateCampaign(t)
		editFile(t, filepath.Join(dir, "blocks/dining-table.md"), "## ", "## {{ .Recipient.FirstName ")
		_, err := Run(context.Background(), cfg)
		var es templates.Errors
		if !errors.As(err, &es) || len(es) == 0 || es[0].File != "blocks/dining-table.md" || es[0].Line == 0 {
			t.Fatalf("errors.As(%v, templates.Errors) = %v, %+v", err, errors.As(err, &es), es)
		}
		if !errors.Is(err, ErrConfig) {
			t.Errorf("a template set that does not load is not a bad configuration: %v", err)
		}
	})
	t.Run("a block that targets an unknown tier", func(t *testing.T) {
		cfg, dir := templateCampaign(t)
		editFile(t, filepath.Join(dir, "blocks/tier-gold.md"), `tiers = ["gold"]`, `tiers = ["gold", "silver"]`)
		_, err := Run(context.Background(), cfg)
		var es templates.Errors
		if !errors.As(err, &es) || len(es) != 1 || es[0].File != "blocks/tier-gold.md" || es[0].Line != 4 {
			t.Fatalf("errors.As(%v, templates.Errors): %+v", err, es)
		}
		var se *StageError
		if !errors.As(err, &se) || se.Stage != "variants" {
			t.Errorf("stage error %+v", se)
		}
	})
	t.Run("past the error budget", func(t *testing.T) {
		cfg := quickstartConfig(t)
		c := *cfg.Campaign
		c.Inputs.ErrorBudget = ptr(0.0)
		cfg.Campaign = &c
		_, err := Run(context.Background(), cfg)
		var re *ingest.RowError
		if !errors.As(err, &re) || re.File != "cardholders.csv" || re.Line == 0 {
			t.Fatalf("errors.As(%v, *ingest.RowError) = %+v", err, re)
		}
		if !errors.Is(err, ingest.ErrBudget) || !strings.HasPrefix(err.Error(), "ingest: cardholders.csv: ") || strings.Count(err.Error(), "ingest: ") != 2 {
			t.Errorf("error %q: want the budget errors of both inputs, each named once", err)
		}
	})
	t.Run("a stage names itself once", func(t *testing.T) {
		cfg := quickstartConfig(t)
		c := *cfg.Campaign
		c.Clustering.K = FixedK(5000)
		cfg.Campaign = &c
		_, err := Run(context.Background(), cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "cluster: clustering.k = 5000") || strings.Count(err.Error(), "cluster:") != 1 {
			t.Errorf("error %q", err)
		}
	})
	t.Run("a missing input", func(t *testing.T) {
		cfg := quickstartConfig(t)
		c := *cfg.Campaign
		c.Inputs.Transactions = "nope.csv"
		cfg.Campaign = &c
		_, err := Run(context.Background(), cfg)
		if !errors.Is(err, ErrConfig) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v: want a bad configuration wrapping the file's error", err)
		}
	})
}
