package unsubscribe_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/suppress"
	"github.com/tailor-mail/tailor/pipeline/unsubscribe"
)

const (
	secret   = "s3cret-key-for-tests"
	campaign = "october-rewards"
	base     = "https://news.example.com/unsubscribe"
)

var now = time.Date(2026, 10, 14, 8, 30, 0, 0, time.UTC)

// fixture is a Handler over a suppression file of its own.
type fixture struct {
	h    *unsubscribe.Handler
	path string
	mu   sync.Mutex
	logs []string
}

func newFixture(t *testing.T, seen *suppress.List, path string) *fixture {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), suppress.FileName)
	}
	a, err := suppress.OpenAppender(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	f := &fixture{path: path}
	f.h = unsubscribe.New(unsubscribe.Config{
		Campaign: campaign, Secret: secret, List: a, Seen: seen,
		Now: func() time.Time { return now },
		Log: func(msg string) { f.mu.Lock(); f.logs = append(f.logs, msg); f.mu.Unlock() },
	})
	return f
}

// entries returns the rows of the suppression file after the header.
func (f *fixture) entries(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != suppress.Header {
		t.Fatalf("file %q has no header", data)
	}
	return rows[1:]
}

// link returns the query of id's link, signed with key for camp.
func link(t *testing.T, key, camp, id string) url.Values {
	t.Helper()
	u, err := render.UnsubscribeURL(base, key, camp, id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}

// altered returns q with its token's first hex digit changed.
func altered(q url.Values) url.Values {
	q = cloneValues(q)
	t := []byte(q.Get("t"))
	t[0] = "10"[boolIndex(t[0] == '0')]
	q.Set("t", string(t))
	return q
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cloneValues(q url.Values) url.Values {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

func without(q url.Values, key string) url.Values {
	q = cloneValues(q)
	q.Del(key)
	return q
}

func with(q url.Values, key, value string) url.Values {
	q = cloneValues(q)
	q.Set(key, value)
	return q
}

const oneClick = "List-Unsubscribe=One-Click"

func TestHandler(t *testing.T) {
	good := link(t, secret, campaign, "C1")
	multipartBody := func() (string, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("List-Unsubscribe", "One-Click")
		w.Close()
		return b.String(), w.FormDataContentType()
	}
	mpBody, mpType := multipartBody()
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		method      string
		query       string
		body, ctype string
		accept      string
		status      int
		written     int    // entries the request appends
		contains    string // in the response body
	}{
		{name: "one-click POST", method: "POST", query: good.Encode(), body: oneClick, ctype: form, status: 200, written: 1, contains: "You are unsubscribed."},
		{name: "one-click POST, multipart", method: "POST", query: good.Encode(), body: mpBody, ctype: mpType, status: 200, written: 1},
		{name: "one-click POST, no content type", method: "POST", query: good.Encode(), body: oneClick, status: 200, written: 1},
		{name: "one-click POST, charset", method: "POST", query: good.Encode(), body: oneClick, ctype: form + "; charset=utf-8", status: 200, written: 1},
		{name: "POST from the page", method: "POST", query: good.Encode(), body: oneClick, ctype: form, accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", status: 200, written: 1, contains: "<h1>You are unsubscribed</h1>"},
		{name: "GET confirms, writes nothing", method: "GET", query: good.Encode(), status: 200, contains: `<form method="post"`},
		{name: "HEAD writes nothing", method: "HEAD", query: good.Encode(), status: 200},
		{name: "forged token", method: "POST", query: with(good, "t", "0123456789abcdef0123456789abcdef").Encode(), body: oneClick, ctype: form, status: 400},
		{name: "altered token", method: "POST", query: altered(good).Encode(), body: oneClick, ctype: form, status: 400},
		{name: "short token", method: "POST", query: with(good, "t", good.Get("t")[:31]).Encode(), body: oneClick, ctype: form, status: 400},
		{name: "altered id", method: "POST", query: with(good, "id", "C2").Encode(), body: oneClick, ctype: form, status: 400},
		{name: "other campaign's link", method: "POST", query: link(t, secret, "november-rewards", "C1").Encode(), body: oneClick, ctype: form, status: 400},
		{name: "other campaign's c", method: "POST", query: with(good, "c", "november-rewards").Encode(), body: oneClick, ctype: form, status: 400},
		{name: "other key", method: "POST", query: link(t, "other", campaign, "C1").Encode(), body: oneClick, ctype: form, status: 400},
		{name: "forged GET", method: "GET", query: altered(good).Encode(), status: 400},
		{name: "no c", method: "POST", query: without(good, "c").Encode(), body: oneClick, ctype: form, status: 400},
		{name: "no id", method: "POST", query: without(good, "id").Encode(), body: oneClick, ctype: form, status: 400},
		{name: "no t", method: "POST", query: without(good, "t").Encode(), body: oneClick, ctype: form, status: 400},
		{name: "no query", method: "POST", body: oneClick, ctype: form, status: 400},
		{name: "id twice", method: "POST", query: good.Encode() + "&id=C2", body: oneClick, ctype: form, status: 400},
		{name: "malformed query", method: "POST", query: good.Encode() + "&x=%zz", body: oneClick, ctype: form, status: 400},
		{name: "POST without the body", method: "POST", query: good.Encode(), ctype: form, status: 400},
		{name: "POST with another value", method: "POST", query: good.Encode(), body: "List-Unsubscribe=Yes", ctype: form, status: 400},
		{name: "POST with the value twice", method: "POST", query: good.Encode(), body: oneClick + "&" + oneClick, ctype: form, status: 400},
		{name: "POST with the value in the query only", method: "POST", query: good.Encode() + "&" + oneClick, ctype: form, status: 400},
		{name: "POST, JSON", method: "POST", query: good.Encode(), body: `{"List-Unsubscribe":"One-Click"}`, ctype: "application/json", status: 415},
		{name: "POST, body too large", method: "POST", query: good.Encode(), body: oneClick + "&pad=" + strings.Repeat("x", 2000), ctype: form, status: 413},
		{name: "PUT", method: "PUT", query: good.Encode(), body: oneClick, ctype: form, status: 405},
		{name: "DELETE", method: "DELETE", query: good.Encode(), status: 405},
	}
	var logs []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, "")
			req := httptest.NewRequest(tt.method, "/unsubscribe?"+tt.query, strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d; body %s", res.StatusCode, tt.status, body)
			}
			if got := len(f.entries(t)); got != tt.written {
				t.Errorf("%d entries written, want %d", got, tt.written)
			}
			if tt.written > 0 {
				e := f.entries(t)[0]
				if want := []string{"2026-10-14T08:30:00Z", "C1", "", "unsubscribe", "one-click POST"}; strings.Join(e, "|") != strings.Join(want, "|") {
					t.Errorf("entry %q, want %q", e, want)
				}
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body %q does not hold %q", body, tt.contains)
			}
			checkHeaders(t, res)
			if tt.status == 405 && res.Header.Get("Allow") != "GET, HEAD, POST" {
				t.Errorf("Allow %q", res.Header.Get("Allow"))
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD answered a body")
			}
			if tt.status >= 400 && len(f.logs) == 0 && tt.status != 405 {
				t.Error("a rejected request was not logged")
			}
			logs = append(logs, f.logs...)
		})
	}
	t.Run("logs hold no secret and no token", func(t *testing.T) {
		for _, l := range logs {
			if strings.Contains(l, secret) || strings.Contains(l, good.Get("t")) || strings.Contains(l, altered(good).Get("t")) ||
				strings.Contains(l, "0123456789abcdef") {
				t.Errorf("log %q", l)
			}
		}
	})
}

func checkHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; form-action 'self'; style-src 'unsafe-inline'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	} {
		if got := res.Header.Get(k); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

var actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)">`)

// TestConfirmationPage follows the page as a browser would: its form
// posts the link it was got with, the id comes back unchanged however
// odd, and nothing on the page is unescaped or from elsewhere.
func TestConfirmationPage(t *testing.T) {
	for _, id := range []string{"C1", `"><script>alert(1)</script>`, "a b&c=d#e", "Zoë/1?"} {
		t.Run(id, func(t *testing.T) {
			f := newFixture(t, nil, "")
			req := httptest.NewRequest("GET", "/u/?"+link(t, secret, campaign, id).Encode(), nil)
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			page := rec.Body.String()
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("%d %s", rec.Code, rec.Header().Get("Content-Type"))
			}
			if strings.Contains(page, "<script") || strings.Contains(page, "src=") || strings.Contains(page, "http") && !strings.Contains(page, "http-equiv") {
				t.Errorf("page has a script or an external resource:\n%s", page)
			}
			if !strings.Contains(page, `<input type="hidden" name="List-Unsubscribe" value="One-Click">`) {
				t.Errorf("no one-click field:\n%s", page)
			}
			m := actionRE.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no form:\n%s", page)
			}
			if len(f.entries(t)) != 0 {
				t.Fatal("the GET wrote")
			}
			target, err := url.Parse("/u/")
			if err != nil {
				t.Fatal(err)
			}
			ref, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil {
				t.Fatal(err)
			}
			post := httptest.NewRequest("POST", target.ResolveReference(ref).String(), strings.NewReader(oneClick))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			post.Header.Set("Accept", "text/html")
			rec = httptest.NewRecorder()
			f.h.ServeHTTP(rec, post)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "You are unsubscribed") {
				t.Fatalf("posting the form: %d\n%s", rec.Code, rec.Body)
			}
			if e := f.entries(t); len(e) != 1 || e[0][1] != id {
				t.Errorf("entries %q, want %q", e, id)
			}
		})
	}
}

