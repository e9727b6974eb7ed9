// Package profile turns ingested cardholders and transactions into one
// profile per cardholder: share of wallet per interest over a trailing
// window, spend, frequency, average ticket, recency, trend, favourite
// merchants, the relationship type and mail eligibility. Interests come from
// merchant category codes, or the input's own categories, through a
// Taxonomy.
package profile

import (
	"github.com/tailor-mail/tailor/pipeline/ingest"
	"math"
	"sort"
	"sync"
	"time"
)

// MaxMonths is the longest window a Builder keeps month by month; longer
// windows are cut to it.
const MaxMonths = 64

// Defaults of Options.
const (
	DefaultMonths           = 12
	DefaultHomeCountry      = "US"
	DefaultTopMerchantShare = 0.1
)

// Options tunes a Builder. The zero value is not useful: End is required;
// every other field has a default.
type Options struct {
	// End is any instant in the last month of the window (the run month).
	End time.Time
	// Months is the window's length in whole calendar months (default 12,
	// at most MaxMonths).
	Months int
	// HomeCountry is the cardholders' home country; transactions elsewhere
	// count as foreign (default "US"). Compact records carry the verdict
	// of ingest instead (ingest.FlagForeign).
	HomeCountry string
	// TopMerchantShare is the share of an interest's spend a merchant must
	// hold to be named the cardholder's favourite in it, and the share of
	// all spend to be the favourite overall (default 0.1).
	TopMerchantShare float64
	// Rules classify cardholders into relationship types; the zero value
	// applies the documented defaults.
	Rules RelationshipRules
}

// months returns the window's length with its default and limit applied.
func (o Options) months() int {
	switch m := o.Months; {
	case m <= 0:
		return DefaultMonths
	case m > MaxMonths:
		return MaxMonths
	default:
		return m
	}
}

