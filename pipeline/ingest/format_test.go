package ingest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAmountFormats(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		in   string
		want int64
		err  bool
	}{
		{"dot", Format{}, "1234.56", 123456, false},
		{"dot thousands", Format{Thousands: ','}, "1,234.56", 123456, false},
		{"dot thousands millions", Format{Thousands: ','}, "-1,234,567.5", -123456750, false},
		{"comma decimal", Format{Decimal: ','}, "12,30", 1230, false},
		{"european", Format{Decimal: ',', Thousands: '.'}, "1.234,56", 123456, false},
		{"swiss", Format{Thousands: '\''}, "1'234.56", 123456, false},
		{"space thousands", Format{Decimal: ',', Thousands: ' '}, "12 345,00", 1234500, false},
		{"bad grouping", Format{Thousands: ','}, "12,34.00", 0, true},
		{"grouping without separator", Format{Thousands: ','}, "1234.00", 123400, false},
		{"leading separator", Format{Thousands: ','}, ",123.00", 0, true},
		{"spec example", Format{}, "12,3.4", 0, true},
		{"comma where dot expected", Format{}, "12,30", 0, true},
		{"three decimals", Format{Decimal: ','}, "1,234", 0, true},
		{"minor units", Format{MinorUnits: true}, "-4210", -4210, false},
		{"minor units with decimals", Format{MinorUnits: true}, "42.10", 0, true},
		{"empty", Format{}, "", 0, true},
		{"overflow", Format{}, "99999999999999999999999", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.amountParser().parse([]byte(tt.in))
			if (err != nil) != tt.err || got.cents != tt.want {
				t.Errorf("parse(%q) = %d, %v; want %d, error %v", tt.in, got.cents, err, tt.want, tt.err)
			}
		})
	}
}

func TestDateFormats(t *testing.T) {
	oct31 := dayNumber(2026, 10, 31)
	tests := []struct {
		format, in string
		want       int32
		err        bool
	}{
		{"", "2026-10-31", oct31, false},
		{"iso", "2026-10-31", oct31, false},
		{"dmy", "31/10/2026", oct31, false},
		{"mdy", "10/31/2026", oct31, false},
		{"02/01/2006", "31/10/2026", oct31, false},
		{"01/02/2006", "10/31/2026", oct31, false},
		{"dmy.", "31.10.2026", oct31, false},
		{"02 Jan 2006", "31 Oct 2026", oct31, false},
		{"Jan 2, 2006", "Oct 31, 2026", oct31, false},
		{"January 2, 2006", "October 31, 2026", oct31, false},
		{"dmy", "10/31/2026", 0, true},
		{"mdy", "31/10/2026", 0, true},
		{"dmy", "29/02/2025", 0, true},
		{"", "2026-13-45", 0, true},
		{"02 Jan 2006", "31 Foo 2026", 0, true},
		{"ymd", "2026/10/31", oct31, false},
		{"2006/01/02", "2026/10/31", oct31, false},
		{"2006.01.02", "2026.10.31", oct31, false},
		{"2006/01/02", "26/10/31", 0, true},
		{"dmy", "1/1/2026", dayNumber(2026, 1, 1), false},
		{"mdy", "10/31/26", oct31, false},
		{"dmy", "31/10/26", oct31, false},
		{"02/01/2006", "31/10/26", 0, true},
		{"02/01/2006", "1/10/2026", 0, true},
		{"dmy", "031/10/2026", 0, true},
		{"dmy", "31/10/026", 0, true},
		{"dmy", "31/10/20260", 0, true},
		{"dmy", "31/10/2026/", 0, true},
		{"dmy", "31//2026", 0, true},
		{"dmy", "/10/2026", 0, true},
		{"dmy", "31-10-2026", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.in, func(t *testing.T) {
			p, err := newDateParser(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.parse([]byte(tt.in))
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("parse(%q) = %v, %v; want %v, error %v", tt.in, DayTime(got), err, DayTime(tt.want), tt.err)
			}
		})
	}
	for _, bad := range []string{"yyyy-mm-dd", "2006", "Monday"} {
		if _, err := newDateParser(bad); err == nil {
			t.Errorf("date format %q accepted", bad)
		}
	}
}

