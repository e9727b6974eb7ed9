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
// with ASCII letters folded to lower case and runs of spaces and
// punctuation treated as one space, so "OLIVE & THYME" and "Olive  & thyme"
// are one merchant. 0 is reserved for "no merchant".
func MerchantKey(name []byte) uint64 {
	// Fold into a buffer first, then hash it eight bytes at a time: much
	// faster than a byte-at-a-time hash on the hot path.
	var buf [64]byte
	n := 0
	pendingSpace := false
	h := uint64(0x9E3779B97F4A7C15)
	for _, c := range name {
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c >= 0x80:
		default:
			pendingSpace = n > 0 || h != 0x9E3779B97F4A7C15
			continue
		}
		if pendingSpace {
			buf[n] = ' '
			n++
			pendingSpace = false
			if n == len(buf) {
				h = mixBlock(h, buf[:])
				n = 0
			}
		}
		buf[n] = c
		n++
		if n == len(buf) {
			h = mixBlock(h, buf[:])
			n = 0
		}
	}
	if n == 0 && h == 0x9E3779B97F4A7C15 {
		return 0
	}
	h = mixBlock(h, buf[:n])
	h ^= h >> 33
	h *= 0xFF51AFD7ED558CCD
	h ^= h >> 33
	if h == 0 {
		h = 1
	}
	return h
}

// mixBlock folds b into h, eight bytes at a time.
func mixBlock(h uint64, b []byte) uint64 {
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0xC2B2AE3D27D4EB4F
		h ^= h >> 29
		b = b[8:]
	}
	if len(b) > 0 {
		var tail [8]byte
		copy(tail[:], b)
		h = (h ^ binary.LittleEndian.Uint64(tail[:]) ^ uint64(len(b))<<56) * 0xC2B2AE3D27D4EB4F
		h ^= h >> 29
	}
	return h
}
