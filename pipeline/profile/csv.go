package profile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

var fixedColumns = []string{
	"cardholder_id", "first_name", "last_name", "email", "locale", "tier",
	"member_since", "status", "cancelled_on", "cancel_reason", "marketing_consent",
	"mail_status", "spend", "transactions", "active_months", "last_active",
	"recency_days", "trend", "online_share", "foreign_share", "relationship",
	"transactions_per_month", "average_ticket", "concentration",
	"favourite_merchant", "top_merchants",
}

// Positions of the fixed columns that are not plain text.
const (
	colMemberSince = 6
	colCancelledOn = 8
	colSpend       = 12
	colLastActive  = 15
	colRelation    = 20
	colTicket      = 22
	colTop         = 25
)

// attrPrefix starts the name of an attribute column.
const attrPrefix = "attr_"

// WriteCSV writes profiles as CSV: the cardholder's fields, the mail
// status, the behaviour figures and relationship type, the favourite
// merchants, then one share_<interest> column per interest, then one
// attr_<name> column per cardholder attribute found in any profile, sorted
// by name (empty where a profile lacks it). Floats are written in their
// shortest exact form, so ReadCSV gives back the very same values.
//
// The top_merchants column holds interest=merchant pairs, sorted by
// interest and joined by ";"; a backslash escapes a "\", ";" or "=" within
// a name: "dining=Olive \; Thyme;fuel=QuickPump".
//
// Rows are formatted by chunks on every core and written in order: the
// bytes are those of one writer going through the profiles.
func WriteCSV(w io.Writer, tax *Taxonomy, profiles []Profile) error {
	cw := csv.NewWriter(w)
	header := append([]string(nil), fixedColumns...)
	for _, in := range tax.Interests() {
		header = append(header, "share_"+in.ID)
	}
	attrs := AttrNames(profiles)
	for _, a := range attrs {
		header = append(header, attrPrefix+a)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	// A round formats up to workers*2 chunks at once, then writes them.
	workers := runtime.GOMAXPROCS(0)
	chunks := make([]bytes.Buffer, 2*workers)
	for start := 0; start < len(profiles); start += len(chunks) * csvChunk {
		var wg sync.WaitGroup
		errs := make([]error, len(chunks))
		n := 0
		for c := range chunks {
			from := start + c*csvChunk
			if from >= len(profiles) {
				break
			}
			n++
			to := min(from+csvChunk, len(profiles))
			chunks[c].Reset()
			wg.Go(func() { errs[c] = writeRows(&chunks[c], profiles[from:to], len(header), attrs) })
		}
		wg.Wait()
		for c := range n {
			if errs[c] != nil {
				return errs[c]
			}
			if _, err := w.Write(chunks[c].Bytes()); err != nil {
				return err
			}
		}
	}
	return nil
}

// csvChunk is how many profiles one goroutine of WriteCSV formats at a
// time.
const csvChunk = 4096

// writeRows writes the rows of profiles to b, each of columns fields.
func writeRows(b *bytes.Buffer, profiles []Profile, columns int, attrs []string) error {
	cw := csv.NewWriter(b)
	rec := make([]string, columns)
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
			date(p.MemberSince.Time()), status, date(p.CancelledOn.Time()), p.CancelReason, consent,
			string(p.Status()), FormatCents(p.Spend), strconv.Itoa(p.Transactions),
			strconv.Itoa(p.ActiveMonths), date(p.LastActive), strconv.Itoa(p.RecencyDays),
			ftoa(p.Trend), ftoa(p.OnlineShare), ftoa(p.ForeignShare), string(p.Relationship),
			ftoa(p.TransactionsPerMonth), FormatCents(p.AverageTicket), ftoa(p.Concentration),
			p.FavouriteMerchant, EncodeTopMerchants(p.TopMerchants.Map()))
		for _, s := range p.Shares {
			rec = append(rec, ftoa(s))
		}
		for _, a := range attrs {
			rec = append(rec, p.Attrs[a])
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
	var out []Profile
	err := EachCSV(r, name, tax, func(p *Profile) error {
		out = append(out, *p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachCSV reads what WriteCSV wrote, as ReadCSV does, and calls fn with
// each profile in turn instead of keeping them: a reader of a million
// profiles that needs a few fields of each holds those alone. fn must not
// keep p, and its error stops the reading.
func EachCSV(r io.Reader, name string, tax *Taxonomy, fn func(p *Profile) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("profile: %s: header: %w", name, err)
	}
	// With ReuseRecord the next Read overwrites the slice: keep a copy to
	// name columns in errors.
	header = slices.Clone(header)
	want := len(fixedColumns) + tax.Len()
	if len(header) < want {
		return fmt.Errorf("profile: %s:1: %d columns, want %d and attributes (written with another taxonomy?)", name, len(header), want)
	}
	for i, h := range header[:len(fixedColumns)] {
		if h != fixedColumns[i] {
			return fmt.Errorf("profile: %s:1:%d: column %q, want %q", name, i+1, h, fixedColumns[i])
		}
	}
	for i, in := range tax.Interests() {
		if h := header[len(fixedColumns)+i]; h != "share_"+in.ID {
			return fmt.Errorf("profile: %s:1:%d: column %q, want %q", name, len(fixedColumns)+i+1, h, "share_"+in.ID)
		}
	}
	var attrs []string
	for i, h := range header[want:] {
		a, ok := strings.CutPrefix(h, attrPrefix)
		if !ok || a == "" {
			return fmt.Errorf("profile: %s:1:%d: column %q, want %s<name> (written with another taxonomy?)", name, want+i+1, h, attrPrefix)
		}
		if slices.Contains(attrs, a) {
			return fmt.Errorf("profile: %s:1:%d: column %q twice", name, want+i+1, h)
		}
		attrs = append(attrs, a)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("profile: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		p, col, err := parseProfile(rec, tax)
		if err == nil {
			p.Attrs = readAttrs(rec[want:], attrs)
		}
		if err != nil {
			return fmt.Errorf("profile: %s:%d:%d: %s: %w", name, line, col+1, header[col], err)
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
}

func parseProfile(rec []string, tax *Taxonomy) (Profile, int, error) {
	p := Profile{
		Cardholder: &ingest.Cardholder{ID: rec[0], FirstName: rec[1], LastName: rec[2], Email: rec[3], Locale: rec[4],
			Tier: rec[5], Cancelled: rec[7] == "cancelled", CancelReason: rec[9], Consent: rec[10] == "yes"},
		Relationship: Relationship(rec[colRelation]), FavouriteMerchant: rec[24],
		Shares: make([]float64, tax.Len()),
	}
	var err error
	var since, cancelled time.Time
	for _, d := range []struct {
		col int
		dst *time.Time
	}{{colMemberSince, &since}, {colCancelledOn, &cancelled}, {colLastActive, &p.LastActive}} {
		if rec[d.col] == "" {
			continue
		}
		if *d.dst, err = ingest.ParseDate(rec[d.col]); err != nil {
			return p, d.col, err
		}
	}
	p.MemberSince, p.CancelledOn = ingest.DateOf(since), ingest.DateOf(cancelled)
	for _, d := range []struct {
		col int
		dst *int64
	}{{colSpend, &p.Spend}, {colTicket, &p.AverageTicket}} {
		if *d.dst, err = ingest.ParseAmount(rec[d.col]); err != nil {
			return p, d.col, err
		}
	}
	if p.Relationship != "" && !p.Relationship.Valid() {
		return p, colRelation, fmt.Errorf("%q: not a relationship type", rec[colRelation])
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
	}{{17, &p.Trend}, {18, &p.OnlineShare}, {19, &p.ForeignShare}, {21, &p.TransactionsPerMonth}, {23, &p.Concentration}} {
		if *d.dst, err = parseFinite(rec[d.col]); err != nil {
			return p, d.col, err
		}
	}
	top, err := DecodeTopMerchants(rec[colTop])
	if err != nil {
		return p, colTop, err
	}
	p.TopMerchants = FavouritesOf(top)
	for id := range top {
		if _, ok := tax.Index(id); !ok {
			return p, colTop, fmt.Errorf("interest %q: not in the taxonomy", id)
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

// AttrNames returns the names of the attributes of all profiles that have
// a value, sorted.
func AttrNames(profiles []Profile) []string {
	seen := map[string]bool{}
	for i := range profiles {
		for a := range profiles[i].Attrs {
			seen[a] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// readAttrs returns the attributes of a row: the non-empty values of the
// attribute columns, by name; nil when all are empty.
func readAttrs(values, names []string) map[string]string {
	var m map[string]string
	for i, v := range values {
		if v == "" {
			continue
		}
		if m == nil {
			m = make(map[string]string, len(values))
		}
		m[names[i]] = v
	}
	return m
}

// EncodeTopMerchants encodes an interest-to-merchant map as WriteCSV
// writes it: interest=merchant pairs sorted by interest and joined by ";",
// with "\", ";" and "=" escaped by a backslash. Nil and empty maps encode
// as "".
func EncodeTopMerchants(m map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(';')
		}
		escapeTo(&b, k)
		b.WriteByte('=')
		escapeTo(&b, m[k])
	}
	return b.String()
}

func escapeTo(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', '=':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
}

// DecodeTopMerchants decodes what EncodeTopMerchants encodes; "" decodes
// to nil. It refuses a pair without "=", an empty interest, an interest
// given twice and a backslash that escapes anything but "\", ";" or "=".
func DecodeTopMerchants(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	m := map[string]string{}
	var cur strings.Builder
	var key string
	inValue := false
	end := func() error {
		if !inValue {
			return fmt.Errorf("%q: %w", cur.String(), errNoEquals)
		}
		if _, dup := m[key]; dup {
			return fmt.Errorf("interest %q: %w", key, errTwice)
		}
		m[key] = cur.String()
		cur.Reset()
		inValue = false
		return nil
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) || (s[i+1] != '\\' && s[i+1] != ';' && s[i+1] != '=') {
				return nil, fmt.Errorf("at byte %d: %w", i+1, errEscape)
			}
			i++
			cur.WriteByte(s[i])
		case '=':
			if inValue {
				return nil, fmt.Errorf("at byte %d: %w", i+1, errUnescaped)
			}
			if key = cur.String(); key == "" {
				return nil, fmt.Errorf("at byte %d: %w", i+1, errEmptyInterest)
			}
			cur.Reset()
			inValue = true
		case ';':
			if err := end(); err != nil {
				return nil, err
			}
		default:
			cur.WriteByte(c)
		}
	}
	if err := end(); err != nil {
		return nil, err
	}
	return m, nil
}

// Errors of DecodeTopMerchants.
var (
	errNoEquals      = errors.New("want interest=merchant")
	errTwice         = errors.New("given twice")
	errEscape        = errors.New(`a backslash must escape "\", ";" or "="`)
	errUnescaped     = errors.New(`"=" in a merchant name must be escaped`)
	errEmptyInterest = errors.New("empty interest")
)

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
