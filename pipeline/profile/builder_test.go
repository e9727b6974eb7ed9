package profile_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
)

// dayNum returns a date as days since 1970-01-01.
func dayNum(s string) int32 { return int32(day(s).Unix() / 86400) }

// rec returns a mapped, in-store record of cardholder h in interest k.
func rec(h int, date string, k int, cents int64) ingest.Record {
	return ingest.Record{Holder: int32(h), Day: dayNum(date), Amount: cents, Interest: int16(k),
		Mapped: true, Code: 5812, Flags: ingest.FlagInStore}
}

// holders returns consenting, active cardholders with the given ids, members
// since 2019.
func holders(ids ...string) []ingest.Cardholder {
	hs := make([]ingest.Cardholder, len(ids))
	for i, id := range ids {
		hs[i] = ingest.Cardholder{ID: id, Consent: true, MemberSince: ingest.DateOf(day("2019-03-04"))}
	}
	return hs
}

// build adds recs to a Builder of hs in batches of 3 and returns the
// profiles and stats.
func build(t *testing.T, tax *profile.Taxonomy, hs []ingest.Cardholder, opts profile.Options, names func(uint64) string, recs ...ingest.Record) ([]profile.Profile, profile.Stats) {
	t.Helper()
	if opts.End.IsZero() {
		opts.End = runEnd
	}
	b := profile.NewBuilder(tax, hs, opts)
	for len(recs) > 0 {
		n := min(len(recs), 3)
		b.AddRecords(recs[:n])
		recs = recs[n:]
	}
	ps, err := b.Profiles(context.Background(), names)
	if err != nil {
		t.Fatalf("Profiles: %v", err)
	}
	return ps, b.Stats()
}

