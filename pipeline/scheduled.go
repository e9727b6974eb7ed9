package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ledger"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/schedule"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// SchedulerConfig is what NewScheduler schedules.
type SchedulerConfig struct {
	// Campaigns are the campaigns to schedule, each as tailor run would
	// run it; each must have a [schedule]. Their Month is not read: each
	// job takes the month before the one its tick falls in.
	Campaigns []Config
	// Clock is the scheduler's source of time (default: the system's).
	// The runs and sends themselves keep to Config.Now.
	Clock schedule.Clock
	// Events, when set, is told of the scheduler's jobs.
	Events func(schedule.Event)
}

// NewScheduler returns a scheduler of the campaigns' run and send jobs
// ([schedule]): the jobs of one campaign run one at a time, the run before
// the send. What a tick has to do is decided from the run directory, not
// from what the scheduler remembers: a month whose run is done is not run
// again, a send whose ledger has nothing left to send is not started, and
// a send that stopped part way resumes (the ledger never sends a message
// twice). A run or send that finds the run's lock held, a send that waits
// for its approval file or for its run, is tried again a few minutes later
// until the job's next tick.
func NewScheduler(sc SchedulerConfig) (*schedule.Scheduler, error) {
	s := &schedule.Scheduler{Clock: sc.Clock, Events: sc.Events}
	names := map[string]bool{}
	for _, cfg := range sc.Campaigns {
		if cfg.Campaign == nil {
			return nil, fmt.Errorf("%w: no campaign", ErrConfig)
		}
		c := cfg.Campaign
		file := cfg.CampaignFile
		if file == "" {
			file = c.Name
		}
		runSpec, sendSpec, err := c.Schedule.Specs()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: schedule.%w", ErrConfig, file, err)
		}
		if runSpec == nil && sendSpec == nil {
			return nil, fmt.Errorf("%w: %s: no [schedule] run or send: say when to run the campaign, e.g. [schedule] run = \"0 6 1 * *\"", ErrConfig, file)
		}
		if names[c.Name] {
			return nil, fmt.Errorf("%w: %s: campaign %q is given twice", ErrConfig, file, c.Name)
		}
		names[c.Name] = true
		j := scheduled{cfg: cfg}
		for _, job := range []struct {
			what string
			spec *schedule.Spec
			run  func(context.Context, time.Time) (string, error)
		}{{"run", runSpec, j.run}, {"send", sendSpec, j.send}} {
			if job.spec == nil {
				continue
			}
			s.Jobs = append(s.Jobs, schedule.Job{Name: c.Name + " " + job.what, Group: c.Name, Spec: job.spec,
				CatchUp: c.Schedule.CatchUpDuration(), Run: job.run})
		}
	}
	return s, nil
}

// ScheduledMonth returns the month a job ticking at tick takes: the one
// before the month tick falls in, in tick's time zone ("2026-11" for 1
// December).
func ScheduledMonth(tick time.Time) string {
	y, m, _ := tick.Date()
	return time.Date(y, m-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}

// scheduled is one campaign's jobs.
type scheduled struct {
	cfg Config
}

// month returns the campaign's settings for the month of tick, and its
// run directory.
func (j scheduled) month(tick time.Time) (Config, string, error) {
	cfg := j.cfg
	cfg.Month = ScheduledMonth(tick)
	r, err := newRun(cfg)
	if err != nil {
		return cfg, "", err
	}
	return cfg, r.dir, nil
}

// run is the run job: tailor run for the month, unless it is done.
func (j scheduled) run(ctx context.Context, tick time.Time) (string, error) {
	cfg, dir, err := j.month(tick)
	if err != nil {
		return "", err
	}
	if done, why, err := runDone(dir, cfg.Campaign.Name, cfg.Month); err != nil || done {
		return cfg.Month + ": " + why, err
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		return "", notReady(err)
	}
	return fmt.Sprintf("%s: %d variants, %d messages: %s", cfg.Month, res.Variants, res.Messages, res.Dir), nil
}

// send is the send job: tailor send for the month once its run is done
// and, if the campaign asks for one, its approval file exists; unless the
// ledger has nothing left to send.
func (j scheduled) send(ctx context.Context, tick time.Time) (string, error) {
	cfg, dir, err := j.month(tick)
	if err != nil {
		return "", err
	}
	if started, left, err := sendLeft(dir); err != nil {
		return "", err
	} else if started && left == 0 {
		return cfg.Month + ": nothing left to send (the ledger has every message sent or settled)", nil
	}
	if done, why, err := runDone(dir, cfg.Campaign.Name, cfg.Month); err != nil {
		return "", err
	} else if !done {
		return "", fmt.Errorf("%w: %s: the run is not done (%s): waiting for it", schedule.ErrNotReady, cfg.Month, why)
	}
	if a := cfg.Campaign.Schedule.Approval; a != "" {
		path := strings.ReplaceAll(a, "{month}", cfg.Month)
		if !filepath.IsAbs(path) {
			path = filepath.Join(cfg.CampaignDir, path)
		}
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%w: %s: waiting for approval: %s does not exist", schedule.ErrNotReady, cfg.Month, path)
		}
	}
	res, err := Send(ctx, SendConfig{RunDir: dir, Delivery: cfg.Campaign, Version: cfg.Version, Command: cfg.Command,
		Getenv: cfg.Getenv, Events: cfg.Events})
	if err != nil {
		return "", notReady(err)
	}
	p, t := res.Progress, res.Totals
	return fmt.Sprintf("%s: %d sent, %d deferred, %d failed, %d uncertain; %d left to send", cfg.Month,
		p.Sent, p.Deferred, p.Failed, p.Uncertain, t[send.Pending]+t[send.Deferred]), nil
}

// notReady marks the error of a run directory locked by another process
// as one to try again.
func notReady(err error) error {
	var le *rundir.LockedError
	if errors.As(err, &le) {
		return fmt.Errorf("%w: %w", schedule.ErrNotReady, err)
	}
	return err
}

// runDone reports whether the run of campaign's month in dir is done,
// and says why or why not: its send has started (the run is sealed), or
// its manifest has every stage done and the last invocation ended well.
func runDone(dir, campaign, month string) (bool, string, error) {
	if started, _, err := sendLeft(dir); err != nil || started {
		return started, "already run: its send has started", err
	}
	m, err := rundir.ReadManifest(dir)
	switch {
	case err != nil:
		return false, "not run yet", nil
	case m.Campaign != campaign || m.Month != month:
		return false, fmt.Sprintf("%s holds %s %s", dir, m.Campaign, m.Month), nil
	case m.LastRun.Status != rundir.Done:
		return false, fmt.Sprintf("its last invocation is %s", m.LastRun.Status), nil
	case m.Stage("outbox") == nil:
		return false, "not run to the end", nil
	}
	for _, st := range m.Stages {
		if st.Status != rundir.Done {
			return false, fmt.Sprintf("stage %s is %s", st.Name, st.Status), nil
		}
	}
	return true, "already run", nil
}

// sendLeft reports whether the send of the run in dir has started, and
// how many of its messages are left to send (pending or deferred).
func sendLeft(dir string) (started bool, left int, err error) {
	path := filepath.Join(dir, LedgerFile)
	if _, err := os.Stat(path); err != nil {
		return false, 0, nil
	}
	db, err := ledger.Open(path)
	if err != nil {
		return false, 0, err
	}
	defer db.Close()
	if started, err = db.Started(); err != nil || !started {
		return false, 0, err
	}
	t, err := db.Totals(context.Background())
	if err != nil {
		return false, 0, err
	}
	return true, t[send.Pending] + t[send.Deferred], nil
}
