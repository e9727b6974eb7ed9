package send

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/time/rate"
)

// TLS modes of a relay.
const (
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "implicit"
	// TLSStartTLS requires STARTTLS (port 587); the default.
	TLSStartTLS = "starttls"
	// TLSOpportunistic uses STARTTLS when the server offers it.
	TLSOpportunistic = "opportunistic"
	// TLSNone never encrypts: for a relay on loopback only.
	TLSNone = "none"
)

// Relay is an SMTP relay and the limits a send keeps to on it. The zero
// value of every field but Host is useful.
type Relay struct {
	// Name names the relay in messages (default Host:Port).
	Name string
	Host string
	// Port defaults to 465 with TLSImplicit, else 587.
	Port int
	// TLS is TLSImplicit, TLSStartTLS (default), TLSOpportunistic or
	// TLSNone.
	TLS string
	// TLSConfig, when set, replaces the default TLS configuration (a
	// private CA's RootCAs, for example).
	TLSConfig *tls.Config
	// Auth is "plain", "login", "cram-md5", "xoauth2" or "" for none;
	// Password is the password, or the OAuth 2 token for xoauth2.
	Auth               string
	Username, Password string
	// HELO is the name the client gives in EHLO (default: the host's).
	HELO string
	// Connections is the number of connections kept open (default 4).
	Connections int
	// PerConnection is how many messages go over one connection before it
	// is closed and opened again (default 100).
	PerConnection int
	// Rate caps the messages handed to the relay per second (0: none).
	Rate float64
	// PerHour caps the messages in any rolling hour (0: none).
	PerHour int
	// PerDomain caps the messages in flight to one recipient domain
	// across the relay's connections (0: none).
	PerDomain int
	// Timeout bounds each SMTP command (default 30s).
	Timeout time.Duration
	// NoPipelining sends each command alone and waits for its answer,
	// even when the server offers PIPELINING.
	NoPipelining bool
	// SlowDown is how long the relay's connections wait after a
	// throttling reply (421, 4.7.x), twice as long at each such reply in a
	// row up to 30s (default 250ms).
	SlowDown time.Duration
	// DKIM, when set, signs every message.
	DKIM *gomail.DKIMSigner
}

// String names the relay.
func (r *Relay) String() string {
	if r.Name != "" {
		return r.Name
	}
	return fmt.Sprintf("%s:%d", r.Host, r.port())
}

func (r *Relay) port() int {
	switch {
	case r.Port != 0:
		return r.Port
	case r.TLS == TLSImplicit:
		return 465
	}
	return 587
}

// timeout is how long one SMTP exchange may take.
func (r *Relay) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return 30 * time.Second
}

// client returns a go-mail client for the relay, not connected.
func (r *Relay) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(r.port()), gomail.WithoutNoop()}
	opts = append(opts, gomail.WithTimeout(r.timeout()))
	if r.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(r.TLSConfig))
	}
	switch r.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSStartTLS, "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("relay %s: tls %q: want implicit, starttls, opportunistic or none", r, r.TLS)
	}
	if r.Auth != "" {
		auth, err := authType(r.Auth, r.TLS == TLSNone)
		if err != nil {
			return nil, fmt.Errorf("relay %s: %w", r, err)
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(r.Username), gomail.WithPassword(r.Password))
	}
	if r.HELO != "" {
		opts = append(opts, gomail.WithHELO(r.HELO))
	}
	if r.DKIM != nil {
		opts = append(opts, gomail.WithAlwaysDKIMSign(r.DKIM))
	}
	c, err := gomail.NewClient(r.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("relay %s: %w", r, err)
	}
	return c, nil
}

// authType maps an auth setting to go-mail's; plain and login without TLS
// are allowed only because the caller chose TLSNone, which the campaign
// allows on loopback alone.
func authType(name string, clear bool) (gomail.SMTPAuthType, error) {
	switch strings.ToLower(name) {
	case "plain":
		if clear {
			return gomail.SMTPAuthPlainNoEnc, nil
		}
		return gomail.SMTPAuthPlain, nil
	case "login":
		if clear {
			return gomail.SMTPAuthLoginNoEnc, nil
		}
		return gomail.SMTPAuthLogin, nil
	case "cram-md5":
		return gomail.SMTPAuthCramMD5, nil
	case "xoauth2":
		return gomail.SMTPAuthXOAUTH2, nil
	}
	return "", fmt.Errorf("auth %q: want plain, login, cram-md5 or xoauth2", name)
}

// limits holds a relay's shared limits: the rate, the rolling hour, the
// recipient domains in flight, and the slow-down after a throttling reply.
type limits struct {
	relay *Relay
	rate  *rate.Limiter

	mu        sync.Mutex
	cond      *sync.Cond
	hour      []time.Time // when the messages of the last hour were handed over, oldest first
	domains   map[string]int
	slowUntil time.Time
	slowStep  time.Duration
}

func newLimits(r *Relay) *limits {
	l := &limits{relay: r, domains: map[string]int{}}
	l.cond = sync.NewCond(&l.mu)
	if r.Rate > 0 {
		l.rate = rate.NewLimiter(rate.Limit(r.Rate), max(1, r.Connections))
	}
	return l
}

