// Package profile turns ingested cardholders and transactions into one
// profile per cardholder: share of wallet per interest over a trailing
// window, spend, frequency, recency, trend and mail eligibility. Interests
// come from merchant category codes through a Taxonomy.
package profile

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

// Options tunes a Builder. The zero value is not useful: End is required.
type Options struct {
	// End is any instant in the last month of the window (the run month).
	End time.Time
	// Months is the window's length in whole calendar months (default 12).
	Months int
	// HomeCountry is the cardholders' home country; transactions elsewhere
	// count as foreign (default "US").
	HomeCountry string
}

// Window returns the first instant of the window and the first instant after it.
func (o Options) Window() (from, to time.Time) {
	m := o.Months
	if m <= 0 {
		m = 12
	}
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
	ID           string
	FirstName    string
	LastName     string
	Email        string
	Locale       string
	Tier         string
	MemberSince  time.Time
	Cancelled    bool
	CancelledOn  time.Time
	CancelReason string
	Consent      bool

	// Spend is the net spend in the window, in cents (refunds netted).
	Spend int64
	// Transactions counts the transactions in the window, refunds included.
	Transactions int
	// ActiveMonths counts the window's months with at least one transaction.
	ActiveMonths int
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
}

// Status returns whether the cardholder is mailed this month, or why not.
func (p *Profile) Status() Status {
	switch {
	case p.Cancelled:
		return StatusCancelled
	case !p.Consent:
		return StatusNoConsent
	case p.Spend <= 0:
		return StatusNoSpend
	}
	return StatusMail
}

// Clusterable reports whether the profile has spending to cluster on.
func (p *Profile) Clusterable() bool { return p.Spend > 0 }

// acc accumulates one cardholder's transactions.
type acc struct {
	interest      []int64 // net spend per interest, cents
	gross         int64
	online        int64
	foreign       int64
	recent, prior int64
	n             int
	months        uint64 // bit i: month i of the window had a transaction
	last          time.Time
}

// Builder aggregates transactions into profiles. It keeps one small
// accumulator per cardholder, so memory grows with cardholders, not with
// transactions. A Builder is not safe for concurrent use.
type Builder struct {
	tax        *Taxonomy
	opts       Options
	from, to   time.Time
	recentFrom time.Time
	holders    []ingest.Cardholder
	index      map[string]int
	accs       []acc
	stats      Stats
}

// Stats counts what the Builder saw.
type Stats struct {
	// Transactions added; InWindow of them fell inside the window.
	Transactions int `json:"transactions"`
	InWindow     int `json:"in_window"`
	// Unmapped counts in-window transactions whose MCC has no interest, by
	// code; they count under the "other" interest.
	Unmapped map[string]int `json:"unmapped,omitempty"`
}

// NewBuilder returns a Builder for the given cardholders.
func NewBuilder(tax *Taxonomy, holders []ingest.Cardholder, opts Options) *Builder {
	if opts.Months <= 0 {
		opts.Months = 12
	}
	// Ingest upper-cases country codes; so must the home country be.
	opts.HomeCountry = strings.ToUpper(opts.HomeCountry)
	if opts.HomeCountry == "" {
		opts.HomeCountry = "US"
	}
	b := &Builder{tax: tax, opts: opts, holders: holders, index: make(map[string]int, len(holders))}
	b.from, b.to = opts.Window()
	b.recentFrom = b.to.AddDate(0, -3, 0)
	b.accs = make([]acc, len(holders))
	for i := range holders {
		b.index[holders[i].ID] = i
	}
	return b
}

// Known reports whether id is one of the Builder's cardholders.
func (b *Builder) Known(id string) bool {
	_, ok := b.index[id]
	return ok
}

