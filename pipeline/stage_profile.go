package pipeline

import (
	"bufio"
	"context"
	"io"

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
	// and outside the profile window; UnmappedMCC those whose merchant
	// category code no table maps.
	InWindow      int `count:"transactions_in_window"`
	OutsideWindow int `count:"transactions_outside_window"`
	UnmappedMCC   int `count:"unmapped_mcc_transactions"`

	profiles []profile.Profile
	// features are the pre-aggregated features' names, nil without them.
	features []string
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
	ps, err := in.builder.Profiles(ctx, in.merchants.Name)
	if err != nil {
		return out, err
	}
	st := in.builder.Stats()
	features := in.features
	in.builder, in.merchants, in.features = nil, nil, nil
	if features != nil {
		profile.ApplyFeatures(r.tax, ps, features)
		out.features = features.Names
		if err := rundir.WriteFile(r.file(rundir.FeaturesFile), func(w io.Writer) error {
			return profile.WriteFeatures(w, out.features, ps)
		}); err != nil {
			return out, err
		}
	}
	if err := rundir.WriteFile(r.file(rundir.ProfilesFile), func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if err := profile.WriteCSV(bw, r.tax, ps); err != nil {
			return err
		}
		return bw.Flush()
	}); err != nil {
		return out, err
	}
	r.manifest.Unmapped = st.Unmapped
	out.profiles, out.Audience = ps, audience(ps)
	out.InWindow, out.OutsideWindow = st.InWindow, st.Transactions-st.InWindow
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
