// Package preview serves the operators' preview of one run directory: an
// index of its variants, and a page per variant with the newsletter at
// desktop and mobile widths, its text part, the headers of its sample
// message, the blocks it is made of and what the fit audit found.
//
// The preview only reads the run directory, through an os.Root, so that no
// path, "../" or symbolic link leads out of it. It reads the files at every
// request, so that a page loaded again after tailor render shows the new
// newsletter. Its pages load nothing from anywhere but the preview itself:
// their styles and scripts are embedded, and the newsletter, which may
// point at remote images, is served with a policy that blocks every remote
// load.
package preview

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
)

// files are the preview's page templates and the assets its pages load.
//
//go:embed assets templates
var files embed.FS

// Options tunes New. The zero value serves the preview to this machine only.
type Options struct {
	// Hosts are the host names (without port) the preview answers to,
	// besides localhost, 127.0.0.1 and ::1. A request naming any other
	// host is refused, so that a web page cannot reach the preview
	// through a name of its own pointed at this machine (DNS
	// rebinding). Add the machine's name or address when the preview
	// listens on the network.
	Hosts []string
	// Remote serves clients on other machines too. Without it, a
	// request from anywhere but this machine (a remote address other
	// than loopback) is refused: the pages show cardholders' names,
	// addresses and spending.
	Remote bool
	// Reload, when set, is served at /events, and every page listens to
	// it as an event stream (text/event-stream): each message makes the
	// page load again. Watching the run directory and the templates for
	// changes, and sending the messages, is the caller's.
	Reload http.Handler
}

// Handler is the preview of one run directory. Build it with New; it is
// safe for concurrent use. Close releases the run directory.
type Handler struct {
	root   *os.Root
	name   string // the run directory's base name, for titles
	pages  map[string]*template.Template
	hosts  map[string]bool
	mux    *http.ServeMux
	live   bool // pages listen to /events
	remote bool // serve clients on other machines
}

var _ http.Handler = (*Handler)(nil)

// New returns the preview of the run directory dir. It fails when dir
// cannot be opened or holds no readable plan (variants.json).
func New(dir string, opts Options) (*Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	h := &Handler{
		root:   root,
		name:   pathBase(dir),
		hosts:  map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true},
		live:   opts.Reload != nil,
		remote: opts.Remote,
	}
	for _, host := range opts.Hosts {
		h.hosts[strings.ToLower(strings.Trim(host, "[]"))] = true
	}
	if _, err := h.plan(); err != nil {
		root.Close()
		return nil, fmt.Errorf("preview: %s: %w", dir, err)
	}
	h.pages = make(map[string]*template.Template)
	for _, page := range []string{"index", "variant", "problem"} {
		t, err := template.ParseFS(files, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			root.Close()
			return nil, fmt.Errorf("preview: %w", err)
		}
		h.pages[page] = t
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.serveIndex)
	mux.HandleFunc("GET /v/{id}", h.serveVariant)
	mux.HandleFunc("GET /v/{id}/html", h.servePart)
	mux.HandleFunc("GET /v/{id}/text", h.servePart)
	mux.HandleFunc("GET /assets/{name}", serveAsset)
	if opts.Reload != nil {
		mux.Handle("GET /events", opts.Reload)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.problem(w, http.StatusNotFound, "No such page.")
	})
	h.mux = mux
	return h, nil
}

// Close releases the run directory.
func (h *Handler) Close() error { return h.root.Close() }

// pagePolicy is the Content-Security-Policy of every response but the
// newsletter's own: everything from the preview itself, nothing remote.
const pagePolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

// newsletterPolicy is the Content-Security-Policy of a variant's HTML: its
// inline styles and data: images only, no script, no remote load of any
// kind (the newsletter's remote images show as missing), and a sandbox that
// gives it an origin of its own.
const newsletterPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"

// ServeHTTP answers GET and HEAD requests for the preview's pages, with
// the security headers on every response.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", pagePolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	if !h.allowedHost(r.Host) {
		http.Error(w, "preview: unknown host "+r.Host, http.StatusMisdirectedRequest)
		return
	}
	if !h.remote && !loopback(r.RemoteAddr) {
		http.Error(w, "preview: this preview serves this machine only", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "preview: method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// allowedHost reports whether the preview answers to host (a request's
// Host, with or without port).
func (h *Handler) allowedHost(host string) bool {
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	return h.hosts[strings.ToLower(strings.Trim(host, "[]"))]
}

// loopback reports whether a request's remote address is this machine's.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// render writes page with data, or a problem page when it cannot be made.
func (h *Handler) render(w http.ResponseWriter, status int, page string, data any) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "preview: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// problem answers with a page that says what went wrong.
func (h *Handler) problem(w http.ResponseWriter, status int, msg string) {
	h.render(w, status, "problem", problemPage{page: h.page(http.StatusText(status)), Status: status, Message: msg})
}

// fileProblem answers for a file of the run that cannot be read: 404 when
// it is missing, 500 otherwise.
func (h *Handler) fileProblem(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, fs.ErrNotExist) {
		status = http.StatusNotFound
	}
	h.problem(w, status, err.Error())
}

// serveAsset serves an embedded stylesheet or script.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := files.ReadFile("assets/" + name)
	if err != nil || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Write(b)
}

// pathBase is the last element of a directory path, for titles.
func pathBase(dir string) string {
	dir = strings.TrimRight(strings.ReplaceAll(dir, "\\", "/"), "/")
	return path.Base(dir)
}
