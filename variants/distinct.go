package variants

import (
	"encoding/json"
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
