package ingest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// Two-digit years, in every preset but ISO and in Go layouts with "06",
// by the POSIX rule: 00-68 are 2000-2068, 69-99 are 1969-1999.
func TestTwoDigitYears(t *testing.T) {
	day := func(y, m, d int) int32 { return dayNumber(y, m, d) }
	tests := []struct {
		format, in string
		want       int32
		err        bool
	}{
		{"dmy", "03/01/17", day(2017, 1, 3), false},
		{"mdy", "03/01/17", day(2017, 3, 1), false},
		{"ymd", "17/01/03", day(2017, 1, 3), false},
		{"dmy.", "03.01.17", day(2017, 1, 3), false},
		{"dmy-", "03-01-17", day(2017, 1, 3), false},
		{"DMY", "03/01/17", day(2017, 1, 3), false},
		{"mdy", "3/1/17", day(2017, 3, 1), false},
		{"dmy", "3/1/2017", day(2017, 1, 3), false},
		{"dmy", "31/12/68", day(2068, 12, 31), false},
		{"dmy", "01/01/69", day(1969, 1, 1), false},
		{"dmy", "01/01/00", day(2000, 1, 1), false},
		{"dmy", "31/12/99", day(1999, 12, 31), false},
		{"dmy", "29/02/00", day(2000, 2, 29), false},
		{"dmy", "29/02/01", 0, true},
		{"dmy", "03/01/017", 0, true},
		{"dmy", "003/01/17", 0, true},
		{"dmy", "03/01/7", 0, true},
		{"", "17-01-03", 0, true},
		{"iso", "26-10-31", 0, true},
		{"02/01/06", "03/01/17", day(2017, 1, 3), false},
		{"01/02/06", "03/01/17", day(2017, 3, 1), false},
		{"06-01-02", "17-01-03", day(2017, 1, 3), false},
		{"02/01/06", "31/12/68", day(2068, 12, 31), false},
		{"02/01/06", "01/01/69", day(1969, 1, 1), false},
		{"02/01/06", "03/01/2017", 0, true},
		{"02/01/06", "3/1/17", 0, true},
		{"02/01/2006", "03/01/17", 0, true},
		{"02 Jan 06", "03 Jan 17", day(2017, 1, 3), false},
		{"Jan 2, 06", "Dec 31, 68", day(2068, 12, 31), false},
		{"Jan 2, 06", "Jan 1, 69", day(1969, 1, 1), false},
		{"02-Jan-06", "03-Jan-2017", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.in, func(t *testing.T) {
			p, err := newDateParser(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.parse([]byte(tt.in))
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("parse(%q) = %s, %v; want %s, error %v", tt.in, DayTime(got).Format("2006-01-02"), err,
					DayTime(tt.want).Format("2006-01-02"), tt.err)
			}
		})
	}
	for _, bad := range []string{"06", "01/06", "02/01", "Jan 06"} {
		if _, err := newDateParser(bad); err == nil {
			t.Errorf("date format %q accepted", bad)
		}
	}
	if err := (Format{DateFormat: "02/01/06"}).Check(); err != nil {
		t.Errorf("layout with 06 refused: %v", err)
	}
}

