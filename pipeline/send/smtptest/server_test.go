package smtptest_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	mail "github.com/wneessen/go-mail"
	mailsmtp "github.com/wneessen/go-mail/smtp"

	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
)

// start starts a server that the test closes.
func start(t *testing.T, opts smtptest.Options) *smtptest.Server {
	t.Helper()
	s, err := smtptest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// newClient makes a go-mail client for s: no TLS unless opts say so.
func newClient(t testing.TB, s *smtptest.Server, opts ...mail.Option) *mail.Client {
	t.Helper()
	base := []mail.Option{
		mail.WithTLSPolicy(mail.NoTLS),
		mail.WithPort(s.Port()),
		mail.WithHELO("client.test"),
		mail.WithTimeout(10 * time.Second),
	}
	c, err := mail.NewClient(s.Host(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dial opens a connection that the test closes.
func dial(t testing.TB, c *mail.Client) *mailsmtp.Client {
	t.Helper()
	sc, err := c.DialToSMTPClientWithContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hangUp(c, sc) })
	return sc
}

// hangUp quits, and closes the socket even when QUIT fails.
func hangUp(c *mail.Client, sc *mailsmtp.Client) {
	_ = c.CloseWithSMTPClient(sc)
	_ = sc.Close()
}

// newMsg makes a small message to rcpt.
func newMsg(t testing.TB, rcpt string) *mail.Msg {
	t.Helper()
	m := mail.NewMsg()
	if err := m.From("news@tailor.test"); err != nil {
		t.Fatal(err)
	}
	if err := m.To(rcpt); err != nil {
		t.Fatal(err)
	}
	m.Subject("Your October at Meridian")
	m.SetBodyString(mail.TypeTextPlain, "Hello "+rcpt+",\r\n.\r\nA line with a single dot, to be stuffed.\r\n")
	return m
}

// sendErr returns the *mail.SendError in err.
func sendErr(t *testing.T, err error) *mail.SendError {
	t.Helper()
	var se *mail.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *mail.SendError", err, err)
	}
	return se
}

func TestOneConnection(t *testing.T) {
	s := start(t, smtptest.Options{})
	c := newClient(t, s)
	sc := dial(t, c)
	const n = 20
	var want [][]byte
	for i := range n {
		m := newMsg(t, fmt.Sprintf("r%d@example.test", i))
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		want = append(want, b.Bytes())
		if err := c.SendWithSMTPClient(sc, m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	msgs := s.Messages()
	if len(msgs) != n {
		t.Fatalf("%d messages, want %d", len(msgs), n)
	}
	for i, m := range msgs {
		rcpt := fmt.Sprintf("r%d@example.test", i)
		if m.From != "news@tailor.test" || len(m.To) != 1 || m.To[0] != rcpt {
			t.Errorf("message %d: from %q to %q, want news@tailor.test to %q", i, m.From, m.To, rcpt)
		}
		if !bytes.Equal(m.Data, want[i]) {
			t.Errorf("message %d: data\n%q\nwant\n%q", i, m.Data, want[i])
		}
		if m.At.IsZero() {
			t.Errorf("message %d: At not set", i)
		}
		if got := s.Received(rcpt); got != 1 {
			t.Errorf("Received(%q) = %d, want 1", rcpt, got)
		}
	}
	if got := s.Received("nobody@example.test"); got != 0 {
		t.Errorf("Received(nobody) = %d, want 0", got)
	}
	st := s.Stats()
	want1 := smtptest.Stats{Connections: 1, PeakConnections: 1, Transactions: n, Accepted: n}
	if st != want1 {
		t.Errorf("Stats() = %+v, want %+v", st, want1)
	}
}

func TestStartRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts smtptest.Options
	}{
		{"unknown TLS", smtptest.Options{TLS: "always"}},
		{"share above 1", smtptest.Options{Faults: smtptest.Faults{TempMail: 1.5}}},
		{"negative share", smtptest.Options{Faults: smtptest.Faults{DropAfterData: -0.1}}},
		{"NaN share", smtptest.Options{Faults: smtptest.Faults{Throttle: math.NaN()}}},
		{"negative delay", smtptest.Options{Faults: smtptest.Faults{Delay: -time.Second}}},
		{"negative cap", smtptest.Options{MaxConnections: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := smtptest.Start(tt.opts)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.HasPrefix(err.Error(), "smtptest: ") {
				t.Errorf("error %q does not start with smtptest:", err)
			}
		})
	}
}

func TestReject(t *testing.T) {
	s := start(t, smtptest.Options{Faults: smtptest.Faults{
		Reject: func(rcpt string) bool { return strings.HasPrefix(rcpt, "gone") },
	}})
	c := newClient(t, s)
	sc := dial(t, c)

	bad := newMsg(t, "gone@example.test")
	err := c.SendWithSMTPClient(sc, bad)
	se := sendErr(t, err)
	if se.ErrorCode() != 550 || se.EnhancedStatusCode() != "5.1.1" || se.IsTemp() || bad.IsDelivered() {
		t.Errorf("rejected recipient: code %d %s, temp %v, delivered %v; want 550 5.1.1, permanent, not delivered",
			se.ErrorCode(), se.EnhancedStatusCode(), se.IsTemp(), bad.IsDelivered())
	}
	// The connection goes on.
	if err := c.SendWithSMTPClient(sc, newMsg(t, "here@example.test")); err != nil {
		t.Fatal(err)
	}
	if s.Received("gone@example.test") != 0 || s.Received("here@example.test") != 1 {
		t.Errorf("Received: gone %d, here %d; want 0, 1", s.Received("gone@example.test"), s.Received("here@example.test"))
	}
	if st := s.Stats(); st.Rejected != 1 || st.Accepted != 1 || st.Connections != 1 {
		t.Errorf("Stats() = %+v, want 1 rejected, 1 accepted, 1 connection", st)
	}
}

// TestFaultReplies forces each fault and checks what the client sees.
func TestFaultReplies(t *testing.T) {
	tests := []struct {
		name      string
		faults    smtptest.Faults
		code      int
		enhanced  []string // any of
		delivered bool
		stats     func(smtptest.Stats) int
	}{
		{"temp mail", smtptest.Faults{TempMail: 1}, 0, []string{"4.7.0", "4.3.0"}, false,
			func(s smtptest.Stats) int { return s.TempMail }},
		{"temp rcpt", smtptest.Faults{TempRcpt: 1}, 0, []string{"4.7.0", "4.3.0"}, false,
			func(s smtptest.Stats) int { return s.TempRcpt }},
		{"temp data", smtptest.Faults{TempData: 1}, 0, []string{"4.7.0", "4.3.0"}, false,
			func(s smtptest.Stats) int { return s.TempData }},
		{"throttle", smtptest.Faults{Throttle: 1}, 421, []string{"4.7.28"}, false,
			func(s smtptest.Stats) int { return s.Throttled }},
		{"drop before data", smtptest.Faults{DropBeforeData: 1}, 0, nil, false,
			func(s smtptest.Stats) int { return s.DroppedBeforeData }},
		{"drop after data", smtptest.Faults{DropAfterData: 1}, 0, nil, true,
			func(s smtptest.Stats) int { return s.DroppedAfterData }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, smtptest.Options{Faults: tt.faults})
			c := newClient(t, s)
			sc := dial(t, c)
			m := newMsg(t, "one@example.test")
			err := c.SendWithSMTPClient(sc, m)
			if err == nil {
				t.Fatal("send succeeded")
			}
			se := sendErr(t, err)
			if tt.enhanced != nil {
				code := se.ErrorCode()
				if tt.code != 0 && code != tt.code || code/100 != 4 || !se.IsTemp() {
					t.Errorf("code %d (temp %v), want a temporary failure %d: %v", code, se.IsTemp(), tt.code, err)
				}
				found := false
				for _, e := range tt.enhanced {
					found = found || se.EnhancedStatusCode() == e
				}
				if !found {
					t.Errorf("enhanced code %q, want one of %q: %v", se.EnhancedStatusCode(), tt.enhanced, err)
				}
			}
			if m.IsDelivered() != tt.delivered {
				t.Errorf("IsDelivered() = %v, want %v (%v)", m.IsDelivered(), tt.delivered, err)
			}
			want := 0
			if tt.delivered {
				want = 1
			}
			if got := s.Received("one@example.test"); got != want {
				t.Errorf("Received = %d, want %d", got, want)
			}
			if got := tt.stats(s.Stats()); got != 1 {
				t.Errorf("fault counted %d times, want 1: %+v", got, s.Stats())
			}
		})
	}
}

