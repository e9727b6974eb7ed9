package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/schedule"
)

type scheduleOptions struct {
	// g holds the flags every command takes.
	g         *globalOptions
	campaigns []string
	out       string
	once      bool
	quiet     bool
	line      string
}

func newScheduleCmd(stdout, stderr io.Writer, g *globalOptions) *cobra.Command {
	o := scheduleOptions{g: g}
	cmd := &cobra.Command{
		Use:   "schedule CAMPAIGN.toml...",
		Short: "Run and send campaigns at the times of their [schedule], in the foreground",
		Long: `schedule is a small scheduler for those without cron: it runs each
campaign's run and send jobs at the times of its [schedule] (cron syntax, in
the campaign's time zone), one job at a time per campaign, and logs each
job's start and end. Each job takes the month before the one its time falls
in: a run on 1 December runs November. A send waits for the campaign's
approval file when it names one, and for its run.

At start, a job whose last time was missed (the machine was off) within
[schedule] catch_up runs once. Whether there is work left is read from the
run directory, not remembered: a month whose run is done is not run again,
a send whose ledger has nothing left to send sends nothing, and a send that
stopped part way resumes; no message is ever sent twice.

Ctrl-C or SIGTERM stops the scheduler once the job in progress has stopped,
resumably. --once runs what is due now and exits, for cron and systemd
timers (exit 1 when a job failed).`,
		Example: `  tailor schedule campaign.toml
  tailor schedule news.toml offers.toml --out /srv/tailor/out
  tailor schedule --once campaign.toml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("schedule: want at least one campaign file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.campaigns, o.line = args, commandLine(cmd, args)
			return scheduleCampaigns(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "output root (default: each campaign's output, else ./out)")
	f.BoolVar(&o.once, "once", false, "run what is due now (each job's latest time within its catch_up) and exit")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "log only the jobs, not their stages")
	return cmd
}

func scheduleCampaigns(ctx context.Context, o scheduleOptions, stdout, stderr io.Writer) error {
	// The jobs' stages and the scheduler's events both log, from their
	// goroutines: slog's handlers serialize the lines.
	log := o.g.logger(stdout, true)
	logf := func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }
	sc := pipeline.SchedulerConfig{}
	for _, file := range o.campaigns {
		c, err := pipeline.LoadCampaign(file)
		if err != nil {
			return err
		}
		sc.Campaigns = append(sc.Campaigns, pipeline.Config{Campaign: c, CampaignDir: filepath.Dir(file), CampaignFile: file,
			OutRoot: o.out, Version: Version, Command: o.line, Events: func(e pipeline.Event) {
				switch {
				case e.State == pipeline.EventWarn:
					logf("%s   warning: %s: %s", c.Name, e.Stage, e.Message)
				case o.quiet:
				case e.State == pipeline.EventDone:
					logf("%s   %s done in %s", c.Name, e.Stage, e.Duration.Round(time.Millisecond))
				case e.State == pipeline.EventKept:
					logf("%s   %s kept", c.Name, e.Stage)
				}
			}})
	}
	failed, ran := 0, 0
	sc.Events = func(e schedule.Event) {
		tick := e.Tick.Format("2006-01-02 15:04 MST")
		switch e.Kind {
		case schedule.Start:
			ran++
			how := ""
			if e.CatchUp {
				how = ", missed: catching up"
			}
			logf("%s: start (time %s%s)", e.Job, tick, how)
		case schedule.End:
			if e.Err != nil {
				failed++
				logf("%s: failed after %s: %v", e.Job, e.Duration.Round(time.Millisecond), e.Err)
				return
			}
			logf("%s: done in %s: %s", e.Job, e.Duration.Round(time.Millisecond), e.Outcome)
		case schedule.Wait:
			if o.once {
				logf("%s: %v; the next tailor schedule --once tries again", e.Job, e.Err)
				return
			}
			logf("%s: %v; trying again at %s", e.Job, e.Err, e.Next.Format("2006-01-02 15:04 MST"))
		case schedule.Skip:
			logf("%s: time %s skipped: the job is still running (next %s)", e.Job, tick, e.Next.Format("2006-01-02 15:04 MST"))
		}
	}
	s, err := pipeline.NewScheduler(sc)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, j := range s.Jobs {
		fmt.Fprintf(stdout, "%-24s %s (%s)", j.Name, j.Spec.Text, j.Spec.Location)
		next := now
		for i := range 3 {
			if next = j.Spec.Next(next); next.IsZero() {
				break
			}
			sep := map[bool]string{true: ": next", false: ","}[i == 0]
			fmt.Fprintf(stdout, "%s %s (%s)", sep, next.Format("2006-01-02 15:04 MST"), pipeline.ScheduledMonth(next))
		}
		fmt.Fprintln(stdout)
	}
	if o.once {
		if err := s.Once(ctx); err != nil {
			return err
		}
		switch {
		case failed > 0:
			return fmt.Errorf("schedule: %d %s failed", failed, plural(failed, "job", "jobs"))
		case ran == 0:
			fmt.Fprintln(stdout, "tailor: nothing is due")
		}
		return ctx.Err()
	}
	fmt.Fprintf(stdout, "tailor: scheduling %d %s; Ctrl-C stops once the job in progress has stopped\n", len(s.Jobs), plural(len(s.Jobs), "job", "jobs"))
	if err := s.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "tailor: stopped")
	return nil
}