// Window returns the first instant of the window and the first instant after it.
func (o Options) Window() (from, to time.Time) {
	m := o.months()
	y, mo, _ := o.End.UTC().Date()
	to = time.Date(y, mo+1, 1, 0, 0, 0, 0, time.UTC)
	from = time.Date(y, mo+1-time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	return from, to
}

// Status says whether a cardholder gets this month's newsletter, and if not, why.
type Status string

// Statuses, in the order a cardholder is checked.
const (
	StatusMail      Status = "mail"
	StatusCancelled Status = "cancelled"
	StatusNoConsent Status = "no consent"
	StatusNoSpend   Status = "no spend in window"
)

// Profile is one cardholder's spending profile.
type Profile struct {
	// Cardholder is the cardholder profiled, shared with ingest, not
	// copied: its fields (ID, FirstName, Email, Tier, Cancelled, Consent,
	// Attrs, ...) read as the profile's own. A million profiles save 170
	// MB by not copying them.
	*ingest.Cardholder

	// Spend is the net spend in the window, in cents (refunds netted).
	Spend int64
	// Transactions counts the transactions in the window, refunds included.
	Transactions int
	// ActiveMonths counts the window's months with at least one transaction.
	ActiveMonths int
	// TransactionsPerMonth is Transactions per active month: how busy a
	// month of use is; 0 without transactions.
	TransactionsPerMonth float64
	// AverageTicket is the average purchase in cents: the gross spend
	// (refunds not netted) over the number of purchases, rounded to the
	// nearest cent; 0 without purchases.
	AverageTicket int64
	// LastActive is the date of the latest transaction in the window.
	LastActive time.Time
	// RecencyDays is the number of days from LastActive to the window's end;
	// -1 when there was no transaction.
	RecencyDays int
	// Trend compares the average monthly spend of the last 3 months with the
	// months before (9 in a 12-month window): (recent - prior) / (recent +
	// prior), from -1 (stopped) to 1 (new); 0 when the window has no months
	// before the last 3.
	Trend float64
	// OnlineShare and ForeignShare are shares of gross spend.
	OnlineShare  float64
	ForeignShare float64
	// Shares is the share of wallet per interest, in taxonomy order; it sums
	// to 1 when the cardholder spent anything, else all zero.
	Shares []float64
	// Concentration is the Herfindahl index of Shares, the sum of their
	// squares: 1 when all spend is in one interest, 1/n when it is spread
	// evenly over n; 0 without spend.
	Concentration float64
	// FavouriteMerchant is the merchant with the most spend, if it holds at
	// least Options.TopMerchantShare of the cardholder's purchases; "" when
	// none does or names are unknown.
	FavouriteMerchant string
	// TopMerchants lists the cardholder's favourite merchant in each
	// interest (other than "other") where one merchant holds at least
	// Options.TopMerchantShare of the spend, sorted by interest id; nil
	// when there is none. It feeds merge fields such as "your favourite
	// restaurant". A short slice, not a map: a million profiles hold one.
	TopMerchants Favourites
	// Relationship is the cardholder's relationship type with the card,
	// after Jackson (see RelationshipRules).
	Relationship Relationship
	// Features are the cardholder's pre-aggregated features, when the
	// campaign gives them (see ApplyFeatures); nil otherwise.
	Features []float64
}

// Touch reads the first word of each part of p allocated on its own (the
// cardholder, the shares, the favourites) and returns a number made of
// them, for the caller to keep so that the reads are made. A loop that
// touches a batch of profiles scattered in memory, before reading them in
// full, lets their cache misses overlap instead of waiting on each in
// turn.
func (p *Profile) Touch() int {
	n := len(p.Shares) + len(p.TopMerchants.list)
	if p.Cardholder != nil {
		n += len(p.Cardholder.ID)
	}
	if len(p.Shares) > 0 && p.Shares[0] > 0 {
		n++
	}
	if len(p.TopMerchants.list) > 0 {
		n += int(p.TopMerchants.list[0].interest)
	}
	return n
}

// Status returns whether the cardholder is mailed this month, or why not.
func (p *Profile) Status() Status {
	switch {
	case p.Cancelled:
		return StatusCancelled
	case !p.Consent:
		return StatusNoConsent
	case p.Spend <= 0 && p.Features == nil:
		return StatusNoSpend
	}
	return StatusMail
}

// Clusterable reports whether the profile has spending, or pre-aggregated
// features, to cluster on.
func (p *Profile) Clusterable() bool { return p.Spend > 0 || p.Features != nil }

// Population returns the share of the whole population's positive spend per
// interest: the baseline against which a group's lift is measured.
func Population(profiles []Profile, n int) []float64 {
	total := make([]float64, n)
	var sum float64
	for i := range profiles {
		p := &profiles[i]
		if p.Spend <= 0 {
			continue
		}
		for k, s := range p.Shares {
			v := s * float64(p.Spend)
			total[k] += v
			sum += v
		}
	}
	if sum == 0 {
		// Pre-aggregated profiles without spend: every cardholder with
		// features weighs the same.
		for i := range profiles {
			if p := &profiles[i]; p.Features != nil {
				for k, s := range p.Shares {
					total[k] += s
					sum += s
				}
			}
		}
	}
	if sum > 0 {
		for k := range total {
			total[k] /= sum
		}
	}
	return total
}

// Features is the clustering input built from profiles.
type Features struct {
	// Rows are the indexes, in the profile slice, of the profiles clustered.
	Rows []int
	// Dim is the number of columns; Names names them.
	Dim   int
	Names []string
	// Data is len(Rows)*Dim values, row-major.
	Data []float64
}

// FeatureOptions weighs the behaviour columns against the interest shares.
type FeatureOptions struct {
	// BehaviourWeight multiplies the standardised spend-level and activity
	// columns (default 0: preferences only; 0.1 to 0.3 separates spend levels
	// within a preference).
	BehaviourWeight float64
	// Interests multiplies the interest shares (0 means 1).
	Interests float64
	// Frequency, Recency and Trend multiply standardised columns of
	// transactions per active month, days since the last transaction and
	// trend; 0 leaves a column out.
	Frequency, Recency, Trend float64
}

// BuildFeatures returns the matrix of clusterable profiles: the interest
// shares, then, when BehaviourWeight > 0, the standardised log spend and
// active-month count times the weight.
func BuildFeatures(tax *Taxonomy, profiles []Profile, opts FeatureOptions) Features {
	f := Features{}
	for _, in := range tax.Interests() {
		f.Names = append(f.Names, "share_"+in.ID)
	}
	interests := opts.Interests
	if interests == 0 {
		interests = 1
	}
	// The behaviour columns: a name, a weight and how to read a profile.
	type column struct {
		name   string
		weight float64
		value  func(p *Profile) float64
	}
	var cols []column
	if opts.BehaviourWeight > 0 {
		cols = append(cols,
			column{"log_spend", opts.BehaviourWeight, func(p *Profile) float64 { return math.Log1p(float64(p.Spend) / 100) }},
			column{"active_months", opts.BehaviourWeight, func(p *Profile) float64 { return float64(p.ActiveMonths) }})
	}
	for _, c := range []column{
		{"transactions_per_month", opts.Frequency, func(p *Profile) float64 { return p.TransactionsPerMonth }},
		{"recency_days", opts.Recency, func(p *Profile) float64 { return float64(p.RecencyDays) }},
		{"trend", opts.Trend, func(p *Profile) float64 { return p.Trend }},
	} {
		if c.weight > 0 {
			cols = append(cols, c)
		}
	}
	for _, c := range cols {
		f.Names = append(f.Names, c.name)
	}
	f.Dim = len(f.Names)
	f.Rows = make([]int, 0, len(profiles)) // nearly every profile is clustered
	for i := range profiles {
		if profiles[i].Clusterable() {
			f.Rows = append(f.Rows, i)
		}
	}
	f.Data = make([]float64, len(f.Rows)*f.Dim)
	n := tax.Len()
	// Each behaviour column's values and their mean and standard
	// deviation first, the columns side by side; then the rows, by halves,
	// each written whole by one goroutine: written column by column, side
	// by side, the columns' goroutines wrote into the same cache lines
	// one value at a time (0.8 s of processor time at a million rows).
	// Each value is computed as it would be alone.
	xs := make([][]float64, len(cols))
	means, sds := make([]float64, len(cols)), make([]float64, len(cols))
	var wg sync.WaitGroup
	for col, c := range cols {
		wg.Go(func() {
			x := make([]float64, len(f.Rows))
			for r, i := range f.Rows {
				x[r] = c.value(&profiles[i])
			}
			xs[col] = x
			means[col], sds[col] = meanSD(x)
		})
	}
	wg.Wait()
	half := len(f.Rows) / 2
	for _, part := range [][2]int{{0, half}, {half, len(f.Rows)}} {
		wg.Go(func() {
			for r := part[0]; r < part[1]; r++ {
				row, shares := f.Data[r*f.Dim:(r+1)*f.Dim], profiles[f.Rows[r]].Shares
				for j := range min(n, len(shares)) {
					row[j] = interests * shares[j]
				}
				for col, c := range cols {
					z := 0.0
					if sd := sds[col]; sd > 0 {
						z = (xs[col][r] - means[col]) / sd
					}
					row[n+col] = c.weight * z
				}
			}
		})
	}
	wg.Wait()
	return f
}

func meanSD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	mean := s / float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(v / float64(len(xs)))
}

