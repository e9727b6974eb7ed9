package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
)

type runsOptions struct {
	path string
	out  string
	json bool
}

func newRunsCmd(stdout io.Writer) *cobra.Command {
	var o runsOptions
	cmd := &cobra.Command{
		Use:   "runs [CAMPAIGN.toml | OUT_DIR]",
		Short: "List past runs, renders and sends from the run history",
		Long: `runs lists the invocations of tailor run, render and send that the run
history of an output root (<out>/history.jsonl) records, newest first, with
those running now: command, campaign, month, outcome, start, duration, and
for the latest of each run directory its figures (cardholders, variants,
messages, messages sent and failed) and its report.

Given a campaign file, runs lists that campaign's runs in its output root
(the campaign's output, or --out); given a directory, every campaign's runs
in that output root (default: ./out).

--json prints the list as a JSON document, described in pipeline/STATUS.md.`,
		Example: `  tailor runs
  tailor runs examples/quickstart/campaign.toml
  tailor runs /srv/tailor --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.path = "out"
			if len(args) == 1 {
				o.path = args[0]
			}
			return listRuns(o, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "with a campaign file: its output root (default: the campaign's output, else ./out)")
	f.BoolVar(&o.json, "json", false, "print the runs as a JSON document (see pipeline/STATUS.md)")
	return cmd
}

func listRuns(o runsOptions, w io.Writer) error {
	list, err := pipeline.Runs(pipeline.RunsConfig{Path: o.path, OutRoot: o.out})
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	printRuns(w, list)
	return nil
}

// printRuns prints one line per invocation, aligned.
func printRuns(w io.Writer, list *pipeline.RunList) {
	of := ""
	if list.Campaign != "" {
		of = " of " + list.Campaign
	}
	if len(list.Runs) == 0 {
		fmt.Fprintf(w, "tailor: no runs%s in %s\n", of, list.Root)
		return
	}
	fmt.Fprintf(w, "tailor: %d %s%s in %s, newest first\n", len(list.Runs), plural(len(list.Runs), "run", "runs"), of, list.Root)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  started (UTC)\tcommand\tcampaign\tmonth\toutcome\ttook\tdetails")
	for _, r := range list.Runs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Start.UTC().Format(time.DateTime), r.Command, r.Campaign,
			filepath.Base(r.Dir), r.Outcome,
			(time.Duration(r.DurationMS) * time.Millisecond).String(), runDetails(r))
	}
	tw.Flush()
}

// runDetails says in a few words what an invocation left: its error, or
// its figures and report.
func runDetails(r pipeline.RunSummary) string {
	if r.Error != "" {
		return r.Error
	}
	var parts []string
	for _, c := range []struct{ key, one, many string }{
		{"cardholders", "cardholder", "cardholders"}, {"variants", "variant", "variants"}, {"messages", "message", "messages"},
	} {
		if n, ok := r.Counts[c.key]; ok {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, c.one, c.many)))
		}
	}
	if len(r.Send) > 0 {
		var sent []string
		for _, st := range []string{"sent", "deferred", "failed", "uncertain", "sending", "pending"} {
			if n := r.Send[st]; n > 0 {
				sent = append(sent, fmt.Sprintf("%d %s", n, st))
			}
		}
		parts = append(parts, "send: "+orNone(sent))
	}
	if r.Report != "" {
		parts = append(parts, "report "+r.Report)
	}
	if r.Outcome == pipeline.OutcomeRunning && r.PID != 0 {
		parts = append(parts, fmt.Sprintf("pid %d on %s", r.PID, r.Host))
	}
	return strings.Join(parts, "; ")
}
