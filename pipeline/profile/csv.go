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
	"sync/atomic"
	"time"

	"github.com/tailor-mail/tailor/pipeline/csvout"
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
	// A round formats up to workers*2 chunks at once; one goroutine
	// writes each round, in order, while the next is formatted. Each
	// chunk's buffer is made once, with room for its rows as the first
	// rows measure them: buffers grown by appending were copied and
	// reallocated through the first rounds, on memory fresh from the
	// system each time.
	workers := runtime.GOMAXPROCS(0)
	type round struct {
		chunks [][]byte
		n      int
	}
	room := chunkRoom(profiles, attrs)
	free, full := make(chan *round, 2), make(chan *round, 2)
	for range 2 {
		free <- &round{chunks: make([][]byte, 2*workers)}
	}
	var werr error
	var failed atomic.Bool // werr is set: formatting stops
	written := make(chan struct{})
	go func() {
		defer close(written)
		for rd := range full {
			for c := range rd.n {
				if werr == nil {
					if _, werr = w.Write(rd.chunks[c]); werr != nil {
						failed.Store(true)
					}
				}
			}
			free <- rd
		}
	}()
	for start := 0; start < len(profiles) && !failed.Load(); start += 2 * workers * csvChunk {
		rd := <-free
		var wg sync.WaitGroup
		rd.n = 0
		for c := range rd.chunks {
			from := start + c*csvChunk
			if from >= len(profiles) {
				break
			}
			rd.n++
			to := min(from+csvChunk, len(profiles))
			if rd.chunks[c] == nil {
				rd.chunks[c] = make([]byte, 0, room)
			}
			wg.Go(func() { rd.chunks[c] = appendRows(rd.chunks[c][:0], profiles[from:to], attrs) })
		}
		wg.Wait()
		full <- rd
	}
	close(full)
	<-written
	return werr
}

// chunkRoom returns the capacity to give a chunk's buffer: a quarter more
// than csvChunk rows of the first rows' mean length, which appendRows
// formats once to measure them. A chunk that needs more grows its buffer,
// which keeps the room for the next rounds.
func chunkRoom(profiles []Profile, attrs []string) int {
	n := min(len(profiles), csvSample)
	if n == 0 {
		return 0
	}
	b := appendRows(nil, profiles[:n], attrs)
	return csvChunk * len(b) / n * 5 / 4
}

// csvSample is how many profiles chunkRoom measures.
const csvSample = 256

// csvChunk is how many profiles one goroutine of WriteCSV formats at a
// time.
const csvChunk = 4096

// appendRows appends the rows of profiles to out as encoding/csv's
// Writer would write them (csvout), without a record of strings:
// numbers are appended as they are formatted.
func appendRows(out []byte, profiles []Profile, attrs []string) []byte {
	var scratch []byte
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
		out = csvout.Field(out, p.ID)
		for _, f := range [...]string{p.FirstName, p.LastName, p.Email, p.Locale, p.Tier} {
			out = csvout.Field(append(out, ','), f)
		}
		out = appendDate(append(out, ','), p.MemberSince.Time())
		out = csvout.Field(append(out, ','), status)
		out = appendDate(append(out, ','), p.CancelledOn.Time())
		out = csvout.Field(append(out, ','), p.CancelReason)
		out = csvout.Field(append(out, ','), consent)
		out = csvout.Field(append(out, ','), string(p.Status()))
		out = csvout.Cents(append(out, ','), p.Spend)
		out = strconv.AppendInt(append(out, ','), int64(p.Transactions), 10)
		out = strconv.AppendInt(append(out, ','), int64(p.ActiveMonths), 10)
		out = appendDate(append(out, ','), p.LastActive)
		out = strconv.AppendInt(append(out, ','), int64(p.RecencyDays), 10)
		out = appendFloat(append(out, ','), p.Trend)
		out = appendFloat(append(out, ','), p.OnlineShare)
		out = appendFloat(append(out, ','), p.ForeignShare)
		out = csvout.Field(append(out, ','), string(p.Relationship))
		out = appendFloat(append(out, ','), p.TransactionsPerMonth)
		out = csvout.Cents(append(out, ','), p.AverageTicket)
		out = appendFloat(append(out, ','), p.Concentration)
		out = csvout.Field(append(out, ','), p.FavouriteMerchant)
		scratch = appendTopMerchants(scratch[:0], p.TopMerchants)
		out = csvout.Field(append(out, ','), scratch)
		for _, v := range p.Shares {
			out = appendFloat(append(out, ','), v)
		}
		for _, a := range attrs {
			out = csvout.Field(append(out, ','), p.Attrs[a])
		}
		out = append(out, '\n')
	}
	return out
}

