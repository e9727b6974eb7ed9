package synth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/tailor-mail/tailor/pipeline/csvout"
)

// Defaults used by Generate for zero Config fields.
const (
	// DefaultMonths is the length of the generated history in months.
	DefaultMonths = 13
	// DefaultSeed replaces a zero Config.Seed.
	DefaultSeed = 1
	// DefaultTransactionsPerMonth is the mean number of transactions of a
	// cardholder in a month of full activity. It keeps the example data small:
	// 2,000 cardholders over 13 months make about 2.5 MB of transactions.
	DefaultTransactionsPerMonth = 1.6
)

// CardholdersHeader is the header row of cardholders.csv, without the newline.
const CardholdersHeader = "cardholder_id,first_name,last_name,email,locale,tier,member_since,status,cancelled_on,cancel_reason,marketing_consent"

// TransactionsHeader is the header row of transactions.csv, without the newline.
const TransactionsHeader = "cardholder_id,posted_on,amount,currency,mcc,merchant,channel,country"

// ErrConfig is returned, wrapped, for an unusable Config.
var ErrConfig = errors.New("invalid config")

// Config says what to generate. Cardholders and EndMonth are required; the
// other fields have defaults.
type Config struct {
	// Cardholders is the number of cardholders, e.g. 2000; it may be millions.
	Cardholders int
	// Months is the number of months of history ending with EndMonth;
	// zero means DefaultMonths.
	Months int
	// EndMonth is the last month generated: its year and month in UTC count,
	// the day is ignored. Transactions run to the month's last day.
	EndMonth time.Time
	// Seed seeds the random generator; zero means DefaultSeed. The same
	// Config always gives byte-identical output.
	Seed uint64
	// BadRows adds a handful of deliberately faulty rows (see the package
	// documentation).
	BadRows bool
	// TransactionsPerMonth is the mean number of transactions of a fully
	// active cardholder in a month; zero means DefaultTransactionsPerMonth.
	// Raise it for denser, larger data.
	TransactionsPerMonth float64
}

// Stats counts what Generate wrote. Cardholders and Transactions count the
// well-formed data rows; the Bad fields count the deliberately faulty ones,
// so each file has one header row plus good plus bad rows.
type Stats struct {
	Cardholders        int
	Transactions       int
	BadCardholderRows  int
	BadTransactionRows int
}

// checkEvery is how many cardholders are generated between checks of the
// context and of write errors.
const checkEvery = 2048

// Generate writes cardholders.csv and transactions.csv for cfg to cardholders
// and transactions, cardholder by cardholder, with memory independent of the
// number of cardholders. It stops early with the context's error, wrapped,
// when ctx is done; the Stats then count the rows written so far.
func Generate(ctx context.Context, cfg Config, cardholders, transactions io.Writer) (Stats, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	g := newGenerator(cfg)
	cw := bufio.NewWriterSize(cardholders, 64<<10)
	tw := bufio.NewWriterSize(transactions, 256<<10)
	cw.WriteString(CardholdersHeader + "\n")
	tw.WriteString(TransactionsHeader + "\n")
	for i := range cfg.Cardholders {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return g.stats, fmt.Errorf("synth: %w", err)
			}
		}
		g.cardholder(i)
		if _, err := cw.Write(g.chBuf); err != nil {
			return g.stats, fmt.Errorf("synth: write cardholders: %w", err)
		}
		if _, err := tw.Write(g.txBuf); err != nil {
			return g.stats, fmt.Errorf("synth: write transactions: %w", err)
		}
	}
	if err := cw.Flush(); err != nil {
		return g.stats, fmt.Errorf("synth: write cardholders: %w", err)
	}
	if err := tw.Flush(); err != nil {
		return g.stats, fmt.Errorf("synth: write transactions: %w", err)
	}
	return g.stats, nil
}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.Cardholders <= 0 {
		return c, fmt.Errorf("synth: %w: cardholders must be positive, got %d", ErrConfig, c.Cardholders)
	}
	if c.EndMonth.IsZero() {
		return c, fmt.Errorf("synth: %w: end month is required", ErrConfig)
	}
	if c.Months == 0 {
		c.Months = DefaultMonths
	}
	if c.Months < 0 || c.Months > 1200 {
		return c, fmt.Errorf("synth: %w: months must be between 1 and 1200, got %d", ErrConfig, c.Months)
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.TransactionsPerMonth == 0 {
		c.TransactionsPerMonth = DefaultTransactionsPerMonth
	}
	if !(c.TransactionsPerMonth > 0 && c.TransactionsPerMonth <= 1000) {
		return c, fmt.Errorf("synth: %w: transactions per month must be in (0, 1000], got %v", ErrConfig, c.TransactionsPerMonth)
	}
	e := c.EndMonth.UTC()
	c.EndMonth = time.Date(e.Year(), e.Month(), 1, 0, 0, 0, 0, time.UTC)
	return c, nil
}

