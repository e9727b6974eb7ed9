package profile

import "math"

// merchantSlots is the number of merchants a cardholder's sketch keeps.
const merchantSlots = 6

// sketch keeps a cardholder's top merchants in bounded memory: a weighted
// space-saving sketch (Metwally, Agrawal and El Abbadi, "Efficient
// computation of frequent and top-k elements in data streams", 2005) over
// (merchant, interest) pairs, weighted by the amount of each purchase.
//
// A pair already in a slot adds the amount to it. A new pair takes an empty
// slot, or else evicts the slot with the least spend and inherits that
// spend as its error: spend then overestimates the pair's true spend by at
// most err, and spend-err, the spend seen since the pair took the slot, is
// a guaranteed lower bound. Any pair with more than 1/merchantSlots of the
// cardholder's purchases is always in the sketch. Favourites are chosen by
// the lower bound, so a merchant seen once at the end of the year cannot
// pass for a favourite on spend it inherited.
//
// The result depends on the order of the purchases, which is the file's:
// the same input gives the same favourites.
//
// The fields the search reads (key, interest, spend) come first and
// together, err last: it is only written on an eviction.
//
// Spends are int32 cents, saturating at 21 million: a consumer card never
// gets near, and a merchant past it is a favourite anyway. A million
// sketches are 48 MB smaller than with int64.
type sketch struct {
	key      [merchantSlots]uint64 // merchant key; 0: empty slot
	interest [merchantSlots]int16
	spend    [merchantSlots]int32 // cents, an overestimate
	err      [merchantSlots]int32 // cents inherited on taking the slot
}

// addSat returns a + b, saturating at math.MaxInt32; a >= 0, b > 0.
func addSat(a int32, b int64) int32 {
	if s := int64(a) + b; s < math.MaxInt32 {
		return int32(s)
	}
	return math.MaxInt32
}

// add adds a purchase of amt > 0 cents at merchant key != 0 in interest k.
func (s *sketch) add(key uint64, k int16, amt int64) {
	for i := range merchantSlots {
		if s.key[i] == key && s.interest[i] == k {
			s.spend[i] = addSat(s.spend[i], amt)
			return
		}
	}
	// Empty slots have no spend: the first empty slot is the minimum. The
	// search is branch-free: with a branch, mispredictions on random
	// spends cost a third of AddRecords' time (BenchmarkAddRecords).
	m, low := 0, s.spend[0]
	for i := 1; i < merchantSlots; i++ {
		v := s.spend[i]
		lt := int(uint32(v-low) >> 31) // 1 when v < low: spends are >= 0
		m += lt * (i - m)
		low = min(low, v)
	}
	s.key[m], s.interest[m] = key, k
	s.err[m] = s.spend[m]
	s.spend[m] = addSat(s.spend[m], amt)
}

// guaranteed returns the spend slot i is sure to have seen.
func (s *sketch) guaranteed(i int) int64 { return int64(s.spend[i]) - int64(s.err[i]) }

// best returns the slot of interest k with the largest guaranteed spend,
// the first of equals, or -1 when no slot is of interest k.
func (s *sketch) best(k int16) int {
	j := -1
	for i := range merchantSlots {
		if s.key[i] != 0 && s.interest[i] == k && (j < 0 || s.guaranteed(i) > s.guaranteed(j)) {
			j = i
		}
	}
	return j
}

// favourite returns the merchant with the largest guaranteed spend over
// all interests, the first of equals, and that spend; key 0 when the
// sketch is empty.
func (s *sketch) favourite() (key uint64, spent int64) {
	for i := range merchantSlots {
		if s.key[i] == 0 {
			continue
		}
		var sum int64
		for j := range merchantSlots {
			if s.key[j] == s.key[i] {
				sum += s.guaranteed(j)
			}
		}
		if key == 0 || sum > spent {
			key, spent = s.key[i], sum
		}
	}
	return key, spent
}
