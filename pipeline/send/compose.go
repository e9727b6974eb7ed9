package send

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"

	gomail "github.com/wneessen/go-mail"

	"github.com/tailor-mail/tailor/pipeline/render"
)

// RefusedError is a recipient whose own data cannot make a safe message: a
// header value with a line break, an email address that does not parse, a
// name that cannot be encoded, a value the templates cannot format. The
// recipient is skipped, listed and counted; the others go on.
type RefusedError struct {
	// Recipient is the cardholder's id.
	Recipient string
	// Variant is the id of the variant the message is of.
	Variant string
	// Err is the reason, which wraps render.ErrHeader or render.ErrData.
	Err error
}

// Error returns the reason, as refused.csv lists it.
func (e *RefusedError) Error() string { return e.Err.Error() }

// Unwrap returns the reason.
func (e *RefusedError) Unwrap() error { return e.Err }

// Composer builds complete messages for the recipients of a run's
// newsletters. It is safe for concurrent use.
type Composer struct {
	// Envelope holds what every message shares: Sender, Date, Campaign,
	// Month, UserAgent (Recipient, Unsubscribe, Variant are set per
	// message).
	Envelope Envelope
	// UnsubscribeURL is the base of the one-click unsubscribe links;
	// Secret signs them (render.UnsubscribeURL).
	UnsubscribeURL string
	Secret         string
}

// Composed is one recipient's complete message.
type Composed struct {
	// EML is the message in RFC 5322 form (WriteEML).
	EML []byte
	// MessageID is its Message-ID header, angle brackets included.
	MessageID string
	// Subject is its subject, personalized.
	Subject string
}

// Compose personalizes n for rc and builds the complete MIME message. The
// outbox, the variants' samples and delivery all build their messages
// here, so that a message is byte for byte the same wherever it goes.
//
// When rc's own data cannot make a safe message, the error is a
// *RefusedError. Any other error (a sender or an unsubscribe base URL that
// no message can carry, a template that fails) is one no message can get
// past: it stops the run.
func (c *Composer) Compose(n *render.Newsletter, rc render.Recipient) (*Composed, error) {
	room := rooms.Get().(*render.Message)
	defer rooms.Put(room)
	msg, m, err := c.message(n, rc, room)
	if err != nil {
		return nil, err
	}
	eml, err := writeMessage(msg, m)
	if err != nil {
		return nil, fmt.Errorf("send: variant %s: recipient %s: %w", n.Variant.ID, rc.ID, err)
	}
	out := &Composed{EML: eml, Subject: m.Subject}
	if ids := msg.GetGenHeader("Message-ID"); len(ids) > 0 {
		out.MessageID = ids[0]
	}
	return out, nil
}

// Message is Compose without writing the message out: the go-mail
// message, which writes the same bytes, to hand to SMTP.
func (c *Composer) Message(n *render.Newsletter, rc render.Recipient) (*gomail.Msg, error) {
	room := rooms.Get().(*render.Message)
	defer rooms.Put(room)
	msg, m, err := c.message(n, rc, room)
	if err != nil {
		return nil, err
	}
	setBodies(msg, string(m.Text), string(m.HTML))
	return msg, nil
}

// writeMessage writes msg, whose headers composeHeaders set, with m's two
// parts: the bytes go-mail writes for the whole message (Compose), built
// faster. go-mail writes the headers and the MIME frame of the message
// with empty parts, and the parts, quoted-printable encoded by appendQP,
// go into the frame. When the frame is not the one expected (another
// go-mail), go-mail writes the whole message itself.
func writeMessage(msg *gomail.Msg, m *render.Message) ([]byte, error) {
	eml, framed, err := writeFramed(msg, m)
	if err != nil || framed {
		return eml, err
	}
	return writeWhole(msg, m)
}

