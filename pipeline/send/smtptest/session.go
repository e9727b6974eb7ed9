package smtptest

import (
	"crypto/tls"
	"errors"
	"io"
	"slices"

	sasl "github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"
)

// The replies the server makes on its own account.
var (
	errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	errTempClose    = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "temporary failure, closing connection"}
	errTemp         = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary failure, try again later"}
	errThrottled    = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 28}, Message: "rate limited, slow down"}
	errRejected     = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
)

// backend makes a session per connection (and a new one after STARTTLS).
type backend struct{ srv *Server }

var _ smtp.Backend = backend{}

// NewSession finds the connection's wrapper under go-smtp's connection.
func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	nc := c.Conn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	cn, ok := nc.(*conn)
	if !ok {
		return nil, errors.New("smtptest: connection not accepted by the server's listener")
	}
	return &session{srv: b.srv, conn: cn}, nil
}

// session is one SMTP session: it injects the faults and records the
// messages accepted.
type session struct {
	srv    *Server
	conn   *conn
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

// AuthMechanisms offers PLAIN and LOGIN when the server has credentials.
func (s *session) AuthMechanisms() []string {
	if s.srv.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth checks the client's credentials against Options.
func (s *session) Auth(mech string) (sasl.Server, error) {
	if s.srv.opts.Username == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	check := func(username, password string) error {
		if username != s.srv.opts.Username || password != s.srv.opts.Password {
			s.srv.count(func(st *Stats) { st.AuthFailures++ })
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				s.srv.count(func(st *Stats) { st.AuthFailures++ })
				return smtp.ErrAuthFailed
			}
			return check(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// Mail starts a transaction, unless a throttle or a temporary failure
// is drawn.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.srv.count(func(st *Stats) { st.Transactions++ })
	s.from, s.to = "", nil
	if s.srv.opts.Username != "" && !s.authed {
		return errAuthRequired
	}
	f := s.srv.opts.Faults
	if s.conn.chance(f.Throttle) {
		s.srv.count(func(st *Stats) { st.Throttled++ })
		s.conn.hangUpAfterWrite.Store(true)
		return errThrottled
	}
	if s.conn.chance(f.TempMail) {
		return s.tempFail(func(st *Stats) { st.TempMail++ })
	}
	s.from = from
	return nil
}

// Rcpt adds a recipient, unless Faults.Reject refuses it or a temporary
// failure is drawn. At the transaction's first recipient accepted it
// draws DropBeforeData.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	f := s.srv.opts.Faults
	if f.Reject != nil && f.Reject(to) {
		s.srv.count(func(st *Stats) { st.Rejected++ })
		return errRejected
	}
	if s.conn.chance(f.TempRcpt) {
		return s.tempFail(func(st *Stats) { st.TempRcpt++ })
	}
	s.to = append(s.to, to)
	if len(s.to) == 1 && s.conn.chance(f.DropBeforeData) {
		s.srv.count(func(st *Stats) { st.DroppedBeforeData++ })
		s.conn.hangUpAfterWrite.Store(true)
	}
	return nil
}

// Data reads the message and accepts it, unless a temporary failure is
// drawn; an accepted message may be followed by DropAfterData.
func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f := s.srv.opts.Faults
	if s.conn.chance(f.TempData) {
		return s.tempFail(func(st *Stats) { st.TempData++ })
	}
	s.srv.accept(Message{From: s.from, To: slices.Clone(s.to), Data: data})
	if s.conn.chance(f.DropAfterData) {
		s.srv.count(func(st *Stats) { st.DroppedAfterData++ })
		s.conn.hangUpAfterWrite.Store(true)
	}
	return nil
}

// tempFail counts a temporary failure with stage and returns its reply:
// 421 with the connection closed or 451, at even odds.
func (s *session) tempFail(stage func(*Stats)) error {
	closing := s.conn.chance(0.5)
	s.srv.count(func(st *Stats) {
		stage(st)
		if closing {
			st.TempClosed++
		}
	})
	if closing {
		s.conn.hangUpAfterWrite.Store(true)
		return errTempClose
	}
	return errTemp
}

// Reset ends the transaction (RSET, a new EHLO, or the end of DATA).
func (s *session) Reset() { s.from, s.to = "", nil }

// Logout has nothing to free.
func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl no longer
// provides: "Username:", then "Password:", each answered in base64. An
// initial response, if any, is the username.
type loginServer struct {
	check    func(username, password string) error
	username string
	step     int
}

var _ sasl.Server = (*loginServer)(nil)

// Next asks for the username, then the password, then checks them.
func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		if response == nil {
			l.step = 1
			return []byte("Username:"), false, nil
		}
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.username, string(response))
	}
	return nil, true, sasl.ErrUnexpectedClientResponse
}
