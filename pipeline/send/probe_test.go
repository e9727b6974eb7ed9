package send

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
)

func TestProbe(t *testing.T) {
	start := func(t *testing.T, opts smtptest.Options) *smtptest.Server {
		t.Helper()
		srv, err := smtptest.Start(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv
	}
	relay := func(srv *smtptest.Server, tlsMode string) *Relay {
		r := &Relay{Host: srv.Host(), Port: srv.Port(), TLS: tlsMode, Timeout: 5 * time.Second}
		if pool := srv.CertPool(); pool != nil {
			r.TLSConfig = &tls.Config{RootCAs: pool, ServerName: srv.Host()}
		}
		return r
	}
	// closedPort is a port nothing listens on.
	closedPort := func(t *testing.T) int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return port
	}
	tests := []struct {
		name    string
		server  smtptest.Options
		relay   func(t *testing.T, srv *smtptest.Server) *Relay
		wantErr string // "" for none
	}{
		{"plain, no auth", smtptest.Options{},
			func(t *testing.T, srv *smtptest.Server) *Relay { return relay(srv, TLSNone) }, ""},
		{"starttls and auth", smtptest.Options{TLS: smtptest.TLSStartTLS, Username: "u", Password: "right"},
			func(t *testing.T, srv *smtptest.Server) *Relay {
				r := relay(srv, TLSStartTLS)
				r.Auth, r.Username, r.Password = "plain", "u", "right"
				return r
			}, ""},
		{"auth refused", smtptest.Options{Username: "u", Password: "right"},
			func(t *testing.T, srv *smtptest.Server) *Relay {
				r := relay(srv, TLSNone)
				r.Auth, r.Username, r.Password = "plain", "u", "wrong-secret"
				return r
			}, "535"},
		{"starttls required, not offered", smtptest.Options{},
			func(t *testing.T, srv *smtptest.Server) *Relay { return relay(srv, TLSStartTLS) }, "STARTTLS"},
		{"closed port", smtptest.Options{},
			func(t *testing.T, srv *smtptest.Server) *Relay {
				return &Relay{Host: "127.0.0.1", Port: closedPort(t), TLS: TLSNone, Timeout: 2 * time.Second}
			}, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, tt.server)
			err := Probe(context.Background(), tt.relay(t, srv))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Probe: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Probe: %v, want an error with %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "wrong-secret"):
				t.Fatalf("Probe: %v: the password is in the error", err)
			}
			if st := srv.Stats(); st.Transactions != 0 || st.Accepted != 0 {
				t.Errorf("the probe sent something: %+v", st)
			} else if tt.wantErr == "" && (st.Connections != 1 || st.AuthFailures != 0) {
				t.Errorf("server: %+v, want one connection and no refused AUTH", st)
			}
			t.Log(err)
		})
	}
}
