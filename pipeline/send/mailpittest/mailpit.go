// Package mailpittest runs Mailpit (github.com/axllent/mailpit), a real
// mail catcher, for end-to-end tests: Start launches the mailpit binary on
// loopback with its own ports and database, and the methods read what it
// caught through its HTTP API (/api/v1).
//
// The binary is installed with
//
//	go install github.com/axllent/mailpit@v1.33.1
//
// Without it the tests that need it are skipped, or fail when CI=true.
package mailpittest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Install is the command that installs the Mailpit version this package
// is written against.
const Install = "go install github.com/axllent/mailpit@v1.33.1"

const (
	// startTimeout bounds how long Start waits for Mailpit to answer.
	startTimeout = 20 * time.Second
	// stopTimeout bounds how long Mailpit has to exit after SIGTERM.
	stopTimeout = 5 * time.Second
	// pageSize is how many summaries Messages asks for at a time.
	pageSize = 500
	// pollInterval is how often WaitFor asks Mailpit.
	pollInterval = 25 * time.Millisecond
)

// Mailpit is a running Mailpit, started by Start.
type Mailpit struct {
	smtpAddr string
	api      string // "http://127.0.0.1:port/api/v1/"
	http     *http.Client
}

// Address is a mail address in a Summary.
type Address struct {
	Name    string
	Address string
}

// Summary is a message as Mailpit lists it (storage.MessageSummary in
// Mailpit's source, JSON field names as Mailpit writes them).
type Summary struct {
	// ID is Mailpit's id for the message, for Raw and Headers.
	ID string
	// MessageID is the Message-ID header, without angle brackets.
	MessageID string
	Read      bool
	From      *Address
	To        []Address
	Cc        []Address
	Bcc       []Address
	ReplyTo   []Address
	Subject   string
	// Created is when Mailpit received the message.
	Created time.Time
	// Username is the name the client authenticated with, if any.
	Username string
	Tags     []string
	// Size is the raw message's size in bytes.
	Size        uint64
	Attachments int
	// Snippet is the start of the message's text.
	Snippet string
}

// messages is the JSON of GET /api/v1/messages.
type messages struct {
	Total    int       `json:"total"`
	Start    int       `json:"start"`
	Messages []Summary `json:"messages"`
}

// Start starts Mailpit on loopback, with free ports for SMTP and HTTP, no
// authentication required (any credentials are accepted, over plain text
// too), no cap on the messages kept, and its database in a directory of
// t's own (Mailpit v1.33.1 has no in-memory database). It returns once
// the API and the SMTP port answer, and stops Mailpit when the test ends.
//
// It looks for the binary on PATH, then in $(go env GOBIN) and in the bin
// directory of every $(go env GOPATH) entry. Without it the test is
// skipped; when the environment says CI=true, it fails instead.
func Start(t testing.TB) *Mailpit {
	t.Helper()
	bin, err := find()
	if err != nil {
		msg := fmt.Sprintf("mailpittest: %v; install it with: %s", err, Install)
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	// A free port found now may be taken before Mailpit binds it: try again.
	for attempt := 1; ; attempt++ {
		m, err := start(t, bin, dir, attempt)
		if err == nil {
			return m
		}
		var busy *portBusyError
		if !errors.As(err, &busy) || attempt == 3 {
			t.Fatal(err)
		}
	}
}

// find looks for the mailpit binary.
func find() (string, error) {
	name := "mailpit"
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("mailpit not found on PATH, and no go command to find $(go env GOPATH)")
	}
	out, err := exec.Command(goCmd, "env", "GOBIN", "GOPATH", "GOEXE").Output()
	if err != nil {
		return "", fmt.Errorf("mailpit not found on PATH, and go env failed: %w", err)
	}
	// One line each, empty ones included.
	lines := strings.Split(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n")
	if len(lines) < 3 {
		return "", fmt.Errorf("go env GOBIN GOPATH GOEXE: unexpected output %q", out)
	}
	gobin, gopath, exe := lines[0], lines[1], lines[2]
	var dirs []string
	if gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, p := range filepath.SplitList(gopath) {
		if p != "" {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name+exe)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("mailpit not found on PATH nor in %s", strings.Join(dirs, ", "))
}

// portBusyError says Mailpit could not bind a port that was free a
// moment before.
type portBusyError struct{ err error }

func (e *portBusyError) Error() string { return e.err.Error() }

// start runs Mailpit once. On failure it has stopped it again.
func start(t testing.TB, bin, dir string, attempt int) (*Mailpit, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("mailpittest: %w", err)
	}
	smtpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	httpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	cmd := exec.Command(bin,
		"--smtp", smtpAddr,
		"--listen", httpAddr,
		"--database", filepath.Join(dir, fmt.Sprintf("mailpit-%d.db", attempt)),
		"--max", "0",
		"--smtp-auth-accept-any",
		"--smtp-auth-allow-insecure",
		"--smtp-disable-rdns",
		"--disable-version-check",
	)
	// Mailpit reads its settings from MP_* variables too: keep the
	// caller's out, so that every test gets the same Mailpit.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("mailpittest: %w", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			_ = cmd.Process.Kill()
		}
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	m := &Mailpit{
		smtpAddr: smtpAddr,
		api:      "http://" + httpAddr + "/api/v1/",
		http:     &http.Client{Timeout: 10 * time.Second},
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		if m.ready(ctx) {
			break
		}
		select {
		case <-exited:
			err := fmt.Errorf("mailpittest: mailpit exited before it answered (%v):\n%s", waitErr, out)
			if strings.Contains(out.String(), "address already in use") {
				return nil, &portBusyError{err}
			}
			return nil, err
		case <-ctx.Done():
			stop()
			return nil, fmt.Errorf("mailpittest: mailpit did not answer on %s and %s within %v:\n%s",
				httpAddr, smtpAddr, startTimeout, out)
		case <-time.After(pollInterval):
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("mailpit's log:\n%s", out)
		}
	})
	return m, nil
}

