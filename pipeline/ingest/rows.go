package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Options tunes the readers. The zero value reads the default format and
// accepts USD only.
type Options struct {
	Format Format
	// Currency is the currency of the campaign (default "USD").
	// Transactions in another currency are converted through Rates, or
	// rejected when Rates has no rate for it.
	Currency string
	Rates    map[string]Rate
	// Tiers, when not empty, lists the accepted card tiers (lower case).
	Tiers []string
	// HomeCountry marks transactions elsewhere as foreign (default "US").
	HomeCountry string
	// Classifier maps codes and categories to interests; required by
	// ReadTransactions.
	Classifier Classifier
	// Workers is the number of parse goroutines (default GOMAXPROCS).
	Workers int
	// Sample, when above 0, reads only the first rows of the input, a
	// preflight's sample: the readers stop after the batch in which Sample
	// rows have been read (whole small batches, so a few more rows may
	// be), and return what they read as if the input ended there.
	Sample int
	// SizeHint, when above 0, is the input's size in bytes: the
	// cardholder reader sizes its index of ids from it and the first
	// rows (up to 4 million), instead of growing it a million times
	// over.
	SizeHint int64

	// chunkSize overrides the size of CSV chunks, for tests.
	chunkSize int
}

// errSampled stops a reader once it has read Options.Sample rows.
var errSampled = errors.New("ingest: sample read")

// sampleChunk is the size of CSV chunks when reading a sample.
const sampleChunk = 64 << 10

// sampling returns the options a reader uses: with Sample set, small
// chunks and one worker, so that it reads little past the sample.
func (o Options) sampling() Options {
	if o.Sample > 0 {
		if o.chunkSize == 0 {
			o.chunkSize = sampleChunk
		}
		o.Workers = 1
	}
	return o
}

// sampled returns errSampled once st has read opts.Sample rows.
func (o Options) sampled(st *Stats) error {
	if o.Sample > 0 && st.Read >= o.Sample {
		return errSampled
	}
	return nil
}

// sampleDone turns the stop of a sample read into success.
func sampleDone(err error) error {
	if errors.Is(err, errSampled) {
		return nil
	}
	return err
}

func (o Options) currency() string {
	if o.Currency == "" {
		return "USD"
	}
	return strings.ToUpper(o.Currency)
}

// CardholderSet is the accepted cardholders of an input, indexed by id.
type CardholderSet struct {
	List []Cardholder
	// Attrs names the extra columns, which became attributes.
	Attrs    []string
	index    *idIndex
	rejected map[string]int // id -> line of a rejected row
	// unique says no id is in List twice: List[i] is then the
	// cardholder index gives for its id.
	unique bool
}

// Index returns the position of a cardholder in List.
func (s *CardholderSet) Index(id string) (int, bool) {
	i, ok := s.index.get(id, s.List)
	return int(i), ok
}

// NewCardholderSet indexes cardholders, for callers that build them
// without reading a file.
func NewCardholderSet(list []Cardholder) *CardholderSet {
	s := &CardholderSet{List: list, index: newIDIndex(len(list))}
	for i := range list {
		s.index.add(list[i].ID, int32(i), list, true) // the last of an id named twice
	}
	s.unique = s.index.Len() == len(list)
	return s
}

// expectedRows estimates the rows of an input of size bytes from its first
// rows, the length of each given by length (its line terminator
// excluded), with a little to spare; it assumes no row under 8 bytes, and
// says at most maxExpectedRows: a map sized for more would take hundreds
// of megabytes on a size that may be wrong, and the few inputs larger
// grow it as they go.
func expectedRows[T any](size int64, first []T, length func(T) int) int {
	n := 0
	for _, r := range first {
		n += length(r) + 1
	}
	est := size * int64(len(first)) / int64(max(n, 1))
	return int(min(est+est/16, size/8, maxExpectedRows))
}

// maxExpectedRows bounds expectedRows: 4 million cardholders.
const maxExpectedRows = 1 << 22

