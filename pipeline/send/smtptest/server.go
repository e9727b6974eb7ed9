// Package smtptest runs an SMTP server on 127.0.0.1 for tests, as
// net/http/httptest runs an HTTP server: Start listens on a free port,
// every message accepted is kept in memory, and Faults makes the server
// misbehave the way real relays do (temporary failures, rejected
// recipients, dropped connections, throttling, slow replies) at seeded,
// reproducible rates, so that a sender's retry logic can be shown to hand
// every message over exactly once.
//
// The server is built on github.com/emersion/go-smtp. It speaks EHLO,
// STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT.
package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	smtp "github.com/emersion/go-smtp"
)

// Faults says which failures the server injects, and how often. Every
// share is a probability from 0 to 1, drawn per command; the zero value
// injects nothing.
//
// The draws come from a random source seeded with Seed and the
// connection's number (1 for the first connection accepted, 2 for the
// next...), so a client that opens its connections one after the other
// meets the same faults at the same commands on every run.
type Faults struct {
	// Seed seeds the random draws: the faults are random but reproducible.
	Seed int64
	// TempMail, TempRcpt and TempData are the shares of commands answered
	// with a temporary failure at MAIL FROM, at RCPT TO, and after DATA's
	// content, before accepting it. Half of these failures, drawn at
	// random, are "421 4.7.0" with the connection closed after the reply;
	// the others are "451 4.3.0" with the connection kept open.
	TempMail, TempRcpt, TempData float64
	// Reject, when set, names the recipients answered "550 5.1.1" at
	// RCPT TO. It is called with the address as the client gave it.
	Reject func(rcpt string) bool
	// DropBeforeData is the share of transactions whose connection is
	// closed right after the 250 reply to their first accepted RCPT TO,
	// before DATA: nothing is delivered, and the client should send again.
	DropBeforeData float64
	// DropAfterData is the share of transactions whose connection is
	// closed right after the 250 reply to DATA's content was written: the
	// message is delivered, and the client must count it sent.
	DropAfterData float64
	// Delay slows every write the server makes: each reply (the greeting
	// included) waits Delay before it is written.
	Delay time.Duration
	// Throttle is the share of MAIL FROM commands answered
	// "421 4.7.28 rate limited, slow down", with the connection closed.
	// It is drawn before TempMail.
	Throttle float64
}

// validate reports a share outside [0, 1] or a negative delay.
func (f Faults) validate() error {
	shares := []struct {
		name string
		v    float64
	}{
		{"TempMail", f.TempMail}, {"TempRcpt", f.TempRcpt}, {"TempData", f.TempData},
		{"DropBeforeData", f.DropBeforeData}, {"DropAfterData", f.DropAfterData},
		{"Throttle", f.Throttle},
	}
	for _, s := range shares {
		if !(s.v >= 0 && s.v <= 1) {
			return fmt.Errorf("smtptest: Faults.%s = %v: a share must be between 0 and 1", s.name, s.v)
		}
	}
	if f.Delay < 0 {
		return fmt.Errorf("smtptest: Faults.Delay = %v: must not be negative", f.Delay)
	}
	return nil
}

// The values of Options.TLS.
const (
	// TLSStartTLS offers STARTTLS on a plain connection.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS).
	TLSImplicit = "implicit"
)

// Options configures a Server. The zero value is a plain server with no
// authentication, no faults and no connection limit.
type Options struct {
	// Faults are the failures the server injects.
	Faults Faults
	// Username and Password, when Username is set, are the only
	// credentials accepted, and MAIL FROM is refused with
	// "530 5.7.0 authentication required" until the client has
	// authenticated with AUTH PLAIN or AUTH LOGIN. AUTH is offered with or
	// without TLS: the server is for tests on loopback.
	Username, Password string
	// TLS is "" for none, "starttls" to offer STARTTLS, or "implicit" for
	// TLS from the first byte. The certificate is self-signed for
	// 127.0.0.1, ::1 and localhost, made by Start; CertPool trusts it.
	TLS string
	// MaxConnections caps the connections open at once (0: no cap). A
	// connection over the cap waits up to 100ms for another one to close,
	// so that a client that hangs up and dials again at once is not
	// refused for the server's lag in seeing the first one end; then it is
	// answered "421 4.7.0 too many connections" and closed.
	MaxConnections int
}

// Message is a message the server accepted.
type Message struct {
	// From is the MAIL FROM address.
	From string
	// To are the RCPT TO addresses accepted, in order.
	To []string
	// Data is the content after DATA, without the final "." line and with
	// dot-stuffing undone: the headers and body as the client wrote them.
	Data []byte
	// At is when the message was accepted.
	At time.Time
}

// Stats counts what happened on a Server.
type Stats struct {
	// Connections counts the connections accepted, refused ones included.
	Connections int
	// Refused counts the connections refused because of MaxConnections.
	Refused int
	// PeakConnections is the most connections open at once, refused ones
	// excluded.
	PeakConnections int
	// Transactions counts the MAIL FROM commands received, faulted ones
	// included.
	Transactions int
	// Accepted counts the messages accepted: len(Messages()).
	Accepted int
	// AuthFailures counts the AUTH attempts refused for wrong credentials.
	AuthFailures int

	// TempMail, TempRcpt and TempData count the temporary failures
	// injected at MAIL FROM, RCPT TO and after DATA's content.
	TempMail, TempRcpt, TempData int
	// TempClosed counts those of them that were 421 with the connection
	// closed; the others were 451.
	TempClosed int
	// Rejected counts the recipients answered 550 because of Faults.Reject.
	Rejected int
	// DroppedBeforeData and DroppedAfterData count the connections closed
	// by Faults.DropBeforeData and Faults.DropAfterData.
	DroppedBeforeData, DroppedAfterData int
	// Throttled counts the MAIL FROM commands answered 421 4.7.28.
	Throttled int
}

