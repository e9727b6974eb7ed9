package send

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// Sender hands a send's messages to SMTP relays, each exactly once: it
// claims them from the Ledger, which records each as Sending before it is
// handed over and records what the server said after. The zero value of
// every field but Ledger, Relays and Build is useful.
type Sender struct {
	Ledger Ledger
	// Relays are the SMTP relays; their connections share the messages,
	// the faster relay taking more.
	Relays []*Relay
	// Build composes the message of a ledger entry. A *RefusedError
	// skips the recipient, a *SuppressedError suppresses them; any other
	// error stops the send.
	Build func(Entry) (*Outgoing, error)
	// Retry says how deferred messages are retried.
	Retry Retry
	// Pause stops the send when too many messages fail.
	Pause Pause
	// Suppress, when set, is told of every address a server refused
	// permanently at RCPT TO, to keep it off later sends.
	Suppress func(Entry, Reply)
	// Progress, when set, is told how the send goes about once a second
	// and at the end.
	Progress func(Progress)
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Retry is how deferred messages are retried: after Base, doubling at each
// attempt up to Max, each wait drawn between half and one and a half of
// it; a message still deferred after Attempts attempts, or due after
// Deadline, fails.
type Retry struct {
	Attempts  int           // default 8
	Base, Max time.Duration // default 30s and 30m
	Deadline  time.Time     // default: 24 hours after the send starts
}

// Pause stops a send, cleanly and resumably, when more than Share of the
// last Window messages handed over were not accepted (failed, deferred or
// uncertain; throttling replies aside).
type Pause struct {
	Window int     // default 500
	Share  float64 // default 0.05
}

// Progress is how a send stands.
type Progress struct {
	Sent, Deferred, Failed, Uncertain, Skipped int
	// InFlight counts the messages claimed and not yet answered.
	InFlight int
	// Rate is the messages accepted per second over the last seconds.
	Rate float64
	Done bool
}

// SuppressedError is what Build returns for a recipient who joined the
// suppression list since the send began: the message is Suppressed.
type SuppressedError struct {
	Reason string
}

func (e *SuppressedError) Error() string { return "suppressed: " + e.Reason }

// PausedError is the error of a send paused by its failure threshold.
type PausedError struct {
	Failures, Window int
	// Last is the last failure's reply.
	Last Reply
}

func (e *PausedError) Error() string {
	return fmt.Sprintf("paused: %d of the last %d messages were not accepted (the last: %s); the send resumes where it stopped",
		e.Failures, e.Window, e.Last.Text)
}

// job is one message for a connection.
type job struct {
	entry Entry
}

// Run sends every message the ledger has due, until none is left, the
// send pauses (a *PausedError), or ctx is done; then it waits for the
// messages in flight. A message claimed but not handed over when ctx ends
// goes back to Pending.
func (s *Sender) Run(ctx context.Context) (Progress, error) {
	now := s.Now
	if now == nil {
		now = time.Now
	}
	retry := s.Retry
	if retry.Attempts == 0 {
		retry.Attempts = 8
	}
	if retry.Base == 0 {
		retry.Base = 30 * time.Second
	}
	if retry.Max == 0 {
		retry.Max = 30 * time.Minute
	}
	if retry.Deadline.IsZero() {
		retry.Deadline = now().Add(24 * time.Hour)
	}
	pause := s.Pause
	if pause.Window == 0 {
		pause.Window = 500
	}
	if pause.Share == 0 {
		pause.Share = 0.05
	}
	if len(s.Relays) == 0 {
		return Progress{}, errors.New("send: no relay")
	}

	// Workers stop on their own context, so that a cancelled send still
	// gets the outcome of every message handed over.
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorkers()
	// Each connection has a message queued behind the one it hands
	// over, claimed and composed while the one before is on the wire: at
	// most twice as many messages as connections are Sending at once. A
	// connection writes the end of a message, which delivers it, only
	// once the outcome of the one before is committed, so that of the
	// Sending messages at most one per connection may have reached the
	// server.
	connections := 0
	for _, r := range s.Relays {
		connections += relayConnections(r)
	}
	capacity := 2 * connections
	jobs := make(chan job, connections)
	results := make(chan Outcome, capacity)
	// quit tells the workers that no outcome will be recorded any more.
	quit := make(chan struct{})
	fatal := make(chan error, 1)
	var wg sync.WaitGroup
	for _, r := range s.Relays {
		l := newLimits(r)
		for range relayConnections(r) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &conn{relay: r, limits: l, build: s.Build, now: now, stop: ctx, quit: quit}
				c.work(wctx, jobs, results, fatal)
			}()
		}
	}
	defer func() {
		close(quit)
		close(jobs)
		wg.Wait()
	}()

	var (
		p        Progress
		window   = make([]bool, 0, pause.Window) // true: not accepted
		failures int
		last     Reply
		done     []Outcome
		rates    []time.Time // acceptance times of the last seconds
		report   = now()
		runErr   error
	)
	tell := func(final bool) {
		if s.Progress == nil {
			return
		}
		t := now()
		for len(rates) > 0 && t.Sub(rates[0]) > 10*time.Second {
			rates = rates[1:]
		}
		q := p
		if len(rates) > 1 {
			q.Rate = float64(len(rates)) / max(t.Sub(rates[0]).Seconds(), 1)
		}
		q.Done = final
		s.Progress(q)
	}
	note := func(o Outcome) Outcome {
		switch o.State {
		case Sent:
			p.Sent++
			rates = append(rates, o.At)
		case Deferred:
			p.Deferred++
		case Failed:
			p.Failed++
		case Uncertain:
			p.Uncertain++
		case Skipped, Suppressed:
			p.Skipped++
		}
		if o.State == Pending || o.State == Skipped || o.State == Suppressed || o.Reason == reasonThrottled {
			return o
		}
		bad := o.State != Sent
		if len(window) == pause.Window {
			if window[0] {
				failures--
			}
			window = window[1:]
		}
		window = append(window, bad)
		if bad {
			failures++
			last = o.Reply
		}
		return o
	}
	for {
		claim := capacity - p.InFlight
		if runErr != nil || ctx.Err() != nil {
			claim = 0
		}
		entries, err := s.Ledger.Advance(context.WithoutCancel(ctx), done, claim, now())
		if err != nil {
			return p, err
		}
		for _, o := range done {
			if o.recorded != nil {
				close(o.recorded)
			}
		}
		done = done[:0]
		for _, e := range entries {
			p.InFlight++
			jobs <- job{entry: e}
		}
		if p.InFlight == 0 {
			if runErr != nil {
				return p, runErr
			}
			if err := ctx.Err(); err != nil {
				return p, err
			}
			next, ok, err := s.Ledger.NextDue(ctx)
			if err != nil {
				return p, err
			}
			if !ok {
				tell(true)
				return p, nil
			}
			tell(false)
			if err := sleep(ctx, next.Sub(now())); err != nil {
				return p, err
			}
			continue
		}
		var o Outcome
		select {
		case o = <-results:
		case err := <-fatal:
			runErr = err
			continue
		}
		// Gather the outcomes that come within a moment, so that one
		// commit records several: the ledger's commits, each synced, are
		// what a fast relay waits on. An outcome waits at most linger
		// before it is recorded.
		deadline := time.Now().Add(linger)
		for {
			p.InFlight--
			done = append(done, s.retry(note(o), retry))
			if o.State == Failed && s.Suppress != nil && o.Reply.Code >= 500 && o.Reason == reasonRejected {
				s.Suppress(o.entry, o.Reply)
			}
			if p.InFlight == 0 {
				break
			}
			wait := time.Until(deadline)
			if len(done) >= connections || wait <= 0 {
				select {
				case o = <-results:
					continue
				default:
				}
				break
			}
			t := time.NewTimer(wait)
			select {
			case o = <-results:
				t.Stop()
				continue
			case <-t.C:
			}
			break
		}
		if runErr == nil && failures > int(pause.Share*float64(pause.Window)) {
			runErr = &PausedError{Failures: failures, Window: len(window), Last: last}
		}
		if t := now(); t.Sub(report) >= time.Second {
			report = t
			tell(false)
		}
	}
}