// acquire waits until a message to domain may be handed over, and takes
// its place among the messages in flight; release gives it back.
func (l *limits) acquire(ctx context.Context, domain string, now func() time.Time) error {
	if err := l.waitSlow(ctx, now); err != nil {
		return err
	}
	if l.rate != nil {
		if err := l.rate.Wait(ctx); err != nil {
			return err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.relay.PerDomain; p > 0 {
		stop := context.AfterFunc(ctx, func() {
			l.mu.Lock()
			l.cond.Broadcast()
			l.mu.Unlock()
		})
		defer stop()
		for l.domains[domain] >= p {
			if err := ctx.Err(); err != nil {
				return err
			}
			l.cond.Wait()
		}
	}
	for n := l.relay.PerHour; n > 0; {
		t := now()
		for len(l.hour) > 0 && t.Sub(l.hour[0]) >= time.Hour {
			l.hour = l.hour[1:]
		}
		if len(l.hour) < n {
			l.hour = append(l.hour, t)
			break
		}
		wait := time.Hour - t.Sub(l.hour[0])
		l.mu.Unlock()
		err := sleep(ctx, wait)
		l.mu.Lock()
		if err != nil {
			return err
		}
	}
	l.domains[domain]++
	return nil
}

func (l *limits) release(domain string) {
	l.mu.Lock()
	if l.domains[domain]--; l.domains[domain] <= 0 {
		delete(l.domains, domain)
	}
	l.cond.Broadcast()
	l.mu.Unlock()
}

// Slow-down after a throttling reply: the first wait, and the longest.
const (
	slowFirst = 250 * time.Millisecond
	slowMost  = 30 * time.Second
)

// slowDown answers a throttling reply: every connection of the relay waits
// a while before its next message, twice as long at each reply with no
// message accepted in between, up to slowMost; and the rate, when the
// relay has one, halves.
func (l *limits) slowDown(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.slowStep == 0:
		l.slowStep = l.first()
	case l.slowStep < slowMost:
		l.slowStep *= 2
	}
	if until := now.Add(l.slowStep); until.After(l.slowUntil) {
		l.slowUntil = until
	}
	if l.rate != nil && l.rate.Limit() > 1 {
		l.rate.SetLimit(l.rate.Limit() / 2)
	}
}

func (l *limits) first() time.Duration {
	if l.relay.SlowDown > 0 {
		return l.relay.SlowDown
	}
	return slowFirst
}

// recovered is told of a message accepted: the slow-down eases.
func (l *limits) recovered() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.slowStep > 0 {
		l.slowStep /= 2
		if l.slowStep < l.first() {
			l.slowStep = 0
		}
	}
	if l.rate != nil && float64(l.rate.Limit()) < l.relay.Rate {
		l.rate.SetLimit(min(rate.Limit(l.relay.Rate), l.rate.Limit()*1.05+0.1))
	}
}

func (l *limits) waitSlow(ctx context.Context, now func() time.Time) error {
	l.mu.Lock()
	wait := l.slowUntil.Sub(now())
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	return sleep(ctx, wait)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// classify turns what go-mail said of one message into its outcome. A
// message go-mail reports delivered is Sent whatever came after (a failed
// RSET). A 5xx is Failed; a 4xx or a network error before the message's
// end was written is Deferred; a network error once the message's end was
// written and its reply not read is Uncertain: the server may have taken
// it. throttled says the reply asks the sender to slow down; broken that
// the connection cannot carry another message.
func classify(err error, delivered bool, response string) (st State, reply Reply, throttled, broken bool) {
	if delivered {
		return Sent, parseReply(response), false, err != nil
	}
	if err == nil {
		return Sent, parseReply(response), false, false
	}
	reply = Reply{Text: oneLine(err.Error())}
	var te *textproto.Error
	if errors.As(err, &te) {
		reply.Code = te.Code
		if te.Code >= 500 {
			return Failed, reply, false, true
		}
		return Deferred, reply, te.Code == 421, true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		reply.Code, reply.Enhanced = se.ErrorCode(), se.EnhancedStatusCode()
		switch {
		case reply.Code >= 500:
			// The connection survives a refused recipient: go-mail sent
			// RSET after it.
			return Failed, reply, false, se.Reason != gomail.ErrSMTPRcptTo
		case reply.Code >= 400:
			throttled = reply.Code == 421 || strings.HasPrefix(reply.Enhanced, "4.7.") ||
				strings.Contains(strings.ToLower(reply.Text), "rate")
			return Deferred, reply, throttled, true
		case se.Reason == gomail.ErrSMTPDataClose:
			return Uncertain, reply, false, true
		}
		return Deferred, reply, false, true
	}
	return Deferred, reply, false, true
}

// transient reports whether a failure to connect may pass by itself: a
// network error or a 4xx. A 5xx (a refused login), a TLS certificate that
// does not verify or a missing extension needs someone to act.
func transient(err error) bool {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code < 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// parseReply reads an SMTP reply line such as "250 2.0.0 Ok: queued".
func parseReply(s string) Reply {
	s = oneLine(s)
	r := Reply{Text: s}
	if len(s) >= 3 && s[0] >= '2' && s[0] <= '5' {
		fmt.Sscanf(s[:3], "%d", &r.Code)
		rest := strings.TrimSpace(s[3:])
		if f := strings.Fields(rest); len(f) > 0 && strings.Count(f[0], ".") == 2 && f[0][0] == s[0] {
			r.Enhanced = f[0]
		}
	}
	return r
}

// oneLine keeps a reply to one line of at most 500 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