// TopInterests returns the interests of a share vector ranked by lift over
// the population, strongest first, skipping interests with no share and the
// "other" interest.
func TopInterests(tax *Taxonomy, shares, population []float64, n int) []RankedInterest {
	ins := tax.Interests()
	var out []RankedInterest
	for k, s := range shares {
		if s <= 0 || k == tax.Other() {
			continue
		}
		lift := 0.0
		if population[k] > 0 {
			lift = s / population[k]
		}
		out = append(out, RankedInterest{Interest: ins[k], Share: s, Lift: lift})
	}
	sort.SliceStable(out, func(i, j int) bool {
		// Rank by the share gained over the population: lift alone puts a
		// rare interest with a tiny share on top.
		gi := out[i].Share * math.Log(math.Max(out[i].Lift, 1e-9))
		gj := out[j].Share * math.Log(math.Max(out[j].Lift, 1e-9))
		if gi != gj {
			return gi > gj
		}
		return out[i].Interest.ID < out[j].Interest.ID
	})
	if len(out) > n {
		out = out[:max(n, 0)]
	}
	return out
}

// RankedInterest is an interest with a group's share and lift.
type RankedInterest struct {
	Interest Interest
	Share    float64
	Lift     float64
}

// LargestInterests returns up to n interests of a share vector, largest
// share first (equal shares in taxonomy order), skipping interests with no
// share and the "other" interest; Lift is left 0. It describes one
// cardholder's own spending, as the report's lost customers view shows it.
func LargestInterests(tax *Taxonomy, shares []float64, n int) []RankedInterest {
	ins := tax.Interests()
	var out []RankedInterest
	for k, s := range shares {
		if s > 0 && k != tax.Other() && k < len(ins) {
			out = append(out, RankedInterest{Interest: ins[k], Share: s})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Share > out[j].Share })
	if len(out) > n {
		out = out[:max(n, 0)]
	}
	return out
}