// relayConnections is the number of connections kept to r.
func relayConnections(r *Relay) int {
	if r.Connections > 0 {
		return r.Connections
	}
	return 4
}

// linger is how long the sender waits for more outcomes to record with
// one commit.
const linger = 2 * time.Millisecond

// Reasons recorded with outcomes.
const (
	reasonThrottled = "the relay asked to slow down"
	reasonRejected  = "the server refused the recipient"
)

// retry applies the retry policy to a deferred outcome: a later NextAt, or
// Failed when the attempts or the deadline run out.
func (s *Sender) retry(o Outcome, r Retry) Outcome {
	if o.State != Deferred {
		return o
	}
	if o.entry.Attempts >= r.Attempts {
		o.State, o.Reason = Failed, fmt.Sprintf("still deferred after %d attempts", o.entry.Attempts)
		return o
	}
	wait := r.Base << min(o.entry.Attempts-1, 20)
	if wait > r.Max || wait <= 0 {
		wait = r.Max
	}
	if o.Reason == reasonThrottled {
		wait = min(wait, 5*time.Second)
	}
	wait = time.Duration(float64(wait) * (0.5 + rand.Float64()))
	o.NextAt = o.At.Add(wait)
	if o.NextAt.After(r.Deadline) {
		o.State, o.Reason = Failed, "still deferred at the send's deadline"
	}
	return o
}