func TestAddRecords(t *testing.T) {
	tax := defaultTax(t)
	dining, groceries, other := index(t, tax, "dining"), index(t, tax, "groceries"), tax.Other()
	with := func(r ingest.Record, f func(*ingest.Record)) ingest.Record { f(&r); return r }
	tests := []struct {
		name  string
		recs  []ingest.Record
		stats profile.Stats
		check func(t *testing.T, p profile.Profile)
	}{
		{
			name: "window bounds",
			recs: []ingest.Record{
				rec(0, "2025-10-31", dining, 100), // the day before the window
				rec(0, "2025-11-01", dining, 200), // its first day
				rec(0, "2026-10-31", dining, 400), // its last day
				rec(0, "2026-11-01", dining, 800), // the day after
			},
			stats: profile.Stats{Transactions: 4, InWindow: 2},
			check: func(t *testing.T, p profile.Profile) {
				if p.Spend != 600 || p.ActiveMonths != 2 || !p.LastActive.Equal(day("2026-10-31")) || p.RecencyDays != 0 {
					t.Errorf("Spend %d ActiveMonths %d LastActive %v RecencyDays %d; want 600, 2, 2026-10-31, 0",
						p.Spend, p.ActiveMonths, p.LastActive, p.RecencyDays)
				}
			},
		},
		{
			name: "holder out of range",
			recs: []ingest.Record{
				rec(1, "2026-05-01", dining, 100),
				rec(-1, "2026-05-01", dining, 100),
				rec(1<<30, "2026-05-01", dining, 100),
				rec(0, "2026-05-01", dining, 100),
			},
			stats: profile.Stats{Transactions: 4, InWindow: 1, UnknownHolders: 3},
			check: func(t *testing.T, p profile.Profile) {
				if p.Spend != 100 {
					t.Errorf("Spend %d, want 100", p.Spend)
				}
			},
		},
		{
			name: "day far from the window",
			recs: []ingest.Record{
				rec(0, "2026-05-01", dining, 100),
				with(rec(0, "2026-05-01", dining, 100), func(r *ingest.Record) { r.Day = -1 << 31 }),
				with(rec(0, "2026-05-01", dining, 100), func(r *ingest.Record) { r.Day = 1<<31 - 1 }),
			},
			stats: profile.Stats{Transactions: 3, InWindow: 1},
			check: func(t *testing.T, p profile.Profile) {
				if p.Spend != 100 {
					t.Errorf("Spend %d, want 100", p.Spend)
				}
			},
		},
		{
			name: "interest out of range counts under other",
			recs: []ingest.Record{
				rec(0, "2026-05-01", 999, 100),
				rec(0, "2026-05-01", -2, 300),
			},
			stats: profile.Stats{Transactions: 2, InWindow: 2},
			check: func(t *testing.T, p profile.Profile) {
				if p.Shares[other] != 1 {
					t.Errorf("Shares %v, want all other", p.Shares)
				}
			},
		},
		{
			name: "unmapped codes counted in the window",
			recs: []ingest.Record{
				with(rec(0, "2026-05-01", other, 100), func(r *ingest.Record) { r.Mapped, r.Code = false, 1 }),
				with(rec(0, "2026-05-02", other, 100), func(r *ingest.Record) { r.Mapped, r.Code = false, 1 }),
				with(rec(0, "2026-05-03", other, 100), func(r *ingest.Record) { r.Mapped, r.Code = false, 9999 }),
				// A category, not a code: ingest counts it.
				with(rec(0, "2026-05-04", other, 100), func(r *ingest.Record) { r.Mapped, r.Code = false, -1 }),
				with(rec(0, "2026-05-05", other, 100), func(r *ingest.Record) { r.Mapped, r.Code = false, 10000 }),
				// Mapped to other on purpose: not unmapped.
				with(rec(0, "2026-05-06", other, 100), func(r *ingest.Record) { r.Code = 763 }),
				with(rec(0, "2025-05-01", other, 100), func(r *ingest.Record) { r.Mapped, r.Code = false, 2 }),
				with(rec(5, "2026-05-01", other, 100), func(r *ingest.Record) { r.Mapped, r.Code = false, 3 }),
			},
			stats: profile.Stats{Transactions: 8, InWindow: 6, UnknownHolders: 1, Unmapped: map[string]int{"0001": 2, "9999": 1}},
		},
		{
			name: "flags, refunds and tickets",
			recs: []ingest.Record{
				with(rec(0, "2026-05-01", dining, 1000), func(r *ingest.Record) { r.Flags = ingest.FlagOnline }),
				with(rec(0, "2026-05-02", dining, 3000), func(r *ingest.Record) { r.Flags = ingest.FlagInStore | ingest.FlagForeign }),
				with(rec(0, "2026-05-03", groceries, 6001), func(r *ingest.Record) { r.Flags = ingest.FlagOnline | ingest.FlagForeign }),
				with(rec(0, "2026-06-03", groceries, -5000), func(r *ingest.Record) { r.Flags = ingest.FlagOnline | ingest.FlagForeign }),
				with(rec(0, "2026-06-04", dining, 0), func(r *ingest.Record) { r.Flags = ingest.FlagOnline }),
			},
			stats: profile.Stats{Transactions: 5, InWindow: 5},
			check: func(t *testing.T, p profile.Profile) {
				got := []any{p.Spend, p.Transactions, p.ActiveMonths, p.TransactionsPerMonth, p.AverageTicket, p.OnlineShare, p.ForeignShare}
				// Gross 100.01 over 3 purchases is 33.336..., rounded.
				want := []any{int64(5001), 5, 2, 2.5, int64(3334), div(7001, 10001), div(9001, 10001)}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Spend, Transactions, ActiveMonths, TransactionsPerMonth, AverageTicket, OnlineShare, ForeignShare\n got %v\nwant %v", got, want)
				}
				if want := div(4000, 5001)*div(4000, 5001) + div(1001, 5001)*div(1001, 5001); !near(p.Concentration, want) {
					t.Errorf("Concentration %v, want %v", p.Concentration, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, st := build(t, tax, holders("A"), profile.Options{}, nil, tt.recs...)
			// Where the records fall against the window is TestDataRange's.
			st.Before, st.After, st.First, st.Last = 0, 0, time.Time{}, time.Time{}
			if !reflect.DeepEqual(st, tt.stats) {
				t.Errorf("Stats %+v, want %+v", st, tt.stats)
			}
			if tt.check != nil {
				tt.check(t, ps[0])
			}
		})
	}
}

// TestAddEqualsAddRecords checks that Add converts transactions to the
// records the fast path would make.
func TestAddEqualsAddRecords(t *testing.T) {
	tax := defaultTax(t)
	hs := holders("A", "B")
	txs := []ingest.Transaction{
		{CardholderID: "A", Date: day("2026-01-15"), Amount: 1234, MCC: "5812", Merchant: "Olive & Thyme", Channel: ingest.ChannelOnline, Country: "US"},
		{CardholderID: "A", Date: day("2026-02-15"), Amount: 99, MCC: "742", Merchant: "PAWS", Channel: ingest.ChannelInStore, Country: "FR"},
		{CardholderID: "A", Date: day("2026-03-15"), Amount: -50, MCC: "0001", Country: ""},
		{CardholderID: "B", Date: day("2025-11-01"), Amount: 700, MCC: "5411", Merchant: "OLIVE & THYME"},
		{CardholderID: "Z", Date: day("2026-03-15"), Amount: 5, MCC: "5812"},
	}
	recs := []ingest.Record{
		{Holder: 0, Day: dayNum("2026-01-15"), Amount: 1234, Interest: int16(index(t, tax, "dining")), Mapped: true, Code: 5812,
			Merchant: ingest.MerchantKey([]byte("Olive & Thyme")), Flags: ingest.FlagOnline},
		{Holder: 0, Day: dayNum("2026-02-15"), Amount: 99, Interest: int16(index(t, tax, "pets")), Mapped: true, Code: 742,
			Merchant: ingest.MerchantKey([]byte("PAWS")), Flags: ingest.FlagInStore | ingest.FlagForeign},
		{Holder: 0, Day: dayNum("2026-03-15"), Amount: -50, Interest: int16(tax.Other()), Code: 1},
		{Holder: 1, Day: dayNum("2025-11-01"), Amount: 700, Interest: int16(index(t, tax, "groceries")), Mapped: true, Code: 5411,
			Merchant: ingest.MerchantKey([]byte("Olive & Thyme"))},
		{Holder: 2, Day: dayNum("2026-03-15"), Amount: 5, Interest: int16(index(t, tax, "dining")), Mapped: true, Code: 5812},
	}
	slow := profile.NewBuilder(tax, hs, profile.Options{End: runEnd, HomeCountry: "us"})
	for i := range txs {
		slow.Add(&txs[i])
	}
	got, err := slow.Profiles(context.Background(), slow.MerchantName)
	if err != nil {
		t.Fatal(err)
	}
	names := map[uint64]string{recs[0].Merchant: "Olive & Thyme", recs[1].Merchant: "PAWS"}
	want, wantStats := build(t, tax, hs, profile.Options{}, func(k uint64) string { return names[k] }, recs...)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Add\n got %+v\nwant %+v", got, want)
	}
	if st := slow.Stats(); !reflect.DeepEqual(st, wantStats) {
		t.Errorf("Stats %+v, want %+v", st, wantStats)
	}
	if got[0].FavouriteMerchant != "Olive & Thyme" || got[1].TopMerchants.Get("groceries") != "Olive & Thyme" {
		t.Errorf("merchants %q %v: want the first spelling", got[0].FavouriteMerchant, got[1].TopMerchants)
	}
	if n := slow.MerchantName(12345); n != "" {
		t.Errorf("MerchantName of an unknown key = %q", n)
	}
}

