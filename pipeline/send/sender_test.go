package send

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
)

// memLedger is a Ledger in memory, as the sender sees it.
type memLedger struct {
	mu   sync.Mutex
	rows []*Entry
	// advances counts Advance calls; claimedMax the most rows Sending at
	// once.
	advances, claimedMax int
}

func newMemLedger(n int) *memLedger {
	l := &memLedger{}
	for i := range n {
		l.rows = append(l.rows, &Entry{Cardholder: fmt.Sprintf("C%04d", i), Variant: "v0001",
			Address: fmt.Sprintf("c%04d@example.com", i), State: Pending})
	}
	return l
}

func (l *memLedger) Advance(_ context.Context, outcomes []Outcome, n int, now time.Time) ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advances++
	for _, o := range outcomes {
		e := l.find(o.Cardholder)
		if e == nil || e.State != Sending {
			return nil, fmt.Errorf("outcome %s for %v", o.State, e)
		}
		e.State, e.Reason, e.NextAt, e.Reply = o.State, o.Reason, o.NextAt, o.Reply
		if o.State == Pending || o.State == Skipped || o.State == Suppressed {
			e.Attempts--
		}
	}
	var out []Entry
	for _, due := range []func(*Entry) bool{
		func(e *Entry) bool { return e.State == Pending },
		func(e *Entry) bool { return e.State == Deferred && !e.NextAt.After(now) },
	} {
		for _, e := range l.rows {
			if len(out) == n {
				break
			}
			if due(e) {
				e.State = Sending
				e.Attempts++
				out = append(out, *e)
			}
		}
	}
	sending := 0
	for _, e := range l.rows {
		if e.State == Sending {
			sending++
		}
	}
	l.claimedMax = max(l.claimedMax, sending)
	return out, nil
}

func (l *memLedger) NextDue(context.Context) (time.Time, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var next time.Time
	ok := false
	for _, e := range l.rows {
		if e.State == Deferred && (!ok || e.NextAt.Before(next)) {
			next, ok = e.NextAt, true
		}
	}
	return next, ok, nil
}

func (l *memLedger) find(id string) *Entry {
	for _, e := range l.rows {
		if e.Cardholder == id {
			return e
		}
	}
	return nil
}

func (l *memLedger) states() map[State]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[State]int{}
	for _, e := range l.rows {
		out[e.State]++
	}
	return out
}

var _ Ledger = (*memLedger)(nil)

// testBuild composes a plain message for an entry.
func testBuild(e Entry) (*Outgoing, error) {
	m, err := testMsg(e)
	if err != nil {
		return nil, err
	}
	return OutgoingOf(m)
}

func testMsg(e Entry) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := m.From("news@example.com"); err != nil {
		return nil, err
	}
	if err := m.To(e.Address); err != nil {
		return nil, err
	}
	m.Subject("hello " + e.Cardholder)
	m.SetBodyString(gomail.TypeTextPlain, "hello\n")
	return m, nil
}

func testRelay(srv *smtptest.Server, conns int) *Relay {
	return &Relay{Host: "127.0.0.1", Port: srv.Port(), TLS: TLSNone, Connections: conns, PerConnection: 20,
		SlowDown: time.Millisecond, Timeout: 5 * time.Second}
}

func TestSenderDeliversEachOnce(t *testing.T) {
	tests := []struct {
		name   string
		faults smtptest.Faults
		reject func(string) bool
		conns  int
	}{
		{"clean", smtptest.Faults{}, nil, 3},
		{"faults", smtptest.Faults{Seed: 3, TempMail: 0.05, TempRcpt: 0.05, TempData: 0.05, DropBeforeData: 0.05, DropAfterData: 0.05,
			Throttle: 0.02}, func(r string) bool { return r[4] == '3' }, 4},
		{"one connection", smtptest.Faults{Seed: 4, TempData: 0.1, DropAfterData: 0.1}, nil, 1},
	}
	for _, tt := range tests {
		for _, pipelining := range []bool{true, false} {
			name := tt.name + ", pipelined"
			if !pipelining {
				name = tt.name + ", a command at a time"
			}
			t.Run(name, func(t *testing.T) { testDeliversEachOnce(t, tt.faults, tt.reject, tt.conns, pipelining) })
		}
	}
}

