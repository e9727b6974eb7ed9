package smtptest

import (
	"crypto/tls"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// lingerTimeout bounds how long a connection the server hung up on keeps
// reading what the client still sends, before it is closed for good.
const lingerTimeout = 500 * time.Millisecond

// listener wraps every connection accepted, to count it, to cap the
// connections open at once, and to let a session hang up after a reply.
// With implicit TLS it puts TLS over the wrapped connection, so that
// go-smtp sees a *tls.Conn.
type listener struct {
	net.Listener
	srv *Server
}

// Accept returns the next connection under the cap; a connection over
// the cap is refused in its own goroutine, and Accept waits for the next.
func (l *listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		c, ok := l.srv.track(nc)
		if !ok {
			go c.refuse()
			continue
		}
		if l.srv.opts.TLS == TLSImplicit {
			return tls.Server(c, l.srv.tlsCfg), nil
		}
		return c, nil
	}
}

// conn is a connection as the server sees it, under TLS if any. It
// delays every write by Faults.Delay, and hangs up after a write when a
// session asked it to.
type conn struct {
	net.Conn
	srv     *Server
	counted bool // whether it counts toward MaxConnections

	mu  sync.Mutex // guards rng
	rng *rand.Rand // the connection's own draws, seeded with Faults.Seed and its number

	hangUpAfterWrite atomic.Bool
	hungUp           atomic.Bool
	releaseOnce      sync.Once
	closeOnce        sync.Once
}

// admitGrace is how long a connection over MaxConnections waits for
// another one to close before it is refused: a client that hangs up and
// dials again at once is not refused because the server has not yet
// seen the first connection end.
const admitGrace = 100 * time.Millisecond

// track registers a connection just accepted. It reports false when the
// connection is over MaxConnections and must be refused.
func (s *Server) track(nc net.Conn) (*conn, bool) {
	s.mu.Lock()
	s.seq++
	s.stats.Connections++
	c := &conn{
		Conn: nc,
		srv:  s,
		rng:  rand.New(rand.NewPCG(uint64(s.opts.Faults.Seed), uint64(s.seq))),
	}
	s.conns[c] = struct{}{}
	s.nconns.Add(1)
	s.mu.Unlock()
	if !s.admit() {
		s.count(func(st *Stats) { st.Refused++ })
		return c, false
	}
	c.counted = true
	return c, true
}

// admit takes a place under MaxConnections, waiting up to admitGrace for
// one to be freed. It reports false when none was.
func (s *Server) admit() bool {
	limit := s.opts.MaxConnections
	var timeout <-chan time.Time
	for {
		s.mu.Lock()
		if limit == 0 || s.active < limit {
			s.active++
			s.stats.PeakConnections = max(s.stats.PeakConnections, s.active)
			s.mu.Unlock()
			return true
		}
		s.mu.Unlock()
		if timeout == nil {
			timeout = time.After(admitGrace)
		}
		select {
		case <-s.freed:
		case <-timeout:
			return false
		}
	}
}

// release frees c's place under MaxConnections, once.
func (c *conn) release() {
	c.releaseOnce.Do(func() {
		if !c.counted {
			return
		}
		c.srv.mu.Lock()
		c.srv.active--
		c.srv.mu.Unlock()
		select {
		case c.srv.freed <- struct{}{}:
		default:
		}
	})
}

// forget unregisters c once it is closed for good.
func (c *conn) forget() {
	c.srv.mu.Lock()
	delete(c.srv.conns, c)
	c.srv.mu.Unlock()
	c.srv.nconns.Done()
}

// refuse answers a connection over MaxConnections with 421 and hangs up.
func (c *conn) refuse() {
	_ = c.SetDeadline(time.Now().Add(5*time.Second + c.srv.opts.Faults.Delay))
	var w io.Writer = c
	if c.srv.opts.TLS == TLSImplicit {
		w = tls.Server(c, c.srv.tlsCfg)
	}
	_, _ = io.WriteString(w, "421 4.7.0 too many connections, try again later\r\n")
	c.hangUp()
	_ = c.Close()
}

// chance draws whether an event of probability p happens.
func (c *conn) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng.Float64() < p
}

// Read reads from the client, or reports io.EOF once the server hung up,
// so that go-smtp ends the session.
func (c *conn) Read(p []byte) (int, error) {
	if c.hungUp.Load() {
		return 0, io.EOF
	}
	return c.Conn.Read(p)
}

// Write waits Faults.Delay, writes, and hangs up if a session asked for
// it: the reply it just wrote is the connection's last.
func (c *conn) Write(p []byte) (int, error) {
	if c.hungUp.Load() {
		return 0, net.ErrClosed
	}
	if d := c.srv.opts.Faults.Delay; d > 0 && !c.srv.closing.Load() {
		time.Sleep(d)
	}
	n, err := c.Conn.Write(p)
	if c.hangUpAfterWrite.Load() {
		c.hangUp()
	}
	return n, err
}

// hangUp ends the conversation after what was written: it shuts the
// write side (the client reads the last reply, then end of file), stops
// reading, and frees the connection's place under MaxConnections.
func (c *conn) hangUp() {
	if c.hungUp.Swap(true) {
		return
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	} else {
		_ = c.Conn.Close()
	}
	c.release()
}

// Close closes the connection. After a hang-up it first reads what the
// client still sends, until the client closes too or lingerTimeout
// passes, in the background: closing a socket with unread data sends a
// reset, which can destroy the last reply before the client reads it.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.release()
		if !c.hungUp.Load() {
			_ = c.Conn.Close()
			c.forget()
			return
		}
		go func() {
			defer c.forget()
			_ = c.Conn.SetReadDeadline(time.Now().Add(lingerTimeout))
			_, _ = io.Copy(io.Discard, c.Conn)
			_ = c.Conn.Close()
		}()
	})
	return nil
}
