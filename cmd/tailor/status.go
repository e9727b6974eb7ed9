package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
)

type statusOptions struct {
	runDir string
	json   bool
}

func newStatusCmd(stdout io.Writer) *cobra.Command {
	var o statusOptions
	cmd := &cobra.Command{
		Use:   "status RUN_DIR",
		Short: "Show where a run stands: its stages, its last command, its send's progress",
		Long: `status shows a run directory, <out>/<campaign>/<YYYY-MM>: each stage in
pipeline order (ran or kept by the last run or render, failed with its
error, done earlier, not run), the last command on it and how it ended,
whether a command is at work on it now (holds its lock: which, pid, since
when), and once a send has started its ledger's progress: messages sent,
deferred, failed, uncertain, suppressed and still to send, the rate, and
the time left while the send runs.

status changes nothing and takes no lock: it may look at a run that tailor
run or tailor send is working on. --json prints a JSON document, described
in pipeline/STATUS.md.`,
		Example: `  tailor status out/quickstart/2026-10
  tailor status out/quickstart/2026-10 --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.runDir = args[0]
			return showStatus(cmd.Context(), o, stdout)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the status as a JSON document (see pipeline/STATUS.md)")
	return cmd
}

func showStatus(ctx context.Context, o statusOptions, w io.Writer) error {
	st, err := pipeline.Status(ctx, pipeline.StatusConfig{RunDir: o.runDir})
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printStatus(w, st, time.Now())
	return nil
}

// printStatus prints a run's status, aligned like tailor run's summary.
func printStatus(w io.Writer, st *pipeline.RunStatus, now time.Time) {
	fmt.Fprintf(w, "tailor: %s %s: %s\n", st.Campaign, st.Month, st.Dir)
	if l := st.Last; l != nil {
		cmd := l.Command
		if cmd == "" {
			cmd = "run or render"
		}
		line := fmt.Sprintf("%s %s, started %s", cmd, l.Outcome, utc(l.Start))
		if !l.End.IsZero() {
			line += ", took " + l.End.Sub(l.Start).Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "  %-13s %s\n", "last", line)
		if l.Error != "" {
			fmt.Fprintf(w, "  %-13s %s\n", "", l.Error)
		}
	}
	if r := st.Running; r != nil {
		who := fmt.Sprintf("pid %d", r.PID)
		if r.Host != "" {
			who += " on " + r.Host
		}
		if !r.Since.IsZero() {
			who += ", since " + utc(r.Since) + fmt.Sprintf(" (%s ago)", now.Sub(r.Since).Round(time.Second))
		}
		fmt.Fprintf(w, "  %-13s %q (%s)\n", "running", r.Command, who)
	}
	for _, s := range st.Stages {
		state := s.State
		if state == pipeline.StageEarlier {
			state = "done earlier"
		}
		line := fmt.Sprintf("%-13s", state)
		if s.DurationMS > 0 || s.State == pipeline.StageRan {
			line += fmt.Sprintf(" %8s", (time.Duration(s.DurationMS) * time.Millisecond).String())
			if s.DurationMS > 0 && s.PeakRSS > 0 {
				line += fmt.Sprintf("  %.1f cores, peak %s", float64(s.CPUMS)/float64(s.DurationMS), memory(s.PeakRSS))
			}
		}
		if s.Error != "" {
			line += "  " + s.Error
		}
		fmt.Fprintf(w, "  %-13s %s\n", s.Name, strings.TrimRight(line, " "))
	}
	if s := st.Send; s != nil {
		t := s.Totals
		fmt.Fprintf(w, "  %-13s %7d messages: %d sent, %d deferred, %d failed, %d uncertain, %d suppressed, %d skipped; %d to send\n",
			"send", s.Total, t["sent"], t["deferred"], t["failed"], t["uncertain"], t["suppressed"], t["skipped"], s.Remaining)
		if s.RatePerMinute > 0 {
			line := fmt.Sprintf("%.1f a minute over the last %s sent", s.RatePerMinute, time.Duration(s.RateWindowS)*time.Second)
			if st.Running == nil {
				line += fmt.Sprintf(" (%s to %s)", utc(s.FirstSent), utc(s.LastSent))
			}
			fmt.Fprintf(w, "  %-13s %s\n", "rate", line)
		}
		if !s.ETA.IsZero() {
			fmt.Fprintf(w, "  %-13s %s (in %s)\n", "eta", utc(s.ETA), time.Duration(s.ETASeconds)*time.Second)
		}
	}
}

// utc formats t for a person: UTC, to the second.
func utc(t time.Time) string { return t.UTC().Format(time.DateTime) + " UTC" }
