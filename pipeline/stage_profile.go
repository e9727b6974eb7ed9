package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// profiled is the profile stage's outcome.
type profiled struct {
	Audience Audience
	// Relationships counts the profiles by relationship type, every type
	// listed.
	Relationships map[string]int `count:"relationship_*"`
	// InWindow and OutsideWindow count the accepted transactions inside
	// and outside the profile window, Before and After those outside it
	// on either side; Credits the payments and credits to the card in
	// it, left out (see profile.Stats.Credits); UnmappedMCC those whose
	// merchant category code no table maps.
	InWindow      int `count:"transactions_in_window"`
	OutsideWindow int `count:"transactions_outside_window"`
	Credits       int `count:"transactions_credits_left_out"`
	Before        int `count:"transactions_before_window"`
	After         int `count:"transactions_after_window"`
	UnmappedMCC   int `count:"unmapped_mcc_transactions"`

	profiles []profile.Profile
	// features are the pre-aggregated features' names, nil without them.
	features []string
	// write writes the stage's files beside the cluster stage
	// (trailingOutcome), into files; nil read back from the manifest.
	write func() error
	files *profileFiles
}

// profileFiles are the profile stage's files as written.
type profileFiles struct {
	recs []rundir.OutputRecord
}

func (p profiled) trail() func() error { return p.write }

func (p profiled) records() []rundir.OutputRecord {
	if p.files == nil {
		return nil
	}
	return p.files.recs
}

func (p profiled) outputs() []string {
	if p.features != nil {
		return []string{rundir.ProfilesFile, rundir.FeaturesFile}
	}
	return []string{rundir.ProfilesFile}
}

// profileOptions returns the profile settings of the run.
func (r *run) profileOptions() profile.Options {
	return profile.Options{End: r.month, Months: r.c.Profile.WindowMonths, HomeCountry: r.c.Profile.HomeCountry,
		TopMerchantShare: r.c.Profile.TopMerchantShare, Rules: r.c.Relationship.rules()}
}

// profile makes the profiles from ingest's aggregates and writes
// profiles.csv, and features.csv when the campaign has pre-aggregated
// features. The unmapped codes go into the manifest. It lets go of the
// aggregates once the profiles are made, before the next stages allocate.
func (r *run) profile(ctx context.Context, in *ingested) (profiled, error) {
	var out profiled
	m := r.meter("profile", "rows", 0)
	m.SetDetail("building the profiles")
	ps, err := in.builder.Profiles(ctx, in.merchants.Name)
	m.close()
	if err != nil {
		return out, err
	}
	st := in.builder.Stats()
	if err := r.checkData(st); err != nil {
		return out, err
	}
	features := in.features
	in.builder, in.merchants, in.features = nil, nil, nil
	if features != nil {
		profile.ApplyFeatures(r.tax, ps, features, profile.FeatureColumns{Spend: r.c.Inputs.ProfileSpend,
			Transactions: r.c.Inputs.ProfileTransactions, NoHistory: r.c.Inputs.Transactions == ""})
		out.features = features.Names
	}
	// profiles.csv (573 MB at a million cardholders) is formatted,
	// written and synced while the cluster stage clusters the profiles,
	// which only read them.
	files, names := &profileFiles{}, out.features
	out.files = files
	out.write = func() error {
		rec, err := rundir.WriteFileRecord(r.file(rundir.ProfilesFile), rundir.ProfilesFile, func(w io.Writer) error {
			// Ctrl-C stops the writing too: the run stops within a
			// second, and the next one makes the profiles again.
			bw := bufio.NewWriter(ctxWriter{ctx, w})
			if err := profile.WriteCSV(bw, r.tax, ps); err != nil {
				return err
			}
			return bw.Flush()
		})
		if err != nil {
			return err
		}
		files.recs = append(files.recs, rec) // in the order of outputs()
		if names != nil {
			rec, err = rundir.WriteFileRecord(r.file(rundir.FeaturesFile), rundir.FeaturesFile, func(w io.Writer) error {
				return profile.WriteFeatures(w, names, ps)
			})
			if err != nil {
				return err
			}
			files.recs = append(files.recs, rec)
		}
		return nil
	}
	r.manifest.Unmapped = st.Unmapped
	out.profiles, out.Audience = ps, audience(ps)
	out.InWindow, out.OutsideWindow = st.InWindow, st.Transactions-st.InWindow-st.Credits
	out.Before, out.After, out.Credits = st.Before, st.After, st.Credits
	for _, n := range st.Unmapped {
		out.UnmappedMCC += n
	}
	out.Relationships = map[string]int{}
	for _, rel := range profile.Relationships() {
		out.Relationships[string(rel)] = 0
	}
	for i := range ps {
		out.Relationships[string(ps[i].Relationship)]++
	}
	return out, nil
}

func audience(ps []profile.Profile) Audience {
	a := Audience{Cardholders: len(ps)}
	for i := range ps {
		switch ps[i].Status() {
		case profile.StatusMail:
			a.Mail++
		case profile.StatusNoConsent:
			a.NoConsent++
		case profile.StatusCancelled:
			a.Cancelled++
		case profile.StatusNoSpend:
			a.NoSpend++
		}
	}
	return a
}

// checkData records where the transactions fall against the profile
// window in the manifest, and stops a run whose window holds none of
// them, or whose transactions end before the run month begins (unless
// the campaign allows the gap, with a warning): months without data
// would read as cardholders lapsing. Both errors name the data's dates.
func (r *run) checkData(st profile.Stats) error {
	if st.First.IsZero() {
		r.manifest.Data = nil
		return nil
	}
	from, to := r.profileOptions().Window()
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	d := &rundir.DataRange{WindowFrom: day(from), WindowTo: day(to.AddDate(0, 0, -1)), First: day(st.First), Last: day(st.Last),
		InWindow: st.InWindow, Before: st.Before, After: st.After, Credits: st.Credits}
	if st.Credits > 0 {
		d.CreditAmount = fmt.Sprintf("%.2f %s", float64(st.CreditCents)/100, r.currency())
	}
	r.manifest.Data = d
	switch {
	case st.InWindow == 0:
		return fmt.Errorf("profile: no transaction falls in the window %s to %s: the transactions run from %s to %s; run a month in that range (--month %s)",
			d.WindowFrom, d.WindowTo, d.First, d.Last, st.Last.Format("2006-01"))
	case st.Last.Before(r.month) && !r.c.Profile.AllowDataGap:
		return fmt.Errorf("profile: the transactions end %s, before the run month %s begins: the months without data would make cardholders look lapsing; run the month the data ends in (--month %s), or set [profile] allow_data_gap = true",
			d.Last, r.monthName(), st.Last.Format("2006-01"))
	case st.Last.Before(r.month):
		r.event(Event{Stage: "profile", State: EventWarn, Message: fmt.Sprintf("the transactions end %s, before the run month %s begins; profiling anyway (allow_data_gap): cardholders may look lapsing", d.Last, r.monthName())})
	}
	return nil
}

// ctxWriter writes to w until ctx is done, then fails with ctx's error.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
