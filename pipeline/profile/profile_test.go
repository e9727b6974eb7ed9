package profile_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
)

// defaultTax returns the built-in taxonomy.
func defaultTax(t testing.TB) *profile.Taxonomy {
	t.Helper()
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatalf("DefaultTaxonomy: %v", err)
	}
	return tax
}

// smallTax returns a taxonomy of dining, travel, pets and other.
func smallTax(t testing.TB) *profile.Taxonomy {
	t.Helper()
	interests := "id,name\ndining,Dining\ntravel,Travel\npets,Pets\nother,Other\n"
	mapping := "mcc,interest\n5812,dining\n4511,travel\n0742,pets\n"
	tax, err := profile.LoadTaxonomy(strings.NewReader(interests), strings.NewReader(mapping))
	if err != nil {
		t.Fatalf("LoadTaxonomy: %v", err)
	}
	return tax
}

// index returns the index of an interest id.
func index(t testing.TB, tax *profile.Taxonomy, id string) int {
	t.Helper()
	i, ok := tax.Index(id)
	if !ok {
		t.Fatalf("no interest %q", id)
	}
	return i
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// tx returns an in-store transaction in the home country.
func tx(holder, date, mcc string, cents int64) ingest.Transaction {
	return ingest.Transaction{CardholderID: holder, Date: day(date), Amount: cents, Currency: "USD",
		MCC: mcc, Channel: ingest.ChannelInStore, Country: "US"}
}

func online(t ingest.Transaction) ingest.Transaction {
	t.Channel = ingest.ChannelOnline
	return t
}

func unknownChannel(t ingest.Transaction) ingest.Transaction {
	t.Channel = ingest.ChannelUnknown
	return t
}

func in(country string, t ingest.Transaction) ingest.Transaction {
	t.Country = country
	return t
}

// runEnd is an instant in the run month, 2026-10: the window is 2025-11-01
// to 2026-10-31, the last three months 2026-08-01 to 2026-10-31.
var runEnd = time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)

// unknownMCC is a code no interest lists.
const unknownMCC = "0001"

func testHolders() []ingest.Cardholder {
	h := func(id string, consent, cancelled bool) ingest.Cardholder {
		c := ingest.Cardholder{ID: id, FirstName: "First " + id, LastName: "Last " + id, Email: strings.ToLower(id) + "@example.com",
			Locale: "en-US", Tier: "gold", MemberSince: ingest.DateOf(day("2019-03-04")), Consent: consent, Cancelled: cancelled}
		if cancelled {
			c.CancelledOn, c.CancelReason = ingest.DateOf(day("2026-07-01")), "moved"
		}
		return c
	}
	f := h("F", false, true) // cancelled, no consent, spending, attributes
	f.Attrs = map[string]string{"segment": "B2", "branch, city": "Lyon \"Part-Dieu\""}
	return []ingest.Cardholder{
		h("A", true, false), // mixed spending, a refund, unknown code, growing
		h("B", true, false), // fading
		h("C", true, false), // stopped
		h("D", true, false), // new on the window's last day
		h("E", true, false), // refunds only
		f,
		h("G", false, false),
		h("H", true, true),
		h("I", true, false), // no transactions
		h("J", true, false), // one interest net negative
		h("K", true, false), // spent, but refunds outweigh it
	}
}

func testTransactions() []ingest.Transaction {
	return []ingest.Transaction{
		tx("A", "2025-10-31", "5812", 10000), // before the window
		tx("A", "2025-10-31", "9999", 500),   // before the window, unknown code
		tx("A", "2025-11-01", "5812", 5000),
		in("", tx("A", "2026-01-15", "5411", 3000)),
		online(tx("A", "2026-08-01", "5812", 4000)),
		online(tx("A", "2026-09-10", "5411", -1000)),
		unknownChannel(in("FR", tx("A", "2026-10-20", unknownMCC, 2000))),
		tx("A", "2026-11-01", "5812", 99900), // after the window
		tx("B", "2025-12-05", "5541", 90000),
		tx("B", "2026-09-01", "5541", 1000),
		online(in("GB", tx("C", "2026-02-01", "4511", 50000))),
		tx("D", "2026-10-31", "5812", 2500),
		tx("E", "2026-05-05", "5812", -2000),
		tx("F", "2026-03-03", "5812", 1000),
		tx("J", "2026-06-01", "5812", 10000),
		tx("J", "2026-06-02", "5411", 1000),
		tx("J", "2026-06-03", "5411", -3000),
		tx("K", "2026-07-01", "5812", 1000),
		tx("K", "2026-07-02", "5411", -3000),
		tx("Z", "2026-06-01", "5812", 100), // unknown cardholder
	}
}

