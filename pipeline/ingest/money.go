package ingest

import (
	"errors"
	"strings"
)

// Amount errors, besides ErrNotNumber and ErrRequired.
var (
	// ErrDecimals is wrapped for an amount with more than two decimals,
	// "12.345", which is no whole number of cents.
	ErrDecimals = errors.New("more than 2 decimals")
	// ErrCurrencyMismatch is wrapped when the currency written in an
	// amount ("£12.50") is not the row's currency column's ("EUR"), or
	// not the one written in the other of debit and credit.
	ErrCurrencyMismatch = errors.New("currency written in the amount differs from the row's currency")
	// ErrCurrencySymbol is wrapped for a symbol that names several
	// currencies ("$", "¥", "kr"), none of them the campaign's, in a row
	// without a currency column to tell which.
	ErrCurrencySymbol = errors.New("currency symbol names several currencies: write the code or add a currency column")
)

// money is an amount in cents, as read, and the currency written with it.
type money struct {
	cents int64
	cur   currencyMark
}

// currencyMark is the currency written in an amount: an ISO 4217 code
// ("USD 12.00"), a symbol ("£12.50"), or nothing.
type currencyMark struct {
	code [3]byte // upper case; zero unless a code was written
	sym  uint8   // 1 + the index of the symbol in currencySymbols; 0 when none
}

func (c currencyMark) none() bool { return c.sym == 0 && c.code[0] == 0 }

// String returns the code or the symbol as tailor knows it.
func (c currencyMark) String() string {
	if c.sym > 0 {
		return currencySymbols[c.sym-1].text
	}
	return string(c.code[:])
}

// codes returns the currencies the mark may stand for.
func (c currencyMark) codes() []string {
	if c.sym > 0 {
		return currencySymbols[c.sym-1].codes
	}
	return []string{string(c.code[:])}
}

// means reports whether the mark may stand for the ISO code b, in any
// case.
func (c currencyMark) means(b []byte) bool {
	if c.sym == 0 {
		return equalFold(b, string(c.code[:]))
	}
	for _, code := range currencySymbols[c.sym-1].codes {
		if equalFold(b, code) {
			return true
		}
	}
	return false
}

// agrees reports whether two marks may stand for one currency.
func (c currencyMark) agrees(o currencyMark) bool {
	if c.none() || o.none() {
		return true
	}
	for _, code := range o.codes() {
		if c.means([]byte(code)) {
			return true
		}
	}
	return false
}

// resolve returns the currency a mark stands for: its code, the one
// currency of its symbol, or campaign when the symbol may stand for it
// ("$" in a USD campaign); ok is false for a symbol of several other
// currencies.
func (c currencyMark) resolve(campaign string) (code string, ok bool) {
	if c.sym == 0 {
		return string(c.code[:]), true
	}
	codes := currencySymbols[c.sym-1].codes
	if len(codes) == 1 {
		return codes[0], true
	}
	if c.means([]byte(campaign)) {
		return campaign, true
	}
	return "", false
}

// currencySymbols are the currency signs read in amounts, before or after
// the number, with the currencies each may stand for. Longer signs come
// before the signs they end with ("US$" before "$"). Letters match in any
// case.
var currencySymbols = [...]struct {
	text  string
	codes []string
}{
	{"US$", []string{"USD"}},
	{"CA$", []string{"CAD"}},
	{"AU$", []string{"AUD"}},
	{"NZ$", []string{"NZD"}},
	{"HK$", []string{"HKD"}},
	{"SG$", []string{"SGD"}},
	{"MX$", []string{"MXN"}},
	{"C$", []string{"CAD"}},
	{"A$", []string{"AUD"}},
	{"S$", []string{"SGD"}},
	{"R$", []string{"BRL"}},
	{"$", []string{"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"}},
	{"£", []string{"GBP"}},
	{"€", []string{"EUR"}},
	{"JP¥", []string{"JPY"}},
	{"CN¥", []string{"CNY"}},
	{"¥", []string{"JPY", "CNY"}},
	{"₹", []string{"INR"}},
	{"₩", []string{"KRW"}},
	{"₪", []string{"ILS"}},
	{"₺", []string{"TRY"}},
	{"₱", []string{"PHP"}},
	{"₽", []string{"RUB"}},
	{"₴", []string{"UAH"}},
	{"₫", []string{"VND"}},
	{"฿", []string{"THB"}},
	{"zł", []string{"PLN"}},
	{"Kč", []string{"CZK"}},
	{"kr", []string{"SEK", "NOK", "DKK", "ISK"}},
}