// ReadCardholders reads every cardholder row of r, a CSV (optionally
// gzip-compressed) or XLSX input named file. Rejected rows go to rej. It
// fails only on whole-file problems or when ctx is done.
func ReadCardholders(ctx context.Context, r io.Reader, file string, opts Options, rej Rejects) (*CardholderSet, Stats, error) {
	st := Stats{File: file}
	opts = opts.sampling()
	in, err := openInput(r, file, opts.Format, opts.chunkSize)
	if err != nil {
		return nil, st, err
	}
	set := &CardholderSet{rejected: map[string]int{}, unique: true} // duplicates are rejected
	var b *binding
	bindHeader := func(h []string) error {
		var err error
		if b, err = bind(file, h, cardholderSchema, opts.Format); err != nil {
			return err
		}
		for _, a := range b.attrs {
			set.Attrs = append(set.Attrs, a.name)
		}
		return nil
	}
	if in.header != nil {
		if err := bindHeader(in.header); err != nil {
			return nil, st, err
		}
	}
	dates, _ := newDateParser(opts.Format.DateFormat) // checked by openInput
	type parsed struct {
		c    Cardholder
		err  *RowError
		raw  []byte // a sub-slice of the batch, which no one reuses
		line int
	}
	// A batch's rows, and the rows it skipped.
	type parsedBatch struct {
		rows            []parsed
		empty, repeated int
	}
	newWorker := func() (func(rowBatch) parsedBatch, func()) {
		w := &walker{in: in, skip: true}
		var p *holderParser // made on the first batch: a spreadsheet's header comes with it
		return func(batch rowBatch) parsedBatch {
			if p == nil {
				p = &holderParser{b: b, opts: opts, sheet: in.sheet, dates: dates}
			}
			// About 80 bytes a row: one allocation for the batch.
			out := make([]parsed, 0, len(batch.data)/64+len(batch.rows)+1)
			_ = w.walk(batch, func(line int, fields [][]byte, raw []byte, serr *scanError) error {
				var c Cardholder
				var rerr *RowError
				if isUTF8Problem(serr) {
					rerr = utf8RowError(b, line, fields, serr)
					c = Cardholder{Line: line, ID: p.field(fields, "cardholder_id")}
					if !utf8.ValidString(c.ID) {
						c.ID = ""
					}
				} else {
					c, rerr = p.parse(line, fields, serr)
				}
				// The original text is kept for every row, uncopied: the
				// consumer may still reject one as a duplicate.
				out = append(out, parsed{c: c, err: rerr, line: line, raw: raw})
				return nil
			})
			return parsedBatch{out, w.empty, w.repeated}
		}, func() {}
	}
	// Accepted cardholders go into one list, made for the rows the file's
	// size suggests once the first batch shows how long a row is. Gathered
	// batch by batch and copied into one list at the end, a million of
	// them were copied twice, the second time (145 MB) while the collector
	// marked, each pointer behind a write barrier: 0.7 s of processor
	// time.
	consume := func(pb parsedBatch) error {
		st.Read += pb.empty + pb.repeated
		st.EmptyRows += pb.empty
		st.RepeatedHeaders += pb.repeated
		rows := pb.rows
		if set.index == nil {
			n := 0
			if opts.SizeHint > 0 && len(rows) > 0 {
				n = expectedRows(opts.SizeHint, rows, func(r parsed) int { return len(r.raw) })
			}
			set.index = newIDIndex(n)
			set.List = slices.Grow(set.List, n)
		}
		for _, r := range rows {
			st.Read++
			c, rerr := r.c, r.err
			if rerr == nil {
				if first, added := set.index.add(c.ID, int32(len(set.List)), set.List, false); !added {
					rerr = &RowError{File: file, Line: r.line, Column: b.column("cardholder_id"), Field: "cardholder_id",
						Value: c.ID, Err: ErrDuplicate, Detail: fmt.Sprintf("first on line %d", set.List[first].Line)}
				}
			}
			if rerr != nil {
				if rerr.Err == ErrCardNumber && rerr.Field == "cardholder_id" {
					return refusedColumn(file, b, rerr)
				}
				if id := c.ID; id != "" {
					if _, seen := set.rejected[id]; !seen {
						set.rejected[id] = r.line
					}
				}
				if err := reject(&st, rej, rerr, r.raw); err != nil {
					return err
				}
				continue
			}
			st.Accepted++
			set.List = append(set.List, c)
		}
		return opts.sampled(&st)
	}
	err = sampleDone(inOrder(ctx, in, opts.Workers, bindHeader, newWorker, consume))
	st.Encoding, st.EncodingDetected = in.encoding, in.encodingGuessed
	if err != nil {
		return nil, st, err
	}
	if err := noRows(in, &st); err != nil {
		return nil, st, err
	}
	if len(set.List) < cap(set.List)-cap(set.List)/8 {
		// Far fewer rows than the size suggested (many rejected, or
		// longer rows further on): the list is cut to size.
		set.List = slices.Clip(slices.Clone(set.List))
	}
	for id := range set.rejected {
		if _, ok := set.index.get(id, set.List); ok {
			// An id rejected on one row but accepted on another is known.
			delete(set.rejected, id)
		}
	}
	return set, st, nil
}

