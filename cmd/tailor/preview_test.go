package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPreviewServe runs the example and serves its preview on loopback:
// the index lists the variants, a variant page answers, and the preview
// stops when interrupted.
func TestPreviewServe(t *testing.T) {
	var stdout, stderr bytes.Buffer
	out := t.TempDir()
	if code := run(context.Background(), []string{"run", filepath.Join(example(t), "campaign.toml"), "--out", out, "-q"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	o := previewOptions{dir: filepath.Join(out, "quickstart", "2026-10"), addr: "127.0.0.1:0", listening: func(a net.Addr) { addrs <- a }}
	go func() { done <- servePreview(ctx, o, &stdout, &stderr) }()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("preview returned at once: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("preview did not start listening")
	}
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
	cancel()
	if err := <-done; err != nil {
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
