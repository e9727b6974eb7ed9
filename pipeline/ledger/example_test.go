package ledger_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ledger"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// A send in miniature: add the recipients, claim messages, record what
// became of them while claiming the next.
func Example() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	l, err := ledger.Open(filepath.Join(dir, "send.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	if _, err := l.Add(ctx, []send.Entry{
		{Cardholder: "c1", Variant: "travel", Address: "ana@example.com", State: send.Pending},
		{Cardholder: "c2", Variant: "dining", Address: "ben@example.com", State: send.Pending},
		{Cardholder: "c3", Variant: "dining", State: send.Skipped, Reason: "no address"},
	}); err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	claimed, err := l.Advance(ctx, nil, 8, now)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range claimed {
		fmt.Println("hand over", e.Cardholder, e.Address, "attempt", e.Attempts)
	}
	outcomes := []send.Outcome{
		{Cardholder: "c1", State: send.Sent, Reply: send.Reply{Code: 250, Text: "queued"}, At: now},
		{Cardholder: "c2", State: send.Deferred, NextAt: now.Add(5 * time.Minute), Reply: send.Reply{Code: 451, Text: "try later"}, At: now},
	}
	if _, err := l.Advance(ctx, outcomes, 8, now); err != nil {
		log.Fatal(err)
	}
	next, _, _ := l.NextDue(ctx)
	fmt.Println("next due", next.Format(time.Kitchen))
	totals, _ := l.Totals(ctx)
	fmt.Println(totals[send.Sent], "sent,", totals[send.Deferred], "deferred,", totals[send.Skipped], "skipped")
	// Output:
	// hand over c1 ana@example.com attempt 1
	// hand over c2 ben@example.com attempt 1
	// next due 9:05AM
	// 1 sent, 1 deferred, 1 skipped
}
