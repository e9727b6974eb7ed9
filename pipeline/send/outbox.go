package send

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/tailor-mail/tailor/pipeline/internal/workers"
	"github.com/tailor-mail/tailor/pipeline/render"
)

// Outbox writes a run's messages as .eml files, one per recipient, into a
// directory being built: <variant>/<EMLName(cardholder)> for each
// message, then index.csv (variant, cardholder_id, email, message_id,
// file) for the messages and refused.csv (variant, cardholder_id, reason)
// for the recipients refused.
type Outbox struct {
	Composer *Composer
	// Put writes one file of the outbox; rel is slash-separated, relative
	// to the outbox ("v0001/C0000001.eml", "index.csv", "refused.csv").
	// It is called from several goroutines at once. Its error stops
	// Write and is returned as it is, so it should name the file.
	Put func(rel string, data []byte) error
	// Warn, when set, is told of refused recipients (the first 10, then
	// one line with the count).
	Warn func(msg string)
}

// OutboxResult is what Write did.
type OutboxResult struct {
	// Messages and Refused count the messages written and the recipients
	// refused.
	Messages, Refused int
	// FirstRefusal is the first refusal in index order, a *RefusedError;
	// nil when there is none.
	FirstRefusal error
}

// warnRefusals is how many refusals Write passes to Warn one by one.
const warnRefusals = 10

// Write composes and writes n messages; message(i) returns the newsletter
// and recipient of message i, and is called from several goroutines. A
// bounded pool of workers composes and writes the messages; index.csv
// and refused.csv follow, after the messages, in index order whatever the
// scheduling. A recipient refused (a *RefusedError of Compose) is listed
// and counted; any other error stops Write, which then returns it with
// the files written so far left to the caller.
func (o *Outbox) Write(ctx context.Context, n int, message func(i int) (*render.Newsletter, render.Recipient)) (OutboxResult, error) {
	type result struct {
		variant, id, email string
		file, messageID    string
		refused            *RefusedError
	}
	results := make([]result, n)
	err := workers.Each(ctx, n, func(i int) error {
		nl, rc := message(i)
		res := &results[i]
		res.variant, res.id, res.email = nl.Variant.ID, rc.ID, rc.Email
		c, err := o.Composer.Compose(nl, rc)
		if err != nil {
			if !errors.As(err, &res.refused) {
				return err
			}
			return nil
		}
		res.file = nl.Variant.ID + "/" + EMLName(rc.ID)
		res.messageID = c.MessageID
		return o.Put(res.file, c.EML)
	})
	if err != nil {
		return OutboxResult{}, err
	}
	var index strings.Builder
	iw := csv.NewWriter(&index)
	_ = iw.Write([]string{"variant", "cardholder_id", "email", "message_id", "file"}) // into a strings.Builder
	var refused strings.Builder
	rw := csv.NewWriter(&refused)
	_ = rw.Write([]string{"variant", "cardholder_id", "reason"}) // into a strings.Builder
	var out OutboxResult
	for _, res := range results {
		if res.refused != nil {
			// A recipient whose data cannot make a safe message is
			// skipped, listed and counted, never sent half-formed.
			out.Refused++
			if out.FirstRefusal == nil {
				out.FirstRefusal = res.refused
			}
			if out.Refused <= warnRefusals && o.Warn != nil {
				o.Warn(res.refused.Error())
			}
			_ = rw.Write([]string{res.variant, res.id, res.refused.Error()})
			continue
		}
		out.Messages++
		_ = iw.Write([]string{res.variant, res.id, res.email, res.messageID, res.file})
	}
	if out.Refused > warnRefusals && o.Warn != nil {
		o.Warn(fmt.Sprintf("%d recipients refused in all, see outbox/refused.csv", out.Refused))
	}
	iw.Flush()
	rw.Flush()
	if err := o.Put("index.csv", []byte(index.String())); err != nil {
		return OutboxResult{}, err
	}
	if err := o.Put("refused.csv", []byte(refused.String())); err != nil {
		return OutboxResult{}, err
	}
	return out, nil
}

// unsafeName matches the characters a file name leaves out.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// EMLName returns the file name of a cardholder's message: the id with
// every character but ASCII letters, digits, '_' and '-' replaced by '_',
// then, when any was, a short hash of the id so that two ids do not share
// a name, and ".eml".
func EMLName(cardholderID string) string {
	safe := unsafeName.ReplaceAllString(cardholderID, "_")
	if safe != cardholderID {
		h := sha256.Sum256([]byte(cardholderID))
		safe += "-" + hex.EncodeToString(h[:4])
	}
	return safe + ".eml"
}
