package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/templates"
)

// CheckConfig says which template set CheckTemplates checks, and against
// what. The zero value checks the built-in set.
type CheckConfig struct {
	// Dir is the template set folder; "" is the campaign's set, or the
	// built-in one when there is no campaign or it has no templates.dir.
	Dir string
	// Campaign, when set, says what blocks may target: its tiers and its
	// interests (with inputs.mcc_map and inputs.categories). Without it,
	// blocks may target the default taxonomy's interests, the tiers of
	// DefaultTiers and every relationship type. CampaignDir is the
	// directory its relative paths start from.
	Campaign    *Campaign
	CampaignDir string
}

// CheckResult is what CheckTemplates found.
type CheckResult struct {
	// Dir is the folder checked, "" for the built-in set.
	Dir string
	// Set is the template set, nil when its files did not load.
	Set *templates.Set
	// Problems lists every problem, sorted by file and line; file names
	// start with Dir, so that an editor can open them.
	Problems templates.Errors
}

// CheckTemplates checks a template set with render.Check, against what
// the campaign's blocks may target. Problems in the set are in the result;
// the error is for what stopped the check: a bad campaign, a folder that
// does not exist.
func CheckTemplates(cfg CheckConfig) (*CheckResult, error) {
	voc, err := DefaultVocabulary()
	if err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if cfg.Campaign != nil {
		// The campaign's own templates are not loaded: a set with
		// problems is reported by the check, with every position, not
		// as a bad configuration.
		r, err := newRun(Config{Campaign: cfg.Campaign, CampaignDir: cfg.CampaignDir})
		if err != nil {
			return nil, err
		}
		if dir == "" && r.c.Templates.Dir != "" {
			dir = r.campaignPath(r.c.Templates.Dir)
		}
		voc = r.vocabulary()
	}
	return checkSet(dir, render.CheckOptions{Vocabulary: voc})
}

// checkSet checks the template set in dir, the built-in one when dir is "".
func checkSet(dir string, opts render.CheckOptions) (*CheckResult, error) {
	fsys := templates.DefaultFS()
	if dir != "" {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: templates: %w", ErrConfig, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%w: templates: %s is not a folder", ErrConfig, dir)
		}
		fsys = os.DirFS(dir)
	}
	set, err := render.Check(fsys, opts)
	res := &CheckResult{Dir: dir, Set: set}
	if err != nil {
		if !errors.As(err, &res.Problems) {
			return nil, err
		}
		for i, e := range res.Problems {
			p := *e
			if dir != "" {
				p.File = filepath.Join(dir, filepath.FromSlash(p.File))
			}
			res.Problems[i] = &p
		}
	}
	return res, nil
}
