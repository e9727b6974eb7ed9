package profile

import (
	"context"
	"errors"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

// acc accumulates one cardholder's transactions. Its net spend per interest
// lives in Builder.spend, so that acc has a fixed size.
type acc struct {
	gross     int64  // purchases, cents
	online    int64  // purchases online, cents
	foreign   int64  // purchases abroad, cents
	recent    int64  // net spend in the window's last 3 months, cents
	months    uint64 // bit i: month i of the window had a transaction
	n         int32  // transactions
	purchases int32  // transactions with a positive amount
	last      int32  // day of the latest transaction, from the window's start, plus one; 0: none
	top       sketch // favourite merchants
}

// Builder aggregates transactions into profiles. It keeps one fixed-size
// accumulator per cardholder, so memory grows with cardholders, not with
// transactions (see TestAccumulatorSize for the figure). A Builder is not
// safe for concurrent use.
type Builder struct {
	tax     *Taxonomy
	opts    Options
	rules   RelationshipRules // with defaults
	holders []ingest.Cardholder
	// The accumulators come in blocks of accBlock cardholders, so that
	// Profiles can give each block back as soon as its profiles are made:
	// accumulators and profiles are never all alive at once.
	accs [][]acc
	// spend holds the net spend per cardholder and interest, cents, in
	// blocks like accs: cardholder h's row is block h/accBlock, from
	// (h%accBlock)*n. The cents are whole numbers in float64, exact below
	// 2^53 (ingest refuses amounts above 2^52), so that Profiles can turn
	// each row into the profile's shares in place, without a second array.
	spend [][]float64
	n     int // interests
	// fromDay and toDay bound the window in days since 1970-01-01:
	// [fromDay, toDay). A day d of the window has the offset d-fromDay;
	// offsets from recentFrom on are in the last 3 months.
	fromDay, toDay int32
	recentFrom     uint32
	// monthOf maps a day offset to the index of its month in the window.
	monthOf []uint8

	stats Stats
	// firstDay and lastDay are the days of the earliest and latest
	// transactions of known cardholders, in or out of the window; seen
	// says there was one.
	firstDay, lastDay int32
	seen              bool
	unmapped          [10000]int // in-window transactions by unmapped code
	consumed          bool       // Profiles has run

	// pending holds records of batches in no cardholder order, to be
	// added in cardholder order once there are enough of them (see
	// AddRecords); spare is the sort's second buffer.
	pending, spare []ingest.Record
	touched        int64

	// index and names serve Add, the slow path: built on first use.
	index map[string]int
	names map[uint64]string
}

// Stats counts what the Builder saw.
type Stats struct {
	// Transactions added; InWindow of them fell inside the window and
	// belong to a known cardholder.
	Transactions int `json:"transactions"`
	InWindow     int `json:"in_window"`
	// UnknownHolders counts transactions of no known cardholder (an id
	// Known does not know, or a record's holder index out of range).
	UnknownHolders int `json:"unknown_holders,omitempty"`
	// Before and After count the transactions of known cardholders
	// before and after the window; First and Last are the dates of the
	// earliest and latest of them all, zero without any.
	// Credits counts the in-window transactions left out as payments or
	// credits to the card (a negative amount with neither a merchant
	// category code nor a mapped category, such as a direct debit
	// repayment), and CreditCents their total, negative: they are no
	// refund of a purchase, and netting them would wipe out real spend.
	Credits     int       `json:"credits,omitempty"`
	CreditCents int64     `json:"credit_cents,omitempty"`
	Before      int       `json:"before_window,omitempty"`
	After       int       `json:"after_window,omitempty"`
	First       time.Time `json:"first,omitzero"`
	Last        time.Time `json:"last,omitzero"`
	// Unmapped counts in-window transactions whose merchant category code
	// has no interest, by 4-digit code; they count under the "other"
	// interest. Unknown categories are counted by ingest.
	Unmapped map[string]int `json:"unmapped,omitempty"`
}

// NewBuilder returns a Builder for the given cardholders; a record's Holder
// is an index into holders.
func NewBuilder(tax *Taxonomy, holders []ingest.Cardholder, opts Options) *Builder {
	opts.Months = opts.months()
	// Ingest upper-cases country codes; so must the home country be.
	opts.HomeCountry = strings.ToUpper(opts.HomeCountry)
	if opts.HomeCountry == "" {
		opts.HomeCountry = DefaultHomeCountry
	}
	if !(opts.TopMerchantShare > 0) {
		opts.TopMerchantShare = DefaultTopMerchantShare
	}
	b := &Builder{
		tax: tax, opts: opts, rules: opts.Rules.withDefaults(), holders: holders, n: tax.Len(),
	}
	for lo := 0; lo < len(holders); lo += accBlock {
		size := min(accBlock, len(holders)-lo)
		b.accs = append(b.accs, make([]acc, size))
		b.spend = append(b.spend, make([]float64, size*b.n))
	}
	from, to := opts.Window()
	b.fromDay, b.toDay = epochDay(from), epochDay(to)
	b.recentFrom = uint32(max(epochDay(to.AddDate(0, -3, 0))-b.fromDay, 0))
	b.monthOf = make([]uint8, b.toDay-b.fromDay)
	for m := 0; m < opts.Months; m++ {
		lo := epochDay(from.AddDate(0, m, 0)) - b.fromDay
		hi := epochDay(from.AddDate(0, m+1, 0)) - b.fromDay
		for d := lo; d < hi; d++ {
			b.monthOf[d] = uint8(m)
		}
	}
	return b
}

// accBlock is the number of cardholders per block of accumulators.
const accBlock = 1 << 14

// acc returns cardholder h's accumulator and spend row.
func (b *Builder) acc(h int) (*acc, []float64) {
	blk, i := h/accBlock, h%accBlock
	return &b.accs[blk][i], b.spend[blk][i*b.n : (i+1)*b.n : (i+1)*b.n]
}

// epochDay returns the day of t, in UTC, in days since 1970-01-01.
func epochDay(t time.Time) int32 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int32(d)
}

