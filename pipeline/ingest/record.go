package ingest

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

// MerchantKey returns the 64-bit key of a merchant name: FNV-1a over the
// name with ASCII letters folded to lower case and runs of spaces and
// punctuation treated as one space, so "OLIVE & THYME" and "Olive & Thyme"
// are one merchant. 0 is reserved for "no merchant".
func MerchantKey(name []byte) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	pendingSpace := false
	n := 0
	for _, c := range name {
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c >= 0x80:
		default:
			pendingSpace = n > 0
			continue
		}
		if pendingSpace {
			h ^= ' '
			h *= prime
			pendingSpace = false
		}
		h ^= uint64(c)
		h *= prime
		n++
	}
	if n == 0 {
		return 0
	}
	if h == 0 {
		h = 1
	}
	return h
}
