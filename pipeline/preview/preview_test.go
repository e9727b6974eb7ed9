package preview

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/variants"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixture is a small run directory of two variants.
const fixture = "testdata/run"

func newHandler(t *testing.T, dir string, opts Options) *Handler {
	t.Helper()
	h, err := New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// do sends one request to h as a browser on this machine would.
func do(h http.Handler, method, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	req.Host = "localhost:8080"
	req.RemoteAddr = "127.0.0.1:50000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// copyFixture copies the fixture run directory to a temporary one.
func copyFixture(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRoutes(t *testing.T) {
	h := newHandler(t, fixture, Options{})
	tests := []struct {
		name, path string
		status     int
		ctype      string
		want, not  []string
	}{
		{name: "index", path: "/", status: 200, ctype: "text/html",
			want: []string{`href="/v/v0001"`, `href="/v/v0002"`, "Groceries &#43; Fuel, mid spend, steady",
				"Dining &#43; Travel &lt;em&gt;&#34;late&#34;&lt;/em&gt; &amp; co", "Nancy, more back on the weekly shop",
				"Alex, a table for two &lt;on us&gt;", "Tables for two &amp; &lt;b&gt;more&lt;/b&gt;",
				`<option value="groceries">Groceries</option>`, `data-tier="green"`, "intermediate <span class=\"share\">34%</span>",
				"99.5% of 640 messages true for their reader (3 not; budget 1.0%)", "98.7%", "fixture 2026-10"},
			not: []string{"<em>", "{{ .Recipient"}},
		{name: "variant", path: "/v/v0001", status: 200, ctype: "text/html",
			want: []string{`<iframe src="/v/v0001/html" sandbox`, "Desktop, 600 px", "Mobile, 375 px",
				"Nancy Martínez &lt;nancy@example.net&gt;", "Nancy, more back on the weekly shop — October",
				"List-Unsubscribe", "https://meridian.example.com/unsubscribe?c=fixture&amp;id=C0000001",
				"Hello Nancy,", "tier-green", "retention-everyday", "got this", "intro-greeting",
				`<li>intro-greeting <span class="file">blocks/intro-greeting.md</span></li>`,
				"100.0% of 407 messages true", "cardholder C0000001", `href="/v/v0002" data-key="next"`},
			not: []string{"C0000042"}},
		{name: "variant with misfits", path: "/v/v0002", status: 200, ctype: "text/html",
			want: []string{"Alex Sample: nobody in this variant may be mailed", "C0000042",
				"tier-gold is for gold &lt;cardholders&gt;, not green", "98.7% of 233 messages true",
				"<tr><td>tier</td><td class=\"num\">2</td></tr>", "Alex, a table for two &lt;on us&gt;",
				`data-key="previous"`}},
		{name: "html", path: "/v/v0001/html", status: 200, ctype: "text/html", want: []string{"<h1>Make every grocery run count</h1>"}},
		{name: "text", path: "/v/v0002/text", status: 200, ctype: "text/plain", want: []string{"Hello Alex,"}},
		{name: "view as", path: "/v/v0001?as=1", status: 200, ctype: "text/html",
			want: []string{`<iframe src="/v/v0001/html?as=1" sandbox`, `href="/v/v0001/text?as=1"`, "Hello Léa,",
				"Léa &lt;i&gt;", "C0000007", "gold · lost-for-good · fr-FR", `href="/v/v0001?as=1" data-key="reader" aria-current="page"`,
				`href="/v/v0001" data-key="reader">`, `<span class="subject" id="subject">Léa, money back on every fill-up</span>`,
				`<tr class="reader"><td>tier-gold <span class="file">blocks/tier-gold.md</span></td>`, `<tr class="reader"><td>retention-loyalty <span class="file">blocks/retention-loyalty.md</span></td>`,
				"Nancy Martínez &lt;nancy@example.net&gt;"},
			not: []string{"Léa <i>", `<tr class="reader"><td>tier-green <span class="file">blocks/tier-green.md</span></td>`, "Hello Nancy,"}},
		{name: "view as the first", path: "/v/v0001?as=0", status: 200, ctype: "text/html",
			want: []string{`<iframe src="/v/v0001/html" sandbox`, `href="/v/v0001" data-key="reader" aria-current="page"`,
				`<tr class="reader"><td>tier-green <span class="file">blocks/tier-green.md</span></td>`, "Hello Nancy,"}},
		{name: "view as html", path: "/v/v0001/html?as=1", status: 200, ctype: "text/html", want: []string{"Money back on every fill-up"},
			not: []string{"Make every grocery run count"}},
		{name: "view as text", path: "/v/v0001/text?as=1", status: 200, ctype: "text/plain", want: []string{"Hello Léa,"}},
		{name: "no such reader", path: "/v/v0001?as=2", status: 404, want: []string{"No reader of that number."}},
		{name: "no such reader html", path: "/v/v0001/html?as=2", status: 404},
		{name: "reader with a zero", path: "/v/v0001?as=01", status: 404},
		{name: "negative reader", path: "/v/v0001/text?as=-1", status: 404},
		{name: "reader as a path", path: "/v/v0001/text?as=..%2f..%2fmanifest.json", status: 404},
		{name: "huge reader", path: "/v/v0001/html?as=99999999999999999999", status: 404},
		{name: "no readers", path: "/v/v0002?as=1", status: 404},
		{name: "css", path: "/assets/preview.css", status: 200, ctype: "text/css"},
		{name: "js", path: "/assets/preview.js", status: 200, ctype: "text/javascript"},
		{name: "unknown variant", path: "/v/v0003", status: 404, want: []string{"The plan has no variant of that id."}},
		{name: "unknown variant html", path: "/v/v0003/html", status: 404},
		{name: "unknown variant text", path: "/v/v0003/text", status: 404},
		{name: "variant file", path: "/v/v0001/meta.json", status: 404},
		{name: "sample file", path: "/v/v0001/sample.eml", status: 404},
		{name: "variant slash", path: "/v/v0001/", status: 404},
		{name: "unknown page", path: "/report.xlsx", status: 404},
		{name: "unknown asset", path: "/assets/nope.css", status: 404},
		{name: "assets listing", path: "/assets/", status: 404},
		{name: "events without reload", path: "/events", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, "GET", tt.path)
			body := rec.Body.String()
			if rec.Code != tt.status {
				t.Fatalf("GET %s: status %d, want %d\n%s", tt.path, rec.Code, tt.status, body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("GET %s: Content-Type %q, want %s", tt.path, ct, tt.ctype)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s: no %q in\n%s", tt.path, s, body)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(body, s) {
					t.Errorf("GET %s: %q in the page", tt.path, s)
				}
			}
		})
	}
}

// remote matches an attribute that would make the browser load from
// elsewhere.
var remote = regexp.MustCompile(`(?i)(src|href|action)="(https?:)?//`)

func TestPagesLoadNothingRemote(t *testing.T) {
	h := newHandler(t, fixture, Options{})
	for _, path := range []string{"/", "/v/v0001", "/v/v0002"} {
		if m := remote.FindString(do(h, "GET", path).Body.String()); m != "" {
			t.Errorf("GET %s: the page loads %s", path, m)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHandler(t, fixture, Options{})
	for _, tt := range []struct {
		method, path string
		csp          string
	}{
		{"GET", "/", pagePolicy},
		{"GET", "/v/v0001", pagePolicy},
		{"GET", "/v/v0001/html", newsletterPolicy},
		{"GET", "/v/v0001/text", pagePolicy},
		{"GET", "/assets/preview.js", pagePolicy},
		{"GET", "/v/v0009", pagePolicy},
		{"POST", "/", pagePolicy},
		{"HEAD", "/", pagePolicy},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			hd := do(h, tt.method, tt.path).Header()
			for name, want := range map[string]string{
				"Content-Security-Policy": tt.csp,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "SAMEORIGIN",
			} {
				if got := hd.Get(name); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
		})
	}
	for _, policy := range []string{pagePolicy, newsletterPolicy} {
		if strings.Contains(policy, "http") || strings.Contains(policy, "*") {
			t.Errorf("policy allows remote loads: %s", policy)
		}
	}
	if !strings.Contains(newsletterPolicy, "default-src 'none'") || !strings.Contains(newsletterPolicy, "sandbox") {
		t.Errorf("the newsletter's policy lets it load or run: %s", newsletterPolicy)
	}
}

func TestMethods(t *testing.T) {
	h := newHandler(t, fixture, Options{})
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		for _, path := range []string{"/", "/v/v0001", "/v/v0001/html", "/nope"} {
			rec := do(h, method, path)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", method, path, rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q", method, path, got)
			}
		}
	}
	if rec := do(h, "HEAD", "/v/v0001"); rec.Code != 200 {
		t.Errorf("HEAD /v/v0001: status %d", rec.Code)
	}
}

