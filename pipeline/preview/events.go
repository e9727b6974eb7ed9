package preview

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Events is the preview's stream of server-sent events, served at /events
// (Options.Reload): Reload tells every open page to load again, Problem
// shows them what stops the newsletter from rendering. Build it with
// NewEvents; it is safe for concurrent use.
type Events struct {
	mu   sync.Mutex
	subs map[chan string]struct{}
	// last is the problem shown to pages that connect while it stands,
	// "" when the templates render.
	last string
	// done is closed by Close: every stream ends.
	done      chan struct{}
	closeOnce sync.Once
}

// NewEvents returns an event stream with no listener.
func NewEvents() *Events { return &Events{subs: map[chan string]struct{}{}, done: make(chan struct{})} }

// Close ends every stream, as a server shutting down must: open streams
// would hold it up.
func (e *Events) Close() { e.closeOnce.Do(func() { close(e.done) }) }

// Reload tells every open page to load again, and clears the problem.
func (e *Events) Reload() {
	e.mu.Lock()
	e.last = ""
	e.mu.Unlock()
	e.send("data: reload\n\n")
}

// Problem shows every open page msg, such as a template error with its
// file and line, until the next Reload.
func (e *Events) Problem(msg string) {
	ev := problemEvent(msg)
	e.mu.Lock()
	e.last = ev
	e.mu.Unlock()
	e.send(ev)
}

// problemEvent is msg as a "problem" event, one data line per line.
func problemEvent(msg string) string {
	var b strings.Builder
	b.WriteString("event: problem\n")
	for _, l := range strings.Split(strings.ReplaceAll(msg, "\r", ""), "\n") {
		b.WriteString("data: " + l + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// send hands ev to every listener; a listener too slow to take it misses
// it (the next one reloads the page anyway).
func (e *Events) send(ev string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// keepAlive is how often an idle stream gets a comment, so that proxies
// and the browser keep it open.
const keepAlive = 25 * time.Second

// ServeHTTP streams the events to one page until it goes away.
func (e *Events) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan string, 4)
	e.mu.Lock()
	e.subs[ch] = struct{}{}
	last := e.last
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.subs, ch)
		e.mu.Unlock()
	}()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": tailor preview\n\n")
	if last != "" {
		fmt.Fprint(w, last)
	}
	flusher.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-e.done:
			return
		case ev := <-ch:
			fmt.Fprint(w, ev)
			flusher.Flush()
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		}
	}
}
