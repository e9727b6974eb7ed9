package ingest

import (
	"encoding/binary"
	"math/bits"
	"net/mail"
	"strings"
	"time"
)

// ParseAmount parses a decimal amount such as "42.10", "-3.5" or "1200" into
// integer minor units (cents), exactly, as tailor writes amounts in its own
// files. It accepts at most two decimals, no thousands separators and no
// currency, and amounts up to 2^62 cents. Input files are read by the
// format's parser, which also reads amounts as people write them
// ("£1,234.50", "(12.50)", "12.50 CR").
func ParseAmount(s string) (int64, error) {
	if s == "" {
		return 0, ErrRequired
	}
	i := 0
	neg := false
	switch s[0] {
	case '-':
		neg = true
		i++
	case '+':
		i++
	}
	var units int64
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if units > (1<<62)/10 {
			return 0, ErrNotNumber
		}
		units = units*10 + int64(s[i]-'0')
		digits++
	}
	var frac int64
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if fracDigits == 2 {
				return 0, ErrNotNumber
			}
			frac = frac*10 + int64(s[i]-'0')
			fracDigits++
		}
		if fracDigits == 0 {
			return 0, ErrNotNumber
		}
	}
	if i != len(s) || digits == 0 || units > maxCents/100 {
		return 0, ErrNotNumber
	}
	if fracDigits == 1 {
		frac *= 10
	}
	v := units*100 + frac
	if v > maxCents {
		return 0, ErrNotNumber
	}
	if neg {
		v = -v
	}
	return v, nil
}

// ParseDate parses an ISO date, YYYY-MM-DD, in UTC.
func ParseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, ErrRequired
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, ErrNotDate
	}
	y, ok1 := atoiN(s[0:4])
	m, ok2 := atoiN(s[5:7])
	d, ok3 := atoiN(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return time.Time{}, ErrNotDate
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

func atoiN(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// NormalizeMCC returns a merchant category code as four digits, restoring
// leading zeros that a spreadsheet dropped ("742" -> "0742").
func NormalizeMCC(s string) (string, error) {
	if s == "" {
		return "", ErrRequired
	}
	if len(s) > 4 {
		return "", ErrNotMCC
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", ErrNotMCC
		}
	}
	if len(s) == 4 {
		return s, nil
	}
	return "0000"[:4-len(s)] + s, nil
}

func parseEmail(s string) (string, error) {
	if s == "" {
		return "", ErrRequired
	}
	if plainEmail(s) {
		return s, nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s[strings.IndexByte(s, '@')+1:], ".") {
		return "", ErrNotEmail
	}
	return s, nil
}

func parseConsent(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "1":
		return true, nil
	case "no", "n", "false", "0", "":
		return false, nil
	}
	return false, ErrNotConsent
}

// plainEmail reports whether s is an address of the common form, which
// needs no full RFC 5322 parse: local part of letters, digits and ._%+-, one
// @, a domain of dot-separated labels of letters, digits and hyphens, with
// at least one dot.
func plainEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || s[0] == '.' || s[at-1] == '.' {
		return false
	}
	for i := 0; i < at; i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._%+-", c) >= 0) || (c == '.' && s[i+1] == '.') {
			return false
		}
	}
	dots, label := 0, 0
	for i := at + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-':
			label++
		case c == '.' && label > 0:
			dots++
			label = 0
		default:
			return false
		}
	}
	return dots > 0 && label > 0
}

// parseChannelBytes reads a channel without converting the bytes.
func parseChannelBytes(b []byte) (Channel, error) {
	if n := len(b); n > 0 && n <= 8 {
		// The names of eight bytes or fewer, compared as one word with
		// its letters folded to lower case and its length.
		switch w := lower8(shortWord(b)); {
		case n == 6 && w == wordOnline:
			return ChannelOnline, nil
		case n == 8 && (w == wordInUStore || w == wordInStore), n == 7 && w == wordInstore, n == 3 && w == wordPOS:
			return ChannelInStore, nil
		}
		return ChannelUnknown, ErrNotChannel
	}
	return channelByNames(b)
}

// channelByNames reads a channel by comparing b with each name in turn.
func channelByNames(b []byte) (Channel, error) {
	switch {
	case len(b) == 0:
		return ChannelUnknown, nil
	case bytesEqualFold(b, "online"), bytesEqualFold(b, "ecommerce"), bytesEqualFold(b, "e-commerce"), bytesEqualFold(b, "card_not_present"):
		return ChannelOnline, nil
	case bytesEqualFold(b, "in_store"), bytesEqualFold(b, "in store"), bytesEqualFold(b, "instore"), bytesEqualFold(b, "pos"), bytesEqualFold(b, "card_present"):
		return ChannelInStore, nil
	}
	return ChannelUnknown, ErrNotChannel
}

// shortWord returns the 1 to 8 bytes of b as a word, the first in the low
// byte, zero above the last: loaded in pieces, not copied into a word's
// room first (a load right after the copy's smaller stores waits for
// them).
func shortWord(b []byte) uint64 {
	le := binary.LittleEndian
	switch n := len(b); {
	case n == 8:
		return le.Uint64(b)
	case n >= 4:
		// Two four-byte loads that overlap; the second shifted past the
		// first's bytes.
		return uint64(le.Uint32(b)) | uint64(le.Uint32(b[n-4:]))<<(8*(n-4))
	case n >= 2:
		return uint64(le.Uint16(b)) | uint64(le.Uint16(b[n-2:]))<<(8*(n-2))
	}
	return uint64(b[0])
}

// The channel names of eight bytes or fewer as parseChannelBytes reads
// them, a word with the first byte lowest.
var (
	wordOnline   = channelWord("online")
	wordInUStore = channelWord("in_store")
	wordInStore  = channelWord("in store")
	wordInstore  = channelWord("instore")
	wordPOS      = channelWord("pos")
)

