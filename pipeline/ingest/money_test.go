package ingest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// Amounts as people write them: currencies, accountants' signs, no-break
// spaces.
func TestWrittenAmounts(t *testing.T) {
	us := Format{Thousands: ','}
	eu := Format{Decimal: ',', Thousands: '.'}
	fr := Format{Decimal: ',', Thousands: ' '}
	tests := []struct {
		name  string
		f     Format
		in    string
		cents int64
		cur   string // as currencyMark.String gives it; "" when none
		err   error
	}{
		{"pound sign", us, "£1,234.50", 123450, "£", nil},
		{"euro after", eu, "1.234,50 €", 123450, "€", nil},
		{"euro after no-break space", eu, "1.234,50\u00a0€", 123450, "€", nil},
		{"euro glued", eu, "1.234,50€", 123450, "€", nil},
		{"code before", Format{}, "USD 12.00", 1200, "USD", nil},
		{"code after", Format{}, "12.00 EUR", 1200, "EUR", nil},
		{"code lower case glued", Format{}, "12.00eur", 1200, "EUR", nil},
		{"code before glued", Format{}, "usd12", 1200, "USD", nil},
		{"US dollar sign", Format{}, "US$ 5", 500, "US$", nil},
		{"US dollar sign lower case", Format{}, "us$5", 500, "US$", nil},
		{"dollar sign", Format{}, "$5.25", 525, "$", nil},
		{"krona", Format{}, "12 kr", 1200, "kr", nil},
		{"IDR is no debit", Format{}, "12.50 IDR", 1250, "IDR", nil},
		{"parentheses", Format{}, "(12.50)", -1250, "", nil},
		{"parentheses around a currency", us, "(£1,234.50)", -123450, "£", nil},
		{"parentheses after a currency", Format{}, "£(12.50)", -1250, "£", nil},
		{"trailing minus", Format{}, "12.50-", -1250, "", nil},
		{"trailing minus after a currency", Format{}, "£12.50-", -1250, "£", nil},
		{"leading minus after a currency", Format{}, "EUR -12.50", -1250, "EUR", nil},
		{"leading minus before a currency", Format{}, "-£12.50", -1250, "£", nil},
		{"unicode minus", Format{}, "\u221212.50", -1250, "", nil},
		{"credit", Format{}, "12.50 CR", -1250, "", nil},
		{"credit glued lower case", Format{}, "12.50cr", -1250, "", nil},
		{"credit mixed case", Format{}, "12.50 Cr", -1250, "", nil},
		{"debit", Format{}, "12.50 DR", 1250, "", nil},
		{"debit lower case", Format{}, "12.50dr", 1250, "", nil},
		{"plus and debit", Format{}, "+12.50 DR", 1250, "", nil},
		{"credit after a code", Format{}, "12.50 EUR CR", -1250, "EUR", nil},
		{"no-break spaces around", Format{}, "\u00a012.50\u202f", 1250, "", nil},
		{"narrow no-break space thousands", fr, "1\u202f234,56\u00a0€", 123456, "€", nil},
		{"no-break space thousands", fr, "-1\u00a0234,56", -123456, "", nil},
		{"space thousands", fr, "1 234,56 EUR", 123456, "EUR", nil},
		{"minor units with a currency", Format{MinorUnits: true}, "£1234", 1234, "£", nil},
		{"minor units in parentheses", Format{MinorUnits: true}, "(1234)", -1234, "", nil},
		{"three decimals", Format{}, "12.345", 0, "", ErrDecimals},
		{"three decimals with a currency", Format{}, "£12.345", 0, "", ErrDecimals},
		{"three decimals, decimal comma", Format{Decimal: ','}, "1,234", 0, "", ErrDecimals},
		{"four decimals", Format{}, "12.3456", 0, "", ErrDecimals},
		{"two minus signs", Format{}, "-(12.50)", 0, "", ErrNotNumber},
		{"parentheses and credit", Format{}, "(12.50) CR", 0, "", ErrNotNumber},
		{"minus and debit", Format{}, "-12.50 DR", 0, "", ErrNotNumber},
		{"two trailing minus signs", Format{}, "12.50--", 0, "", ErrNotNumber},
		{"two currencies", Format{}, "USD 12.00 EUR", 0, "", ErrNotNumber},
		{"currency alone", Format{}, "£", 0, "", ErrNotNumber},
		{"credit alone", Format{}, "CR", 0, "", ErrNotNumber},
		{"letters", Format{}, "abc", 0, "", ErrNotNumber},
		{"NaN", Format{}, "NaN", 0, "", ErrNotNumber},
		{"exponent", Format{}, "1e3", 0, "", ErrNotNumber},
		{"decimal comma by default", Format{}, "12,50", 0, "", ErrNotNumber},
		{"no-break space alone", Format{}, "\u00a0", 0, "", ErrRequired},
		{"empty", Format{}, "", 0, "", ErrRequired},
		{"wraps past 2^64", Format{}, "1844674407370955162", 0, "", ErrNotNumber},
		{"wraps past 2^64 with decimals", Format{}, "1844674407370955162.00", 0, "", ErrNotNumber},
		{"largest", Format{}, "46116860184273879.04", 1 << 62, "", nil},
		{"beyond the largest", Format{}, "46116860184273879.05", 0, "", ErrNotNumber},
		{"largest in minor units", Format{MinorUnits: true}, "4611686018427387904", 1 << 62, "", nil},
		{"beyond the largest in minor units", Format{MinorUnits: true}, "4611686018427387905", 0, "", ErrNotNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.f.amountParser().parse([]byte(tt.in))
			if err != tt.err {
				t.Fatalf("parse(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			cur := ""
			if !m.cur.none() {
				cur = m.cur.String()
			}
			if err == nil && (m.cents != tt.cents || cur != tt.cur) {
				t.Errorf("parse(%q) = %d %q, want %d %q", tt.in, m.cents, cur, tt.cents, tt.cur)
			}
		})
	}
}

func TestAmountHint(t *testing.T) {
	tests := []struct {
		f        Format
		in, want string
	}{
		{Format{}, "12,50", `decimal = "," and thousands = "."`},
		{Format{}, "1.234,56", `decimal = "," and thousands = "."`},
		{Format{}, "-1.234,56 €", `decimal = "," and thousands = "."`},
		{Format{}, "1,234.56", ""}, // read as it is: grouped as the decimal point implies
		{Format{}, "£1,234.50", ""},
		{Format{Decimal: ','}, "12.50", `decimal = "." and thousands = ","`},
		{Format{Decimal: ','}, "1.234,56", ""},
		{Format{Decimal: ',', Thousands: '.'}, "1 234,56", `thousands = " "`},
		{Format{MinorUnits: true}, "42.10", `minor_units = false`},
		{Format{}, "1.234", `decimal = "," and thousands = "."`},
		{Format{}, "42.10", ""},
		{Format{}, "12,3.4", ""},
		{Format{}, "abc", ""},
		{Format{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := tt.f.AmountHint(tt.in); got != tt.want {
				t.Errorf("AmountHint(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// A file written with decimal commas read with the default format: every
// row is rejected for one reason, which says how to read the file, and so
// does the error of the exceeded error budget.
func TestAmountHintInRejects(t *testing.T) {
	in := "cardholder_id,posted_on,amount,mcc\n" +
		"C1,2026-10-01,\"12,50\",5812\n" +
		"C1,2026-10-02,\"1.234,56\",5812\n" +
		"C1,2026-10-03,\"-0,99\",5812\n" +
		"C1,2026-10-04,7,5812\n" +
		"C1,2026-10-05,1.234,5812\n"
	got, st, rej, err := readTx(t, in, Options{}, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Amount != 700 || st.Rejected != 4 {
		t.Fatalf("records %+v, stats %+v", got, st)
	}
	const reason = `amount: not a number (the format may need decimal = "," and thousands = ".")`
	if st.Reasons[reason] != 3 || st.Reasons["amount: more than 2 decimals"] != 1 {
		t.Errorf("reasons %v", st.Reasons)
	}
	if want := `transactions.csv:2:3: amount "12,50": not a number (the format may need decimal = "," and thousands = ".")`; rej.errs[0].Error() != want {
		t.Errorf("reject = %s, want %s", rej.errs[0], want)
	}
	if !errors.Is(rej.errs[0], ErrNotNumber) || !errors.Is(rej.errs[3], ErrDecimals) {
		t.Errorf("rejects wrap %v, %v", rej.errs[0].Err, rej.errs[3].Err)
	}
	if err := st.CheckBudget(0.01); err == nil || !strings.Contains(err.Error(), reason+" (3)") {
		t.Errorf("budget error = %v, want the hint", err)
	}
}

// A campaign in pounds reads an export whose amounts carry their
// currency, with no currency column.
func TestAmountCurrencies(t *testing.T) {
	eur, _ := ParseRate("0.85")
	opts := Options{Currency: "GBP", Rates: map[string]Rate{"EUR": eur}, Format: Format{Thousands: ','}}
	in := "cardholder_id,posted_on,amount,mcc\n" +
		"C1,2026-10-01,\"£1,234.50\",5812\n" +
		"C1,2026-10-01,GBP 12.00,5812\n" +
		"C1,2026-10-01,20.00 eur,5812\n" +
		"C1,2026-10-01,€ 10,5812\n" +
		"C1,2026-10-01,(12.50),5812\n" +
		"C1,2026-10-01,12.50-,5812\n" +
		"C1,2026-10-01,12.50 CR,5812\n" +
		"C1,2026-10-01,12.50 dr,5812\n" +
		"C1,2026-10-01,12.345,5812\n" +
		"C1,2026-10-01,$5,5812\n" +
		"C1,2026-10-01,CHF 10,5812\n" +
		"C1,2026-10-01,US$ 5,5812\n"
	got, st, rej, err := readTx(t, in, opts, "C1")
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{123450, 1200, 1700, 850, -1250, -1250, -1250, 1250}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d; rejects %v", len(got), len(want), rej.errs)
	}
	for i, w := range want {
		if got[i].Amount != w {
			t.Errorf("record %d: amount %d, want %d", i, got[i].Amount, w)
		}
	}
	wantRejects := []string{
		`transactions.csv:10:3: amount "12.345": more than 2 decimals`,
		`transactions.csv:11:3: amount "$5": currency symbol names several currencies: write the code or add a currency column ($ may be USD, CAD, AUD, NZD, HKD, SGD, MXN)`,
		`transactions.csv:12:3: amount "CHF 10": currency not accepted: no exchange rate is configured (no rate for CHF to GBP)`,
		`transactions.csv:13:3: amount "US$ 5": currency not accepted: no exchange rate is configured (no rate for USD to GBP)`,
	}
	if st.Rejected != len(wantRejects) {
		t.Errorf("stats %+v", st)
	}
	for i, w := range wantRejects {
		if i >= len(rej.errs) || rej.errs[i].Error() != w {
			t.Errorf("reject %d = %v,\nwant %s", i, rej.errs, w)
		}
	}
}

// With a currency column, the currency written in the amount must agree
// with it.
func TestAmountCurrencyColumn(t *testing.T) {
	eur, _ := ParseRate("1.10")
	opts := Options{Rates: map[string]Rate{"EUR": eur}}
	in := "cardholder_id,posted_on,amount,currency,mcc\n" +
		"C1,2026-10-01,$5.00,USD,5812\n" +
		"C1,2026-10-01,€10.00,EUR,5812\n" +
		"C1,2026-10-01,10.00 eur,eur,5812\n" +
		"C1,2026-10-01,£12.50,EUR,5812\n" +
		"C1,2026-10-01,USD 1.00,EUR,5812\n" +
		"C1,2026-10-01,$5.00,EUR,5812\n" +
		"C1,2026-10-01,€10.00,,5812\n"
	got, _, rej, err := readTx(t, in, opts, "C1")
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{500, 1100, 1100, 1100}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d; rejects %v", len(got), len(want), rej.errs)
	}
	for i, w := range want {
		if got[i].Amount != w {
			t.Errorf("record %d: amount %d, want %d", i, got[i].Amount, w)
		}
	}
	wantRejects := []string{
		`transactions.csv:5:3: amount "£12.50": currency written in the amount differs from the row's currency (£ in the amount, EUR in column currency)`,
		`transactions.csv:6:3: amount "USD 1.00": currency written in the amount differs from the row's currency (USD in the amount, EUR in column currency)`,
		`transactions.csv:7:3: amount "$5.00": currency written in the amount differs from the row's currency ($ in the amount, EUR in column currency)`,
	}
	for i, w := range wantRejects {
		if i >= len(rej.errs) || rej.errs[i].Error() != w {
			t.Errorf("reject %d = %v,\nwant %s", i, rej.errs, w)
		}
	}
}

// A UK statement export: paid out and paid in columns instead of an
// amount, decimal commas, two-digit years, an empty category.
func TestDebitCredit(t *testing.T) {
	raw, err := os.ReadFile("testdata/debit_credit.csv")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Currency: "GBP", Format: Format{DateFormat: "dmy", Decimal: ',', Thousands: '.',
		Columns: map[string]string{"Card Ref": "cardholder_id", "Posted": "posted_on", "Type": "category"}}}
	got, st, rej, err := readTx(t, string(raw), opts, "C1")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		amount int64
		day    int32
	}{
		{1250, dayNumber(2017, 1, 3)},
		{-500, dayNumber(2017, 1, 4)},
		{750, dayNumber(2017, 1, 5)},
		{123450, dayNumber(2017, 1, 7)},
		{-1000, dayNumber(2017, 1, 10)},
		{500, dayNumber(2017, 1, 11)},
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d; rejects %v", len(got), len(want), rej.errs)
	}
	for i, w := range want {
		if got[i].Amount != w.amount || got[i].Day != w.day {
			t.Errorf("record %d = %d on %s, want %d on %s", i, got[i].Amount, DayTime(got[i].Day).Format("2006-01-02"),
				w.amount, DayTime(w.day).Format("2006-01-02"))
		}
	}
	if got[5].Interest != 3 || got[5].Mapped || got[5].Code != -1 || st.UnmappedCategories[EmptyCategoryKey] != 1 {
		t.Errorf("empty category: %+v, unmapped %v", got[5], st.UnmappedCategories)
	}
	wantRejects := []string{
		`transactions.csv:7:3: debit "": required (debit and credit are both empty)`,
		`transactions.csv:9:4: credit "2,00 €": currency written in the amount differs from the row's currency (£ in the debit, € in the credit)`,
		`transactions.csv:10:3: debit "12,345": more than 2 decimals`,
	}
	if st.Read != 9 || st.Rejected != len(wantRejects) {
		t.Errorf("stats %+v", st)
	}
	for i, w := range wantRejects {
		if i >= len(rej.errs) || rej.errs[i].Error() != w {
			t.Errorf("reject %d = %v,\nwant %s", i, rej.errs, w)
		}
	}
}

func TestDebitCreditColumns(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		err      string
	}{
		{"debit and credit", "cardholder_id,posted_on,debit,credit,mcc\nC1,2026-10-01,5.00,1.00,5812\n", 400, ""},
		{"aliases", "cardholder_id,posted_on,Money Out,Money In,mcc\nC1,2026-10-01,,1.00,5812\n", -100, ""},
		{"amount wins", "cardholder_id,posted_on,amount,debit,credit,mcc\nC1,2026-10-01,3.00,5.00,1.00,5812\n", 300, ""},
		{"debit alone", "cardholder_id,posted_on,debit,mcc\nC1,2026-10-01,5.00,5812\n", 0,
			`ingest: transactions.csv:1: missing column "credit": without "amount", the file needs all of "debit", "credit" (header has: cardholder_id, posted_on, debit, mcc)`},
		{"credit alone", "cardholder_id,posted_on,credit,mcc\nC1,2026-10-01,5.00,5812\n", 0,
			`ingest: transactions.csv:1: missing column "debit": without "amount", the file needs all of "debit", "credit" (header has: cardholder_id, posted_on, credit, mcc)`},
		{"neither", "cardholder_id,posted_on,mcc\n", 0,
			`ingest: transactions.csv:1: missing required column "amount" (header has: cardholder_id, posted_on, mcc); map it with a column mapping if it has another name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, rej, err := readTx(t, tt.in, Options{}, "C1")
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("error = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].Amount != tt.want {
				t.Errorf("records %+v, rejects %v, %v; want amount %d", got, rej.errs, err, tt.want)
			}
		})
	}
}

// Decorations around a plain amount read as they say, and the input parser
// reads whatever ParseAmount, the parser of tailor's own files, reads.
func FuzzWrittenAmounts(f *testing.F) {
	for _, s := range []string{"1.234,56", "1,234.56", "12", "-0.5", "1 234,56", "12.345", "£1,234.50", "(12.50)",
		"12.50 CR", "12.50-", "US$ 5", "12.00 EUR", "\u00a012\u00a0", "18446744073709551616"} {
		f.Add(s, byte('.'), byte(','), false)
		f.Add(s, byte(','), byte('.'), false)
		f.Add(s, byte(','), byte(' '), true)
	}
	f.Fuzz(func(t *testing.T, s string, dec, th byte, minor bool) {
		fm := Format{Decimal: dec, Thousands: th, MinorUnits: minor}
		if fm.Check() != nil {
			return
		}
		p := fm.amountParser()
		m, err := p.parse([]byte(s))
		if err != nil {
			if err != ErrNotNumber && err != ErrDecimals && err != ErrRequired {
				t.Fatalf("parse(%q): unexpected error %v", s, err)
			}
			if h := fm.AmountHint(s); err == ErrRequired && h != "" {
				t.Fatalf("AmountHint(%q) = %q for an empty value", s, h)
			}
			return
		}
		if m.cents > maxCents || m.cents < -maxCents {
			t.Fatalf("parse(%q) = %d out of range", s, m.cents)
		}
		if hint := fm.AmountHint(s); hint != "" {
			t.Fatalf("AmountHint(%q) = %q for a value that reads", s, hint)
		}
		if !plainAmount(s, fm) || m.cents < 0 {
			return
		}
		for _, d := range []struct {
			text string
			sign int64
		}{
			{"(" + s + ")", -1}, {s + "-", -1}, {s + " CR", -1}, {s + "cr", -1}, {"-" + s, -1},
			{s + " DR", 1}, {"£" + s, 1}, {"USD " + s, 1}, {s + "\u00a0€", 1}, {"(£" + s + ")", -1},
		} {
			got, err := p.parse([]byte(d.text))
			if err != nil || got.cents != d.sign*m.cents {
				t.Fatalf("parse(%q) = %d, %v; parse(%q) = %d", d.text, got.cents, err, s, m.cents)
			}
		}
	})
}

// plainAmount reports whether s is digits with the format's separators
// only, which decorations may surround.
func plainAmount(s string, f Format) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && c != f.decimal() && (f.Thousands == 0 || c != f.Thousands) {
			return false
		}
	}
	return true
}

func ExampleFormat_AmountHint() {
	f := Format{} // decimal point; thousands grouped by commas
	fmt.Println(f.AmountHint("1.234,56"))
	fmt.Printf("%q\n", f.AmountHint("1,234.56")) // reads as it is
	fmt.Printf("%q\n", f.AmountHint("42.10"))
	// Output:
	// decimal = "," and thousands = "."
	// ""
	// ""
}

// The slow path: amounts with currencies and accountants' signs.
func BenchmarkWrittenAmountParse(b *testing.B) {
	in := [][]byte{[]byte("£1,234.50"), []byte("(12.50)"), []byte("12.50 CR"), []byte("USD 12.00"), []byte("1\u00a0234.56 €")}
	p := Format{Thousands: ','}.amountParser()
	for i := 0; b.Loop(); i++ {
		p.parse(in[i%len(in)])
	}
}