// An XLSX export whose dates are text cells with two-digit years, beside a
// date cell and a serial number, which read whatever the format.
func TestTwoDigitYearsXLSX(t *testing.T) {
	f := excelize.NewFile()
	xlsxMust(t, f.SetSheetRow("Sheet1", "A1", &[]any{"cardholder_id", "posted_on", "amount", "mcc"}))
	texts := []string{"03/01/17", "31/12/68", "1/1/69", "3/1/2017", "2017-01-03", "03/01/017"}
	for i, d := range texts {
		r := i + 2
		xlsxMust(t, f.SetCellStr("Sheet1", fmt.Sprintf("A%d", r), "C1"))
		xlsxMust(t, f.SetCellStr("Sheet1", fmt.Sprintf("B%d", r), d))
		xlsxMust(t, f.SetCellStr("Sheet1", fmt.Sprintf("C%d", r), "1.00"))
		xlsxMust(t, f.SetCellInt("Sheet1", fmt.Sprintf("D%d", r), 5812))
	}
	xlsxMust(t, f.SetSheetRow("Sheet1", "A8", &[]any{"C1", time.Date(2017, 1, 3, 0, 0, 0, 0, time.UTC), 1, 5812}))
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	xlsxMust(t, err)
	xlsxMust(t, f.SetCellStyle("Sheet1", "B8", "B8", style))
	xlsxMust(t, f.SetSheetRow("Sheet1", "A9", &[]any{"C1", 42738, 1, 5812})) // 2017-01-03
	var buf bytes.Buffer
	xlsxMust(t, f.Write(&buf))

	got, st, rej, err := readTx(t, buf.String(), Options{Format: Format{DateFormat: "dmy"}}, "C1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2017-01-03", "2068-12-31", "1969-01-01", "2017-01-03", "2017-01-03", "2017-01-03"}
	var days []string
	for _, r := range got {
		days = append(days, DayTime(r.Day).Format("2006-01-02"))
	}
	if strings.Join(days, " ") != strings.Join(want, " ") {
		t.Errorf("days %v, want %v", days, want)
	}
	wantRejects := []string{
		`transactions.csv:6:2: posted_on "2017-01-03": not a date in the expected format (want 02/01/2006)`,
		`transactions.csv:7:2: posted_on "03/01/017": not a date in the expected format (want 02/01/2006)`,
	}
	if st.Read != 8 || st.Rejected != len(wantRejects) {
		t.Errorf("stats %+v", st)
	}
	for i, w := range wantRejects {
		if i >= len(rej.errs) || rej.errs[i].Error() != w {
			t.Errorf("reject %d = %v, want %s", i, rej.errs, w)
		}
	}
}

func TestTwoDigitYearsCardholders(t *testing.T) {
	in := "cardholder_id,first_name,email,marketing_consent,member_since,status,cancelled_on\n" +
		"C1,Ann,ann@example.com,yes,01/06/85,cancelled,3/1/17\n"
	set, _, err := ReadCardholders(context.Background(), strings.NewReader(in), "c.csv", Options{Format: Format{DateFormat: "dmy"}}, nil)
	if err != nil || len(set.List) != 1 {
		t.Fatalf("%+v, %v", set, err)
	}
	if c := set.List[0]; c.MemberSince.String() != "1985-06-01" || c.CancelledOn.String() != "2017-01-03" {
		t.Errorf("member since %s, cancelled on %s", c.MemberSince, c.CancelledOn)
	}
}