// ready reports whether the API answers and the SMTP port accepts.
func (m *Mailpit) ready(ctx context.Context) bool {
	if _, err := m.page(ctx, 0, 1); err != nil {
		return false
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", m.smtpAddr)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// freePorts finds n free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// SMTPAddr is the address Mailpit takes mail on, "127.0.0.1:port".
func (m *Mailpit) SMTPAddr() string { return m.smtpAddr }

// Messages lists every message Mailpit holds, oldest first (the API
// lists newest first; Messages reads every page and reverses the list).
func (m *Mailpit) Messages(ctx context.Context) ([]Summary, error) {
	var all []Summary
	seen := make(map[string]bool)
	for start := 0; ; {
		p, err := m.page(ctx, start, pageSize)
		if err != nil {
			return nil, err
		}
		for _, s := range p.Messages {
			// A message arriving between pages shifts the next page by one.
			if !seen[s.ID] {
				seen[s.ID] = true
				all = append(all, s)
			}
		}
		start += len(p.Messages)
		if len(p.Messages) == 0 || start >= p.Total {
			break
		}
	}
	slices.Reverse(all)
	return all, nil
}

// page is GET /api/v1/messages?start=start&limit=limit.
func (m *Mailpit) page(ctx context.Context, start, limit int) (*messages, error) {
	q := url.Values{"start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(limit)}}
	b, err := m.get(ctx, "messages?"+q.Encode())
	if err != nil {
		return nil, err
	}
	var p messages
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("mailpittest: GET messages: %w", err)
	}
	return &p, nil
}

// Raw returns the message with Mailpit's id as Mailpit stored it: the
// bytes the client sent after DATA, after the trace headers Mailpit
// prepends (Received, and Return-Path when the message has none).
func (m *Mailpit) Raw(ctx context.Context, id string) ([]byte, error) {
	return m.get(ctx, "message/"+url.PathEscape(id)+"/raw")
}

// Headers returns the headers of the message with Mailpit's id, keyed by
// their canonical names (net/textproto.CanonicalMIMEHeaderKey), each with
// its values in order.
func (m *Mailpit) Headers(ctx context.Context, id string) (map[string][]string, error) {
	b, err := m.get(ctx, "message/"+url.PathEscape(id)+"/headers")
	if err != nil {
		return nil, err
	}
	var h map[string][]string
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("mailpittest: GET message/%s/headers: %w", id, err)
	}
	return h, nil
}

// WaitFor waits until Mailpit holds at least n messages and returns them
// all, as Messages does. When ctx ends first, it returns the messages
// that arrived and an error that wraps ctx.Err(); ctx should carry a
// deadline.
func (m *Mailpit) WaitFor(ctx context.Context, n int) ([]Summary, error) {
	for {
		p, err := m.page(ctx, 0, 1)
		if err == nil && p.Total >= n {
			return m.Messages(ctx)
		}
		select {
		case <-ctx.Done():
			// One last look, briefly, to say how many did arrive.
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			got, _ := m.Messages(last)
			cancel()
			if err != nil && !errors.Is(err, ctx.Err()) {
				return got, fmt.Errorf("mailpittest: %d of %d messages arrived: %w (last error: %v)", len(got), n, ctx.Err(), err)
			}
			return got, fmt.Errorf("mailpittest: %d of %d messages arrived: %w", len(got), n, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// get reads the API path under /api/v1/, and fails unless Mailpit says
// 200 OK.
func (m *Mailpit) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.api+path, nil)
	if err != nil {
		return nil, fmt.Errorf("mailpittest: %w", err)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mailpittest: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("mailpittest: GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailpittest: GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

// syncBuffer collects Mailpit's output from its two pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
