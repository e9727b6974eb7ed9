package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

type runOptions struct {
	// g holds the flags every command takes.
	g        *globalOptions
	campaign string
	month    string
	out      string
	outbox   string
	quiet    bool
	json     bool
	memory   string
	// send sends the run's messages once it is done.
	send bool
	// dryRun runs the campaign's preflight (tailor check) instead.
	dryRun bool
	// wave names a resend of a month whose send has started.
	wave string
	// line is the command line, which the run's lock shows to a second
	// writer.
	line string
}

func newRunCmd(stdout, stderr io.Writer, g *globalOptions) *cobra.Command {
	o := runOptions{g: g}
	cmd := &cobra.Command{
		Use:   "run CAMPAIGN.toml",
		Short: "Run a campaign month: ingest, profile, cluster, variants, render, fit, report, outbox",
		Long: `run takes a campaign month end to end and writes everything into
<out>/<campaign>/<YYYY-MM>/: manifest.json, profiles.csv, clusters.json,
assignments.csv, variants/, report.xlsx, outbox/ and rejects/.

A second run of the same campaign and month keeps every stage whose inputs
and settings have not changed; after a template edit only render and the
stages after it run again. A run stopped with Ctrl-C resumes where it
stopped.`,
		Example: `  tailor run examples/quickstart/campaign.toml
  tailor run campaign.toml --month 2026-10 --out /srv/tailor
  tailor run campaign.toml --outbox all`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.campaign, o.line = args[0], commandLine(cmd, args)
			return runCampaign(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.month, "month", "", "run month, YYYY-MM (default: the campaign's month, else the last full month)")
	f.StringVar(&o.out, "out", "", "output root (default: the campaign's output, else ./out)")
	f.StringVar(&o.outbox, "outbox", "", "messages to write: samples, all or none (default: the campaign's mail.outbox)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary")
	f.BoolVar(&o.json, "json", false, "print the summary as a JSON document on stdout (see cmd/tailor/JSON.md)")
	f.StringVar(&o.wave, "resend-as", "", "run a resend wave of a month whose send has started, into <month>-<wave>, with Message-IDs of its own")
	f.BoolVar(&o.send, "send", false, "then send the run's messages through the campaign's [[smtp]] relays, as tailor send does")
	f.BoolVar(&o.dryRun, "dry-run", false, "check everything the run needs, as tailor check CAMPAIGN.toml does, and stop: nothing is written")
	f.StringVar(&o.memory, "memory-limit", "", "soft memory limit, e.g. 900MiB or 4GiB (default: GOMEMLIMIT, else 90% of the machine's or container's memory, and from the variants stage on what a stage holds at its start plus 40%); about 0.9 GiB per million cardholders profiled")
	return cmd
}

func runCampaign(ctx context.Context, o runOptions, stdout, stderr io.Writer) error {
	if o.dryRun {
		return checkCampaign(ctx, preflightOptions{campaign: o.campaign, month: o.month, out: o.out, json: o.json}, stdout)
	}
	if o.memory != "" {
		n, err := parseSize(o.memory)
		if err != nil {
			return usageError{fmt.Errorf("--memory-limit: %w", err)}
		}
		// The collector works harder as the heap nears the limit, instead
		// of letting garbage pile up to twice the live data.
		debug.SetMemoryLimit(n)
	}
	c, err := pipeline.LoadCampaign(o.campaign)
	if err != nil {
		if o.json {
			writeJSON(stdout, newRunDocument(nil, err, 0))
		}
		return err
	}
	cfg := pipeline.Config{
		Campaign: c, CampaignDir: filepath.Dir(o.campaign), CampaignFile: o.campaign,
		Month: o.month, OutRoot: o.out, Outbox: o.outbox, Wave: o.wave, Version: Version, Command: o.line,
		MemoryLimitSet: o.memory != "",
	}
	rep := newStageReporter(o.g, stderr, o.quiet, "inputs and settings unchanged")
	cfg.Events = rep.event
	start := time.Now()
	res, err := pipeline.Run(ctx, cfg)
	rep.end()
	if err != nil {
		err = withResume(err, "run", o.line)
	}
	if o.json {
		doc := newRunDocument(res, err, time.Since(start))
		if err == nil && o.send {
			sstart := time.Now()
			sres, serr := sendPipeline(ctx, sendOptions{g: o.g, runDir: res.Dir, quiet: o.quiet, line: o.line}, stderr)
			doc.Send, err = newSendDocument(sres, serr, time.Since(sstart), sendLine(res.Dir)), serr
		}
		if werr := writeJSON(stdout, doc); err == nil {
			err = werr
		}
		return err
	}
	if res != nil {
		printSummary(stdout, res, time.Since(start))
	}
	if err != nil || !o.send {
		return err
	}
	return sendRun(ctx, sendOptions{g: o.g, runDir: res.Dir, quiet: o.quiet, line: o.line}, stdout, stderr)
}

func printSummary(w io.Writer, res *pipeline.Result, d time.Duration) {
	m := res.Manifest
	fmt.Fprintf(w, "tailor: %s %s done in %s: %s\n", m.Campaign, m.Month, d.Round(time.Millisecond), res.Dir)
	for _, in := range res.Inputs {
		fmt.Fprintf(w, "  %-13s %7d read %7d accepted %5d rejected", in.Name, in.Rows, in.Accepted, in.Rejected)
		if n := in.EmptyRows + in.RepeatedHeaders + in.Filtered; n > 0 {
			fmt.Fprintf(w, " %5d skipped (%d empty, %d repeated headers, %d filtered out)", n, in.EmptyRows, in.RepeatedHeaders, in.Filtered)
		}
		if in.Rejected > 0 {
			fmt.Fprintf(w, "  (%s)", filepath.Join(res.Dir, "rejects", in.Name+".csv"))
		}
		fmt.Fprintln(w)
		if in.EncodingDetected {
			fmt.Fprintf(w, "  %-13s read as %s, the encoding its bytes show\n", "", in.Encoding)
		}
		for _, col := range slices.Sorted(maps.Keys(in.Filled)) {
			fmt.Fprintf(w, "  %-13s %5d empty %s filled by the missing-value policy\n", "", in.Filled[col], col)
		}
		reasons := make([]string, 0, len(in.Reasons))
		for r := range in.Reasons {
			reasons = append(reasons, r)
		}
		sort.Slice(reasons, func(i, j int) bool {
			if in.Reasons[reasons[i]] != in.Reasons[reasons[j]] {
				return in.Reasons[reasons[i]] > in.Reasons[reasons[j]]
			}
			return reasons[i] < reasons[j]
		})
		for i, r := range reasons {
			if i == 3 {
				more := len(reasons) - 3
				fmt.Fprintf(w, "  %-13s ... %d more %s (see the rejects file)\n", "", more, plural(more, "reason", "reasons"))
				break
			}
			fmt.Fprintf(w, "  %-13s %5d x %s\n", "", in.Reasons[r], r)
		}
	}
	if d := m.Data; d != nil {
		fmt.Fprintf(w, "  %-13s %s to %s: %d transactions in it", "window", d.WindowFrom, d.WindowTo, d.InWindow)
		if d.Before > 0 {
			fmt.Fprintf(w, "; %d before it (from %s)", d.Before, d.First)
		}
		if d.After > 0 {
			fmt.Fprintf(w, "; %d after it (to %s)", d.After, d.Last)
		}
		if d.Before+d.After > 0 {
			fmt.Fprint(w, ", not profiled")
		}
		if d.Credits > 0 {
			fmt.Fprintf(w, "; %d %s to the card left out of spend (%s)", d.Credits, plural(d.Credits, "payment or credit", "payments and credits"), d.CreditAmount)
		}
		fmt.Fprintln(w)
	}
	a := res.Audience
	fmt.Fprintf(w, "  %-13s %7d cardholders: %d get the newsletter, %d without consent, %d cancelled, %d without spend\n",
		"audience", a.Cardholders, a.Mail, a.NoConsent, a.Cancelled, a.NoSpend)
	if len(res.Relationships) > 0 {
		var parts []string
		for _, rel := range append(profile.Relationships(), profile.RelationshipUnknown) {
			if n := res.Relationships[string(rel)]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, rel))
			}
		}
		fmt.Fprintf(w, "  %-13s %s\n", "relationships", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "  %-13s %7d\n", "clusters", res.Clusters)
	fmt.Fprintf(w, "  %-13s %7d  (%s)\n", "variants", res.Variants, filepath.Join(res.Dir, "variants"))
	if res.Distinct > 0 && res.Distinct < res.Variants {
		fmt.Fprintf(w, "  %-13s %7d  distinct: %d clusters share another's newsletter (same_as in variants.json)\n", "newsletters", res.Distinct, res.Variants-res.Distinct)
	}
	if res.FitChecked > 0 {
		fmt.Fprintf(w, "  %-13s %6.1f%%  of %d messages true for their reader (%d not; budget %.1f%%, see %s)\n", "fit",
			100*float64(res.FitChecked-res.FitMisfit)/float64(res.FitChecked), res.FitChecked, res.FitMisfit, 100*res.FitBudget,
			filepath.Join(res.Dir, rundir.FitFile))
	}
	fmt.Fprintf(w, "  %-13s %7d  (%s)\n", "messages", res.Messages, filepath.Join(res.Dir, "outbox"))
	fmt.Fprintf(w, "  %-13s %s\n", "report", res.Report)
	if len(res.Kept) > 0 {
		fmt.Fprintf(w, "  %-13s ran: %s; kept: %s\n", "stages", orNone(res.Ran), orNone(res.Kept))
	}
	printCosts(w, res.Manifest, res.Ran, res.Inputs, d)
}