// The fast path reads numeric dates as time.Parse reads their layouts,
// two-digit years included, and a preset reads a date with a two-digit
// year as the same date with the POSIX century.
func FuzzTwoDigitYears(f *testing.F) {
	f.Add(uint8(3), uint8(1), uint16(2017), uint8(0))
	f.Add(uint8(31), uint8(12), uint16(1968), uint8(1))
	f.Add(uint8(29), uint8(2), uint16(2000), uint8(2))
	f.Add(uint8(30), uint8(2), uint16(1969), uint8(3))
	f.Fuzz(func(t *testing.T, d, m uint8, y uint16, which uint8) {
		type pair struct{ preset, layout, short string }
		pairs := []pair{
			{"dmy", "02/01/2006", "02/01/06"}, {"mdy", "01/02/2006", "01/02/06"},
			{"ymd", "2006/01/02", "06/01/02"}, {"dmy.", "02.01.2006", "02.01.06"}, {"dmy-", "02-01-2006", "02-01-06"},
		}
		pr := pairs[int(which)%len(pairs)]
		y %= 10000
		long := fmt.Sprintf("%02d%c%02d%c%04d", d%100, pr.layout[2], m%100, pr.layout[2], y)
		short := fmt.Sprintf("%02d%c%02d%c%02d", d%100, pr.layout[2], m%100, pr.layout[2], y%100)
		if pr.preset == "mdy" {
			long = fmt.Sprintf("%02d/%02d/%04d", m%100, d%100, y)
			short = fmt.Sprintf("%02d/%02d/%02d", m%100, d%100, y%100)
		}
		if pr.preset == "ymd" {
			long = fmt.Sprintf("%04d/%02d/%02d", y, m%100, d%100)
			short = fmt.Sprintf("%02d/%02d/%02d", y%100, m%100, d%100)
		}
		preset, _ := newDateParser(pr.preset)
		for _, c := range []struct{ layout, in string }{{pr.layout, long}, {pr.short, short}} {
			p, err := newDateParser(c.layout)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.parse([]byte(c.in))
			tm, terr := time.Parse(c.layout, c.in)
			if (err == nil) != (terr == nil) {
				t.Fatalf("%s %q: fast path %v, time.Parse %v", c.layout, c.in, err, terr)
			}
			if err == nil && !DayTime(got).Equal(tm) {
				t.Fatalf("%s %q: fast path %s, time.Parse %s", c.layout, c.in, DayTime(got), tm)
			}
			// The preset reads what the layout reads, the same.
			pg, perr := preset.parse([]byte(c.in))
			if (perr == nil) != (err == nil) || pg != got {
				t.Fatalf("%s %q: preset %s %v, layout %s %v", pr.preset, c.in, DayTime(pg), perr, DayTime(got), err)
			}
		}
		// A two-digit year is the four-digit one of its POSIX century.
		yy := int(y % 100)
		full := twoDigitYear(yy)
		if full < 1969 || full > 2068 || full%100 != yy {
			t.Fatalf("twoDigitYear(%d) = %d", yy, full)
		}
	})
}

// isoDay's table gives the day time.Parse gives, for every day of its years
// and the years either side of them, and says no to every string that is
// not such a date, which the long way then reads or explains.
func TestISODay(t *testing.T) {
	epoch := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	check := func(s string) {
		t.Helper()
		got, ok := isoDay([]byte(s))
		tm, err := time.Parse("2006-01-02", s)
		inTable := err == nil && tm.Year() >= tableFirstYear && tm.Year() <= tableLastYear && s == tm.Format("2006-01-02")
		if ok != inTable {
			t.Fatalf("isoDay(%q): ok %v, want %v (time.Parse: %v)", s, ok, inTable, err)
		}
		if want := int32(tm.Sub(epoch).Hours() / 24); ok && got != want {
			t.Fatalf("isoDay(%q) = %d, want %d", s, got, want)
		}
	}
	for y := tableFirstYear - 3; y <= tableLastYear+3; y++ {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				check(fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	// Every byte of a valid date replaced by every other.
	for i := range 10 {
		for c := range 256 {
			b := []byte("2024-02-29")
			b[i] = byte(c)
			check(string(b))
		}
	}
	for _, s := range []string{"", "2024-02-2", "2024-02-290", "2024/02/29", " 2024-02-29", "2024-2-029"} {
		check(s)
	}
}

// Through dateParser, the fast path and the long way agree.
func FuzzISODay(f *testing.F) {
	for _, s := range []string{"2026-10-31", "1900-01-01", "2155-12-31", "2156-01-01", "1899-12-31", "2024-02-30", "0000-01-01", "20a4-01-01"} {
		f.Add(s)
	}
	p, err := newDateParser("iso")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		day, ok := isoDay([]byte(s))
		if !ok {
			return
		}
		y, m, d := num([]byte(s[0:4])), num([]byte(s[5:7])), num([]byte(s[8:10]))
		if want := dayNumber(y, m, d); day != want || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
			t.Fatalf("isoDay(%q) = %d, want %d (%d-%d-%d)", s, day, want, y, m, d)
		}
		if got, err := p.parse([]byte(s)); err != nil || got != day {
			t.Fatalf("parse(%q) = %d, %v; isoDay %d", s, got, err, day)
		}
	})
}
