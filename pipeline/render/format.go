package render

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Formatting for the recipient's locale: the template functions money,
// number and date. The conventions are a small table taken from the
// Unicode CLDR (version 48): decimal and group separators, when grouping
// starts, the minus sign, where the currency symbol goes, the symbols of
// the common currencies, month names and date patterns. A locale not in
// the table falls back to the table's locale for its language ("es-AR" is
// formatted as "es-ES"), and then to en-US.

// locale holds one locale's conventions.
type locale struct {
	decimal, group string
	// minGroup is 2 where a four-digit number is not grouped (1234, 12.345).
	minGroup int
	minus    string
	// pos and neg place the currency symbol (¤) and the number (#).
	pos, neg string
	// symbols maps currency codes to this locale's symbols; a currency
	// not listed shows its code.
	symbols map[string]string
	months  *[12]string
	// long and short are date patterns: d, dd, M, MM, MMMM, yy, yyyy, and
	// literal text in single quotes.
	long, short string
}

// Month names, in the form a long date uses.
var (
	monthsEN = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	monthsDE = [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
	monthsFR = [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	monthsES = [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
	monthsIT = [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
	monthsNL = [12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
	monthsPT = [12]string{"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"}
	monthsSV = [12]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}
)

// Separators other than ASCII: a no-break space keeps an amount and its
// symbol on one line; French groups digits with a narrow one.
const (
	nbsp       = "\u00a0"
	narrowNBSP = "\u202f"
	minusSign  = "\u2212"
)

// symbols parses "USD=$ EUR=€" into a map; "_" stands for a no-break space.
func symbols(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = strings.ReplaceAll(v, "_", nbsp)
	}
	return m
}

// locales are the conventions tailor knows, by lower-case tag.
var locales = map[string]*locale{
	"en-us": {decimal: ".", group: ",", minGroup: 1, minus: "-", pos: "¤#", neg: "-¤#",
		symbols: symbols("USD=$ EUR=€ GBP=£ CAD=CA$ AUD=A$ MXN=MX$ BRL=R$ JPY=¥"),
		months:  &monthsEN, long: "MMMM d, yyyy", short: "M/d/yy"},
	"en-gb": {decimal: ".", group: ",", minGroup: 1, minus: "-", pos: "¤#", neg: "-¤#",
		symbols: symbols("USD=US$ EUR=€ GBP=£ CAD=CA$ AUD=A$ MXN=MX$ BRL=R$ JPY=JP¥"),
		months:  &monthsEN, long: "d MMMM yyyy", short: "dd/MM/yyyy"},
	"en-ca": {decimal: ".", group: ",", minGroup: 1, minus: "-", pos: "¤#", neg: "-¤#",
		symbols: symbols("USD=US$ EUR=€ GBP=£ CAD=$ AUD=A$ MXN=MX$ BRL=R$ JPY=JP¥"),
		months:  &monthsEN, long: "MMMM d, yyyy", short: "yyyy-MM-dd"},
	"en-au": {decimal: ".", group: ",", minGroup: 1, minus: "-", pos: "¤#", neg: "-¤#",
		symbols: symbols("AUD=$"),
		months:  &monthsEN, long: "d MMMM yyyy", short: "d/M/yy"},
	"en-ie": {decimal: ".", group: ",", minGroup: 1, minus: "-", pos: "¤#", neg: "-¤#",
		symbols: symbols("USD=US$ EUR=€ GBP=£ CAD=CA$ AUD=A$ MXN=MX$ BRL=R$ JPY=JP¥"),
		months:  &monthsEN, long: "d MMMM yyyy", short: "dd/MM/yyyy"},
	"de-de": {decimal: ",", group: ".", minGroup: 1, minus: "-", pos: "#" + nbsp + "¤", neg: "-#" + nbsp + "¤",
		symbols: symbols("USD=$ EUR=€ GBP=£ CAD=CA$ AUD=AU$ MXN=MX$ BRL=R$ JPY=¥"),
		months:  &monthsDE, long: "d. MMMM yyyy", short: "dd.MM.yy"},
	"de-ch": {decimal: ".", group: "'", minGroup: 1, minus: "-", pos: "¤" + nbsp + "#", neg: "¤-#",
		symbols: symbols("USD=$ GBP=£ CAD=CA$ AUD=AU$ MXN=MX$ BRL=R$ JPY=¥"),
		months:  &monthsDE, long: "d. MMMM yyyy", short: "dd.MM.yy"},
	"fr-fr": {decimal: ",", group: narrowNBSP, minGroup: 1, minus: "-", pos: "#" + nbsp + "¤", neg: "-#" + nbsp + "¤",
		symbols: symbols("USD=$US EUR=€ GBP=£GB CAD=$CA AUD=$AU MXN=$MX BRL=R$"),
		months:  &monthsFR, long: "d MMMM yyyy", short: "dd/MM/yyyy"},
	"fr-ca": {decimal: ",", group: nbsp, minGroup: 1, minus: "-", pos: "#" + nbsp + "¤", neg: "-#" + nbsp + "¤",
		symbols: symbols("USD=$_US EUR=€ GBP=£ CAD=$ AUD=$_AU BRL=R$ JPY=¥"),
		months:  &monthsFR, long: "d MMMM yyyy", short: "yyyy-MM-dd"},
	"es-es": {decimal: ",", group: ".", minGroup: 2, minus: "-", pos: "#" + nbsp + "¤", neg: "-#" + nbsp + "¤",
		symbols: symbols("USD=US$ EUR=€"),
		months:  &monthsES, long: "d 'de' MMMM 'de' yyyy", short: "d/M/yy"},
	"es-mx": {decimal: ".", group: ",", minGroup: 1, minus: "-", pos: "¤#", neg: "-¤#",
		symbols: symbols("MXN=$"),
		months:  &monthsES, long: "d 'de' MMMM 'de' yyyy", short: "dd/MM/yy"},
	"it-it": {decimal: ",", group: ".", minGroup: 2, minus: "-", pos: "#" + nbsp + "¤", neg: "-#" + nbsp + "¤",
		symbols: symbols("EUR=€ GBP=£ CAD=CA$ AUD=A$"),
		months:  &monthsIT, long: "d MMMM yyyy", short: "dd/MM/yy"},
	"nl-nl": {decimal: ",", group: ".", minGroup: 1, minus: "-", pos: "¤" + nbsp + "#", neg: "¤" + nbsp + "-#",
		symbols: symbols("USD=US$ EUR=€ GBP=£ CAD=C$ AUD=AU$ MXN=MX$ BRL=R$ JPY=JP¥"),
		months:  &monthsNL, long: "d MMMM yyyy", short: "dd-MM-yyyy"},
	"pt-br": {decimal: ",", group: ".", minGroup: 1, minus: "-", pos: "¤" + nbsp + "#", neg: "-¤" + nbsp + "#",
		symbols: symbols("USD=US$ EUR=€ GBP=£ CAD=CA$ AUD=AU$ MXN=MX$ BRL=R$ JPY=JP¥"),
		months:  &monthsPT, long: "d 'de' MMMM 'de' yyyy", short: "dd/MM/yyyy"},
	"pt-pt": {decimal: ",", group: nbsp, minGroup: 2, minus: "-", pos: "#" + nbsp + "¤", neg: "-#" + nbsp + "¤",
		symbols: symbols("USD=US$ EUR=€ GBP=£ CAD=CA$ AUD=AU$ MXN=MX$ BRL=R$ JPY=JP¥"),
		months:  &monthsPT, long: "d 'de' MMMM 'de' yyyy", short: "dd/MM/yy"},
	"sv-se": {decimal: ",", group: nbsp, minGroup: 1, minus: minusSign, pos: "#" + nbsp + "¤", neg: minusSign + "#" + nbsp + "¤",
		symbols: symbols("USD=US$ EUR=€ CAD=CA$ MXN=MX$ BRL=BR$ SEK=kr"),
		months:  &monthsSV, long: "d MMMM yyyy", short: "yyyy-MM-dd"},
	"ja-jp": {decimal: ".", group: ",", minGroup: 1, minus: "-", pos: "¤#", neg: "-¤#",
		symbols: symbols("USD=$ EUR=€ GBP=£ CAD=CA$ AUD=A$ MXN=MX$ BRL=R$ JPY=￥"),
		months:  &monthsEN, long: "yyyy'年'M'月'd'日'", short: "yyyy/MM/dd"},
}

// languages maps a language to the locale that stands for it.
var languages = map[string]string{
	"en": "en-us", "de": "de-de", "fr": "fr-fr", "es": "es-es", "it": "it-it",
	"nl": "nl-nl", "pt": "pt-br", "sv": "sv-se", "ja": "ja-jp",
}

// fallbackLocale is the locale of a recipient whose locale is empty or
// unknown.
const fallbackLocale = "en-us"

// LocaleConventions returns the locale whose conventions money, number
// and date follow for tag: tag's own ("en-gb"), its language's ("fr-fr"
// for "fr-BE"), or, with false, the fallback's ("en-us") when tailor has
// none for its language.
func LocaleConventions(tag string) (string, bool) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	if _, ok := locales[t]; ok {
		return t, true
	}
	lang, _, _ := strings.Cut(t, "-")
	if l, ok := languages[lang]; ok {
		return l, true
	}
	return fallbackLocale, false
}

// lookupLocale returns the conventions for a locale tag such as "fr-FR",
// "fr_fr" or "fr".
func lookupLocale(tag string) *locale {
	t, _ := LocaleConventions(tag)
	return locales[t]
}

// currencyDigits are the minor-unit digits of the currencies that do not
// have two (ISO 4217).
var currencyDigits = map[string]int{
	"BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KMF": 0,
	"KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0, "UYI": 0, "VND": 0,
	"VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}

// decimal is a number as its digits: the sign, the integer digits (no
// leading zeros but one) and the fraction digits.
type decimal struct {
	neg       bool
	int, frac string
}

// ErrData is wrapped when a formatting function gets a value it cannot
// format, such as a points balance that is no number: the recipient's
// message is refused, and the other recipients' go on.
var ErrData = errors.New("a value that cannot be formatted")

// dataError is a value's formatting error; it matches ErrData without
// repeating its text.
type dataError struct{ error }

func (e dataError) Is(target error) bool { return target == ErrData }
func (e dataError) Unwrap() error        { return e.error }

// errNotNumber is wrapped by the errors of values that are no number.
var errNotNumber error = dataError{errors.New("not a number")}

// parseDecimal reads "-1234.50", "+7", ".5" or "12".
func parseDecimal(s string) (decimal, error) {
	var d decimal
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "-"):
		d.neg, t = true, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	ip, fp, _ := strings.Cut(t, ".")
	if ip == "" && fp == "" || !allDigits(ip) || !allDigits(fp) || strings.Count(t, ".") > 1 {
		return d, fmt.Errorf("%q: %w (want digits with an optional sign and decimal point, such as 1234.50)", s, errNotNumber)
	}
	ip = strings.TrimLeft(ip, "0")
	if ip == "" {
		ip = "0"
	}
	d.int, d.frac = ip, fp
	if strings.Trim(ip, "0") == "" && strings.Trim(fp, "0") == "" {
		d.neg = false // no "-0"
	}
	return d, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// round returns d with exactly n fraction digits, rounded half away from
// zero.
func (d decimal) round(n int) decimal {
	if len(d.frac) <= n {
		d.frac += strings.Repeat("0", n-len(d.frac))
		return d
	}
	up := d.frac[n] >= '5'
	digits := []byte(d.int + d.frac[:n])
	if up {
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		} else {
			digits[i]++
		}
	}
	k := len(digits) - n
	d.int, d.frac = string(digits[:k]), string(digits[k:])
	if strings.Trim(d.int, "0") == "" && strings.Trim(d.frac, "0") == "" {
		d.neg = false
	}
	return d
}

// toDecimal converts a template value: an integer, a float or a decimal
// string. minor is the number of fraction digits an integer stands for
// (money in minor units); -1 means integers are whole numbers.
func toDecimal(v any, minor int) (decimal, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intDecimal(strconv.FormatInt(rv.Int(), 10), minor)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return intDecimal(strconv.FormatUint(rv.Uint(), 10), minor)
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return decimal{}, fmt.Errorf("%v: %w", f, errNotNumber)
		}
		return parseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
	case reflect.String:
		return parseDecimal(rv.String())
	}
	return decimal{}, fmt.Errorf("a %T (%v): %w", v, v, errNotNumber)
}

