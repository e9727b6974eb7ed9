// Package send turns personalized newsletters into complete MIME messages
// with go-mail: multipart/alternative with a plain-text and an HTML part,
// List-Unsubscribe headers, stable Message-IDs. Messages are written as
// .eml files to an outbox; delivery over SMTP builds on the same messages.
package send

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
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
}

// ErrHeader is wrapped when a header value carries a line break or an
// address does not parse.
var ErrHeader = errors.New("bad header value")

func checkHeader(name, v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("send: %s %q: line break refused: %w", name, v, ErrHeader)
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

// Compose builds the complete message for one recipient.
func Compose(m *render.Message, env Envelope) (*gomail.Msg, error) {
	r := env.Recipient
	for _, h := range []struct{ name, v string }{
		{"subject", m.Subject}, {"first name", r.FirstName}, {"last name", r.LastName},
		{"email", r.Email}, {"sender name", env.Sender.Name}, {"from", env.Sender.From},
		{"reply-to", env.Sender.ReplyTo}, {"unsubscribe url", env.Unsubscribe},
	} {
		if err := checkHeader(h.name, h.v); err != nil {
			return nil, err
		}
	}
	from, err := mail.ParseAddress(env.Sender.From)
	if err != nil {
		return nil, fmt.Errorf("send: from %q: %w", env.Sender.From, ErrHeader)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	id := MessageID(env.Campaign, env.Month, r.ID, domain)
	// A boundary derived from the message id keeps the bytes of a message
	// the same from one run to the next.
	msg := gomail.NewMsg(gomail.WithBoundary("tailor-"+id[:32]), gomail.WithNoDefaultUserAgent())
	name := from.Name
	if name == "" {
		name = env.Sender.Name
	}
	to, err := mail.ParseAddress(r.Email)
	if err != nil || to.Address != strings.TrimSpace(r.Email) {
		return nil, fmt.Errorf("send: recipient %s: to %q: %w", r.ID, r.Email, ErrHeader)
	}
	// Addresses go in as mail.Address values, whose String quotes and
	// escapes the display name: go-mail's FromFormat and AddToFormat put
	// the name between quotes as it is, so a name with a quote or a
	// backslash came out mangled or was refused.
	fromAddr := &mail.Address{Name: name, Address: from.Address}
	toAddr := &mail.Address{Name: strings.TrimSpace(r.FirstName + " " + r.LastName), Address: to.Address}
	// net/mail leaves a backslash raw in an encoded non-ASCII name, which
	// no parser reads back (Go issue 80592): refuse what does not parse.
	if !parses(fromAddr) {
		return nil, fmt.Errorf("send: sender name %q: cannot be encoded: %w", name, ErrHeader)
	}
	if !parses(toAddr) {
		return nil, fmt.Errorf("send: recipient %s: name %q: cannot be encoded: %w", r.ID, toAddr.Name, ErrHeader)
	}
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, fromAddr)
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderTo, toAddr)
	if env.Sender.ReplyTo != "" {
		if err := msg.ReplyTo(env.Sender.ReplyTo); err != nil {
			return nil, fmt.Errorf("send: reply-to %q: %w", env.Sender.ReplyTo, ErrHeader)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(env.Date)
	if env.UserAgent != "" {
		msg.SetUserAgent(env.UserAgent)
	}
	if env.Unsubscribe != "" {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+env.Unsubscribe+">")
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetGenHeader("X-Tailor-Campaign", env.Campaign+"/"+env.Month)
	msg.SetGenHeader("X-Tailor-Variant", env.Variant)
	msg.SetBodyString(gomail.TypeTextPlain, string(m.Text))
	msg.AddAlternativeString(gomail.TypeTextHTML, string(m.HTML))
	return msg, nil
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