// month is one month of the window.
type month struct {
	first  int     // index of its first day in the window
	days   int     // number of days
	prefix [8]byte // "YYYY-MM-"
}

// mixEntry is one interest of a cardholder's spending mix.
type mixEntry struct {
	cum      float64 // cumulative probability up to and including this entry
	ticket   float64 // median ticket in cents
	interest interest
}

// Tiers, in order of spend.
const (
	green = iota
	gold
	platinum
)

var tierNames = [...]string{"green", "gold", "platinum"}

// generator holds the state reused from one cardholder to the next.
type generator struct {
	cfg    Config
	pcg    *rand.PCG
	r      *rand.Rand
	seedHi uint64

	months      []month
	windowStart int // days since 1970-01-01 of the window's first day
	windowDays  int
	memberLo    int // earliest member_since, days since 1970-01-01

	personaCum [len(personas)]float64
	localeCum  [len(locales)]float64
	domainCum  [len(emailDomains)]float64
	countryCum [len(foreignCountries)]float64

	bad badPlan

	// Per cardholder.
	id      []byte
	email   []byte
	mix     []mixEntry
	days    []int
	favSalt uint64
	chBuf   []byte
	txBuf   []byte

	stats Stats
}

func newGenerator(cfg Config) *generator {
	g := &generator{cfg: cfg, seedHi: mix64(cfg.Seed ^ 0x7461696c6f72)}
	g.pcg = rand.NewPCG(g.seedHi, 0)
	g.r = rand.New(g.pcg)

	start := cfg.EndMonth.AddDate(0, -(cfg.Months - 1), 0)
	g.windowStart = epochDay(start)
	for m := range cfg.Months {
		t := start.AddDate(0, m, 0)
		mo := month{first: epochDay(t) - g.windowStart, days: epochDay(t.AddDate(0, 1, 0)) - epochDay(t)}
		copy(mo.prefix[:], t.AppendFormat(nil, "2006-01-"))
		g.months = append(g.months, mo)
	}
	last := g.months[len(g.months)-1]
	g.windowDays = last.first + last.days
	g.memberLo = min(epochDay(time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)), g.windowStart-3650)

	cumulate(g.personaCum[:], len(personas), func(i int) float64 { return personas[i].weight })
	cumulate(g.localeCum[:], len(locales), func(i int) float64 { return locales[i].weight })
	cumulate(g.domainCum[:], len(emailDomains), func(i int) float64 { return emailDomains[i].weight })
	cumulate(g.countryCum[:], len(foreignCountries), func(i int) float64 { return foreignCountries[i].weight })

	if cfg.BadRows {
		g.bad = newBadPlan(cfg.Cardholders)
	}
	return g
}

// cumulate fills cum with the normalised cumulative sums of weight(0..n-1).
func cumulate(cum []float64, n int, weight func(int) float64) {
	var total float64
	for i := range n {
		total += weight(i)
	}
	var acc float64
	for i := range n {
		acc += weight(i)
		cum[i] = acc / total
	}
	cum[n-1] = 1
}

// pick returns the index of the first cumulative probability above u.
func pick(cum []float64, u float64) int {
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}

func epochDay(t time.Time) int { return int(t.Unix() / 86400) }

