package render

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The expected strings are those of ICU 78 with CLDR 48 (JavaScript's
// Intl.NumberFormat and Intl.DateTimeFormat in Node.js), no-break spaces
// and minus signs included.

func TestMoney(t *testing.T) {
	tests := []struct {
		locale   string
		amount   any
		currency string
		want     string
	}{
		{"en-US", 123450, "USD", "$1,234.50"},
		{"en-US", "1234.5", "USD", "$1,234.50"},
		{"en-US", 1234.5, "usd", "$1,234.50"},
		{"de-DE", "1234.5", "EUR", "1.234,50\u00a0€"},
		{"fr-FR", "1234.5", "EUR", "1\u202f234,50\u00a0€"},
		{"en-GB", "1234.5", "GBP", "£1,234.50"},
		{"en-US", "1234.5", "CHF", "CHF\u00a01,234.50"},
		{"de-CH", "-1234.5", "CHF", "CHF-1'234.50"},
		{"nl-NL", "-1234.5", "EUR", "€\u00a0-1.234,50"},
		{"ja-JP", 1235, "JPY", "￥1,235"},
		{"en-GB", "1234.5", "JPY", "JP¥1,235"},
		{"sv-SE", "-1234.5", "SEK", "\u22121\u00a0234,50\u00a0kr"},
		{"es-ES", "1234.5", "EUR", "1234,50\u00a0€"},
		{"es-ES", "12345.5", "EUR", "12.345,50\u00a0€"},
		{"pt-BR", "1234.5", "BRL", "R$\u00a01.234,50"},
		{"fr-CA", "1234.5", "USD", "1\u00a0234,50\u00a0$\u00a0US"},
		{"es-MX", "1234.5", "USD", "USD\u00a01,234.50"},
		{"en-US", "1.2345", "KWD", "KWD\u00a01.235"},
		{"it-IT", "-0.5", "EUR", "-0,50\u00a0€"},
		{"pt-PT", "1234567.5", "EUR", "1\u00a0234\u00a0567,50\u00a0€"},
		{"en-CA", "1234.5", "CAD", "$1,234.50"},
		{"en-AU", "1234.5", "USD", "USD\u00a01,234.50"},
		{"de-DE", "0.005", "EUR", "0,01\u00a0€"},
		{"en-US", 999.995, "USD", "$1,000.00"},
		{"en-IE", "12", "EUR", "€12.00"},
		// Fallbacks: the language's locale, then en-US.
		{"es-AR", "1234.5", "EUR", "1234,50\u00a0€"},
		{"fr_fr", "1234.5", "EUR", "1\u202f234,50\u00a0€"},
		{"", "1234.5", "USD", "$1,234.50"},
		{"tlh-QO", "1234.5", "USD", "$1,234.50"},
		// Minor units.
		{"en-US", -5, "USD", "-$0.05"},
		{"en-US", int64(100), "BHD", "BHD\u00a00.100"},
		{"en-US", "-0.001", "USD", "$0.00"}, // ICU writes -$0.00; tailor no negative zero
		{"en-US", " +7 ", "XYZ", "XYZ\u00a07.00"},
	}
	for _, tt := range tests {
		t.Run(tt.locale+" "+tt.currency, func(t *testing.T) {
			got, err := formatMoney(tt.locale, tt.amount, tt.currency)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("money %s %v %s = %q, want %q", tt.locale, tt.amount, tt.currency, got, tt.want)
			}
		})
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		locale string
		value  any
		want   string
	}{
		{"en-US", 1234567, "1,234,567"},
		{"en-US", "12480", "12,480"},
		{"de-DE", "1234.5", "1.234,5"},
		{"fr-FR", "-1234567.891", "-1\u202f234\u202f567,891"},
		{"es-ES", 1234, "1234"},
		{"es-ES", 12345, "12.345"},
		{"sv-SE", -12345, "\u221212\u00a0345"},
		{"de-CH", "1234567.25", "1'234'567.25"},
		{"en-US", 2.5, "2.5"},
		{"it-IT", uint8(200), "200"},
		{"pt-PT", "12345.678", "12\u00a0345,678"},
		{"ja-JP", 1000000, "1,000,000"},
		{"nl-NL", "-0.25", "-0,25"},
		{"en-GB", "007", "7"},
		{"en-US", "-0", "0"},
		{"en-US", ".5", "0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			got, err := formatNumber(tt.locale, tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("number %s %v = %q, want %q", tt.locale, tt.value, got, tt.want)
			}
		})
	}
}