// refusedColumn is the error for an identifier column that carries card
// numbers: tailor refuses the whole column rather than mask row by row.
func refusedColumn(file string, b *binding, e *RowError) error {
	return &FileError{File: file, Line: e.Line, Column: e.Column,
		Err: fmt.Errorf("column %q carries card numbers (%s): tailor never stores them; map a customer reference instead", b.header[e.Column-1], MaskCardNumbers(e.Value))}
}

// noRows returns the error for an input with a header and no data rows
// after it, once all its rows are read.
func noRows(in *input, st *Stats) error {
	if st.Accepted+st.Rejected > 0 {
		return nil
	}
	err := fmt.Errorf("%w after the header", ErrNoRows)
	if st.Skipped() > 0 {
		err = fmt.Errorf("%w after the header, only %d empty rows, %d repeated header rows and %d rows the row filters leave out", ErrNoRows, st.EmptyRows, st.RepeatedHeaders, st.Filtered)
	}
	return &FileError{File: in.file, Line: in.headerLine, Err: err}
}

// reject counts a rejected row and hands it to rej. Whatever the row held,
// rej receives valid UTF-8 (validUTF8) with card numbers masked.
func reject(st *Stats, rej Rejects, e *RowError, raw []byte) error {
	e.Value = MaskCardNumbers(validUTF8(e.Value))
	st.reject(e)
	if rej == nil {
		return nil
	}
	if err := rej.Reject(e, validUTF8(string(raw))); err != nil {
		return fmt.Errorf("ingest: %s: writing rejects: %w", e.File, err)
	}
	return nil
}

// holderParser turns cardholder rows into Cardholders.
type holderParser struct {
	b     *binding
	opts  Options
	dates dateParser
	sheet bool
	// idx holds the field index of each column of cardholderSchema, in
	// its order, -1 when absent; set on first use.
	idx   [11]int
	ready bool
	// common holds the values of low-cardinality columns (locale, tier)
	// seen so far, so that a million cardholders share a handful of
	// strings instead of a million copies.
	common map[string]string
}

// intern returns a shared copy of a locale or tier.
func (p *holderParser) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := p.common[s]; ok {
		return v
	}
	if p.common == nil {
		p.common = map[string]string{}
	}
	if len(p.common) < 1024 {
		p.common[s] = s
	}
	return s
}

func (p *holderParser) field(fields [][]byte, name string) string {
	if !p.ready {
		for k, c := range cardholderSchema.columns {
			p.idx[k] = -1
			if i, ok := p.b.index[c.name]; ok {
				p.idx[k] = i
			}
		}
		p.ready = true
	}
	i := p.idx[holderColumn(name)]
	if i < 0 || i >= len(fields) {
		return ""
	}
	return string(trimSpace(fields[i]))
}

// holderColumn returns the position of a column in cardholderSchema; the
// switch compiles to comparisons, not a hash.
func holderColumn(name string) int {
	switch name {
	case "cardholder_id":
		return 0
	case "first_name":
		return 1
	case "last_name":
		return 2
	case "email":
		return 3
	case "locale":
		return 4
	case "tier":
		return 5
	case "member_since":
		return 6
	case "status":
		return 7
	case "cancelled_on":
		return 8
	case "cancel_reason":
		return 9
	}
	return 10 // marketing_consent
}

func (p *holderParser) err(line int, name, value string, err error) *RowError {
	return &RowError{File: p.b.file, Line: line, Column: p.b.column(name), Field: name, Value: value, Err: err}
}

// date parses a date of the input's format, or a serial number in a
// spreadsheet.
func parseDateField(d dateParser, sheet bool, s []byte) (int32, error) {
	v, err := d.parse(s)
	if err != nil && sheet {
		if t, ok := SerialDate(string(s)); ok {
			return dayNumber(t.Year(), int(t.Month()), t.Day()), nil
		}
	}
	return v, err
}

