package pipeline

import (
	"context"
	"fmt"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// outboxed is the outbox stage's outcome.
type outboxed struct {
	Messages int `count:"messages"`
	// Refused counts the recipients whose data could not make a safe
	// message, listed in outbox/refused.csv.
	Refused int `count:"refused"`
	// record is the outbox directory's, as written.
	record rundir.OutputRecord
}

func (outboxed) outputs() []string { return []string{rundir.OutboxDir} }

func (o outboxed) records() []rundir.OutputRecord {
	if o.record.Path == "" {
		return nil
	}
	return []rundir.OutputRecord{o.record}
}

// outbox writes outbox/<variant>/<cardholder>.eml for every recipient, with
// outbox/index.csv and outbox/refused.csv. Past mail.refusal_budget the
// stage fails, its outbox left in place with refused.csv for the
// diagnosis; the next run builds it again.
func (r *run) outbox(ctx context.Context, ns []*render.Newsletter, rs []recipient) (outboxed, error) {
	if r.secret == "" && len(rs) > 0 {
		r.event(Event{Stage: "outbox", State: EventWarn, Message: r.c.Sender.UnsubscribeSecretEnv + " is not set: unsubscribe links are signed with a key anyone can derive; set it before sending"})
	}
	swap, err := rundir.NewSwap(r.file(rundir.OutboxDir))
	if err != nil {
		return outboxed{}, err
	}
	defer swap.Abort()
	ob := &send.Outbox{Composer: r.composer(), Put: swap.WriteFile,
		Warn: func(msg string) { r.event(Event{Stage: "outbox", State: EventWarn, Message: msg}) }}
	m := r.meter("outbox", "messages", int64(len(rs)))
	defer m.close()
	res, err := ob.Write(ctx, len(rs), func(i int) (*render.Newsletter, render.Recipient) {
		m.Add(1)
		return ns[rs[i].variant], r.recipientOf(rs[i].profile)
	})
	if err != nil {
		return outboxed{}, err
	}
	record := swap.Record(rundir.OutboxDir)
	if err := swap.Commit(); err != nil {
		return outboxed{}, err
	}
	if budget := *r.c.Mail.RefusalBudget; res.Refused > 0 && float64(res.Refused) > budget*float64(len(rs)) {
		return outboxed{}, fmt.Errorf("%d of %d recipients refused, over the budget of %g%% (mail.refusal_budget); the reasons are in %s; the first: %w",
			res.Refused, len(rs), 100*budget, r.file(rundir.OutboxDir+"/refused.csv"), res.FirstRefusal)
	}
	return outboxed{Messages: res.Messages, Refused: res.Refused, record: record}, nil
}
