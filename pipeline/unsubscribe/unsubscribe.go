// Package unsubscribe is the endpoint of a campaign's one-click
// unsubscribe links (RFC 8058), the links render.UnsubscribeURL signs:
// base?c=<campaign>&id=<cardholder id>&t=<token>.
//
// A mailbox provider that shows an unsubscribe button POSTs to the link
// with the form body List-Unsubscribe=One-Click; the Handler checks the
// token and appends the cardholder to tailor's suppression file
// (package suppress). A person who clicks the link in the message GETs a
// small page that asks for confirmation with a button making the same
// POST: a GET never unsubscribes by itself, since mail scanners follow
// links.
//
// The links carry their token in the clear: serve the Handler behind TLS.
package unsubscribe

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/suppress"
)

// MaxBody is the most a request body may hold: the one-click form body is
// 26 bytes.
const MaxBody = 1 << 10

// Source is the source of the entries the Handler appends.
const Source = "one-click POST"

// Config is what a Handler needs.
type Config struct {
	// Campaign is the campaign's name, as in the links' c parameter.
	Campaign string
	// Newsletter names the newsletter on the pages ("You will no longer
	// receive the Meridian Card newsletter"): the sender's name. Default:
	// Campaign.
	Newsletter string
	// Secret is the key that signs the links. With no secret no link
	// verifies.
	Secret string
	// List is tailor's suppression file, which unsubscribes are appended
	// to.
	List *suppress.Appender
	// Seen, when set, is tailor's suppression file as read at start: the
	// cardholders on it with the reason "unsubscribe" are not appended
	// again.
	Seen *suppress.List
	// Now gives the time of an unsubscribe (default time.Now).
	Now func() time.Time
	// Log, when set, is told of every unsubscribe, every rejected link and
	// every failure, one line each. It is never given the secret or the
	// token.
	Log func(msg string)
}

// Handler serves a campaign's unsubscribe links. It is safe for
// concurrent use.
//
// POST with the form body List-Unsubscribe=One-Click
// (application/x-www-form-urlencoded, also when the request names no
// Content-Type, or multipart/form-data) and a valid link appends {cardholder id, "unsubscribe", Source} to the suppression
// file and answers 200: text/plain, or an HTML page when the request
// accepts text/html (a browser, after the confirmation page). The address
// is not in the link: the send matches the list by cardholder id.
// Unsubscribing is idempotent: a cardholder already unsubscribed, since
// the Handler started or in Config.Seen, gets 200 and nothing is appended
// again.
//
// GET (and HEAD) with a valid link answers the confirmation page and
// writes nothing.
//
// A link with a forged or altered token, another campaign's c, or a
// parameter missing or given twice answers 400 and writes nothing; other
// methods 405 with Allow; a body over MaxBody 413; a POST of another
// content type 415, and one without the one-click body 400. A failed append answers 500, and the link may be
// used again.
type Handler struct {
	cfg Config

	confirm, done *template.Template // the pages

	mu     sync.Mutex      // held across the check and the append of an id
	doneID map[string]bool // cardholders unsubscribed since the start
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler for the campaign. cfg.List must be set.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = func(string) {}
	}
	return &Handler{cfg: cfg, doneID: map[string]bool{}, confirm: newPage(confirmPage), done: newPage(donePage)}
}

// allow is the Allow header of a 405.
const allow = "GET, HEAD, POST"

// ServeHTTP serves one request; see Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Frame-Options", "DENY")

	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		hd.Set("Allow", allow)
		plain(w, http.StatusMethodNotAllowed, "Method not allowed: use GET or POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	id, token, err := h.link(r.URL.RawQuery)
	if err != nil {
		h.cfg.Log(fmt.Sprintf("unsubscribe: %s from %s: rejected: %v", r.Method, r.RemoteAddr, err))
		plain(w, http.StatusBadRequest, "This unsubscribe link is not valid. Please use the link in the newsletter as it is.")
		return
	}
	if r.Method != http.MethodPost {
		h.page(w, r, h.confirm, "?"+query(h.cfg.Campaign, id, token))
		return
	}
	if status, err := oneClick(r); err != nil {
		h.cfg.Log(fmt.Sprintf("unsubscribe: POST for %q from %s: rejected: %v", id, r.RemoteAddr, err))
		plain(w, status, "Not unsubscribed: the request is not a one-click unsubscribe (RFC 8058).")
		return
	}
	if err := h.unsubscribe(id); err != nil {
		h.cfg.Log(fmt.Sprintf("unsubscribe: %q: %v", id, err))
		plain(w, http.StatusInternalServerError, "Not unsubscribed: something went wrong on our side. Please try again later.")
		return
	}
	if accepts(r, "text/html") {
		h.page(w, r, h.done, "")
		return
	}
	plain(w, http.StatusOK, "You are unsubscribed.")
}

