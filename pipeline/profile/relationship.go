package profile

import (
	"math"
	"slices"
	"time"
)

// Relationship is a cardholder's relationship type with the card, after
// Barbara Bund Jackson's customer types ("Build customer relationships that
// last", Harvard Business Review, 1985), plus the states of a relationship
// that is ending or has not started. RELATIONSHIPS.md explains each type.
type Relationship string

// Relationship types, in the order RelationshipRules.Classify checks them.
const (
	// RelationshipLost means the card is cancelled.
	RelationshipLost Relationship = "lost"
	// RelationshipInactive means no net spend in the window.
	RelationshipInactive Relationship = "inactive"
	// RelationshipLapsing means a regular cardholder whose spending fell
	// sharply and who has stopped using the card.
	RelationshipLapsing Relationship = "lapsing"
	// RelationshipLostForGood is Jackson's committed customer, whom a
	// competitor would find it hard to win (she is "lost for good" to
	// them): long tenure, steady monthly use, everyday spending across
	// interests.
	RelationshipLostForGood Relationship = "lost-for-good"
	// RelationshipAlwaysAShare is Jackson's transactional customer, who
	// gives the card a share of her spending and moves it easily:
	// sporadic, or small purchases now and then.
	RelationshipAlwaysAShare Relationship = "always-a-share"
	// RelationshipIntermediate is everyone else.
	RelationshipIntermediate Relationship = "intermediate"
	// RelationshipUnknown is the type of a cardholder whose campaign gives
	// pre-aggregated profiles and no transactions: without a history of
	// transactions the type cannot be told. It is not among
	// Relationships: no block may target it, and no majority is it.
	RelationshipUnknown Relationship = "unknown"
)

// relationships lists every relationship type, committed first, in the
// order reports show them.
var relationships = [...]Relationship{
	RelationshipLostForGood, RelationshipIntermediate, RelationshipAlwaysAShare,
	RelationshipLapsing, RelationshipLost, RelationshipInactive,
}

// Relationships returns every relationship type, committed first, in the
// order reports show them.
func Relationships() []Relationship { return slices.Clone(relationships[:]) }

// Valid reports whether r is one of the relationship types.
func (r Relationship) Valid() bool {
	if r == RelationshipUnknown {
		return true
	}
	for _, x := range relationships {
		if r == x {
			return true
		}
	}
	return false
}

// Default relationship rules.
const (
	DefaultLapsingTrend              = -0.5
	DefaultLapsingQuietDays          = 30
	DefaultLapsingMinActiveMonths    = 5
	DefaultCommittedTenureYears      = 3
	DefaultCommittedActiveMonths     = 10
	DefaultCommittedMaxConcentration = 0.6
	DefaultShareMaxActiveMonths      = 4
	DefaultShareIrregularMonths      = 8
	DefaultShareMaxTicket            = 4000
)

// RelationshipRules classify profiles into relationship types, after
// Jackson: lost-for-good (committed), always-a-share (transactional) and
// intermediate, plus lapsing, lost and inactive. RELATIONSHIPS.md explains
// them for marketers.
//
// Classify checks, in this order:
//
//  1. lost: the card is cancelled, whatever the spending.
//  2. inactive: no net spend in the window (Spend <= 0).
//  3. lapsing: a regular cardholder whose spending fell sharply: Trend at
//     most LapsingTrend (the last 3 months' monthly spend is at most a
//     third of the earlier months'), no transaction in the last
//     LapsingQuietDays days, and at least LapsingMinActiveMonths active
//     months. A Trend that low implies spend before the last 3 months, so
//     a new cardholder is never lapsing; one who used the card in a few
//     months only had no habit to lose and is always-a-share instead. The
//     quiet days keep a thin spender's ordinary ups and downs out: with a
//     few transactions a month, one large purchase early in the window
//     drives Trend down without anything having changed.
//  4. lost-for-good: the card is part of the cardholder's life: a member
//     for at least CommittedTenureYears at the window's end, active in at
//     least CommittedActiveMonths months, and spending across interests
//     rather than in one niche: Concentration at most
//     CommittedMaxConcentration.
//  5. always-a-share: the card gets a share of the spending, purchase by
//     purchase: sporadic (at most ShareMaxActiveMonths active months), or
//     small tickets (AverageTicket below ShareMaxTicket cents) on
//     irregular use (at most ShareIrregularMonths active months).
//  6. intermediate: everyone else.
//
// Why concentration caps commitment rather than proves it: Jackson's
// lost-for-good customer is held by switching costs, not by taste. We see
// one card only, so "concentrated spend" cannot mean the share of the
// cardholder's wallet on this card; the Herfindahl index of the interest
// shares measures how narrowly the card is used. A card that carries
// groceries, fuel, bills and dining every month is embedded in many habits
// and stored at many merchants: leaving it costs effort. A card used for
// one interest only, even every month, is typically the card with the best
// offer in that category, the very behaviour of a transactional customer,
// and the cardholder can move that spending at the next till. Steady
// monthly use over years, which is what concentrated spend amounts to when
// only one card is seen, is what the tenure and active-month conditions
// measure; concentration only rules out the single-purpose card. The default cap, 0.6, passes
// two interests split 70/30 and stops a 75/25 split; on the quickstart
// data it moves one in forty steady, long-standing cardholders to
// intermediate.
//
// Month counts are per 12 months and scale with the window: minimums
// round up, maximums down (10 of 12 is 5 of 6 and 20 of 24). A zero field
// takes its default (the Default constants). To switch a condition off,
// give it a value every profile passes: a LapsingQuietDays, tenure or
// minimum of active months below zero, a CommittedMaxConcentration of 1;
// a LapsingTrend below -1 switches lapsing off, a ShareMaxTicket or
// ShareMaxActiveMonths below zero the matching always-a-share condition.
type RelationshipRules struct {
	// LapsingTrend is the Trend at or below which spending has fallen
	// sharply (default -0.5).
	LapsingTrend float64
	// LapsingQuietDays is the number of days without a transaction before
	// the window's end that a lapsing cardholder has (default 30).
	LapsingQuietDays int
	// LapsingMinActiveMonths is the number of active months, per 12, a
	// lapsing cardholder had (default 5).
	LapsingMinActiveMonths int
	// CommittedTenureYears is the membership, in years at the window's
	// end, of a committed cardholder (default 3).
	CommittedTenureYears float64
	// CommittedActiveMonths is the number of active months, per 12, of a
	// committed cardholder (default 10).
	CommittedActiveMonths int
	// CommittedMaxConcentration is the highest Concentration of a
	// committed cardholder (default 0.6).
	CommittedMaxConcentration float64
	// ShareMaxActiveMonths is the most active months, per 12, of a
	// sporadic cardholder (default 4).
	ShareMaxActiveMonths int
	// ShareIrregularMonths is the most active months, per 12, of a
	// cardholder whose small tickets make her always-a-share (default 8).
	ShareIrregularMonths int
	// ShareMaxTicket is the average ticket, in cents, below which tickets
	// are small (default 4000, 40.00).
	ShareMaxTicket int64
}

