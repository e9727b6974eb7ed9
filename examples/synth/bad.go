package synth

// This file places the deliberately faulty rows of Config.BadRows.

import "github.com/tailor-mail/tailor/pipeline/csvout"

// fault is one kind of deliberately faulty row.
type fault uint8

const (
	// Cardholder faults.
	faultEmail       fault = iota + 1 // email "not-an-email"
	faultDuplicateID                  // an extra row reusing an earlier id
	faultStatus                       // status "paused"
	faultTier                         // tier "diamond"
	// Transaction faults; each is an extra row.
	faultAmount    // amount "12,3.4"
	faultDate      // posted_on "2026-13-45"
	faultMCC       // mcc "ABCD"
	faultFewFields // only the first five fields
	faultUnknownID // cardholder_id C0000000, which no cardholder has
	faultEmptyID   // empty cardholder_id
	faultCurrency  // currency "???"
	faultChannel   // channel "mobile"
)

// cardholderFaults and transactionFaults list the faults in the order they
// appear in their files.
var (
	cardholderFaults  = [...]fault{faultEmail, faultDuplicateID, faultStatus, faultTier}
	transactionFaults = [...]fault{faultAmount, faultDate, faultMCC, faultFewFields, faultUnknownID, faultEmptyID, faultCurrency, faultChannel}
)

// faultAt places a fault at a cardholder, by 0-based index.
type faultAt struct {
	index int
	fault fault
}

// badPlan says where faulty rows go; the zero value places none.
type badPlan struct {
	cardholders  [len(cardholderFaults)]faultAt
	transactions [len(transactionFaults)]faultAt
	enabled      bool
}

// newBadPlan spreads the faults evenly over n cardholders.
func newBadPlan(n int) badPlan {
	p := badPlan{enabled: true}
	for j, f := range cardholderFaults {
		p.cardholders[j] = faultAt{(2*j + 1) * n / (2 * len(cardholderFaults)), f}
	}
	for j, f := range transactionFaults {
		p.transactions[j] = faultAt{(2*j + 1) * n / (2 * len(transactionFaults)), f}
	}
	return p
}

// writeCardholder appends cardholder i's row, corrupted or followed by a
// duplicate when the plan says so. When several faults that corrupt the row
// fall on the same cardholder (fewer than four cardholders), only the first
// is applied.
func (g *generator) writeCardholder(i int, row *cardholderRow) {
	corrupted, duplicate := false, false
	if g.bad.enabled {
		for _, b := range g.bad.cardholders {
			if b.index != i {
				continue
			}
			if b.fault == faultDuplicateID {
				duplicate = true
				continue
			}
			if corrupted {
				continue
			}
			corrupted = true
			switch b.fault {
			case faultEmail:
				row.email = []byte("not-an-email")
			case faultStatus:
				row.status, row.reason = "paused", ""
			case faultTier:
				row.tier = "diamond"
			}
		}
	}
	g.chBuf = row.appendTo(g.chBuf)
	if corrupted {
		g.stats.BadCardholderRows++
	} else {
		g.stats.Cardholders++
	}
	if duplicate {
		dup := *row
		dup.id = appendID(nil, i/2+1)
		g.chBuf = dup.appendTo(g.chBuf)
		g.stats.BadCardholderRows++
	}
}

// writeBadTransactions appends the faulty transaction rows placed after
// cardholder i, dated on window day day.
func (g *generator) writeBadTransactions(i, day int) {
	if !g.bad.enabled {
		return
	}
	for _, b := range g.bad.transactions {
		if b.index != i {
			continue
		}
		mo := &g.months[0]
		for m := range g.months {
			if g.months[m].first <= day {
				mo = &g.months[m]
			}
		}
		spec := &interests[dining]
		mer := &spec.merchants[g.r.IntN(len(spec.merchants))]
		date := string(mo.prefix[:]) + string([]byte{byte('0' + (day-mo.first+1)/10), byte('0' + (day-mo.first+1)%10)})
		f := []string{string(g.id), date, string(csvout.Cents(nil, 1000+g.r.Int64N(5000))), "USD", mer.mcc, mer.name, "in_store", "US"}
		switch b.fault {
		case faultAmount:
			f[2] = "12,3.4"
		case faultDate:
			f[1] = "2026-13-45"
		case faultMCC:
			f[4] = "ABCD"
		case faultFewFields:
			f = f[:5]
		case faultUnknownID:
			f[0] = "C0000000"
		case faultEmptyID:
			f[0] = ""
		case faultCurrency:
			f[3] = "???"
		case faultChannel:
			f[6] = "mobile"
		}
		for k, s := range f {
			if k > 0 {
				g.txBuf = append(g.txBuf, ',')
			}
			g.txBuf = csvout.Field(g.txBuf, s)
		}
		g.txBuf = append(g.txBuf, '\n')
		g.stats.BadTransactionRows++
	}
}
