package send

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/wneessen/go-mail/smtp"
)

// Outgoing is a message ready to hand over: its envelope and its bytes,
// exactly as the outbox holds them (CRLF line ends).
type Outgoing struct {
	// From is the address of MAIL FROM; To those of RCPT TO.
	From string
	To   []string
	Data []byte
}

// stage says how far an SMTP transaction got when it failed.
type stage int

const (
	stageEnvelope  stage = iota // MAIL FROM, RCPT TO, DATA: nothing of the message sent
	stageRecipient              // a recipient refused at RCPT TO
	stageContent                // the message was being written: not delivered
	stageEnd                    // the end of the message was written; the answer is the delivery
)

// txError is a failed SMTP transaction: where it stopped and why.
type txError struct {
	stage stage
	err   error
}

func (e *txError) Error() string { return e.err.Error() }
func (e *txError) Unwrap() error { return e.err }

// transact hands one message over on client c: MAIL FROM, RCPT TO, DATA,
// the message (DKIM-signed first when signer is set), the end, then RSET
// for the next one. It returns the server's answer to the end of the
// message. The bytes are written as they are, lines that start with a dot
// doubled, in a few large writes (go-mail's writer goes byte by byte and
// encodes the parts again).
func transact(c *smtp.Client, out *Outgoing, sign func(headers, body []byte) (string, error)) (string, error) {
	data := out.Data
	var signature string
	if sign != nil {
		headers, body := data, []byte(nil)
		if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
			headers, body = data[:i+2], data[i+4:]
		}
		var err error
		if signature, err = sign(headers, body); err != nil {
			return "", &txError{stageEnvelope, fmt.Errorf("dkim: %w", err)}
		}
	}
	if err := c.Mail(angle(out.From)); err != nil {
		return "", &txError{stageEnvelope, resetAfter(c, err)}
	}
	for _, to := range out.To {
		if err := c.Rcpt(angle(to)); err != nil {
			return "", &txError{stageRecipient, resetAfter(c, err)}
		}
	}
	w, err := c.Data()
	if err != nil {
		return "", &txError{stageEnvelope, resetAfter(c, err)}
	}
	bw := c.Text.W
	if signature != "" {
		if _, err := stuff(bw, []byte(signature)); err != nil {
			return "", &txError{stageContent, err}
		}
	}
	// Everything but the last line end goes straight to the connection's
	// buffer; the last goes through go-mail's writer, which then ends the
	// message with ".\r\n" and reads the answer.
	body := bytes.TrimSuffix(data, []byte("\r\n"))
	if _, err := stuff(bw, body); err != nil {
		return "", &txError{stageContent, err}
	}
	if _, err := w.Write([]byte("\r\n")); err != nil {
		return "", &txError{stageContent, err}
	}
	if err := w.Close(); err != nil {
		return "", &txError{stageEnd, err}
	}
	response := ""
	if dc, ok := w.(*smtp.DataCloser); ok {
		response = dc.ServerResponse()
	}
	// The message is delivered: a failed RSET only means the next one
	// needs a new connection.
	if err := c.Reset(); err != nil {
		return response, &txError{stageEnd, errDelivered{err}}
	}
	return response, nil
}

// angle puts an envelope address between angle brackets, as MAIL FROM and
// RCPT TO want it.
func angle(addr string) string {
	return "<" + strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">") + ">"
}

// errDelivered is an error after the message was accepted.
type errDelivered struct{ err error }

func (e errDelivered) Error() string { return "after delivery: " + e.err.Error() }
func (e errDelivered) Unwrap() error { return e.err }

// resetAfter sends RSET after a refused command, so that the connection
// can carry the next message, and returns err.
func resetAfter(c *smtp.Client, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code != 421 {
		if rerr := c.Reset(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rset: %w", rerr))
		}
	}
	return err
}

// stuff writes b with every line that starts with a dot given a second
// one (RFC 5321 4.5.2), in as few writes as there are such lines.
func stuff(w interface{ Write([]byte) (int, error) }, b []byte) (int, error) {
	n := 0
	if len(b) > 0 && b[0] == '.' {
		if _, err := w.Write([]byte{'.'}); err != nil {
			return n, err
		}
	}
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\n."))
		if i < 0 {
			k, err := w.Write(b)
			return n + k, err
		}
		k, err := w.Write(b[:i+2])
		n += k
		if err != nil {
			return n, err
		}
		if _, err := w.Write([]byte{'.'}); err != nil {
			return n, err
		}
		b = b[i+2:]
	}
	return n, nil
}

// classifyTx turns what transact returned into the message's outcome, as
// classify does for go-mail's errors.
func classifyTx(err error, response string) (st State, reply Reply, throttled, broken bool) {
	if err == nil {
		return Sent, parseReply(response), false, false
	}
	var te *txError
	if !errors.As(err, &te) {
		return Deferred, Reply{Text: oneLine(err.Error())}, false, true
	}
	var ed errDelivered
	if errors.As(err, &ed) {
		return Sent, parseReply(response), false, true
	}
	reply = Reply{Text: oneLine(err.Error())}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		reply.Code = tp.Code
		if f := strings.Fields(tp.Msg); len(f) > 0 && strings.Count(f[0], ".") == 2 {
			reply.Enhanced = f[0]
		}
		switch {
		case tp.Code >= 500:
			// A refused recipient leaves the connection usable: RSET
			// was sent.
			return Failed, reply, false, te.stage != stageRecipient
		case tp.Code >= 400:
			throttled = tp.Code == 421 || strings.HasPrefix(reply.Enhanced, "4.7.") ||
				strings.Contains(strings.ToLower(tp.Msg), "rate")
			return Deferred, reply, throttled, tp.Code == 421
		}
	}
	if te.stage == stageEnd {
		// The end of the message went out and no answer came back: the
		// server may have taken it.
		return Uncertain, reply, false, true
	}
	return Deferred, reply, false, true
}