// writeFramed is writeMessage without the fallback: framed is false when
// the frame is not the one expected.
func writeFramed(msg *gomail.Msg, m *render.Message) (eml []byte, framed bool, err error) {
	setBodies(msg, "", "")
	var frame bytes.Buffer
	frame.Grow(2048)
	if err := WriteEML(&frame, msg); err != nil {
		return nil, false, err
	}
	f := frame.Bytes()
	end := bytes.Index(f, []byte("\r\n\r\n")) // the headers end at the first blank line
	boundary := msg.GetBoundary()
	if end < 0 || boundary == "" {
		return nil, false, nil
	}
	head, body := f[:end+4], f[end+4:]
	part := func(ct gomail.ContentType) string {
		return "--" + boundary + "\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: " + string(ct) + "; charset=UTF-8\r\n\r\n"
	}
	text, html, closing := part(gomail.TypeTextPlain), "\r\n"+part(gomail.TypeTextHTML), "\r\n--"+boundary+"--\r\n"
	if string(body) != text+html+closing {
		return nil, false, nil
	}
	// Quoted-printable grows text by about a tenth; HTML, its attributes'
	// "=" written "=3D", by about a fifth.
	out := make([]byte, 0, len(head)+len(text)+len(html)+len(closing)+len(m.Text)*9/8+len(m.HTML)*5/4+256)
	out = append(out, head...)
	out = append(out, text...)
	out = appendQP(out, m.Text)
	out = append(out, html...)
	out = appendQP(out, m.HTML)
	out = append(out, closing...)
	return out, true, nil
}

// writeWhole writes msg with m's parts through go-mail alone.
func writeWhole(msg *gomail.Msg, m *render.Message) ([]byte, error) {
	setBodies(msg, string(m.Text), string(m.HTML))
	var b bytes.Buffer
	b.Grow((len(m.Text)+len(m.HTML))*9/8 + 2048)
	if err := WriteEML(&b, msg); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// rooms hold the personalized parts of messages being written: each is
// copied into the message's bytes, then the room is used again.
var rooms = sync.Pool{New: func() any { return new(render.Message) }}

// message personalizes n for rc into room and sets the message's headers,
// not its parts, which hold until room is used again.
func (c *Composer) message(n *render.Newsletter, rc render.Recipient, room *render.Message) (*gomail.Msg, *render.Message, error) {
	unsub, err := render.UnsubscribeURL(c.UnsubscribeURL, c.Secret, c.Envelope.Campaign, rc.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("send: unsubscribe links: %w", err)
	}
	env := c.Envelope
	env.Recipient = rc
	env.Unsubscribe, env.Variant = unsub, n.Variant.ID
	m, err := n.PersonalizeInto(room, rc, unsub)
	if err != nil {
		// A subject that would carry a line break, or a value the
		// templates cannot format (a points balance that is no number):
		// this recipient is refused, the others go on.
		if errors.Is(err, render.ErrHeader) || errors.Is(err, render.ErrData) {
			return nil, nil, &RefusedError{Recipient: rc.ID, Variant: n.Variant.ID, Err: err}
		}
		return nil, nil, err
	}
	msg, err := composeHeaders(m, env)
	if err != nil {
		return nil, nil, err // a *RefusedError, or what stops the run
	}
	return msg, m, nil
}

// Outgoing is Compose with the envelope: the message to hand to SMTP,
// byte for byte the outbox's.
func (c *Composer) Outgoing(n *render.Newsletter, rc render.Recipient) (*Outgoing, error) {
	out, err := c.Compose(n, rc)
	if err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(c.Envelope.Sender.From)
	if err != nil {
		return nil, fmt.Errorf("send: from %q: %w", c.Envelope.Sender.From, render.ErrHeader)
	}
	return &Outgoing{From: from.Address, To: []string{strings.TrimSpace(rc.Email)}, Data: out.EML}, nil
}

// OutgoingOf writes a go-mail message out for SMTP, its envelope from its
// From, To, Cc and Bcc.
func OutgoingOf(msg *gomail.Msg) (*Outgoing, error) {
	from, err := msg.GetSender(false)
	if err != nil {
		return nil, err
	}
	to, err := msg.GetRecipients()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := WriteEML(&b, msg); err != nil {
		return nil, err
	}
	return &Outgoing{From: from, To: to, Data: b.Bytes()}, nil
}
