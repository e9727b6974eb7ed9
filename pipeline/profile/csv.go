package profile

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

var fixedColumns = []string{
	"cardholder_id", "first_name", "last_name", "email", "locale", "tier",
	"member_since", "status", "cancelled_on", "cancel_reason", "marketing_consent",
	"mail_status", "spend", "transactions", "active_months", "last_active",
	"recency_days", "trend", "online_share", "foreign_share",
}

// WriteCSV writes profiles as CSV: the cardholder's fields, the mail
// status, the behaviour figures, then one share_<interest> column per
// interest. Floats are written in their shortest exact form, so ReadCSV
// gives back the very same values.
func WriteCSV(w io.Writer, tax *Taxonomy, profiles []Profile) error {
	cw := csv.NewWriter(w)
	header := append([]string(nil), fixedColumns...)
	for _, in := range tax.Interests() {
		header = append(header, "share_"+in.ID)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	for i := range profiles {
		p := &profiles[i]
		status := "active"
		if p.Cancelled {
			status = "cancelled"
		}
		consent := "no"
		if p.Consent {
			consent = "yes"
		}
		rec = append(rec[:0], p.ID, p.FirstName, p.LastName, p.Email, p.Locale, p.Tier,
			date(p.MemberSince), status, date(p.CancelledOn), p.CancelReason, consent,
			string(p.Status()), FormatCents(p.Spend), strconv.Itoa(p.Transactions),
			strconv.Itoa(p.ActiveMonths), date(p.LastActive), strconv.Itoa(p.RecencyDays),
			ftoa(p.Trend), ftoa(p.OnlineShare), ftoa(p.ForeignShare))
		for _, s := range p.Shares {
			rec = append(rec, ftoa(s))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV reads profiles written by WriteCSV with the same taxonomy.
func ReadCSV(r io.Reader, name string, tax *Taxonomy) ([]Profile, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("profile: %s: header: %w", name, err)
	}
	// With ReuseRecord the next Read overwrites the slice: keep a copy to
	// name columns in errors.
	header = slices.Clone(header)
	want := len(fixedColumns) + tax.Len()
	if len(header) != want {
		return nil, fmt.Errorf("profile: %s:1: %d columns, want %d (written with another taxonomy?)", name, len(header), want)
	}
	for i, in := range tax.Interests() {
		if h := header[len(fixedColumns)+i]; h != "share_"+in.ID {
			return nil, fmt.Errorf("profile: %s:1:%d: column %q, want %q", name, len(fixedColumns)+i+1, h, "share_"+in.ID)
		}
	}
	var out []Profile
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("profile: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		p, col, err := parseProfile(rec, tax.Len())
		if err != nil {
			return nil, fmt.Errorf("profile: %s:%d:%d: %s: %w", name, line, col+1, header[col], err)
		}
		out = append(out, p)
	}
}

func parseProfile(rec []string, n int) (Profile, int, error) {
	p := Profile{
		ID: rec[0], FirstName: rec[1], LastName: rec[2], Email: rec[3], Locale: rec[4],
		Tier: rec[5], Cancelled: rec[7] == "cancelled", CancelReason: rec[9], Consent: rec[10] == "yes",
		Shares: make([]float64, n),
	}
	var err error
	for _, d := range []struct {
		col int
		dst *time.Time
	}{{6, &p.MemberSince}, {8, &p.CancelledOn}, {15, &p.LastActive}} {
		if rec[d.col] == "" {
			continue
		}
		if *d.dst, err = ingest.ParseDate(rec[d.col]); err != nil {
			return p, d.col, err
		}
	}
	if p.Spend, err = ingest.ParseAmount(rec[12]); err != nil {
		return p, 12, err
	}
	for _, d := range []struct {
		col int
		dst *int
	}{{13, &p.Transactions}, {14, &p.ActiveMonths}, {16, &p.RecencyDays}} {
		if *d.dst, err = strconv.Atoi(rec[d.col]); err != nil {
			return p, d.col, err
		}
	}
	for _, d := range []struct {
		col int
		dst *float64
	}{{17, &p.Trend}, {18, &p.OnlineShare}, {19, &p.ForeignShare}} {
		if *d.dst, err = parseFinite(rec[d.col]); err != nil {
			return p, d.col, err
		}
	}
	for k := range p.Shares {
		col := len(fixedColumns) + k
		if p.Shares[k], err = parseFinite(rec[col]); err != nil {
			return p, col, err
		}
	}
	return p, 0, nil
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// FormatCents formats an amount in cents as a decimal with two places.
func FormatCents(v int64) string {
	sign := ""
	u := uint64(v)
	if v < 0 {
		sign = "-"
		u = uint64(-v)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// parseFinite parses a float and refuses NaN and infinities, which no
// profile holds.
func parseFinite(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q: not a finite number", s)
	}
	return f, nil
}
