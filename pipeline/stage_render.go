package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"

	"github.com/tailor-mail/tailor/pipeline/internal/workers"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/variants"
)

// rendered is the render stage's outcome.
type rendered struct {
	Variants int `count:"variants"`
	// SamplesToCardholders and SamplesToPreview count the sample messages
	// addressed to a real cardholder and to the preview recipient.
	SamplesToCardholders int `count:"samples_to_cardholders"`
	SamplesToPreview     int `count:"samples_to_preview_recipient"`

	newsletters []*render.Newsletter
}

func (rendered) outputs() []string { return []string{rundir.VariantsDir} }

// slotChoice is the block a slot took for one recipient.
type slotChoice struct {
	Slot  string `json:"slot"`
	Block string `json:"block"`
}

// slotChoices returns the blocks v's slots take for a recipient.
func slotChoices(v variants.Variant, rc render.Recipient) []slotChoice {
	var out []slotChoice
	for _, s := range v.Slots {
		c := slotChoice{Slot: s.Name}
		if i := s.Choose(rc.Member()); i >= 0 {
			c.Block = s.Alternatives[i].Block
		}
		out = append(out, c)
	}
	return out
}

// variantMeta is variants/<id>/meta.json: the variant's facts, in a fixed
// field order, with its lists in their own order (interests by lift,
// blocks in reading order), so that the same run writes the same bytes.
type variantMeta struct {
	variants.Variant
	// Tier and Relationship are the cluster's majorities (written even
	// when empty: no tier holds a majority), with the share of members
	// who hold them.
	Tier              string  `json:"tier"`
	TierShare         float64 `json:"tier_share"`
	Relationship      string  `json:"relationship"`
	RelationshipShare float64 `json:"relationship_share"`
	Campaign          string  `json:"campaign"`
	Month             string  `json:"month"`
	// SampleSubject and SamplePreheader are the subject and preheader as
	// the previews' reader (the sample's recipient) sees them, in
	// index.html and index.txt.
	SampleSubject   string `json:"sample_subject"`
	SamplePreheader string `json:"sample_preheader"`
	// PreviewSlots says which block each slot took for the previews'
	// reader, "" for none.
	PreviewSlots []slotChoice `json:"preview_slots,omitempty"`
	// Sample says to whom sample.eml is addressed.
	Sample send.Sample `json:"sample"`
}

// render writes variants/<id>/{index.html,index.txt,meta.json,sample.eml}
// for every compiled variant: the pages for the previews' sample
// recipient, and the sample message for the variant's first mailable
// cardholder (ml).
func (r *run) render(ctx context.Context, ns []*render.Newsletter, cf *segment.File, ml *mailing) (rendered, error) {
	out := rendered{newsletters: ns, Variants: len(ns)}
	sampler := &send.Sampler{Composer: r.composer(), Candidates: func(variant string) iter.Seq[render.Recipient] {
		return func(yield func(render.Recipient) bool) {
			for _, p := range ml.byVariant[variant] {
				if !yield(r.recipientOf(p)) {
					return
				}
			}
		}
	}}
	clusters := make(map[int]*segment.Cluster, len(cf.Clusters))
	for i := range cf.Clusters {
		clusters[cf.Clusters[i].ID] = &cf.Clusters[i]
	}
	swap, err := rundir.NewSwap(r.file(rundir.VariantsDir))
	if err != nil {
		return out, err
	}
	defer swap.Abort()
	// Each variant's files are independent: a bounded pool of workers
	// writes them.
	err = workers.Each(ctx, len(ns), func(i int) error {
		n := ns[i]
		msg, sample, err := sampler.Sample(n)
		if err != nil {
			return err
		}
		// The previews are the sample's recipient's message: a real,
		// mailable member near the group's centre (byCentre), or Alex
		// Sample for a variant with none.
		reader := render.SampleRecipient()
		if !sample.Preview {
			for _, p := range ml.byVariant[n.Variant.ID] {
				if p.ID == sample.Recipient {
					reader = r.recipientOf(p)
					break
				}
			}
		}
		m, err := n.Personalize(reader, "https://unsubscribe.invalid/preview")
		if err != nil {
			return err
		}
		id := n.Variant.ID
		c, ok := clusters[n.Variant.Cluster]
		if !ok {
			return fmt.Errorf("variant %s: cluster %d is not in %s", id, n.Variant.Cluster, rundir.ClustersFile)
		}
		meta := variantMeta{Variant: n.Variant, Tier: n.Variant.Tier, TierShare: c.TierShare,
			Relationship: n.Variant.Relationship, RelationshipShare: c.RelationshipShare,
			Campaign: r.c.Name, Month: r.monthName(), SampleSubject: m.Subject, SamplePreheader: m.Preheader,
			PreviewSlots: slotChoices(n.Variant, reader), Sample: sample}
		for _, f := range []struct {
			name string
			data []byte
		}{{"index.html", m.HTML}, {"index.txt", m.Text}, {send.SampleFile, msg.EML}} {
			if err := swap.WriteFile(id+"/"+f.name, f.data); err != nil {
				return err
			}
		}
		return swap.Create(id+"/meta.json", func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(meta)
		})
	})
	if err != nil {
		return out, err
	}
	if err := swap.Commit(); err != nil {
		return out, err
	}
	out.SamplesToCardholders, out.SamplesToPreview = sampler.Counts()
	if r.secret == "" && out.SamplesToCardholders > 0 {
		r.event(Event{Stage: "render", State: EventWarn, Message: r.c.Sender.UnsubscribeSecretEnv + " is not set: the samples' unsubscribe links are signed with a key anyone can derive; the next run with it set renders them again"})
	}
	return out, nil
}
