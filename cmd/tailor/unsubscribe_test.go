package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/suppress"
)

// unsubscribeCampaign writes a campaign file in a folder of its own, its
// output root "out" beside it, and returns its path.
func unsubscribeCampaign(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "campaign.toml")
	err := os.WriteFile(path, []byte(`name = "october-rewards"
output = "out"
[inputs]
cardholders = "c.csv"
transactions = "t.csv"
[sender]
name = "Meridian"
from = "news@meridian.example"
postal_address = "1 Main St"
unsubscribe_url = "https://news.meridian.example/unsubscribe"
`+extra), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// serveInProcess starts the endpoint on 127.0.0.1:0 and returns its base
// URL and a function that stops it and returns what it returned.
func serveInProcess(t *testing.T, o unsubscribeOptions, stdout, stderr io.Writer) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	o.listening = func(a net.Addr) { addrs <- a }
	done := make(chan error, 1)
	go func() { done <- serveUnsubscribe(ctx, o, stdout, stderr) }()
	select {
	case a := <-addrs:
		return "http://" + a.String(), func() error { cancel(); return <-done }
	case err := <-done:
		cancel()
		t.Fatalf("serve returned at once: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve did not start listening")
	}
	return "", nil
}

func TestUnsubscribeServe(t *testing.T) {
	const secret = "k3y"
	campaign := unsubscribeCampaign(t, `unsubscribe_secret_env = "MERIDIAN_UNSUBSCRIBE_KEY"`+"\n")
	var stdout, stderr bytes.Buffer
	base, stop := serveInProcess(t, unsubscribeOptions{
		campaign: campaign, addr: "127.0.0.1:0",
		getenv: func(k string) string {
			if k == "MERIDIAN_UNSUBSCRIBE_KEY" {
				return secret
			}
			return ""
		},
	}, &stdout, &stderr)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	post := func(link string) int {
		t.Helper()
		res, err := http.Post(link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	good, err := render.UnsubscribeURL(base+"/unsubscribe", secret, "october-rewards", "C1")
	if err != nil {
		t.Fatal(err)
	}
	forged, err := render.UnsubscribeURL(base+"/unsubscribe", "not the key", "october-rewards", "C2")
	if err != nil {
		t.Fatal(err)
	}
	if got := post(good); got != http.StatusOK {
		t.Errorf("valid link: %d, want 200", got)
	}
	if got := post(forged); got != http.StatusBadRequest {
		t.Errorf("forged link: %d, want 400", got)
	}

	if err := stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	stopped = true
	path := filepath.Join(filepath.Dir(campaign), "out", "october-rewards", suppress.FileName)
	l, err := suppress.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if ok, reason := l.Has("C1", ""); !ok || reason != "unsubscribe" {
		t.Errorf("C1 on the list: %v %q, want unsubscribe", ok, reason)
	}
	if ok, _ := l.Has("C2", ""); ok || l.Len() != 1 {
		t.Errorf("the forged link wrote: %d entries", l.Len())
	}
	for _, want := range []string{strings.TrimPrefix(base, "http://"), path, "stopped"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout does not name %s:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("a warning on loopback:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), secret) || !strings.Contains(stderr.String(), `"C1": unsubscribed`) {
		t.Errorf("log:\n%s", stderr.String())
	}
}

func TestUnsubscribeServeWarnsOffLoopback(t *testing.T) {
	var stdout, stderr bytes.Buffer
	_, stop := serveInProcess(t, unsubscribeOptions{
		campaign: unsubscribeCampaign(t, ""), addr: "0.0.0.0:0", out: t.TempDir(),
		getenv: func(string) string { return "k3y" },
	}, &stdout, &stderr)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "warning: unsubscribe:") || !strings.Contains(stderr.String(), "TLS") {
		t.Errorf("no warning that the endpoint must sit behind TLS:\n%s", stderr.String())
	}
}

func TestUnsubscribeServeUsage(t *testing.T) {
	campaign := unsubscribeCampaign(t, "")
	named := unsubscribeCampaign(t, `unsubscribe_secret_env = "MERIDIAN_UNSUBSCRIBE_KEY"`+"\n")
	t.Setenv("TAILOR_UNSUBSCRIBE_SECRET", "")
	t.Setenv("MERIDIAN_UNSUBSCRIBE_KEY", "")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no secret", []string{"unsubscribe", "serve", "--campaign", campaign}, "TAILOR_UNSUBSCRIBE_SECRET is not set"},
		{"no secret, named", []string{"unsubscribe", "serve", "--campaign", named}, "MERIDIAN_UNSUBSCRIBE_KEY is not set"},
		{"no campaign", []string{"unsubscribe", "serve"}, "--campaign is required"},
		{"bad campaign", []string{"unsubscribe", "serve", "--campaign", filepath.Join(t.TempDir(), "none.toml")}, "none.toml"},
		{"argument", []string{"unsubscribe", "serve", "x", "--campaign", campaign}, "accepts 0 arg(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tt.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
	// Nothing was made before the secret was checked.
	if _, err := os.Stat(filepath.Join(filepath.Dir(campaign), "out")); !os.IsNotExist(err) {
		t.Errorf("out made without a secret: %v", err)
	}
}

func TestOutRoot(t *testing.T) {
	tests := []struct{ out, campaign, output, want string }{
		{"/srv/out", "c/campaign.toml", "elsewhere", "/srv/out"},
		{"", "c/campaign.toml", "", "out"},
		{"", "c/campaign.toml", "runs", filepath.Join("c", "runs")},
		{"", "c/campaign.toml", "/abs/runs", "/abs/runs"},
		{"", "campaign.toml", "runs", "runs"},
	}
	for _, tt := range tests {
		if got := outRoot(tt.out, tt.campaign, tt.output); got != tt.want {
			t.Errorf("outRoot(%q, %q, %q) = %q, want %q", tt.out, tt.campaign, tt.output, got, tt.want)
		}
	}
}