func dayTime(d int) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// mix64 is the SplitMix64 finaliser; it spreads seeds over all bits.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// cardholder generates cardholder i (0-based) into g.chBuf and its
// transactions into g.txBuf.
func (g *generator) cardholder(i int) {
	// Each cardholder has its own random stream, so cardholders do not depend
	// on one another and bad rows do not shift the good ones.
	g.pcg.Seed(g.seedHi, mix64(uint64(i)))
	r := g.r
	g.chBuf, g.txBuf = g.chBuf[:0], g.txBuf[:0]
	g.id = appendID(g.id[:0], i+1)

	// Who: personas, locale, names.
	main := pick(g.personaCum[:], r.Float64())
	sec := g.otherPersona(main)
	ter := g.otherPersona(main)
	p := &personas[main]
	loc := &locales[pick(g.localeCum[:], r.Float64())]
	first := loc.first[r.IntN(len(loc.first))]
	last := loc.last[r.IntN(len(loc.last))]

	// Tier and spending level: richer personas reach higher tiers, and a
	// higher tier spends more.
	tier := green
	switch score := math.Log(p.wallet) + 0.5*r.NormFloat64(); {
	case score > 0.7:
		tier = platinum
	case score > 0.2:
		tier = gold
	}
	wallet := p.wallet * [...]float64{0.85, 1.1, 1.5}[tier] * math.Exp(0.25*r.NormFloat64())
	activity := math.Exp(0.45*r.NormFloat64()-0.1) * [...]float64{0.9, 1.05, 1.25}[tier]
	if r.Float64() < 0.08 { // sparse
		activity *= 0.15
	}

	// Membership: more members joined recently than long ago.
	windowEnd := g.windowStart + g.windowDays - 1
	since := g.memberLo + int(float64(windowEnd-g.memberLo+1)*math.Pow(r.Float64(), 0.6))
	since = min(since, windowEnd)
	begin := max(since-g.windowStart, 0) // active window days [begin, end]
	end := g.windowDays - 1
	cancelled := r.Float64() < 0.02
	reason := ""
	if cancelled {
		end = begin + r.IntN(end-begin+1)
		reason = cancelReasons[r.IntN(len(cancelReasons))]
	}
	consent := r.Float64() >= 0.04
	lapse := 0 // number of fading months at the end
	if !cancelled && r.Float64() < 0.06 {
		lapse = 2 + r.IntN(3)
	}
	pattern := r.IntN(3)
	domain := emailDomains[pick(g.domainCum[:], r.Float64())].domain
	g.favSalt = r.Uint64()

	// The cardholder row.
	row := cardholderRow{
		id: g.id, first: first, last: last, locale: loc.code, tier: tierNames[tier],
		since: since, status: "active", consent: consent,
	}
	if cancelled {
		row.status, row.cancelled, row.reason = "cancelled", g.windowStart+end, reason
	}
	row.email = appendEmail(g.email[:0], first, last, i+1, pattern, domain)
	g.email = row.email
	g.writeCardholder(i, &row)

	// The spending mix: about three quarters of the expected spend comes
	// from the main persona, the rest from two others; every interest weight
	// is jittered. Each persona's share of transactions is its share of spend
	// over its expected ticket; the main persona's share is held between 55%
	// and 92%, so that an expensive main persona still makes most of the
	// transactions and a cheap one leaves room for some noise.
	s0 := 0.70 + 0.10*r.Float64()
	g.mix = g.mix[:0]
	e0 := g.addMix(main, wallet)
	n0 := len(g.mix)
	e1 := g.addMix(sec, wallet)
	n1 := len(g.mix)
	e2 := g.addMix(ter, wallet)
	c0, c1, c2 := s0/e0, (1-s0)*0.6/e1, (1-s0)*0.4/e2
	main0 := min(max(c0/(c0+c1+c2), 0.55), 0.92)
	rest := (1 - main0) / (c1 + c2)
	var acc float64
	for k := range g.mix {
		switch {
		case k < n0:
			acc += g.mix[k].cum * main0
		case k < n1:
			acc += g.mix[k].cum * c1 * rest
		default:
			acc += g.mix[k].cum * c2 * rest
		}
		g.mix[k].cum = acc
	}
	g.mix[len(g.mix)-1].cum = math.Inf(1)

	// Transactions, month by month.
	rate := g.cfg.TransactionsPerMonth * p.freq * activity
	for m := range g.months {
		mo := &g.months[m]
		lo, hi := max(mo.first, begin), min(mo.first+mo.days-1, end)
		if lo > hi {
			continue
		}
		lambda := rate * float64(hi-lo+1) / float64(mo.days)
		if fade := m - (len(g.months) - lapse); lapse > 0 && fade >= 0 {
			lambda *= math.Pow(0.35, float64(fade+1))
		}
		n := poisson(r, lambda)
		g.days = g.days[:0]
		for range n {
			g.days = append(g.days, lo-mo.first+r.IntN(hi-lo+1))
		}
		insertionSort(g.days)
		for _, d := range g.days {
			g.transaction(p, loc, mo, d)
		}
	}
	g.writeBadTransactions(i, (begin+end)/2)
}

// otherPersona picks a persona other than main.
func (g *generator) otherPersona(main int) int {
	k := pick(g.personaCum[:], g.r.Float64())
	if k == main {
		k = (k + 1 + g.r.IntN(len(personas)-1)) % len(personas)
	}
	return k
}

// addMix appends persona k's interests to the mix, with probabilities that
// sum to one within the persona, and returns the persona's expected ticket in
// cents. Tickets scale with the cardholder's wallet, not the persona's.
func (g *generator) addMix(k int, wallet float64) float64 {
	p := &personas[k]
	start := len(g.mix)
	var total float64
	for _, s := range p.shares {
		w := s.weight * (0.6 + 0.8*g.r.Float64())
		total += w
		g.mix = append(g.mix, mixEntry{cum: w, ticket: interests[s.interest].median * s.ticket * wallet, interest: s.interest})
	}
	var expected float64
	for j := start; j < len(g.mix); j++ {
		e := &g.mix[j]
		e.cum /= total
		sigma := interests[e.interest].sigma
		expected += e.cum * e.ticket * math.Exp(sigma*sigma/2)
	}
	return expected
}