// parseWritten reads an amount as people write it: the format's number
// with, around it, at most one currency, a symbol or an ISO 4217 code
// before or after the number ("£1,234.50", "1.234,56 €", "USD 12.00",
// "12.00 eur", "US$ 5"), and at most one sign: a minus before or after the
// number ("-12.50", "12.50-"), parentheses ("(12.50)") or CR after it (a
// credit) make it negative; a plus or DR (a debit) keep it positive.
// Letters match in any case; spaces and no-break spaces may separate the
// parts, and no-break spaces may separate thousands when the format's
// thousands separator is a space.
func (p amountParser) parseWritten(s []byte) (money, error) {
	var m money
	s = trimBlank(s)
	if len(s) == 0 {
		return m, ErrRequired
	}
	var lead, trail, paren, crdr, cur bool
	minus, plus := 0, 0
	for progress := true; progress && len(s) > 0; {
		progress = false
		switch {
		case !crdr && creditDebit(s) != 0:
			if creditDebit(s) < 0 {
				minus++
			} else {
				plus++
			}
			crdr, s = true, s[:len(s)-2]
		case !paren && len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')':
			minus++
			paren, s = true, s[1:len(s)-1]
		case !lead && (s[0] == '-' || s[0] == '+' || hasPrefix(s, "\u2212")):
			n := 1
			if s[0] == '+' {
				plus++
			} else {
				minus++
				if s[0] != '-' {
					n = len("\u2212")
				}
			}
			lead, s = true, s[n:]
		case !trail && s[len(s)-1] == '-':
			minus++
			trail, s = true, s[:len(s)-1]
		case !trail && hasSuffix(s, "\u2212"):
			minus++
			trail, s = true, s[:len(s)-len("\u2212")]
		case !cur:
			var n int
			if m.cur, n = prefixCurrency(s); n > 0 {
				s = s[n:]
			} else if m.cur, n = suffixCurrency(s); n > 0 {
				s = s[:len(s)-n]
			} else {
				continue
			}
			cur = true
		default:
			continue
		}
		progress = true
		s = trimBlank(s)
	}
	if len(s) == 0 || minus > 1 || minus > 0 && plus > 0 {
		return money{}, ErrNotNumber
	}
	var buf [64]byte
	if p.thousands == ' ' {
		s = noBreakToSpace(buf[:0], s)
	}
	v, err := p.number(s)
	if err != nil {
		return money{}, err
	}
	m.cents = int64(v)
	if minus > 0 {
		m.cents = -m.cents
	}
	return m, nil
}

// creditDebit reads a CR or DR after an amount, in any case: -1 for a
// credit, +1 for a debit, 0 for neither. A letter before it makes it part
// of a word ("IDR").
func creditDebit(s []byte) int {
	n := len(s)
	if n < 2 || s[n-1]|0x20 != 'r' || n > 2 && isLetter(s[n-3]) {
		return 0
	}
	switch s[n-2] | 0x20 {
	case 'c':
		return -1
	case 'd':
		return 1
	}
	return 0
}

// symbolFirst and symbolLast mark the bytes that begin and end a currency
// symbol, in both cases for letters, so that most amounts skip the table.
var symbolFirst, symbolLast = symbolEdges()

func symbolEdges() (first, last [256]bool) {
	for _, c := range currencySymbols {
		a, z := c.text[0], c.text[len(c.text)-1]
		first[a], last[z] = true, true
		if isLetter(a) {
			first[a^0x20] = true
		}
		if isLetter(z) {
			last[z^0x20] = true
		}
	}
	return first, last
}

// prefixCurrency finds a currency sign or a code of three letters at the
// start of s and returns it and its length; 0 when there is none.
func prefixCurrency(s []byte) (currencyMark, int) {
	if len(s) == 0 || !symbolFirst[s[0]] && !isLetter(s[0]) {
		return currencyMark{}, 0
	}
	for i, c := range currencySymbols {
		n := len(c.text)
		if len(s) >= n && foldEqual(s[:n], c.text) && !(isLetter(c.text[n-1]) && len(s) > n && isLetter(s[n])) {
			return currencyMark{sym: uint8(i + 1)}, n
		}
	}
	if len(s) >= 3 && isAlpha(s[:3]) && (len(s) == 3 || !isLetter(s[3])) {
		return codeMark(s[:3]), 3
	}
	return currencyMark{}, 0
}

// suffixCurrency finds a currency sign or a code of three letters at the
// end of s and returns it and its length; 0 when there is none.
func suffixCurrency(s []byte) (currencyMark, int) {
	if len(s) == 0 || !symbolLast[s[len(s)-1]] && !isLetter(s[len(s)-1]) {
		return currencyMark{}, 0
	}
	for i, c := range currencySymbols {
		n := len(c.text)
		if len(s) >= n && foldEqual(s[len(s)-n:], c.text) && !(isLetter(c.text[0]) && len(s) > n && isLetter(s[len(s)-n-1])) {
			return currencyMark{sym: uint8(i + 1)}, n
		}
	}
	if n := len(s); n >= 3 && isAlpha(s[n-3:]) && (n == 3 || !isLetter(s[n-4])) {
		return codeMark(s[n-3:]), 3
	}
	return currencyMark{}, 0
}