func (p *holderParser) parse(line int, fields [][]byte, serr *scanError) (Cardholder, *RowError) {
	c := Cardholder{Line: line}
	if e := p.b.rowProblem(line, fields, serr); e != nil {
		return c, e
	}
	c.ID = p.field(fields, "cardholder_id")
	if c.ID == "" {
		return c, p.err(line, "cardholder_id", "", ErrRequired)
	}
	if len(c.ID) > 64 {
		return c, p.err(line, "cardholder_id", c.ID[:64], ErrTooLong)
	}
	c.FirstName = p.field(fields, "first_name")
	if c.FirstName == "" {
		return c, p.err(line, "first_name", "", ErrRequired)
	}
	c.LastName = p.field(fields, "last_name")
	for _, f := range []struct{ name, v string }{{"first_name", c.FirstName}, {"last_name", c.LastName}} {
		if hasControl(f.v) {
			// Names go into mail headers, where a line break would let a
			// row write headers of its own.
			return c, p.err(line, f.name, f.v, ErrControl)
		}
	}
	email := p.field(fields, "email")
	var err error
	if c.Email, err = parseEmail(email); err != nil {
		return c, p.err(line, "email", email, err)
	}
	c.Locale = p.intern(p.field(fields, "locale"))
	c.Tier = p.intern(strings.ToLower(p.field(fields, "tier")))
	if len(p.opts.Tiers) > 0 && c.Tier != "" && !slices.Contains(p.opts.Tiers, c.Tier) {
		e := p.err(line, "tier", c.Tier, ErrNotTier)
		e.Detail = "want " + strings.Join(p.opts.Tiers, ", ")
		return c, e
	}
	for _, d := range []struct {
		name string
		dst  *Date
	}{{"member_since", &c.MemberSince}, {"cancelled_on", &c.CancelledOn}} {
		s := p.field(fields, d.name)
		if s == "" {
			continue
		}
		day, err := parseDateField(p.dates, p.sheet, []byte(s))
		if err != nil {
			return c, p.err(line, d.name, s, err)
		}
		*d.dst = Date(day + dateBias)
	}
	switch s := strings.ToLower(p.field(fields, "status")); s {
	case "", "active", "open":
	case "cancelled", "canceled", "closed":
		c.Cancelled = true
	default:
		return c, p.err(line, "status", s, ErrNotStatus)
	}
	c.CancelReason = p.field(fields, "cancel_reason")
	s := p.field(fields, "marketing_consent")
	if c.Consent, err = parseConsent(s); err != nil {
		return c, p.err(line, "marketing_consent", s, err)
	}
	for _, a := range p.b.attrs {
		v := strings.TrimSpace(string(fields[a.index]))
		if v == "" {
			continue
		}
		if c.Attrs == nil {
			c.Attrs = map[string]string{}
		}
		c.Attrs[a.name] = v
	}
	return c, nil
}

// Merchants resolves merchant keys to names: the first spelling of each
// merchant in file order.
type Merchants struct {
	names map[uint64]nameAt
}

type nameAt struct {
	name string
	line int
}

// Name returns the merchant's name, or "" when the key is unknown.
func (m *Merchants) Name(key uint64) string {
	if m == nil {
		return ""
	}
	return m.names[key].name
}

// Len returns the number of distinct merchants.
func (m *Merchants) Len() int {
	if m == nil {
		return 0
	}
	return len(m.names)
}

func (m *Merchants) merge(o map[uint64]nameAt) {
	for k, v := range o {
		if cur, ok := m.names[k]; !ok || v.line < cur.line {
			m.names[k] = v
		}
	}
}

// batchResult is what a worker made of one batch.
type batchResult struct {
	seq  int
	read int // accepted, rejected and skipped
	// empty and repeated count the rows skipped (walker.skip), filtered
	// those the campaign's row filters left out.
	empty, repeated, filtered int
	recs                      []Record
	rejects                   []rejected
	late                      []lateReject // rejects found late, merged into rejects (txParser.resolve)
}

type rejected struct {
	err *RowError
	raw string
}