// TestTempFailureKinds checks that temporary failures come as 421 with
// the connection closed and as 451 with the connection kept open.
func TestTempFailureKinds(t *testing.T) {
	s := start(t, smtptest.Options{Faults: smtptest.Faults{Seed: 7, TempMail: 1}})
	c := newClient(t, s)
	var closed, open int
	for i := range 40 {
		sc, err := c.DialToSMTPClientWithContext(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		se := sendErr(t, c.SendWithSMTPClient(sc, newMsg(t, fmt.Sprintf("r%d@example.test", i))))
		switch se.ErrorCode() {
		case 421:
			closed++
			if err := sc.Noop(); err == nil {
				t.Errorf("421: NOOP succeeded, want the connection closed")
			}
		case 451:
			open++
			if err := sc.Noop(); err != nil {
				t.Errorf("451: NOOP failed, want the connection open: %v", err)
			}
		default:
			t.Errorf("code %d, want 421 or 451: %v", se.ErrorCode(), se)
		}
		hangUp(c, sc)
	}
	if closed == 0 || open == 0 {
		t.Errorf("%d closed, %d open: want both kinds", closed, open)
	}
	if st := s.Stats(); st.TempMail != 40 || st.TempClosed != closed {
		t.Errorf("Stats() = %+v, want TempMail 40, TempClosed %d", st, closed)
	}
}

// sender is a client that sends each message exactly once: it retries
// a failure unless the message was delivered or refused for good, over a
// new connection.
type sender struct {
	c  *mail.Client
	sc *mailsmtp.Client
}

// send sends m and reports whether it was delivered; it gives up after
// 50 attempts.
func (s *sender) send(t testing.TB, m *mail.Msg) bool {
	for range 50 {
		if s.sc == nil {
			sc, err := s.c.DialToSMTPClientWithContext(context.Background())
			if err != nil {
				t.Errorf("dial: %v", err)
				return false
			}
			s.sc = sc
		}
		err := s.c.SendWithSMTPClient(s.sc, m)
		if err == nil || m.IsDelivered() {
			if err != nil {
				s.close() // delivered, but the connection is gone
			}
			return true
		}
		var se *mail.SendError
		if errors.As(err, &se) && se.ErrorCode()/100 == 5 {
			return false
		}
		s.close()
	}
	t.Errorf("%v: gave up", m.GetToString())
	return false
}

func (s *sender) close() {
	if s.sc != nil {
		hangUp(s.c, s.sc)
		s.sc = nil
	}
}

// faultRun sends n messages with every fault on and returns the stats.
func faultRun(t *testing.T, faults smtptest.Faults, n int) smtptest.Stats {
	s := start(t, smtptest.Options{Faults: faults})
	snd := &sender{c: newClient(t, s)}
	defer snd.close()
	rejected := 0
	for i := range n {
		rcpt := fmt.Sprintf("r%d@example.test", i)
		delivered := snd.send(t, newMsg(t, rcpt))
		want := 1
		if faults.Reject(rcpt) {
			rejected++
			want = 0
		}
		if delivered != (want == 1) || s.Received(rcpt) != want {
			t.Errorf("%s: delivered %v, received %d times, want %d", rcpt, delivered, s.Received(rcpt), want)
		}
	}
	st := s.Stats()
	if st.Accepted != n-rejected {
		t.Errorf("%d accepted, want %d", st.Accepted, n-rejected)
	}
	return st
}

// TestFaultRates sends a thousand messages through every fault at once,
// with a client that retries unless a message was delivered: each
// message arrives exactly once, the faults happen at about their rates,
// and the same seed gives the same faults.
func TestFaultRates(t *testing.T) {
	faults := smtptest.Faults{
		Seed:           42,
		TempMail:       0.05,
		TempRcpt:       0.04,
		TempData:       0.06,
		DropBeforeData: 0.03,
		DropAfterData:  0.05,
		Throttle:       0.02,
		Reject:         func(rcpt string) bool { return strings.HasSuffix(rcpt, "7@example.test") },
	}
	const n = 1000
	st := faultRun(t, faults, n)
	t.Logf("%+v", st)

	// Each rate against the commands that reached its draw.
	mailOK := st.Transactions - st.Throttled - st.TempMail
	rcptOK := mailOK - st.Rejected - st.TempRcpt
	rates := []struct {
		name   string
		got, n int
		want   float64
	}{
		{"Throttle", st.Throttled, st.Transactions, faults.Throttle},
		{"TempMail", st.TempMail, st.Transactions - st.Throttled, faults.TempMail},
		{"TempRcpt", st.TempRcpt, mailOK - st.Rejected, faults.TempRcpt},
		{"DropBeforeData", st.DroppedBeforeData, rcptOK, faults.DropBeforeData},
		{"TempData", st.TempData, rcptOK - st.DroppedBeforeData, faults.TempData},
		{"DropAfterData", st.DroppedAfterData, st.Accepted, faults.DropAfterData},
		{"TempClosed", st.TempClosed, st.TempMail + st.TempRcpt + st.TempData, 0.5},
	}
	for _, r := range rates {
		got := float64(r.got) / float64(r.n)
		// Four standard deviations of a binomial share.
		tol := 4 * math.Sqrt(r.want*(1-r.want)/float64(r.n))
		if math.Abs(got-r.want) > tol {
			t.Errorf("%s: %d of %d = %.3f, want %.3f ± %.3f", r.name, r.got, r.n, got, r.want, tol)
		}
	}
	if st.Rejected != n/10 {
		t.Errorf("%d rejected, want %d", st.Rejected, n/10)
	}

	// The peak depends on when the server sees a connection end.
	st.PeakConnections = 0
	again := faultRun(t, faults, n)
	again.PeakConnections = 0
	if again != st {
		t.Errorf("same seed, different faults:\n%+v\n%+v", st, again)
	}
	faults.Seed++
	other := faultRun(t, faults, n)
	other.PeakConnections = 0
	if other == st {
		t.Errorf("another seed, the same faults: %+v", other)
	}
}

// TestConcurrentSenders sends from several connections at once, faults
// on, as many workers as MaxConnections: every message arrives exactly
// once, and no worker that dials again after a fault is refused.
func TestConcurrentSenders(t *testing.T) {
	const workers, each = 8, 60
	s := start(t, smtptest.Options{MaxConnections: workers, Faults: smtptest.Faults{
		Seed: 3, TempMail: 0.05, TempRcpt: 0.05, TempData: 0.05,
		DropBeforeData: 0.05, DropAfterData: 0.05, Throttle: 0.05,
	}})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			snd := &sender{c: newClient(t, s)}
			defer snd.close()
			for i := range each {
				snd.send(t, newMsg(t, fmt.Sprintf("w%d-%d@example.test", w, i)))
			}
		})
	}
	wg.Wait()
	for w := range workers {
		for i := range each {
			rcpt := fmt.Sprintf("w%d-%d@example.test", w, i)
			if got := s.Received(rcpt); got != 1 {
				t.Errorf("Received(%s) = %d, want 1", rcpt, got)
			}
		}
	}
	st := s.Stats()
	if st.Accepted != workers*each || len(s.Messages()) != workers*each {
		t.Errorf("%d accepted, %d messages, want %d", st.Accepted, len(s.Messages()), workers*each)
	}
	if st.PeakConnections < 2 || st.PeakConnections > workers || st.Refused != 0 {
		t.Errorf("peak %d connections, %d refused; want 2 to %d, none refused", st.PeakConnections, st.Refused, workers)
	}
}

