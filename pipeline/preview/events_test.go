package preview

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The event stream: a page that connects while a problem stands sees it,
// Reload reaches every page, Close ends the streams.
func TestEvents(t *testing.T) {
	e := NewEvents()
	srv := httptest.NewServer(e)
	defer srv.Close()
	e.Problem("render: 1 problem\nblocks/x.md:3: .Recipient.Frist")
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	next := func() string {
		t.Helper()
		if !sc.Scan() {
			t.Fatalf("the stream ended: %v", sc.Err())
		}
		return sc.Text()
	}
	for _, want := range []string{": tailor preview", "", "event: problem", "data: render: 1 problem", "data: blocks/x.md:3: .Recipient.Frist", ""} {
		if got := next(); got != want {
			t.Fatalf("line %q, want %q", got, want)
		}
	}
	e.Reload()
	if got := next(); got != "data: reload" {
		t.Fatalf("line %q, want the reload", got)
	}
	next()
	e.Close()
	if sc.Scan() {
		t.Errorf("the stream goes on after Close: %q", sc.Text())
	}
}

// Watch calls back once for a burst of saves, and again for a save in a
// folder made after it started.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "layout.html"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w, err := StartWatch(dir)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- w.Run(ctx, 100*time.Millisecond, func() { calls.Add(1) }) }()
	wait := func(n int32) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for calls.Load() < n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // no more than n
		if got := calls.Load(); got != n {
			t.Fatalf("%d calls, want %d", got, n)
		}
	}
	for i := range 5 {
		if err := os.WriteFile(filepath.Join(dir, "layout.html"), []byte(strings.Repeat("b", i+1)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wait(1)
	if err := os.Mkdir(filepath.Join(dir, "blocks"), 0o700); err != nil {
		t.Fatal(err)
	}
	wait(2)
	if err := os.WriteFile(filepath.Join(dir, "blocks", "new.md"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	wait(3)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A problem's positioned lines get the source line they point at; files
// outside the folder are not read.
func TestWithSource(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blocks"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blocks", "x.md"), []byte("+++\nid = \"x\"\n+++\nHello {{ .Recipient.Frist }}\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := "render: 2 problems\n" + filepath.Join(dir, "blocks", "x.md") + ":4: .Recipient.Frist: no field\n/etc/passwd:1: elsewhere\nblocks/x.md:9: past the end"
	want := "render: 2 problems\n" + filepath.Join(dir, "blocks", "x.md") + ":4: .Recipient.Frist: no field\n    4 | Hello {{ .Recipient.Frist }}\n/etc/passwd:1: elsewhere\nblocks/x.md:9: past the end"
	if got := WithSource(msg, dir); got != want {
		t.Errorf("WithSource\n got %q\nwant %q", got, want)
	}
}
