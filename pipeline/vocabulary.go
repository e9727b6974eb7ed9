package pipeline

import (
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/variants"
)

// DefaultTiers returns the card tiers content blocks may target when a
// campaign lists none in inputs.tiers: those of the example campaigns.
func DefaultTiers() []string { return []string{"green", "gold", "platinum"} }

// DefaultVocabulary returns what content blocks may target without a
// campaign: the interests of the default taxonomy, DefaultTiers and every
// relationship type. A campaign's inputs.tiers replace DefaultTiers.
func DefaultVocabulary() (variants.Vocabulary, error) {
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		return variants.Vocabulary{}, err
	}
	return vocabularyOf(tax, nil), nil
}

// vocabulary is what the run's content blocks may target: the interests
// of its taxonomy, the campaign's tiers (DefaultTiers when it lists none)
// and every relationship type.
func (r *run) vocabulary() variants.Vocabulary {
	return vocabularyOf(r.tax, r.c.Inputs.Tiers)
}

func vocabularyOf(tax *profile.Taxonomy, tiers []string) variants.Vocabulary {
	var voc variants.Vocabulary
	for _, in := range tax.Interests() {
		voc.Interests = append(voc.Interests, in.ID)
	}
	voc.Tiers = append(voc.Tiers, tiers...)
	if len(voc.Tiers) == 0 {
		voc.Tiers = DefaultTiers()
	}
	for _, rel := range profile.Relationships() {
		voc.Relationships = append(voc.Relationships, string(rel))
	}
	return voc
}