// conn is one connection's worker: it keeps a connection to its relay
// open for many messages, and opens it again after an error or
// PerConnection messages.
type conn struct {
	relay  *Relay
	limits *limits
	build  func(Entry) (*Outgoing, error)
	now    func() time.Time
	// stop is the send's context: once it is done, the messages not yet
	// handed over go back.
	stop context.Context
	// quit is closed when the send records no more outcomes; prev is
	// closed once the outcome of the message this connection handed over
	// last is committed.
	quit <-chan struct{}
	prev chan struct{}

	client  *gomail.Client
	smtp    *smtp.Client
	session *session
	sent    int
}

func (c *conn) work(ctx context.Context, jobs <-chan job, results chan<- Outcome, fatal chan<- error) {
	defer c.close()
	for j := range jobs {
		o := c.deliver(ctx, j.entry, fatal)
		o.recorded = make(chan struct{})
		c.prev = o.recorded
		results <- o
	}
}

// recorded waits until the outcome of the message this connection handed
// over last is committed; false when the send records no more or stops.
func (c *conn) recorded() bool {
	if c.prev != nil {
		select {
		case <-c.prev:
			c.prev = nil
		case <-c.quit:
			return false
		}
	}
	return c.stop.Err() == nil
}

// deliver hands one message over and says what became of it.
func (c *conn) deliver(ctx context.Context, e Entry, fatal chan<- error) Outcome {
	o := Outcome{Cardholder: e.Cardholder, entry: e}
	back := func(why string) Outcome {
		o.State, o.Reason, o.At = Pending, why, c.now()
		return o
	}
	if c.stop.Err() != nil {
		return back("the send stopped before it was handed over")
	}
	out, err := c.build(e)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			o.State, o.Reason, o.At = Skipped, re.Error(), c.now()
			return o
		}
		var se *SuppressedError
		if errors.As(err, &se) {
			o.State, o.Reason, o.At = Suppressed, se.Reason, c.now()
			return o
		}
		select {
		case fatal <- err:
		default:
		}
		return back("the send stopped: " + err.Error())
	}
	domain := e.Address[strings.LastIndexByte(e.Address, '@')+1:]
	if err := c.limits.acquire(c.stop, strings.ToLower(domain), c.now); err != nil {
		return back("the send stopped before it was handed over")
	}
	defer c.limits.release(strings.ToLower(domain))
	if err := c.connect(ctx); err != nil {
		st, reply, throttled, _ := classify(err, false, "")
		if st == Failed || c.client == nil || !transient(err) {
			// A relay that refuses us (a 5xx to EHLO or AUTH) or that
			// cannot be configured stops the send: no message can pass.
			select {
			case fatal <- fmt.Errorf("relay %s: %w", c.relay, err):
			default:
			}
			return back("the send stopped: relay " + c.relay.String() + ": " + reply.Text)
		}
		o.State, o.Reply, o.At = st, reply, c.now()
		if throttled {
			c.limits.slowDown(o.At)
			o.Reason = reasonThrottled
		}
		return o
	}
	// The message goes over while the outcome of the one before it is
	// committed; only its end, which delivers it, waits for that.
	response, err := transact(c.smtp, c.session, out, c.sign(), c.recorded)
	if errors.Is(err, errStopping) {
		c.close()
		return back("the send stopped before it was handed over")
	}
	st, reply, throttled, broken := classifyTx(err, response)
	o.State, o.Reply, o.At = st, reply, c.now()
	c.sent++
	switch {
	case throttled:
		c.limits.slowDown(o.At)
		o.Reason = reasonThrottled
	case st == Sent:
		c.limits.recovered()
	case st == Failed && !broken:
		o.Reason = reasonRejected
	case st == Uncertain:
		o.Reason = "the connection broke after the message was written, before the server answered"
	}
	if broken || c.sent >= c.perConnection() {
		c.close()
	}
	return o
}