// appendDate appends t as date formats it.
func appendDate(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, "2006-01-02")
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// appendFloat appends f as ftoa formats it; most shares are 0.
func appendFloat(b []byte, f float64) []byte {
	if f == 0 && !math.Signbit(f) {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendTopMerchants appends f as EncodeTopMerchants encodes f.Map():
// by interest id, which is Favourites' own order.
func appendTopMerchants(b []byte, f Favourites) []byte {
	i := 0
	for interest, merchant := range f.All() {
		if i > 0 {
			b = append(b, ';')
		}
		i++
		b = appendEscaped(b, interest)
		b = append(b, '=')
		b = appendEscaped(b, merchant)
	}
	return b
}

// appendEscaped appends s as escapeTo writes it.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', '=':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return b
}

// ReadCSV reads profiles written by WriteCSV with the same taxonomy. The
// rows are parsed by chunks on every core; the profiles, and the first
// error with its line, are those EachCSV gives.
func ReadCSV(r io.Reader, name string, tax *Taxonomy) ([]Profile, error) {
	// The header, read by encoding/csv from the first bytes, which says
	// where it ends.
	first := make([]byte, max(readChunk, 64<<10))
	n, err := io.ReadFull(r, first)
	first = first[:n]
	eof := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !eof {
		return nil, fmt.Errorf("profile: %s: header: %w", name, err)
	}
	cr := csv.NewReader(bytes.NewReader(first))
	record, err := cr.Read()
	off := int(cr.InputOffset())
	if !eof && (err != nil || off == len(first)) {
		// A header the chunk may have cut: one reader reads it all.
		return readAll(io.MultiReader(bytes.NewReader(first), r), name, tax)
	}
	if err != nil {
		return nil, fmt.Errorf("profile: %s: header: %w", name, err)
	}
	h, err := parseHeader(record, name, tax)
	if err != nil {
		return nil, err
	}
	head := first[:off]
	br := r
	if eof {
		br = eofReader{}
	}
	// Chunks of whole records, cut at line ends outside quotes, go to
	// the workers in order and come back in order.
	type job struct {
		data  []byte
		line  int // the file's line the chunk starts at
		out   []Profile
		err   error
		ready chan struct{}
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *job, workers)
	ordered := make(chan *job, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.out, j.err = parseChunk(j.data, j.line, name, tax, h)
				close(j.ready)
			}
		})
	}
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(jobs)
		line := 1 + bytes.Count(head, []byte("\n"))
		pending, more, need := first[off:], !eof, false
		for {
			// Read until pending holds a chunk (need: a whole record
			// more than it holds), or the file ends.
			for more && (len(pending) < readChunk || need) {
				buf := make([]byte, len(pending), len(pending)+readChunk)
				copy(buf, pending)
				n, err := io.ReadFull(br, buf[len(pending):cap(buf)])
				pending, need = buf[:len(pending)+n], false
				switch {
				case err == io.EOF || err == io.ErrUnexpectedEOF:
					more = false
				case err != nil:
					readErr <- err
					return
				}
			}
			if len(pending) == 0 {
				return
			}
			// The chunk: the whole records of its first readChunk bytes,
			// or the first record when it is longer; the rest at the end.
			end := len(pending)
			if more || len(pending) > readChunk {
				if end = recordsEnd(pending[:min(len(pending), readChunk)]); end < 0 {
					end = recordsEnd(pending)
				}
				if end < 0 && more {
					need = true
					continue
				}
				if end < 0 {
					end = len(pending)
				}
			}
			j := &job{data: pending[:end], line: line, ready: make(chan struct{})}
			line += bytes.Count(pending[:end], []byte("\n"))
			pending = pending[end:]
			select {
			case ordered <- j:
			case <-stop:
				return
			}
			jobs <- j
		}
	}()
	var out []Profile
	var firstErr error
	for j := range ordered {
		<-j.ready
		if firstErr == nil && j.err != nil {
			firstErr = j.err
			close(stop)
		}
		if firstErr == nil {
			out = append(out, j.out...)
		}
	}
	wg.Wait()
	select {
	case err := <-readErr:
		if firstErr == nil {
			firstErr = fmt.Errorf("profile: %s: %w", name, err)
		}
	default:
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// readChunk is how many bytes of profiles.csv a worker of ReadCSV parses at
// a time.
var readChunk = 4 << 20

// readAll reads profiles.csv with one reader, as EachCSV does.
func readAll(r io.Reader, name string, tax *Taxonomy) ([]Profile, error) {
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

// eofReader is a reader at its end.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// recordsEnd returns the index just past the last line end of b that is
// outside quotes, b starting outside them; -1 when there is none.
func recordsEnd(b []byte) int {
	end, quoted := -1, false
	for pos := 0; ; {
		q := bytes.IndexByte(b[pos:], '"')
		seg := b[pos:]
		if q >= 0 {
			seg = seg[:q]
		}
		if !quoted {
			if k := bytes.LastIndexByte(seg, '\n'); k >= 0 {
				end = pos + k + 1
			}
		}
		if q < 0 {
			return end
		}
		quoted = !quoted
		pos += q + 1
	}
}

// parseChunk parses the records of data, which start at the file's line
// line, as EachCSV does.
func parseChunk(data []byte, line int, name string, tax *Taxonomy, h header) ([]Profile, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = len(h.names)
	out := make([]Profile, 0, bytes.Count(data, []byte("\n"))+1)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				pe.StartLine += line - 1
				pe.Line += line - 1
			}
			return nil, fmt.Errorf("profile: %s: %w", name, err)
		}
		p, err := h.profile(rec, cr, tax, name, line-1)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
}