// withDefaults returns r with its zero fields set to the defaults.
func (r RelationshipRules) withDefaults() RelationshipRules {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	deff(&r.LapsingTrend, DefaultLapsingTrend)
	def(&r.LapsingQuietDays, DefaultLapsingQuietDays)
	def(&r.LapsingMinActiveMonths, DefaultLapsingMinActiveMonths)
	deff(&r.CommittedTenureYears, DefaultCommittedTenureYears)
	def(&r.CommittedActiveMonths, DefaultCommittedActiveMonths)
	deff(&r.CommittedMaxConcentration, DefaultCommittedMaxConcentration)
	def(&r.ShareMaxActiveMonths, DefaultShareMaxActiveMonths)
	def(&r.ShareIrregularMonths, DefaultShareIrregularMonths)
	if r.ShareMaxTicket == 0 {
		r.ShareMaxTicket = DefaultShareMaxTicket
	}
	return r
}

// Defaults returns the rules with every zero field set to its default: the
// rules Classify applies.
func (r RelationshipRules) Defaults() RelationshipRules { return r.withDefaults() }

// Classify returns the relationship type of p, a profile over the window of
// opts, by the rules with their defaults applied.
func (r RelationshipRules) Classify(p *Profile, opts Options) Relationship {
	r = r.withDefaults()
	months := opts.months()
	_, end := opts.Window()
	switch {
	case p.Cancelled:
		return RelationshipLost
	case p.Spend <= 0:
		return RelationshipInactive
	case p.Trend <= r.LapsingTrend && p.RecencyDays >= r.LapsingQuietDays &&
		p.ActiveMonths >= scaleUp(r.LapsingMinActiveMonths, months):
		return RelationshipLapsing
	case tenure(p.MemberSince.Time(), end, r.CommittedTenureYears) &&
		p.ActiveMonths >= scaleUp(r.CommittedActiveMonths, months) &&
		p.Concentration <= r.CommittedMaxConcentration:
		return RelationshipLostForGood
	case p.ActiveMonths <= scaleDown(r.ShareMaxActiveMonths, months),
		p.AverageTicket < r.ShareMaxTicket && p.ActiveMonths <= scaleDown(r.ShareIrregularMonths, months):
		return RelationshipAlwaysAShare
	}
	return RelationshipIntermediate
}

// tenure reports whether a member since the given day has been one for at
// least years at end, the first instant after the window; an unknown
// (zero) date has no tenure, unless years <= 0.
func tenure(since, end time.Time, years float64) bool {
	if years <= 0 {
		return true
	}
	if since.IsZero() {
		return false
	}
	whole := int(years)
	t := since.AddDate(whole, 0, 0)
	if frac := years - float64(whole); frac > 0 {
		t = t.Add(time.Duration(frac * 365.2425 * 24 * float64(time.Hour)))
	}
	return t.Before(end)
}

// scaleUp scales a count per 12 months to a window of months, rounding up.
func scaleUp(perYear, months int) int {
	return int(math.Ceil(float64(perYear) * float64(months) / 12))
}

// scaleDown scales a count per 12 months to a window of months, rounding
// down.
func scaleDown(perYear, months int) int {
	return perYear * months / 12
}
