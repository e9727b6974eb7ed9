package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/fit"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

type checkOptions struct {
	dir      string
	campaign string
	fit      bool
	// preflight is a campaign file given as the argument: the
	// campaign's preflight, with month, out and json.
	preflight string
	month     string
	out       string
	json      bool
}

func newCheckCmd(stdout io.Writer) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check [TEMPLATES_DIR | CAMPAIGN.toml]",
		Short: "Check a template set, or everything a campaign's run and send need (preflight)",
		Long: `With a campaign file, check is the campaign's preflight: it checks
everything the run and the send need before either starts, and reports
every problem at once, as file:line: check: message, errors then warnings,
then a summary. The checks: the campaign parses; each input exists, its
header has the columns the campaign maps, and how many of a sample of its
rows (1000 or so; the transactions whole) would be rejected; the month has
data; the templates compile; the output root is writable; the suppression
list parses; and when the campaign has [[smtp]] relays, the secrets a send
needs are set and each relay answers: connect, EHLO, STARTTLS, AUTH, QUIT,
sending nothing. It writes nothing. It exits 1 when there is any error.
tailor run --dry-run runs the same preflight.

Without one, check loads a template set, the built-in one when no folder is given, and
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
  tailor check examples/quickstart/campaign.toml
  tailor check campaign.toml --month 2026-10 --json
  tailor check --campaign examples/quickstart/campaign.toml
  tailor check --campaign examples/quickstart/campaign.toml --fit`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if isCampaignFile(args[0]) {
					o.preflight = args[0]
				} else {
					o.dir = args[0]
				}
			}
			if o.preflight != "" {
				if o.campaign != "" {
					return usageError{fmt.Errorf("--campaign with a campaign file argument: give the campaign once")}
				}
				if err := checkCampaign(cmd.Context(), preflightOptions{campaign: o.preflight, month: o.month, out: o.out, json: o.json}, stdout); err != nil || !o.fit {
					return err
				}
				o.campaign = o.preflight
				return checkFit(cmd.Context(), o, stdout)
			}
			if o.json || o.month != "" || o.out != "" {
				return usageError{fmt.Errorf("--json, --month and --out are for a campaign's preflight: tailor check CAMPAIGN.toml")}
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
	cmd.Flags().StringVar(&o.month, "month", "", "with a campaign file: the month to check, YYYY-MM (default: the campaign's, else the last full month)")
	cmd.Flags().StringVar(&o.out, "out", "", "with a campaign file: the output root to check (default: the campaign's output, else ./out)")
	cmd.Flags().BoolVar(&o.json, "json", false, "with a campaign file: print the preflight as a JSON document (see cmd/tailor/JSON.md)")
	return cmd
}

// isCampaignFile reports whether check's argument names a campaign file,
// not a template folder: a regular file, or a name ending in .toml.
func isCampaignFile(arg string) bool {
	if strings.HasSuffix(arg, ".toml") {
		return true
	}
	fi, err := os.Stat(arg)
	return err == nil && fi.Mode().IsRegular()
}

// preflightOptions is what a campaign's preflight checks: by tailor check
// CAMPAIGN.toml and tailor run --dry-run.
type preflightOptions struct {
	campaign, month, out string
	json                 bool
}

// preflightDocument is what tailor check CAMPAIGN.toml --json prints
// (JSON.md).
type preflightDocument struct {
	// Status is "ok" (no error; warnings may remain) or "failed".
	Status string `json:"status"`
	*pipeline.PreflightResult
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// checkCampaign runs a campaign's preflight and prints every problem, or
// the JSON document; it fails when any problem is an error.
func checkCampaign(ctx context.Context, o preflightOptions, stdout io.Writer) error {
	res, err := pipeline.Preflight(ctx, pipeline.PreflightConfig{CampaignFile: o.campaign, Month: o.month, OutRoot: o.out})
	if err != nil {
		return err
	}
	errs := res.Errors()
	if o.json {
		doc := preflightDocument{Status: "ok", PreflightResult: res, Errors: errs, Warnings: len(res.Problems) - errs}
		if errs > 0 {
			doc.Status = "failed"
		}
		if err := writeJSON(stdout, doc); err != nil {
			return err
		}
	} else {
		for _, p := range res.Problems {
			fmt.Fprintln(stdout, p)
		}
		what := res.Campaign
		if res.Month != "" {
			what += " " + res.Month
		}
		if what == "" {
			what = o.campaign
		}
		n := len(res.Problems)
		fmt.Fprintf(stdout, "preflight %s: %d %s, %d %s", what, res.Ran(), plural(res.Ran(), "check", "checks"), n, plural(n, "problem", "problems"))
		if n > 0 {
			fmt.Fprintf(stdout, " (%d %s, %d %s)", errs, plural(errs, "error", "errors"), n-errs, plural(n-errs, "warning", "warnings"))
		}
		fmt.Fprintln(stdout)
	}
	if errs > 0 {
		return fmt.Errorf("preflight: %d %s", errs, plural(errs, "error", "errors"))
	}
	return nil
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
