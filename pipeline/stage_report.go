package pipeline

import (
	"cmp"
	"io"
	"maps"
	"path"
	"slices"
	"sync"

	"github.com/tailor-mail/tailor/pipeline/fit"
	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/report"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/variants"
)

// reported is the report stage's outcome.
type reported struct {
	Sheets        int `count:"sheets"`
	LostCustomers int `count:"lost_customers"`
	UnmappedCodes int `count:"unmapped_codes"`
}

func (reported) outputs() []string { return []string{rundir.ReportFile} }

// reportIn is what the report stage reads.
type reportIn struct {
	profiles []profile.Profile
	assigned assignment
	clusters *segment.File
	plan     *variants.Plan
	// messages is the number of messages the outbox gets; transactions
	// the number of transactions in the profile window.
	messages, transactions int
	// send counts the send ledger's messages by variant and state; nil
	// before any send.
	send map[string]map[send.State]int
	// fit is the fit audit's findings.
	fit FitReport
}

// report writes report.xlsx, with the inputs' records of the manifest.
func (r *run) report(in reportIn) (reported, error) {
	a, cf := audience(in.profiles), in.clusters
	s := report.Summary{
		Campaign: r.c.Name, Month: r.monthName(), Version: r.cfg.Version,
		Audience: report.Audience{Cardholders: a.Cardholders, Mail: a.Mail, NoConsent: a.NoConsent, Cancelled: a.Cancelled, NoSpend: a.NoSpend},
		Plan:     *in.plan, Messages: in.messages, Inertia: cf.Inertia, Iterations: cf.Iterations,
		Inputs: r.reportInputs(), Unmapped: r.unmapped(), Transactions: in.transactions,
	}
	for _, c := range cf.Clusters {
		s.Clusters = append(s.Clusters, c.Cluster)
	}
	// Each part of the summary goes through the profiles on its own,
	// side by side; each adds them up in the same order as alone.
	var wg sync.WaitGroup
	wg.Go(func() { s.Members, s.Wallets = members(in, len(s.Clusters), r.tax.Len()) })
	wg.Go(func() {
		s.Relationships, s.Lost = r.relationshipsAndLost(in, len(s.Clusters))
		s.Interests = interestShares(r.tax, in.profiles)
	})
	var err error
	s.SampleSubjects, s.SamplePreheaders, err = r.sampleLines(in.plan)
	wg.Wait()
	if err != nil {
		return reported{}, err
	}
	s.Fit = fitSheet(in.fit)
	if d := r.manifest.Data; d != nil {
		s.Window = &report.Window{From: d.WindowFrom, To: d.WindowTo, First: d.First, Last: d.Last, In: d.InWindow, Before: d.Before, After: d.After,
			Credits: d.Credits, CreditAmount: d.CreditAmount}
	}
	sheets := 12
	if in.send != nil {
		sheets++
		s.Send = sendRows(in.plan, in.send)
	}
	if id := cf.Identity; id != nil {
		s.Continuity = &report.Continuity{PreviousMonth: id.PreviousMonth, Kept: id.Matched, Born: id.Born,
			Retired: id.Retired, Changed: id.Changed}
		for _, f := range id.Flows {
			s.Continuity.Flows = append(s.Continuity.Flows, report.Flow{Variant: f.Variant, Stayed: f.Stayed, MovedIn: f.MovedIn,
				New: f.New, MovedOut: f.MovedOut, Left: f.Left})
		}
	}
	if err := rundir.WriteFile(r.file(rundir.ReportFile), func(w io.Writer) error { return report.Write(w, s) }); err != nil {
		return reported{}, err
	}
	return reported{Sheets: sheets, LostCustomers: len(s.Lost), UnmappedCodes: len(s.Unmapped)}, nil
}

// reportInputs is what became of each input's rows, reasons most frequent
// first.
func (r *run) reportInputs() []report.Input {
	var out []report.Input
	for _, in := range r.manifest.Inputs {
		st := ingest.Stats{Reasons: in.Reasons}
		ri := report.Input{Name: in.Name, Rows: in.Rows, Accepted: in.Accepted, Rejected: in.Rejected,
			EmptyRows: in.EmptyRows, RepeatedHeaders: in.RepeatedHeaders, Filtered: in.Filtered}
		for _, rc := range st.TopReasons(len(in.Reasons)) {
			ri.Reasons = append(ri.Reasons, report.Reason{Reason: rc.Reason, Count: rc.Count})
		}
		out = append(out, ri)
	}
	return out
}

