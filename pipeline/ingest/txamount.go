package ingest

import (
	"fmt"
	"strings"
)

// amount reads a transaction's amount in cents of the campaign's
// currency: the amount column, or debit minus credit in a file that has
// those instead, in the row's currency, which the currency column gives or
// else the amount itself ("£12.50"), converted through the rates.
func (p *txParser) amount(line int, fields [][]byte) (int64, *RowError) {
	name, v := "amount", get(fields, p.cols.amount)
	if p.cols.amount >= 0 {
		// Most rows: a plain number in the campaign's currency.
		if c, ok := p.amounts.plain(v); ok && c >= -MaxAmount && c <= MaxAmount {
			if cur := get(fields, p.cols.currency); len(cur) == 0 || equalFold(cur, p.currency) {
				return c, nil
			}
		}
	}
	var m money
	if p.cols.amount >= 0 || p.cols.debit < 0 {
		var err error
		if m, err = p.money(v); err != nil {
			return 0, p.err(line, name, v, p.amounts.withHint(v, err))
		}
	} else {
		var e *RowError
		if m, name, v, e = p.debitCredit(line, fields); e != nil {
			return 0, e
		}
	}
	code := p.currency
	if cur := get(fields, p.cols.currency); len(cur) > 0 {
		if !equalFold(cur, p.currency) && (len(cur) != 3 || !isAlpha(cur)) {
			return 0, p.err(line, "currency", cur, ErrNotCurrency)
		}
		if !m.cur.none() && !m.cur.means(cur) {
			e := p.err(line, name, v, ErrCurrencyMismatch)
			e.Detail = m.cur.String() + " in the amount, " + strings.ToUpper(string(cur)) + " in column currency"
			return 0, e
		}
		if !equalFold(cur, p.currency) {
			code = strings.ToUpper(string(cur))
			if _, ok := p.rates[code]; !ok {
				e := p.err(line, "currency", cur, ErrCurrency)
				e.Detail = "no rate for " + code + " to " + p.currency
				return 0, e
			}
		}
	} else if !m.cur.none() {
		var ok bool
		if code, ok = m.cur.resolve(p.currency); !ok {
			e := p.err(line, name, v, ErrCurrencySymbol)
			e.Detail = m.cur.String() + " may be " + strings.Join(m.cur.codes(), ", ")
			return 0, e
		}
		if _, ok := p.rates[code]; !ok && code != p.currency {
			e := p.err(line, name, v, ErrCurrency)
			e.Detail = "no rate for " + code + " to " + p.currency
			return 0, e
		}
	}
	if code != p.currency {
		var ok bool
		if m.cents, ok = p.rates[code].convert(m.cents); !ok {
			return 0, p.err(line, name, v, ErrNotNumber)
		}
	}
	if m.cents > MaxAmount || m.cents < -MaxAmount {
		e := p.err(line, name, v, ErrNotNumber)
		e.Detail = "beyond the largest amount, 2^52 cents"
		return 0, e
	}
	return m.cents, nil
}

// money reads an amount field; in a spreadsheet, a number cell that the
// format does not read ("0.30000000000000004") goes through
// SpreadsheetAmount.
func (p *txParser) money(v []byte) (money, error) {
	m, err := p.amounts.parse(v)
	if err != nil && p.sheet {
		if c, serr := SpreadsheetAmount(string(v)); serr == nil {
			return money{cents: c}, nil
		}
	}
	return m, err
}

// debitCredit reads debit minus credit, either of which may be empty. It
// returns the field and value that errors about the amount name: the
// debit's, or the credit's when the debit is empty.
func (p *txParser) debitCredit(line int, fields [][]byte) (m money, name string, v []byte, e *RowError) {
	d, c := get(fields, p.cols.debit), get(fields, p.cols.credit)
	if len(d) == 0 && len(c) == 0 {
		e := p.err(line, "debit", d, ErrRequired)
		e.Detail = "debit and credit are both empty"
		return m, "", nil, e
	}
	var md, mc money
	var err error
	if len(d) > 0 {
		if md, err = p.money(d); err != nil {
			return m, "", nil, p.err(line, "debit", d, p.amounts.withHint(d, err))
		}
	}
	if len(c) > 0 {
		if mc, err = p.money(c); err != nil {
			return m, "", nil, p.err(line, "credit", c, p.amounts.withHint(c, err))
		}
	}
	if !md.cur.agrees(mc.cur) {
		e := p.err(line, "credit", c, ErrCurrencyMismatch)
		e.Detail = fmt.Sprintf("%s in the debit, %s in the credit", md.cur, mc.cur)
		return m, "", nil, e
	}
	// Each is at most 2^62 cents: the difference fits.
	m = money{cents: md.cents - mc.cents, cur: md.cur}
	if m.cur.none() || m.cur.sym > 0 && mc.cur.sym == 0 && !mc.cur.none() {
		m.cur = mc.cur // a code says more than a symbol
	}
	name, v = "debit", d
	if len(d) == 0 {
		name, v = "credit", c
	}
	return m, name, v, nil
}
