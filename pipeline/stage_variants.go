package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tailor-mail/tailor/pipeline/internal/workers"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/variants"
)

// planned is the variants stage's outcome.
type planned struct {
	Variants int `count:"variants"`
	// Distinct counts the newsletters the variants make; nil read back
	// from a manifest written before it was counted.
	Distinct *distinctCount
	// OnDefaultBlocks, WithTierBlock and WithRetentionBlock count the
	// variants with a block of each slot besides their interests.
	OnDefaultBlocks    int `count:"variants_on_default_blocks"`
	WithTierBlock      int `count:"variants_with_tier_block"`
	WithRetentionBlock int `count:"variants_with_retention_block"`

	plan *variants.Plan
}

// distinctCount is the number of distinct newsletters of a plan: the
// variants that make the same one (variants.Plan.Distinct) count once.
type distinctCount struct {
	Newsletters int `count:"distinct_newsletters"`
}

func (planned) outputs() []string { return []string{rundir.PlanFile} }

// distinct is the number of distinct newsletters, 0 when not counted.
func (p planned) distinct() int {
	if p.Distinct == nil {
		return 0
	}
	return p.Distinct.Newsletters
}

// plan plans one variant per cluster from the template set's blocks and
// writes variants.json. ps and assigned (the variant of each profile)
// count the recipients of each alternative of the variants' slots.
func (r *run) plan(cf *segment.File, ps []profile.Profile, assigned assignment) (planned, error) {
	var out planned
	clusters := make([]variants.Cluster, len(cf.Clusters))
	for i, c := range cf.Clusters {
		clusters[i] = c.Cluster
	}
	blocks := r.set.Meta()
	kindsOf(clusters, blocks, ps, assigned)
	// What the blocks target is checked against the campaign here, with
	// each problem's file and line; Build checks it again on the plan.
	voc := r.vocabulary()
	// Every attribute a block names is checked, even with none to name.
	voc.Attributes = append([]string{}, profile.AttrNames(ps)...)
	if err := r.set.Validate(voc); err != nil {
		return out, fmt.Errorf("templates:\n%w", err)
	}
	plan, err := variants.Build(clusters, blocks, variants.Options{Vocabulary: voc})
	if err != nil {
		return out, err
	}
	// Clusters whose plans are the same share one newsletter, unless the
	// templates write what each knows of its own cluster: then each
	// variant's text is its own.
	distinct := len(plan.Variants)
	if len(r.set.ClusterReads()) == 0 {
		distinct = plan.Share()
	}
	if err := rundir.WriteJSON(r.file(rundir.PlanFile), plan); err != nil {
		return out, err
	}
	out.plan, out.Variants = &plan, len(plan.Variants)
	out.Distinct = &distinctCount{Newsletters: distinct}

	for _, v := range plan.Variants {
		slots := map[string]bool{}
		for _, id := range v.Blocks {
			if b, ok := r.set.Block(id); ok {
				slots[b.Slot()] = true
				if b.Default {
					slots[variants.SlotDefault] = true
				}
			}
		}
		for _, s := range v.Slots {
			slots[s.Name] = true
		}
		for s, n := range map[string]*int{variants.SlotDefault: &out.OnDefaultBlocks, variants.SlotTier: &out.WithTierBlock,
			variants.SlotRetention: &out.WithRetentionBlock} {
			if slots[s] {
				*n++
			}
		}
	}
	if n := len(plan.Variants); n > 1 && out.OnDefaultBlocks == n && sameBlocks(plan) {
		r.event(Event{Stage: "variants", State: EventWarn, Message: fmt.Sprintf("all %d variants have the same blocks, the default ones: no cluster's interests earn a block of its own; give the template set blocks for the clusters' interests or, with pre-aggregated profiles, name columns after interests (dining, share_dining: see pipeline/CAMPAIGN.md)", n)})
	}
	return out, nil
}

// kindsOf fills each cluster's Kinds: its eligible members (those whose
// mail status lets them get the newsletter) by what chooses their
// alternatives, with the attributes the blocks name.
func kindsOf(clusters []variants.Cluster, blocks []variants.Block, ps []profile.Profile, assigned assignment) {
	var names []string
	for _, b := range blocks {
		for a := range b.Attributes {
			if !slices.Contains(names, a) {
				names = append(names, a)
			}
		}
	}
	slices.Sort(names)
	// The clusters' variants, each id once, and each eligible member's.
	groups := map[string]int32{}
	group := make([]int32, len(clusters))
	for i := range clusters {
		id := clusters[i].Variant
		if id == "" {
			id = variants.ID(i)
		}
		g, ok := groups[id]
		if !ok {
			g = int32(len(groups))
			groups[id] = g
		}
		group[i] = g
	}
	at := make([]int32, len(ps))
	start := make([]int, len(groups)+1)
	for i := range ps {
		at[i] = -1
		if ps[i].Status() == profile.StatusMail {
			if g, ok := groups[assigned[i]]; ok {
				at[i] = g
				start[g+1]++
			}
		}
	}
	for g := range len(groups) {
		start[g+1] += start[g]
	}
	// The members' fields, read in the profiles' order and laid out by
	// variant: read cluster by cluster, each member was a cache miss or
	// two (0.7 s of processor time at a million cardholders).
	members := make([]variants.Member, start[len(groups)])
	next := slices.Clone(start[:len(groups)])
	for i := range ps {
		if g := at[i]; g >= 0 {
			p := &ps[i]
			members[next[g]] = variants.Member{Tier: p.Tier, Relationship: string(p.Relationship), Locale: p.Locale, Attrs: p.Attrs}
			next[g]++
		}
	}
	// The clusters are counted on every core, each into its own Kinds.
	_ = workers.Each(context.Background(), len(clusters), func(i int) error {
		g := group[i]
		clusters[i].Kinds = variants.Count(slices.Values(members[start[g]:start[g+1]]), names)
		return nil
	})
}

// sameBlocks reports whether every variant of plan has the same blocks and
// slots: nothing tailors it.
func sameBlocks(plan variants.Plan) bool {
	key := func(v *variants.Variant) string {
		k := strings.Join(v.Blocks, ",")
		for _, s := range v.Slots {
			for _, a := range s.Alternatives {
				k += "|" + a.Block
			}
		}
		return k
	}
	for i := 1; i < len(plan.Variants); i++ {
		if key(&plan.Variants[i]) != key(&plan.Variants[0]) {
			return false
		}
	}
	return true
}
