package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/tailor-mail/tailor/pipeline/internal/workers"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/pipeline/suppress"
	"github.com/tailor-mail/tailor/variants"
)

// mailing is who may be mailed: the cardholders whose mail status lets them
// get the newsletter, who have a variant and are not on the suppression
// list, in input order (list), and by variant, the most representative
// first (byVariant: see byCentre).
type mailing struct {
	list      []mailable
	byVariant map[string][]*profile.Profile
}

// mailable is a cardholder who may be mailed, and their variant's id.
type mailable struct {
	profile *profile.Profile
	variant string
}

// newMailing lists who may be mailed of ps, each with the newsletter
// their variant (assigned) reads: newsletterOf maps a variant id to it,
// and an id it does not hold is kept as it is.
func newMailing(ps []profile.Profile, assigned assignment, newsletterOf map[string]string, list *suppress.List) *mailing {
	ml := &mailing{list: make([]mailable, 0, len(ps))}
	// Each variant's members are counted first (group is the index of a
	// mailable's variant in counts), so that each list is allocated once.
	index := map[string]int32{}
	var counts []int
	group := make([]int32, 0, len(ps))
	for i := range ps {
		p := &ps[i]
		if p.Status() != profile.StatusMail {
			continue
		}
		if on, _ := list.Has(p.ID, p.Email); on {
			continue
		}
		if v := assigned[i]; v != "" {
			if n, ok := newsletterOf[v]; ok {
				v = n
			}
			g, ok := index[v]
			if !ok {
				g = int32(len(counts))
				index[v] = g
				counts = append(counts, 0)
			}
			counts[g]++
			ml.list = append(ml.list, mailable{p, v})
			group = append(group, g)
		}
	}
	groups := make([][]*profile.Profile, len(counts))
	for g, n := range counts {
		groups[g] = make([]*profile.Profile, 0, n)
	}
	for j, m := range ml.list {
		groups[group[j]] = append(groups[group[j]], m.profile)
	}
	ml.byVariant = make(map[string][]*profile.Profile, len(index))
	for v, g := range index {
		ml.byVariant[v] = groups[g]
	}
	// Each variant's members are ordered on their own: on every core.
	workers.Each(context.Background(), len(groups), func(i int) error {
		byCentre(groups[i])
		return nil
	})
	return ml
}

// centred is a member of a variant and d, their distance from its centre
// (byCentre); j, their place in input order, breaks ties, so that the
// order is a stable sort's.
type centred struct {
	p *profile.Profile
	d float64
	j int
}

// centreRooms hold byCentre's lists, for the next variant's.
var centreRooms = sync.Pool{New: func() any { return new([]centred) }}

// byCentre orders a variant's mailable cardholders the most representative
// first: by the distance of their share of wallet per interest from the
// mean of theirs, ties in input order. The variant's previews, its sample
// message and the outbox's samples are written for the first ones, so
// that what marketers read is what a typical member of the group reads.
func byCentre(ps []*profile.Profile) {
	n := 0
	for _, p := range ps {
		n = max(n, len(p.Shares))
	}
	if n == 0 || len(ps) < 2 {
		return
	}
	mean := make([]float64, n)
	for _, p := range ps {
		for i, v := range p.Shares {
			mean[i] += v
		}
	}
	for i := range mean {
		mean[i] /= float64(len(ps))
	}
	room := centreRooms.Get().(*[]centred)
	defer centreRooms.Put(room)
	ms := slices.Grow((*room)[:0], len(ps))[:len(ps)]
	*room = ms
	for j, p := range ps {
		d := 0.0
		for i, m := range mean {
			v := 0.0
			if i < len(p.Shares) {
				v = p.Shares[i]
			}
			d += (v - m) * (v - m)
		}
		ms[j] = centred{p, d, j}
	}
	slices.SortFunc(ms, func(a, b centred) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.j, b.j)
	})
	for j := range ms {
		ps[j] = ms[j].p
	}
}

// recipient is one message of the outbox: a cardholder and the index of
// their variant in the plan.
type recipient struct {
	profile *profile.Profile
	variant int
}

// outboxRecipients lists who gets a message in the outbox: every mailable
// cardholder ("all") or the first few of each variant ("samples"), in
// variant order, then input order.
func (r *run) outboxRecipients(plan *variants.Plan, ml *mailing) ([]recipient, error) {
	if r.outboxMode == OutboxNone {
		return nil, nil
	}
	index := map[string]int{}
	for i, v := range plan.Variants {
		index[v.ID] = i
	}
	for _, m := range ml.list {
		if _, ok := index[m.variant]; !ok {
			return nil, fmt.Errorf("%s: cardholder %s: unknown variant %q", rundir.AssignmentsFile, m.profile.ID, m.variant)
		}
	}
	var out []recipient
	for i, v := range plan.Variants {
		ps := ml.byVariant[v.ID]
		if r.outboxMode == OutboxSamples {
			ps = ps[:min(len(ps), r.c.Mail.Samples)]
		}
		for _, p := range ps {
			out = append(out, recipient{profile: p, variant: i})
		}
	}
	return out, nil
}