func TestHosts(t *testing.T) {
	h := newHandler(t, fixture, Options{Hosts: []string{"preview.lan"}})
	for _, tt := range []struct {
		host   string
		status int
	}{
		{"localhost:8080", 200},
		{"127.0.0.1:1", 200},
		{"[::1]:8080", 200},
		{"LOCALHOST", 200},
		{"preview.lan:8080", 200},
		{"evil.example:8080", http.StatusMisdirectedRequest},
		{"127.0.0.1.evil.example", http.StatusMisdirectedRequest},
		{"", http.StatusMisdirectedRequest},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = tt.host
		req.RemoteAddr = "127.0.0.1:50000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("Host %q: status %d, want %d", tt.host, rec.Code, tt.status)
		}
	}
}

func TestRemoteClients(t *testing.T) {
	for _, tt := range []struct {
		name   string
		remote bool
		addr   string
		status int
	}{
		{"loopback v4", false, "127.0.0.1:50000", 200},
		{"loopback v4, other", false, "127.0.0.2:50000", 200},
		{"loopback v6", false, "[::1]:50000", 200},
		{"lan", false, "192.168.1.20:50000", http.StatusForbidden},
		{"v6", false, "[2001:db8::1]:50000", http.StatusForbidden},
		{"mapped", false, "[::ffff:10.0.0.1]:50000", http.StatusForbidden},
		{"garbage", false, "nowhere", http.StatusForbidden},
		{"lan, remote allowed", true, "192.168.1.20:50000", 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, fixture, Options{Remote: tt.remote})
			for _, path := range []string{"/", "/v/v0001", "/v/v0001/html", "/v/v0001/text?as=1", "/assets/preview.css"} {
				req := httptest.NewRequest("GET", path, nil)
				req.Host = "localhost:8025"
				req.RemoteAddr = tt.addr
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != tt.status {
					t.Errorf("%s from %s: status %d, want %d", path, tt.addr, rec.Code, tt.status)
				}
				if tt.status == http.StatusForbidden && strings.Contains(rec.Body.String(), "Nancy") {
					t.Errorf("%s from %s: a refused answer shows a cardholder's data", path, tt.addr)
				}
			}
		})
	}
}