// ReadTransactions reads the transactions of r, a CSV (optionally
// gzip-compressed) or XLSX input named file, for the cardholders of set. Parse
// workers split and check the rows in parallel; sink receives the accepted
// rows as Records, batch by batch in file order, from a single goroutine,
// and may not keep the slice once it returns (its room holds a later
// batch); rejected rows go to rej in file order. Memory does not grow with the
// number of rows. It returns the row counts and the merchants' names.
// A nil set accepts every cardholder id, with Record.Holder -1: for a
// check of the file alone.
func ReadTransactions(ctx context.Context, r io.Reader, file string, opts Options, set *CardholderSet, rej Rejects, sink func([]Record) error) (Stats, *Merchants, error) {
	st := Stats{File: file}
	opts = opts.sampling()
	if opts.Classifier == nil {
		return st, nil, errors.New("ingest: ReadTransactions needs a Classifier")
	}
	in, err := openInput(r, file, opts.Format, opts.chunkSize)
	if err != nil {
		return st, nil, err
	}
	shared, err := newTxShared(opts, set)
	if err != nil {
		return st, nil, &FileError{File: file, Err: err}
	}
	shared.spare = make(chan []Record, 2*max(opts.Workers, runtime.GOMAXPROCS(0))+2)
	bindHeader := func(h []string) error {
		b, err := bind(file, h, transactionSchema, opts.Format)
		shared.b = b
		if err != nil {
			return err
		}
		if shared.filters, err = bindFilters(b, opts.Format); err != nil {
			return &FileError{File: file, Line: 1, Err: err}
		}
		return nil
	}
	if in.header != nil {
		if err := bindHeader(in.header); err != nil {
			return st, nil, err
		}
	}
	shared.sheet = in.sheet

	merchants := &Merchants{names: map[uint64]nameAt{}}
	var mu sync.Mutex
	newWorker := func() (func(rowBatch) batchResult, func()) {
		p := newTxParser(shared, in)
		p.w.skip = true
		parse := func(b rowBatch) batchResult {
			res := p.batch(b)
			// The records and rejects hold copies, never the batch's bytes.
			in.release(b)
			return res
		}
		return parse, func() {
			mu.Lock()
			merchants.merge(p.names)
			mu.Unlock()
		}
	}
	consume := func(res batchResult) error {
		st.Read += res.read
		st.EmptyRows += res.empty
		st.RepeatedHeaders += res.repeated
		st.Filtered += res.filtered
		for _, rj := range res.rejects {
			if rj.err.Err == ErrCardNumber && rj.err.Field == "cardholder_id" {
				return refusedColumn(file, shared.b, rj.err)
			}
			if err := reject(&st, rej, rj.err, []byte(rj.raw)); err != nil {
				return err
			}
		}
		st.Accepted += len(res.recs)
		if len(res.recs) > 0 {
			if err := sink(res.recs); err != nil {
				return err
			}
		}
		select {
		case shared.spare <- res.recs[:0]:
		default:
		}
		return opts.sampled(&st)
	}
	err = sampleDone(inOrder(ctx, in, opts.Workers, bindHeader, newWorker, consume))
	st.Encoding, st.EncodingDetected = in.encoding, in.encodingGuessed
	if err != nil {
		return st, nil, err
	}
	if err := noRows(in, &st); err != nil {
		return st, nil, err
	}
	st.UnmappedCategories = shared.unmappedCategories()
	return st, merchants, nil
}

// txShared is what every parse worker reads and never writes.
type txShared struct {
	b        *binding
	set      *CardholderSet
	sheet    bool
	amounts  amountParser
	dates    dateParser
	currency string
	rates    map[string]Rate
	home     string
	codes    [10000]int16 // interest index + 1 by code; 0 unknown
	other    int16
	class    Classifier
	// rejectEmpty rejects a row without code or category.
	rejectEmpty bool
	// filters skip the rows the campaign leaves out; nil for none.
	filters *rowFilters

	mu         sync.Mutex
	categories map[string]int // unmapped category -> count, merged by workers

	// spare holds record slices the sink is done with, for the workers'
	// next batches: 51 million records would otherwise be 1.8 GB of
	// garbage, a collection of every cardholder's aggregates every few
	// seconds.
	spare chan []Record
}

func newTxShared(opts Options, set *CardholderSet) (*txShared, error) {
	s := &txShared{set: set, amounts: opts.Format.amountParser(), currency: opts.currency(),
		rates: opts.Rates, home: strings.ToUpper(opts.HomeCountry), class: opts.Classifier, categories: map[string]int{},
		rejectEmpty: opts.Format.rejectEmptyCategory()}
	if s.home == "" {
		s.home = "US"
	}
	var err error
	if s.dates, err = newDateParser(opts.Format.DateFormat); err != nil {
		return nil, err
	}
	// Ask the classifier once per code, so that the workers look codes up
	// in a table.
	buf := []byte("0000")
	for code := 0; code < 10000; code++ {
		buf[0], buf[1], buf[2], buf[3] = byte('0'+code/1000), byte('0'+code/100%10), byte('0'+code/10%10), byte('0'+code%10)
		k, ok := s.class.Lookup(string(buf))
		if ok {
			s.codes[code] = int16(k) + 1
		} else {
			s.other = int16(k)
		}
	}
	return s, nil
}

func (s *txShared) unmappedCategories() map[string]int {
	if len(s.categories) == 0 {
		return nil
	}
	return s.categories
}

