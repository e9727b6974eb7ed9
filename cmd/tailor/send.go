package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/send"
)

type sendOptions struct {
	// g holds the flags every command takes.
	g              *globalOptions
	runDir         string
	testTo         []string
	variants       []string
	retryUncertain bool
	campaign       string
	quiet          bool
	json           bool
	line           string
	memory         string
}

func newSendCmd(stdout, stderr io.Writer, g *globalOptions) *cobra.Command {
	o := sendOptions{g: g}
	cmd := &cobra.Command{
		Use:   "send RUN_DIR",
		Short: "Send a finished run's messages through the campaign's SMTP relays, each exactly once",
		Long: `send hands every message of a run to the campaign's [[smtp]] relays,
personalized at send time: the same bytes the outbox holds. The run's ledger
(send.db in the run directory) records each message before it is handed over
and what the server said after, so a send stopped by Ctrl-C, kill -9, a power
cut or a relay outage resumes with the same command and never sends a message
twice. Messages that were in flight when a send stopped become uncertain and
are not sent again unless --retry-uncertain.

Cancelled cardholders, those without consent, the suppression list (the
campaign's send.suppression file and tailor's own list of hard bounces and
one-click unsubscribes) and invalid or repeated addresses are never sent to.
Once a send has started, tailor run and tailor render refuse to change the
run's variants, plan and assignments.

The unsubscribe links' key (TAILOR_UNSUBSCRIBE_SECRET, or the variable
sender.unsubscribe_secret_env names) must be set. Exit status 1 when the send
stops before every message is out (a failure threshold pauses it: run the
same command again once the cause is fixed).`,
		Example: `  tailor send out/quickstart/2026-10 --test-to me@example.com,designer@example.com
  tailor send out/quickstart/2026-10 --test-to me@example.com --variants v0001,v0004
  tailor send out/quickstart/2026-10
  tailor send out/quickstart/2026-10 --retry-uncertain`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.runDir, o.line = args[0], commandLine(cmd, args)
			return sendRun(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.retryUncertain, "retry-uncertain", false, "send again the messages a stopped send left uncertain (some may arrive twice)")
	f.StringSliceVar(&o.testTo, "test-to", nil, "send proofs instead: each variant, personalized for its sample recipient, to these addresses, subject marked [TEST]; recorded in proofs.csv, never in the send")
	f.StringSliceVar(&o.variants, "variants", nil, "with --test-to: the variants to proof (default: every variant)")
	f.StringVar(&o.campaign, "campaign", "", "take [[smtp]], [send] and [dkim] from this campaign file as it is now, not as the run recorded them (a relay moved, a limit changed)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary")
	f.BoolVar(&o.json, "json", false, "print the summary as a JSON document on stdout (see cmd/tailor/JSON.md)")
	f.StringVar(&o.memory, "memory-limit", "", "soft memory limit (default: GOMEMLIMIT, else 400MiB, which a million recipients fit in)")
	return cmd
}

func sendRun(ctx context.Context, o sendOptions, stdout, stderr io.Writer) error {
	start := time.Now()
	if len(o.variants) > 0 && len(o.testTo) == 0 {
		return usageError{fmt.Errorf("--variants: only with --test-to (a send sends every variant)")}
	}
	if len(o.testTo) > 0 {
		res, err := pipeline.Proof(ctx, pipeline.ProofConfig{RunDir: o.runDir, To: o.testTo, Variants: o.variants,
			Version: Version, Command: o.line, Events: func(e pipeline.Event) { logEvent(o.g.logger(stderr, false), e, o.quiet, "") }})
		if err != nil {
			return err
		}
		failed := 0
		for _, p := range res.Sent {
			fmt.Fprintf(stdout, "  %s  for %-10s %-9s %s\n", p.Variant, p.Recipient, p.Outcome.State, p.Outcome.Reply.Text)
			if p.Outcome.State != send.Sent {
				failed++
			}
		}
		fmt.Fprintf(stdout, "tailor: %d %s to %s (recorded in %s, not in the send)\n", len(res.Sent),
			plural(len(res.Sent), "proof", "proofs"), strings.Join(o.testTo, ", "), filepath.Join(res.Dir, pipeline.ProofFile))
		if failed > 0 {
			return fmt.Errorf("%d %s not accepted by the relay", failed, plural(failed, "proof", "proofs"))
		}
		return nil
	}
	res, err := sendPipeline(ctx, o, stderr)
	if o.json {
		if werr := writeJSON(stdout, newSendDocument(res, err, time.Since(start), sendLine(o.runDir))); err == nil {
			err = werr
		}
		return err
	}
	if res != nil {
		printSend(stdout, res, time.Since(start))
	}
	return err
}

// sendPipeline sends the run o.runDir, with its progress on stderr.
func sendPipeline(ctx context.Context, o sendOptions, stderr io.Writer) (*pipeline.SendResult, error) {
	switch {
	case o.memory != "":
		n, err := parseSize(o.memory)
		if err != nil {
			return nil, usageError{fmt.Errorf("--memory-limit: %w", err)}
		}
		debug.SetMemoryLimit(n)
	case os.Getenv("GOMEMLIMIT") == "":
		// A send holds every recipient's merge fields; the collector
		// keeps the heap near them instead of letting it double.
		debug.SetMemoryLimit(400 << 20)
	}
	if os.Getenv("GOGC") == "" {
		// Each message is tens of kilobytes of garbage: under the
		// memory limit, collecting less often is a fifth faster.
		debug.SetGCPercent(400)
	}
	var delivery *pipeline.Campaign
	if o.campaign != "" {
		c, err := pipeline.LoadCampaign(o.campaign)
		if err != nil {
			return nil, err
		}
		delivery = c
	}
	pr := newProgressPrinter(o.g, stderr, o.quiet)
	res, err := pipeline.Send(ctx, pipeline.SendConfig{RunDir: o.runDir, RetryUncertain: o.retryUncertain,
		Delivery: delivery, Version: Version, Command: o.line, Events: pr.event})
	pr.end()
	return res, err
}

// sendLine is the command that sends the run dir, or goes on with its send.
func sendLine(dir string) string { return "tailor send " + shellQuote(dir) }

// printSend prints what a send did and where its messages stand.
func printSend(w io.Writer, res *pipeline.SendResult, d time.Duration) {
	p, t := res.Progress, res.Totals
	if p.Sent+p.Deferred+p.Failed+p.Uncertain+p.Skipped == 0 && t[send.Pending]+t[send.Deferred] == 0 {
		fmt.Fprintf(w, "tailor: %s %s: nothing to send: every message of the run is already sent, failed, uncertain, suppressed or skipped\n",
			res.Campaign, res.Month)
		fmt.Fprintf(w, "  ledger: %d sent, %d failed, %d uncertain, %d suppressed, %d skipped\n",
			t[send.Sent], t[send.Failed], t[send.Uncertain], t[send.Suppressed], t[send.Skipped])
		return
	}
	fmt.Fprintf(w, "tailor: %s %s: %d sent, %d deferred, %d failed, %d uncertain, %d skipped in %s\n",
		res.Campaign, res.Month, p.Sent, p.Deferred, p.Failed, p.Uncertain, p.Skipped, d.Round(time.Millisecond))
	fmt.Fprintf(w, "  ledger: %d sent, %d pending, %d deferred, %d failed, %d uncertain, %d suppressed, %d skipped\n",
		t[send.Sent], t[send.Pending], t[send.Deferred], t[send.Failed], t[send.Uncertain], t[send.Suppressed], t[send.Skipped])
	if left := t[send.Pending] + t[send.Deferred] + t[send.Sending]; left > 0 {
		fmt.Fprintf(w, "  %d messages still to send: run tailor send %s again\n", left, res.Dir)
	}
}

// progressPrinter prints a send's progress: one line rewritten in place
// on a terminal, a line every ten seconds otherwise.
type progressPrinter struct {
	log      *slog.Logger
	w        io.Writer
	quiet    bool
	terminal bool
	last     time.Time
	printed  bool
}

func newProgressPrinter(g *globalOptions, w io.Writer, quiet bool) *progressPrinter {
	return &progressPrinter{log: g.logger(w, false), w: w, quiet: quiet, terminal: isTerminal(w) && !g.json()}
}

func (p *progressPrinter) event(e pipeline.Event) {
	if e.State != "progress" {
		if p.printed && p.terminal {
			fmt.Fprintln(p.w)
			p.printed = false
		}
		logEvent(p.log, e, p.quiet, "inputs and settings unchanged")
		return
	}
	c := e.Counts
	if p.quiet || c["done"] == 1 {
		return // the summary says it
	}
	line := progressLine(c)
	switch {
	case p.terminal:
		fmt.Fprintf(p.w, "\r%-100s", line)
		p.printed = true
	case time.Since(p.last) >= logEvery:
		attrs := []any{"stage", "send", "event", "progress"}
		for k, v := range c {
			attrs = append(attrs, k, v)
		}
		p.log.Info(line, attrs...)
		p.last = time.Now()
	}
}

// progressLine says how a send stands: what is sent of what was due, the
// deferrals, failures and uncertain messages, the rate, and when the send
// should end at that rate (the messages deferred until later aside).
func progressLine(c map[string]int) string {
	line := fmt.Sprintf("  sending: %d of %d sent, %d deferred, %d failed, %d uncertain, %d in flight, %d/s",
		c["sent"], c["due"], c["deferred"], c["failed"], c["uncertain"], c["in_flight"], c["rate"])
	left := c["due"] - c["sent"] - c["failed"] - c["uncertain"] - c["skipped"]
	if c["rate"] > 0 && left > 0 {
		eta := time.Duration(float64(left) / float64(c["rate"]) * float64(time.Second))
		line += ", about " + eta.Round(time.Second).String() + " left"
	}
	return line
}

func (p *progressPrinter) end() {
	if p.printed && p.terminal {
		fmt.Fprintln(p.w)
	}
}
