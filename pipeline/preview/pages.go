package preview

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tailor-mail/tailor/variants"
)

// topInterests is how many interests the index shows for each variant.
const topInterests = 3

// page is what every page shows: its title, the run's name, and whether
// it listens for reloads.
type page struct {
	Title string
	Run   string
	Live  bool
}

// page returns the common part of a page titled title.
func (h *Handler) page(title string) page {
	run := h.name
	if m := h.manifest(); m.Campaign != "" && m.Month != "" {
		run = m.Campaign + " " + m.Month
		if m.Wave != "" {
			run += " (" + m.Wave + ")"
		}
	}
	return page{Title: title, Run: run, Live: h.live}
}

// problemPage says what went wrong.
type problemPage struct {
	page
	Status  int
	Message string
}

// indexPage lists the variants.
type indexPage struct {
	page
	Rows          []indexRow
	Interests     []option
	Tiers         []option
	Relationships []option
	// Fit is the audit's figure for the whole campaign, "" without one.
	Fit string
	// Problems are the files that could not be read.
	Problems []string
	// Clusters and Newsletters count the plan's variants and the
	// distinct newsletters they read (variants.Plan.Share).
	Clusters, Newsletters int
}

// option is one choice of a filter.
type option struct{ Value, Name string }

// indexRow is one variant of the index.
type indexRow struct {
	ID, Label      string
	Eligible, Size int
	Interests      []interestView
	// InterestIDs are the ids of the shown interests, for the filter.
	InterestIDs              string
	Tier, TierShare          string
	Relationship, RelShare   string
	TierSort, RelSort        string
	Subject, Preheader       string
	Fit, FitSort, FitDetails string
	// Also counts the other clusters that read this newsletter.
	Also int
}

// interestView is one interest of a variant.
type interestView struct {
	ID, Name, Share, Lift string
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	plan, err := h.plan()
	if err != nil {
		h.fileProblem(w, err)
		return
	}
	p := indexPage{page: h.page("Variants")}
	fit, err := h.fit()
	if err != nil {
		p.Problems = append(p.Problems, err.Error())
	}
	if fit != nil {
		p.Fit = fmt.Sprintf("%s of %d messages true for their reader (%d not; budget %s)",
			pct1(fit.Checked-fit.Misfit, fit.Checked), fit.Checked, fit.Misfit, percent(fit.Budget, 1))
	}
	interests := map[string]string{}
	tiers := map[string]string{}
	rels := map[string]string{}
	// One row per newsletter: the variants that share another's are
	// counted on its row.
	newsletters := plan.Newsletters()
	p.Clusters, p.Newsletters = len(plan.Variants), len(newsletters.Variants)
	for _, v := range newsletters.Variants {
		if !validID(v.ID) {
			p.Problems = append(p.Problems, fmt.Sprintf("variants.json: variant id %q is not a valid name: left out", v.ID))
			continue
		}
		row := indexRow{ID: v.ID, Label: v.Label, Eligible: v.Eligible, Size: v.Size,
			Subject: v.Subject, Preheader: v.Preheader, Tier: v.Tier, Relationship: v.Relationship, Also: len(v.Also)}
		var ids []string
		for i, in := range v.Interests {
			if i == topInterests {
				break
			}
			row.Interests = append(row.Interests, interestOf(in))
			ids = append(ids, in.ID)
			interests[in.ID] = in.Name
		}
		row.InterestIDs = strings.Join(ids, " ")
		m, err := h.meta(v.ID)
		if err != nil {
			p.Problems = append(p.Problems, err.Error())
		} else {
			row.Tier, row.Relationship = m.Tier, m.Relationship
			row.TierShare, row.RelShare = share(m.TierShare), share(m.RelationshipShare)
			row.TierSort, row.RelSort = fmt.Sprint(m.TierShare), fmt.Sprint(m.RelationshipShare)
			if m.SampleSubject != "" {
				row.Subject = m.SampleSubject
			}
			if m.SamplePreheader != "" {
				row.Preheader = m.SamplePreheader
			}
		}
		if row.Tier != "" {
			tiers[row.Tier] = row.Tier
		}
		if row.Relationship != "" {
			rels[row.Relationship] = row.Relationship
		}
		if f := fit.of(v.ID); f != nil {
			row.Fit = pct1(f.Checked-f.Misfit, f.Checked)
			row.FitSort = fmt.Sprint(rate(f.Checked-f.Misfit, f.Checked))
			row.FitDetails = fmt.Sprintf("%d of %d messages say something untrue for their reader", f.Misfit, f.Checked)
		}
		p.Rows = append(p.Rows, row)
	}
	p.Interests, p.Tiers, p.Relationships = options(interests), options(tiers), options(rels)
	h.render(w, http.StatusOK, "index", p)
}

