package send

import (
	"context"
	"time"
)

// State is where one recipient's message stands in a send's ledger.
type State string

// States. A message goes Pending -> Sending -> Sent, Deferred (and later
// Sending again), Failed or Uncertain; Suppressed and Skipped messages are
// never sent.
const (
	// Pending: not handed to SMTP yet.
	Pending State = "pending"
	// Sending: claimed and about to be, or being, handed to SMTP. A row
	// found Sending when a send starts was in flight when the last one
	// stopped: it becomes Uncertain.
	Sending State = "sending"
	// Sent: a server accepted the message (250 after DATA).
	Sent State = "sent"
	// Deferred: a temporary failure (4xx, network); retried at NextAt.
	Deferred State = "deferred"
	// Failed: a permanent failure (5xx), or the retries ran out.
	Failed State = "failed"
	// Uncertain: handed to SMTP without a reply recorded; it may have
	// been delivered, so it is not sent again unless asked to.
	Uncertain State = "uncertain"
	// Suppressed: on the suppression list, cancelled or without consent.
	Suppressed State = "suppressed"
	// Skipped: nothing to send, with the reason (an invalid address, the
	// same address as an earlier recipient, no variant).
	Skipped State = "skipped"
)

// Reply is an SMTP server's reply to a message, or the network error that
// stood for one (Code 0).
type Reply struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	Text     string `json:"text"`
}

// Entry is one recipient's row of the ledger.
type Entry struct {
	// Cardholder is the recipient's cardholder id, unique in a send.
	Cardholder string
	Variant    string
	Address    string
	MessageID  string
	State      State
	// Reason says why a message is Suppressed, Skipped, Failed or
	// Uncertain.
	Reason   string
	Attempts int
	// NextAt is when a Deferred message is due again.
	NextAt time.Time
	// Reply is the last reply of the SMTP server.
	Reply            Reply
	Created, Updated time.Time
}

// Outcome is what became of one message claimed.
type Outcome struct {
	Cardholder string
	// State is Sent, Deferred, Failed or Uncertain for a message handed
	// to SMTP; Skipped for a recipient refused before (a *RefusedError);
	// Pending for a message given back unsent because the send stopped.
	State  State
	Reason string
	NextAt time.Time
	Reply  Reply
	At     time.Time

	// entry is the message's row as claimed, for the sender's retry
	// policy.
	entry Entry
	// recorded is closed once the outcome is committed: the connection
	// that handed the message over hands the next one only then.
	recorded chan struct{}
}

// Ledger is the record of a send that makes it exactly-once: which
// message stands where. The sender calls it from one goroutine.
//
// Advance durably records outcomes of messages handed to SMTP, then claims
// up to n messages that are due at now (Pending, then Deferred whose
// NextAt has come), marking them Sending, all in one commit, and returns
// the messages claimed, Attempts already counting this one. A crash after
// Advance returns leaves the claimed messages Sending, never unrecorded:
// the next send makes them Uncertain.
//
// NextDue returns the earliest NextAt of the Deferred messages, and false
// when none is Deferred.
type Ledger interface {
	Advance(ctx context.Context, outcomes []Outcome, n int, now time.Time) ([]Entry, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
}