// recipientOf returns a cardholder's merge fields.
func (r *run) recipientOf(p *profile.Profile) render.Recipient {
	return render.Recipient{ID: p.ID, FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, Tier: p.Tier,
		Locale: p.Locale, Relationship: string(p.Relationship), FavouriteMerchant: p.FavouriteMerchant,
		TopMerchants: p.TopMerchants.Map(), Attrs: p.Attrs, Spending: spending(r.interestIDs(), p.Shares, r.tax.Other())}
}

// recipientRoom holds the map and lists of one recipient's merge fields
// for a loop that reads each recipient once, as the audit does: the next
// recipient uses them again instead of a million recipients each
// allocating their own.
type recipientRoom struct {
	top      map[string]string
	spending []string
	order    []int
}

// recipientIn is recipientOf with the recipient's map and list in room:
// they hold until the next call with room.
func (r *run) recipientIn(room *recipientRoom, p *profile.Profile) render.Recipient {
	var top map[string]string
	if p.TopMerchants.Len() > 0 {
		if room.top == nil {
			room.top = make(map[string]string, p.TopMerchants.Len())
		}
		clear(room.top)
		for interest, merchant := range p.TopMerchants.All() {
			room.top[interest] = merchant
		}
		top = room.top
	}
	room.order = spendingOrder(room.order[:0], p.Shares, r.tax.Other())
	var sp []string
	if len(room.order) > 0 {
		ids := r.interestIDs()
		room.spending = room.spending[:0]
		for _, k := range room.order {
			room.spending = append(room.spending, ids[k])
		}
		sp = room.spending
	}
	return render.Recipient{ID: p.ID, FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, Tier: p.Tier,
		Locale: p.Locale, Relationship: string(p.Relationship), FavouriteMerchant: p.FavouriteMerchant,
		TopMerchants: top, Attrs: p.Attrs, Spending: sp}
}

// interestIDs returns the taxonomy's interest ids, in its order.
func (r *run) interestIDs() []string {
	r.idsOnce.Do(func() {
		for _, in := range r.tax.Interests() {
			r.ids = append(r.ids, in.ID)
		}
	})
	return r.ids
}

// spending returns the ids of the interests of shares (in the order of
// ids) with spend, the largest share first, ties in taxonomy order; the
// catch-all "other", at index other, is no interest to name.
func spending(ids []string, shares []float64, other int) []string {
	idx := spendingIndexes(shares, other)
	if len(idx) == 0 {
		return nil
	}
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = ids[k]
	}
	return out
}

// spendingIndexes is spending as indexes into the taxonomy.
func spendingIndexes(shares []float64, other int) []int {
	return spendingOrder(nil, shares, other)
}

// spendingOrder is spendingIndexes in the room of idx, whose contents it
// drops. Each index is put in place as it comes, after those with a
// share at least as large: a stable sort of the few interests a
// cardholder spends on, for each of a million messages.
func spendingOrder(idx []int, shares []float64, other int) []int {
	idx = idx[:0]
	for k, v := range shares {
		if !(v > 0) || k == other {
			continue
		}
		i := len(idx)
		idx = append(idx, k)
		for ; i > 0 && shares[idx[i-1]] < v; i-- {
			idx[i] = idx[i-1]
		}
		idx[i] = k
	}
	return idx
}

// composer returns the run's message composer: the sender, the Date, the
// campaign month, and the key that signs unsubscribe links.
func (r *run) composer() *send.Composer {
	return &send.Composer{
		Envelope: send.Envelope{Sender: r.sender(), Date: r.mailDate(), Campaign: r.c.Name, Month: r.sendMonth(),
			UserAgent: "tailor " + r.cfg.Version, UnsubscribeMailto: r.c.Sender.UnsubscribeMailto,
			ListID: r.c.Mail.ListID, FeedbackSender: r.c.Mail.FeedbackID},
		UnsubscribeURL: r.c.Sender.UnsubscribeURL,
		Secret:         r.signingSecret(),
	}
}

// signingSecret returns the key that signs unsubscribe links: the secret
// from the environment or, without one, a key derived from the campaign
// name, of which the render and outbox stages warn. Neither is ever logged
// or written: stage keys hold only secretFingerprint.
func (r *run) signingSecret() string {
	if r.secret != "" {
		return r.secret
	}
	return "tailor-unsigned:" + r.c.Name
}
