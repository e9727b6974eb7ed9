package pipeline

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/tailor-mail/tailor/pipeline/send/mailpittest"
)

// TestSendToMailpit sends the example, DKIM-signed, to a real mail catcher
// (Mailpit) and reads every message back through its API: each arrived
// whole, with its text and HTML parts, the bulk-sender headers, and a DKIM
// signature that an independent verifier accepts over the headers a
// mailbox provider requires signed. It runs with an Ed25519 and an RSA key.
func TestSendToMailpit(t *testing.T) {
	for _, alg := range []string{"ed25519", "rsa"} {
		t.Run(alg, func(t *testing.T) {
			mp := mailpittest.Start(t)
			key, record := dkimKey(t, alg)
			host, port, err := net.SplitHostPort(mp.SMTPAddr())
			if err != nil {
				t.Fatal(err)
			}
			cfg := quickstartConfig(t)
			cfg.Outbox = OutboxNone
			c := *cfg.Campaign
			p, _ := strconv.Atoi(port)
			c.SMTP = []SMTPConfig{{Host: host, Port: p, TLS: "none", Connections: 4}}
			c.DKIM = DKIMConfig{Domain: "meridian.example.com", Selector: "tailor", KeyFile: key}
			cfg.Campaign = &c
			run := mustRun(t, cfg)
			res, err := Send(context.Background(), sendConfig(cfg, run.Dir))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			msgs, err := mp.WaitFor(ctx, res.Totals["sent"])
			if err != nil {
				t.Fatalf("%v (sent %d)", err, res.Totals["sent"])
			}
			if len(msgs) != run.Audience.Mail {
				t.Errorf("Mailpit has %d messages, %d cardholders may be mailed", len(msgs), run.Audience.Mail)
			}
			lookup := func(domain string) ([]string, error) {
				if domain != "tailor._domainkey.meridian.example.com" {
					return nil, &net.DNSError{Err: "no such host", Name: domain, IsNotFound: true}
				}
				return []string{record}, nil
			}
			for i, s := range msgs {
				if i%37 != 0 { // a sample of about 50, every variant among them
					continue
				}
				raw, err := mp.Raw(ctx, s.ID)
				if err != nil {
					t.Fatal(err)
				}
				checkDelivered(t, s.Subject, raw, lookup)
			}
		})
	}
}

// checkDelivered checks one message as a mailbox receives it.
func checkDelivered(t *testing.T, subject string, raw []byte, lookup func(string) ([]string, error)) {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil || len(vs) != 1 || vs[0].Err != nil {
		var why []string
		for _, v := range vs {
			why = append(why, fmt.Sprintf("%+v", *v))
		}
		t.Fatalf("%s: DKIM: %v %v", subject, err, why)
	}
	signed := map[string]bool{}
	for _, h := range vs[0].HeaderKeys {
		signed[strings.ToLower(h)] = true
	}
	for _, h := range []string{"from", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"} {
		if !signed[h] {
			t.Errorf("%s: DKIM does not sign %s (signs %v)", subject, h, vs[0].HeaderKeys)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	if lu := h.Get("List-Unsubscribe"); !strings.HasPrefix(lu, "<https://meridian.example.com/unsubscribe?") || !strings.Contains(lu, ", <mailto:unsubscribe@meridian.example.com?subject=") {
		t.Errorf("%s: List-Unsubscribe %q", subject, lu)
	}
	for name, want := range map[string]string{
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Id":               "Meridian Card <quickstart.meridian.example.com>",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s %q, want %q", subject, name, got, want)
		}
	}
	if v := h.Get("X-Tailor-Variant"); v == "" || !strings.HasPrefix(h.Get("Feedback-ID"), v+":quickstart-2026-10:newsletter:") {
		t.Errorf("%s: X-Tailor-Variant %q, Feedback-ID %q", subject, v, h.Get("Feedback-ID"))
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("%s: Content-Type %q", subject, h.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		var b bytes.Buffer
		b.ReadFrom(p)
		if b.Len() < 500 {
			t.Errorf("%s: %s part of %d bytes", subject, ct, b.Len())
		}
		parts = append(parts, ct)
	}
	if strings.Join(parts, ",") != "text/plain,text/html" {
		t.Errorf("%s: parts %v", subject, parts)
	}
}

// dkimKey writes a private key of the algorithm to a file readable by its
// owner alone and returns the file and the DNS record of its public key.
func dkimKey(t *testing.T, alg string) (string, string) {
	t.Helper()
	var signer crypto.Signer
	var pub []byte
	switch alg {
	case "ed25519":
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		signer, pub = k, p
	default:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		b, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		signer, pub = k, b
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, "v=DKIM1; k=" + alg + "; p=" + base64.StdEncoding.EncodeToString(pub)
}
