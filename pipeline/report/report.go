// Package report writes the marketers' workbook of a run: a Summary sheet
// with the counts, a Charts sheet (audience per variant, relationship
// types, interests against the population), a Clusters sheet with each
// preference group's size, spending, strongest interests, tier and
// relationship mix, a Heatmap sheet of every group's share of wallet per
// interest, an Interests sheet, a Variants sheet with each newsletter
// version's subject as its sample recipient reads it and its blocks, a
// Lost customers sheet with the cancelled cardholders' last spending, an
// Inputs sheet that accounts for every row read, an Unmapped codes sheet
// with the merchant category codes no interest covers, the Fit audit, a
// Glossary of the terms used and a Technical sheet with the clustering's
// figures.
//
// Every sheet prints landscape, one page wide, with its header row
// repeated, and declares its used range in its dimension, which streaming
// readers rely on.
package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/tailor-mail/tailor/variants"
)

// Input is what became of the rows of one input file.
type Input struct {
	Name     string
	Rows     int
	Accepted int
	Rejected int
	// Reasons are the rejection reasons with counts, most frequent first.
	Reasons []Reason
	// EmptyRows, RepeatedHeaders and Filtered are the rows skipped,
	// neither accepted nor rejected.
	EmptyRows, RepeatedHeaders, Filtered int
}

// Reason is a rejection reason and its count.
type Reason struct {
	Reason string
	Count  int
}

// Audience counts cardholders by mail status.
type Audience struct {
	Cardholders int
	Mail        int
	NoConsent   int
	Cancelled   int
	NoSpend     int
}

// Mix counts a group of cardholders by relationship type (profile's
// lost-for-good, intermediate, always-a-share, lapsing and lost, and
// unknown for pre-aggregated profiles). Clustered cardholders all have
// spending, so none is inactive.
type Mix struct {
	LostForGood  int
	Intermediate int
	AlwaysAShare int
	Lapsing      int
	Lost         int
	Unknown      int
}

// cells returns the counts in column order.
func (m Mix) cells() []any {
	return []any{m.LostForGood, m.Intermediate, m.AlwaysAShare, m.Lapsing, m.Lost, m.Unknown}
}

// add adds the counts of o to m.
func (m *Mix) add(o Mix) {
	m.LostForGood += o.LostForGood
	m.Intermediate += o.Intermediate
	m.AlwaysAShare += o.AlwaysAShare
	m.Lapsing += o.Lapsing
	m.Lost += o.Lost
	m.Unknown += o.Unknown
}

// mixHeader names the Mix columns of the Clusters sheet, in the order of
// Mix.cells; the Glossary explains each.
var mixHeader = []string{"Lost-for-good", "Intermediate", "Always-a-share", "Lapsing", "Lost", "Unknown"}

// Members describes the spending of a cluster's members in the profile
// window. Amounts are in cents.
type Members struct {
	// MedianSpend and MeanSpend are the members' net spend.
	MedianSpend, MeanSpend int64
	// AverageTicket is the median of the members' average purchase.
	AverageTicket int64
	// Transactions and ActiveMonths are the members' means.
	Transactions, ActiveMonths float64
	// Tiers counts the members by card tier, "" for no tier.
	Tiers map[string]int
}

// InterestShare is an interest's share of wallet: of all cardholders'
// spend (the population's) and of this month's newsletter recipients'.
type InterestShare struct {
	Name                 string
	Population, Audience float64
}

// LostCustomer is a cancelled cardholder and their last spending pattern,
// over the profile window.
type LostCustomer struct {
	ID        string
	FirstName string
	// CancelledOn is zero when unknown.
	CancelledOn time.Time
	Reason      string
	// Spend is the net spend in the window, in cents.
	Spend        int64
	ActiveMonths int
	// LastActive is the date of the last transaction; zero when none.
	LastActive time.Time
	// Interests are the cardholder's largest interests with their shares,
	// largest first; the sheet shows three.
	Interests         []variants.Interest
	FavouriteMerchant string
}

// Unmapped is a merchant category code (or a category of the input's own)
// that no interest covers, and the number of transactions that had it.
type Unmapped struct {
	Code        string
	Description string
	// Transactions counts the profiled transactions with the code.
	Transactions int
}

// Summary is everything the workbook shows.
type Summary struct {
	Campaign string
	Month    string
	Version  string
	Inputs   []Input
	Audience Audience
	// Clusters and Variants are in the same order: variant i serves
	// cluster i.
	Clusters []variants.Cluster
	// Relationships is the relationship mix of each cluster, in the order
	// of Clusters; a missing entry shows as zeros.
	Relationships []Mix
	Plan          variants.Plan
	// SampleSubjects are the variants' subjects as their sample recipient
	// reads them, in plan order; a missing entry shows empty.
	SampleSubjects []string
	// SamplePreheaders are their preheaders, as the same recipients
	// read them.
	SamplePreheaders []string
	// Members describes each cluster's members' spending and tiers, in the
	// order of Clusters; a missing entry shows empty.
	Members []Members
	// Interests are every interest with its share of wallet, in taxonomy
	// order.
	Interests []InterestShare
	// Wallets are each cluster's members' mean share of wallet per
	// interest, in the order of Clusters, each in the order of Interests.
	Wallets [][]float64
	// Lost are the cancelled cardholders, in the order the sheet lists
	// them.
	Lost []LostCustomer
	// Unmapped are the codes no interest covers; the sheet lists them most
	// frequent first. Transactions, the number of transactions profiled,
	// is the base of their shares.
	Unmapped     []Unmapped
	Transactions int
	// Messages is the number of messages written to the outbox.
	Messages int
	// Inertia is the clustering's sum of squared distances.
	Inertia    float64
	Iterations int
	// Continuity relates the variants to last month's; nil for a first
	// month.
	Continuity *Continuity
	// Send is where each variant's messages stand in the send ledger, in
	// plan order; nil before the run's send started, and then the Send
	// sheet is left out.
	Send []SendRow
	// Fit is the fit audit: how many messages say something untrue for
	// their reader.
	Fit Fit
	// Window is where the transactions fall against the profile window;
	// nil without transactions.
	Window *Window
}

