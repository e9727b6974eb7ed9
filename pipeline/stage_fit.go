package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/tailor-mail/tailor/pipeline/fit"
	"github.com/tailor-mail/tailor/pipeline/internal/workers"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// fitExamples is how many examples of each rule fit.json keeps.
const fitExamples = 20

// fitted is the fit stage's outcome.
type fitted struct {
	// Checked counts the messages audited: one per mailable cardholder;
	// Misfit those that say something untrue for their reader.
	Checked int `count:"checked"`
	Misfit  int `count:"misfit"`
}

func (fitted) outputs() []string { return []string{rundir.FitFile} }

// FitReport is fit.json: how many messages of each variant say something
// untrue for their reader, by rule, with examples.
type FitReport struct {
	Checked int `json:"checked"`
	// Misfit counts the messages with at least one misfit; Rate is
	// Misfit / Checked, and Budget the rate above which the run fails.
	Misfit int     `json:"misfit"`
	Rate   float64 `json:"rate"`
	Budget float64 `json:"budget"`
	// Rules counts the misfits of each rule (fit.Rules), over every
	// message.
	Rules    map[string]int `json:"rules"`
	Variants []FitVariant   `json:"variants"`
	// Examples are the first misfits of each rule, in input order.
	Examples []FitExample `json:"examples"`
}

// FitVariant is the audit of one variant's messages.
type FitVariant struct {
	Variant string         `json:"variant"`
	Checked int            `json:"checked"`
	Misfit  int            `json:"misfit"`
	Rules   map[string]int `json:"rules"`
}

// FitExample is one misfit: who, which rule, what they read.
type FitExample struct {
	Cardholder string `json:"cardholder"`
	Variant    string `json:"variant"`
	Rule       string `json:"rule"`
	Detail     string `json:"detail"`
}

// fitChecker returns the audit's checker for the run's template set and
// taxonomy.
func (r *run) fitChecker() *fit.Checker {
	var interests []fit.Interest
	for i, in := range r.tax.Interests() {
		if i != r.tax.Other() {
			interests = append(interests, fit.Interest{ID: in.ID, Name: in.Name})
		}
	}
	return fit.New(r.set.Meta(), interests)
}

// fitAudit personalizes every mailable cardholder's message and checks it
// against their own data (package fit), then writes fit.json. A share of
// misfit messages over the campaign's [fit] budget fails the run once
// every stage is done (checkFit).
func (r *run) fitAudit(ctx context.Context, ns []*render.Newsletter, ml *mailing) (fitted, error) {
	variantAt := make(map[string]int, len(ns))
	for i, n := range ns {
		variantAt[n.Variant.ID] = i
	}
	checker := r.fitChecker()
	// A message's subject comes from one of its variant's blocks.
	subjectBlocks := make([][]string, len(ns))
	for i, n := range ns {
		ids := slices.Clone(n.Variant.Blocks)
		for _, c := range n.Variant.Subjects {
			ids = append(ids, c.Block)
		}
		subjectBlocks[i] = ids
	}
	rep := FitReport{Budget: r.fitBudget(), Rules: map[string]int{}, Variants: make([]FitVariant, len(ns))}
	for i, n := range ns {
		rep.Variants[i] = FitVariant{Variant: n.Variant.ID, Rules: map[string]int{}}
	}
	// Each message's misfits, by its place in the list, so that the
	// examples come in input order whatever the workers' order, and
	// whether it was read: the counts are made once every message is.
	found := make([][]fit.Misfit, len(ml.list))
	read := make([]bool, len(ml.list))
	order, at, err := byNewsletter(ml.list, variantAt)
	if err != nil {
		return fitted{}, err
	}
	progress := r.meter("fit", "messages", int64(len(ml.list)))
	defer progress.close()
	// Each message is read once: the room of its recipient's merge
	// fields and of its parts is used again, and each worker remembers
	// the sentences it has read, as a newsletter's messages share most of
	// theirs. A million messages then leave next to no garbage. A worker
	// takes fitBatch messages at a time, one after the other in the
	// order of the plan: the two workers do not take turns at the
	// messages of one newsletter.
	type auditRoom struct {
		recipient recipientRoom
		message   render.Message
		memory    fit.Memory
		// touched keeps what the batch's profiles gave Touch.
		touched int
	}
	rooms := sync.Pool{New: func() any { return new(auditRoom) }}
	batches := (len(order) + fitBatch - 1) / fitBatch
	err = workers.Each(ctx, batches, func(b int) error {
		room := rooms.Get().(*auditRoom)
		defer rooms.Put(room)
		batch := order[b*fitBatch : min(len(order), (b+1)*fitBatch)]
		defer progress.Add(int64(len(batch)))
		// The batch's profiles lie anywhere in memory (the messages go
		// newsletter by newsletter): touched all together first, their
		// cache misses overlap.
		for _, i := range batch {
			room.touched += ml.list[i].profile.Touch()
		}
		for _, i := range batch {
			m := ml.list[i]
			n := ns[at[i]]
			rc := r.recipientIn(&room.recipient, m.profile)
			// The audit reads only the block rows of the HTML part: the
			// newsletter lists them without writing it, where it can.
			msg, rows, err := n.AuditInto(&room.message, rc, fitUnsubscribe)
			if err != nil {
				// The outbox refuses and lists what cannot be written.
				continue
			}
			found[i] = checker.CheckWith(&room.memory, fit.Reader{ID: rc.ID, Tier: rc.Tier, Relationship: rc.Relationship, Locale: rc.Locale, Attrs: rc.Attrs, Spending: rc.Spending},
				fit.Message{Subject: msg.Subject, HTML: msg.HTML, Rows: rows, Text: msg.Text, Blocks: subjectBlocks[at[i]]})
			read[i] = true
		}
		return nil
	})
	if err != nil {
		return fitted{}, err
	}
	for i, misfits := range found {
		if !read[i] {
			continue
		}
		v := &rep.Variants[at[i]]
		v.Checked++
		rep.Checked++
		if len(misfits) > 0 {
			v.Misfit++
			rep.Misfit++
		}
		for _, f := range misfits {
			v.Rules[f.Rule]++
			rep.Rules[f.Rule]++
		}
	}
	shown := map[string]int{}
	for i, misfits := range found {
		for _, f := range misfits {
			if shown[f.Rule] < fitExamples {
				shown[f.Rule]++
				rep.Examples = append(rep.Examples, FitExample{Cardholder: ml.list[i].profile.ID, Variant: ml.list[i].variant, Rule: f.Rule, Detail: f.Detail})
			}
		}
	}
	slices.SortStableFunc(rep.Examples, func(a, b FitExample) int {
		return slices.Index(fit.Rules(), a.Rule) - slices.Index(fit.Rules(), b.Rule)
	})
	if rep.Checked > 0 {
		rep.Rate = float64(rep.Misfit) / float64(rep.Checked)
	}
	if err := rundir.WriteJSON(r.file(rundir.FitFile), rep); err != nil {
		return fitted{}, err
	}
	return fitted{Checked: rep.Checked, Misfit: rep.Misfit}, nil
}