func TestAddRecordsAllocs(t *testing.T) {
	tax := defaultTax(t)
	b := profile.NewBuilder(tax, holders("A", "B"), profile.Options{End: runEnd})
	recs := make([]ingest.Record, 0, 64)
	for i := range 64 {
		r := rec(i%3, "2026-05-01", i%tax.Len(), int64(i*100-700))
		r.Merchant = uint64(i%9 + 1)
		r.Mapped = i%5 != 0
		recs = append(recs, r)
	}
	if n := testing.AllocsPerRun(100, func() { b.AddRecords(recs) }); n != 0 {
		t.Errorf("AddRecords allocates %v times per batch, want 0", n)
	}
}

// merchant is a purchase for TestBuilderMerchants.
type merchant struct {
	name     string // "" for none
	interest string
	cents    int64
}

func TestBuilderMerchants(t *testing.T) {
	tax := defaultTax(t)
	keyOf := func(name string) uint64 { return ingest.MerchantKey([]byte(name)) }
	many := func(prefix, interest string, n int, cents int64) []merchant {
		var out []merchant
		for i := range n {
			out = append(out, merchant{fmt.Sprintf("%s %d", prefix, i), interest, cents})
		}
		return out
	}
	cat := func(ms ...[]merchant) []merchant {
		var out []merchant
		for _, m := range ms {
			out = append(out, m...)
		}
		return out
	}
	tests := []struct {
		name      string
		purchases []merchant
		share     float64
		top       map[string]string
		favourite string
		unnamed   bool // names resolve to ""
	}{
		{
			name:      "one merchant",
			purchases: []merchant{{"Olive & Thyme", "dining", 1000}},
			top:       map[string]string{"dining": "Olive & Thyme"}, favourite: "Olive & Thyme",
		},
		{
			name: "most spend wins, not most visits",
			purchases: []merchant{
				{"Café", "dining", 300}, {"Café", "dining", 300}, {"Bistro", "dining", 2000},
				{"Café", "dining", 300}, {"Café", "dining", 300}, {"Café", "dining", 300},
			},
			top: map[string]string{"dining": "Bistro"}, favourite: "Bistro",
		},
		{
			name:      "ties go to the first seen",
			purchases: []merchant{{"Bistro", "dining", 1000}, {"Café", "dining", 1000}},
			top:       map[string]string{"dining": "Bistro"}, favourite: "Bistro",
		},
		{
			name: "one favourite per interest",
			purchases: []merchant{
				{"Bistro", "dining", 1000}, {"Corner Deli", "groceries", 5000}, {"QuickPump", "fuel", 2500},
				{"Big Mart", "groceries", 4000},
			},
			top:       map[string]string{"dining": "Bistro", "groceries": "Corner Deli", "fuel": "QuickPump"},
			favourite: "Corner Deli",
		},
		{
			name:      "under 10% of the interest's spend",
			purchases: []merchant{{"", "dining", 9001}, {"Bistro", "dining", 999}, {"", "fuel", 100000}},
		},
		{
			name:      "exactly 10%",
			purchases: []merchant{{"", "dining", 9000}, {"Bistro", "dining", 1000}},
			top:       map[string]string{"dining": "Bistro"}, favourite: "Bistro",
		},
		{
			name:      "the share is configurable",
			purchases: []merchant{{"", "dining", 7000}, {"Bistro", "dining", 3000}},
			share:     0.31,
		},
		{
			name:      "refunds are no purchases",
			purchases: []merchant{{"Bistro", "dining", -5000}, {"Café", "dining", 6000}},
			top:       map[string]string{"dining": "Café"}, favourite: "Café",
		},
		{
			name:      "no favourite where net spend is not positive",
			purchases: []merchant{{"Bistro", "dining", 1000}, {"", "dining", -1000}, {"QuickPump", "fuel", 500}},
			top:       map[string]string{"fuel": "QuickPump"}, favourite: "Bistro",
		},
		{
			name:      "other is no interest to name",
			purchases: []merchant{{"Mystery Co", "other", 1000}},
			favourite: "Mystery Co",
		},
		{
			name: "the heavy merchant survives many one-offs",
			purchases: cat([]merchant{{"Corner Deli", "groceries", 5000}},
				many("Stall", "groceries", 20, 100), []merchant{{"Corner Deli", "groceries", 100}}),
			top: map[string]string{"groceries": "Corner Deli"}, favourite: "Corner Deli",
		},
		{
			// The newcomer takes the slot of the least spend and inherits
			// it: ranked by that estimate it would win with 0.10.
			name:      "a late one-off does not win on inherited spend",
			purchases: cat(many("Diner", "dining", 6, 1000), []merchant{{"Late Bar", "dining", 10}}),
			top:       map[string]string{"dining": "Diner 1"}, favourite: "Diner 1",
		},
		{
			name:      "a merchant's spend adds up over interests for the favourite",
			purchases: []merchant{{"Mart", "dining", 600}, {"Bistro", "dining", 1000}, {"Mart", "groceries", 600}},
			top:       map[string]string{"dining": "Bistro", "groceries": "Mart"}, favourite: "Mart",
		},
		{
			name:      "names not known",
			purchases: []merchant{{"Bistro", "dining", 1000}},
			unnamed:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := map[uint64]string{}
			var recs []ingest.Record
			for i, m := range tt.purchases {
				r := rec(0, time.Date(2026, 1, 1+i%28, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), index(t, tax, m.interest), m.cents)
				if m.name != "" {
					r.Merchant = keyOf(m.name)
					if !tt.unnamed {
						names[r.Merchant] = m.name
					}
				}
				recs = append(recs, r)
			}
			resolve := func(k uint64) string { return names[k] }
			ps, _ := build(t, tax, holders("A"), profile.Options{TopMerchantShare: tt.share}, resolve, recs...)
			if p := ps[0]; !reflect.DeepEqual(p.TopMerchants.Map(), tt.top) || p.FavouriteMerchant != tt.favourite {
				t.Errorf("TopMerchants %v FavouriteMerchant %q; want %v %q", p.TopMerchants, p.FavouriteMerchant, tt.top, tt.favourite)
			}
			// Without names, no merchant is named.
			ps, _ = build(t, tax, holders("A"), profile.Options{TopMerchantShare: tt.share}, nil, recs...)
			if p := ps[0]; p.TopMerchants.Len() != 0 || p.FavouriteMerchant != "" {
				t.Errorf("with nil names: TopMerchants %v FavouriteMerchant %q; want none", p.TopMerchants, p.FavouriteMerchant)
			}
		})
	}
}