// Server is an SMTP server listening on 127.0.0.1, started by Start and
// stopped by Close. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	smtp   *smtp.Server
	ln     *listener
	tlsCfg *tls.Config
	pool   *x509.CertPool
	served chan struct{} // closed when Serve returns

	closeOnce sync.Once
	closeErr  error
	closing   atomic.Bool // set by Close: writes stop waiting Faults.Delay

	mu       sync.Mutex
	conns    map[*conn]struct{} // open connections, refused ones included
	nconns   sync.WaitGroup     // one per open connection
	active   int                // open connections, refused ones excluded
	freed    chan struct{}      // signalled when active goes down
	seq      int64              // connections accepted so far
	stats    Stats
	messages []Message
	received map[string]int
}

// Start starts a server on 127.0.0.1 on a free port. The caller must
// Close it.
func Start(opts Options) (*Server, error) {
	if err := opts.Faults.validate(); err != nil {
		return nil, err
	}
	if opts.MaxConnections < 0 {
		return nil, fmt.Errorf("smtptest: MaxConnections = %d: must not be negative", opts.MaxConnections)
	}
	s := &Server{
		opts:     opts,
		served:   make(chan struct{}),
		freed:    make(chan struct{}, 1),
		conns:    make(map[*conn]struct{}),
		received: make(map[string]int),
	}
	switch opts.TLS {
	case "":
	case TLSStartTLS, TLSImplicit:
		cert, pool, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("smtptest: certificate: %w", err)
		}
		s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.pool = pool
	default:
		return nil, fmt.Errorf("smtptest: TLS = %q: want \"\", %q or %q", opts.TLS, TLSStartTLS, TLSImplicit)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtptest: %w", err)
	}
	s.ln = &listener{Listener: l, srv: s}

	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = quietLogger{log.New(log.Writer(), "smtptest: ", log.LstdFlags)}
	if opts.TLS == TLSStartTLS {
		srv.TLSConfig = s.tlsCfg
	}
	s.smtp = srv

	go func() {
		defer close(s.served)
		_ = srv.Serve(s.ln)
	}()
	return s, nil
}

// Addr is the server's address, "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host is the server's host, "127.0.0.1".
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port is the server's port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// CertPool trusts the server's self-signed certificate; it is nil when
// the server has no TLS. A client verifies the server with
// &tls.Config{RootCAs: s.CertPool(), ServerName: s.Host()}.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// Close stops the server: it closes the listener and every open
// connection, and waits until no connection is left. Closing twice
// returns the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		err := s.smtp.Close()
		// Serve may not have registered the listener with go-smtp yet.
		if lerr := s.ln.Close(); err == nil {
			err = lerr
		}
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		<-s.served
		// go-smtp closes the connections it has registered; close ours
		// too, for a connection accepted but not registered yet.
		s.mu.Lock()
		for c := range s.conns {
			_ = c.Conn.Close()
		}
		s.mu.Unlock()
		s.nconns.Wait()
		if err != nil {
			s.closeErr = fmt.Errorf("smtptest: close: %w", err)
		}
	})
	return s.closeErr
}

// Messages returns every message accepted, in the order they were
// accepted. The slice is the caller's; its messages' To and Data are
// shared and must not be modified.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Received says how many accepted messages had rcpt among their
// recipients, rcpt compared exactly as the client gave it in RCPT TO.
func (s *Server) Received(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received[rcpt]
}

// Stats returns the server's counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// count applies f to the stats under the lock.
func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// accept records a message.
func (s *Server) accept(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.At = time.Now()
	s.messages = append(s.messages, m)
	s.stats.Accepted++
	for _, rcpt := range uniq(m.To) {
		s.received[rcpt]++
	}
}

// uniq returns the distinct addresses of to, in order.
func uniq(to []string) []string {
	var out []string
	for _, a := range to {
		dup := false
		for _, b := range out {
			if a == b {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// quietLogger passes go-smtp's log lines on, except the ones about a
// connection the server closed on purpose.
type quietLogger struct{ l *log.Logger }

func (q quietLogger) Printf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if isClosedErr(msg) {
		return
	}
	q.l.Print(msg)
}

func (q quietLogger) Println(v ...any) {
	msg := fmt.Sprintln(v...)
	if isClosedErr(msg) {
		return
	}
	q.l.Print(msg)
}

// isClosedErr recognizes a log line about a read on a closed or reset
// connection, which the faults make on purpose and clients make when
// they hang up without QUIT, or about a failed TLS handshake, which the
// client sees too.
func isClosedErr(msg string) bool {
	for _, s := range []string{net.ErrClosed.Error(), "connection reset by peer", "broken pipe", io.EOF.Error(), "tls: "} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