func codeMark(b []byte) currencyMark {
	var c currencyMark
	for i := range c.code {
		c.code[i] = b[i] &^ 0x20 // upper case
	}
	return c
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// foldEqual compares b with s, ASCII letters in any case.
func foldEqual(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if x != y && !(isLetter(x) && x|0x20 == y|0x20) {
			return false
		}
	}
	return true
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && string(b[:len(s)]) == s }
func hasSuffix(b []byte, s string) bool { return len(b) >= len(s) && string(b[len(b)-len(s):]) == s }

// The spaces of amounts besides ASCII space and tab: no-break space, narrow
// no-break space (French thousands), thin space and figure space.
var noBreakSpaces = [...]string{"\u00a0", "\u202f", "\u2009", "\u2007"}

// trimBlank trims spaces, tabs and no-break spaces from both ends of b.
func trimBlank(b []byte) []byte {
	for len(b) > 0 {
		if c := b[0]; c == ' ' || c == '\t' {
			b = b[1:]
		} else if n := noBreakAt(b); n > 0 {
			b = b[n:]
		} else {
			break
		}
	}
	for len(b) > 0 {
		if c := b[len(b)-1]; c == ' ' || c == '\t' {
			b = b[:len(b)-1]
		} else if n := noBreakBefore(b); n > 0 {
			b = b[:len(b)-n]
		} else {
			break
		}
	}
	return b
}

// noBreakAt returns the length of the no-break space b starts with, or 0.
func noBreakAt(b []byte) int {
	if len(b) == 0 || b[0] < 0x80 {
		return 0
	}
	for _, sp := range noBreakSpaces {
		if hasPrefix(b, sp) {
			return len(sp)
		}
	}
	return 0
}

// noBreakBefore returns the length of the no-break space b ends with, or 0.
func noBreakBefore(b []byte) int {
	if len(b) == 0 || b[len(b)-1] < 0x80 {
		return 0
	}
	for _, sp := range noBreakSpaces {
		if hasSuffix(b, sp) {
			return len(sp)
		}
	}
	return 0
}

// noBreakToSpace returns s with its no-break spaces turned into ASCII
// spaces, in buf when it has any; s when it has none or is longer than buf
// can hold without growing (no amount is).
func noBreakToSpace(buf, s []byte) []byte {
	ascii := true
	for _, c := range s {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii || len(s) > cap(buf) {
		return s
	}
	for i := 0; i < len(s); {
		if n := noBreakAt(s[i:]); n > 0 {
			buf = append(buf, ' ')
			i += n
			continue
		}
		buf = append(buf, s[i])
		i++
	}
	return buf
}

// AmountHint returns the format settings, as a campaign file writes them
// (decimal = ",", thousands = "."), under which value would read as an
// amount when it does not in f, or "" when it reads in f or in no other
// common setting. A reject of such an amount carries the hint in its
// reason, so that a file written with other separators says how to read it.
func (f Format) AmountHint(value string) string {
	return f.amountParser().hint([]byte(value))
}

// hint is AmountHint.
func (p amountParser) hint(v []byte) string {
	if _, err := p.parse(v); err == nil || errors.Is(err, ErrRequired) {
		return ""
	}
	var tries []amountParser
	if p.minor {
		// Amounts with decimals in a file said to be in cents.
		tries = append(tries, amountParser{p.decimal, p.thousands, false})
	}
	other := byte(',')
	if p.decimal == ',' {
		other = '.'
	}
	// The format's decimal with another thousands separator, then the
	// other decimal with its usual partner: "1.234,56" or "1,234.56".
	for _, th := range []byte{other, ' ', '\''} {
		tries = append(tries, amountParser{p.decimal, th, p.minor})
	}
	for _, th := range []byte{p.decimal, ' ', '\''} {
		tries = append(tries, amountParser{other, th, p.minor})
	}
	for _, t := range tries {
		if t.thousands == p.thousands && t.decimal == p.decimal && t.minor == p.minor {
			continue
		}
		if _, err := t.parse(v); err != nil {
			continue
		}
		var parts []string
		if t.minor != p.minor {
			parts = append(parts, "minor_units = false")
		}
		if t.decimal != p.decimal {
			parts = append(parts, `decimal = "`+string(t.decimal)+`"`)
		}
		if t.thousands != p.thousands {
			parts = append(parts, `thousands = "`+string(t.thousands)+`"`)
		}
		return strings.Join(parts, " and ")
	}
	return ""
}

// hintError is an amount error with the format settings under which the
// amount would read.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + " (the format may need " + e.hint + ")" }
func (e *hintError) Unwrap() error { return e.err }

// withHint adds to a "not a number" error the settings under which v
// would read, if any. An amount with more than 2 decimals gets none: it
// may as well be in a currency of three.
func (p amountParser) withHint(v []byte, err error) error {
	if err != ErrNotNumber {
		return err
	}
	if h := p.hint(v); h != "" {
		return &hintError{err, h}
	}
	return err
}