func TestMaxConnections(t *testing.T) {
	s := start(t, smtptest.Options{MaxConnections: 2})
	c := newClient(t, s)
	first := dial(t, c)
	dial(t, c)
	_, err := c.DialToSMTPClientWithContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "421") {
		t.Fatalf("third connection: %v, want a 421 refusal", err)
	}
	if st := s.Stats(); st.Refused != 1 || st.PeakConnections != 2 || st.Connections != 3 {
		t.Errorf("Stats() = %+v, want 3 connections, 1 refused, peak 2", st)
	}

	// Once a connection ends, another one is let in at once.
	hangUp(c, first)
	sc := dial(t, c)
	if err := c.SendWithSMTPClient(sc, newMsg(t, "late@example.test")); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.PeakConnections != 2 || st.Refused != 1 {
		t.Errorf("Stats() = %+v, want peak 2, 1 refused", st)
	}
}

func TestTLSAndAuth(t *testing.T) {
	const user, pass = "tailor", "s3cret"
	tests := []struct {
		name     string
		tls      string
		auth     mail.SMTPAuthType
		password string
		wantErr  string // "" for success
	}{
		{"plain text, PLAIN", "", mail.SMTPAuthPlain, pass, ""},
		{"plain text, LOGIN", "", mail.SMTPAuthLogin, pass, ""},
		{"starttls, PLAIN", smtptest.TLSStartTLS, mail.SMTPAuthPlain, pass, ""},
		{"starttls, LOGIN", smtptest.TLSStartTLS, mail.SMTPAuthLogin, pass, ""},
		{"implicit, PLAIN", smtptest.TLSImplicit, mail.SMTPAuthPlain, pass, ""},
		{"implicit, LOGIN", smtptest.TLSImplicit, mail.SMTPAuthLogin, pass, ""},
		{"wrong password, PLAIN", smtptest.TLSStartTLS, mail.SMTPAuthPlain, "guess", "535"},
		{"wrong password, LOGIN", smtptest.TLSImplicit, mail.SMTPAuthLogin, "guess", "535"},
		{"no auth", smtptest.TLSStartTLS, mail.SMTPAuthNoAuth, "", "530"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, smtptest.Options{Username: user, Password: pass, TLS: tt.tls})
			opts := []mail.Option{mail.WithSMTPAuth(tt.auth), mail.WithUsername(user), mail.WithPassword(tt.password)}
			tlsCfg := &tls.Config{RootCAs: s.CertPool(), ServerName: s.Host()}
			switch tt.tls {
			case smtptest.TLSStartTLS:
				opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(tlsCfg))
			case smtptest.TLSImplicit:
				opts = append(opts, mail.WithSSL(), mail.WithTLSConfig(tlsCfg))
			}
			c := newClient(t, s, opts...)
			err := c.DialAndSendWithContext(context.Background(), newMsg(t, "one@example.test"))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s.Received("one@example.test") != 1 {
					t.Error("message not received")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %s", err, tt.wantErr)
			}
			if s.Received("one@example.test") != 0 {
				t.Error("message received")
			}
			if tt.wantErr == "535" && s.Stats().AuthFailures != 1 {
				t.Errorf("%d auth failures, want 1", s.Stats().AuthFailures)
			}
		})
	}
}

