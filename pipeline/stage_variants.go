package pipeline

import (
	"fmt"

	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/variants"
)

// planned is the variants stage's outcome.
type planned struct {
	Variants int `count:"variants"`
	// OnDefaultBlocks, WithTierBlock and WithRetentionBlock count the
	// variants with a block of each slot besides their interests.
	OnDefaultBlocks    int `count:"variants_on_default_blocks"`
	WithTierBlock      int `count:"variants_with_tier_block"`
	WithRetentionBlock int `count:"variants_with_retention_block"`

	plan *variants.Plan
}

func (planned) outputs() []string { return []string{rundir.PlanFile} }

// plan plans one variant per cluster from the template set's blocks and
// writes variants.json.
func (r *run) plan(cf *segment.File) (planned, error) {
	var out planned
	clusters := make([]variants.Cluster, len(cf.Clusters))
	for i, c := range cf.Clusters {
		clusters[i] = c.Cluster
	}
	// What the blocks target is checked against the campaign here, with
	// each problem's file and line; Build checks it again on the plan.
	voc := r.vocabulary()
	if err := r.set.Validate(voc); err != nil {
		return out, fmt.Errorf("templates:\n%w", err)
	}
	plan, err := variants.Build(clusters, r.set.Meta(), variants.Options{Vocabulary: voc})
	if err != nil {
		return out, err
	}
	if err := rundir.WriteJSON(r.file(rundir.PlanFile), plan); err != nil {
		return out, err
	}
	out.plan, out.Variants = &plan, len(plan.Variants)
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
	return out, nil
}
