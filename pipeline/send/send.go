// Package send turns personalized newsletters into complete MIME messages
// with go-mail: multipart/alternative with a plain-text and an HTML part,
// List-Unsubscribe headers, stable Message-IDs. A Composer builds every
// message of a run; an Outbox writes them as .eml files with their index,
// a Sampler picks each variant's sample message; delivery over SMTP builds
// on the same messages. A recipient whose own data cannot make a safe
// message is refused with a *RefusedError; any other error stops the run.
package send

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tailor-mail/tailor/pipeline/render"
)

// Envelope is what a message needs beyond the newsletter content: who sends
// it, to whom, when, and its identity.
type Envelope struct {
	Sender    render.Sender
	Recipient render.Recipient
	// Unsubscribe is the recipient's one-click unsubscribe URL.
	Unsubscribe string
	// Date is the message's Date header.
	Date time.Time
	// Campaign and Variant identify the message in its headers and id.
	Campaign string
	Month    string
	Variant  string
	// UserAgent names the program in the User-Agent header.
	UserAgent string
	// UnsubscribeMailto is the address of List-Unsubscribe's mailto:
	// alternative, "" for none. Its subject carries the link's campaign,
	// cardholder id and token, so that the mailbox can verify a request.
	UnsubscribeMailto string
	// ListID is the List-Id header (RFC 2919), e.g. "Meridian Card
	// <quickstart.meridian.example.com>"; "" leaves it out.
	ListID string
	// FeedbackSender is the sender id that ends the Feedback-ID header
	// (variant:campaign-month:newsletter:sender); "" leaves it out.
	FeedbackSender string
}

// checkHeader refuses a header value with a line break, which would end
// the header and start another.
func checkHeader(name, v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("send: %s %q: line break refused: %w", name, v, render.ErrHeader)
	}
	return nil
}

// MessageID returns the stable Message-ID of a recipient's message of a
// campaign month: the same run gives the same id, and a resend can be
// recognised by it.
func MessageID(campaign, month, cardholderID, domain string) string {
	h := sha256.Sum256([]byte(campaign + "\x00" + month + "\x00" + cardholderID))
	return hex.EncodeToString(h[:16]) + "@" + domain
}

// Compose builds the complete message for one recipient. Every header
// problem wraps render.ErrHeader. When it is the recipient's own data that
// cannot make a safe message (the subject, a name, the email address), the
// error is a *RefusedError: that recipient is skipped and the others go
// on. A problem of what every message shares (the sender's name, From,
// Reply-To, the unsubscribe link) is a plain error, for which no message
// can be sent. The envelope is checked before the recipient.
func Compose(m *render.Message, env Envelope) (*gomail.Msg, error) {
	msg, err := composeHeaders(m, env)
	if err != nil {
		return nil, err
	}
	setBodies(msg, string(m.Text), string(m.HTML))
	return msg, nil
}

// setBodies gives msg its two parts: the plain text, and the HTML as its
// alternative, each quoted-printable in UTF-8.
func setBodies(msg *gomail.Msg, text, html string) {
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
}