func channelWord(s string) uint64 {
	var t [8]byte
	copy(t[:], s)
	return binary.LittleEndian.Uint64(t[:])
}

// bytesEqualFold compares ASCII b with lower-case s, ignoring case.
func bytesEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// LooksLikeCardNumber reports whether s holds a run of 13 to 19 digits,
// optionally broken by spaces or dashes, that passes the Luhn check: a
// primary account number, which tailor never stores or prints. A run inside
// a hexadecimal identifier, such as a UUID, is not one (see inHexID).
func LooksLikeCardNumber[T ~string | ~[]byte](s T) bool {
	if len(s) < 13 || !atLeast13Digits(s) {
		return false // a card number has at least 13 digits
	}
	_, _, ok := findPAN(s, 0)
	return ok
}

// atLeast13Digits reports whether s holds at least 13 ASCII digits, the
// fewest a card number has. Every field of every row is checked for a
// card number, and most long fields (names, merchants, e-mail addresses)
// have a few digits or none: counting them eight bytes at a time rules
// those out before findPAN looks at each byte.
func atLeast13Digits[T ~string | ~[]byte](s T) bool {
	if l := len(s); l >= 8 && l <= 24 {
		// Most long fields: two or three words, the last one ending
		// with s, its bytes counted already shifted out.
		n := bits.OnesCount64(digitBytes(word(s, 0)))
		counted := 8
		if l > 16 {
			n += bits.OnesCount64(digitBytes(word(s, 8)))
			counted = 16
		}
		last := digitBytes(word(s, l-8)) >> (8 * (counted - (l - 8)))
		return n+bits.OnesCount64(last) >= 13
	}
	n, i := 0, 0
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8] // one bounds check for the word
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if n += bits.OnesCount64(digitBytes(w)); n >= 13 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n >= 13
}

// word returns the eight bytes of s from i, the first in the low byte.
func word[T ~string | ~[]byte](s T, i int) uint64 {
	b := s[i : i+8] // one bounds check for the word
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// digitBytes returns a word with the high bit set in each byte of w that
// is an ASCII digit, and only there: of the bytes without their high bit
// (which no digit has), those at least '0' and not at least '9'+1, each
// test an addition that reaches the byte's high bit and cannot carry out
// of it.
func digitBytes(w uint64) uint64 {
	low := w & swarLow7
	return (low + swarOnes*(0x80-'0')) &^ (low + swarOnes*(0x80-'9'-1)) &^ w & (swarOnes * 0x80)
}

// findPAN finds the first card-number-like run in s at or after from,
// returning its byte range.
func findPAN[T ~string | ~[]byte](s T, from int) (start, end int, ok bool) {
	for i := from; i < len(s); i++ {
		if !isDigit(s[i]) {
			continue
		}
		// Collect a run of digits with single separators between them.
		j := i
		n := 0
		lastDigit := i
		for j < len(s) {
			if isDigit(s[j]) {
				n++
				lastDigit = j
				j++
				continue
			}
			if (s[j] == ' ' || s[j] == '-') && j+1 < len(s) && isDigit(s[j+1]) {
				j++
				continue
			}
			break
		}
		if n >= 13 && n <= 19 && luhn(s[i:lastDigit+1]) {
			if end, ok := inHexID(s, i, lastDigit+1); ok {
				i = end - 1
				continue
			}
			return i, lastDigit + 1, true
		}
		i = lastDigit
	}
	return 0, 0, false
}

// inHexID reports whether the run s[start:end] lies in a hexadecimal
// identifier: a UUID, or a hash written in hex, whose digits can pass for
// a card number (one UUID in a few thousand begins with 13 digits that
// pass the Luhn check). The identifier is the run with the hex digits and
// dashes around it; it counts as one when it has at least 24 hex digits,
// a letter among them. It returns the identifier's end.
func inHexID[T ~string | ~[]byte](s T, start, end int) (int, bool) {
	for start > 0 && isHexOrDash(s[start-1]) {
		start--
	}
	for end < len(s) && isHexOrDash(s[end]) {
		end++
	}
	hex, letters := 0, 0
	for i := start; i < end; i++ {
		switch c := s[i] | 0x20; {
		case c >= 'a' && c <= 'f':
			letters++
			hex++
		case isDigit(s[i]):
			hex++
		}
	}
	return end, letters > 0 && hex >= 24
}

func isHexOrDash(c byte) bool {
	return isDigit(c) || c == '-' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func luhn[T ~string | ~[]byte](s T) bool {
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// MaskCardNumbers replaces every card-number-like run in s by its last four
// digits preceded by asterisks, so that rejects and logs never carry a PAN.
func MaskCardNumbers(s string) string {
	start, end, ok := findPAN(s, 0)
	if !ok {
		return s
	}
	var b strings.Builder
	prev := 0
	for ok {
		b.WriteString(s[prev:start])
		run := s[start:end]
		digits := 0
		for i := 0; i < len(run); i++ {
			if isDigit(run[i]) {
				digits++
			}
		}
		last4 := lastDigits(run, 4)
		b.WriteString(strings.Repeat("*", digits-4))
		b.WriteString(last4)
		prev = end
		start, end, ok = findPAN(s, end)
	}
	b.WriteString(s[prev:])
	return b.String()
}

func lastDigits(s string, n int) string {
	out := make([]byte, 0, n)
	for i := len(s) - 1; i >= 0 && len(out) < n; i-- {
		if isDigit(s[i]) {
			out = append(out, s[i])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// hasControl reports whether s holds a control character, such as CR or LF.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