// testDeliversEachOnce sends 300 messages to a server with faults over
// conns connections: every recipient not rejected gets one message.
func testDeliversEachOnce(t *testing.T, faults smtptest.Faults, reject func(string) bool, conns int, pipelining bool) {
	faults.Reject = reject
	srv, err := smtptest.Start(smtptest.Options{Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	l := newMemLedger(300)
	var suppressed []string
	var mu sync.Mutex
	relay := testRelay(srv, conns)
	relay.NoPipelining = !pipelining
	s := &Sender{Ledger: l, Relays: []*Relay{relay}, Build: testBuild,
		Retry: Retry{Attempts: 50, Base: time.Millisecond, Max: 5 * time.Millisecond}, Pause: Pause{Share: 1},
		Suppress: func(e Entry, _ Reply) { mu.Lock(); suppressed = append(suppressed, e.Cardholder); mu.Unlock() }}
	p, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := l.states()
	for _, e := range l.rows {
		got := srv.Received(e.Address)
		rejected := reject != nil && reject(e.Address)
		switch {
		case rejected && (e.State != Failed || got != 0 || e.Reply.Code != 550):
			t.Errorf("%s, refused: %s %+v, %d messages", e.Cardholder, e.State, e.Reply, got)
		case !rejected && (e.State != Sent || got != 1):
			t.Errorf("%s: %s (%s), %d messages", e.Cardholder, e.State, e.Reason, got)
		case !rejected && (e.Reply.Code != 250 || e.Reply.Enhanced != "2.0.0"):
			t.Errorf("%s: sent with the reply %+v, want 250 2.0.0", e.Cardholder, e.Reply)
		}
	}
	if p.Sent != st[Sent] || p.Sent != len(srv.Messages()) || p.InFlight != 0 {
		t.Errorf("progress %+v, ledger %v, server %d", p, st, len(srv.Messages()))
	}
	sort.Strings(suppressed)
	if len(suppressed) != st[Failed] {
		t.Errorf("suppressed %v, failed %d", suppressed, st[Failed])
	}
	// One message handed over and one queued per connection. (The
	// server's peak of connections is no measure: it counts a
	// connection the client closed until it has seen it close.)
	if l.claimedMax > 2*conns {
		t.Errorf("%d messages Sending at once with %d connections", l.claimedMax, conns)
	}
	t.Logf("ledger %v, server %+v, %d commits", st, srv.Stats(), l.advances)
}

// A relay's timeout bounds each exchange, not a connection's life: a
// connection that lives longer, sending slowly, goes on.
func TestSenderTimeoutIsPerExchange(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, pipelining := range []bool{true, false} {
		l := newMemLedger(12)
		r := testRelay(srv, 1)
		r.Timeout, r.Rate, r.NoPipelining = 200*time.Millisecond, 20, !pipelining
		start := time.Now()
		s := &Sender{Ledger: l, Relays: []*Relay{r}, Build: testBuild, Retry: Retry{Base: 10 * time.Millisecond}}
		if _, err := s.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, e := range l.rows {
			if e.State != Sent || e.Attempts != 1 {
				t.Errorf("pipelining %v: over one connection of %v: %s %s after %d attempts (%s)",
					pipelining, time.Since(start).Round(time.Millisecond), e.Cardholder, e.State, e.Attempts, e.Reply.Text)
			}
		}
	}
}

func TestSenderPausesAndStops(t *testing.T) {
	t.Run("pause", func(t *testing.T) {
		srv, err := smtptest.Start(smtptest.Options{Faults: smtptest.Faults{Seed: 1, TempRcpt: 1}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		l := newMemLedger(200)
		s := &Sender{Ledger: l, Relays: []*Relay{testRelay(srv, 2)}, Build: testBuild,
			Retry: Retry{Base: time.Millisecond}, Pause: Pause{Window: 50, Share: 0.1}}
		_, err = s.Run(context.Background())
		var pe *PausedError
		if !errors.As(err, &pe) || pe.Failures <= 5 || pe.Last.Code/100 != 4 {
			t.Fatalf("Run: %v", err)
		}
		if st := l.states(); st[Sending] != 0 || st[Sent] != 0 {
			t.Errorf("after the pause: %v", st)
		}
	})
	t.Run("cancel gives back what was not handed over", func(t *testing.T) {
		srv, err := smtptest.Start(smtptest.Options{Faults: smtptest.Faults{Delay: 20 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		l := newMemLedger(500)
		ctx, cancel := context.WithCancel(context.Background())
		s := &Sender{Ledger: l, Relays: []*Relay{testRelay(srv, 3)}, Build: testBuild,
			Progress: func(p Progress) {
				if p.Sent > 0 {
					cancel()
				}
			}}
		time.AfterFunc(2*time.Second, cancel)
		_, err = s.Run(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v", err)
		}
		st := l.states()
		if st[Sending] != 0 || st[Sent] != len(srv.Messages()) || st[Sent]+st[Pending] != 500 {
			t.Errorf("after cancel: %v, server %d", st, len(srv.Messages()))
		}
	})
	t.Run("a relay that refuses the credentials stops the send", func(t *testing.T) {
		srv, err := smtptest.Start(smtptest.Options{Username: "u", Password: "right"})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		r := testRelay(srv, 2)
		r.Auth, r.Username, r.Password = "plain", "u", "wrong"
		l := newMemLedger(20)
		_, err = (&Sender{Ledger: l, Relays: []*Relay{r}, Build: testBuild}).Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "535") {
			t.Errorf("Run: %v, want the relay's refusal", err)
		}
		if st := l.states(); st[Pending] != 20 {
			t.Errorf("after the refusal: %v", st)
		}
	})
	t.Run("a refused recipient is skipped, a build error stops", func(t *testing.T) {
		srv, err := smtptest.Start(smtptest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		l := newMemLedger(10)
		build := func(e Entry) (*Outgoing, error) {
			switch e.Cardholder {
			case "C0003":
				return nil, &RefusedError{Recipient: e.Cardholder, Err: fmt.Errorf("subject: %w", render.ErrHeader)}
			case "C0004":
				return nil, &SuppressedError{Reason: "unsubscribe"}
			}
			return testBuild(e)
		}
		if _, err := (&Sender{Ledger: l, Relays: []*Relay{testRelay(srv, 1)}, Build: build}).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if l.find("C0003").State != Skipped || l.find("C0004").State != Suppressed || l.states()[Sent] != 8 {
			t.Errorf("ledger %v", l.states())
		}
		l2 := newMemLedger(10)
		broken := func(e Entry) (*Outgoing, error) { return nil, io.ErrUnexpectedEOF }
		if _, err := (&Sender{Ledger: l2, Relays: []*Relay{testRelay(srv, 1)}, Build: broken}).Run(context.Background()); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Run with a broken build: %v", err)
		}
	})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		delivered bool
		want      State
		throttled bool
	}{
		{"accepted", nil, true, Sent, false},
		{"delivered, then RSET failed", io.EOF, true, Sent, false},
		{"network error before the end", &net.OpError{Op: "read", Err: io.EOF}, false, Deferred, false},
		{"no reply", errors.New("dial tcp: connection refused"), false, Deferred, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, throttled, _ := classify(tt.err, tt.delivered, "250 2.0.0 Ok: queued")
			if st != tt.want || throttled != tt.throttled {
				t.Errorf("classify = %s, %v; want %s, %v", st, throttled, tt.want, tt.throttled)
			}
		})
	}
	r := parseReply("250 2.0.0 Ok: queued as 1234")
	if r.Code != 250 || r.Enhanced != "2.0.0" {
		t.Errorf("parseReply = %+v", r)
	}
}

func TestLimits(t *testing.T) {
	t.Run("per domain", func(t *testing.T) {
		l := newLimits(&Relay{PerDomain: 2})
		ctx := context.Background()
		for range 2 {
			if err := l.acquire(ctx, "example.com", time.Now); err != nil {
				t.Fatal(err)
			}
		}
		ctx2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := l.acquire(ctx2, "example.com", time.Now); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a third message to the domain: %v, want it to wait", err)
		}
		if err := l.acquire(ctx, "other.example", time.Now); err != nil {
			t.Errorf("another domain: %v", err)
		}
		l.release("example.com")
		if err := l.acquire(ctx, "example.com", time.Now); err != nil {
			t.Errorf("after a release: %v", err)
		}
	})
	t.Run("per hour", func(t *testing.T) {
		now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		l := newLimits(&Relay{PerHour: 3})
		for range 3 {
			if err := l.acquire(context.Background(), "a", clock); err != nil {
				t.Fatal(err)
			}
			l.release("a")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := l.acquire(ctx, "a", clock); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a fourth message in the hour: %v, want it to wait", err)
		}
		now = now.Add(time.Hour)
		if err := l.acquire(context.Background(), "a", clock); err != nil {
			t.Errorf("an hour later: %v", err)
		}
	})
	t.Run("rate", func(t *testing.T) {
		l := newLimits(&Relay{Rate: 100, Connections: 1})
		start := time.Now()
		for range 21 {
			l.acquire(context.Background(), "a", time.Now)
			l.release("a")
		}
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Errorf("21 messages at 100/s took %v", d)
		}
	})
	t.Run("slow down and recover", func(t *testing.T) {
		l := newLimits(&Relay{SlowDown: 10 * time.Millisecond, Rate: 100})
		now := time.Now()
		l.slowDown(now)
		l.slowDown(now)
		if l.slowStep != 20*time.Millisecond || l.rate.Limit() != 25 {
			t.Errorf("after two throttling replies: wait %v, rate %v", l.slowStep, l.rate.Limit())
		}
		l.recovered()
		l.recovered()
		if l.slowStep != 0 {
			t.Errorf("after two messages accepted: wait %v", l.slowStep)
		}
	})
}

func TestRetryPolicy(t *testing.T) {
	s := &Sender{}
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	r := Retry{Attempts: 3, Base: time.Minute, Max: 10 * time.Minute, Deadline: at.Add(time.Hour)}
	for _, tt := range []struct {
		attempts int
		min, max time.Duration
		want     State
	}{
		{1, 30 * time.Second, 90 * time.Second, Deferred},
		{2, time.Minute, 3 * time.Minute, Deferred},
		{3, 0, 0, Failed},
	} {
		o := s.retry(Outcome{State: Deferred, At: at, entry: Entry{Attempts: tt.attempts}}, r)
		if o.State != tt.want {
			t.Errorf("attempt %d: %s, want %s", tt.attempts, o.State, tt.want)
			continue
		}
		if d := o.NextAt.Sub(at); tt.want == Deferred && (d < tt.min || d > tt.max) {
			t.Errorf("attempt %d: retried after %v, want %v to %v", tt.attempts, d, tt.min, tt.max)
		}
	}
	late := s.retry(Outcome{State: Deferred, At: at.Add(59 * time.Minute), entry: Entry{Attempts: 2}}, r)
	if late.State != Failed {
		t.Errorf("past the deadline: %s", late.State)
	}
}