// link checks the query of a link and returns its cardholder id and
// token. Its errors name the id, never the token.
func (h *Handler) link(rawQuery string) (id, token string, err error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", "", errors.New("malformed query")
	}
	one := func(key string) (string, error) {
		switch v := q[key]; len(v) {
		case 0:
			return "", fmt.Errorf("no %s parameter", key)
		case 1:
			if v[0] == "" {
				return "", fmt.Errorf("empty %s parameter", key)
			}
			return v[0], nil
		default:
			return "", fmt.Errorf("%d %s parameters", len(v), key)
		}
	}
	c, err := one("c")
	if err != nil {
		return "", "", err
	}
	if id, err = one("id"); err != nil {
		return "", "", err
	}
	if token, err = one("t"); err != nil {
		return "", "", err
	}
	if c != h.cfg.Campaign {
		return "", "", fmt.Errorf("campaign %q, not %q (id %q)", c, h.cfg.Campaign, id)
	}
	if !render.VerifyUnsubscribe(h.cfg.Secret, c, id, token) {
		return "", "", fmt.Errorf("bad token for id %q", id)
	}
	return id, token, nil
}

// oneClick checks that a POST's body is the one-click form, and returns
// the status to answer when it is not.
func oneClick(r *http.Request) (int, error) {
	ct := "application/x-www-form-urlencoded" // when there is none, as some clients send it
	if h := r.Header.Get("Content-Type"); h != "" {
		var err error
		if ct, _, err = mime.ParseMediaType(h); err != nil {
			return http.StatusUnsupportedMediaType, errors.New("malformed content type")
		}
	}
	var form url.Values
	var err error
	switch ct {
	case "application/x-www-form-urlencoded":
		var body []byte
		if body, err = io.ReadAll(r.Body); err == nil {
			form, err = url.ParseQuery(string(body))
		}
	case "multipart/form-data":
		err = r.ParseMultipartForm(MaxBody)
		if r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
		form = r.PostForm
	default:
		return http.StatusUnsupportedMediaType, fmt.Errorf("content type %q", ct)
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", MaxBody)
		}
		return http.StatusBadRequest, errors.New("malformed form body")
	}
	if v := form["List-Unsubscribe"]; len(v) != 1 || v[0] != "One-Click" {
		return http.StatusBadRequest, errors.New("no List-Unsubscribe=One-Click in the body")
	}
	return 0, nil
}

// unsubscribe appends id to the suppression file unless it is there
// already.
func (h *Handler) unsubscribe(id string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.doneID[id] {
		h.cfg.Log(fmt.Sprintf("unsubscribe: %q: already unsubscribed", id))
		return nil
	}
	if ok, reason := h.cfg.Seen.Has(id, ""); ok && reason == suppress.ReasonUnsubscribe {
		h.doneID[id] = true
		h.cfg.Log(fmt.Sprintf("unsubscribe: %q: already unsubscribed", id))
		return nil
	}
	if h.cfg.List == nil {
		return errors.New("no suppression file to append to")
	}
	err := h.cfg.List.Append(suppress.Entry{At: h.cfg.Now(), CardholderID: id, Reason: suppress.ReasonUnsubscribe, Source: Source})
	if err != nil {
		return err
	}
	h.doneID[id] = true
	h.cfg.Log(fmt.Sprintf("unsubscribe: %q: unsubscribed", id))
	return nil
}

// query is the query of the link of id, as the confirmation page posts it.
func query(campaign, id, token string) string {
	return url.Values{"c": {campaign}, "id": {id}, "t": {token}}.Encode()
}

// accepts reports whether the request's Accept header names the media type.
func accepts(r *http.Request, mediaType string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && mt == mediaType && params["q"] != "0" {
			return true
		}
	}
	return false
}

// plain answers a short text.
func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

// pageData is what the pages show.
type pageData struct {
	Newsletter string
	// Action is where the confirmation form posts: the link, relative
	// ("?c=...&id=...&t=..."), made by url.Values.Encode.
	Action template.URL
}

// page answers one of the pages, 200.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, t *template.Template, action string) {
	var b bytes.Buffer
	name := h.cfg.Newsletter
	if name == "" {
		name = h.cfg.Campaign
	}
	if err := t.Execute(&b, pageData{Newsletter: name, Action: template.URL(action)}); err != nil {
		h.cfg.Log(fmt.Sprintf("unsubscribe: page: %v", err))
		plain(w, http.StatusInternalServerError, "Something went wrong on our side. Please try again later.")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
}

// layout is the pages' frame: self-contained, no external resources.
const layout = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ block "title" . }}{{ end }}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; background: #f4f4f4; margin: 0; }
main { max-width: 32em; margin: 4em auto; background: #fff; padding: 2em; border-radius: 6px; }
h1 { font-size: 1.4em; margin-top: 0; }
button { font: inherit; padding: .6em 1.4em; border: 0; border-radius: 4px; background: #222; color: #fff; cursor: pointer; }
</style>
</head>
<body>
<main>
{{ block "main" . }}{{ end }}
</main>
</body>
</html>
`

// The pages' main parts.
const (
	confirmPage = `
{{ define "title" }}Unsubscribe{{ end }}
{{ define "main" }}<h1>Unsubscribe?</h1>
<p>You will no longer receive the {{ .Newsletter }} newsletter.</p>
<form method="post" action="{{ .Action }}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>{{ end }}`
	donePage = `
{{ define "title" }}Unsubscribed{{ end }}
{{ define "main" }}<h1>You are unsubscribed</h1>
<p>You will no longer receive the {{ .Newsletter }} newsletter. You can close this page.</p>{{ end }}`
)

// newPage parses a page in the layout. The sources are constants: an
// error is a bug.
func newPage(main string) *template.Template {
	return template.Must(template.Must(template.New("page").Parse(layout)).Parse(main))
}