// TestProfilesTwice checks that Profiles consumes the Builder: a second
// call is an error, not profiles made from released accumulators; and that
// the profiles' Shares do not spill into each other.
func TestProfilesTwice(t *testing.T) {
	tax := defaultTax(t)
	b := profile.NewBuilder(tax, testHolders(), profile.Options{End: runEnd})
	txs := testTransactions()
	for i := range txs {
		b.Add(&txs[i])
	}
	first, err := b.Profiles(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Profiles(context.Background(), nil); err == nil {
		t.Fatal("a second call to Profiles succeeded")
	}
	if got := cap(first[0].Shares); got != tax.Len() {
		t.Errorf("cap(Shares) = %d, want %d: appending must not spill into the next profile", got, tax.Len())
	}
}

// steady returns records of cardholder h: one purchase in each listed
// month of the window ending in runEnd (0 is 2025-11), alternating
// between the given interests.
func steady(h int, months []int, cents int64, interests ...int) []ingest.Record {
	var out []ingest.Record
	for i, m := range months {
		d := time.Date(2025, time.Month(11+m), 10, 0, 0, 0, 0, time.UTC)
		out = append(out, rec(h, d.Format("2006-01-02"), interests[i%len(interests)], cents))
	}
	return out
}

// monthsFrom returns the month indexes lo to hi-1.
func monthsFrom(lo, hi int) []int {
	var out []int
	for m := lo; m < hi; m++ {
		out = append(out, m)
	}
	return out
}

func TestBuilderRelationship(t *testing.T) {
	tax := defaultTax(t)
	dining, groceries, fuel := index(t, tax, "dining"), index(t, tax, "groceries"), index(t, tax, "fuel")
	member := func(id, since string, cancelled bool) ingest.Cardholder {
		return ingest.Cardholder{ID: id, Consent: true, MemberSince: ingest.DateOf(day(since)), Cancelled: cancelled}
	}
	hs := []ingest.Cardholder{
		member("committed", "2015-06-01", false),
		member("newcomer", "2025-06-01", false),
		member("lapsing", "2015-06-01", false),
		member("niche", "2015-06-01", false),
		member("sporadic", "2015-06-01", false),
		member("cancelled", "2015-06-01", true),
		member("idle", "2015-06-01", false),
	}
	var recs []ingest.Record
	recs = append(recs, steady(0, monthsFrom(0, 12), 8000, dining, groceries, fuel)...)
	recs = append(recs, steady(1, monthsFrom(0, 12), 8000, dining, groceries, fuel)...)
	recs = append(recs, steady(2, monthsFrom(0, 8), 8000, dining, groceries)...)
	recs = append(recs, steady(3, monthsFrom(0, 12), 8000, fuel)...)
	recs = append(recs, steady(4, []int{1, 6, 11}, 8000, dining)...)
	recs = append(recs, steady(5, monthsFrom(0, 12), 8000, dining, groceries)...)
	ps, _ := build(t, tax, hs, profile.Options{}, nil, recs...)
	want := []profile.Relationship{
		profile.RelationshipLostForGood,
		profile.RelationshipIntermediate, // steady and broad, but a member for a year and a half
		profile.RelationshipLapsing,
		profile.RelationshipIntermediate, // steady but one interest only
		profile.RelationshipAlwaysAShare,
		profile.RelationshipLost,
		profile.RelationshipInactive,
	}
	for i, p := range ps {
		if p.Relationship != want[i] {
			t.Errorf("%s: %q, want %q", p.ID, p.Relationship, want[i])
		}
	}
	// Rules are options.
	ps, _ = build(t, tax, hs, profile.Options{Rules: profile.RelationshipRules{CommittedTenureYears: 1}}, nil, recs...)
	if got := ps[1].Relationship; got != profile.RelationshipLostForGood {
		t.Errorf("newcomer with 1 year of tenure required: %q, want %q", got, profile.RelationshipLostForGood)
	}
}

// BenchmarkAddRecords measures AddRecords over a million compact records
// of a year, 20 per cardholder: 10,000 cardholders with interleaved records
// (accumulators in cache); each cardholder's records together, as a
// generated file has them; and 1 million cardholders in random order, as
// in an export sorted by date, where every record misses the cache.
func BenchmarkAddRecords(b *testing.B) {
	tax := defaultTax(b)
	from, _ := profile.Options{End: runEnd}.Window()
	first := int32(from.Unix() / 86400)
	for _, bc := range []struct {
		name    string
		holders int
		order   string
	}{
		{"1k-interleaved", 1_000, "interleaved"},
		{"10k-interleaved", 10_000, "interleaved"},
		{"50k-grouped", 1 << 20 / 20, "grouped"},
		{"1M-random", 1_000_000, "random"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const perHolder = 20
			hs := make([]ingest.Cardholder, bc.holders)
			recs := make([]ingest.Record, 0, 1<<20)
			x := uint64(1)
			for i := range 1 << 20 {
				x = x*6364136223846793005 + 1442695040888963407
				var h int
				switch bc.order {
				case "grouped":
					h = i / perHolder % bc.holders
				case "interleaved":
					h = i * 7919 % bc.holders
				default:
					h = int(x>>11) % bc.holders
				}
				amount := int64(x>>40)%20000 + 100
				if i%23 == 0 {
					amount = -amount
				}
				// Each cardholder shops at a dozen merchants of a few
				// hundred in the neighbourhood.
				merchant := uint64(h)*31 + (x>>33)%12 + 1
				recs = append(recs, ingest.Record{
					Holder: int32(h), Day: first + int32((x>>20)%400) - 20, Amount: amount,
					Merchant: merchant, Interest: int16((x >> 50) % uint64(tax.Len())), Mapped: i%97 != 0,
					Code: int16(5000 + i%100), Flags: ingest.RecordFlags(1 + i%2),
				})
			}
			bl := profile.NewBuilder(tax, hs, profile.Options{End: runEnd})
			const batch = 4096
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := 0; i < len(recs); i += batch {
					bl.AddRecords(recs[i:min(i+batch, len(recs))])
				}
			}
			b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkProfiles measures Profiles over 100,000 cardholders with 20
// purchases each at a dozen merchants, and reports the bytes it allocates
// per cardholder: the profiles' own memory, the merchant maps included.
// benchBuilder returns a builder of the cardholders hs, each with twenty
// transactions over eight interests at 500 x 12 merchants, and the
// merchants' names.
func benchBuilder(tax *profile.Taxonomy, hs []ingest.Cardholder) (*profile.Builder, map[uint64]string) {
	from, _ := profile.Options{End: runEnd}.Window()
	first := int32(from.Unix() / 86400)
	bl := profile.NewBuilder(tax, hs, profile.Options{End: runEnd})
	names := map[uint64]string{}
	x := uint64(1)
	recs := make([]ingest.Record, 0, 20)
	for h := range hs {
		recs = recs[:0]
		for range 20 {
			x = x*6364136223846793005 + 1442695040888963407
			m := uint64(h%500)*31 + (x>>33)%12 + 1
			names[m] = fmt.Sprintf("Merchant %d", m)
			recs = append(recs, ingest.Record{Holder: int32(h), Day: first + int32((x>>20)%365), Amount: int64(x>>40)%20000 + 100,
				Merchant: m, Interest: int16((x >> 50) % 8), Mapped: true})
		}
		bl.AddRecords(recs)
	}
	return bl, names
}

func BenchmarkProfiles(b *testing.B) {
	tax := defaultTax(b)
	const holders = 100_000
	hs := make([]ingest.Cardholder, holders)
	for i := range hs {
		hs[i] = ingest.Cardholder{ID: fmt.Sprintf("C%07d", i), Consent: true, MemberSince: ingest.DateOf(day("2015-01-01"))}
	}
	// Profiles consumes its Builder: each iteration gets a new one, made
	// with the timer stopped and its allocations left out.
	var alloc uint64
	var before, after runtime.MemStats
	for b.Loop() {
		b.StopTimer()
		bl, names := benchBuilder(tax, hs)
		runtime.ReadMemStats(&before)
		b.StartTimer()
		if _, err := bl.Profiles(context.Background(), func(k uint64) string { return names[k] }); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.ReadMemStats(&after)
		alloc += after.TotalAlloc - before.TotalAlloc
		b.StartTimer()
	}
	b.ReportMetric(float64(alloc)/float64(b.N)/holders, "B/cardholder")
	b.ReportMetric(float64(b.N)*holders/b.Elapsed().Seconds(), "cardholders/s")
}

// TestBuilderBlocks spans several blocks of accumulators.
func TestBuilderBlocks(t *testing.T) {
	tax := defaultTax(t)
	holders := make([]ingest.Cardholder, 40000)
	for i := range holders {
		holders[i] = ingest.Cardholder{ID: fmt.Sprint("C", i), Consent: true}
	}
	b := profile.NewBuilder(tax, holders, profile.Options{End: runEnd})
	day := int32(runEnd.Unix() / 86400)
	var recs []ingest.Record
	for _, h := range []int32{0, 16383, 16384, 20000, 39999} {
		recs = append(recs, ingest.Record{Holder: h, Day: day, Amount: int64(h) + 1, Mapped: true})
	}
	b.AddRecords(recs)
	ps, err := b.Profiles(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []int{0, 16383, 16384, 20000, 39999} {
		if ps[h].Spend != int64(h)+1 || ps[h].Transactions != 1 {
			t.Errorf("holder %d: spend %d, transactions %d", h, ps[h].Spend, ps[h].Transactions)
		}
	}
	if ps[1].Spend != 0 || ps[39998].Transactions != 0 {
		t.Errorf("holders without records: %+v %+v", ps[1].Spend, ps[39998].Transactions)
	}
}

// TestDataRange checks where the records fall against the window: before
// it, after it, and the first and last dates of a known cardholder's,
// over batches; records of unknown holders count in neither.
func TestDataRange(t *testing.T) {
	tax := defaultTax(t)
	dining, _ := tax.Index("dining")
	b := profile.NewBuilder(tax, holders("A"), profile.Options{End: runEnd})
	b.AddRecords([]ingest.Record{rec(0, "2026-03-01", dining, 100), rec(0, "2025-10-31", dining, 100)})
	b.AddRecords(nil)
	b.AddRecords([]ingest.Record{rec(0, "2026-11-01", dining, 100), rec(0, "2026-12-25", dining, 100), rec(7, "2020-01-01", dining, 1), rec(0, "2025-01-02", dining, 100)})
	st := b.Stats()
	if st.Before != 2 || st.After != 2 || st.InWindow != 1 || st.UnknownHolders != 1 ||
		!st.First.Equal(day("2025-01-02")) || !st.Last.Equal(day("2026-12-25")) {
		t.Errorf("Stats %+v", st)
	}
	if st := profile.NewBuilder(tax, holders("A"), profile.Options{End: runEnd}).Stats(); !st.First.IsZero() || !st.Last.IsZero() {
		t.Errorf("no records: first %v, last %v", st.First, st.Last)
	}
}

// TestCredits checks the policy for negative amounts: a refund (with a
// merchant code or a mapped category) nets against its interest's spend;
// a payment or credit to the card (neither) is left out and counted, so
// that a card repaid by direct debit keeps its purchases.
func TestCredits(t *testing.T) {
	tax := defaultTax(t)
	dining := index(t, tax, "dining")
	payment := func(date string, cents int64) ingest.Record {
		r := rec(0, date, tax.Other(), cents)
		r.Code, r.Mapped = -1, false
		return r
	}
	category := rec(0, "2026-06-03", dining, -500)
	category.Code = -1 // a mapped category, no code: a refund
	ps, st := build(t, tax, holders("A"), profile.Options{}, nil,
		rec(0, "2026-06-01", dining, 10000),
		rec(0, "2026-06-02", dining, -2000), // a refund at a restaurant
		category,
		payment("2026-06-20", -65600), // the monthly repayment
		payment("2025-06-20", -1000),  // before the window: counted there
	)
	p := ps[0]
	if p.Spend != 7500 || p.Status() != profile.StatusMail {
		t.Errorf("spend %d, status %s; want 7500 (the refunds netted, the repayment left out), mail", p.Spend, p.Status())
	}
	if st.Credits != 1 || st.CreditCents != -65600 || st.InWindow != 3 || st.Before != 1 {
		t.Errorf("Stats %+v", st)
	}
}

// BenchmarkWriteCSV writes the profiles.csv of 100,000 cardholders with
// twenty transactions each over eight interests, as a run writes it.
func BenchmarkWriteCSV(b *testing.B) {
	tax := defaultTax(b)
	const holders = 100_000
	hs := make([]ingest.Cardholder, holders)
	for i := range hs {
		hs[i] = ingest.Cardholder{ID: fmt.Sprintf("C%07d", i), FirstName: "Ann", LastName: "Lee", Email: fmt.Sprintf("ann%d@example.com", i),
			Locale: "en-US", Tier: "gold", Consent: true, MemberSince: ingest.DateOf(day("2015-01-01"))}
	}
	bl, names := benchBuilder(tax, hs)
	ps, err := bl.Profiles(context.Background(), func(k uint64) string { return names[k] })
	if err != nil {
		b.Fatal(err)
	}
	var n countWriter
	for b.Loop() {
		n = 0
		if err := profile.WriteCSV(&n, tax, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(n))
}

// countWriter counts the bytes written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// Records added in any order give the same profiles and stats as long as
// each cardholder's come in the same order: the order of a file grouped by
// cardholder, of one in date order (held back and sorted), and of one that
// changes from one to the other batch after batch. Each cardholder shops
// at more merchants than the sketch keeps, so that a change in the order of
// one cardholder's purchases changes the favourites.
func TestAddRecordsInAnyOrder(t *testing.T) {
	tax := defaultTax(t)
	const n = 40000 // more cardholders than a file in date order is sorted from
	hs := make([]ingest.Cardholder, n)
	for i := range hs {
		hs[i] = ingest.Cardholder{ID: fmt.Sprint("C", i), Consent: true, MemberSince: ingest.DateOf(day("2019-03-04"))}
	}
	from, _ := profile.Options{End: runEnd}.Window()
	first := int32(from.Unix() / 86400)
	r := rand.New(rand.NewPCG(3, 4))
	// Each cardholder's records, in their order.
	own := make([][]ingest.Record, n+2)
	total := 0
	for h := range own {
		for range r.IntN(14) {
			rc := ingest.Record{Holder: int32(h), Day: first + int32(r.IntN(420)) - 20, Amount: int64(r.IntN(40000)) - 2000,
				Interest: int16(r.IntN(tax.Len())), Mapped: r.IntN(30) != 0, Code: int16(5000 + r.IntN(90)),
				Merchant: uint64(r.IntN(12) + 1), Flags: ingest.RecordFlags(1 + r.IntN(2))}
			if r.IntN(40) == 0 {
				rc.Amount, rc.Code, rc.Mapped = -rc.Amount-1, -1, false // a payment to the card
			}
			switch h {
			case n:
				rc.Holder = -1 // no cardholder
			case n + 1:
				rc.Holder = n
			}
			own[h] = append(own[h], rc)
			total++
		}
	}
	grouped := make([]ingest.Record, 0, total)
	for _, rs := range own {
		grouped = append(grouped, rs...)
	}
	// In date order: the cardholders' records interleaved at random, each
	// one's still in its order.
	dated := make([]ingest.Record, 0, total)
	next := make([]int, len(own))
	live := make([]int, 0, len(own))
	for h, rs := range own {
		if len(rs) > 0 {
			live = append(live, h)
		}
	}
	for len(live) > 0 {
		i := r.IntN(len(live))
		h := live[i]
		dated = append(dated, own[h][next[h]])
		if next[h]++; next[h] == len(own[h]) {
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
		}
	}
	// Changing: a grouped file's batches between a dated file's.
	var changing []ingest.Record
	half := make([][]ingest.Record, len(own))
	for h, rs := range own {
		half[h] = rs[:len(rs)/2]
		if h%3 == 0 {
			changing = append(changing, half[h]...)
		}
	}
	for _, rc := range dated {
		if h := int(rc.Holder); h >= 0 && h < n && h%3 != 0 || h < 0 || h >= n {
			changing = append(changing, rc)
		}
	}
	for h, rs := range own {
		if h%3 == 0 {
			changing = append(changing, rs[len(rs)/2:]...)
		}
	}

	profiles := func(recs []ingest.Record, batches []int) ([]profile.Profile, profile.Stats) {
		b := profile.NewBuilder(tax, hs, profile.Options{End: runEnd})
		for i := 0; len(recs) > 0; i++ {
			k := min(len(recs), batches[i%len(batches)])
			b.AddRecords(recs[:k])
			recs = recs[k:]
		}
		ps, err := b.Profiles(context.Background(), func(k uint64) string { return fmt.Sprint("Merchant ", k) })
		if err != nil {
			t.Fatal(err)
		}
		return ps, b.Stats()
	}
	want, wantStats := profiles(grouped, []int{4096})
	for _, tc := range []struct {
		name    string
		recs    []ingest.Record
		batches []int
	}{
		{"dated", dated, []int{4096}},
		{"dated, uneven batches", dated, []int{20000, 3, 777, 50000}},
		{"changing order", changing, []int{500, 4096, 1}},
	} {
		got, st := profiles(tc.recs, tc.batches)
		if !reflect.DeepEqual(st, wantStats) {
			t.Errorf("%s: stats %+v, want %+v", tc.name, st, wantStats)
		}
		diffs := 0
		for h := range got {
			if !reflect.DeepEqual(got[h], want[h]) {
				if diffs++; diffs <= 3 {
					t.Errorf("%s: cardholder %d:\n got %+v\nwant %+v", tc.name, h, got[h], want[h])
				}
			}
		}
		if diffs > 0 {
			t.Errorf("%s: %d of %d profiles differ from those of the grouped records", tc.name, diffs, n)
		}
	}
}
