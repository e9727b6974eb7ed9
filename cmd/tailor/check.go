package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
)

type checkOptions struct {
	dir      string
	campaign string
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
and platinum.`,
		Example: `  tailor check
  tailor check my-templates
  tailor check --campaign examples/quickstart/campaign.toml`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.dir = args[0]
			}
			return checkTemplates(o, stdout)
		},
	}
	cmd.Flags().StringVar(&o.campaign, "campaign", "", "check against this campaign file's tiers and interests (and its templates.dir)")
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