// intDecimal reads an integer that stands for a number with minor
// fraction digits.
func intDecimal(s string, minor int) (decimal, error) {
	d, err := parseDecimal(s)
	if err != nil || minor <= 0 {
		return d, err
	}
	digits := strings.Repeat("0", max(0, minor+1-len(d.int))) + d.int
	k := len(digits) - minor
	d.int, d.frac = strings.TrimLeft(digits[:k], "0"), digits[k:]
	if d.int == "" {
		d.int = "0"
	}
	return d, nil
}

// format writes d's digits with the locale's separators, without a sign.
func (l *locale) format(d decimal) string {
	var b strings.Builder
	n := len(d.int)
	grouped := n >= 3+l.minGroup
	for i := 0; i < n; i++ {
		if grouped && i > 0 && (n-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteByte(d.int[i])
	}
	if d.frac != "" {
		b.WriteString(l.decimal)
		b.WriteString(d.frac)
	}
	return b.String()
}

// formatNumber is the template function number.
func formatNumber(tag string, v any) (string, error) {
	d, err := toDecimal(v, -1)
	if err != nil {
		return "", fmt.Errorf("number: %w", err)
	}
	l := lookupLocale(tag)
	s := l.format(d)
	if d.neg {
		s = l.minus + s
	}
	return s, nil
}

// formatMoney is the template function money.
func formatMoney(tag string, amount any, currency string) (string, error) {
	return money(tag, amount, currency, false)
}

// formatPrice is formatMoney for offers: an amount with no fraction is
// written without one ("$500", "£25", but "$12.50"), as prices are
// advertised.
func formatPrice(tag string, amount any, currency string) (string, error) {
	return money(tag, amount, currency, true)
}

// money writes amount in currency as locale tag writes money; whole drops
// a fraction that is zero.
func money(tag string, amount any, currency string, whole bool) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(currency))
	if len(code) != 3 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", fmt.Errorf("money: currency %q: want a 3-letter ISO 4217 code such as USD", currency)
	}
	digits, ok := currencyDigits[code]
	if !ok {
		digits = 2
	}
	d, err := toDecimal(amount, digits)
	if err != nil {
		return "", fmt.Errorf("money: %w", err)
	}
	d = d.round(digits)
	if whole && strings.Trim(d.frac, "0") == "" {
		d.frac = ""
	}
	l := lookupLocale(tag)
	sym, ok := l.symbols[code]
	if !ok {
		sym = code
	}
	pattern := l.pos
	if d.neg {
		pattern = l.neg
	}
	num := l.format(d)
	var b strings.Builder
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch r {
		case '¤':
			b.WriteString(sym)
			// A symbol that ends in a letter and touches the digits
			// gets a space: "CHF 1,234.50" but "$1,234.50".
			if next := pattern[i+size:]; strings.HasPrefix(next, "#") && endsInLetter(sym) {
				b.WriteString(nbsp)
			}
		case '#':
			if strings.HasPrefix(pattern[i+size:], "¤") && startsWithLetter(sym) {
				b.WriteString(num + nbsp)
			} else {
				b.WriteString(num)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String(), nil
}

func endsInLetter(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z'
}

func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z'
}