// fitBatch is how many messages an audit worker takes at a time.
const fitBatch = 64

// byNewsletter returns the indexes of list grouped by newsletter, in the
// order of the plan and, within one, in list order: the audit personalizes
// each newsletter's messages one after the other, while its programs are
// in the processor's caches. A million messages taken in list order, each
// from another of 1,349 newsletters, spend most of their time waiting on
// memory. at is the newsletter of each message, its index in the plan.
func byNewsletter(list []mailable, variantAt map[string]int) (order []int, at []int32, err error) {
	at = make([]int32, len(list))
	start := make([]int, len(variantAt)+1)
	for i, m := range list {
		v, ok := variantAt[m.variant]
		if !ok {
			return nil, nil, fmt.Errorf("fit: cardholder %s: variant %s is not in the plan", m.profile.ID, m.variant)
		}
		at[i] = int32(v)
		start[v+1]++
	}
	for v := 1; v < len(start); v++ {
		start[v] += start[v-1]
	}
	order = make([]int, len(list))
	for i, v := range at {
		order[start[v]] = i
		start[v]++
	}
	return order, at, nil
}

// ErrFit is wrapped by the error of a run whose messages say something
// untrue for more of their readers than the campaign's [fit] budget
// allows. The run's outputs are all written, for the marketer to see why.
var ErrFit = errors.New("too many messages are not true for their reader")

// checkFit fails a run whose fit audit found more misfit messages than
// the budget allows.
func (r *run) checkFit(f fitted) error {
	if f.Checked == 0 {
		return nil
	}
	rate, budget := float64(f.Misfit)/float64(f.Checked), r.fitBudget()
	if rate <= budget {
		return nil
	}
	return fmt.Errorf("%w: %d of %d messages (%.1f%%) say something untrue for their reader, over the budget of %.1f%% ([fit] budget); see %s and the workbook's Fit sheet",
		ErrFit, f.Misfit, f.Checked, 100*rate, 100*budget, r.file(rundir.FitFile))
}

// fitUnsubscribe is the unsubscribe link of the audited messages, which
// no rule reads.
const fitUnsubscribe = "https://unsubscribe.invalid/fit"

// fitBudget is the share of misfit messages a run may have.
func (r *run) fitBudget() float64 {
	if b := r.c.Fit.Budget; b != nil {
		return *b
	}
	return DefaultFitBudget
}