// Window is the profile window and the transactions on either side of it,
// which the profiles leave out. Dates are YYYY-MM-DD.
type Window struct {
	From, To    string
	First, Last string
	In          int
	Before      int
	After       int
	// Credits counts the payments and credits to the card in the window,
	// left out of spend; CreditAmount is their total.
	Credits      int
	CreditAmount string
}

// Fit is the fit audit of a run's messages, for the Fit sheet.
type Fit struct {
	Checked, Misfit int
	// Budget is the share of misfit messages the campaign allows.
	Budget float64
	// Rules names the rules in order; Variants counts each variant's
	// misfits by rule, in plan order.
	Rules    []string
	Variants []FitRow
	// Examples are misfits to read.
	Examples []FitExample
}

// FitRow is one variant's audit.
type FitRow struct {
	Variant         string
	Checked, Misfit int
	// Rules counts the misfits of each of Fit.Rules.
	Rules []int
}

// FitExample is one misfit: the cardholder, the rule, what they read.
type FitExample struct {
	Cardholder, Variant, Rule, Detail string
}

// SendRow counts one variant's messages by their state in the send
// ledger.
type SendRow struct {
	Variant                                                         string
	Sent, Deferred, Pending, Failed, Uncertain, Suppressed, Skipped int
}

// Continuity says how this month's variants follow last month's.
type Continuity struct {
	PreviousMonth string
	// Kept counts variants that kept last month's id; Born and Retired
	// list the ids of new variants and of last month's that have none.
	Kept          int
	Born, Retired []string
	// Changed counts cardholders of both months whose variant changed.
	Changed int
	// Flows says where each variant's cardholders came from and went:
	// this month's variants and the retired ones, in any order; nil when
	// last month's assignments could not be read.
	Flows []Flow
}

// Flow is how one variant's cardholders moved since last month. Stayed,
// MovedIn and New are its cardholders this month: in it both months, in
// another variant last month, in none last month. Stayed, MovedOut and
// Left are its cardholders last month: MovedOut are in another variant
// now, Left in none.
type Flow struct {
	Variant                              string
	Stayed, MovedIn, New, MovedOut, Left int
}

// Sheet names, in workbook order.
const (
	SheetSummary   = "Summary"
	SheetCharts    = "Charts"
	SheetClusters  = "Clusters"
	SheetHeatmap   = "Heatmap"
	SheetInterests = "Interests"
	SheetVariants  = "Variants"
	SheetLost      = "Lost customers"
	SheetInputs    = "Inputs"
	SheetUnmapped  = "Unmapped codes"
	SheetFit       = "Fit"
	SheetGlossary  = "Glossary"
	SheetTechnical = "Technical"
	// SheetSend is there once the run's send has started.
	SheetSend = "Send"
)

