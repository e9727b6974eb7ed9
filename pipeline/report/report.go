// Package report writes the marketers' workbook of a run: a Summary sheet
// with the counts, a Clusters sheet with each preference group's size,
// strongest interests and relationship mix, a Variants sheet with each
// newsletter version's subject and blocks, a Lost customers sheet with the
// cancelled cardholders' last spending, an Inputs sheet that accounts for
// every row read and an Unmapped codes sheet with the merchant category
// codes no interest covers.
package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

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
// lost-for-good, intermediate, always-a-share, lapsing and lost). Clustered
// cardholders all have spending, so none is inactive.
type Mix struct {
	LostForGood  int
	Intermediate int
	AlwaysAShare int
	Lapsing      int
	Lost         int
}

// cells returns the counts in column order.
func (m Mix) cells() []any {
	return []any{m.LostForGood, m.Intermediate, m.AlwaysAShare, m.Lapsing, m.Lost}
}

// mixHeader names the Mix columns of the Clusters sheet.
var mixHeader = []string{"Lost-for-good", "Intermediate", "Always-a-share", "Lapsing", "Lost"}

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
}

// Sheet names, in workbook order.
const (
	SheetSummary  = "Summary"
	SheetClusters = "Clusters"
	SheetVariants = "Variants"
	SheetLost     = "Lost customers"
	SheetInputs   = "Inputs"
	SheetUnmapped = "Unmapped codes"
	SheetFit      = "Fit"
	// SheetSend is there once the run's send has started.
	SheetSend = "Send"
)

// Write writes the workbook as XLSX.
func Write(w io.Writer, s Summary) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &book{f: f}
	x.styles()
	x.summary(s)
	x.clusters(s)
	x.variants(s)
	x.lost(s)
	x.inputs(s)
	x.unmapped(s)
	x.fit(s)
	x.send(s)
	if x.err != nil {
		return fmt.Errorf("report: %w", x.err)
	}
	if i, err := f.GetSheetIndex(SheetSummary); err == nil {
		f.SetActiveSheet(i)
	}
	if err := f.DeleteSheet("Sheet1"); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: %w", err)
	}
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
}

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
}

func (b *book) sheet(name string, header []string, widths []float64) {
	_, err := b.f.NewSheet(name)
	b.check(err)
	if header != nil {
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
	b.sheet(SheetSummary, nil, []float64{34, 40})
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
		{"Messages in the outbox", s.Messages},
		{"Clustering inertia", s.Inertia},
		{"Clustering iterations", s.Iterations},
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
		if len(r) > 0 {
			c, _ := excelize.CoordinatesToCellName(1, i+1)
			b.check(b.f.SetCellStyle(SheetSummary, c, c, b.bold))
		}
	}
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

func (b *book) clusters(s Summary) {
	header := []string{"Cluster", "Variant", "Label", "Cardholders", "Eligible"}
	widths := []float64{9, 9, 36, 12, 10}
	for i := 1; i <= topInterests; i++ {
		header = append(header, fmt.Sprintf("Interest %d", i), fmt.Sprintf("Share %d", i), fmt.Sprintf("Lift %d", i))
		widths = append(widths, 20, 9, 8)
	}
	header = append(header, mixHeader...)
	for range mixHeader {
		widths = append(widths, 14)
	}
	b.sheet(SheetClusters, header, widths)
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
		vals = append(vals, interestCells(c.Interests, topInterests)...)
		b.row(SheetClusters, i+2, append(vals, mix.cells()...)...)
	}
	n := len(s.Clusters) + 1
	for i := 0; i < topInterests; i++ {
		b.style(SheetClusters, 7+3*i, 2, n, b.percent)
		b.style(SheetClusters, 8+3*i, 2, n, b.decimal)
	}
	b.autoFilter(SheetClusters, len(header), n)
}

func (b *book) variants(s Summary) {
	header := []string{"Variant", "Cluster", "Label", "Cardholders", "Eligible", "Tier", "Relationship", "Subject", "Preheader", "Blocks",
		"Chosen per recipient"}
	b.sheet(SheetVariants, header, []float64{9, 9, 36, 12, 10, 10, 16, 60, 60, 70, 90})
	for i, v := range s.Plan.Variants {
		b.row(SheetVariants, i+2, v.ID, v.Cluster, v.Label, v.Size, v.Eligible, v.Tier, v.Relationship, v.Subject, v.Preheader, strings.Join(v.Blocks, ", "),
			slotsText(v.Slots))
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
	sw, err := b.f.NewStreamWriter(SheetLost)
	if err != nil {
		b.check(err)
		return
	}
	for i, wd := range []float64{14, 14, 13, 30, 16, 14, 13, 20, 9, 20, 9, 20, 9, 28} {
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
	b.autoFilter(SheetLost, len(lostHeader), len(s.Lost)+1)
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
