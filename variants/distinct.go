package variants

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Signature returns what makes v the newsletter it is for any one reader:
// its blocks in reading order, its slots with their places, alternatives
// and whom each alternative is for, its subject choices, and its subject
// and preheader. The variant's id, cluster, label, figures and counts are
// left out. Two variants with the same signature send the same newsletter
// to the same reader, unless a block writes the variant's own facts
// (.Variant.Label, .Variant.Interests and the like), which the plan does
// not see.
func (v *Variant) Signature() string {
	type alt struct {
		Block string `json:"b"`
		Target
	}
	type slot struct {
		Name string `json:"n"`
		At   int    `json:"at"`
		Alts []alt  `json:"a"`
	}
	sig := struct {
		Blocks    []string        `json:"b"`
		Slots     []slot          `json:"s"`
		Subjects  []SubjectChoice `json:"c"`
		Subject   string          `json:"sub"`
		Preheader string          `json:"pre"`
	}{Blocks: v.Blocks, Subjects: v.Subjects, Subject: v.Subject, Preheader: v.Preheader}
	for _, s := range v.Slots {
		sl := slot{Name: s.Name, At: s.At}
		for _, a := range s.Alternatives {
			sl.Alts = append(sl.Alts, alt{Block: a.Block, Target: a.Target})
		}
		sig.Slots = append(sig.Slots, sl)
	}
	// Marshalling plain strings, slices and string maps cannot fail, and
	// encoding/json writes map keys sorted, so equal plans give equal text.
	b, _ := json.Marshal(sig)
	return string(b)
}

// Distinct groups the variants of p that make the same newsletter (the
// same Signature): each group holds the indexes of its variants in plan
// order, and the groups are in the order of their first variant. Its
// length is the number of distinct newsletters of the plan.
func (p *Plan) Distinct() [][]int {
	var groups [][]int
	at := map[string]int{}
	for i := range p.Variants {
		sig := p.Variants[i].Signature()
		g, ok := at[sig]
		if !ok {
			g = len(groups)
			at[sig] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// Largest returns the largest of groups (as Distinct returns them), the
// first of equal size; nil for none.
func Largest(groups [][]int) []int {
	var best []int
	for _, g := range groups {
		if len(g) > len(best) {
			best = g
		}
	}
	return slices.Clip(best)
}

// Share makes the variants of p that make the same newsletter (Distinct)
// share one: every variant of a group but the first gets the first's id
// as its SameAs, and the first lists them in Also. It returns the number
// of distinct newsletters. Share is for a template set whose files read
// nothing of a variant's own cluster (its label, interests, tier or
// relationship): there, the same plan writes the same newsletter.
func (p *Plan) Share() int {
	for i := range p.Variants {
		p.Variants[i].SameAs, p.Variants[i].Also = "", nil
	}
	groups := p.Distinct()
	for _, g := range groups {
		first := &p.Variants[g[0]]
		for _, i := range g[1:] {
			p.Variants[i].SameAs = first.ID
			first.Also = append(first.Also, p.Variants[i].ID)
		}
	}
	return len(groups)
}

// NewsletterOf returns, by variant id, the id of the variant whose
// newsletter the variant's cluster reads: its SameAs, else its own id.
func (p *Plan) NewsletterOf() map[string]string {
	out := make(map[string]string, len(p.Variants))
	for _, v := range p.Variants {
		out[v.ID] = v.ID
		if v.SameAs != "" {
			out[v.ID] = v.SameAs
		}
	}
	return out
}

// Newsletters returns the newsletters of p: its variants that stand for
// no other (SameAs empty), in plan order, each with the audience of every
// variant that shares it (Size and Eligible, each slot's Unmatched and
// each alternative's Recipients summed over them) and the other
// clusters' interests in AlsoInterests. A plan whose variants share none
// is returned as it is.
func (p *Plan) Newsletters() *Plan {
	if !slices.ContainsFunc(p.Variants, func(v Variant) bool { return v.SameAs != "" }) {
		return p
	}
	out := &Plan{Variants: make([]Variant, 0, len(p.Variants))}
	at := map[string]int{}
	for _, v := range p.Variants {
		if v.SameAs == "" {
			at[v.ID] = len(out.Variants)
			v.Slots = slices.Clone(v.Slots)
			for i := range v.Slots {
				v.Slots[i].Alternatives = slices.Clone(v.Slots[i].Alternatives)
			}
			out.Variants = append(out.Variants, v)
		}
	}
	for _, v := range p.Variants {
		i, ok := at[v.SameAs]
		if v.SameAs == "" || !ok {
			continue
		}
		n := &out.Variants[i]
		for _, in := range v.Interests {
			has := func(o Interest) bool { return o.ID == in.ID }
			if !slices.ContainsFunc(n.Interests, has) && !slices.ContainsFunc(n.AlsoInterests, has) {
				n.AlsoInterests = append(n.AlsoInterests, in)
			}
		}
		n.Size += v.Size
		n.Eligible += v.Eligible
		// The same newsletter has the same slots and alternatives.
		for s := range min(len(n.Slots), len(v.Slots)) {
			n.Slots[s].Unmatched += v.Slots[s].Unmatched
			for a := range min(len(n.Slots[s].Alternatives), len(v.Slots[s].Alternatives)) {
				n.Slots[s].Alternatives[a].Recipients += v.Slots[s].Alternatives[a].Recipients
			}
		}
	}
	return out
}

// CheckShared reports the first variant of p whose SameAs names no
// variant of p, or one that itself stands for another: a plan read back
// from a file that was edited or cut.
func (p *Plan) CheckShared() error {
	own := make(map[string]bool, len(p.Variants))
	for _, v := range p.Variants {
		own[v.ID] = v.SameAs == ""
	}
	for _, v := range p.Variants {
		if v.SameAs == "" {
			continue
		}
		ok, known := own[v.SameAs]
		switch {
		case !known:
			return fmt.Errorf("variant %s: same_as %q: the plan has no such variant", v.ID, v.SameAs)
		case !ok:
			return fmt.Errorf("variant %s: same_as %q: that variant is itself the same as another", v.ID, v.SameAs)
		}
	}
	return nil
}