// Write writes the workbook as XLSX.
func Write(w io.Writer, s Summary) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := imageTypes(f); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	x := &book{f: f}
	if err := x.sheets(s); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	x.finishAll(f.GetSheetList())
	if x.err != nil {
		return fmt.Errorf("report: %w", x.err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// sheets writes the sheets of s into the new workbook of b, unfinished.
func (b *book) sheets(s Summary) error {
	// The new file's only sheet, active, becomes the Summary: no sheet is
	// deleted or made active once the others are written, which would
	// read the streamed ones back whole.
	if err := b.f.SetSheetName(b.f.GetSheetName(0), SheetSummary); err != nil {
		return err
	}
	b.styles()
	b.summary(s)
	b.charts(s)
	b.clusters(s)
	b.heatmap(s)
	b.interests(s)
	b.variants(s)
	b.lost(s)
	b.inputs(s)
	b.unmapped(s)
	b.fit(s)
	b.glossary()
	b.technical(s)
	b.send(s)
	return b.err
}

// contentTypesPart is the package part that lists the content types.
const contentTypesPart = "[Content_Types].xml"

// imageExtensions are the image types excelize declares in the content
// types when a sheet gets a drawing, with their MIME types.
var imageExtensions = [][2]string{
	{"bmp", "image/bmp"}, {"emf", "image/x-emf"}, {"emz", "image/x-emz"}, {"gif", "image/gif"}, {"ico", "image/x-ico"},
	{"jpeg", "image/jpeg"}, {"png", "image/png"}, {"svg", "image/svg"}, {"tiff", "image/tiff"}, {"wmf", "image/x-wmf"},
	{"wmz", "image/x-wmz"},
}

// imageTypes declares the image types in a new file's content types, in a
// fixed order: excelize adds those missing in map order when a chart is
// added, and the workbook would differ from one run to the next.
func imageTypes(f *excelize.File) error {
	v, ok := f.Pkg.Load(contentTypesPart)
	b, isBytes := v.([]byte)
	if !ok || !isBytes {
		return fmt.Errorf("%s: not in the new workbook", contentTypesPart)
	}
	at := bytes.Index(b, []byte("<Default "))
	if at < 0 {
		return fmt.Errorf("%s: no Default element", contentTypesPart)
	}
	var add bytes.Buffer
	for _, e := range imageExtensions {
		if !bytes.Contains(b, []byte(`Extension="`+e[0]+`"`)) {
			fmt.Fprintf(&add, `<Default Extension="%s" ContentType="%s"/>`, e[0], e[1])
		}
	}
	out := slices.Concat(b[:at], add.Bytes(), b[at:])
	f.Pkg.Store(contentTypesPart, out)
	f.ContentTypes = nil // read again from the part
	return nil
}

// book collects the first error of a sequence of excelize calls.
type book struct {
	f       *excelize.File
	err     error
	bold    int
	percent int
	decimal int
	money   int
	date    int
	wrap    int
	// headers says which sheets have a header row; streamed which were
	// written by a stream writer, and are finished before.
	headers, streamed map[string]bool
	// extents are the rows and columns row has written to each sheet.
	extents map[string]extent
}

// extent is how many rows and columns of a sheet hold cells.
type extent struct{ rows, cols int }

func (b *book) check(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

// styles makes the workbook's cell styles.
func (b *book) styles() {
	var err error
	b.bold, err = b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDE3EE"}, Pattern: 1}})
	b.check(err)
	b.percent, err = b.f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	b.check(err)
	b.decimal, err = b.f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	b.check(err)
	b.money, err = b.f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	b.check(err)
	iso := "yyyy-mm-dd"
	b.date, err = b.f.NewStyle(&excelize.Style{CustomNumFmt: &iso})
	b.check(err)
	b.wrap, err = b.f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	b.check(err)
	b.headers, b.streamed, b.extents = map[string]bool{}, map[string]bool{}, map[string]extent{}
}

func (b *book) sheet(name string, header []string, widths []float64) {
	_, err := b.f.NewSheet(name)
	b.check(err)
	if header != nil {
		b.headers[name] = true
		b.row(name, 1, toAny(header)...)
		last, _ := excelize.CoordinatesToCellName(len(header), 1)
		b.check(b.f.SetCellStyle(name, "A1", last, b.bold))
		b.check(b.f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
	}
	for i, wd := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		b.check(b.f.SetColWidth(name, col, col, wd))
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (b *book) row(sheet string, r int, vals ...any) {
	cell, _ := excelize.CoordinatesToCellName(1, r)
	b.check(b.f.SetSheetRow(sheet, cell, &vals))
	e := b.extents[sheet]
	b.extents[sheet] = extent{max(e.rows, r), max(e.cols, len(vals))}
}

// text returns a sheet's text as GetRows returns it (each cell's value
// in its number format, a row up to its last cell with text, the rows up
// to the last with any), from the cells row has written. GetRows writes
// the sheet out as XML and parses it back: for the Clusters, Heatmap,
// Variants and Fit sheets of a million cardholders that took 0.95 s of
// processor time, the workbook being written out again afterwards.
func (b *book) text(sheet string) ([][]string, error) {
	e := b.extents[sheet]
	rows, last := make([][]string, e.rows), 0
	for r := 1; r <= e.rows; r++ {
		var row []string
		for c := 1; c <= e.cols; c++ {
			cell, err := excelize.CoordinatesToCellName(c, r)
			if err != nil {
				return nil, err
			}
			v, err := b.f.GetCellValue(sheet, cell)
			if err != nil {
				return nil, err
			}
			if v != "" {
				row = append(row, make([]string, c-1-len(row))...)
				row = append(row, v)
			}
		}
		if rows[r-1] = row; row != nil {
			last = r
		}
	}
	return rows[:last], nil
}

func (b *book) style(sheet string, col, fromRow, toRow, style int) {
	if toRow < fromRow {
		return
	}
	c1, _ := excelize.CoordinatesToCellName(col, fromRow)
	c2, _ := excelize.CoordinatesToCellName(col, toRow)
	b.check(b.f.SetCellStyle(sheet, c1, c2, style))
}

func (b *book) summary(s Summary) {
	b.sheet(SheetSummary, nil, []float64{34, 40, 40})
	rows := [][]any{
		{"Campaign", s.Campaign},
		{"Month", s.Month},
		{"tailor version", s.Version},
		{},
		{"Cardholders", s.Audience.Cardholders},
		{"Receive this month's newsletter", s.Audience.Mail},
		{"No marketing consent", s.Audience.NoConsent},
		{"Cancelled", s.Audience.Cancelled},
		{"No spend in the window", s.Audience.NoSpend},
		{},
		{"Clusters", len(s.Clusters)},
		{"Variants", len(s.Plan.Variants)},
		distinctRow(s),
		{"Messages in the outbox", s.Messages},
		{"Charts, the Glossary of the terms used, and the clustering's technical figures are on their own sheets."},
		{},
	}
	if c := s.Continuity; c != nil {
		rows = append(rows,
			[]any{"Compared with", c.PreviousMonth},
			[]any{"Variants kept from last month", c.Kept},
			[]any{"Variants born", strings.Join(c.Born, ", ")},
			[]any{"Variants retired", strings.Join(c.Retired, ", ")},
			[]any{"Cardholders who changed variant", c.Changed},
			[]any{})
	}
	if w := s.Window; w != nil {
		rows = append(rows, []any{"Profile window", w.From + " to " + w.To},
			[]any{"Transactions in the window", w.In},
			[]any{"Transactions before the window, not profiled", w.Before, beforeRange(w)},
			[]any{"Transactions after the window, not profiled", w.After, afterRange(w)},
			[]any{"Payments and credits to the card, left out of spend", w.Credits, w.CreditAmount},
			[]any{})
	}
	for _, in := range s.Inputs {
		rows = append(rows, []any{in.Name + ": rows read", in.Rows},
			[]any{in.Name + ": accepted", in.Accepted},
			[]any{in.Name + ": rejected", in.Rejected})
		if n := in.EmptyRows + in.RepeatedHeaders + in.Filtered; n > 0 {
			rows = append(rows, []any{in.Name + ": skipped (empty rows, repeated headers, filtered out)", n})
		}
	}
	for i, r := range rows {
		b.row(SheetSummary, i+1, r...)
		if len(r) > 1 {
			c, _ := excelize.CoordinatesToCellName(1, i+1)
			b.check(b.f.SetCellStyle(SheetSummary, c, c, b.bold))
		}
	}
}

// distinctRow is the Summary's row of distinct newsletters: the variants
// that share another's newsletter (variants.Plan.Share) count once, and
// the sentence says so beside the clusters.
func distinctRow(s Summary) []any {
	n := len(s.Plan.Newsletters().Variants)
	return []any{"Distinct newsletters", n, fmt.Sprintf("%s clusters, %s distinct newsletters", grouped(len(s.Clusters)), grouped(n))}
}

// grouped writes n with its thousands grouped by commas: 1,349.
func grouped(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + grouped(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// beforeRange and afterRange describe the dates of the transactions
// before and after the window, "" when there are none.
func beforeRange(w *Window) string {
	if w.Before == 0 {
		return ""
	}
	return "from " + w.First
}

func afterRange(w *Window) string {
	if w.After == 0 {
		return ""
	}
	return "to " + w.Last
}

func interestCells(ins []variants.Interest, n int) []any {
	var out []any
	for i := 0; i < n; i++ {
		if i < len(ins) {
			out = append(out, ins[i].Name, ins[i].Share, ins[i].Lift)
		} else {
			out = append(out, nil, nil, nil)
		}
	}
	return out
}

const topInterests = 3

// memberHeader names the spending columns of the Clusters sheet, after
// the first five.
var memberHeader = []string{"Median spend", "Mean spend", "Average ticket", "Transactions per cardholder", "Active months per cardholder"}

// flowHeader names the columns of the Clusters sheet that follow last
// month, after the tiers, when there was a last month.
var flowHeader = []string{"Last month", "Stayed", "Moved in", "Moved out", "New", "Left"}

// flowCells returns a variant's flowHeader cells: "born" or "kept" and its
// flow; the counts are empty when the flows are unknown.
func flowCells(c *Continuity, flows map[string]Flow, variant string) []any {
	if variant == "" {
		return make([]any, len(flowHeader))
	}
	since := "kept"
	if slices.Contains(c.Born, variant) {
		since = "born"
	}
	f, ok := flows[variant]
	if !ok {
		return []any{since, nil, nil, nil, nil, nil}
	}
	return []any{since, f.Stayed, f.MovedIn, f.MovedOut, f.New, f.Left}
}

// clusters writes the Clusters sheet: per cluster, its size, its members'
// spending and activity, its strongest interests, then its full
// relationship and tier mix, and, when there was a last month, how its
// variant follows last month's; the variants retired are listed under
// the table, after an empty row, with their cardholders' moves.
func (b *book) clusters(s Summary) {
	header := []string{"Cluster", "Variant", "Label", "Cardholders", "Eligible"}
	header = append(header, memberHeader...)
	for i := 1; i <= topInterests; i++ {
		header = append(header, fmt.Sprintf("Interest %d", i), fmt.Sprintf("Share %d", i), fmt.Sprintf("Lift %d", i))
	}
	header = append(header, mixHeader...)
	tiers := tierColumns(s.Members)
	for _, t := range tiers {
		header = append(header, tierName(t))
	}
	cont := s.Continuity
	flows := map[string]Flow{}
	if cont != nil {
		header = append(header, flowHeader...)
		for _, f := range cont.Flows {
			flows[f.Variant] = f
		}
	}
	b.sheet(SheetClusters, header, nil)
	for i, c := range s.Clusters {
		vid := ""
		if i < len(s.Plan.Variants) {
			vid = s.Plan.Variants[i].ID
		}
		var mix Mix
		if i < len(s.Relationships) {
			mix = s.Relationships[i]
		}
		vals := []any{c.ID, vid, c.Label, c.Size, c.Eligible}
		if i < len(s.Members) {
			m := s.Members[i]
			vals = append(vals, money(m.MedianSpend), money(m.MeanSpend), money(m.AverageTicket), m.Transactions, m.ActiveMonths)
		} else {
			vals = append(vals, nil, nil, nil, nil, nil)
		}
		vals = append(vals, interestCells(c.Interests, topInterests)...)
		vals = append(vals, mix.cells()...)
		for _, t := range tiers {
			n := 0
			if i < len(s.Members) {
				n = s.Members[i].Tiers[t]
			}
			vals = append(vals, n)
		}
		if cont != nil {
			vals = append(vals, flowCells(cont, flows, vid)...)
		}
		b.row(SheetClusters, i+2, vals...)
	}
	n := len(s.Clusters) + 1
	if cont != nil {
		// The retired variants: their id, "retired" and their counts in
		// the columns of the table, which has none of them.
		at := len(header) - len(flowHeader) + 1 // the Last month column
		for i, v := range cont.Retired {
			vals := make([]any, len(header))
			vals[1], vals[at-1] = v, "retired"
			if f, ok := flows[v]; ok {
				vals[at+2], vals[at+4] = f.MovedOut, f.Left
			}
			b.row(SheetClusters, n+2+i, vals...)
		}
	}
	first := 6 + len(memberHeader) // the first interest's column
	for i := range 3 {
		b.style(SheetClusters, 6+i, 2, n, b.money)
	}
	b.style(SheetClusters, 9, 2, n, b.decimal)
	b.style(SheetClusters, 10, 2, n, b.decimal)
	for i := 0; i < topInterests; i++ {
		b.style(SheetClusters, first+1+3*i, 2, n, b.percent)
		b.style(SheetClusters, first+2+3*i, 2, n, b.decimal)
	}
	b.autoFilter(SheetClusters, len(header), n)
}

// money returns cents as currency units.
func money(cents int64) float64 { return float64(cents) / 100 }

// tierColumns returns the tiers of every cluster's members, sorted, with
// no tier ("") last.
func tierColumns(ms []Members) []string {
	seen := map[string]bool{}
	for _, m := range ms {
		for t, n := range m.Tiers {
			if n > 0 {
				seen[t] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		if t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	if seen[""] {
		out = append(out, "")
	}
	return out
}

// tierName is the header of a tier's column.
func tierName(t string) string {
	if t == "" {
		return "No tier"
	}
	return "Tier " + t
}

func (b *book) variants(s Summary) {
	header := []string{"Variant", "Cluster", "Label", "Cardholders", "Eligible", "Tier", "Relationship", "Subject, as its sample recipient reads it",
		"Preheader, as its sample recipient reads it", "Subject template", "Preheader template", "Blocks", "Chosen per recipient",
		"Same newsletter as"}
	b.sheet(SheetVariants, header, nil)
	at := func(list []string, i int) string {
		if i < len(list) {
			return list[i]
		}
		return ""
	}
	// A variant whose plan is another's sends that one's newsletter
	// (variants.Plan.Share): it names it.
	for i, v := range s.Plan.Variants {
		b.row(SheetVariants, i+2, v.ID, v.Cluster, v.Label, v.Size, v.Eligible, v.Tier, v.Relationship, at(s.SampleSubjects, i),
			at(s.SamplePreheaders, i), v.Subject, v.Preheader, strings.Join(v.Blocks, ", "), slotsText(v.Slots), v.SameAs)
	}
	b.autoFilter(SheetVariants, len(header), len(s.Plan.Variants)+1)
}

// slotsText says what a variant's slots give whom: "tier: tier-gold 98,
// tier-green 278; retention: ...", with "none" for the eligible members no
// alternative fits.
func slotsText(slots []variants.Slot) string {
	parts := make([]string, 0, len(slots))
	for _, s := range slots {
		alts := make([]string, 0, len(s.Alternatives)+1)
		for _, a := range s.Alternatives {
			alts = append(alts, fmt.Sprintf("%s %d", a.Block, a.Recipients))
		}
		if s.Unmatched > 0 {
			alts = append(alts, fmt.Sprintf("none %d", s.Unmatched))
		}
		parts = append(parts, s.Name+": "+strings.Join(alts, ", "))
	}
	return strings.Join(parts, "; ")
}

// lostHeader is the header of the Lost customers sheet.
var lostHeader = []string{"Cardholder", "First name", "Cancelled on", "Reason", "Spend in window", "Active months", "Last active",
	"Interest 1", "Share 1", "Interest 2", "Share 2", "Interest 3", "Share 3", "Favourite merchant"}

// lost writes the Lost customers sheet through a stream writer: a large
// portfolio has many thousands of cancelled cards.
func (b *book) lost(s Summary) {
	if b.err != nil {
		return
	}
	_, err := b.f.NewSheet(SheetLost)
	b.check(err)
	// A stream writer writes the sheet's settings as they are when it
	// starts, and ignores those made after: the dimension, the filter and
	// the page setup come first.
	b.headers[SheetLost], b.streamed[SheetLost] = true, true
	last, _ := excelize.CoordinatesToCellName(len(lostHeader), len(s.Lost)+1)
	b.check(b.f.SetSheetDimension(SheetLost, "A1:"+last))
	b.autoFilter(SheetLost, len(lostHeader), len(s.Lost)+1)
	b.pageSetup(SheetLost)
	sw, err := b.f.NewStreamWriter(SheetLost)
	if err != nil {
		b.check(err)
		return
	}
	for i, wd := range lostWidths(s.Lost) {
		b.check(sw.SetColWidth(i+1, i+1, wd))
	}
	b.check(sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
	header := make([]any, len(lostHeader))
	for i, h := range lostHeader {
		header[i] = excelize.Cell{StyleID: b.bold, Value: h}
	}
	b.check(sw.SetRow("A1", header))
	for i, c := range s.Lost {
		row := []any{c.ID, c.FirstName, b.dateCell(c.CancelledOn), c.Reason,
			excelize.Cell{StyleID: b.money, Value: float64(c.Spend) / 100}, c.ActiveMonths, b.dateCell(c.LastActive)}
		for j := range topInterests {
			if j < len(c.Interests) {
				row = append(row, c.Interests[j].Name, excelize.Cell{StyleID: b.percent, Value: c.Interests[j].Share})
			} else {
				row = append(row, nil, nil)
			}
		}
		row = append(row, c.FavouriteMerchant)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		b.check(sw.SetRow(cell, row))
	}
	b.check(sw.Flush())
}

// lostWidths returns the widths of the Lost customers sheet's columns:
// room for the header and its filter button, and for the longest text.
func lostWidths(lost []LostCustomer) []float64 {
	need := make([]int, len(lostHeader))
	for i, h := range lostHeader {
		need[i] = utf8.RuneCountInString(h) + 3
	}
	need[2], need[6] = max(need[2], 10), max(need[6], 10) // dates
	need[4] = max(need[4], 12)                            // money
	for _, c := range lost {
		for i, v := range map[int]string{0: c.ID, 1: c.FirstName, 3: c.Reason, 13: c.FavouriteMerchant} {
			need[i] = max(need[i], utf8.RuneCountInString(v))
		}
		for j := range min(topInterests, len(c.Interests)) {
			need[7+2*j] = max(need[7+2*j], utf8.RuneCountInString(c.Interests[j].Name))
		}
	}
	out := make([]float64, len(need))
	for i, n := range need {
		out[i] = min(max(float64(n)+1.5, minWidth), maxWidth)
	}
	return out
}

// dateCell returns a date cell, or an empty one for the zero time.
func (b *book) dateCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return excelize.Cell{StyleID: b.date, Value: t}
}

// unmapped writes the Unmapped codes sheet, most frequent codes first.
func (b *book) unmapped(s Summary) {
	b.sheet(SheetUnmapped, []string{"Code", "Description", "Transactions", "Share of transactions"}, []float64{10, 50, 14, 22})
	rows := slices.Clone(s.Unmapped)
	slices.SortStableFunc(rows, func(x, y Unmapped) int {
		if c := cmp.Compare(y.Transactions, x.Transactions); c != 0 {
			return c
		}
		return cmp.Compare(x.Code, y.Code)
	})
	for i, u := range rows {
		var share any
		if s.Transactions > 0 {
			share = float64(u.Transactions) / float64(s.Transactions)
		}
		b.row(SheetUnmapped, i+2, u.Code, u.Description, u.Transactions, share)
	}
	b.style(SheetUnmapped, 4, 2, len(rows)+1, b.percent)
	b.autoFilter(SheetUnmapped, 4, len(rows)+1)
}

func (b *book) inputs(s Summary) {
	b.sheet(SheetInputs, []string{"Input", "Rows read", "Accepted", "Rejected", "Reason", "Rows"}, []float64{16, 11, 11, 11, 60, 8})
	r := 2
	for _, in := range s.Inputs {
		b.row(SheetInputs, r, in.Name, in.Rows, in.Accepted, in.Rejected)
		r++
		for _, rs := range in.Reasons {
			b.row(SheetInputs, r, in.Name, nil, nil, nil, rs.Reason, rs.Count)
			r++
		}
		for _, sk := range []struct {
			what string
			n    int
		}{{"skipped, not rejected: empty rows", in.EmptyRows}, {"skipped, not rejected: the header repeated (files joined end to end)", in.RepeatedHeaders},
			{"skipped, not rejected: left out by the campaign's row filters", in.Filtered}} {
			if sk.n > 0 {
				b.row(SheetInputs, r, in.Name, nil, nil, nil, sk.what, sk.n)
				r++
			}
		}
	}
}

// UpdateSend reads a workbook Write wrote from r and writes it to w with
// its Send sheet replaced by rows: a send brings the sheet up to date
// without the rest of the report, which needs every profile in memory.
func UpdateSend(r io.Reader, w io.Writer, rows []SendRow) error {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	if i, _ := f.GetSheetIndex(SheetSend); i >= 0 {
		if err := f.DeleteSheet(SheetSend); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	x := &book{f: f}
	x.styles()
	x.send(Summary{Send: rows})
	x.finish(SheetSend)
	if x.err != nil {
		return fmt.Errorf("report: %w", x.err)
	}
	if i, err := f.GetSheetIndex(SheetSummary); err == nil && i >= 0 {
		f.SetActiveSheet(i)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// fit writes the Fit sheet: the messages audited and those that say
// something untrue for their reader, by variant and rule, a total row,
// then examples to read.
func (b *book) fit(s Summary) {
	f := s.Fit
	header := append([]string{"Variant", "Messages", "Not true for their reader", "Share"}, f.Rules...)
	widths := []float64{10, 11, 24, 9}
	for range f.Rules {
		widths = append(widths, 13)
	}
	b.sheet(SheetFit, header, widths)
	share := func(n, of int) any {
		if of == 0 {
			return nil
		}
		return float64(n) / float64(of)
	}
	r := 2
	total := make([]int, len(f.Rules))
	for _, v := range f.Variants {
		row := []any{v.Variant, v.Checked, v.Misfit, share(v.Misfit, v.Checked)}
		for i, n := range v.Rules {
			row = append(row, n)
			total[i] += n
		}
		b.row(SheetFit, r, row...)
		r++
	}
	row := []any{"Total", f.Checked, f.Misfit, share(f.Misfit, f.Checked)}
	for _, n := range total {
		row = append(row, n)
	}
	b.row(SheetFit, r, row...)
	last, _ := excelize.CoordinatesToCellName(len(header), r)
	b.check(b.f.SetCellStyle(SheetFit, "A"+fmt.Sprint(r), last, b.bold))
	b.style(SheetFit, 4, 2, r, b.percent)
	r += 2
	b.row(SheetFit, r, "Budget", nil, nil, f.Budget)
	b.style(SheetFit, 4, r, r, b.percent)
	r += 2
	if len(f.Examples) == 0 {
		b.row(SheetFit, r, "Every message audited is true for its reader.")
		return
	}
	b.row(SheetFit, r, "Cardholder", "Variant", "Rule", "What they read")
	b.check(b.f.SetCellStyle(SheetFit, "A"+fmt.Sprint(r), "D"+fmt.Sprint(r), b.bold))
	for _, e := range f.Examples {
		r++
		b.row(SheetFit, r, e.Cardholder, e.Variant, e.Rule, e.Detail)
	}
}

// send writes the Send sheet: each variant's messages by state, with a
// total row, and the share of the variant's mailable recipients sent.
func (b *book) send(s Summary) {
	if s.Send == nil {
		return
	}
	b.sheet(SheetSend, []string{"Variant", "Sent", "Deferred", "Pending", "Failed", "Uncertain", "Suppressed", "Skipped", "Sent of those to send"},
		[]float64{10, 10, 10, 10, 10, 11, 12, 10, 22})
	total := SendRow{Variant: "Total"}
	write := func(r int, v SendRow) {
		var share any
		if due := v.Sent + v.Deferred + v.Pending + v.Failed + v.Uncertain; due > 0 {
			share = float64(v.Sent) / float64(due)
		}
		b.row(SheetSend, r, v.Variant, v.Sent, v.Deferred, v.Pending, v.Failed, v.Uncertain, v.Suppressed, v.Skipped, share)
	}
	r := 2
	for _, v := range s.Send {
		write(r, v)
		total.Sent += v.Sent
		total.Deferred += v.Deferred
		total.Pending += v.Pending
		total.Failed += v.Failed
		total.Uncertain += v.Uncertain
		total.Suppressed += v.Suppressed
		total.Skipped += v.Skipped
		r++
	}
	write(r, total)
	r++
	last, _ := excelize.CoordinatesToCellName(8, r-1)
	b.check(b.f.SetCellStyle(SheetSend, "A"+fmt.Sprint(r-1), last, b.bold))
	b.style(SheetSend, 9, 2, r-1, b.percent)
}

func (b *book) autoFilter(sheet string, cols, rows int) {
	if rows < 2 {
		return
	}
	last, _ := excelize.CoordinatesToCellName(cols, rows)
	b.check(b.f.AutoFilter(sheet, "A1:"+last, nil))
}

// quoted is a sheet name as formulas and chart ranges spell it.
func quoted(sheet string) string { return "'" + strings.ReplaceAll(sheet, "'", "''") + "'" }

// colRange is the range of column col from row from to row to of sheet,
// absolute, for chart series.
func colRange(sheet string, col, from, to int) string {
	name, _ := excelize.ColumnNumberToName(col)
	return fmt.Sprintf("%s!$%s$%d:$%s$%d", quoted(sheet), name, from, name, to)
}

// chartTitle is a chart's title.
func chartTitle(text string) excelize.ChartTitle {
	return excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: text}}}
}

// Chart sizes in pixels, and the rows a chart spans (20 pixels a row) with
// a gap.
const (
	chartWidth  = 760
	chartHeight = 400
	chartRows   = 22
)

// charts writes the Charts sheet: the relationship types of the clustered
// cardholders (a table and a pie), the audience per variant (bars over
// the Variants sheet) and each interest's share of wallet, of every
// cardholder and of the newsletter's recipients (bars over the Interests
// sheet). A chart with no data is left out.
func (b *book) charts(s Summary) {
	b.sheet(SheetCharts, []string{"Relationship type", "Cardholders"}, []float64{20, 13})
	var total Mix
	for _, m := range s.Relationships {
		total.add(m)
	}
	for i, n := range total.cells() {
		b.row(SheetCharts, i+2, mixHeader[i], n)
	}
	b.row(SheetCharts, len(mixHeader)+3, "The Glossary sheet explains each relationship type.")
	if b.err != nil {
		return
	}
	row := 1
	if n := len(s.Plan.Variants); n > 0 {
		height := max(chartHeight, 60+28*n)
		b.check(b.f.AddChart(SheetCharts, fmt.Sprintf("D%d", row), &excelize.Chart{
			Type: excelize.Bar,
			Series: []excelize.ChartSeries{
				{Name: colRange(SheetVariants, 4, 1, 1), Categories: colRange(SheetVariants, 3, 2, n+1), Values: colRange(SheetVariants, 4, 2, n+1)},
				{Name: colRange(SheetVariants, 5, 1, 1), Categories: colRange(SheetVariants, 3, 2, n+1), Values: colRange(SheetVariants, 5, 2, n+1)},
			},
			Title:     chartTitle("Audience per variant"),
			Legend:    excelize.ChartLegend{Position: "bottom"},
			XAxis:     excelize.ChartAxis{ReverseOrder: true},
			YAxis:     excelize.ChartAxis{MajorGridLines: true},
			Dimension: excelize.ChartDimension{Width: chartWidth, Height: uint(height)},
		}))
		row += height/20 + 2
	}
	if len(s.Relationships) > 0 {
		b.check(b.f.AddChart(SheetCharts, fmt.Sprintf("D%d", row), &excelize.Chart{
			Type:      excelize.Pie,
			Series:    []excelize.ChartSeries{{Name: colRange(SheetCharts, 2, 1, 1), Categories: colRange(SheetCharts, 1, 2, len(mixHeader)+1), Values: colRange(SheetCharts, 2, 2, len(mixHeader)+1)}},
			Title:     chartTitle("Relationship types of the clustered cardholders"),
			Legend:    excelize.ChartLegend{Position: "right"},
			PlotArea:  excelize.ChartPlotArea{ShowPercent: true},
			Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
		}))
		row += chartRows
	}
	if n := len(s.Interests); n > 0 {
		height := max(chartHeight, 60+30*n)
		b.check(b.f.AddChart(SheetCharts, fmt.Sprintf("D%d", row), &excelize.Chart{
			Type: excelize.Bar,
			Series: []excelize.ChartSeries{
				{Name: colRange(SheetInterests, 2, 1, 1), Categories: colRange(SheetInterests, 1, 2, n+1), Values: colRange(SheetInterests, 2, 2, n+1)},
				{Name: colRange(SheetInterests, 3, 1, 1), Categories: colRange(SheetInterests, 1, 2, n+1), Values: colRange(SheetInterests, 3, 2, n+1)},
			},
			Title:     chartTitle("Share of wallet per interest: newsletter recipients against all cardholders"),
			Legend:    excelize.ChartLegend{Position: "bottom"},
			XAxis:     excelize.ChartAxis{ReverseOrder: true},
			YAxis:     excelize.ChartAxis{MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"}},
			Dimension: excelize.ChartDimension{Width: chartWidth, Height: uint(height)},
		}))
	}
}

// interests writes the Interests sheet: each interest's share of wallet
// of every cardholder and of the newsletter's recipients.
func (b *book) interests(s Summary) {
	b.sheet(SheetInterests, []string{"Interest", "All cardholders", "Newsletter recipients"}, nil)
	for i, in := range s.Interests {
		b.row(SheetInterests, i+2, in.Name, in.Population, in.Audience)
	}
	n := len(s.Interests) + 1
	b.style(SheetInterests, 2, 2, n, b.percent)
	b.style(SheetInterests, 3, 2, n, b.percent)
}

// heatmap writes the Heatmap sheet: a row per cluster, a column per
// interest, each cell the members' mean share of wallet, coloured from
// white (none) to green (the largest share).
func (b *book) heatmap(s Summary) {
	header := []string{"Cluster", "Variant", "Label"}
	for _, in := range s.Interests {
		header = append(header, in.Name)
	}
	b.sheet(SheetHeatmap, header, nil)
	b.check(b.f.SetPanes(SheetHeatmap, &excelize.Panes{Freeze: true, XSplit: 3, YSplit: 1, TopLeftCell: "D2", ActivePane: "bottomRight"}))
	for i, c := range s.Clusters {
		vid := ""
		if i < len(s.Plan.Variants) {
			vid = s.Plan.Variants[i].ID
		}
		vals := []any{c.ID, vid, c.Label}
		for j := range s.Interests {
			var v any
			if i < len(s.Wallets) && j < len(s.Wallets[i]) {
				v = s.Wallets[i][j]
			}
			vals = append(vals, v)
		}
		b.row(SheetHeatmap, i+2, vals...)
	}
	rows, cols := len(s.Clusters)+1, len(header)
	if rows < 2 || cols < 4 {
		return
	}
	last, _ := excelize.CoordinatesToCellName(cols, rows)
	b.check(b.f.SetCellStyle(SheetHeatmap, "D2", last, b.percent))
	b.check(b.f.SetConditionalFormat(SheetHeatmap, "D2:"+last, []excelize.ConditionalFormatOptions{{
		Type: "2_color_scale", Criteria: "=", MinType: "num", MinValue: "0", MaxType: "max", MinColor: "#FFFFFF", MaxColor: "#2E8B57",
	}}))
}

// glossary are the terms the workbook uses, each with its meaning.
var glossary = [][2]string{
	{"Cluster", "A group of cardholders who spend alike, found by the clustering; each cluster gets its own newsletter variant."},
	{"Variant", "One version of this month's newsletter, written for one cluster; its id (v0001) stays from month to month."},
	{"Eligible", "Members who may receive marketing mail: card not cancelled, marketing consent given, spend in the window."},
	{"Share of wallet", "The part of a cardholder's card spending that goes to an interest, such as Dining: 25% means a quarter of the spend. A cluster's share is its members' mean."},
	{"Lift", "How much more of their wallet a cluster spends on an interest than all cardholders do: its share divided by the population's. 2.00 is twice as much; 1.00 the same."},
	{"Relationship type", "How a cardholder uses the card, after Barbara Bund Jackson's customer types (Harvard Business Review, 1985)."},
	{"Lost-for-good", "A committed customer, in Jackson's sense: steady monthly use over a long tenure, everyday spending across interests. \"Lost for good\" to competitors, who would find them hard to win. It does NOT mean churned: these are the most loyal cardholders."},
	{"Intermediate", "Neither committed nor transactional: regular but not yet steady use."},
	{"Always-a-share", "Jackson's transactional customer: gives the card a share of their spending now and then and moves it easily."},
	{"Lapsing", "A regular cardholder whose spending fell sharply and who has stopped using the card: at risk of churning."},
	{"Lost", "The card is cancelled: the customer has churned. The Lost customers sheet lists them."},
	{"Inactive", "No net spend in the profile window."},
	{"Unknown", "The type cannot be told: the campaign gave pre-aggregated profiles with no transaction history. It is not a judgement of the customer."},
	{"Median spend", "The net spend in the profile window (refunds netted) of the middle member: half spent less, half more."},
	{"Average ticket", "A cardholder's average purchase, refunds not netted; the Clusters sheet shows the members' median."},
	{"Active months", "The months of the profile window with at least one transaction."},
	{"Profile window", "The months of transactions the profiles are built from; the Summary gives its dates."},
	{"Same newsletter as", "Two clusters whose plans match (the same blocks, alternatives, subjects and preheaders) read the same newsletter: it is rendered, checked and sent once, as the first one's variant. The Variants sheet names that variant for each of the others, and the Summary counts the distinct newsletters. A template set that writes a cluster's own facts (its label, interests, tier or relationship) keeps every variant a newsletter of its own."},
	{"Born", "A variant new this month: its cluster follows none of last month's, so it gets a new id (Clusters sheet, Last month column)."},
	{"Retired", "A variant of last month that no cluster follows this month: its cardholders moved to other variants or left. The Clusters sheet lists it under the table."},
	{"Stayed", "Cardholders in the same variant last month and this month."},
	{"Moved in", "Cardholders in this variant who were in another variant last month: their spending now looks more like this group's."},
	{"Moved out", "Cardholders in this variant last month who are in another variant this month."},
	{"New", "Cardholders in this variant who were in no variant last month: new to the card, or back to spending after a quiet window."},
	{"Left", "Cardholders in this variant last month who are in no variant this month: no spend in this month's profile window, or no longer in the cardholder file."},
	{"Not true for their reader", "The fit audit: a message that says something untrue for its reader, such as a tier block for another tier (Fit sheet)."},
	{"Inertia", "A technical figure of the clustering (Technical sheet): the sum of squared distances of the cardholders to their cluster's centre. Lower is tighter; it only compares runs of the same data."},
	{"Iterations", "A technical figure of the clustering (Technical sheet): the rounds k-means took to settle."},
}

// glossary writes the Glossary sheet.
func (b *book) glossary() {
	b.sheet(SheetGlossary, []string{"Term", "Meaning"}, []float64{26, maxWidth})
	for i, g := range glossary {
		b.row(SheetGlossary, i+2, g[0], g[1])
	}
	b.style(SheetGlossary, 2, 2, len(glossary)+1, b.wrap)
}

// technical writes the Technical sheet: the clustering's figures, which
// say little to a marketer.
func (b *book) technical(s Summary) {
	b.sheet(SheetTechnical, []string{"Figure", "Value", "Meaning"}, []float64{24, 12, 90})
	b.row(SheetTechnical, 2, "Clustering inertia", s.Inertia, "Sum of squared distances of the cardholders to their cluster's centre.")
	b.row(SheetTechnical, 3, "Clustering iterations", s.Iterations, "Rounds of k-means until the clusters settled.")
	b.style(SheetTechnical, 2, 2, 2, b.decimal)
}

// Column widths, in characters: no column is narrower than minWidth, nor
// made wider than maxWidth; longer text wraps.
const (
	minWidth = 8
	maxWidth = 80
)

// finish makes a sheet print and read well, and declares its used range:
// column widths that fit their text (a header gets room for its filter
// button), long text wrapped, landscape pages one page wide with the
// header row repeated, and the dimension.
func (b *book) finish(sheet string) {
	if b.err != nil || b.streamed[sheet] {
		return
	}
	rows, err := b.text(sheet)
	if err != nil {
		b.check(err)
		return
	}
	b.finishRows(sheet, rows)
}

// finishAll finishes the sheets, in order, their text read back on every
// core at once (excelize's GetCellValue is safe for concurrent use, and
// each sheet is read back whole before any is changed).
func (b *book) finishAll(sheets []string) {
	if b.err != nil {
		return
	}
	rows := make([][][]string, len(sheets))
	errs := make([]error, len(sheets))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(sheets)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(sheets); i = int(next.Add(1) - 1) {
				if !b.streamed[sheets[i]] {
					rows[i], errs[i] = b.text(sheets[i])
				}
			}
		})
	}
	wg.Wait()
	for i, sheet := range sheets {
		b.check(errs[i])
		if b.err != nil || b.streamed[sheet] {
			continue
		}
		b.finishRows(sheet, rows[i])
	}
}

// finishRows is finish with the sheet's rows as text reads them.
func (b *book) finishRows(sheet string, rows [][]string) {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	ref := "A1"
	if cols > 0 && len(rows) > 0 {
		ref, _ = excelize.CoordinatesToCellName(cols, len(rows))
		ref = "A1:" + ref
	}
	b.check(b.f.SetSheetDimension(sheet, ref))
	header := b.headers[sheet]
	for c := 1; c <= cols; c++ {
		need := 0
		for i, r := range rows {
			if c > len(r) {
				continue
			}
			n := utf8.RuneCountInString(r[c-1])
			if i == 0 && header {
				n += 3
			}
			need = max(need, n)
		}
		name, _ := excelize.ColumnNumberToName(c)
		width, err := b.f.GetColWidth(sheet, name)
		b.check(err)
		want := min(max(float64(need)+1.5, minWidth, width), maxWidth)
		if want != width {
			b.check(b.f.SetColWidth(sheet, name, name, want))
		}
		if float64(need) > maxWidth && len(rows) > 1 {
			b.style(sheet, c, 2, len(rows), b.wrap)
		}
	}
	b.pageSetup(sheet)
}

// pageSetup makes a sheet print landscape, one page wide and as many
// pages tall as it takes, with its header row, if any, on every page.
func (b *book) pageSetup(sheet string) {
	landscape, wide, tall := "landscape", 1, 0
	fit := true
	b.check(b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}))
	b.check(b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}))
	if b.headers[sheet] {
		b.check(b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: quoted(sheet) + "!$1:$1", Scope: sheet}))
	}
}
