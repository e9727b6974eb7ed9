package profile

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

// Memory budget per cardholder, in bytes. One million cardholders must
// profile in under 1 GB in all (holders, accumulators, profiles), so the
// accumulator gets well under half of it:
//
//	acc, fixed part: sums, counts, months, last day            56
//	acc.top, the merchant sketch: 6 x (key, spend, err, interest) 156
//	acc with padding                                            216
//	net spend per interest: 8 x 24 interests (default taxonomy) 192
//	total                                                       408
//
// so 1 million cardholders take 408 MB of accumulators (TestAccumulatorSize
// fails past the budget). The sketch's error column (48 bytes) is what lets
// favourites be ranked by guaranteed spend; without it a late one-off
// merchant could win on spend inherited from the evicted slot.
const (
	sketchBudget     = 160
	accBudget        = 216
	perHolderBudget  = 408
	defaultInterests = 24
)

func TestAccumulatorSize(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	sketchSize := unsafe.Sizeof(sketch{})
	accSize := unsafe.Sizeof(acc{})
	perHolder := int(accSize) + tax.Len()*int(unsafe.Sizeof(int64(0)))
	t.Logf("sketch %d B, acc %d B, per cardholder with %d interests %d B: %d MB per million",
		sketchSize, accSize, tax.Len(), perHolder, perHolder*1_000_000>>20)
	if sketchSize > sketchBudget {
		t.Errorf("sketch is %d bytes, budget %d", sketchSize, sketchBudget)
	}
	if accSize > accBudget {
		t.Errorf("acc is %d bytes, budget %d", accSize, accBudget)
	}
	if tax.Len() != defaultInterests {
		t.Errorf("the default taxonomy has %d interests, the budget counts %d: review it", tax.Len(), defaultInterests)
	}
	if perHolder > perHolderBudget {
		t.Errorf("%d bytes per cardholder, budget %d", perHolder, perHolderBudget)
	}
	// What NewBuilder allocates per cardholder matches the figure.
	b := NewBuilder(tax, make([]ingest.Cardholder, 1000), Options{End: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)})
	got := 0
	for i := range b.accs {
		got += int(unsafe.Sizeof(acc{}))*len(b.accs[i]) + int(unsafe.Sizeof(float64(0)))*len(b.spend[i])
	}
	if got != perHolder*1000 {
		t.Errorf("NewBuilder holds %d bytes for 1000 cardholders, want %d", got, perHolder*1000)
	}
}

// pair is a merchant in an interest.
type pair struct {
	key uint64
	k   int16
}

// TestSketchGuarantees checks the space-saving bounds on random purchase
// streams: every slot's guaranteed spend is at most the pair's true spend,
// which is at most the slot's spend; and every pair with more than a sixth
// of all purchases holds a slot.
func TestSketchGuarantees(t *testing.T) {
	tests := []struct {
		name      string
		merchants int
		purchases int
		skew      float64 // Zipf exponent
	}{
		{"few merchants", 4, 50, 1.5},
		{"as many as slots", merchantSlots, 200, 1.1},
		{"many merchants, skewed", 200, 2000, 1.3},
		{"many merchants, flat", 200, 2000, 1.01},
		{"one-offs", 5000, 300, 1.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(50) {
				r := rand.New(rand.NewPCG(seed, 7))
				z := rand.NewZipf(r, tt.skew, 1, uint64(tt.merchants-1))
				var s sketch
				truth := map[pair]int64{}
				var total int64
				for range tt.purchases {
					m := z.Uint64()
					p := pair{key: m + 1, k: int16(m % 3)}
					amt := 1 + r.Int64N(20000)
					s.add(p.key, p.k, amt)
					truth[p] += amt
					total += amt
				}
				held := map[pair]bool{}
				for i := range merchantSlots {
					if s.key[i] == 0 {
						continue
					}
					p := pair{s.key[i], s.interest[i]}
					if held[p] {
						t.Fatalf("seed %d: pair %v in two slots", seed, p)
					}
					held[p] = true
					if g, v := s.guaranteed(i), truth[p]; g > v || v > int64(s.spend[i]) || g <= 0 {
						t.Fatalf("seed %d: slot %d: guaranteed %d, true %d, estimate %d", seed, i, g, v, s.spend[i])
					}
				}
				for p, v := range truth {
					if v*merchantSlots > total && !held[p] {
						t.Fatalf("seed %d: pair %v has %d of %d, more than 1/%d, and holds no slot", seed, p, v, total, merchantSlots)
					}
				}
			}
		})
	}
}

func TestSketchSaturates(t *testing.T) {
	var s sketch
	s.add(7, 0, math.MaxInt32-5)
	s.add(7, 0, 100)
	s.add(7, 0, math.MaxInt64/4)
	if s.spend[0] != math.MaxInt32 || s.guaranteed(0) != math.MaxInt32 {
		t.Errorf("spend %d, guaranteed %d; want saturation at MaxInt32", s.spend[0], s.guaranteed(0))
	}
	if key, spent := s.favourite(); key != 7 || spent != math.MaxInt32 {
		t.Errorf("favourite %d %d", key, spent)
	}
}

// sortByHolder sorts by holder, stably, with holders out of range last in
// their order, for holder counts of one, two and three radix digits.
func TestSortByHolder(t *testing.T) {
	for _, holders := range []int{1, 2, 2047, 2048, 2049, 5000, 1<<22 + 3} {
		r := rand.New(rand.NewPCG(uint64(holders), 9))
		recs := make([]ingest.Record, 3000)
		for i := range recs {
			h := int32(r.IntN(holders))
			switch r.IntN(50) {
			case 0:
				h = -1 - int32(r.IntN(3))
			case 1:
				h = int32(holders + r.IntN(3))
			}
			recs[i] = ingest.Record{Holder: h, Amount: int64(i)} // Amount: the place in the input
		}
		in := append([]ingest.Record(nil), recs...)
		got := sortByHolder(recs, make([]ingest.Record, len(recs)), holders)
		key := func(r ingest.Record) uint32 { return min(uint32(r.Holder), uint32(holders)) }
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if key(a) > key(b) || key(a) == key(b) && a.Amount > b.Amount {
				t.Fatalf("%d holders: record %d (holder %d, input %d) before %d (holder %d, input %d)",
					holders, i-1, a.Holder, a.Amount, i, b.Holder, b.Amount)
			}
		}
		seen := make([]bool, len(in))
		for _, r := range got {
			if seen[r.Amount] || in[r.Amount] != r {
				t.Fatalf("%d holders: record %+v lost or repeated", holders, r)
			}
			seen[r.Amount] = true
		}
	}
}