// composeHeaders is Compose without the parts.
func composeHeaders(m *render.Message, env Envelope) (*gomail.Msg, error) {
	s := env.Sender
	for _, h := range []struct{ name, v string }{
		{"sender name", s.Name}, {"from", s.From}, {"reply-to", s.ReplyTo}, {"unsubscribe url", env.Unsubscribe},
		{"unsubscribe mailto", env.UnsubscribeMailto}, {"list id", env.ListID}, {"feedback sender", env.FeedbackSender},
	} {
		if err := checkHeader(h.name, h.v); err != nil {
			return nil, err
		}
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return nil, fmt.Errorf("send: from %q: %w", s.From, render.ErrHeader)
	}
	name := from.Name
	if name == "" {
		name = s.Name
	}
	// Addresses go in as mail.Address values, whose String quotes and
	// escapes the display name: go-mail's FromFormat and AddToFormat put
	// the name between quotes as it is, so a name with a quote or a
	// backslash came out mangled or was refused.
	fromAddr := &mail.Address{Name: name, Address: from.Address}
	// net/mail leaves a backslash raw in an encoded non-ASCII name, which
	// no parser reads back (Go issue 80592): refuse what does not parse.
	if !parses(fromAddr) {
		return nil, fmt.Errorf("send: sender name %q: cannot be encoded: %w", name, render.ErrHeader)
	}
	// go-mail's ReplyTo parses the address as here.
	if s.ReplyTo != "" {
		if _, err := mail.ParseAddress(s.ReplyTo); err != nil {
			return nil, fmt.Errorf("send: reply-to %q: %w", s.ReplyTo, render.ErrHeader)
		}
	}
	r := env.Recipient
	refuse := func(err error) error { return &RefusedError{Recipient: r.ID, Variant: env.Variant, Err: err} }
	for _, h := range []struct{ name, v string }{
		{"subject", m.Subject}, {"first name", r.FirstName}, {"last name", r.LastName}, {"email", r.Email},
	} {
		if err := checkHeader(h.name, h.v); err != nil {
			return nil, refuse(err)
		}
	}
	to, err := mail.ParseAddress(r.Email)
	if err != nil || to.Address != strings.TrimSpace(r.Email) {
		return nil, refuse(fmt.Errorf("send: recipient %s: to %q: %w", r.ID, r.Email, render.ErrHeader))
	}
	toAddr := &mail.Address{Name: strings.TrimSpace(r.FirstName + " " + r.LastName), Address: to.Address}
	if !parses(toAddr) {
		return nil, refuse(fmt.Errorf("send: recipient %s: name %q: cannot be encoded: %w", r.ID, toAddr.Name, render.ErrHeader))
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	id := MessageID(env.Campaign, env.Month, r.ID, domain)
	// A boundary derived from the message id keeps the bytes of a message
	// the same from one run to the next.
	msg := gomail.NewMsg(gomail.WithBoundary("tailor-"+id[:32]), gomail.WithNoDefaultUserAgent())
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, fromAddr)
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderTo, toAddr)
	if s.ReplyTo != "" {
		if err := msg.ReplyTo(s.ReplyTo); err != nil {
			return nil, fmt.Errorf("send: reply-to %q: %w", s.ReplyTo, render.ErrHeader)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(env.Date)
	if env.UserAgent != "" {
		msg.SetUserAgent(env.UserAgent)
	}
	if env.Unsubscribe != "" {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, listUnsubscribe(env.Unsubscribe, env.UnsubscribeMailto))
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	if env.ListID != "" {
		msg.SetGenHeader("List-Id", env.ListID)
	}
	if env.FeedbackSender != "" {
		msg.SetGenHeader("Feedback-ID", env.Variant+":"+env.Campaign+"-"+env.Month+":newsletter:"+env.FeedbackSender)
	}
	msg.SetGenHeader("X-Tailor-Campaign", env.Campaign+"/"+env.Month)
	msg.SetGenHeader("X-Tailor-Variant", env.Variant)
	return msg, nil
}

// listUnsubscribe is the List-Unsubscribe header: the one-click https link
// (RFC 8058), and a mailto: alternative whose subject names the campaign,
// the cardholder and the link's token, when there is a mailbox for it.
func listUnsubscribe(link, mailto string) string {
	h := "<" + link + ">"
	if mailto == "" {
		return h
	}
	subject := "unsubscribe"
	if u, err := url.Parse(link); err == nil {
		q := u.Query()
		subject = strings.Join([]string{"unsubscribe", q.Get("c"), q.Get("id"), q.Get("t")}, " ")
	}
	return h + ", <mailto:" + mailto + "?subject=" + strings.ReplaceAll(url.QueryEscape(subject), "+", "%20") + ">"
}

// parses reports whether a's header form reads back as the same address.
func parses(a *mail.Address) bool {
	b, err := mail.ParseAddress(a.String())
	return err == nil && b.Address == a.Address
}

// WriteEML writes a composed message in RFC 5322 form, as a mail client
// opens it.
func WriteEML(w io.Writer, msg *gomail.Msg) error {
	_, err := msg.WriteTo(w)
	return err
}