// transaction appends one transaction on day d (0-based) of month mo.
func (g *generator) transaction(p *persona, loc *localeSpec, mo *month, d int) {
	r := g.r
	u := r.Float64()
	k := 0
	for u >= g.mix[k].cum {
		k++
	}
	e := &g.mix[k]
	spec := &interests[e.interest]

	var mer *merchant
	if r.Float64() < 0.55 {
		h := mix64(g.favSalt ^ uint64(e.interest))
		mer = &spec.merchants[h%uint64(len(spec.merchants))]
	} else {
		mer = &spec.merchants[r.IntN(len(spec.merchants))]
	}

	cents := int64(e.ticket*math.Exp(spec.sigma*r.NormFloat64()) + 0.5)
	cents = min(max(cents, 75), 5_000_000)
	if spec.cents != 0 {
		cents = cents/100*100 + spec.cents
	}
	if r.Float64() < spec.refund {
		cents = -cents
	}
	channel := "in_store"
	if r.Float64() < spec.online+p.online {
		channel = "online"
	}
	country := "US"
	if r.Float64() < spec.abroad {
		if loc.home != "" && r.Float64() < 0.6 {
			country = loc.home
		} else {
			country = foreignCountries[pick(g.countryCum[:], r.Float64())].code
		}
	}

	b := g.txBuf
	b = append(b, g.id...)
	b = append(b, ',')
	b = append(b, mo.prefix[:]...)
	b = append(b, byte('0'+(d+1)/10), byte('0'+(d+1)%10), ',')
	b = csvout.Cents(b, cents)
	b = append(b, ",USD,"...)
	b = append(b, mer.mcc...)
	b = append(b, ',')
	b = csvout.Field(b, mer.name)
	b = append(b, ',')
	b = append(b, channel...)
	b = append(b, ',')
	b = append(b, country...)
	b = append(b, '\n')
	g.txBuf = b
	g.stats.Transactions++
}

// poisson draws a Poisson variate with mean lambda.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 60 {
		return max(int(lambda+math.Sqrt(lambda)*r.NormFloat64()+0.5), 0)
	}
	l := math.Exp(-lambda)
	k := 0
	for p := r.Float64(); p > l; p *= r.Float64() {
		k++
	}
	return k
}

func insertionSort(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// cardholderRow holds the fields of one cardholder row.
type cardholderRow struct {
	id        []byte
	first     string
	last      string
	email     []byte
	locale    string
	tier      string
	since     int // days since 1970-01-01
	status    string
	cancelled int // days since 1970-01-01, when status is cancelled
	reason    string
	consent   bool
}

func (c *cardholderRow) appendTo(b []byte) []byte {
	b = append(b, c.id...)
	b = append(b, ',')
	b = csvout.Field(b, c.first)
	b = append(b, ',')
	b = csvout.Field(b, c.last)
	b = append(b, ',')
	b = append(b, c.email...) // letters, digits and ._@- only
	b = append(b, ',')
	b = append(b, c.locale...)
	b = append(b, ',')
	b = csvout.Field(b, c.tier)
	b = append(b, ',')
	b = dayTime(c.since).AppendFormat(b, time.DateOnly)
	b = append(b, ',')
	b = csvout.Field(b, c.status)
	b = append(b, ',')
	if c.status == "cancelled" {
		b = dayTime(c.cancelled).AppendFormat(b, time.DateOnly)
	}
	b = append(b, ',')
	b = csvout.Field(b, c.reason)
	b = append(b, ',')
	if c.consent {
		b = append(b, "yes"...)
	} else {
		b = append(b, "no"...)
	}
	return append(b, '\n')
}

// appendEmail appends an address derived from the names and the number n.
func appendEmail(b []byte, first, last string, n, pattern int, domain string) []byte {
	start := len(b)
	switch pattern {
	case 0: // first.last.n
		b = appendASCIIFold(b, first)
		b = append(b, '.')
		b = appendASCIIFold(b, last)
		b = append(b, '.')
	case 1: // flastn
		if n, f := len(b), appendASCIIFold(b, first); len(f) > n {
			b = f[:n+1] // the initial
		}
		b = appendASCIIFold(b, last)
	default: // last_first_n
		b = appendASCIIFold(b, last)
		b = append(b, '_')
		b = appendASCIIFold(b, first)
		b = append(b, '_')
	}
	if len(b) == start {
		b = append(b, "cardholder"...)
	}
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '@')
	return append(b, domain...)
}

// appendID appends the cardholder id for number n: C and at least 7 digits.
func appendID(b []byte, n int) []byte {
	var d [20]byte
	s := strconv.AppendInt(d[:0], int64(n), 10)
	b = append(b, 'C')
	for k := len(s); k < 7; k++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
