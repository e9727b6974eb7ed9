package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPreviewServe runs the example and serves its preview on loopback:
// the index lists the variants, a variant page answers, and the preview
// stops when interrupted.
func TestPreviewServe(t *testing.T) {
	p := startPreview(t, false)
	base, stdout, stderr := p.base, p.stdout, p.stderr
	for path, want := range map[string]string{"/": "v0012", "/v/v0001": "v0001", "/v/v0001/text": "Why you got this"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %s, body without %q", path, resp.Status, want)
		}
	}
	if err := p.stop(); err != nil {
		t.Fatalf("preview: %v", err)
	}
	if !strings.Contains(stdout.String(), "tailor: preview stopped") || stderr.Len() != 0 && strings.Contains(stderr.String(), "warning: preview") {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// An address other than loopback warns that the previews show
// cardholders' data.
func TestPreviewWarnsOffLoopback(t *testing.T) {
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := servePreview(ctx, previewOptions{dir: t.TempDir(), addr: "0.0.0.0:0"}, &stdout, &stderr)
	if !strings.Contains(stderr.String(), "is not a loopback address") {
		t.Errorf("stderr %q (err %v)", stderr.String(), err)
	}
}

// TestPreviewLiveReload edits the template folder a preview watches: the
// variants are rendered again and open pages are told to reload; a
// template error reaches them with its file and line, and a fix recovers.
func TestPreviewLiveReload(t *testing.T) {
	p := startPreview(t, true)
	base, tpl := p.base, p.templates
	resp, err := http.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(prefix string) string {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the event stream ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-deadline:
				t.Fatalf("no %q event", prefix)
			}
		}
	}
	greeting := filepath.Join(tpl, "blocks", "intro-greeting.md")
	src, err := os.ReadFile(greeting)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(body string) {
		if err := os.WriteFile(greeting, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	edit(strings.Replace(string(src), "Here are this month", "Live from the preview: here are this month", 1))
	waitFor("data: reload")
	page := get(t, base+"/v/v0001/html")
	if !strings.Contains(page, "Live from the preview") {
		t.Errorf("the variant was not rendered again after the edit")
	}
	edit(strings.Replace(string(src), "{{ .Recipient.FirstName }}", "{{ .Recipient.Frist }}", 1))
	waitFor("event: problem")
	var problem []string
	for l := waitFor("data: "); l != ""; l = <-lines {
		problem = append(problem, l)
	}
	if p := strings.Join(problem, "\n"); !strings.Contains(p, "intro-greeting.md:") || !strings.Contains(p, "Frist") ||
		!strings.Contains(p, "| Hello {{ .Recipient.Frist }}") {
		t.Errorf("problem %q, want the file, line, field and source line", p)
	}
	edit(string(src))
	waitFor("data: reload")
	if page := get(t, base+"/v/v0001/html"); strings.Contains(page, "Live from the preview") {
		t.Errorf("the fix was not rendered")
	}
	if err := p.stop(); err != nil {
		t.Fatalf("preview: %v", err)
	}
	// Every variant shows the greeting: each save rendered them all.
	if out := p.stdout.String(); !regexp.MustCompile(`(?m)^  rendered +12 of 12 variants in \S+`).MatchString(out) {
		t.Errorf("the preview did not say what it rendered:\n%s", out)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// previewRun is a preview served in process, on the example's run.
type previewRun struct {
	base           string // http://127.0.0.1:port
	templates      string // the watched copy of the default set, "" for none
	stdout, stderr *bytes.Buffer
	ctx            context.Context // done once the preview is told to stop
	stop           func() error    // stops the preview, returns what it returned
}

// startPreview runs the example into a folder of its own and serves its
// preview on 127.0.0.1:0; with watch, on a copy of the default template
// set that the preview watches.
func startPreview(t *testing.T, watch bool) *previewRun {
	t.Helper()
	p := &previewRun{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	out := t.TempDir()
	if code := run(context.Background(), []string{"run", filepath.Join(example(t), "campaign.toml"), "--out", out, "-q"}, p.stdout, p.stderr); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, p.stderr.String())
	}
	if watch {
		p.templates = filepath.Join(t.TempDir(), "tpl")
		if err := os.CopyFS(p.templates, os.DirFS("../../templates/default")); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	o := previewOptions{dir: filepath.Join(out, "quickstart", "2026-10"), addr: "127.0.0.1:0", templates: p.templates,
		listening: func(a net.Addr) { addrs <- a }}
	go func() { done <- servePreview(ctx, o, p.stdout, p.stderr) }()
	select {
	case a := <-addrs:
		p.base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("preview returned at once: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("preview did not start listening")
	}
	p.ctx, p.stop = ctx, func() error { cancel(); return <-done }
	return p
}