// buildTest returns the profiles of testHolders and testTransactions by id.
func buildTest(t *testing.T, tax *profile.Taxonomy, opts profile.Options) (map[string]profile.Profile, profile.Stats) {
	t.Helper()
	holders := testHolders()
	b := profile.NewBuilder(tax, holders, opts)
	txs := testTransactions()
	for i := range txs {
		b.Add(&txs[i])
	}
	ps, err := b.Profiles(context.Background(), nil)
	if err != nil {
		t.Fatalf("Profiles: %v", err)
	}
	if len(ps) != len(holders) {
		t.Fatalf("%d profiles, want %d", len(ps), len(holders))
	}
	byID := map[string]profile.Profile{}
	for i, p := range ps {
		if p.ID != holders[i].ID {
			t.Errorf("profile %d is %q, want %q: input order", i, p.ID, holders[i].ID)
		}
		byID[p.ID] = p
	}
	return byID, b.Stats()
}

// div divides at run time, in float64, as the code under test does.
func div(a, b float64) float64 { return a / b }

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }

func TestBuilder(t *testing.T) {
	tax := defaultTax(t)
	if _, ok := tax.Lookup(unknownMCC); ok {
		t.Fatalf("%s is in the taxonomy: pick another unknown code", unknownMCC)
	}
	ps, _ := buildTest(t, tax, profile.Options{End: runEnd})

	tests := []struct {
		id           string
		spend        int64
		transactions int
		activeMonths int
		lastActive   string
		recencyDays  int
		trend        float64
		online       float64
		foreign      float64
		shares       map[string]float64
		status       profile.Status
		perMonth     float64
		ticket       int64
		hhi          float64
		relationship profile.Relationship
	}{
		{
			id: "A", spend: 13000, transactions: 5, activeMonths: 5, lastActive: "2026-10-20", recencyDays: 11,
			trend: 7.0 / 23, online: 4000.0 / 14000, foreign: 2000.0 / 14000,
			shares: map[string]float64{"dining": 9000.0 / 13000, "groceries": 2000.0 / 13000, "other": 2000.0 / 13000},
			status: profile.StatusMail, perMonth: 1, ticket: 3500, hhi: div(81+4+4, 169),
			// 5 active months, small tickets: irregular use.
			relationship: profile.RelationshipAlwaysAShare,
		},
		{
			id: "B", spend: 91000, transactions: 2, activeMonths: 2, lastActive: "2026-09-01", recencyDays: 60,
			trend: -29.0 / 31, shares: map[string]float64{"fuel": 1}, status: profile.StatusMail,
			perMonth: 1, ticket: 45500, hhi: 1,
			// Falling sharply, but 2 active months: sporadic, not lapsing.
			relationship: profile.RelationshipAlwaysAShare,
		},
		{
			id: "C", spend: 50000, transactions: 1, activeMonths: 1, lastActive: "2026-02-01", recencyDays: 272,
			trend: -1, online: 1, foreign: 1, shares: map[string]float64{"airlines": 1}, status: profile.StatusMail,
			perMonth: 1, ticket: 50000, hhi: 1, relationship: profile.RelationshipAlwaysAShare,
		},
		{
			id: "D", spend: 2500, transactions: 1, activeMonths: 1, lastActive: "2026-10-31", recencyDays: 0,
			trend: 1, shares: map[string]float64{"dining": 1}, status: profile.StatusMail,
			perMonth: 1, ticket: 2500, hhi: 1, relationship: profile.RelationshipAlwaysAShare,
		},
		{
			id: "E", spend: -2000, transactions: 1, activeMonths: 1, lastActive: "2026-05-05", recencyDays: 179,
			status: profile.StatusNoSpend, perMonth: 1, relationship: profile.RelationshipInactive,
		},
		{
			id: "F", spend: 1000, transactions: 1, activeMonths: 1, lastActive: "2026-03-03", recencyDays: 242,
			trend: -1, shares: map[string]float64{"dining": 1}, status: profile.StatusCancelled,
			perMonth: 1, ticket: 1000, hhi: 1, relationship: profile.RelationshipLost,
		},
		{id: "G", recencyDays: -1, status: profile.StatusNoConsent, relationship: profile.RelationshipInactive},
		{id: "H", recencyDays: -1, status: profile.StatusCancelled, relationship: profile.RelationshipLost},
		{id: "I", recencyDays: -1, status: profile.StatusNoSpend, relationship: profile.RelationshipInactive},
		{
			id: "J", spend: 8000, transactions: 3, activeMonths: 1, lastActive: "2026-06-03", recencyDays: 150,
			trend: -1, shares: map[string]float64{"dining": 1}, status: profile.StatusMail,
			// Refunds are no purchases: 110.00 over 2 purchases.
			perMonth: 3, ticket: 5500, hhi: 1, relationship: profile.RelationshipAlwaysAShare,
		},
		{
			id: "K", spend: -2000, transactions: 2, activeMonths: 1, lastActive: "2026-07-02", recencyDays: 121,
			shares: map[string]float64{"dining": 1}, status: profile.StatusNoSpend,
			perMonth: 2, ticket: 1000, hhi: 1, relationship: profile.RelationshipInactive,
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p, ok := ps[tt.id]
			if !ok {
				t.Fatalf("no profile")
			}
			if p.Spend != tt.spend || p.Transactions != tt.transactions || p.ActiveMonths != tt.activeMonths || p.RecencyDays != tt.recencyDays {
				t.Errorf("spend, transactions, active months, recency = %d, %d, %d, %d; want %d, %d, %d, %d",
					p.Spend, p.Transactions, p.ActiveMonths, p.RecencyDays, tt.spend, tt.transactions, tt.activeMonths, tt.recencyDays)
			}
			var last time.Time
			if tt.lastActive != "" {
				last = day(tt.lastActive)
			}
			if !p.LastActive.Equal(last) {
				t.Errorf("LastActive %v, want %v", p.LastActive, last)
			}
			if !near(p.Trend, tt.trend) {
				t.Errorf("Trend %v, want %v", p.Trend, tt.trend)
			}
			if !near(p.OnlineShare, tt.online) || !near(p.ForeignShare, tt.foreign) {
				t.Errorf("OnlineShare, ForeignShare = %v, %v; want %v, %v", p.OnlineShare, p.ForeignShare, tt.online, tt.foreign)
			}
			if p.TransactionsPerMonth != tt.perMonth || p.AverageTicket != tt.ticket || !near(p.Concentration, tt.hhi) {
				t.Errorf("TransactionsPerMonth, AverageTicket, Concentration = %v, %d, %v; want %v, %d, %v",
					p.TransactionsPerMonth, p.AverageTicket, p.Concentration, tt.perMonth, tt.ticket, tt.hhi)
			}
			if p.Relationship != tt.relationship {
				t.Errorf("Relationship %q, want %q", p.Relationship, tt.relationship)
			}
			if p.TopMerchants.Len() != 0 || p.FavouriteMerchant != "" {
				t.Errorf("TopMerchants %v, FavouriteMerchant %q; want none (no merchant names)", p.TopMerchants, p.FavouriteMerchant)
			}
			if got := p.Status(); got != tt.status {
				t.Errorf("Status %q, want %q", got, tt.status)
			}
			if got, want := p.Clusterable(), tt.spend > 0; got != want {
				t.Errorf("Clusterable %v, want %v", got, want)
			}
			want := make([]float64, tax.Len())
			for id, s := range tt.shares {
				want[index(t, tax, id)] = s
			}
			if !reflect.DeepEqual(p.Shares, want) {
				t.Errorf("Shares\n got %v\nwant %v", p.Shares, want)
			}
			sum := 0.0
			for _, s := range p.Shares {
				sum += s
			}
			if wantSum := map[bool]float64{true: 1, false: 0}[len(tt.shares) > 0]; !near(sum, wantSum) {
				t.Errorf("shares sum to %v, want %v", sum, wantSum)
			}
		})
	}

	t.Run("cardholder fields", func(t *testing.T) {
		h := testHolders()[5]
		p := ps[h.ID]
		got := profile.Profile{Cardholder: &ingest.Cardholder{ID: p.ID, FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, Locale: p.Locale, Tier: p.Tier, MemberSince: p.MemberSince, Cancelled: p.Cancelled, CancelledOn: p.CancelledOn, CancelReason: p.CancelReason, Consent: p.Consent, Attrs: p.Attrs}}
		want := profile.Profile{Cardholder: &ingest.Cardholder{ID: h.ID, FirstName: h.FirstName, LastName: h.LastName, Email: h.Email, Locale: h.Locale, Tier: h.Tier, MemberSince: h.MemberSince, Cancelled: h.Cancelled, CancelledOn: h.CancelledOn, CancelReason: h.CancelReason, Consent: h.Consent, Attrs: h.Attrs}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
}

func TestBuilderStats(t *testing.T) {
	_, st := buildTest(t, defaultTax(t), profile.Options{End: runEnd})
	want := profile.Stats{Transactions: 20, InWindow: 16, UnknownHolders: 1, Before: 2, After: 1,
		First: time.Date(2025, 10, 31, 0, 0, 0, 0, time.UTC), Last: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Unmapped: map[string]int{unknownMCC: 1}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("Stats %+v, want %+v", st, want)
	}
}

func TestBuilderKnown(t *testing.T) {
	b := profile.NewBuilder(defaultTax(t), testHolders(), profile.Options{End: runEnd})
	tests := []struct {
		id   string
		want bool
	}{
		{"A", true},
		{"J", true},
		{"Z", false},
		{"", false},
		{"a", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := b.Known(tt.id); got != tt.want {
				t.Errorf("Known(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestBuilderHomeCountry(t *testing.T) {
	// The transactions are 10.00 at home (US), 20.00 in GB, 30.00 in FR,
	// 5.00 in an unknown country and a 10.00 refund in FR: 65.00 gross.
	tests := []struct {
		name    string
		home    string
		foreign float64 // cents
	}{
		{"default US", "", 5000},
		{"US", "US", 5000},
		{"GB", "GB", 4000},
		{"lower case", "gb", 4000},
		{"FR", "FR", 3000},
	}
	tax := defaultTax(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := profile.NewBuilder(tax, []ingest.Cardholder{{ID: "A", Consent: true}}, profile.Options{End: runEnd, HomeCountry: tt.home})
			for _, x := range []ingest.Transaction{
				tx("A", "2026-05-01", "5812", 1000),
				in("GB", tx("A", "2026-05-02", "5812", 2000)),
				in("FR", tx("A", "2026-05-03", "5812", 3000)),
				in("", tx("A", "2026-05-04", "5812", 500)),
				in("FR", tx("A", "2026-05-05", "5812", -1000)),
			} {
				b.Add(&x)
			}
			ps, err := b.Profiles(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ps[0].ForeignShare, tt.foreign/6500; !near(got, want) {
				t.Errorf("ForeignShare %v, want %v", got, want)
			}
		})
	}
}

func TestBuilderTrend(t *testing.T) {
	// months gives the spend in cents per month, oldest first, ending with
	// the run month.
	tests := []struct {
		name   string
		months int
		spend  []int64
		want   float64
	}{
		{"steady", 12, []int64{100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100}, 0},
		{"doubling", 12, []int64{100, 100, 100, 100, 100, 100, 100, 100, 100, 200, 200, 200}, 1.0 / 3},
		{"halving", 12, []int64{200, 200, 200, 200, 200, 200, 200, 200, 200, 100, 100, 100}, -1.0 / 3},
		{"new", 12, []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100}, 1},
		{"stopped", 12, []int64{100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, -1},
		{"refunds only lately", 12, []int64{100, 0, 0, 0, 0, 0, 0, 0, 0, -50, 0, 0}, -1},
		{"nothing", 12, nil, 0},
		{"4 months", 4, []int64{300, 100, 100, 100}, -0.5},
		{"6 months", 6, []int64{100, 100, 100, 200, 200, 200}, 1.0 / 3},
		// With 3 months or fewer there is nothing before the last three
		// months to compare with.
		{"3 months", 3, []int64{100, 100, 100}, 0},
		{"2 months", 2, []int64{100, 100}, 0},
		{"1 month", 1, []int64{100}, 0},
	}
	tax := defaultTax(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := profile.Options{End: runEnd, Months: tt.months}
			from, _ := opts.Window()
			b := profile.NewBuilder(tax, []ingest.Cardholder{{ID: "A", Consent: true}}, opts)
			for i, c := range tt.spend {
				if c == 0 {
					continue
				}
				x := tx("A", from.AddDate(0, i, 14).Format("2006-01-02"), "5812", c)
				b.Add(&x)
			}
			ps, err := b.Profiles(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := ps[0].Trend; !near(got, tt.want) {
				t.Errorf("Trend %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBuilderActiveMonths(t *testing.T) {
	tax := defaultTax(t)
	tests := []struct {
		name   string
		months int
		dates  []string
		want   int
	}{
		{"none", 12, nil, 0},
		{"one month, several days", 12, []string{"2026-03-01", "2026-03-15", "2026-03-31"}, 1},
		{"first and last month", 12, []string{"2025-11-01", "2026-10-31"}, 2},
		{"every month", 12, []string{"2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30",
			"2026-05-31", "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31"}, 12},
		{"outside the window", 12, []string{"2025-10-31", "2026-11-01"}, 0},
		{"60 months", 60, []string{"2021-11-01", "2023-06-15", "2026-10-31"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := profile.NewBuilder(tax, []ingest.Cardholder{{ID: "A"}}, profile.Options{End: runEnd, Months: tt.months})
			for _, d := range tt.dates {
				x := tx("A", d, "5812", 100)
				b.Add(&x)
			}
			ps, err := b.Profiles(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := ps[0].ActiveMonths; got != tt.want {
				t.Errorf("ActiveMonths %d, want %d", got, tt.want)
			}
		})
	}
}

func TestBuilderCancelledContext(t *testing.T) {
	b := profile.NewBuilder(defaultTax(t), testHolders(), profile.Options{End: runEnd})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ps, err := b.Profiles(ctx, nil)
	if !errors.Is(err, context.Canceled) || ps != nil {
		t.Errorf("Profiles = %d profiles, %v; want nil, context.Canceled", len(ps), err)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name      string
		cancelled bool
		consent   bool
		spend     int64
		want      profile.Status
	}{
		{"mail", false, true, 1, profile.StatusMail},
		{"cancelled before no consent and no spend", true, false, 0, profile.StatusCancelled},
		{"cancelled with consent and spend", true, true, 100, profile.StatusCancelled},
		{"no consent before no spend", false, false, -5, profile.StatusNoConsent},
		{"no consent with spend", false, false, 100, profile.StatusNoConsent},
		{"no spend", false, true, 0, profile.StatusNoSpend},
		{"net refunds", false, true, -1, profile.StatusNoSpend},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := profile.Profile{Cardholder: &ingest.Cardholder{Cancelled: tt.cancelled, Consent: tt.consent}, Spend: tt.spend}
			if got := p.Status(); got != tt.want {
				t.Errorf("Status() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name     string
		opts     profile.Options
		from, to time.Time
	}{
		{"12 months", profile.Options{End: runEnd, Months: 12}, utc(2025, 11, 1), utc(2026, 11, 1)},
		{"default 12 months", profile.Options{End: runEnd}, utc(2025, 11, 1), utc(2026, 11, 1)},
		{"negative months default", profile.Options{End: runEnd, Months: -3}, utc(2025, 11, 1), utc(2026, 11, 1)},
		{"first instant of the month", profile.Options{End: utc(2026, 10, 1)}, utc(2025, 11, 1), utc(2026, 11, 1)},
		{"last instant of the month", profile.Options{End: time.Date(2026, 10, 31, 23, 59, 59, 999999999, time.UTC)}, utc(2025, 11, 1), utc(2026, 11, 1)},
		{"3 months", profile.Options{End: runEnd, Months: 3}, utc(2026, 8, 1), utc(2026, 11, 1)},
		{"3 months across a year", profile.Options{End: utc(2026, 1, 31), Months: 3}, utc(2025, 11, 1), utc(2026, 2, 1)},
		{"1 month in December", profile.Options{End: utc(2026, 12, 24), Months: 1}, utc(2026, 12, 1), utc(2027, 1, 1)},
		{"12 months ending in December", profile.Options{End: utc(2026, 12, 5)}, utc(2026, 1, 1), utc(2027, 1, 1)},
		{"12 months ending in January", profile.Options{End: utc(2026, 1, 5)}, utc(2025, 2, 1), utc(2026, 2, 1)},
		{"24 months", profile.Options{End: utc(2026, 2, 10), Months: 24}, utc(2024, 3, 1), utc(2026, 3, 1)},
		{"60 months", profile.Options{End: runEnd, Months: 60}, utc(2021, 11, 1), utc(2026, 11, 1)},
		{"leap February", profile.Options{End: utc(2028, 2, 29), Months: 1}, utc(2028, 2, 1), utc(2028, 3, 1)},
		{"instant in another zone is taken in UTC", profile.Options{End: time.Date(2026, 11, 1, 0, 30, 0, 0, time.FixedZone("CEST", 2*3600)), Months: 3}, utc(2026, 8, 1), utc(2026, 11, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := tt.opts.Window()
			if !from.Equal(tt.from) || !to.Equal(tt.to) {
				t.Errorf("Window() = %v, %v; want %v, %v", from, to, tt.from, tt.to)
			}
			if from.Location() != time.UTC || to.Location() != time.UTC {
				t.Errorf("Window() in %v, %v; want UTC", from.Location(), to.Location())
			}
		})
	}
}

func TestPopulation(t *testing.T) {
	tests := []struct {
		name     string
		profiles []profile.Profile
		want     []float64
	}{
		{
			name: "weighted by spend",
			profiles: []profile.Profile{
				{Cardholder: &ingest.Cardholder{}, Spend: 100, Shares: []float64{1, 0, 0, 0}},
				{Cardholder: &ingest.Cardholder{}, Spend: 300, Shares: []float64{0.5, 0.5, 0, 0}},
			},
			want: []float64{0.625, 0.375, 0, 0},
		},
		{
			name: "no spend and net refunds left out",
			profiles: []profile.Profile{
				{Cardholder: &ingest.Cardholder{}, Spend: 200, Shares: []float64{0, 0.5, 0.25, 0.25}},
				{Cardholder: &ingest.Cardholder{}, Spend: 0, Shares: []float64{0, 0, 0, 0}},
				{Cardholder: &ingest.Cardholder{}, Spend: -500, Shares: []float64{1, 0, 0, 0}},
			},
			want: []float64{0, 0.5, 0.25, 0.25},
		},
		{
			name:     "nobody spent",
			profiles: []profile.Profile{{Cardholder: &ingest.Cardholder{}, Spend: 0, Shares: make([]float64, 4)}},
			want:     []float64{0, 0, 0, 0},
		},
		{
			name: "no profiles",
			want: []float64{0, 0, 0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := profile.Population(tt.profiles, 4)
			if len(got) != len(tt.want) {
				t.Fatalf("Population = %v, want %v", got, tt.want)
			}
			for k := range got {
				if !near(got[k], tt.want[k]) {
					t.Errorf("Population = %v, want %v", got, tt.want)
					break
				}
			}
		})
	}
}

func TestPopulationFromBuilder(t *testing.T) {
	tax := defaultTax(t)
	byID, _ := buildTest(t, tax, profile.Options{End: runEnd})
	var ps []profile.Profile
	for _, h := range testHolders() {
		ps = append(ps, byID[h.ID])
	}
	pop := profile.Population(ps, tax.Len())
	sum := 0.0
	for _, s := range pop {
		sum += s
	}
	if !near(sum, 1) {
		t.Errorf("population shares sum to %v, want 1", sum)
	}
	// Net spend of A, B, C, D, F and J; E and K (net refunds) are left out.
	total := 13000.0 + 91000 + 50000 + 2500 + 1000 + 8000
	want := map[string]float64{
		"dining":    (9000 + 2500 + 1000 + 8000) / total,
		"groceries": 2000 / total,
		"fuel":      91000 / total,
		"airlines":  50000 / total,
		"other":     2000 / total,
	}
	for id, w := range want {
		if got := pop[index(t, tax, id)]; !near(got, w) {
			t.Errorf("%s: %v, want %v", id, got, w)
		}
	}
}

func TestTopInterests(t *testing.T) {
	tax := smallTax(t)
	// dining, travel, pets, other
	pop := []float64{0.5, 0.1, 0.01, 0.39}
	tests := []struct {
		name   string
		shares []float64
		pop    []float64
		n      int
		want   []profile.RankedInterest
	}{
		{
			// By lift alone pets (2) would beat dining (1.2); its share is
			// too small to matter.
			name:   "share times log lift",
			shares: []float64{0.6, 0.3, 0.02, 0.08},
			pop:    pop,
			n:      5,
			want: []profile.RankedInterest{
				{Interest: profile.Interest{ID: "travel", Name: "Travel"}, Share: 0.3, Lift: div(0.3, 0.1)},
				{Interest: profile.Interest{ID: "dining", Name: "Dining"}, Share: 0.6, Lift: div(0.6, 0.5)},
				{Interest: profile.Interest{ID: "pets", Name: "Pets"}, Share: 0.02, Lift: div(0.02, 0.01)},
			},
		},
		{
			name:   "cut to n",
			shares: []float64{0.6, 0.3, 0.02, 0.08},
			pop:    pop,
			n:      2,
			want: []profile.RankedInterest{
				{Interest: profile.Interest{ID: "travel", Name: "Travel"}, Share: 0.3, Lift: div(0.3, 0.1)},
				{Interest: profile.Interest{ID: "dining", Name: "Dining"}, Share: 0.6, Lift: div(0.6, 0.5)},
			},
		},
		{
			name:   "zero share and other skipped",
			shares: []float64{0, 0.2, 0, 0.8},
			pop:    pop,
			n:      5,
			want: []profile.RankedInterest{
				{Interest: profile.Interest{ID: "travel", Name: "Travel"}, Share: 0.2, Lift: div(0.2, 0.1)},
			},
		},
		{
			name:   "under-represented interests last",
			shares: []float64{0.25, 0.05, 0.02, 0.68},
			pop:    pop,
			n:      5,
			want: []profile.RankedInterest{
				{Interest: profile.Interest{ID: "pets", Name: "Pets"}, Share: 0.02, Lift: div(0.02, 0.01)},
				{Interest: profile.Interest{ID: "travel", Name: "Travel"}, Share: 0.05, Lift: div(0.05, 0.1)},
				{Interest: profile.Interest{ID: "dining", Name: "Dining"}, Share: 0.25, Lift: div(0.25, 0.5)},
			},
		},
		{
			name:   "ties broken by id",
			shares: []float64{0.2, 0.2, 0, 0.6},
			pop:    []float64{0.2, 0.2, 0, 0.6},
			n:      5,
			want: []profile.RankedInterest{
				{Interest: profile.Interest{ID: "dining", Name: "Dining"}, Share: 0.2, Lift: 1},
				{Interest: profile.Interest{ID: "travel", Name: "Travel"}, Share: 0.2, Lift: 1},
			},
		},
		{
			name:   "interest absent from the population",
			shares: []float64{0.5, 0.5, 0, 0},
			pop:    []float64{1, 0, 0, 0},
			n:      5,
			want: []profile.RankedInterest{
				{Interest: profile.Interest{ID: "dining", Name: "Dining"}, Share: 0.5, Lift: 0.5},
				{Interest: profile.Interest{ID: "travel", Name: "Travel"}, Share: 0.5, Lift: 0},
			},
		},
		{
			name:   "n zero",
			shares: []float64{0.6, 0.3, 0.02, 0.08},
			pop:    pop,
			n:      0,
		},
		{
			name:   "nothing spent",
			shares: []float64{0, 0, 0, 0},
			pop:    pop,
			n:      3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := profile.TopInterests(tax, tt.shares, tt.pop, tt.n)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("TopInterests\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestTopInterestsLiftAgainstPopulation(t *testing.T) {
	tax := defaultTax(t)
	byID, _ := buildTest(t, tax, profile.Options{End: runEnd})
	var ps []profile.Profile
	for _, h := range testHolders() {
		ps = append(ps, byID[h.ID])
	}
	pop := profile.Population(ps, tax.Len())
	a := byID["A"]
	got := profile.TopInterests(tax, a.Shares, pop, 5)
	var ids []string
	for _, ri := range got {
		ids = append(ids, ri.Interest.ID)
		k := index(t, tax, ri.Interest.ID)
		if ri.Share != a.Shares[k] || !near(ri.Lift, a.Shares[k]/pop[k]) {
			t.Errorf("%s: share %v lift %v, want %v and %v", ri.Interest.ID, ri.Share, ri.Lift, a.Shares[k], a.Shares[k]/pop[k])
		}
	}
	// A's unknown code counts under other, which is never an interest to
	// write about.
	if want := []string{"dining", "groceries"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("interests %q, want %q", ids, want)
	}
}

func featureProfiles() []profile.Profile {
	return []profile.Profile{
		{Cardholder: &ingest.Cardholder{ID: "p0"}, Spend: 10000, ActiveMonths: 2, Shares: []float64{1, 0, 0, 0}},
		{Cardholder: &ingest.Cardholder{ID: "p1"}, Spend: 0, ActiveMonths: 0, Shares: []float64{0, 0, 0, 0}},
		{Cardholder: &ingest.Cardholder{ID: "p2"}, Spend: 100000, ActiveMonths: 12, Shares: []float64{0.5, 0.5, 0, 0}},
		{Cardholder: &ingest.Cardholder{ID: "p3"}, Spend: -500, ActiveMonths: 1, Shares: []float64{0, 0, 0, 0}},
		{Cardholder: &ingest.Cardholder{ID: "p4"}, Spend: 1000, ActiveMonths: 4, Shares: []float64{0, 0.25, 0.25, 0.5}},
	}
}

func TestBuildFeatures(t *testing.T) {
	tax := smallTax(t)
	ps := featureProfiles()
	shareNames := []string{"share_dining", "share_travel", "share_pets", "share_other"}
	shares := [][]float64{ps[0].Shares, ps[2].Shares, ps[4].Shares}

	t.Run("preferences only", func(t *testing.T) {
		f := profile.BuildFeatures(tax, ps, profile.FeatureOptions{})
		if f.Dim != tax.Len() || !reflect.DeepEqual(f.Names, shareNames) {
			t.Errorf("Dim %d Names %q, want %d %q", f.Dim, f.Names, tax.Len(), shareNames)
		}
		if want := []int{0, 2, 4}; !reflect.DeepEqual(f.Rows, want) {
			t.Errorf("Rows %v, want %v", f.Rows, want)
		}
		var want []float64
		for _, s := range shares {
			want = append(want, s...)
		}
		if !reflect.DeepEqual(f.Data, want) {
			t.Errorf("Data\n got %v\nwant %v", f.Data, want)
		}
	})

	for _, w := range []float64{0.2, 1, 3} {
		t.Run(fmt.Sprintf("behaviour weight %v", w), func(t *testing.T) {
			f := profile.BuildFeatures(tax, ps, profile.FeatureOptions{BehaviourWeight: w})
			if f.Dim != tax.Len()+2 || !reflect.DeepEqual(f.Names, append(shareNames, "log_spend", "active_months")) {
				t.Fatalf("Dim %d Names %q", f.Dim, f.Names)
			}
			if len(f.Data) != len(f.Rows)*f.Dim {
				t.Fatalf("%d values for %d rows of %d", len(f.Data), len(f.Rows), f.Dim)
			}
			for r, s := range shares {
				if got := f.Data[r*f.Dim : r*f.Dim+tax.Len()]; !reflect.DeepEqual(got, s) {
					t.Errorf("row %d shares %v, want %v", r, got, s)
				}
			}
			raw := [][]float64{
				{math.Log1p(100), math.Log1p(1000), math.Log1p(10)},
				{2, 12, 4},
			}
			for c, xs := range raw {
				col := tax.Len() + c
				mean := (xs[0] + xs[1] + xs[2]) / 3
				sd := math.Sqrt(((xs[0]-mean)*(xs[0]-mean) + (xs[1]-mean)*(xs[1]-mean) + (xs[2]-mean)*(xs[2]-mean)) / 3)
				var sum, sq float64
				for r := range xs {
					got := f.Data[r*f.Dim+col]
					if want := w * (xs[r] - mean) / sd; math.Abs(got-want) > 1e-9 {
						t.Errorf("%s row %d = %v, want %v", f.Names[col], r, got, want)
					}
					sum += got
					sq += got * got
				}
				if math.Abs(sum/3) > 1e-9 {
					t.Errorf("%s mean %v, want 0", f.Names[col], sum/3)
				}
				if got := math.Sqrt(sq / 3); math.Abs(got-w) > 1e-9 {
					t.Errorf("%s standard deviation %v, want the weight %v", f.Names[col], got, w)
				}
			}
		})
	}

	t.Run("constant behaviour", func(t *testing.T) {
		ps := []profile.Profile{
			{Cardholder: &ingest.Cardholder{}, Spend: 500, ActiveMonths: 3, Shares: []float64{1, 0, 0, 0}},
			{Cardholder: &ingest.Cardholder{}, Spend: 500, ActiveMonths: 3, Shares: []float64{0, 1, 0, 0}},
		}
		f := profile.BuildFeatures(tax, ps, profile.FeatureOptions{BehaviourWeight: 0.3})
		for r := range f.Rows {
			for c := tax.Len(); c < f.Dim; c++ {
				if v := f.Data[r*f.Dim+c]; v != 0 {
					t.Errorf("row %d %s = %v, want 0", r, f.Names[c], v)
				}
			}
		}
	})

	t.Run("nothing clusterable", func(t *testing.T) {
		f := profile.BuildFeatures(tax, ps[1:2], profile.FeatureOptions{BehaviourWeight: 0.3})
		if len(f.Rows) != 0 || len(f.Data) != 0 || f.Dim != tax.Len()+2 {
			t.Errorf("Rows %v Data %v Dim %d", f.Rows, f.Data, f.Dim)
		}
	})
}

// BenchmarkBuilderAdd measures Add over a year of transactions of 10,000
// cardholders.
func BenchmarkBuilderAdd(b *testing.B) {
	tax := defaultTax(b)
	const holders, perHolder = 10000, 50
	hs := make([]ingest.Cardholder, holders)
	for i := range hs {
		hs[i] = ingest.Cardholder{ID: fmt.Sprintf("C%07d", i), Consent: true}
	}
	codes := []string{"5812", "5411", "5541", "4511", "7011", "5732", "0742", unknownMCC, "3005", "5999"}
	countries := []string{"US", "US", "US", "FR", ""}
	from, _ := profile.Options{End: runEnd}.Window()
	txs := make([]ingest.Transaction, 0, holders*perHolder)
	for i := 0; i < holders*perHolder; i++ {
		amount := int64(100 + i%9000)
		if i%23 == 0 {
			amount = -amount
		}
		txs = append(txs, ingest.Transaction{
			CardholderID: hs[(i*7919)%holders].ID,
			Date:         from.AddDate(0, 0, (i*37)%400-20),
			Amount:       amount,
			MCC:          codes[i%len(codes)],
			Channel:      ingest.Channel(1 + i%2),
			Country:      countries[i%len(countries)],
		})
	}
	bl := profile.NewBuilder(tax, hs, profile.Options{End: runEnd})
	b.ReportAllocs()
	for b.Loop() {
		for i := range txs {
			bl.Add(&txs[i])
		}
	}
	b.ReportMetric(float64(b.N*len(txs))/b.Elapsed().Seconds(), "tx/s")
}

func TestLargestInterests(t *testing.T) {
	tax := smallTax(t)
	dining := profile.Interest{ID: "dining", Name: "Dining"}
	travel := profile.Interest{ID: "travel", Name: "Travel"}
	pets := profile.Interest{ID: "pets", Name: "Pets"}
	tests := []struct {
		name   string
		shares []float64
		n      int
		want   []profile.RankedInterest
	}{
		{"by share", []float64{0.2, 0.5, 0.1, 0.2}, 3, []profile.RankedInterest{{Interest: travel, Share: 0.5}, {Interest: dining, Share: 0.2}, {Interest: pets, Share: 0.1}}},
		{"cut to n", []float64{0.2, 0.5, 0.1, 0.2}, 1, []profile.RankedInterest{{Interest: travel, Share: 0.5}}},
		{"ties in taxonomy order", []float64{0.3, 0.3, 0.3, 0.1}, 3, []profile.RankedInterest{{Interest: dining, Share: 0.3}, {Interest: travel, Share: 0.3}, {Interest: pets, Share: 0.3}}},
		{"other and zero shares left out", []float64{0, 0.4, 0, 0.6}, 3, []profile.RankedInterest{{Interest: travel, Share: 0.4}}},
		{"nothing spent", []float64{0, 0, 0, 0}, 3, nil},
		{"n zero", []float64{1, 0, 0, 0}, 0, nil},
		{"n negative", []float64{1, 0, 0, 0}, -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := profile.LargestInterests(tax, tt.shares, tt.n)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LargestInterests = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Touch reads every part of a profile that has one, and none it lacks:
// a profile without a cardholder, shares or favourites is touched too.
func TestTouch(t *testing.T) {
	full := profile.Profile{Cardholder: &ingest.Cardholder{ID: "C1"}, Shares: []float64{0.5, 0.5},
		TopMerchants: profile.MakeFavourites(profile.Favourite{Interest: "dining", Merchant: "Olive"})}
	for _, tt := range []struct {
		name string
		p    profile.Profile
		min  int
	}{
		{"empty", profile.Profile{}, 0},
		{"shares of nothing", profile.Profile{Shares: []float64{0, 0}}, 2},
		{"all parts", full, len("C1") + 2 + 1 + 1},
	} {
		if got := tt.p.Touch(); got < tt.min {
			t.Errorf("%s: Touch = %d, want at least %d", tt.name, got, tt.min)
		}
	}
}