// unmapped lists the merchant category codes, then each input's own
// categories, that no interest covers, in code order.
func (r *run) unmapped() []report.Unmapped {
	var out []report.Unmapped
	for _, c := range slices.Sorted(maps.Keys(r.manifest.Unmapped)) {
		out = append(out, report.Unmapped{Code: c, Description: r.tax.Describe(c), Transactions: r.manifest.Unmapped[c]})
	}
	for _, in := range r.manifest.Inputs {
		for _, c := range slices.Sorted(maps.Keys(in.UnmappedCategories)) {
			desc := "category of " + in.Name
			if c == ingest.EmptyCategoryKey {
				desc = "no code or category in " + in.Name + ": counted as other"
			}
			out = append(out, report.Unmapped{Code: c, Description: desc, Transactions: in.UnmappedCategories[c]})
		}
	}
	return out
}

// relationshipsAndLost returns the relationship mix of the first n
// variants, in plan order, and the cancelled cardholders in input order.
func (r *run) relationshipsAndLost(in reportIn, n int) ([]report.Mix, []report.LostCustomer) {
	mixes := make([]report.Mix, n)
	variantIndex := map[string]int{}
	for i, v := range in.plan.Variants {
		variantIndex[v.ID] = i
	}
	var lost []report.LostCustomer
	for i := range in.profiles {
		p := &in.profiles[i]
		if vi, ok := variantIndex[in.assigned[i]]; ok && vi < n {
			addTo(&mixes[vi], p.Relationship)
		}
		if p.Cancelled {
			lc := report.LostCustomer{ID: p.ID, FirstName: p.FirstName, CancelledOn: p.CancelledOn.Time(), Reason: p.CancelReason,
				Spend: p.Spend, ActiveMonths: p.ActiveMonths, LastActive: p.LastActive, FavouriteMerchant: p.FavouriteMerchant}
			for _, ri := range profile.LargestInterests(r.tax, p.Shares, 3) {
				lc.Interests = append(lc.Interests, variants.Interest{ID: ri.Interest.ID, Name: ri.Interest.Name, Share: ri.Share, Lift: ri.Lift})
			}
			lost = append(lost, lc)
		}
	}
	return mixes, lost
}

// sendRows is the Send sheet: each variant's messages by state in the
// ledger, in plan order, then those of the cardholders without a variant.
func sendRows(plan *variants.Plan, counts map[string]map[send.State]int) []report.SendRow {
	ids := []string{}
	for _, v := range plan.Newsletters().Variants {
		ids = append(ids, v.ID)
	}
	if _, ok := counts[""]; ok {
		ids = append(ids, "")
	}
	rows := make([]report.SendRow, 0, len(ids))
	for _, id := range ids {
		c := counts[id]
		row := report.SendRow{Variant: id, Sent: c[send.Sent], Deferred: c[send.Deferred],
			Pending: c[send.Pending] + c[send.Sending], Failed: c[send.Failed], Uncertain: c[send.Uncertain],
			Suppressed: c[send.Suppressed], Skipped: c[send.Skipped]}
		if id == "" {
			row.Variant = noVariant
		}
		rows = append(rows, row)
	}
	return rows
}

// addTo counts a cardholder of relationship type rel in m.
func addTo(m *report.Mix, rel profile.Relationship) {
	switch rel {
	case profile.RelationshipLostForGood:
		m.LostForGood++
	case profile.RelationshipIntermediate:
		m.Intermediate++
	case profile.RelationshipAlwaysAShare:
		m.AlwaysAShare++
	case profile.RelationshipLapsing:
		m.Lapsing++
	case profile.RelationshipLost:
		m.Lost++
	case profile.RelationshipUnknown:
		m.Unknown++
	}
}

// fitSheet is the fit audit as the workbook shows it.
func fitSheet(f FitReport) report.Fit {
	out := report.Fit{Checked: f.Checked, Misfit: f.Misfit, Budget: f.Budget, Rules: fit.Rules()}
	for _, v := range f.Variants {
		row := report.FitRow{Variant: v.Variant, Checked: v.Checked, Misfit: v.Misfit}
		for _, rule := range out.Rules {
			row.Rules = append(row.Rules, v.Rules[rule])
		}
		out.Variants = append(out.Variants, row)
	}
	for _, e := range f.Examples {
		out.Examples = append(out.Examples, report.FitExample{Cardholder: e.Cardholder, Variant: e.Variant, Rule: e.Rule, Detail: e.Detail})
	}
	return out
}

// sampleLines returns each variant's subject and preheader as its sample
// recipient reads them, in plan order, from the meta.json render wrote
// for the newsletter each variant reads.
func (r *run) sampleLines(plan *variants.Plan) (subjects, preheaders []string, err error) {
	newsletterOf := plan.NewsletterOf()
	for _, v := range plan.Variants {
		var m struct {
			SampleSubject   string `json:"sample_subject"`
			SamplePreheader string `json:"sample_preheader"`
		}
		if err := rundir.ReadJSON(r.file(path.Join(rundir.VariantsDir, newsletterOf[v.ID], rundir.VariantMeta)), &m); err != nil {
			return nil, nil, err
		}
		subjects, preheaders = append(subjects, m.SampleSubject), append(preheaders, m.SamplePreheader)
	}
	return subjects, preheaders, nil
}