// TestIdempotent posts the same link twice, then again to a Handler
// started later over the same file.
func TestIdempotent(t *testing.T) {
	f := newFixture(t, nil, "")
	post := func(h http.Handler, id string) {
		t.Helper()
		req := httptest.NewRequest("POST", "/?"+link(t, secret, campaign, id).Encode(), strings.NewReader(oneClick))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", id, rec.Code, rec.Body)
		}
	}
	post(f.h, "C1")
	post(f.h, "C1")
	if n := len(f.entries(t)); n != 1 {
		t.Fatalf("%d entries after two POSTs, want 1", n)
	}
	// A bounce is not an unsubscribe: C2 is appended even so.
	a, err := suppress.OpenAppender(f.path)
	if err != nil {
		t.Fatal(err)
	}
	a.Append(suppress.Entry{At: now, CardholderID: "C2", Reason: "bounce 550 5.1.1", Source: "send 2026-10"})
	a.Close()

	seen, err := suppress.Load(f.path)
	if err != nil {
		t.Fatal(err)
	}
	later := newFixture(t, seen, f.path)
	post(later.h, "C1")
	post(later.h, "C2")
	var ids []string
	for _, e := range later.entries(t) {
		ids = append(ids, e[1]+" "+e[3])
	}
	if got, want := strings.Join(ids, ", "), "C1 unsubscribe, C2 bounce 550 5.1.1, C2 unsubscribe"; got != want {
		t.Errorf("entries %s, want %s", got, want)
	}
}

// TestServer goes through a real HTTP server: concurrent POSTs for 40
// cardholders, each link posted 3 times, append every one exactly once,
// and GETs of other links write nothing.
func TestServer(t *testing.T) {
	f := newFixture(t, nil, "")
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	const ids, repeats = 40, 3
	var wg sync.WaitGroup
	errs := make(chan error, ids*repeats*2)
	do := func(method, id string) {
		q := link(t, secret, campaign, id).Encode()
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader(oneClick)
		}
		req, err := http.NewRequest(method, srv.URL+"/unsubscribe?"+q, body)
		if err != nil {
			errs <- err
			return
		}
		if method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			errs <- err
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			errs <- fmt.Errorf("%s %s: %d", method, id, res.StatusCode)
		}
	}
	for r := range repeats {
		for i := range ids {
			wg.Go(func() { do("POST", fmt.Sprintf("C%03d", i)) })
			wg.Go(func() { do("GET", fmt.Sprintf("G%03d-%d", i, r)) })
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	count := map[string]int{}
	for _, e := range f.entries(t) {
		count[e[1]]++
	}
	for i := range ids {
		if id := fmt.Sprintf("C%03d", i); count[id] != 1 {
			t.Errorf("%s appended %d times", id, count[id])
		}
	}
	if len(count) != ids {
		t.Errorf("%d cardholders appended, want %d (a GET wrote?)", len(count), ids)
	}
}

// The pages name the newsletter by the sender's name, escaped, or by the
// campaign without one.
func TestPagesNameTheNewsletter(t *testing.T) {
	for _, tt := range []struct{ newsletter, want string }{
		{"", "the " + campaign + " newsletter"},
		{"Meridian Card", "the Meridian Card newsletter"},
		{`A&B <News>`, "the A&amp;B &lt;News&gt; newsletter"},
	} {
		a, err := suppress.OpenAppender(filepath.Join(t.TempDir(), suppress.FileName))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		h := unsubscribe.New(unsubscribe.Config{Campaign: campaign, Newsletter: tt.newsletter, Secret: secret, List: a})
		for _, method := range []string{"GET", "POST"} {
			req := httptest.NewRequest(method, "/u/?"+link(t, secret, campaign, "C1").Encode(), strings.NewReader(oneClick))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "text/html")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("%s with %q: %d, want %q in\n%s", method, tt.newsletter, rec.Code, tt.want, rec.Body)
			}
		}
	}
}
