package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
)

type renderOptions struct {
	// g holds the flags every command takes.
	g         *globalOptions
	runDir    string
	templates string
	quiet     bool
	line      string
}

func newRenderCmd(stdout, stderr io.Writer, g *globalOptions) *cobra.Command {
	o := renderOptions{g: g}
	cmd := &cobra.Command{
		Use:   "render RUN_DIR",
		Short: "Render a run's variants again after a template edit",
		Long: `render renders the variants of a run directory, <out>/<campaign>/<YYYY-MM>,
again with the campaign's templates as they are now on disk, or with
--templates: variants/<id>/ gets new index.html, index.txt, meta.json and
sample.eml.
It does not read the inputs or cluster again. When the blocks' front matter
changed, the variants are planned again first (variants.json).

The templates are checked first, as tailor check does: any problem is
reported as file:line: message, nothing is written and render exits 1.
Outputs are replaced atomically, and the run's manifest records the new
render: a later tailor run with the same templates keeps it and redoes the
fit audit, the report and the outbox, which follow it.`,
		Example: `  tailor render out/quickstart/2026-10
  tailor render out/quickstart/2026-10 --templates my-templates`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.runDir, o.line = args[0], commandLine(cmd, args)
			return renderRun(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.templates, "templates", "", "template set folder to render with (default: the campaign's templates.dir, else the built-in set)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary")
	return cmd
}

func renderRun(ctx context.Context, o renderOptions, stdout, stderr io.Writer) error {
	start := time.Now()
	res, err := pipeline.Render(ctx, pipeline.RenderConfig{RunDir: o.runDir, Templates: o.templates, Version: Version, Command: o.line,
		Events: func(e pipeline.Event) {
			o.g.stageHeap(e, stderr)
			kept := "the templates are unchanged"
			if e.Stage == "variants" {
				kept = "the blocks' front matter is unchanged, and what the templates read of a cluster"
			}
			logEvent(o.g.logger(stderr, false), e, o.quiet, kept)
		}})
	if err != nil {
		return err
	}
	set := res.Templates
	if set == "" {
		set = "the built-in templates"
	}
	if len(res.Ran) == 0 {
		_, err := fmt.Fprintf(stdout, "tailor: %s %s: the variants are up to date with %s; nothing to render\n", res.Campaign, res.Month, set)
		return err
	}
	// Clusters whose plans are the same share a newsletter: it renders once.
	of := fmt.Sprintf("%d %s", res.Variants, plural(res.Variants, "variant", "variants"))
	one, many := "variant", "variants"
	if res.Newsletters != res.Variants {
		of = fmt.Sprintf("%d %s for %s", res.Newsletters, plural(res.Newsletters, "newsletter", "newsletters"), of)
		one, many = "newsletter", "newsletters"
	}
	fmt.Fprintf(stdout, "tailor: %s %s: rendered %d of %s with %s in %s: %s\n", res.Campaign, res.Month, res.Rendered,
		of, set, time.Since(start).Round(time.Millisecond), filepath.Join(res.Dir, "variants"))
	if kept := res.Newsletters - res.Rendered; kept > 0 {
		fmt.Fprintf(stdout, "  kept %d %s as they were: %s no file that changed\n", kept, plural(kept, one, many), plural(kept, "it reads", "they read"))
	}
	if slices.Contains(res.Ran, "variants") {
		fmt.Fprintf(stdout, "  planned again: the blocks' front matter changed, or what the templates read of a cluster (%s)\n", filepath.Join(res.Dir, "variants.json"))
	}
	if len(res.Stale) > 0 {
		fmt.Fprintf(stdout, "  out of date: %s; the next tailor run of the campaign brings them up to date\n", strings.Join(res.Stale, ", "))
	}
	return nil
}