// printCosts writes what each stage that ran cost: its time, the cores
// it kept busy, the peak resident memory while it ran and the rows it
// handled per second (of the stage's own unit), and the time its files
// took beside the next stage when they were written so, then the whole
// command.
func printCosts(w io.Writer, m *rundir.Manifest, ran []string, inputs []rundir.InputRecord, d time.Duration) {
	if m == nil || len(ran) == 0 {
		return
	}
	rows, cardholders := 0, 0
	for _, in := range inputs {
		rows += in.Rows
		if in.Name == "cardholders" {
			cardholders = in.Rows
		}
	}
	fmt.Fprintf(w, "  %-13s %9s %6s %12s\n", "cost", "time", "cores", "peak memory")
	var cpu int64
	var peak int64
	for _, name := range ran {
		st := m.Stage(name)
		if st == nil {
			continue
		}
		cpu += st.CPUMS
		peak = max(peak, st.PeakRSS)
		cores, mem := "", ""
		if st.DurationMS > 0 && st.CPUMS > 0 {
			cores = fmt.Sprintf("%.1f", float64(st.CPUMS)/float64(st.DurationMS))
		}
		if st.PeakRSS > 0 {
			mem = memory(st.PeakRSS)
		}
		line := fmt.Sprintf("  %-13s %9s %6s %12s", "  "+name, (time.Duration(st.DurationMS) * time.Millisecond).String(), cores, mem)
		if st.FilesMS > 0 {
			// Its files were written while the next stage ran: their
			// time and cores are in that stage's.
			line += fmt.Sprintf("  (then %s writing its files beside the next stage)", time.Duration(st.FilesMS)*time.Millisecond)
		}
		fmt.Fprintln(w, line)
	}
	total := fmt.Sprintf("  %-13s %9s", "  all", d.Round(time.Millisecond))
	if d > 0 && cpu > 0 {
		total += fmt.Sprintf(" %6.1f", float64(cpu)/float64(d.Milliseconds()))
	} else {
		total += fmt.Sprintf(" %6s", "")
	}
	if peak > 0 {
		total += fmt.Sprintf(" %12s", memory(peak))
		if cardholders > 0 {
			total += fmt.Sprintf("  (%d bytes per cardholder; %d input rows)", peak/int64(cardholders), rows)
		}
	}
	fmt.Fprintln(w, total)
}