// options returns the choices of a filter, by name.
func options(m map[string]string) []option {
	out := make([]option, 0, len(m))
	for _, v := range slices.Sorted(maps.Keys(m)) {
		out = append(out, option{Value: v, Name: m[v]})
	}
	slices.SortStableFunc(out, func(a, b option) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func interestOf(in variants.Interest) interestView {
	return interestView{ID: in.ID, Name: in.Name, Share: share(in.Share), Lift: fmt.Sprintf("×%.1f", in.Lift)}
}

// variantPage shows one variant.
type variantPage struct {
	page
	ID, Label              string
	Size, Eligible         int
	Interests              []interestView
	Tier, TierShare        string
	Relationship, RelShare string
	Subject, Preheader     string
	PlanSubject            string
	Subjects               []subjectView
	Recipient              string
	PreviewReader          bool
	Skipped                int
	// Readers are the recipients the page can show the variant as;
	// Reader is the one it shows, an index of Readers.
	Readers            []readerView
	Reader             int
	Headers            []header
	Text               string
	Parts              []partView
	Fit                *fitView
	Problems           []string
	Previous, Next     string
	HTMLPath, TextPath string
	// Also are the variants of other clusters that read this newsletter
	// (variants.Plan.Share); Clusters counts them and this one's.
	Also     []alsoView
	Clusters int
}

// alsoView is a cluster's variant that reads another's newsletter.
type alsoView struct {
	ID, Label      string
	Size, Eligible int
}

// readerView is a recipient the variant can be viewed as.
type readerView struct {
	Href, Name, Cardholder     string
	Tier, Relationship, Locale string
	Subject                    string
	Current                    bool
}

// maxReaders bounds the ?as= a request may ask for.
const maxReaders = 100

// readerIndex is the reader a request asks for (?as=i), 0 when it names
// none; ok is false when as is not a reader's index.
func readerIndex(r *http.Request) (i int, ok bool) {
	as := r.URL.Query().Get("as")
	if as == "" {
		return 0, true
	}
	i, err := strconv.Atoi(as)
	if err != nil || i < 0 || i >= maxReaders || strconv.Itoa(i) != as {
		return 0, false
	}
	return i, true
}

// subjectView is a subject a block of the variant proposes.
type subjectView struct {
	Block, Interests, For, Subject, Preheader string
}

// partView is a block everyone gets, or a slot.
type partView struct {
	Block, File string
	Slot        *slotView
}

// slotView is a slot and its alternatives.
type slotView struct {
	Name         string
	Unmatched    int
	Alternatives []alternativeView
	// Reader is the block the previews' reader got, "" for none.
	Reader string
}

// alternativeView is one block a slot may take.
type alternativeView struct {
	Block, File, For string
	Recipients       int
	Reader           bool
}

// fitView is the fit audit of a variant.
type fitView struct {
	Checked, Misfit int
	True, Budget    string
	Rules           []ruleCount
	Examples        []fitExample
}

// ruleCount is how many misfits a rule found.
type ruleCount struct {
	Rule  string
	Count int
}

func (h *Handler) serveVariant(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, ok, err := h.variant(id)
	if err != nil {
		h.fileProblem(w, err)
		return
	}
	if !ok {
		h.problem(w, http.StatusNotFound, "The plan has no variant of that id.")
		return
	}
	if v.ID != id {
		// Its cluster reads another variant's newsletter: that page.
		u := "/v/" + v.ID
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, u, http.StatusFound)
		return
	}
	as, ok := readerIndex(r)
	if !ok {
		h.problem(w, http.StatusNotFound, "No reader of that number.")
		return
	}
	p := variantPage{page: h.page(v.ID + " " + v.Label), ID: v.ID, Label: v.Label,
		Size: v.Size, Eligible: v.Eligible, Tier: v.Tier, Relationship: v.Relationship,
		Subject: v.Subject, Preheader: v.Preheader, PlanSubject: v.Subject, Reader: as,
		HTMLPath: "/v/" + v.ID + "/html", TextPath: "/v/" + v.ID + "/text"}
	if as > 0 {
		q := "?as=" + strconv.Itoa(as)
		p.HTMLPath += q
		p.TextPath += q
	}
	for _, in := range v.Interests {
		p.Interests = append(p.Interests, interestOf(in))
	}
	for _, s := range v.Subjects {
		p.Subjects = append(p.Subjects, subjectView{Block: s.Block, Interests: strings.Join(s.Interests, ", "),
			For: whom(s.Target), Subject: s.Subject, Preheader: s.Preheader})
	}
	readerGot := map[string]string{}
	var files map[string]string // block id -> source file
	if m, err := h.meta(v.ID); err != nil {
		p.Problems = append(p.Problems, err.Error())
	} else {
		p.Tier, p.Relationship = m.Tier, m.Relationship
		p.TierShare, p.RelShare = share(m.TierShare), share(m.RelationshipShare)
		if m.SampleSubject != "" {
			p.Subject = m.SampleSubject
		}
		if m.SamplePreheader != "" {
			p.Preheader = m.SamplePreheader
		}
		p.Recipient, p.PreviewReader, p.Skipped = m.Sample.Recipient, m.Sample.Preview, m.Sample.Skipped
		files = m.BlockFiles
		got := m.PreviewSlots
		for i, rd := range m.Readers {
			name := rd.FirstName
			if name == "" {
				name = "cardholder " + rd.Cardholder
			}
			href := "/v/" + v.ID
			if i > 0 {
				href += "?as=" + strconv.Itoa(i)
			}
			p.Readers = append(p.Readers, readerView{Href: href, Name: name, Cardholder: rd.Cardholder,
				Tier: rd.Tier, Relationship: rd.Relationship, Locale: rd.Locale, Subject: rd.Subject, Current: i == as})
			if i == as {
				p.Subject, p.Preheader, got = rd.Subject, rd.Preheader, rd.Slots
			}
		}
		if as > 0 && as >= len(m.Readers) {
			h.problem(w, http.StatusNotFound, "No reader of that number.")
			return
		}
		for _, c := range got {
			readerGot[c.Slot] = c.Block
		}
	}
	for _, part := range v.Parts() {
		if part.Slot == nil {
			p.Parts = append(p.Parts, partView{Block: part.Block, File: files[part.Block]})
			continue
		}
		s := &slotView{Name: part.Slot.Name, Unmatched: part.Slot.Unmatched, Reader: readerGot[part.Slot.Name]}
		for _, a := range part.Slot.Alternatives {
			s.Alternatives = append(s.Alternatives, alternativeView{Block: a.Block, File: files[a.Block], For: whom(a.Target),
				Recipients: a.Recipients, Reader: a.Block == s.Reader})
		}
		p.Parts = append(p.Parts, partView{Slot: s})
	}
	if b, err := h.readFile(variantFile(v.ID, sampleFile)); err != nil {
		p.Problems = append(p.Problems, err.Error())
	} else {
		p.Headers = readHeaders(b)
	}
	if b, err := h.readerPart(v.ID, as, false); err != nil {
		p.Problems = append(p.Problems, err.Error())
	} else {
		p.Text = string(b)
	}
	fit, err := h.fit()
	if err != nil {
		p.Problems = append(p.Problems, err.Error())
	}
	if f := fit.of(v.ID); f != nil {
		fv := &fitView{Checked: f.Checked, Misfit: f.Misfit, True: pct1(f.Checked-f.Misfit, f.Checked),
			Budget: percent(fit.Budget, 1)}
		for _, rule := range slices.Sorted(maps.Keys(f.Rules)) {
			fv.Rules = append(fv.Rules, ruleCount{Rule: rule, Count: f.Rules[rule]})
		}
		for _, ex := range fit.Examples {
			if ex.Variant == v.ID {
				fv.Examples = append(fv.Examples, ex)
			}
		}
		p.Fit = fv
	}
	if plan, err := h.plan(); err == nil {
		p.Previous, p.Next = neighbours(*plan.Newsletters(), v.ID)
		for _, o := range plan.Variants {
			if o.SameAs == v.ID {
				p.Also = append(p.Also, alsoView{ID: o.ID, Label: o.Label, Size: o.Size, Eligible: o.Eligible})
			}
		}
		p.Clusters = 1 + len(p.Also)
	}
	h.render(w, http.StatusOK, "variant", p)
}

// neighbours are the ids of the variants before and after id in the plan.
func neighbours(plan variants.Plan, id string) (prev, next string) {
	var ids []string
	for _, v := range plan.Variants {
		if validID(v.ID) {
			ids = append(ids, v.ID)
		}
	}
	i := slices.Index(ids, id)
	if i > 0 {
		prev = ids[i-1]
	}
	if i >= 0 && i+1 < len(ids) {
		next = ids[i+1]
	}
	return prev, next
}

// servePart serves a variant's HTML (with a policy that blocks every
// remote load) or its text part.
func (h *Handler) servePart(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, ok, err := h.variant(id)
	if err != nil {
		h.fileProblem(w, err)
		return
	}
	if !ok {
		h.problem(w, http.StatusNotFound, "The plan has no variant of that id.")
		return
	}
	as, ok := readerIndex(r)
	if !ok {
		h.problem(w, http.StatusNotFound, "No reader of that number.")
		return
	}
	html := strings.HasSuffix(r.URL.Path, "/html")
	ctype := "text/plain; charset=utf-8"
	if html {
		ctype = "text/html; charset=utf-8"
	}
	b, err := h.readerPart(v.ID, as, html)
	if err != nil {
		h.fileProblem(w, err)
		return
	}
	if html {
		w.Header().Set("Content-Security-Policy", newsletterPolicy)
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(b)
}

// whom says in words whom a target is for.
func whom(t variants.Target) string {
	var parts []string
	if len(t.Tiers) > 0 {
		parts = append(parts, "tier "+strings.Join(t.Tiers, ", "))
	}
	if len(t.Relationships) > 0 {
		parts = append(parts, "relationship "+strings.Join(t.Relationships, ", "))
	}
	if len(t.Locales) > 0 {
		parts = append(parts, "locale "+strings.Join(t.Locales, ", "))
	}
	for _, name := range slices.Sorted(maps.Keys(t.Attributes)) {
		parts = append(parts, name+" "+strings.Join(t.Attributes[name], ", "))
	}
	if len(parts) == 0 {
		return "everyone"
	}
	return strings.Join(parts, "; ")
}

// share is a share as a whole percentage, "" for none.
func share(x float64) string {
	if x == 0 {
		return ""
	}
	return percent(x, 0)
}

// percent is x as a percentage with digits decimals.
func percent(x float64, digits int) string { return fmt.Sprintf("%.*f%%", digits, 100*x) }

// rate is n / of, 1 when of is 0 (nothing checked, nothing untrue).
func rate(n, of int) float64 {
	if of == 0 {
		return 1
	}
	return float64(n) / float64(of)
}

// pct1 is n / of as a percentage with one decimal.
func pct1(n, of int) string { return percent(rate(n, of), 1) }