// TestTLSNeedsTheCertificate checks that the certificate is not trusted
// by default, and that CertPool is nil without TLS.
func TestTLSNeedsTheCertificate(t *testing.T) {
	s := start(t, smtptest.Options{TLS: smtptest.TLSImplicit})
	c := newClient(t, s, mail.WithSSL())
	err := c.DialAndSendWithContext(context.Background(), newMsg(t, "one@example.test"))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error %v, want a certificate error", err)
	}
	plain := start(t, smtptest.Options{})
	if plain.CertPool() != nil {
		t.Error("CertPool() without TLS is not nil")
	}
}

func TestDelay(t *testing.T) {
	const delay = 20 * time.Millisecond
	s := start(t, smtptest.Options{Faults: smtptest.Faults{Delay: delay}})
	c := newClient(t, s)
	begin := time.Now()
	if err := c.DialAndSendWithContext(context.Background(), newMsg(t, "one@example.test")); err != nil {
		t.Fatal(err)
	}
	// Greeting, EHLO, NOOP, MAIL, RCPT, DATA, the message, RSET, QUIT.
	if took := time.Since(begin); took < 9*delay {
		t.Errorf("send took %v, want at least %v", took, 9*delay)
	}
}

func TestAddr(t *testing.T) {
	s := start(t, smtptest.Options{})
	if s.Host() != "127.0.0.1" || s.Port() == 0 || s.Addr() != fmt.Sprintf("127.0.0.1:%d", s.Port()) {
		t.Errorf("Addr %q, Host %q, Port %d", s.Addr(), s.Host(), s.Port())
	}
}

func TestCloseTwice(t *testing.T) {
	s, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	sc, err := c.DialToSMTPClientWithContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Noop(); err == nil {
		t.Error("NOOP after Close succeeded")
	}
}
