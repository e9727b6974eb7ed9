package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/fit"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

type checkOptions struct {
	dir      string
	campaign string
	fit      bool
}

func newCheckCmd(stdout io.Writer) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check [TEMPLATES_DIR]",
		Short: "Check a template set: front matter, template syntax and references",
		Long: `check loads a template set, the built-in one when no folder is given, and
reports every problem a run would meet, one line each as file:line: message,
sorted by file and line: front matter, block ids, template syntax, templates
and merge fields that do not exist (in every branch, not only those the
sample recipient reaches), what blocks target, variants that would get no
content or no subject, and what only compiling each block inside the
layouts shows. It exits 1 when there is any problem.

With --campaign, blocks are checked against the campaign's tiers and
interests, and the campaign's templates.dir is checked when no folder is
given; without it, against the default taxonomy and the tiers green, gold
and platinum.

With --fit (and --campaign), check then runs the campaign month in a
scratch folder, without an outbox, and prints its fit audit: how many
messages say something untrue for their reader (a block for another tier
or relationship type, spending they do not have, a subject about an
interest they do not spend on), by rule, with examples. It exits 1 when
the share is over the campaign's [fit] budget.`,
		Example: `  tailor check
  tailor check my-templates
  tailor check --campaign examples/quickstart/campaign.toml
  tailor check --campaign examples/quickstart/campaign.toml --fit`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.dir = args[0]
			}
			if o.fit && o.campaign == "" {
				return usageError{fmt.Errorf("--fit needs --campaign")}
			}
			if err := checkTemplates(o, stdout); err != nil || !o.fit {
				return err
			}
			return checkFit(cmd.Context(), o, stdout)
		},
	}
	cmd.Flags().StringVar(&o.campaign, "campaign", "", "check against this campaign file's tiers and interests (and its templates.dir)")
	cmd.Flags().BoolVar(&o.fit, "fit", false, "then run the campaign month in a scratch folder and print its fit audit")
	return cmd
}

func checkTemplates(o checkOptions, stdout io.Writer) error {
	cfg := pipeline.CheckConfig{Dir: o.dir}
	if o.campaign != "" {
		c, err := pipeline.LoadCampaign(o.campaign)
		if err != nil {
			return err
		}
		cfg.Campaign, cfg.CampaignDir = c, filepath.Dir(o.campaign)
	}
	res, err := pipeline.CheckTemplates(cfg)
	if err != nil {
		return err
	}
	name := res.Dir
	if name == "" {
		name = "the built-in template set"
	}
	if n := len(res.Problems); n > 0 {
		files := map[string]bool{}
		for _, p := range res.Problems {
			fmt.Fprintln(stdout, p)
			files[p.File] = true
		}
		return fmt.Errorf("%s: %d %s in %d %s", name, n, plural(n, "problem", "problems"), len(files), plural(len(files), "file", "files"))
	}
	_, err = fmt.Fprintf(stdout, "%s: no problems (%d content %s, %d %s)\n", name,
		len(res.Set.Blocks), plural(len(res.Set.Blocks), "block", "blocks"), len(res.Set.Partials), plural(len(res.Set.Partials), "partial", "partials"))
	return err
}

// maxArgs is cobra.MaximumNArgs with errors marked as usage errors.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// checkFit runs the campaign month in a scratch folder, without an outbox,
// and prints its fit audit.
func checkFit(ctx context.Context, o checkOptions, stdout io.Writer) error {
	c, err := pipeline.LoadCampaign(o.campaign)
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "tailor-check-fit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	res, runErr := pipeline.Run(ctx, pipeline.Config{Campaign: c, CampaignDir: filepath.Dir(o.campaign), CampaignFile: o.campaign, OutRoot: scratch,
		Outbox: pipeline.OutboxNone, Version: Version})
	if res == nil {
		return runErr
	}
	var rep pipeline.FitReport
	if err := readJSONFile(filepath.Join(res.Dir, rundir.FitFile), &rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fit: %d of %d messages true for their reader (%.1f%%; budget: %.1f%% untrue)\n",
		rep.Checked-rep.Misfit, rep.Checked, 100*float64(rep.Checked-rep.Misfit)/float64(max(rep.Checked, 1)), 100*rep.Budget)
	for _, rule := range fit.Rules() {
		if n := rep.Rules[rule]; n > 0 {
			fmt.Fprintf(stdout, "  %-13s %d\n", rule, n)
		}
	}
	for i, e := range rep.Examples {
		if i == 10 {
			fmt.Fprintf(stdout, "  ... %d more examples\n", len(rep.Examples)-10)
			break
		}
		fmt.Fprintf(stdout, "  %s %s %s: %s\n", e.Variant, e.Cardholder, e.Rule, e.Detail)
	}
	return runErr
}

// readJSONFile reads a JSON file into v.
func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