// txParser is one worker's state.
type txParser struct {
	*txShared
	cols       txColumns
	lastID     []byte
	lastHolder int32
	// inOrder says new ids have lately come in the cardholders' order:
	// the next new id is looked for after lastID in the list first.
	inOrder bool
	// lastPending says lastID, whose hash is lastHash, is being looked
	// up with the rows in pend.
	lastPending bool
	lastHash    uint64
	pend        pendingRows
	touched     int // what the index's touch read, kept so that it is read
	lastDate    []byte
	lastDay     int32
	seen        [4096]uint64 // merchant keys known to be in names, by key modulo
	w           *walker
	names       map[uint64]nameAt
	categories  map[string]categoryHit // the worker's cache
}

type categoryHit struct {
	interest int16
	mapped   bool
}

func newTxParser(s *txShared, in *input) *txParser {
	return &txParser{txShared: s, cols: txColumns{id: -1}, w: &walker{in: in}, names: map[uint64]nameAt{}, categories: map[string]categoryHit{}}
}

func (p *txParser) batch(b rowBatch) batchResult {
	res := batchResult{seq: b.seq}
	// About 60 bytes a row: one allocation for the batch's records, or
	// none when the consumer has handed back a batch's that is large
	// enough.
	need := len(b.data)/56 + len(b.rows) + 1
	select {
	case recs := <-p.spare:
		if cap(recs) >= need {
			res.recs = recs[:0]
		}
	default:
	}
	if res.recs == nil {
		res.recs = make([]Record, 0, need)
	}
	unmapped := map[string]int{}
	_ = p.w.walk(b, func(line int, fields [][]byte, raw []byte, serr *scanError) error {
		res.read++
		if isUTF8Problem(serr) {
			res.rejects = append(res.rejects, rejected{utf8RowError(p.b, line, fields, serr), string(raw)})
			return nil
		}
		if p.filters != nil && serr == nil && p.filters.drop(fields) {
			res.filtered++
			return nil
		}
		rec, rerr := p.parse(line, fields, serr, unmapped)
		if rerr != nil {
			if rec.Holder == holderPending {
				// The row's id is the last one: looked up now, an unknown
				// cardholder is the row's first fault.
				h, ok := p.set.index.getHashed(p.lastHash, string(p.lastID), p.set.List)
				if !ok {
					rerr = p.unknownHolder(line, p.lastID)
					p.lastID = p.lastID[:0]
				}
				p.lastHolder, p.lastPending = h, false
			}
			res.rejects = append(res.rejects, rejected{rerr, string(raw)})
			return nil
		}
		if rec.Holder == holderPending {
			q := &p.pend
			q.at = append(q.at, len(res.recs))
			q.rejectAt = append(q.rejectAt, len(res.rejects))
			q.line = append(q.line, line)
			q.hash = append(q.hash, p.lastHash)
			q.ids = append(q.ids, p.lastID...)
			q.ends = append(q.ends, len(q.ids))
			q.raw = append(q.raw, raw)
		}
		res.recs = append(res.recs, rec)
		if len(p.pend.at) == lookAhead {
			p.resolve(&res)
		}
		return nil
	})
	p.resolve(&res)
	if len(res.late) > 0 {
		res.recs = slices.DeleteFunc(res.recs, func(r Record) bool { return r.Holder == holderUnknown })
		res.rejects = mergeRejects(res.rejects, res.late)
		res.late = nil
	}
	res.empty, res.repeated = p.w.empty, p.w.repeated
	res.read += res.empty + res.repeated
	if len(unmapped) > 0 {
		p.mu.Lock()
		for k, v := range unmapped {
			p.txShared.categories[k] += v
		}
		p.mu.Unlock()
	}
	return res
}

// holderPending marks a record whose cardholder is being looked up, and
// holderUnknown one whose cardholder was not found, to be rejected.
const (
	holderPending = math.MinInt32 + iota
	holderUnknown
)

// lookAhead is the number of rows whose cardholders are looked up
// together. In a file in date order every row has a cardholder whose slot
// in the index is far from the last one's: looked up one by one, as the
// rows are parsed, each lookup waits for memory alone; looked up together,
// after the rows are parsed, the waits overlap.
const lookAhead = 16

// pendingRows are the parsed rows whose cardholders are still to be looked
// up: the index of each one's record in the batch's, where its reject
// would go in the batch's rejects, its line, its id's hash, its id
// (in ids, up to ends) and its text (which stays valid until the next
// batch).
type pendingRows struct {
	at, rejectAt, line []int
	hash               []uint64
	ids                []byte
	ends               []int
	raw                [][]byte
}