func TestDate(t *testing.T) {
	day := time.Date(2026, 10, 5, 23, 30, 0, 0, time.UTC)
	tests := []struct{ locale, long, short string }{
		{"en-US", "October 5, 2026", "10/5/26"},
		{"en-GB", "5 October 2026", "05/10/2026"},
		{"en-CA", "October 5, 2026", "2026-10-05"},
		{"en-AU", "5 October 2026", "5/10/26"},
		{"en-IE", "5 October 2026", "05/10/2026"},
		{"de-DE", "5. Oktober 2026", "05.10.26"},
		{"de-CH", "5. Oktober 2026", "05.10.26"},
		{"fr-FR", "5 octobre 2026", "05/10/2026"},
		{"fr-CA", "5 octobre 2026", "2026-10-05"},
		{"es-ES", "5 de octubre de 2026", "5/10/26"},
		{"es-MX", "5 de octubre de 2026", "05/10/26"},
		{"it-IT", "5 ottobre 2026", "05/10/26"},
		{"nl-NL", "5 oktober 2026", "05-10-2026"},
		{"pt-BR", "5 de outubro de 2026", "05/10/2026"},
		{"pt-PT", "5 de outubro de 2026", "05/10/26"},
		{"sv-SE", "5 oktober 2026", "2026-10-05"},
		{"ja-JP", "2026年10月5日", "2026/10/05"},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			for _, in := range []any{day, &day, "2026-10-05", " 2026-10-05T23:30:00-05:00 "} {
				long, err := formatDate(tt.locale, in)
				if err != nil {
					t.Fatal(err)
				}
				explicit, err := formatDate(tt.locale, in, "long")
				if err != nil {
					t.Fatal(err)
				}
				short, err := formatDate(tt.locale, in, "short")
				if err != nil {
					t.Fatal(err)
				}
				if long != tt.long || explicit != tt.long || short != tt.short {
					t.Errorf("date %s %v = %q, %q, %q; want %q, %q", tt.locale, in, long, explicit, short, tt.long, tt.short)
				}
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	var nilTime *time.Time
	tests := []struct {
		name string
		call func() (string, error)
		want string
	}{
		{"money: not a number", func() (string, error) { return formatMoney("en-US", "12,50", "USD") }, `money: "12,50": not a number`},
		{"money: empty", func() (string, error) { return formatMoney("en-US", "", "USD") }, `money: "": not a number`},
		{"money: two points", func() (string, error) { return formatMoney("en-US", "1.2.3", "USD") }, `money: "1.2.3": not a number`},
		{"money: currency", func() (string, error) { return formatMoney("en-US", "1", "dollars") }, `money: currency "dollars": want a 3-letter ISO 4217 code`},
		{"money: a struct", func() (string, error) { return formatMoney("en-US", struct{}{}, "USD") }, "money: a struct {} ({}): not a number"},
		{"money: NaN", func() (string, error) { return formatMoney("en-US", nan(), "USD") }, "money: NaN: not a number"},
		{"number: words", func() (string, error) { return formatNumber("en-US", "lots") }, `number: "lots": not a number`},
		{"number: nil", func() (string, error) { return formatNumber("en-US", nil) }, "number: a <nil> (<nil>): not a number"},
		{"date: not a date", func() (string, error) { return formatDate("en-US", "5 October") }, `date: "5 October": want a date such as 2026-10-05`},
		{"date: a number", func() (string, error) { return formatDate("en-US", 20261005) }, "date: a int (20261005): want a date"},
		{"date: nil time", func() (string, error) { return formatDate("en-US", nilTime) }, "date: no date"},
		{"date: style", func() (string, error) { return formatDate("en-US", "2026-10-05", "medium") }, `date: style "medium": want long or short`},
		{"date: two styles", func() (string, error) { return formatDate("en-US", "2026-10-05", "long", "short") }, "date: 2 styles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if err == nil {
				t.Fatalf("got %q, want an error", got)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
			if strings.Contains(tt.name, "not a number") && !errors.Is(err, errNotNumber) {
				t.Errorf("error %q does not wrap errNotNumber", err)
			}
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

// TestFormatErrorsAreData checks that a value the functions cannot
// format is reported as ErrData, so that only its recipient is refused,
// while a wrong argument in the template is not.
func TestFormatErrorsAreData(t *testing.T) {
	fs := Funcs()
	for _, tc := range []struct {
		name string
		call func() error
		data bool
	}{
		{"number of text", func() error { _, err := fs["number"].(func(string, any) (string, error))("en-US", "lots"); return err }, true},
		{"date of text", func() error {
			_, err := fs["date"].(func(string, any, ...string) (string, error))("en-US", "soon")
			return err
		}, true},
		{"date style", func() error {
			_, err := fs["date"].(func(string, any, ...string) (string, error))("en-US", "2026-10-05", "medium")
			return err
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrData) != tc.data {
				t.Errorf("errors.Is(%v, ErrData) = %v, want %v", err, !tc.data, tc.data)
			}
		})
	}
}

func TestPrice(t *testing.T) {
	tests := []struct {
		locale   string
		amount   any
		currency string
		want     string
	}{
		{"en-US", "500", "USD", "$500"},
		{"en-US", "6000", "USD", "$6,000"},
		{"en-GB", "25", "GBP", "£25"},
		{"en-US", "12.5", "USD", "$12.50"},
		{"en-US", "0.01", "USD", "$0.01"},
		{"en-US", "9.999", "USD", "$10"},
		{"de-DE", "1234", "EUR", "1.234\u00a0€"},
		{"en-US", 1500, "USD", "$15"},
		{"ja-JP", "1235", "JPY", "￥1,235"},
	}
	for _, tt := range tests {
		got, err := formatPrice(tt.locale, tt.amount, tt.currency)
		if err != nil || got != tt.want {
			t.Errorf("price %s %v %s = %q, %v; want %q", tt.locale, tt.amount, tt.currency, got, err, tt.want)
		}
	}
	if _, err := formatPrice("en-US", "ten", "USD"); err == nil {
		t.Error("price of ten: no error")
	}
}
