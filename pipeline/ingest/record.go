package ingest

import "encoding/binary"

// Record is a parsed transaction in compact form, as the fast path hands it
// on: about 32 bytes, no pointers, so that millions of them cost little.
type Record struct {
	// Holder is the cardholder's index in the accepted cardholders.
	Holder int32
	// Day is the posting date in days since 1970-01-01.
	Day int32
	// Amount is in minor units (cents) of the campaign's currency, after
	// any conversion; negative for a refund.
	Amount int64
	// Merchant identifies the merchant's name (see MerchantKey); 0 when the
	// row has none.
	Merchant uint64
	// Interest is the index the Classifier gave; Mapped says whether the
	// code or category was known (when not, Interest is the classifier's
	// catch-all).
	Interest int16
	// Code is the merchant category code as a number, or -1 when the row
	// had a category instead.
	Code   int16
	Flags  RecordFlags
	Mapped bool
}

// MaxAmount bounds a transaction's amount in cents, either sign: 2^52, 45
// trillion in a currency with cents. Sums of such amounts stay exact in
// float64, which profiling relies on.
const MaxAmount = 1 << 52

// RecordFlags are facts of a transaction.
type RecordFlags uint8

// Record flags.
const (
	FlagOnline  RecordFlags = 1 << iota // card not present
	FlagInStore                         // card present
	FlagForeign                         // country other than the home country
)

// Classifier maps a merchant category code, or a category name when the
// input has categories instead of codes, to an interest index. The profile
// taxonomy satisfies it; ingest only asks.
type Classifier interface {
	// Lookup maps a 4-digit code ("0742"); ok is false when unknown, and
	// the index is then the catch-all interest.
	Lookup(mcc string) (int, bool)
	// Category maps a category name of the input's own; ok is false when
	// unknown.
	Category(name string) (int, bool)
}

// MerchantKey returns the 64-bit key of a merchant name: a hash of the name
// with ASCII letters folded to lower case, so "OLIVE & THYME" and
// "Olive & Thyme" are one merchant (the caller trims surrounding spaces).
// 0 is reserved for "no merchant". It reads eight bytes at a time: it runs
// once per transaction.
func MerchantKey(name []byte) uint64 {
	if len(name) == 0 {
		return 0
	}
	n := len(name)
	h := uint64(0x9E3779B97F4A7C15) ^ uint64(n)
	i := 0
	for ; i+8 <= n; i += 8 {
		h = mix(h, lower8(binary.LittleEndian.Uint64(name[i:])))
	}
	if rest := n - i; rest > 0 {
		// The last bytes, zero above them: from the word that ends the
		// name when there is one.
		var w uint64
		if n >= 8 {
			w = binary.LittleEndian.Uint64(name[n-8:]) >> (8 * (8 - rest))
		} else {
			w = shortWord(name)
		}
		h = mix(h, lower8(w))
	}
	return finishKey(h)
}

// finishKey mixes a merchant name's hash a last time into its key, never
// 0.
func finishKey(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xFF51AFD7ED558CCD
	h ^= h >> 33
	if h == 0 {
		h = 1
	}
	return h
}

func mix(h, w uint64) uint64 {
	h = (h ^ w) * 0xC2B2AE3D27D4EB4F
	return h ^ h>>29
}

// lower8 folds the ASCII capitals of eight bytes to lower case at once.
func lower8(w uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	// With every byte's high bit set, the subtractions cannot borrow
	// across bytes; a byte keeps its high bit when its low seven bits are
	// at least the subtrahend.
	atLeastA := (w | high) - ones*'A'
	aboveZ := (w | high) - ones*('Z'+1)
	upper := atLeastA &^ aboveZ & high &^ w // 'A'..'Z', ASCII only
	return w | upper>>2                     // 0x80 >> 2 is 0x20
}