func TestDayNumber(t *testing.T) {
	for _, d := range []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		n := dayNumber(d.Year(), int(d.Month()), d.Day())
		if got := DayTime(n); !got.Equal(d) {
			t.Errorf("dayNumber(%s) = %d -> %s", d.Format("2006-01-02"), n, got.Format("2006-01-02"))
		}
	}
}

func TestRates(t *testing.T) {
	tests := []struct {
		rate  string
		cents int64
		want  int64
	}{
		{"1.0842", 10000, 10842},
		{"1.0842", -10000, -10842},
		{"0.00641", 150000, 962}, // 1,500.00 JPY-like: 9.615 -> 9.62
		{"1", 4210, 4210},
		{"0.5", 1, 1}, // half a cent rounds away from zero
		{"0.5", -1, -1},
		{"1.23456789", 100000000, 123456789},
	}
	for _, tt := range tests {
		t.Run(tt.rate, func(t *testing.T) {
			r, err := ParseRate(tt.rate)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := r.convert(tt.cents)
			if !ok || got != tt.want {
				t.Errorf("%d at %s = %d, %v; want %d", tt.cents, tt.rate, got, ok, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "0", "-1", "1.123456789", "abc", "1,5"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestFormatCheck(t *testing.T) {
	tests := []struct {
		name string
		f    Format
		ok   bool
	}{
		{"zero", Format{}, true},
		{"european", Format{Delimiter: ';', Decimal: ',', Thousands: '.', DateFormat: "dmy", Encoding: "windows-1252"}, true},
		{"same separators", Format{Decimal: ',', Thousands: ','}, false},
		{"dot both", Format{Thousands: '.'}, false},
		{"encoding", Format{Encoding: "latin-9"}, false},
		{"delimiter", Format{Delimiter: ':'}, false},
		{"date", Format{DateFormat: "dd/mm/yyyy"}, false},
		{"two-digit year layout", Format{DateFormat: "02/01/06"}, true},
		{"policies", Format{EmptyCategory: "reject", MissingDefault: "Median", Missing: map[string]string{"balance": "zero"}}, true},
		{"empty category", Format{EmptyCategory: "skip"}, false},
		{"missing default", Format{MissingDefault: "mean"}, false},
		{"missing column", Format{Missing: map[string]string{"balance": "drop"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.f.Check(); (err == nil) != tt.ok {
				t.Errorf("Check() = %v", err)
			}
		})
	}
}

func FuzzAmountFormats(f *testing.F) {
	for _, s := range []string{"1.234,56", "12,3.4", "-1'000.00", "", "+0", "12,50", "1,234.56", "£1,234.50", "1.234,50 €",
		"USD 12.00", "(12.50)", "12.50-", "12.50 CR", "12.50 dr", "US$ 5", "1\u00a0234,56", "12.345", "1844674407370955162"} {
		f.Add(s, byte(','), byte('.'))
		f.Add(s, byte('.'), byte(0))
	}
	f.Fuzz(func(t *testing.T, s string, dec, th byte) {
		fm := Format{Decimal: dec, Thousands: th}
		if fm.Check() != nil {
			return
		}
		m, err := fm.amountParser().parse([]byte(s))
		v := m.cents
		if err == nil && (v > 1<<62 || v < -(1<<62)) {
			t.Fatalf("parse(%q) = %d out of range", s, v)
		}
		if errors.Is(err, ErrRequired) && strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", "")) != "" {
			t.Fatalf("parse(%q): required", s)
		}
		// A hint names a format that reads the value.
		if h := fm.AmountHint(s); h != "" {
			if err == nil {
				t.Fatalf("AmountHint(%q) = %q for a value that reads", s, h)
			}
			hinted := applyHint(t, fm, h)
			if _, err := hinted.amountParser().parse([]byte(s)); err != nil || hinted.Check() != nil {
				t.Fatalf("AmountHint(%q) = %q, but %+v does not read it: %v", s, h, hinted, err)
			}
		}
	})
}

// applyHint changes f as a hint of AmountHint says.
func applyHint(t *testing.T, f Format, hint string) Format {
	for _, part := range strings.Split(hint, " and ") {
		key, value, ok := strings.Cut(part, " = ")
		if !ok {
			t.Fatalf("hint %q", hint)
		}
		switch {
		case key == "minor_units" && value == "false":
			f.MinorUnits = false
		case key == "decimal" && len(value) == 3:
			f.Decimal = value[1]
		case key == "thousands" && len(value) == 3:
			f.Thousands = value[1]
		default:
			t.Fatalf("hint %q", hint)
		}
	}
	return f
}

func FuzzDateFormats(f *testing.F) {
	for _, s := range []string{"31/10/2026", "2026-10-31", "99/99/9999", "", "03/01/17", "3/1/17", "31/12/68", "1/1/69"} {
		f.Add(s, "dmy")
		f.Add(s, "02 Jan 2006")
		f.Add(s, "02/01/06")
		f.Add(s, "ymd")
	}
	f.Fuzz(func(t *testing.T, s, layout string) {
		p, err := newDateParser(layout)
		if err != nil {
			return
		}
		d, err := p.parse([]byte(s))
		if err == nil && (d < dayNumber(0, 1, 1) || d > dayNumber(9999, 12, 31)) {
			t.Fatalf("parse(%q, %q) = %d out of range", s, layout, d)
		}
		if err != nil || !p.loose {
			return
		}
		// A preset reads its own four-digit layout back to the same day.
		back := DayTime(d).Format(p.layout)
		if d2, err := p.parse([]byte(back)); err != nil || d2 != d {
			t.Fatalf("parse(%q, %q) = %s, but %q reads as %s, %v", s, layout, DayTime(d), back, DayTime(d2), err)
		}
	})
}

func TestDate(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC),
	} {
		d := DateOf(tm)
		if d.IsZero() || !d.Time().Equal(tm) || d.String() != tm.Format("2006-01-02") {
			t.Errorf("DateOf(%s) = %d: %v %q", tm.Format("2006-01-02"), d, d.Time(), d)
		}
	}
	if d := DateOf(time.Time{}); !d.IsZero() || !d.Time().IsZero() || d.String() != "" {
		t.Errorf("the zero time gives %d", d)
	}
	if DateOf(time.Date(2026, 10, 31, 23, 59, 0, 0, time.FixedZone("x", -5*3600))) != DateOf(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("DateOf is not in UTC")
	}
}

func TestReadRates(t *testing.T) {
	got, err := ReadRates(strings.NewReader("Currency,Rate\neur,1.0842\nGBP,1.17\n"), "rates.csv")
	if err != nil || len(got) != 2 || got["EUR"].scaled != 108420000 {
		t.Fatalf("rates %v, %v", got, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"currency\nEUR\n", "want columns currency and rate"},
		{"currency,rate\nEURO,1\n", `rates.csv:2:1: currency "EURO"`},
		{"currency,rate\nEUR,1\nEUR,2\n", "currency EUR listed twice"},
		{"currency,rate\nEUR,abc\n", `rates.csv:2:2: rate "abc"`},
		{"currency,rate\n\"EUR,1\n", "rates.csv"},
	} {
		if _, err := ReadRates(strings.NewReader(tt.in), "rates.csv"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadRates(%q) = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func FuzzReadRates(f *testing.F) {
	f.Add("currency,rate\nEUR,1.08\n")
	f.Fuzz(func(t *testing.T, s string) {
		ReadRates(strings.NewReader(s), "r.csv") // must not panic
	})
}

// number's shortcut for digits and two decimals reads what the long way
// reads, in every format.
func FuzzAmountShortcut(f *testing.F) {
	for _, s := range []string{"13.99", "0.00", "1234567890123.45", "12345678901234.56", "1,234.56", "12.3", "1.234,56", "12,34", "0a.12", "12.a3", "-1.00", "+1.00", ".12"} {
		f.Add(s, byte('.'), byte(0), false)
		f.Add(s, byte(','), byte('.'), false)
		f.Add(s, byte('.'), byte(','), true)
	}
	f.Fuzz(func(t *testing.T, s string, dec, th byte, minor bool) {
		fm := Format{Decimal: dec, Thousands: th}
		if fm.Check() != nil {
			return
		}
		p := fm.amountParser()
		p.minor = minor
		got, err := p.number([]byte(s))
		want, werr := p.numberLong([]byte(s))
		if got != want || !errors.Is(err, werr) || (err == nil) != (werr == nil) {
			t.Fatalf("number(%q) = %d, %v; the long way %d, %v", s, got, err, want, werr)
		}
	})
}