// memory writes a number of bytes for people: 812 MB, 2.61 GB.
func memory(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(b)/1e6)
	case b >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(b)/1e3)
	}
	return fmt.Sprintf("%d B", b)
}

// resumeError is a run that stopped in a stage, with the command that
// resumes it: the stages before are kept.
type resumeError struct {
	err error
	// stage is where the run stopped, dir its run directory, command the
	// command line that resumes it.
	stage, dir, command string
	interrupted         bool
}

func (e resumeError) Error() string {
	if e.interrupted {
		return fmt.Sprintf("%s: interrupted\n  the run was interrupted in its %s stage; what finished before it is kept in %s\n  to resume: %s",
			e.stage, e.stage, e.dir, e.command)
	}
	return fmt.Sprintf("%v\n  the run failed in its %s stage; what finished before it is kept in %s\n  to resume once the cause is fixed: %s",
		e.err, e.stage, e.dir, e.command)
}

func (e resumeError) Unwrap() error { return e.err }

// withResume adds to the error of a stage that failed the command that
// resumes the run: the same command line (line, of the command name), for
// the same month even when the campaign leaves the month to the calendar.
func withResume(err error, name, line string) error {
	var se *pipeline.StageError
	if !errors.As(err, &se) || se.Dir == "" || errors.Is(err, pipeline.ErrConfig) || errors.Is(err, pipeline.ErrSealed) {
		return err
	}
	command := line
	if se.Month != "" && !strings.Contains(line, " --month=") && name == "run" {
		command += " --month=" + se.Month
	}
	return resumeError{err: err, stage: se.Stage, dir: se.Dir, command: command, interrupted: errors.Is(err, context.Canceled)}
}

// commandLine is how a command was called: its path, arguments and the
// flags set.
func commandLine(cmd *cobra.Command, args []string) string {
	parts := []string{cmd.CommandPath()}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	cmd.Flags().Visit(func(f *pflag.Flag) { parts = append(parts, "--"+f.Name+"="+shellQuote(f.Value.String())) })
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_./:=@%+,
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseSize reads a size such as 900MiB, 2GiB, 1.5GB or 512000000.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := 1.0
	num := strings.TrimSpace(s)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) || v*mult > math.MaxInt64 {
		return 0, fmt.Errorf("%q: want a size such as 900MiB or 4GiB", s)
	}
	return int64(v * mult), nil
}