// Date styles.
const (
	dateLong  = "long"
	dateShort = "short"
)

// formatDate is the template function date: a time.Time or a date written
// "2006-01-02" (or an RFC 3339 time, whose date is taken as written), in
// the long style ("October 5, 2026") or the short one ("10/5/26").
func formatDate(tag string, v any, style ...string) (string, error) {
	if len(style) > 1 {
		return "", fmt.Errorf("date: %d styles: want one, long or short", len(style))
	}
	st := dateLong
	if len(style) == 1 {
		st = style[0]
	}
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return "", errors.New("date: no date (a nil time)")
		}
		t = *x
	case string:
		s := strings.TrimSpace(x)
		var err error
		if len(s) > 10 {
			var ts time.Time
			if ts, err = time.Parse(time.RFC3339, s); err == nil {
				s = ts.Format("2006-01-02") // the date as written, in its own zone
			}
		}
		if t, err = time.Parse("2006-01-02", s); err != nil {
			return "", dataError{fmt.Errorf("date: %q: want a date such as 2026-10-05", x)}
		}
	default:
		return "", dataError{fmt.Errorf("date: a %T (%v): want a date such as 2026-10-05", v, v)}
	}
	l := lookupLocale(tag)
	switch st {
	case dateLong:
		return l.date(l.long, t), nil
	case dateShort:
		return l.date(l.short, t), nil
	}
	return "", fmt.Errorf("date: style %q: want long or short", st)
}

// date formats t with a pattern of d, dd, M, MM, MMMM, yy and yyyy, and
// literal text in single quotes.
func (l *locale) date(pattern string, t time.Time) string {
	var b strings.Builder
	y, m, d := t.Date()
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			j := strings.IndexByte(pattern[i+1:], '\'')
			if j < 0 {
				j = len(pattern) - i - 1
			}
			b.WriteString(pattern[i+1 : i+1+j])
			i += j + 2
			continue
		}
		j := i
		for j < len(pattern) && pattern[j] == c {
			j++
		}
		run := j - i
		switch {
		case c == 'd' && run == 1:
			b.WriteString(strconv.Itoa(d))
		case c == 'd':
			fmt.Fprintf(&b, "%02d", d)
		case c == 'M' && run == 1:
			b.WriteString(strconv.Itoa(int(m)))
		case c == 'M' && run == 2:
			fmt.Fprintf(&b, "%02d", int(m))
		case c == 'M':
			b.WriteString(l.months[m-1])
		case c == 'y' && run == 2:
			fmt.Fprintf(&b, "%02d", y%100)
		case c == 'y':
			b.WriteString(strconv.Itoa(y))
		default:
			b.WriteString(pattern[i:j])
		}
		i = j
	}
	return b.String()
}