func TestTraversal(t *testing.T) {
	dir := copyFixture(t)
	// A secret beside the run directory, and one far from it.
	secret := "secret-outside-the-run"
	outside := filepath.Join(filepath.Dir(dir), "secret.txt")
	if err := os.WriteFile(outside, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, dir, Options{})
	for _, path := range []string{
		"/v/../../etc/passwd",
		"/v/%2e%2e/%2e%2e/etc/passwd",
		"/v/%2e%2e%2f%2e%2e%2fetc%2fpasswd/html",
		"/v/..%2f..%2fsecret.txt/text",
		"/v/..%2fsecret.txt",
		"/v/v0001/../../../secret.txt",
		"/v/v0001%2f..%2f..%2f..%2fsecret.txt/text",
		"/assets/..%2fpreview.go",
		"/assets/../preview.go",
		"/../secret.txt",
		"/v/%00/html",
	} {
		t.Run(path, func(t *testing.T) {
			rec := do(h, "GET", path)
			// Follow the redirects of a path the mux cleans.
			for i := 0; i < 3 && rec.Code/100 == 3; i++ {
				loc := rec.Header().Get("Location")
				if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
					t.Fatalf("redirect to %q", loc)
				}
				rec = do(h, "GET", loc)
			}
			if rec.Code != http.StatusNotFound {
				t.Errorf("status %d, want 404", rec.Code)
			}
			body := rec.Body.String()
			if strings.Contains(body, secret) || strings.Contains(body, "root:") || strings.Contains(body, "package preview") {
				t.Errorf("the response holds a file from outside:\n%s", body)
			}
		})
	}
}