// sign returns the relay's DKIM signer, nil when it signs nothing.
func (c *conn) sign() func(headers, body []byte) (string, error) {
	if c.relay.DKIM == nil {
		return nil
	}
	return c.relay.DKIM.Sign
}

func (c *conn) perConnection() int {
	if c.relay.PerConnection > 0 {
		return c.relay.PerConnection
	}
	return 100
}

// connect opens the connection if it is not open.
func (c *conn) connect(ctx context.Context) error {
	if c.smtp != nil {
		return nil
	}
	if c.client == nil {
		cl, err := c.relay.client()
		if err != nil {
			return err
		}
		c.client = cl
	}
	sc, err := c.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return err
	}
	c.smtp, c.sent = sc, 0
	c.session = newSession(sc, c.relay.timeout(), !c.relay.NoPipelining)
	return nil
}

func (c *conn) close() {
	if c.smtp != nil {
		_ = c.client.CloseWithSMTPClient(c.smtp)
		c.smtp = nil
	}
}

// Deliver hands msgs to relay over one connection, each once, without a
// ledger or retries, and returns what became of each: for proofs, which
// nobody's send records.
func Deliver(ctx context.Context, relay *Relay, msgs []*Outgoing) []Outcome {
	now := time.Now
	c := &conn{relay: relay, limits: newLimits(relay), now: now, stop: ctx}
	defer c.close()
	out := make([]Outcome, len(msgs))
	for i, msg := range msgs {
		o := &out[i]
		if err := ctx.Err(); err != nil {
			o.State, o.Reason, o.At = Pending, err.Error(), now()
			continue
		}
		if err := c.connect(ctx); err != nil {
			o.State, o.Reply, _, _ = classify(err, false, "")
			o.At = now()
			continue
		}
		response, err := transact(c.smtp, c.session, msg, c.sign(), nil)
		st, reply, _, broken := classifyTx(err, response)
		o.State, o.Reply, o.At = st, reply, now()
		if broken {
			c.close()
		}
	}
	return out
}