// resolve looks up the cardholders of the pending rows: their slots are
// read first, all together, then each id is found. A record whose
// cardholder is not known is marked holderUnknown and its reject goes
// into res.late.
func (p *txParser) resolve(res *batchResult) {
	q := &p.pend
	if len(q.at) == 0 {
		return
	}
	x, list := p.set.index, p.set.List
	p.touched += x.touch(q.hash)
	// h starts as the cardholder of the row before the first pending one.
	h, ok := p.lastHolder, false
	ordered, unordered, start := 0, 0, 0
	var prev []byte
	for k, at := range q.at {
		id := q.ids[start:q.ends[k]]
		start = q.ends[k]
		if k == 0 || string(id) != string(prev) {
			last := h
			h, ok = x.getHashed(q.hash[k], unsafe.String(unsafe.SliceData(id), len(id)), list)
			if ok && h == last+1 {
				ordered++
			} else {
				unordered++
			}
		}
		prev = id
		if ok {
			res.recs[at].Holder = h
			continue
		}
		res.recs[at].Holder = holderUnknown
		res.late = append(res.late, lateReject{q.rejectAt[k], rejected{p.unknownHolder(q.line[k], id), string(q.raw[k])}})
	}
	if p.lastPending {
		// The last row pending is the last id's.
		p.lastPending = false
		if ok {
			p.lastHolder = h
		} else {
			p.lastID = p.lastID[:0]
		}
	}
	p.inOrder = ordered > unordered
	q.at, q.rejectAt, q.line, q.hash, q.ids, q.ends, q.raw = q.at[:0], q.rejectAt[:0], q.line[:0], q.hash[:0], q.ids[:0], q.ends[:0], q.raw[:0]
}

// lateReject is a reject found after the rows after it: at is its place
// in the batch's rejects.
type lateReject struct {
	at int
	r  rejected
}

// mergeRejects returns rejects with the late ones put in their places.
func mergeRejects(rejects []rejected, late []lateReject) []rejected {
	out := make([]rejected, 0, len(rejects)+len(late))
	i := 0
	for _, l := range late {
		out = append(out, rejects[i:l.at]...)
		out = append(out, l.r)
		i = l.at
	}
	return append(out, rejects[i:]...)
}

// unknownHolder is the reject of a row whose cardholder is not known, or
// whose id looks like a card number (which refuses the column).
func (p *txParser) unknownHolder(line int, id []byte) *RowError {
	if LooksLikeCardNumber(id) {
		return p.err(line, "cardholder_id", id, ErrCardNumber)
	}
	e := p.err(line, "cardholder_id", id, ErrUnknownHolder)
	if at, was := p.set.rejected[string(id)]; was {
		e.Detail = fmt.Sprintf("the cardholder's row, line %d, was rejected", at)
	}
	return e
}

func (p *txParser) err(line int, name string, value []byte, err error) *RowError {
	return &RowError{File: p.b.file, Line: line, Column: p.b.column(name), Field: name, Value: string(value), Err: err}
}

// txColumns holds the field index of each transaction column, -1 when the
// file has none: the hot path reads these instead of a map.
type txColumns struct {
	id, date, amount, currency, mcc, category, merchant, channel, country int
	debit, credit                                                         int
}

func newTxColumns(b *binding) txColumns {
	at := func(name string) int {
		if i, ok := b.index[name]; ok {
			return i
		}
		return -1
	}
	return txColumns{at("cardholder_id"), at("posted_on"), at("amount"), at("currency"), at("mcc"),
		at("category"), at("merchant"), at("channel"), at("country"), at("debit"), at("credit")}
}

// get returns field i trimmed, or nil when i < 0.
func get(fields [][]byte, i int) []byte {
	if i < 0 {
		return nil
	}
	return trimSpace(fields[i])
}