// EachCSV reads what WriteCSV wrote, as ReadCSV does, and calls fn with
// each profile in turn instead of keeping them: a reader of a million
// profiles that needs a few fields of each holds those alone. fn must not
// keep p, and its error stops the reading.
func EachCSV(r io.Reader, name string, tax *Taxonomy, fn func(p *Profile) error) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	record, err := cr.Read()
	if err != nil {
		return fmt.Errorf("profile: %s: header: %w", name, err)
	}
	h, err := parseHeader(record, name, tax)
	if err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("profile: %s: %w", name, err)
		}
		p, err := h.profile(rec, cr, tax, name, 0)
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
}

// header is what the header of profiles.csv says: its column names, the
// number of columns before the attributes, and the attributes.
type header struct {
	names []string
	want  int
	attrs []string
}

// parseHeader checks the header record of profiles.csv against tax.
func parseHeader(record []string, name string, tax *Taxonomy) (header, error) {
	// With ReuseRecord the next Read overwrites the slice: keep a copy to
	// name columns in errors.
	h := header{names: slices.Clone(record), want: len(fixedColumns) + tax.Len()}
	if len(h.names) < h.want {
		return h, fmt.Errorf("profile: %s:1: %d columns, want %d and attributes (written with another taxonomy?)", name, len(h.names), h.want)
	}
	for i, c := range h.names[:len(fixedColumns)] {
		if c != fixedColumns[i] {
			return h, fmt.Errorf("profile: %s:1:%d: column %q, want %q", name, i+1, c, fixedColumns[i])
		}
	}
	for i, in := range tax.Interests() {
		if c := h.names[len(fixedColumns)+i]; c != "share_"+in.ID {
			return h, fmt.Errorf("profile: %s:1:%d: column %q, want %q", name, len(fixedColumns)+i+1, c, "share_"+in.ID)
		}
	}
	for i, c := range h.names[h.want:] {
		a, ok := strings.CutPrefix(c, attrPrefix)
		if !ok || a == "" {
			return h, fmt.Errorf("profile: %s:1:%d: column %q, want %s<name> (written with another taxonomy?)", name, h.want+i+1, c, attrPrefix)
		}
		if slices.Contains(h.attrs, a) {
			return h, fmt.Errorf("profile: %s:1:%d: column %q twice", name, h.want+i+1, c)
		}
		h.attrs = append(h.attrs, a)
	}
	return h, nil
}

// profile parses the record rec that cr read; offset is the file's line
// before cr's first, for errors.
func (h header) profile(rec []string, cr *csv.Reader, tax *Taxonomy, name string, offset int) (Profile, error) {
	line, _ := cr.FieldPos(0)
	p, col, err := parseProfile(rec, tax)
	if err != nil {
		return p, fmt.Errorf("profile: %s:%d:%d: %s: %w", name, line+offset, col+1, h.names[col], err)
	}
	p.Attrs = readAttrs(rec[h.want:], h.attrs)
	return p, nil
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
