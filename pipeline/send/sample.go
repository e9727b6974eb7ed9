package send

import (
	"errors"
	"fmt"
	"iter"
	"sync/atomic"

	"github.com/tailor-mail/tailor/pipeline/render"
)

// SampleFile is the name of each variant's sample message, in its
// directory.
const SampleFile = "sample.eml"

// Sample is the "sample" of a variant's meta.json: to whom the variant's
// sample message is addressed.
type Sample struct {
	// File is the message's file in the variant's directory.
	File string `json:"file"`
	// Recipient is the id of the cardholder the message is addressed to,
	// or that of render.SampleRecipient when Preview is set.
	Recipient string `json:"recipient"`
	// Preview says the variant has no mailable cardholder whose data makes
	// a safe message: the message is addressed to the previews' sample
	// recipient, Alex Sample.
	Preview bool `json:"preview"`
	// Skipped counts the mailable cardholders passed over because the
	// outbox refuses their data (a name no header can carry, ...).
	Skipped int `json:"skipped"`
	// MessageID and Subject are the message's own.
	MessageID string `json:"message_id"`
	Subject   string `json:"subject"`
}

// Sampler composes the variants' sample messages. A variant's sample is
// the message the outbox holds for the first of its mailable cardholders,
// in the order of Candidates, whose data makes a safe message: the
// outbox's first message of the variant, whichever recipients the outbox
// holds, as it follows that order too. A variant with no such cardholder has its
// sample addressed to render.SampleRecipient. The zero counts are ready to
// use.
type Sampler struct {
	Composer *Composer
	// Candidates lists a variant's mailable cardholders in the order
	// they are tried (the pipeline gives the most representative first).
	// It is called from several goroutines at once; a nil Candidates, or
	// a nil sequence, lists none.
	Candidates func(variant string) iter.Seq[render.Recipient]
	// toCardholders and toPreview count the samples addressed to a
	// cardholder and to the preview recipient.
	toCardholders, toPreview atomic.Int64
}

// Sample composes the sample message of n's variant, and says to whom it
// is addressed, with SampleFile as its file; writing it is the caller's.
// Candidates refused are skipped and counted; any other error, and a
// refusal of the preview recipient, is returned. Sample is safe for
// concurrent use.
func (s *Sampler) Sample(n *render.Newsletter) (*Composed, Sample, error) {
	out := Sample{File: SampleFile}
	var candidates iter.Seq[render.Recipient]
	if s.Candidates != nil {
		candidates = s.Candidates(n.Variant.ID)
	}
	if candidates == nil {
		candidates = func(func(render.Recipient) bool) {}
	}
	for rc := range candidates {
		c, err := s.Composer.Compose(n, rc)
		var refused *RefusedError
		if errors.As(err, &refused) {
			out.Skipped++
			continue
		}
		if err != nil {
			return nil, Sample{}, err
		}
		out.Recipient, out.MessageID, out.Subject = rc.ID, c.MessageID, c.Subject
		s.toCardholders.Add(1)
		return c, out, nil
	}
	rc := render.SampleRecipient()
	c, err := s.Composer.Compose(n, rc)
	var refused *RefusedError
	if errors.As(err, &refused) {
		// Not a refusal to count but one of the templates: no message of
		// the variant is possible. The error wraps the reason, not the
		// *RefusedError, so that no caller counts it as one.
		return nil, Sample{}, fmt.Errorf("render: variant %s: sample message for %s %s: %w", n.Variant.ID, rc.FirstName, rc.LastName, refused.Err)
	}
	if err != nil {
		return nil, Sample{}, err
	}
	out.Recipient, out.Preview, out.MessageID, out.Subject = rc.ID, true, c.MessageID, c.Subject
	s.toPreview.Add(1)
	return c, out, nil
}

// Counts returns how many samples have been addressed to a cardholder and
// to the preview recipient.
func (s *Sampler) Counts() (toCardholders, toPreview int) {
	return int(s.toCardholders.Load()), int(s.toPreview.Load())
}
