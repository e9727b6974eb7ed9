package render_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/send"
)

// benchNewsletter compiles the first example variant with tagged links,
// as a run does.
func benchNewsletter(b *testing.B) *render.Newsletter {
	b.Helper()
	set := defaultSet(b)
	n, err := linkedEngine(b, set).Compile(plan(b, set)[0])
	if err != nil {
		b.Fatal(err)
	}
	if !n.HasFastPath() {
		b.Fatal("no fast path")
	}
	return n
}

// benchRecipients are distinct recipients, so that no two iterations in a
// row personalize the same values.
func benchRecipients(n int) []render.Recipient {
	rs := make([]render.Recipient, n)
	for i := range rs {
		rs[i] = recipient
		rs[i].ID = fmt.Sprintf("C%07d", i)
		rs[i].FirstName = []string{"Ann", "Zoë-Maximiliana", "Bo", "Christopher"}[i%4]
		rs[i].Attrs = map[string]string{"points_balance": fmt.Sprint(1000 + 37*i)}
	}
	return rs
}

// BenchmarkPersonalizeParallel personalizes the body (HTML and text) on
// every core, as the outbox's workers do; run with -cpu 2 for the issue's
// figure, 50,000 recipients a second on two cores.
func BenchmarkPersonalizeParallel(b *testing.B) {
	n := benchNewsletter(b)
	rs := benchRecipients(64)
	unsub := unsubscribe(b, recipient.ID)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := n.Personalize(rs[i%len(rs)], unsub); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "recipients/s")
}

// BenchmarkPersonalizeTemplates is BenchmarkPersonalizeParallel without
// the fast path: html/template and text/template execute every recipient.
func BenchmarkPersonalizeTemplates(b *testing.B) {
	n := benchNewsletter(b)
	rs := benchRecipients(64)
	unsub := unsubscribe(b, recipient.ID)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := n.PersonalizeSlow(rs[i%len(rs)], unsub); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "recipients/s")
}

// BenchmarkMessage builds complete messages on every core: personalize,
// compose the MIME message with go-mail (package send) and write it as an
// .eml. The issue asks for 5,000 a second.
func BenchmarkMessage(b *testing.B) {
	n := benchNewsletter(b)
	rs := benchRecipients(64)
	unsub := unsubscribe(b, recipient.ID)
	env := send.Envelope{Sender: sender, Unsubscribe: unsub, Date: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
		Campaign: campaign.Name, Month: campaign.Month, Variant: n.Variant.ID, UserAgent: "tailor benchmark"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		i := 0
		for pb.Next() {
			e := env
			e.Recipient = rs[i%len(rs)]
			i++
			m, err := n.Personalize(e.Recipient, unsub)
			if err != nil {
				b.Error(err)
				return
			}
			msg, err := send.Compose(m, e)
			if err != nil {
				b.Error(err)
				return
			}
			buf.Reset()
			if err := send.WriteEML(&buf, msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAudit lists the block rows of the HTML part and writes the
// text part of each message, as the pipeline's fit audit reads every
// mailable cardholder's message (AuditInto), on one core.
func BenchmarkAudit(b *testing.B) {
	n := benchNewsletter(b)
	rs := benchRecipients(64)
	unsub := unsubscribe(b, recipient.ID)
	var room render.Message
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m, rows, err := n.AuditInto(&room, rs[i%len(rs)], unsub)
		if err != nil || rows == nil || len(m.Text) == 0 {
			b.Fatalf("rows %v, %d bytes of text: %v", rows, len(m.Text), err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/msg")
}
