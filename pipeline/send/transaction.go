package send

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"time"

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

// session is what a connection knows of its server, for transact.
type session struct {
	// timeout bounds each exchange with the server.
	timeout time.Duration
	// pipelining: the server takes RSET, MAIL FROM, RCPT TO and DATA
	// in one write (RFC 2920), and the relay does not forbid it.
	pipelining bool
	// mailParams are what go-mail adds to MAIL FROM for this server.
	mailParams string
	// used: a transaction went over the connection, RSET before the next
	// (pipelining; without it RSET follows each transaction).
	used bool
}

// newSession asks the server connected to c what it offers.
func newSession(c *smtp.Client, timeout time.Duration, pipelining bool) *session {
	s := &session{timeout: timeout}
	if ok, _ := c.Extension("PIPELINING"); ok && pipelining {
		s.pipelining = true
	}
	// go-mail's Client.Mail asks for these when the server has them.
	if ok, _ := c.Extension("8BITMIME"); ok {
		s.mailParams += " BODY=8BITMIME"
	}
	if ok, _ := c.Extension("SMTPUTF8"); ok {
		s.mailParams += " SMTPUTF8"
	}
	return s
}

// transact hands one message over on client c: MAIL FROM, RCPT TO, DATA,
// the message (DKIM-signed first when signer is set) and its end, with
// RSET between messages. It returns the server's answer to the end of the
// message ("250 2.0.0 Ok: queued as ..."). The bytes are written as they
// are, lines that start with a dot doubled, in a few large writes (go-mail's
// writer goes byte by byte and encodes the parts again).
//
// When the server offers PIPELINING, the commands before the message go
// in one write and their answers are read together: two round trips a
// message instead of five. Otherwise each command waits for its answer,
// through go-mail's client, and RSET follows each message.
//
// beforeEnd, when set, is called before the end of the message is
// written, which delivers it; false stops there with errStopping.
func transact(c *smtp.Client, s *session, out *Outgoing, sign func(headers, body []byte) (string, error), beforeEnd func() bool) (string, error) {
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
	if err := c.UpdateDeadline(s.timeout); err != nil {
		return "", &txError{stageEnvelope, err}
	}
	if s.pipelining {
		return transactPipelined(c, s, out, signature, beforeEnd)
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
	if err := c.UpdateDeadline(s.timeout); err != nil {
		return "", &txError{stageContent, err}
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
	if beforeEnd != nil && !beforeEnd() {
		return "", &txError{stageContent, errStopping}
	}
	if err := w.Close(); err != nil {
		return "", &txError{stageEnd, err}
	}
	response := "250"
	if dc, ok := w.(*smtp.DataCloser); ok {
		// go-mail keeps the answer's text, without its code.
		response += " " + dc.ServerResponse()
	}
	// The message is delivered: a failed RSET only means the next one
	// needs a new connection.
	if err := c.UpdateDeadline(s.timeout); err != nil {
		return response, &txError{stageEnd, errDelivered{err}}
	}
	if err := c.Reset(); err != nil {
		return response, &txError{stageEnd, errDelivered{err}}
	}
	return response, nil
}

// transactPipelined is transact with PIPELINING (RFC 2920): RSET (after
// an earlier message), MAIL FROM, RCPT TO and DATA in one write, their
// answers read in order; then the message and its end.
func transactPipelined(c *smtp.Client, s *session, out *Outgoing, signature string, beforeEnd func() bool) (string, error) {
	for _, a := range append([]string{out.From}, out.To...) {
		if strings.ContainsAny(a, "\r\n") {
			return "", &txError{stageEnvelope, fmt.Errorf("smtp: address %q: a line must not contain CR or LF", a)}
		}
	}
	reset := s.used
	s.used = true
	w := c.Text.W
	if reset {
		w.WriteString("RSET\r\n")
	}
	w.WriteString("MAIL FROM:" + angle(out.From) + s.mailParams + "\r\n")
	for _, to := range out.To {
		w.WriteString("RCPT TO:" + angle(to) + "\r\n")
	}
	w.WriteString("DATA\r\n")
	if err := w.Flush(); err != nil {
		return "", &txError{stageEnvelope, err}
	}

	// Every command has its answer, read in order. The first refusal is
	// the transaction's; an answer that does not come (the server hung
	// up, as after a 421) ends the reading.
	var refused *txError
	read := func(expect int, st stage) (taken, answered bool) {
		_, _, err := c.Text.ReadResponse(expect)
		if err == nil {
			return true, true
		}
		var te *textproto.Error
		answered = errors.As(err, &te)
		if refused == nil {
			if !answered {
				st = stageEnvelope
			}
			refused = &txError{st, err}
		}
		return false, answered
	}
	if reset {
		if taken, _ := read(250, stageEnvelope); !taken {
			// The connection is in no state to go on.
			return "", &txError{stageEnvelope, fmt.Errorf("rset: %v", refused.err)}
		}
	}
	if _, answered := read(250, stageEnvelope); !answered {
		return "", refused
	}
	for range out.To {
		if _, answered := read(25, stageRecipient); !answered {
			return "", refused
		}
	}
	before := refused
	taken, answered := read(354, stageEnvelope)
	switch {
	case !answered:
		return "", refused
	case taken && before != nil:
		// DATA was taken though the transaction had failed: end the
		// empty message, whose answer is a refusal too.
		w.WriteString(".\r\n")
		if err := w.Flush(); err == nil {
			_, _, _ = c.Text.ReadResponse(250)
		}
		return "", before
	case !taken:
		return "", refused
	}

	if err := c.UpdateDeadline(s.timeout); err != nil {
		return "", &txError{stageContent, err}
	}
	if signature != "" {
		if _, err := stuff(w, []byte(signature)); err != nil {
			return "", &txError{stageContent, err}
		}
	}
	if _, err := stuff(w, out.Data); err != nil {
		return "", &txError{stageContent, err}
	}
	if !bytes.HasSuffix(out.Data, []byte("\r\n")) {
		w.WriteString("\r\n")
	}
	if beforeEnd != nil {
		// What is written so far goes out while we wait.
		if err := w.Flush(); err != nil {
			return "", &txError{stageContent, err}
		}
		if !beforeEnd() {
			return "", &txError{stageContent, errStopping}
		}
	}
	w.WriteString(".\r\n")
	if err := w.Flush(); err != nil {
		// Some of the end may have gone out: the server may take it.
		return "", &txError{stageEnd, err}
	}
	code, msg, err := c.Text.ReadResponse(250)
	if err != nil {
		return "", &txError{stageEnd, err}
	}
	return strconv.Itoa(code) + " " + msg, nil
}

// errStopping is what transact returns when the send stops before the
// end of a message was written: the message is not delivered, and the
// connection, in the middle of DATA, cannot carry another.
var errStopping = errors.New("the send stopped before the end of the message was written")

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