func trimSpace(b []byte) []byte {
	if len(b) == 0 || b[0] > ' ' && b[len(b)-1] > ' ' {
		return b // most fields: neither end is a space, a tab or below
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// holder returns the cardholder of id, or holderPending when it is to be
// looked up with other rows' (see resolve).
func (p *txParser) holder(id []byte) int32 {
	if p.set == nil {
		return -1
	}
	// Exports often group a cardholder's rows: the last id is checked first.
	if len(p.lastID) > 0 && string(id) == string(p.lastID) {
		if p.lastPending {
			return holderPending
		}
		return p.lastHolder
	}
	// Exports in the cardholders' own order go on to the next one. In an
	// export in date order the guess would cost a cache miss on every row
	// for nothing: it is made only while new ids come in order.
	if n := int(p.lastHolder) + 1; p.inOrder && !p.lastPending && len(p.lastID) > 0 && n < len(p.set.List) && p.set.unique && p.set.List[n].ID == string(id) {
		p.lastID, p.lastHolder = append(p.lastID[:0], id...), int32(n)
		return int32(n)
	}
	p.lastID, p.lastPending, p.lastHash = append(p.lastID[:0], id...), true, p.set.index.hashOfBytes(id)
	return holderPending
}

func (p *txParser) parse(line int, fields [][]byte, serr *scanError, unmapped map[string]int) (Record, *RowError) {
	var rec Record
	if p.cols.id < 0 {
		p.cols = newTxColumns(p.b)
	}
	// A known cardholder's id is no card number: the cardholders file
	// would have been refused. An id is checked only when unknown
	// (unknownHolder), which spares the check on every row of a file
	// keyed by UUIDs, a third of whose ids have 13 digits or more.
	skip := -1
	if p.set != nil {
		skip = p.cols.id
	}
	if e := p.b.rowProblemBut(line, fields, serr, skip); e != nil {
		return rec, e
	}
	id := get(fields, p.cols.id)
	if len(id) == 0 {
		return rec, p.err(line, "cardholder_id", id, ErrRequired)
	}
	rec.Holder = p.holder(id)
	var err error
	v := get(fields, p.cols.date)
	iso := p.dates.kind == dateISO
	if day, ok := isoDay(v); iso && ok {
		// Read at once: cheaper than the comparison with the last row's.
		rec.Day = day
	} else if len(v) > 0 && string(v) == string(p.lastDate) {
		// Exports sorted by date or cardholder repeat dates row after row.
		rec.Day = p.lastDay
	} else {
		if rec.Day, err = parseDateField(p.dates, p.sheet, v); err != nil {
			return rec, p.err(line, "posted_on", v, err)
		}
		p.lastDate, p.lastDay = append(p.lastDate[:0], v...), rec.Day
	}
	var rerr *RowError
	if rec.Amount, rerr = p.amount(line, fields); rerr != nil {
		return rec, rerr
	}
	rec.Code = -1
	code := get(fields, p.cols.mcc)
	if len(code) > 0 {
		n := num(code)
		if len(code) > 4 || n < 0 {
			return rec, p.err(line, "mcc", code, ErrNotMCC)
		}
		rec.Code = int16(n)
		if k := p.codes[n]; k > 0 {
			rec.Interest, rec.Mapped = k-1, true
		} else {
			rec.Interest = p.other
		}
	} else if cat := get(fields, p.cols.category); len(cat) == 0 {
		if p.rejectEmpty {
			if p.cols.mcc >= 0 {
				return rec, p.err(line, "mcc", code, ErrRequired)
			}
			return rec, p.err(line, "category", cat, ErrRequired)
		}
		// Neither code nor category: the catch-all interest, counted with
		// the categories no table maps.
		rec.Interest = p.other
		unmapped[EmptyCategoryKey]++
	} else {
		hit, seen := p.categories[string(cat)]
		if !seen {
			k, ok := p.class.Category(string(cat))
			hit = categoryHit{int16(k), ok}
			p.categories[string(cat)] = hit
		}
		rec.Interest, rec.Mapped = hit.interest, hit.mapped
		if !hit.mapped {
			unmapped[string(cat)]++
		}
	}
	if m := get(fields, p.cols.merchant); len(m) > 0 {
		rec.Merchant = MerchantKey(m)
		if slot := &p.seen[rec.Merchant%uint64(len(p.seen))]; rec.Merchant != 0 && *slot != rec.Merchant {
			// A worker sees its batches in file order, so the first
			// spelling it meets is its earliest. A small cache of keys
			// already named spares most map lookups.
			if _, ok := p.names[rec.Merchant]; !ok {
				p.names[rec.Merchant] = nameAt{string(m), line}
			}
			*slot = rec.Merchant
		}
	}
	switch ch := get(fields, p.cols.channel); {
	case len(ch) == 0:
	default:
		c, err := parseChannelBytes(ch)
		if err != nil {
			return rec, p.err(line, "channel", ch, err)
		}
		switch c {
		case ChannelOnline:
			rec.Flags |= FlagOnline
		case ChannelInStore:
			rec.Flags |= FlagInStore
		}
	}
	if c := get(fields, p.cols.country); len(c) > 0 {
		if len(c) != 2 || !isAlpha(c) {
			return rec, p.err(line, "country", c, ErrNotCountry)
		}
		if !equalFold(c, p.home) {
			rec.Flags |= FlagForeign
		}
	}
	return rec, nil
}

func isAlpha(b []byte) bool {
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// equalFold compares ASCII b with upper-case s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
