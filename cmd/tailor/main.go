// Command tailor turns cardholder spending data into tailored newsletters:
// one variant per preference cluster, personalized per recipient.
//
//	tailor run CAMPAIGN.toml [--month YYYY-MM] [--out DIR] [--outbox samples|all|none] [--memory-limit SIZE] [--resend-as NAME] [--send] [--dry-run] [--json] [-q]
//	tailor check [TEMPLATES_DIR] [--campaign CAMPAIGN.toml]
//	tailor check CAMPAIGN.toml [--month YYYY-MM] [--out DIR] [--json]
//	tailor render RUN_DIR [--templates DIR] [-q]
//	tailor preview RUN_DIR [--templates DIR] [--addr 127.0.0.1:8025]
//	tailor send RUN_DIR [--retry-uncertain] [--test-to ADDR,... [--variants ID,...]] [--json] [-q]
//	tailor runs [CAMPAIGN.toml | OUT_DIR] [--json]
//	tailor status RUN_DIR [--json]
//	tailor schedule CAMPAIGN.toml... [--once] [--out DIR] [-q]
//	tailor unsubscribe serve --campaign CAMPAIGN.toml [--addr 127.0.0.1:8026] [--out DIR]
//	tailor gen [--cardholders N] [--months N] [--end YYYY-MM] [--transactions-per-month X] [--seed N] [--bad-rows] [--out DIR]
//	tailor cluster FEATURES.(csv|npy) | RUN_DIR [--k K] [--seed S] [--scale standard|none] [--max-iterations N] [--tol T] [--out FILE] [--save-matrix FILE.npy]
//	tailor version
//
// Every command takes --log-format text|json for its logs on stderr, and
// --cpu-profile FILE for a CPU profile of itself (go tool pprof; a run's
// samples carry their stage as the label stage, for -tagfocus); run and
// render take --heap-profile FILE for the live heap after each stage, in
// FILE.<stage>.
//
// run, render and send hold the lock of the campaign month they write; a
// second one is refused (exit 1) with the holder's command, pid and start.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
)

// Version is tailor's version, recorded in every run's manifest.
const Version = "0.1.0"

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError marks errors in how tailor was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// run executes tailor with args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root, g := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	g.stopProfile()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "tailor:", err)
	var ue usageError
	var re resumeError
	switch {
	case errors.As(err, &ue), errors.Is(err, pipeline.ErrConfig):
		return exitUsage
	case errors.As(err, &re):
		// The error says how to resume.
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "tailor: interrupted; run the same command again to resume")
	}
	return exitFailed
}

// newRoot returns the tailor command and the flags every command takes.
func newRoot(stdout, stderr io.Writer) (*cobra.Command, *globalOptions) {
	root := &cobra.Command{
		Use:   "tailor",
		Short: "Tailored newsletters from cardholder spending",
		Long: `tailor turns cardholder spending data into mass-customized newsletters.
It profiles every cardholder's share of wallet per interest, clusters the
profiles into preference groups, composes one newsletter variant per group
from the designers' Markdown blocks, and writes a report and personalized
messages.`,
		Example: `  tailor gen --out examples/quickstart
  tailor run examples/quickstart/campaign.toml
  tailor run campaign.toml --month 2026-10 --outbox all`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	g := &globalOptions{}
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", logText, "how logs are written on stderr: text (lines for people; bars on a terminal) or json (one object per line)")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpu-profile", "", "write a CPU profile of the command to `FILE`, for go tool pprof: where a slow run spends its time (each stage's samples are labelled stage=NAME: go tool pprof -tagfocus stage=render)")
	root.PersistentFlags().StringVar(&g.heapProfile, "heap-profile", "", "after each stage of run or render, write the live heap to `FILE`.<stage>, for go tool pprof: what a run holds in memory")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if err := g.check(); err != nil {
			return err
		}
		pipeline.DefaultMemoryLimit(os.Getenv)
		return g.startProfile()
	}
	root.AddCommand(newRunCmd(stdout, stderr, g), newSendCmd(stdout, stderr, g), newScheduleCmd(stdout, stderr, g), newCheckCmd(stdout), newRenderCmd(stdout, stderr, g), newGenCmd(stdout), newClusterCmd(stdout),
		newUnsubscribeCmd(stdout, stderr), newPreviewCmd(stdout, stderr), newRunsCmd(stdout), newStatusCmd(stdout), newVersionCmd(stdout))
	return root, g
}

// exactArgs is cobra.ExactArgs with errors marked as usage errors.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