// dayTime returns the UTC midnight of a day number.
func dayTime(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Known reports whether id is one of the Builder's cardholders.
func (b *Builder) Known(id string) bool {
	_, ok := b.holderIndex()[id]
	return ok
}

func (b *Builder) holderIndex() map[string]int {
	if b.index == nil {
		b.index = make(map[string]int, len(b.holders))
		for i := range b.holders {
			b.index[b.holders[i].ID] = i
		}
	}
	return b.index
}

// AddRecords adds a batch of compact records, as ingest's fast path hands
// them on in file order. A record's Holder indexes the cardholders given to
// NewBuilder; records outside the window are counted and otherwise ignored,
// and so are records of a holder out of range and payments or credits to
// the card (see Stats.Credits).
//
// Merchants are kept per cardholder in a sketch whose content depends on the
// order of each cardholder's records: the same file gives the same
// favourites.
//
// A file that keeps each cardholder's records together is added as it
// comes, without allocating. Records in no cardholder order, as in an
// export sorted by date, would each miss the cache on their accumulator:
// they are held back, up to one per cardholder, and added sorted by
// cardholder, each cardholder's in file order, in one sweep over the
// accumulators (BenchmarkAddRecords: 1M-random).
func (b *Builder) AddRecords(recs []ingest.Record) {
	if len(b.holders) > scatterFrom && scattered(recs) {
		if b.pending == nil {
			b.pending = make([]ingest.Record, 0, max(len(b.holders), len(recs)))
		}
		if len(b.pending)+len(recs) > cap(b.pending) {
			b.flush()
		}
		b.pending = append(b.pending, recs...)
		return
	}
	b.flush()
	b.add(recs)
}

// scatterFrom is the number of cardholders from which records in no
// cardholder order are sorted before they are added: the accumulators of
// fewer stay in the processor's cache.
const scatterFrom = accBlock

// scattered reports whether the holder changes from one record to the
// next more than once in eight, in a sample of recs: every eighth pair.
func scattered(recs []ingest.Record) bool {
	changes, pairs := 0, 0
	for i := 1; i < len(recs); i += 8 {
		if recs[i].Holder != recs[i-1].Holder {
			changes++
		}
		pairs++
	}
	return changes*8 > pairs
}

// Flush adds the records AddRecords holds back and lets go of its buffers.
// Stats and Profiles call it; a caller done adding may call it sooner, to
// give the memory back.
func (b *Builder) Flush() {
	b.flush()
	b.pending, b.spare = nil, nil
}

// flush adds the pending records in cardholder order.
func (b *Builder) flush() {
	if len(b.pending) == 0 {
		return
	}
	if cap(b.spare) < len(b.pending) {
		b.spare = make([]ingest.Record, cap(b.pending))
	}
	sorted := sortByHolder(b.pending, b.spare[:len(b.pending)], len(b.holders))
	for len(sorted) > 0 {
		n := min(len(sorted), 64)
		b.touched += b.touch(sorted[:n])
		b.add(sorted[:n])
		sorted = sorted[n:]
	}
	b.pending = b.pending[:0]
}

// touch reads the accumulators of recs, so that their cache misses overlap.
func (b *Builder) touch(recs []ingest.Record) int64 {
	var sum int64
	n := b.n
	for i := range recs {
		h := uint64(uint32(recs[i].Holder))
		if h >= uint64(len(b.holders)) {
			continue
		}
		blk, off := h/accBlock, h%accBlock
		a := &b.accs[blk][off]
		sum += a.gross + int64(a.top.key[4]) + int64(a.top.err[merchantSlots-1]) + int64(b.spend[blk][int(off)*n+int(recs[i].Interest)%n])
	}
	return sum
}

// sortByHolder sorts recs by Holder, stably, with a least significant digit
// radix sort through buf (as long as recs); holders bounds the Holder of
// every record but those out of range, which go last. It returns the
// sorted records, in recs or in buf.
func sortByHolder(recs, buf []ingest.Record, holders int) []ingest.Record {
	const digit = 11
	var count [1<<digit + 1]int
	// Out-of-range holders (negative ones included) sort as holders.
	key := func(r *ingest.Record) uint32 { return min(uint32(r.Holder), uint32(holders)) }
	for shift := 0; shift < bits.Len(uint(holders)); shift += digit {
		clear(count[:])
		for i := range recs {
			count[key(&recs[i])>>shift&(1<<digit-1)+1]++
		}
		for d := 1; d < len(count); d++ {
			count[d] += count[d-1]
		}
		for i := range recs {
			d := key(&recs[i]) >> shift & (1<<digit - 1)
			buf[count[d]] = recs[i]
			count[d]++
		}
		recs, buf = buf, recs
	}
	return recs
}

// add adds records as they are.
func (b *Builder) add(recs []ingest.Record) {
	b.stats.Transactions += len(recs)
	var (
		n           = b.n
		other       = n - 1
		holders     = uint64(len(b.holders))
		monthOf     = b.monthOf
		days        = uint64(len(monthOf))
		from        = int64(b.fromDay)
		recent      = b.recentFrom
		inWin       = 0
		unknown     = 0
		before      = 0
		credits     = 0
		first       = b.firstDay
		creditCents int64
		last        = b.lastDay
	)
	if !b.seen {
		first, last = math.MaxInt32, math.MinInt32
	}
	for i := range recs {
		r := &recs[i]
		h := uint64(uint32(r.Holder))
		if h >= holders {
			unknown++
			continue
		}
		first, last = min(first, int32(r.Day)), max(last, int32(r.Day))
		d := uint64(int64(r.Day) - from)
		if d >= days {
			if int64(r.Day) < from {
				before++
			}
			continue
		}
		amt := r.Amount
		if amt < 0 && r.Code < 0 && !r.Mapped {
			// A payment or credit to the card, not a refund.
			credits++
			creditCents += amt
			continue
		}
		inWin++
		k := int(r.Interest)
		if uint(k) >= uint(n) {
			k = other
		}
		if !r.Mapped && uint16(r.Code) < uint16(len(b.unmapped)) {
			b.unmapped[r.Code]++
		}
		blk, off := h/accBlock, h%accBlock
		b.spend[blk][int(off)*n+k] += float64(amt)
		a := &b.accs[blk][off]
		a.n++
		a.months |= 1 << monthOf[d]
		var recentAmt int64 // a conditional move, not a branch
		if uint32(d) >= recent {
			recentAmt = amt
		}
		a.recent += recentAmt
		a.last = max(a.last, int32(d)+1)
		if amt > 0 {
			a.gross += amt
			a.purchases++
			if r.Flags&ingest.FlagOnline != 0 {
				a.online += amt
			}
			if r.Flags&ingest.FlagForeign != 0 {
				a.foreign += amt
			}
			if r.Merchant != 0 {
				a.top.add(r.Merchant, int16(k), amt)
			}
		}
	}
	b.stats.InWindow += inWin
	b.stats.UnknownHolders += unknown
	b.stats.Before += before
	b.stats.Credits += credits
	b.stats.CreditCents += creditCents
	b.stats.After += len(recs) - unknown - inWin - before - credits
	if first <= last {
		b.firstDay, b.lastDay, b.seen = first, last, true
	}
}

// Add adds one transaction, the slow way: it finds the cardholder by id,
// classifies the code with the Taxonomy, decides foreign by
// Options.HomeCountry and keeps the merchant's first spelling for
// MerchantName, then adds the record as AddRecords does. Transactions of
// unknown cardholders or outside the window are counted and otherwise
// ignored.
func (b *Builder) Add(tx *ingest.Transaction) {
	h, ok := b.holderIndex()[tx.CardholderID]
	if !ok {
		b.stats.Transactions++
		b.stats.UnknownHolders++
		return
	}
	rec := ingest.Record{Holder: int32(h), Day: epochDay(tx.Date), Amount: tx.Amount, Code: -1}
	k, mapped := b.tax.Lookup(tx.MCC)
	rec.Interest, rec.Mapped = int16(k), mapped
	if c, ok := codeNumber(tx.MCC); ok {
		rec.Code = int16(c)
	}
	switch tx.Channel {
	case ingest.ChannelOnline:
		rec.Flags |= ingest.FlagOnline
	case ingest.ChannelInStore:
		rec.Flags |= ingest.FlagInStore
	}
	if tx.Country != "" && tx.Country != b.opts.HomeCountry {
		rec.Flags |= ingest.FlagForeign
	}
	if rec.Merchant = ingest.MerchantKey([]byte(tx.Merchant)); rec.Merchant != 0 {
		if b.names == nil {
			b.names = map[uint64]string{}
		}
		if _, seen := b.names[rec.Merchant]; !seen {
			b.names[rec.Merchant] = tx.Merchant
		}
	}
	b.AddRecords([]ingest.Record{rec})
}

// MerchantName returns the first spelling of a merchant seen by Add, or ""
// for a key Add has not seen. It is the names function of Profiles for
// transactions added with Add.
func (b *Builder) MerchantName(key uint64) string { return b.names[key] }

// Stats returns what the Builder has seen so far.
func (b *Builder) Stats() Stats {
	b.Flush()
	st := b.stats
	if b.seen {
		st.First, st.Last = dayTime(b.firstDay), dayTime(b.lastDay)
	}
	for c, v := range b.unmapped {
		if v == 0 {
			continue
		}
		if st.Unmapped == nil {
			st.Unmapped = map[string]int{}
		}
		st.Unmapped[codeString(c)] = v
	}
	return st
}

// codeString returns a code 0-9999 as 4 digits.
func codeString(c int) string {
	s := strconv.Itoa(c)
	return strings.Repeat("0", 4-len(s)) + s
}

// profileChunk is the number of cardholders a Profiles worker takes at a
// time, and how often it checks the context.
const profileChunk = accBlock

// Profiles returns one profile per cardholder, in input order. names
// resolves merchant keys to names for the favourite merchants (ingest's
// Merchants.Name, or MerchantName after Add); with nil, profiles name no
// merchants. Cardholders are profiled on GOMAXPROCS goroutines, all
// finished when Profiles returns, so names must be safe for concurrent
// use (a lookup in a map nobody writes is). It stops with ctx's error when
// ctx is done.
//
// Profiles consumes the Builder: it releases the accumulators block by
// block as their profiles are made, so that the two are never all in
// memory at once. Call it once, after the last record.
func (b *Builder) Profiles(ctx context.Context, names func(key uint64) string) ([]Profile, error) {
	if b.consumed {
		return nil, errors.New("profile: Profiles called twice: the Builder's accumulators are gone")
	}
	b.Flush()
	b.consumed = true
	ids := make([]string, b.n)
	interests := make([]uint32, b.n)
	for k, in := range b.tax.interests {
		ids[k], interests[k] = in.ID, favouriteNames.id(in.ID)
	}
	// rank orders the interests by id, the order of Favourites.
	order := make([]int, b.n)
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(x, y int) int { return strings.Compare(ids[x], ids[y]) })
	rank := make([]int, b.n)
	for r, k := range order {
		rank[k] = r
	}
	out := make([]Profile, len(b.holders))

	chunks := (len(b.holders) + profileChunk - 1) / profileChunk
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), chunks) {
		wg.Go(func() {
			fm := &favouriteMaker{names: names, interests: interests, rank: rank, merchants: map[uint64]uint32{}}
			var ends []int
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks || ctx.Err() != nil {
					return
				}
				lo, hi := c*profileChunk, min((c+1)*profileChunk, len(b.holders))
				fm.made, ends = fm.made[:0], ends[:0]
				for i := lo; i < hi; i++ {
					p := &out[i]
					b.fill(p, i)
					if names != nil {
						b.merchants(p, i, fm)
					}
					ends = append(ends, len(fm.made))
					b.shares(p, i)
					p.Relationship = b.rules.Classify(p, b.opts)
				}
				// The block's favourites, in one allocation of the
				// exact size.
				if len(fm.made) > 0 {
					all, start := slices.Clone(fm.made), 0
					for k, end := range ends {
						if end > start {
							out[lo+k].TopMerchants = Favourites{list: all[start:end:end]}
						}
						start = end
					}
				}
				// The block's profiles are made: its accumulators can go.
				// Its spend rows live on as the profiles' shares.
				b.accs[c], b.spend[c] = nil, nil
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// fill sets p from cardholder i's row and accumulator.
func (b *Builder) fill(p *Profile, i int) {
	h := &b.holders[i]
	a, row := b.acc(i)
	*p = Profile{Cardholder: h, Transactions: int(a.n), RecencyDays: -1}
	var spend float64
	for _, v := range row {
		spend += v
	}
	p.Spend = int64(spend)
	if a.gross > 0 {
		p.OnlineShare = float64(a.online) / float64(a.gross)
		p.ForeignShare = float64(a.foreign) / float64(a.gross)
		p.AverageTicket = (a.gross + int64(a.purchases)/2) / int64(a.purchases)
	}
	if a.last > 0 {
		last := b.fromDay + a.last - 1
		p.LastActive = dayTime(last)
		p.RecencyDays = int(b.toDay - 1 - last)
	}
	p.ActiveMonths = bits.OnesCount64(a.months)
	if p.ActiveMonths > 0 {
		p.TransactionsPerMonth = float64(p.Transactions) / float64(p.ActiveMonths)
	}
	// A window of 3 months or fewer has nothing before its last three
	// months to compare with: Trend stays 0.
	if b.opts.Months > 3 {
		recent := math.Max(float64(a.recent), 0) / 3
		prior := math.Max(float64(p.Spend-a.recent), 0) / float64(b.opts.Months-3)
		if recent+prior > 0 {
			p.Trend = (recent - prior) / (recent + prior)
		}
	}
}

// shares turns cardholder i's spend row into the profile's shares, in
// place: the row becomes p.Shares. Call it last: it overwrites the spend.
func (b *Builder) shares(p *Profile, i int) {
	_, row := b.acc(i)
	var positive float64
	for _, v := range row {
		if v > 0 {
			positive += v
		}
	}
	for k, v := range row {
		s := 0.0
		if v > 0 {
			s = v / positive
			p.Concentration += s * s
		}
		row[k] = s
	}
	p.Shares = row
}

// favouriteMaker is a Profiles worker's way to favourites: the interests'
// numbers in favouriteNames and their ranks in id order, the numbers of
// the merchants it has named, and the favourites of the block being
// profiled, one cardholder after the other.
type favouriteMaker struct {
	names     func(uint64) string
	interests []uint32
	rank      []int
	merchants map[uint64]uint32
	made      []favourite
	ranks     []int // the ranks of the interests of the cardholder's favourites in made
}

// merchant returns the number of the merchant's name in favouriteNames,
// and false when the merchant has no name.
func (fm *favouriteMaker) merchant(key uint64) (uint32, bool) {
	id, ok := fm.merchants[key]
	if !ok {
		name := fm.names(key)
		if name == "" {
			return 0, false
		}
		id = favouriteNames.id(name)
		fm.merchants[key] = id
	}
	return id, true
}

// merchants sets the favourite merchant of p and appends its favourites
// in each interest to fm.made, in interest id order, from cardholder i's
// sketch.
func (b *Builder) merchants(p *Profile, i int, fm *favouriteMaker) {
	names := fm.names
	from := len(fm.made)
	fm.ranks = fm.ranks[:0]
	a, row := b.acc(i)
	s := &a.top
	share := b.opts.TopMerchantShare
	other := b.n - 1
	for k := range b.n {
		if k == other || row[k] <= 0 {
			continue
		}
		j := s.best(int16(k))
		if j < 0 || float64(s.guaranteed(j)) < share*float64(row[k]) {
			continue
		}
		if h, ok := fm.merchant(s.key[j]); ok {
			fm.made, fm.ranks = append(fm.made, favourite{fm.interests[k], h}), append(fm.ranks, fm.rank[k])
			// Interests come in taxonomy order: put this one in id order
			// among the cardholder's few.
			for n := len(fm.ranks) - 1; n > 0 && fm.ranks[n] < fm.ranks[n-1]; n-- {
				fm.ranks[n], fm.ranks[n-1] = fm.ranks[n-1], fm.ranks[n]
				fm.made[from+n], fm.made[from+n-1] = fm.made[from+n-1], fm.made[from+n]
			}
		}
	}
	if key, spent := s.favourite(); key != 0 && float64(spent) >= share*float64(a.gross) {
		p.FavouriteMerchant = names(key)
	}
}