// Add adds one transaction. Transactions of unknown cardholders or outside
// the window are counted and otherwise ignored.
func (b *Builder) Add(tx *ingest.Transaction) {
	b.stats.Transactions++
	i, ok := b.index[tx.CardholderID]
	if !ok || tx.Date.Before(b.from) || !tx.Date.Before(b.to) {
		return
	}
	b.stats.InWindow++
	a := &b.accs[i]
	if a.interest == nil {
		a.interest = make([]int64, b.tax.Len())
	}
	k, ok := b.tax.Lookup(tx.MCC)
	if !ok {
		k = b.tax.Other()
		if b.stats.Unmapped == nil {
			b.stats.Unmapped = map[string]int{}
		}
		b.stats.Unmapped[tx.MCC]++
	}
	a.interest[k] += tx.Amount
	a.n++
	if tx.Amount > 0 {
		a.gross += tx.Amount
		if tx.Channel == ingest.ChannelOnline {
			a.online += tx.Amount
		}
		if tx.Country != "" && tx.Country != b.opts.HomeCountry {
			a.foreign += tx.Amount
		}
	}
	if tx.Date.Before(b.recentFrom) {
		a.prior += tx.Amount
	} else {
		a.recent += tx.Amount
	}
	y, m, _ := tx.Date.Date()
	fy, fm, _ := b.from.Date()
	a.months |= 1 << uint((y-fy)*12+int(m-fm))
	if tx.Date.After(a.last) {
		a.last = tx.Date
	}
}

// Stats returns what the Builder has seen so far.
func (b *Builder) Stats() Stats { return b.stats }

// Profiles returns one profile per cardholder, in input order.
func (b *Builder) Profiles(ctx context.Context) ([]Profile, error) {
	out := make([]Profile, len(b.holders))
	for i := range b.holders {
		if i%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		h := &b.holders[i]
		a := &b.accs[i]
		p := Profile{
			ID: h.ID, FirstName: h.FirstName, LastName: h.LastName, Email: h.Email,
			Locale: h.Locale, Tier: h.Tier, MemberSince: h.MemberSince,
			Cancelled: h.Cancelled, CancelledOn: h.CancelledOn, CancelReason: h.CancelReason,
			Consent: h.Consent, Transactions: a.n, RecencyDays: -1,
			Shares: make([]float64, b.tax.Len()),
		}
		var positive int64
		for _, v := range a.interest {
			p.Spend += v
			if v > 0 {
				positive += v
			}
		}
		if positive > 0 {
			for k, v := range a.interest {
				if v > 0 {
					p.Shares[k] = float64(v) / float64(positive)
				}
			}
		}
		if a.gross > 0 {
			p.OnlineShare = float64(a.online) / float64(a.gross)
			p.ForeignShare = float64(a.foreign) / float64(a.gross)
		}
		if !a.last.IsZero() {
			p.LastActive = a.last
			p.RecencyDays = int(b.to.Sub(a.last).Hours()/24) - 1
		}
		for m := a.months; m != 0; m &= m - 1 {
			p.ActiveMonths++
		}
		// A window of 3 months or fewer has nothing before its last three
		// months to compare with: Trend stays 0.
		if b.opts.Months > 3 {
			recent := math.Max(float64(a.recent), 0) / 3
			prior := math.Max(float64(a.prior), 0) / float64(b.opts.Months-3)
			if recent+prior > 0 {
				p.Trend = (recent - prior) / (recent + prior)
			}
		}
		out[i] = p
	}
	return out, nil
}

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
}

// BuildFeatures returns the matrix of clusterable profiles: the interest
// shares, then, when BehaviourWeight > 0, the standardised log spend and
// active-month count times the weight.
func BuildFeatures(tax *Taxonomy, profiles []Profile, opts FeatureOptions) Features {
	f := Features{}
	for _, in := range tax.Interests() {
		f.Names = append(f.Names, "share_"+in.ID)
	}
	behaviour := opts.BehaviourWeight > 0
	if behaviour {
		f.Names = append(f.Names, "log_spend", "active_months")
	}
	f.Dim = len(f.Names)
	for i := range profiles {
		if profiles[i].Clusterable() {
			f.Rows = append(f.Rows, i)
		}
	}
	f.Data = make([]float64, 0, len(f.Rows)*f.Dim)
	var logSpend, active []float64
	for _, i := range f.Rows {
		p := &profiles[i]
		f.Data = append(f.Data, p.Shares...)
		if behaviour {
			f.Data = append(f.Data, 0, 0)
			logSpend = append(logSpend, math.Log1p(float64(p.Spend)/100))
			active = append(active, float64(p.ActiveMonths))
		}
	}
	if behaviour {
		n := tax.Len()
		for col, xs := range [][]float64{logSpend, active} {
			mean, sd := meanSD(xs)
			for r, x := range xs {
				z := 0.0
				if sd > 0 {
					z = (x - mean) / sd
				}
				f.Data[r*f.Dim+n+col] = opts.BehaviourWeight * z
			}
		}
	}
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