// members describes the members of the first n variants, in plan order:
// their spending and activity, their tiers, and their mean share of
// wallet per interest (of k).
func members(in reportIn, n, k int) ([]report.Members, [][]float64) {
	variantIndex := map[string]int{}
	for i, v := range in.plan.Variants {
		variantIndex[v.ID] = i
	}
	// Each profile's variant, and each variant's members counted first:
	// the spends and tickets of all variants share two arrays, each
	// variant's part made to its size (appending to 1,349 slices of each
	// reallocated them all the way up).
	at := make([]int32, len(in.profiles))
	counts := make([]int, n)
	for i := range in.profiles {
		vi, ok := variantIndex[in.assigned[i]]
		if !ok || vi >= n {
			at[i] = -1
			continue
		}
		at[i] = int32(vi)
		counts[vi]++
	}
	out := make([]report.Members, n)
	wallets := make([][]float64, n)
	spends := make([][]int64, n)
	tickets := make([][]int64, n)
	type totals struct {
		spend               int64
		transactions, month int
	}
	sums := make([]totals, n)
	all := 0
	for _, c := range counts {
		all += c
	}
	spendArray, ticketArray := make([]int64, all), make([]int64, all)
	for i := range out {
		out[i].Tiers = map[string]int{}
		wallets[i] = make([]float64, k)
		spends[i], spendArray = spendArray[:0:counts[i]], spendArray[counts[i]:]
		tickets[i], ticketArray = ticketArray[:0:counts[i]], ticketArray[counts[i]:]
	}
	for i := range in.profiles {
		p := &in.profiles[i]
		vi := at[i]
		if vi < 0 {
			continue
		}
		spends[vi] = append(spends[vi], p.Spend)
		tickets[vi] = append(tickets[vi], p.AverageTicket)
		sums[vi].spend += p.Spend
		sums[vi].transactions += p.Transactions
		sums[vi].month += p.ActiveMonths
		out[vi].Tiers[p.Tier]++
		for j, v := range p.Shares {
			if j < k {
				wallets[vi][j] += v
			}
		}
	}
	for i := range out {
		c := len(spends[i])
		if c == 0 {
			continue
		}
		out[i].MedianSpend, out[i].AverageTicket = median(spends[i]), median(tickets[i])
		out[i].MeanSpend = sums[i].spend / int64(c)
		out[i].Transactions = float64(sums[i].transactions) / float64(c)
		out[i].ActiveMonths = float64(sums[i].month) / float64(c)
		for j := range wallets[i] {
			wallets[i][j] /= float64(c)
		}
	}
	return out, wallets
}

// median returns the median of xs, the lower of the middle two for an
// even count; it sorts xs.
func median(xs []int64) int64 {
	slices.SortFunc(xs, cmp.Compare)
	return xs[(len(xs)-1)/2]
}

// interestShares is each interest's share of wallet of all cardholders
// (the population clustering compares clusters with) and of this month's
// newsletter recipients, weighted alike.
func interestShares(tax *profile.Taxonomy, ps []profile.Profile) []report.InterestShare {
	n := tax.Len()
	all := profile.Population(ps, n)
	audience := mailedPopulation(ps, n)
	var out []report.InterestShare
	for i, in := range tax.Interests() {
		out = append(out, report.InterestShare{Name: in.Name, Population: all[i], Audience: audience[i]})
	}
	return out
}

// mailedPopulation is profile.Population of the cardholders who get this
// month's newsletter, without copying them: each interest's share of their
// positive spend, or of their pre-aggregated shares when none has spend.
func mailedPopulation(ps []profile.Profile, n int) []float64 {
	total := make([]float64, n)
	add := func(weight func(p *profile.Profile) float64) float64 {
		var sum float64
		for i := range ps {
			p := &ps[i]
			if p.Status() != profile.StatusMail {
				continue
			}
			w := weight(p)
			for k, s := range p.Shares {
				if k < n && w > 0 {
					total[k] += s * w
					sum += s * w
				}
			}
		}
		return sum
	}
	sum := add(func(p *profile.Profile) float64 { return max(float64(p.Spend), 0) })
	if sum == 0 {
		sum = add(func(p *profile.Profile) float64 {
			if p.Features != nil {
				return 1
			}
			return 0
		})
	}
	if sum > 0 {
		for k := range total {
			total[k] /= sum
		}
	}
	return total
}