func TestSymlinks(t *testing.T) {
	dir := copyFixture(t)
	secret := "secret-outside-the-run"
	outside := filepath.Join(filepath.Dir(dir), "secret.txt")
	if err := os.WriteFile(outside, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"variants/v0001/index.txt":  outside,                      // absolute, outside
		"variants/v0001/index.html": "../../../secret.txt",        // relative, outside
		"variants/v0002/index.txt":  "../v0001/meta.json",         // inside: allowed
		"variants/v0002/sample.eml": "../../../run/../secret.txt", // climbs out and back
	}
	for name, target := range links {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	h := newHandler(t, dir, Options{})
	for _, path := range []string{"/v/v0001/text", "/v/v0001/html", "/v/v0001", "/v/v0002"} {
		rec := do(h, "GET", path)
		if strings.Contains(rec.Body.String(), secret) {
			t.Errorf("GET %s: status %d, and the response holds the file outside", path, rec.Code)
		}
	}
	if rec := do(h, "GET", "/v/v0001/text"); rec.Code == 200 {
		t.Errorf("GET /v/v0001/text through a link outside: status 200")
	}
	if rec := do(h, "GET", "/v/v0002/text"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"sample_subject"`) {
		t.Errorf("GET /v/v0002/text through a link inside: status %d", rec.Code)
	}
	// The variant's page says what it could not read, and shows the rest.
	if rec := do(h, "GET", "/v/v0001"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `class="problems"`) {
		t.Errorf("GET /v/v0001 with its text outside: status %d, no problem shown", rec.Code)
	}
}

func TestIDsFromThePlan(t *testing.T) {
	dir := copyFixture(t)
	plan := filepath.Join(dir, "variants.json")
	b, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"id": "v0002"`), []byte(`"id": "../v0001"`), 1)
	if err := os.WriteFile(plan, b, 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, dir, Options{})
	if rec := do(h, "GET", "/v/..%2fv0001/text"); rec.Code != 404 {
		t.Errorf("a path as a variant id: status %d, want 404", rec.Code)
	}
	body := do(h, "GET", "/").Body.String()
	if !strings.Contains(body, "variant id &#34;../v0001&#34; is not a valid name") {
		t.Errorf("the index does not say the plan's id is refused:\n%s", body)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"v0001": true, "v_1-b": true, "": false, "..": false, "../v1": false, "v/1": false,
		`v\1`: false, "v 1": false, "v\x00": false, "vé": false, strings.Repeat("v", 65): false,
	} {
		if got := validID(id); got != want {
			t.Errorf("validID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestBrokenFiles(t *testing.T) {
	dir := copyFixture(t)
	if err := os.WriteFile(filepath.Join(dir, "variants/v0001/meta.json"), []byte("{\n  \"tier\": ,\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "fit.json")); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, dir, Options{})
	rec := do(h, "GET", "/")
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	for _, s := range []string{"variants/v0001/meta.json:2:11: invalid character", "not audited", `href="/v/v0002"`} {
		if !strings.Contains(body, s) {
			t.Errorf("no %q in the index:\n%s", s, body)
		}
	}
	if body := do(h, "GET", "/v/v0002").Body.String(); !strings.Contains(body, "The run has no fit audit of this variant.") {
		t.Errorf("the variant's page does not say there is no audit")
	}
	// Without a plan, the pages say so.
	if err := os.Remove(filepath.Join(dir, "variants.json")); err != nil {
		t.Fatal(err)
	}
	if rec := do(h, "GET", "/"); rec.Code != 404 || !strings.Contains(rec.Body.String(), "variants.json") {
		t.Errorf("index without a plan: status %d\n%s", rec.Code, rec.Body)
	}
}

func TestNew(t *testing.T) {
	if _, err := New(filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Error("New of a missing directory: no error")
	}
	_, err := New(t.TempDir(), Options{})
	if err == nil || !strings.Contains(err.Error(), "variants.json") {
		t.Errorf("New of a directory without a plan: %v", err)
	}
}

func TestReload(t *testing.T) {
	events := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: reload\n\n")
	})
	h := newHandler(t, fixture, Options{Reload: events})
	rec := do(h, "GET", "/events")
	if rec.Code != 200 || rec.Body.String() != "data: reload\n\n" {
		t.Errorf("/events: status %d, %q", rec.Code, rec.Body)
	}
	if rec.Header().Get("Content-Security-Policy") != pagePolicy {
		t.Error("/events without the security headers")
	}
	for _, path := range []string{"/", "/v/v0001"} {
		if !strings.Contains(do(h, "GET", path).Body.String(), `<script src="/assets/reload.js" defer></script>`) {
			t.Errorf("GET %s does not listen for reloads", path)
		}
	}
	if strings.Contains(do(newHandler(t, fixture, Options{}), "GET", "/").Body.String(), "reload.js") {
		t.Error("a page listens for reloads without Options.Reload")
	}
}

func TestReadHeaders(t *testing.T) {
	tests := []struct {
		name, eml string
		want      []header
	}{
		{"plain", "From: a@example.com\r\nSubject: Hi\r\n\r\nbody: not a header\r\n",
			[]header{{"From", "a@example.com", true}, {"Subject", "Hi", true}}},
		{"folded", "List-Unsubscribe:\n <https://x.example/u>,\n\t<mailto:u@x.example>\nX-A: 1\n\n",
			[]header{{"List-Unsubscribe", "<https://x.example/u>, <mailto:u@x.example>", true}, {"X-A", "1", false}}},
		{"encoded words", "Subject: =?UTF-8?q?caf=C3=A9_=E2=80=94_ok?=\nto: =?utf-8?b?Sm9zw6k=?= <j@x.example>\n\n",
			[]header{{"Subject", "café — ok", true}, {"to", "José <j@x.example>", true}}},
		{"unknown charset kept", "Subject: =?x-unknown?q?abc?=\n\n",
			[]header{{"Subject", "=?x-unknown?q?abc?=", true}}},
		{"no colon skipped", "garbage\nX-B: 2\n\n", []header{{"X-B", "2", false}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readHeaders([]byte(tt.eml))
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("header %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestGolden(t *testing.T) {
	h := newHandler(t, fixture, Options{})
	for _, tt := range []struct{ path, golden string }{
		{"/", "index.golden.html"},
		{"/v/v0002", "variant.golden.html"},
		{"/v/v0001?as=1", "viewas.golden.html"},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			got := do(h, "GET", tt.path).Body.Bytes()
			file := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("GET %s differs from %s (go test -update rewrites it):\n%s", tt.path, file, got)
			}
		})
	}
}

// TestSharedNewsletter marks the fixture's second variant as sharing the
// first's newsletter (variants.Plan.Share): the index lists the
// newsletter once with its whole audience, the shared variant's pages
// lead to it, and its page names the cluster that reads it too.
func TestSharedNewsletter(t *testing.T) {
	dir := copyFixture(t)
	var plan variants.Plan
	if err := rundir.ReadJSON(filepath.Join(dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	first, second := plan.Variants[0], plan.Variants[1]
	plan.Variants[1].SameAs = first.ID
	plan.Variants[0].Also = []string{second.ID}
	if err := rundir.WriteJSON(filepath.Join(dir, rundir.PlanFile), plan); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, rundir.VariantsDir, second.ID)); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, dir, Options{})

	index := do(h, "GET", "/").Body.String()
	if strings.Contains(index, `href="/v/`+second.ID+`"`) {
		t.Error("the index lists the variant that shares another's newsletter")
	}
	for _, want := range []string{"2 clusters, 1 distinct newsletters", "+1 cluster", fmt.Sprintf(`data-sort="%d"`, first.Eligible+second.Eligible)} {
		if !strings.Contains(index, want) {
			t.Errorf("the index does not say %q", want)
		}
	}
	if strings.Contains(index, "problems") {
		t.Errorf("the index reports problems:\n%s", index)
	}

	for _, target := range []string{"/v/" + second.ID, "/v/" + second.ID + "?as=1"} {
		rec := do(h, "GET", target)
		want := strings.Replace(target, second.ID, first.ID, 1)
		if rec.Code != http.StatusFound || rec.Header().Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 302 to %s", target, rec.Code, rec.Header().Get("Location"), want)
		}
	}
	rec := do(h, "GET", "/v/"+second.ID+"/text")
	if want := do(h, "GET", "/v/"+first.ID+"/text").Body.String(); rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("the shared variant's text part: %d, not the newsletter's", rec.Code)
	}

	page := do(h, "GET", "/v/"+first.ID).Body.String()
	for _, want := range []string{"Also read by", `href="/v/` + second.ID + `"`, "in 2 clusters",
		fmt.Sprintf("%d eligible recipients of %d cardholders", first.Eligible+second.Eligible, first.Size+second.Size)} {
		if !strings.Contains(page, want) {
			t.Errorf("the newsletter's page does not say %q", want)
		}
	}
	if strings.Contains(page, `data-key="next"`) {
		t.Error("the newsletter's page leads to a next variant, the one that shares it")
	}
}
