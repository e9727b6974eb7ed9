package mailpittest_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/tailor-mail/tailor/pipeline/send/mailpittest"
)

// client makes a go-mail client for Mailpit's SMTP address.
func client(t *testing.T, addr string, opts ...mail.Option) *mail.Client {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	base := []mail.Option{mail.WithPort(p), mail.WithTLSPolicy(mail.NoTLS), mail.WithTimeout(10 * time.Second)}
	c, err := mail.NewClient(host, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newMsg makes a plain message with subject to rcpt.
func newMsg(t *testing.T, rcpt, subject string) *mail.Msg {
	t.Helper()
	m := mail.NewMsg()
	if err := m.From("Tailor <news@tailor.test>"); err != nil {
		t.Fatal(err)
	}
	if err := m.To(rcpt); err != nil {
		t.Fatal(err)
	}
	m.Subject(subject)
	m.SetBodyString(mail.TypeTextPlain, "Hello,\r\n.\r\nA line with a single dot.\r\n")
	return m
}

func TestMailpit(t *testing.T) {
	mp := mailpittest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if got, err := mp.Messages(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Messages() on a new Mailpit = %v, %v; want none", got, err)
	}

	rcpts := []string{"ada@example.test", "grace@example.test"}
	msgs := []*mail.Msg{
		newMsg(t, rcpts[0], "Your October at Meridian"),
		newMsg(t, rcpts[1], "Your November at Meridian"),
	}
	var sent [][]byte
	for _, m := range msgs {
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, b.Bytes())
	}
	// The first without credentials, the second with: Mailpit takes both.
	if err := client(t, mp.SMTPAddr()).DialAndSendWithContext(ctx, msgs[0]); err != nil {
		t.Fatal(err)
	}
	withAuth := client(t, mp.SMTPAddr(),
		mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername("tailor"), mail.WithPassword("anything"))
	if err := withAuth.DialAndSendWithContext(ctx, msgs[1]); err != nil {
		t.Fatal(err)
	}

	got, err := mp.WaitFor(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2", len(got))
	}
	for i, s := range got {
		rcpt := rcpts[i]
		if len(s.To) != 1 || s.To[0].Address != rcpt {
			t.Errorf("message %d: to %+v, want %s (oldest first)", i, s.To, rcpt)
		}
		if s.From == nil || s.From.Address != "news@tailor.test" || s.From.Name != "Tailor" {
			t.Errorf("message %d: from %+v", i, s.From)
		}
		if s.ID == "" || s.MessageID == "" || s.Created.IsZero() || s.Size == 0 {
			t.Errorf("message %d: summary %+v lacks ID, MessageID, Created or Size", i, s)
		}

		raw, err := mp.Raw(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Mailpit puts its trace headers in front of what was sent.
		if !bytes.HasSuffix(raw, sent[i]) || len(raw) == len(sent[i]) {
			t.Errorf("message %d: raw\n%q\ndoes not end with what was sent, after Mailpit's headers\n%q", i, raw, sent[i])
		}

		h, err := mp.Headers(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if subj := h["Subject"]; len(subj) != 1 || subj[0] != s.Subject || s.Subject != msgs[i].GetGenHeader(mail.HeaderSubject)[0] {
			t.Errorf("message %d: Subject header %q, summary %q, sent %q", i, subj, s.Subject, msgs[i].GetGenHeader(mail.HeaderSubject))
		}
	}
	if got[1].Username != "tailor" {
		t.Errorf("second message: username %q, want tailor", got[1].Username)
	}
}

func TestMailpitErrors(t *testing.T) {
	mp := mailpittest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if _, err := mp.Raw(ctx, "no-such-id"); err == nil {
		t.Error("Raw of an unknown id succeeded")
	}
	if _, err := mp.Headers(ctx, "no-such-id"); err == nil {
		t.Error("Headers of an unknown id succeeded")
	}

	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	got, err := mp.WaitFor(short, 1)
	if !errors.Is(err, context.DeadlineExceeded) || len(got) != 0 {
		t.Errorf("WaitFor on an empty Mailpit = %v, %v; want none and the deadline", got, err)
	}
}
