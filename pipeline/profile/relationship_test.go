package profile_test

import (
	"github.com/tailor-mail/tailor/pipeline/ingest"
	"reflect"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/profile"
)

// committed is a profile that passes every lost-for-good condition of the
// default rules in the 12-month window ending with runEnd (2026-10).
func committed() profile.Profile {
	return profile.Profile{Cardholder: &ingest.Cardholder{ID: "P", Consent: true, MemberSince: ingest.DateOf(day("2015-01-01"))}, Spend: 100000, Transactions: 40, ActiveMonths: 12, RecencyDays: 5, Trend: 0, Concentration: 0.3, AverageTicket: 5000}
}

func TestClassify(t *testing.T) {
	type change func(p *profile.Profile)
	tests := []struct {
		name   string
		change change
		rules  profile.RelationshipRules
		months int
		want   profile.Relationship
	}{
		{"committed", func(p *profile.Profile) {}, profile.RelationshipRules{}, 0, profile.RelationshipLostForGood},
		{"cancelled, whatever the spending", func(p *profile.Profile) { p.Cancelled = true }, profile.RelationshipRules{}, 0, profile.RelationshipLost},
		{"cancelled without spend", func(p *profile.Profile) { p.Cancelled, p.Spend = true, 0 }, profile.RelationshipRules{}, 0, profile.RelationshipLost},
		{"no spend", func(p *profile.Profile) { p.Spend = 0 }, profile.RelationshipRules{}, 0, profile.RelationshipInactive},
		{"net refunds", func(p *profile.Profile) { p.Spend = -1 }, profile.RelationshipRules{}, 0, profile.RelationshipInactive},

		// Lapsing, at each boundary.
		{"lapsing at the boundaries", func(p *profile.Profile) { p.Trend, p.RecencyDays, p.ActiveMonths = -0.5, 30, 5 },
			profile.RelationshipRules{}, 0, profile.RelationshipLapsing},
		{"stopped", func(p *profile.Profile) { p.Trend, p.RecencyDays, p.ActiveMonths = -1, 200, 9 },
			profile.RelationshipRules{}, 0, profile.RelationshipLapsing},
		{"falling less than sharply", func(p *profile.Profile) { p.Trend, p.RecencyDays = -0.49, 30 },
			profile.RelationshipRules{}, 0, profile.RelationshipLostForGood},
		{"falling but bought lately", func(p *profile.Profile) { p.Trend, p.RecencyDays = -0.9, 29 },
			profile.RelationshipRules{}, 0, profile.RelationshipLostForGood},
		{"falling but sporadic", func(p *profile.Profile) { p.Trend, p.RecencyDays, p.ActiveMonths = -1, 100, 4 },
			profile.RelationshipRules{}, 0, profile.RelationshipAlwaysAShare},
		{"lapsing switched off", func(p *profile.Profile) { p.Trend, p.RecencyDays = -1, 100 },
			profile.RelationshipRules{LapsingTrend: -1.01}, 0, profile.RelationshipLostForGood},
		{"lapsing without quiet days", func(p *profile.Profile) { p.Trend, p.RecencyDays = -0.8, 0 },
			profile.RelationshipRules{LapsingQuietDays: -1}, 0, profile.RelationshipLapsing},
		{"lapsing gentler", func(p *profile.Profile) { p.Trend, p.RecencyDays = -0.3, 40 },
			profile.RelationshipRules{LapsingTrend: -0.25}, 0, profile.RelationshipLapsing},

		// Lost-for-good, at each boundary.
		{"three years on the window's last day", func(p *profile.Profile) { p.MemberSince = ingest.DateOf(day("2023-10-31")) },
			profile.RelationshipRules{}, 0, profile.RelationshipLostForGood},
		{"three years the day after", func(p *profile.Profile) { p.MemberSince = ingest.DateOf(day("2023-11-01")) },
			profile.RelationshipRules{}, 0, profile.RelationshipIntermediate},
		{"tenure unknown", func(p *profile.Profile) { p.MemberSince = 0 },
			profile.RelationshipRules{}, 0, profile.RelationshipIntermediate},
		{"tenure switched off", func(p *profile.Profile) { p.MemberSince = 0 },
			profile.RelationshipRules{CommittedTenureYears: -1}, 0, profile.RelationshipLostForGood},
		{"two and a half years required", func(p *profile.Profile) { p.MemberSince = ingest.DateOf(day("2024-04-15")) },
			profile.RelationshipRules{CommittedTenureYears: 2.5}, 0, profile.RelationshipLostForGood},
		{"two and a half years not reached", func(p *profile.Profile) { p.MemberSince = ingest.DateOf(day("2024-05-15")) },
			profile.RelationshipRules{CommittedTenureYears: 2.5}, 0, profile.RelationshipIntermediate},
		{"ten active months", func(p *profile.Profile) { p.ActiveMonths = 10 },
			profile.RelationshipRules{}, 0, profile.RelationshipLostForGood},
		{"nine active months", func(p *profile.Profile) { p.ActiveMonths = 9 },
			profile.RelationshipRules{}, 0, profile.RelationshipIntermediate},
		{"concentration at the cap", func(p *profile.Profile) { p.Concentration = 0.6 },
			profile.RelationshipRules{}, 0, profile.RelationshipLostForGood},
		{"two interests, 70/30", func(p *profile.Profile) { p.Concentration = 0.7*0.7 + 0.3*0.3 },
			profile.RelationshipRules{}, 0, profile.RelationshipLostForGood},
		{"two interests, 75/25", func(p *profile.Profile) { p.Concentration = 0.75*0.75 + 0.25*0.25 },
			profile.RelationshipRules{}, 0, profile.RelationshipIntermediate},
		{"one interest only", func(p *profile.Profile) { p.Concentration = 1 },
			profile.RelationshipRules{}, 0, profile.RelationshipIntermediate},
		{"concentration cap switched off", func(p *profile.Profile) { p.Concentration = 1 },
			profile.RelationshipRules{CommittedMaxConcentration: 1}, 0, profile.RelationshipLostForGood},

		// Always-a-share.
		{"four active months", func(p *profile.Profile) { p.ActiveMonths = 4 },
			profile.RelationshipRules{}, 0, profile.RelationshipAlwaysAShare},
		{"small tickets, irregular", func(p *profile.Profile) { p.ActiveMonths, p.AverageTicket = 8, 3999 },
			profile.RelationshipRules{}, 0, profile.RelationshipAlwaysAShare},
		{"tickets of 40.00", func(p *profile.Profile) { p.ActiveMonths, p.AverageTicket = 8, 4000 },
			profile.RelationshipRules{}, 0, profile.RelationshipIntermediate},
		{"small tickets, nearly every month", func(p *profile.Profile) { p.ActiveMonths, p.AverageTicket = 9, 300 },
			profile.RelationshipRules{}, 0, profile.RelationshipIntermediate},
		{"small tickets, committed", func(p *profile.Profile) { p.AverageTicket = 300 },
			profile.RelationshipRules{}, 0, profile.RelationshipLostForGood},
		{"small-ticket condition switched off", func(p *profile.Profile) { p.ActiveMonths, p.AverageTicket = 6, 100 },
			profile.RelationshipRules{ShareMaxTicket: -1}, 0, profile.RelationshipIntermediate},
		{"sporadic condition switched off", func(p *profile.Profile) { p.ActiveMonths, p.AverageTicket = 1, 10000 },
			profile.RelationshipRules{ShareMaxActiveMonths: -1}, 0, profile.RelationshipIntermediate},

		// Month counts scale with the window.
		{"6 months: 5 active is committed", func(p *profile.Profile) { p.ActiveMonths = 5 },
			profile.RelationshipRules{}, 6, profile.RelationshipLostForGood},
		{"6 months: 4 active is not", func(p *profile.Profile) { p.ActiveMonths = 4 },
			profile.RelationshipRules{}, 6, profile.RelationshipIntermediate},
		{"6 months: 2 active is sporadic", func(p *profile.Profile) { p.ActiveMonths = 2 },
			profile.RelationshipRules{}, 6, profile.RelationshipAlwaysAShare},
		{"6 months: small tickets in 4", func(p *profile.Profile) { p.ActiveMonths, p.AverageTicket = 4, 100 },
			profile.RelationshipRules{}, 6, profile.RelationshipAlwaysAShare},
		{"6 months: lapsing with 3 active", func(p *profile.Profile) { p.ActiveMonths, p.Trend, p.RecencyDays = 3, -1, 100 },
			profile.RelationshipRules{}, 6, profile.RelationshipLapsing},
		{"24 months: 19 active is not committed", func(p *profile.Profile) { p.ActiveMonths = 19 },
			profile.RelationshipRules{}, 24, profile.RelationshipIntermediate},
		{"24 months: 20 active is", func(p *profile.Profile) { p.ActiveMonths = 20 },
			profile.RelationshipRules{}, 24, profile.RelationshipLostForGood},
		{"24 months: 8 active is sporadic", func(p *profile.Profile) { p.ActiveMonths = 8 },
			profile.RelationshipRules{}, 24, profile.RelationshipAlwaysAShare},
		{"24 months: tenure counts at the window's end", func(p *profile.Profile) { p.ActiveMonths, p.MemberSince = 24, ingest.DateOf(day("2023-10-31")) },
			profile.RelationshipRules{}, 24, profile.RelationshipLostForGood},
		{"24 months: a day short of three years", func(p *profile.Profile) { p.ActiveMonths, p.MemberSince = 24, ingest.DateOf(day("2023-11-01")) },
			profile.RelationshipRules{}, 24, profile.RelationshipIntermediate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := committed()
			tt.change(&p)
			got := tt.rules.Classify(&p, profile.Options{End: runEnd, Months: tt.months})
			if got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRelationshipRulesDefaults(t *testing.T) {
	want := profile.RelationshipRules{
		LapsingTrend: -0.5, LapsingQuietDays: 30, LapsingMinActiveMonths: 5,
		CommittedTenureYears: 3, CommittedActiveMonths: 10, CommittedMaxConcentration: 0.6,
		ShareMaxActiveMonths: 4, ShareIrregularMonths: 8, ShareMaxTicket: 4000,
	}
	if got := (profile.RelationshipRules{}).Defaults(); got != want {
		t.Errorf("Defaults()\n got %+v\nwant %+v", got, want)
	}
	set := profile.RelationshipRules{LapsingTrend: -0.7, ShareMaxTicket: 2500, CommittedTenureYears: -1}
	got := set.Defaults()
	if got.LapsingTrend != -0.7 || got.ShareMaxTicket != 2500 || got.CommittedTenureYears != -1 || got.CommittedActiveMonths != 10 {
		t.Errorf("Defaults() overrode set fields or missed zero ones: %+v", got)
	}
	// Every field has a default: none is zero after Defaults.
	v := reflect.ValueOf(want)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("%s has no default", v.Type().Field(i).Name)
		}
	}
}

func TestRelationships(t *testing.T) {
	want := []profile.Relationship{"lost-for-good", "intermediate", "always-a-share", "lapsing", "lost", "inactive"}
	if got := profile.Relationships(); !reflect.DeepEqual(got, want) {
		t.Errorf("Relationships() = %q, want %q", got, want)
	}
	for _, r := range want {
		if !r.Valid() {
			t.Errorf("%q is not Valid", r)
		}
	}
	for _, r := range []profile.Relationship{"", "Lost", "committed", "lost-for-good "} {
		if r.Valid() {
			t.Errorf("%q is Valid", r)
		}
	}
	profile.Relationships()[0] = "changed"
	if profile.Relationships()[0] != "lost-for-good" {
		t.Error("Relationships() returns the package's own array")
	}
}
