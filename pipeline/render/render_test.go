package render_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	campaign = render.Campaign{Name: "october-rewards", Month: "2026-10", MonthName: "October 2026"}
	sender   = render.Sender{Name: "Meridian Card", From: "Meridian Card <news@meridian.example>", ReplyTo: "help@meridian.example", PostalAddress: "100 Harbor Street, Portland, ME 04101"}
	// recipient is the fixed recipient of the golden files: long names
	// and merchants, so that the goldens show the text filled around real
	// values.
	recipient = render.Recipient{ID: "C000042", FirstName: "Zoë-Maximiliana", LastName: "O'Brien-Castellanos", Email: "zoe.obrien@example.com",
		Tier: "platinum", Locale: "en-GB", Relationship: "lost-for-good", FavouriteMerchant: "The Grand Harbourside Brasserie & Oyster Bar",
		TopMerchants: map[string]string{"dining": "The Grand Harbourside Brasserie & Oyster Bar", "airlines": "Transatlantic Skyways"},
		Attrs:        map[string]string{"points_balance": "1234567"}}
	// links is how the golden files tag their links.
	links = render.Links{UTM: true}
)

// defaultSet loads the embedded default template set.
func defaultSet(t testing.TB) *templates.Set {
	t.Helper()
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func newEngine(t testing.TB, set *templates.Set) *render.Engine {
	t.Helper()
	e, err := render.NewEngine(set, templates.NewMarkdown(), campaign, sender)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// linkedEngine is newEngine with the links tagged as in a run.
func linkedEngine(t testing.TB, set *templates.Set) *render.Engine {
	t.Helper()
	e, err := render.New(set, templates.NewMarkdown(), render.Config{Campaign: campaign, Sender: sender, Links: links})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// words returns s with every run of ASCII white space made one space, to
// find text that the fill may have broken across lines; no-break spaces
// stay.
func words(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }), " ")
}

// checkFill reports lines of a text part over TextWidth, but for a line of
// one word (after its list marker or indent), such as a long URL, which
// is never split.
func checkFill(t *testing.T, text string) {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if n := utf8.RuneCountInString(l); n > render.TextWidth && len(strings.Fields(strings.TrimLeft(l, "-> 0123456789."))) > 1 {
			t.Errorf("text line %d has %d runes: %q", i+1, n, l)
		}
	}
}

// plan is a small fixed plan on the default set: a dining-led, an
// airlines-led and a default-blocks variant, each with the subject and
// preheader its leading block offers.
func plan(t testing.TB, set *templates.Set) []variants.Variant {
	t.Helper()
	lead := func(id string, i int) (string, string) {
		b, ok := set.Block(id)
		if !ok {
			t.Fatalf("no block %q in the default set", id)
		}
		return b.Subjects[i%len(b.Subjects)], b.Preheaders[i%len(b.Preheaders)]
	}
	vs := []variants.Variant{{
		ID: "v0001", Cluster: 0, Label: "Dining + Airlines", Size: 120, Eligible: 100, Tier: "gold", Relationship: "intermediate",
		Interests: []variants.Interest{{ID: "dining", Name: "Dining", Share: 0.4, Lift: 2.5}, {ID: "airlines", Name: "Airlines", Share: 0.2, Lift: 1.8}},
		Blocks:    []string{"intro-greeting", "dining-table", "airlines-upgrade", "closing-signoff"},
	}, {
		ID: "v0002", Cluster: 1, Label: "Airlines + Lodging", Size: 80, Eligible: 70, Tier: "platinum", Relationship: "lost-for-good",
		Interests: []variants.Interest{{ID: "airlines", Name: "Airlines", Share: 0.5, Lift: 3}, {ID: "lodging", Name: "Lodging", Share: 0.2, Lift: 2}},
		Blocks:    []string{"intro-greeting", "airlines-upgrade", "lodging-stays", "tier-platinum", "retention-loyalty", "closing-signoff"},
	}, {
		ID: "v0003", Cluster: 2, Label: "Mixed spending", Size: 40, Eligible: 30, Tier: "green", Relationship: "lapsing",
		Blocks: []string{"intro-greeting", "default-benefits", "default-security", "retention-winback", "closing-signoff"},
	}}
	for i := range vs {
		vs[i].Subject, vs[i].Preheader = lead(vs[i].Blocks[1], vs[i].Cluster)
	}
	if err := variants.Validate(variants.Plan{Variants: vs}, set.Meta()); err != nil {
		t.Fatal(err)
	}
	return vs
}

func unsubscribe(t testing.TB, id string) string {
	t.Helper()
	u, err := render.UnsubscribeURL("https://www.meridian.example/unsubscribe", "test-secret", campaign.Name, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept); got:\n%s", file, got)
	}
}

// heading returns the text of a block's first "## " heading.
func heading(t *testing.T, set *templates.Set, id string) string {
	t.Helper()
	b, _ := set.Block(id)
	for _, l := range strings.Split(b.Body, "\n") {
		if h, ok := strings.CutPrefix(l, "## "); ok {
			return h
		}
	}
	t.Fatalf("block %s has no heading", id)
	return ""
}

func TestGolden(t *testing.T) {
	set := defaultSet(t)
	e := linkedEngine(t, set)
	vs := plan(t, set)
	msgs := map[string]*render.Message{}
	for _, v := range vs {
		t.Run(v.ID, func(t *testing.T) {
			n, err := e.Compile(v)
			if err != nil {
				t.Fatal(err)
			}
			m, err := n.Personalize(recipient, unsubscribe(t, recipient.ID))
			if err != nil {
				t.Fatal(err)
			}
			msgs[v.ID] = m
			golden(t, filepath.Join("testdata", "golden", v.ID+".html"), m.HTML)
			golden(t, filepath.Join("testdata", "golden", v.ID+".txt"), m.Text)

			wantSubject := strings.ReplaceAll(v.Subject, "{{ .Recipient.FirstName }}", recipient.FirstName)
			if m.Subject != wantSubject {
				t.Errorf("subject %q, want %q", m.Subject, wantSubject)
			}
			if m.Preheader != v.Preheader {
				t.Errorf("preheader %q, want %q", m.Preheader, v.Preheader)
			}
			html, text := string(m.HTML), string(m.Text)
			if !strings.Contains(html, htmlEscape(m.Preheader)) {
				t.Errorf("HTML lacks the preheader %q", m.Preheader)
			}
			for _, out := range []string{html, words(text)} {
				for _, bad := range []string{"<no value>", "{{", "}}", "TLRACT", "TLRUTM", "ZgotmplZ"} {
					if strings.Contains(out, bad) {
						t.Errorf("output holds %q", bad)
					}
				}
				for _, want := range []string{recipient.FirstName, campaign.MonthName, sender.PostalAddress, "Ref. " + v.ID,
					"You have 1,234,567 points to spend on them.", "utm_content=" + v.ID} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q", want)
					}
				}
			}
			if !strings.Contains(text, unsubscribe(t, recipient.ID)) {
				t.Error("text lacks the unsubscribe URL")
			}
			if !strings.Contains(html, `href="`+htmlEscape(unsubscribe(t, recipient.ID))+`"`) {
				t.Error("HTML lacks the unsubscribe link")
			}
			for _, id := range v.Blocks {
				if !strings.Contains(html, `class="block block-`+id+`"`) {
					t.Errorf("HTML lacks the row of block %s", id)
				}
			}
			// The blocks are filled once the recipient's values are in;
			// the lines of layout.txt are the designer's.
			if i := strings.Index(text, "\n-----------------------------------"); i >= 0 {
				checkFill(t, text[:i])
			} else {
				t.Error("text lacks the footer's rule")
			}
			if strings.Contains(text, "<") || strings.Contains(text, "&#") {
				t.Error("text part holds HTML")
			}
		})
	}
	if len(msgs) != len(vs) {
		t.FailNow()
	}
	// The variants differ visibly: each shows its own body headings and
	// none of the others'.
	for _, v := range vs {
		html := string(msgs[v.ID].HTML)
		text := string(msgs[v.ID].Text)
		for _, id := range []string{"dining-table", "airlines-upgrade", "lodging-stays", "default-benefits", "default-security"} {
			h := heading(t, set, id)
			want := false
			for _, b := range v.Blocks {
				want = want || b == id
			}
			if got := strings.Contains(html, ">"+htmlEscape(h)+"</h2>"); got != want {
				t.Errorf("%s: HTML has heading %q = %v, want %v", v.ID, h, got, want)
			}
			if got := strings.Contains(text, h+"\n---"); got != want {
				t.Errorf("%s: text has heading %q = %v, want %v", v.ID, h, got, want)
			}
		}
	}
	if bytes.Equal(msgs["v0001"].HTML, msgs["v0002"].HTML) {
		t.Error("v0001 and v0002 render the same HTML")
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// TestOutlookComments checks that the layout's conditional comments reach
// the output verbatim, though html/template strips comments.
func TestOutlookComments(t *testing.T) {
	set := defaultSet(t)
	comments := regexp.MustCompile(`(?s)<!--\[if [^\]]*\]>.*?<!\[endif\]-->`).FindAllString(set.HTML.Source, -1)
	if len(comments) < 2 {
		t.Fatalf("the default layout has %d Outlook comments, want at least 2", len(comments))
	}
	n, err := newEngine(t, set).Compile(plan(t, set)[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := n.Personalize(recipient, unsubscribe(t, recipient.ID))
	if err != nil {
		t.Fatal(err)
	}
	html := string(m.HTML)
	for _, c := range comments {
		if !strings.Contains(html, c) {
			t.Errorf("comment lost:\n%s", c)
		}
	}
	if got := strings.Count(html, "<!--[if mso]>"); got != len(comments) {
		t.Errorf("%d <!--[if mso]> in the output, want %d", got, len(comments))
	}
	if got := strings.Count(html, "<![endif]-->"); got != len(comments) {
		t.Errorf("%d <![endif]--> in the output, want %d", got, len(comments))
	}
	// Other comments are still stripped, CSS ones in the head too.
	if !strings.Contains(set.HTML.Source, "Small screens: !important") {
		t.Fatal("the default layout lost its small-screen comment")
	}
	if strings.Contains(html, "Small screens: !important") {
		t.Error("a CSS comment survived")
	}
}

// defaultFS returns the files of the default template set.
func defaultFS(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(templates.DefaultFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templates.DefaultFS(), p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// setWith returns the default template set with files added or replaced.
func setWith(t testing.TB, files map[string]string) *templates.Set {
	t.Helper()
	m := defaultFS(t)
	for name, src := range files {
		m[name] = &fstest.MapFile{Data: []byte(src)}
	}
	set, err := templates.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

const probeBlock = `+++
id = "xss-probe"
interests = ["dining"]
subjects = ["For {{ .Recipient.FirstName }}"]
preheaders = ["Hi {{ .Recipient.FirstName }}"]
+++
## For {{ .Recipient.FirstName }}

Dear {{ .Recipient.FirstName }} {{ .Recipient.LastName }}, **{{ .Recipient.Tier }}** member.

![{{ .Recipient.LastName }}](https://img.example.com/card.png)

[Your page](https://www.example.com/u/{{ .Recipient.Tier }} "For {{ .Recipient.LastName }}")

[Your offers](https://www.example.com/offers?tier={{ .Recipient.Tier }}&n={{ .Recipient.LastName }})

[Go]({{ .Recipient.Tier }})
`

func TestEscaping(t *testing.T) {
	set := setWith(t, map[string]string{"blocks/xss-probe.md": probeBlock})
	e := newEngine(t, set)
	v := variants.Variant{
		ID: "v0009", Label: "Dining", Blocks: []string{"intro-greeting", "xss-probe", "closing-signoff"},
		Interests: []variants.Interest{{ID: "dining", Name: "Dining"}},
		Subject:   "For {{ .Recipient.FirstName }}", Preheader: "Hi {{ .Recipient.FirstName }}",
	}
	n, err := e.Compile(v)
	if err != nil {
		t.Fatal(err)
	}
	evil := render.Recipient{
		ID: "X1", Email: "x@example.com",
		FirstName: `<script>alert(1)</script>`,
		LastName:  `"><img src=x onerror=alert(1)>`,
		Tier:      `javascript:alert(1)`,
	}
	m, err := n.Personalize(evil, unsubscribe(t, evil.ID))
	if err != nil {
		t.Fatal(err)
	}
	html := string(m.HTML)
	lower := strings.ToLower(html)
	for _, bad := range []string{
		"<script",                   // the first name as markup
		`"><img src=x`,              // the last name breaking out of an attribute
		"<img src=x",                // the last name as markup
		`href="javascript:`,         // the tier as a link target
		`src="javascript:`,          //
		`"javascript:alert(1)"`,     //
		`/u/javascript:alert(1)"`,   // unescaped in a path
		"tier=javascript:alert(1)&", // unescaped in a query
	} {
		if strings.Contains(lower, bad) {
			t.Errorf("HTML holds %q", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",                   // text
		`>For &lt;script&gt;alert(1)&lt;/script&gt;</h2>`,         // heading
		`alt="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"`,       // attribute
		`title="For &#34;&gt;&lt;img src=x onerror=alert(1)&gt;"`, //
		`href="#ZgotmplZ"`, // unsafe URL refused
		"tier=javascript%3aalert%281%29&amp;n=%22%3e%3cimg%20src%3dx%20onerror%3dalert%281%29%3e", // query escaped
		"Hi &lt;script&gt;alert(1)&lt;/script&gt;",                                                // preheader
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	text := words(string(m.Text))
	for _, want := range []string{
		"Dear <script>alert(1)</script> \"><img src=x onerror=alert(1)>, javascript:alert(1) member.",
		"Hello <script>alert(1)</script>,",
		"Go (javascript:alert(1))",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if m.Subject != "For <script>alert(1)</script>" {
		t.Errorf("subject %q: a header is not HTML and is not escaped", m.Subject)
	}
}

func TestCompileErrors(t *testing.T) {
	block := func(body string) string {
		return "+++\nid = \"x\"\ninterests = [\"dining\"]\nsubjects = [\"s\"]\npreheaders = [\"p\"]\n+++\n## Hello\n\n" + body
	}
	base := variants.Variant{ID: "v0001", Label: "X", Blocks: []string{"intro-greeting", "x", "closing-signoff"}, Subject: "s", Preheader: "p",
		Interests: []variants.Interest{{ID: "dining", Name: "Dining"}}}
	tests := []struct {
		name  string
		files map[string]string
		edit  func(*variants.Variant)
		want  []string // substrings of the error
	}{{
		name:  "missing recipient field in a body",
		files: map[string]string{"blocks/x.md": block("Some text.\n\nDear {{ .Recipient.Nickname }},\n")},
		want:  []string{"blocks/x.md:11:", "Nickname"},
	}, {
		name:  "missing field in a link target",
		files: map[string]string{"blocks/x.md": block("[Go](https://e.com/?n={{ .Recipient.Nick }})\n")},
		want:  []string{"blocks/x.md:9:", "Nick"},
	}, {
		name:  "missing variant field",
		files: map[string]string{"blocks/x.md": block("- one\n- two\n- {{ .Variant.Colour }}\n")},
		want:  []string{"blocks/x.md:11:", "Colour"},
	}, {
		name:  "field of a string",
		files: map[string]string{"blocks/x.md": block("{{ .Recipient.FirstName.Upper }}\n")},
		want:  []string{"blocks/x.md:9:", "Upper"},
	}, {
		name:  "index out of range",
		files: map[string]string{"blocks/x.md": block("Top: {{ index .Variant.InterestNames 3 }}\n")},
		want:  []string{"blocks/x.md:9:", "index"},
	}, {
		name:  "missing field in the layout",
		files: map[string]string{"blocks/x.md": block("Fine.\n"), "layout.txt": "{{ template \"content\" . }}\n{{ .Sender.Phone }}\n"},
		want:  []string{"layout.txt:2:", "Phone"},
	}, {
		name:  "missing field in the subject",
		files: map[string]string{"blocks/x.md": block("Fine.\n")},
		edit:  func(v *variants.Variant) { v.Subject = "Hi {{ .Recipient.Nickname }}" },
		want:  []string{"subject", "Nickname"},
	}, {
		name:  "missing field in the preheader",
		files: map[string]string{"blocks/x.md": block("Fine.\n")},
		edit:  func(v *variants.Variant) { v.Preheader = "Hi {{ .Recipient.Nickname }}" },
		want:  []string{"preheader", "Nickname"},
	}, {
		name:  "subject syntax",
		files: map[string]string{"blocks/x.md": block("Fine.\n")},
		edit:  func(v *variants.Variant) { v.Subject = "Hi {{ .Recipient.FirstName" },
		want:  []string{"variant v0001: subject", "unclosed action"},
	}, {
		name:  "unknown block",
		files: map[string]string{"blocks/x.md": block("Fine.\n")},
		edit:  func(v *variants.Variant) { v.Blocks = append(v.Blocks, "nope") },
		want:  []string{`variant v0001: unknown block "nope"`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, setWith(t, tt.files))
			v := base
			v.Blocks = append([]string(nil), base.Blocks...)
			if tt.edit != nil {
				tt.edit(&v)
			}
			n, err := e.Compile(v)
			if err == nil {
				m, _ := n.Personalize(recipient, "https://u.example/")
				t.Fatalf("Compile succeeded; the text reads:\n%s", m.Text)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "<no value>") {
				t.Errorf("error %q holds <no value>", err)
			}
		})
	}
}

func TestPersonalizeSubject(t *testing.T) {
	set := defaultSet(t)
	e := newEngine(t, set)
	v := plan(t, set)[0] // "{{ .Recipient.FirstName }}, three tables worth booking this month"
	if !strings.HasPrefix(v.Subject, "{{ .Recipient.FirstName }}") {
		t.Fatalf("the dining block's first subject changed: %q", v.Subject)
	}
	withPreheader := v
	withPreheader.Preheader = "Picked for {{ .Recipient.FirstName }} this month"
	tests := []struct {
		name      string
		v         variants.Variant
		first     string
		subject   string // when no error
		preheader string
		errHeader bool
	}{
		{name: "plain", v: v, first: "Ann", subject: "Ann, three tables worth booking this month", preheader: v.Preheader},
		{name: "non-ASCII", v: v, first: "Zoë", subject: "Zoë, three tables worth booking this month", preheader: v.Preheader},
		{name: "markup stays raw", v: v, first: "<b>Ann</b> & co", subject: "<b>Ann</b> & co, three tables worth booking this month", preheader: v.Preheader},
		{name: "CRLF", v: v, first: "Ann\r\nBcc: all@example.com", errHeader: true},
		{name: "LF", v: v, first: "Ann\nX", errHeader: true},
		{name: "CR", v: v, first: "Ann\rX", errHeader: true},
		{name: "trailing LF", v: v, first: "Ann\n", errHeader: true},
		{name: "preheader", v: withPreheader, first: "Ann", subject: "Ann, three tables worth booking this month", preheader: "Picked for Ann this month"},
		{name: "LF in the preheader", v: withPreheader, first: "Ann\nX", errHeader: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := e.Compile(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			r := recipient
			r.FirstName = tt.first
			m, err := n.Personalize(r, unsubscribe(t, r.ID))
			if tt.errHeader {
				if !errors.Is(err, render.ErrHeader) {
					t.Fatalf("error %v, want one wrapping ErrHeader", err)
				}
				if m != nil {
					t.Error("a message came with the error")
				}
				if !strings.Contains(err.Error(), r.ID) {
					t.Errorf("error %q does not name the recipient", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.subject || m.Preheader != tt.preheader {
				t.Errorf("subject %q, preheader %q; want %q, %q", m.Subject, m.Preheader, tt.subject, tt.preheader)
			}
		})
	}
}

// TestPersonalizeConcurrent personalizes one newsletter from many
// goroutines, as a send worker pool does; run with -race.
func TestPersonalizeConcurrent(t *testing.T) {
	set := defaultSet(t)
	n, err := newEngine(t, set).Compile(plan(t, set)[1])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	rs := make([]render.Recipient, 16)
	for i := range rs {
		rs[i] = recipient
		rs[i].ID = fmt.Sprintf("C%03d", i)
		rs[i].FirstName = fmt.Sprintf("Name%d", i)
		m, err := n.Personalize(rs[i], unsubscribe(t, rs[i].ID))
		if err != nil {
			t.Fatal(err)
		}
		want[rs[i].ID] = append(m.HTML, m.Text...)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(rs)*4)
	for range 4 {
		for _, r := range rs {
			wg.Go(func() {
				m, err := n.Personalize(r, unsubscribe(t, r.ID))
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(append(m.HTML, m.Text...), want[r.ID]) {
					errs <- fmt.Errorf("recipient %s: output differs from the sequential one", r.ID)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestWritePreview(t *testing.T) {
	set := defaultSet(t)
	n, err := newEngine(t, set).Compile(plan(t, set)[2])
	if err != nil {
		t.Fatal(err)
	}
	var html, text bytes.Buffer
	if err := n.WritePreview(&html, &text); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{html.String(), text.String()} {
		if !strings.Contains(out, render.SampleRecipient().FirstName) || !strings.Contains(out, "unsubscribe.invalid") {
			t.Errorf("preview is not for the sample recipient:\n%s", out)
		}
	}
}

func TestUnsubscribeURL(t *testing.T) {
	const base, secret, camp = "https://www.meridian.example/unsubscribe", "s3cret", "october-rewards"
	get := func(t *testing.T, base, secret, camp, id string) string {
		t.Helper()
		u, err := render.UnsubscribeURL(base, secret, camp, id)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	t.Run("stable", func(t *testing.T) {
		if a, b := get(t, base, secret, camp, "C1"), get(t, base, secret, camp, "C1"); a != b {
			t.Errorf("%s != %s", a, b)
		}
	})
	ref := get(t, base, secret, camp, "C1")
	for _, tt := range []struct{ name, base, secret, camp, id string }{
		{"other id", base, secret, camp, "C2"},
		{"other secret", base, "other", camp, "C1"},
		{"other campaign", base, secret, "november", "C1"},
	} {
		t.Run("differs for "+tt.name, func(t *testing.T) {
			u := get(t, tt.base, tt.secret, tt.camp, tt.id)
			if u == ref {
				t.Errorf("same URL %s", u)
			}
			if token(t, u) == token(t, ref) {
				t.Error("same token")
			}
		})
	}
	for _, tt := range []struct{ name, base, id, wantPrefix string }{
		{"plain", base, "C1", base + "?c=october-rewards&id=C1&t="},
		{"http", "http://localhost:8080/u", "C1", "http://localhost:8080/u?c=october-rewards&id=C1&t="},
		{"space and ampersand", base, "a b&c=d", base + "?c=october-rewards&id=a+b%26c%3Dd&t="},
		{"unicode", base, "Zoë/1?#", base + "?c=october-rewards&id=Zo%C3%AB%2F1%3F%23&t="},
		{"base query kept", base + "?lang=en", "C1", base + "?c=october-rewards&id=C1&lang=en&t="},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := get(t, tt.base, secret, camp, tt.id)
			if !strings.HasPrefix(u, tt.wantPrefix) {
				t.Errorf("%s, want prefix %s", u, tt.wantPrefix)
			}
			p, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			if q := p.Query(); q.Get("id") != tt.id || q.Get("c") != camp {
				t.Errorf("query %v does not give back id %q and campaign %q", q, tt.id, camp)
			}
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write([]byte(camp + "\x00" + tt.id))
			if want := hex.EncodeToString(mac.Sum(nil))[:32]; token(t, u) != want {
				t.Errorf("token %s, want HMAC-SHA256(secret, campaign NUL id) %s", token(t, u), want)
			}
		})
	}
	for _, bad := range []string{"", "/unsubscribe", "unsubscribe.example.com/u", "www.example.com", "ftp://example.com/u", "mailto:u@example.com", "javascript:alert(1)", "https://", "https:///path", "http://[::1"} {
		t.Run("rejects "+bad, func(t *testing.T) {
			u, err := render.UnsubscribeURL(bad, secret, camp, "C1")
			if err == nil {
				t.Errorf("accepted, gave %s", u)
			} else if !strings.HasPrefix(err.Error(), "render: unsubscribe url") {
				t.Errorf("error %q does not say where it comes from", err)
			}
		})
	}
}

func token(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	tok := p.Query().Get("t")
	if len(tok) != 32 {
		t.Fatalf("token %q: want 32 hex digits", tok)
	}
	return tok
}

func TestMonthName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-10", "October 2026"},
		{"2026-01", "January 2026"},
		{"2027-12", "December 2027"},
		{"1999-02", "February 1999"},
		{"2026-00", "2026-00"},
		{"2026-13", "2026-13"},
		{"2026", "2026"},
		{"", ""},
		{"October", "October"},
		{"2026-1x", "2026-1x"},
		{"2026-10-05", "2026-10-05"},
		{"abcd-10", "abcd-10"},
		{"-10", "-10"},
		{"26-10", "26-10"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := render.MonthName(tt.in); got != tt.want {
				t.Errorf("MonthName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func BenchmarkPersonalize(b *testing.B) {
	set := defaultSet(b)
	n, err := newEngine(b, set).Compile(plan(b, set)[0])
	if err != nil {
		b.Fatal(err)
	}
	unsub := unsubscribe(b, recipient.ID)
	b.ReportAllocs()
	count := 0
	for b.Loop() {
		m, err := n.Personalize(recipient, unsub)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(m.HTML) + len(m.Text)))
		count++
	}
	b.ReportMetric(float64(count)/b.Elapsed().Seconds(), "recipients/s")
}

func BenchmarkCompile(b *testing.B) {
	set := defaultSet(b)
	e := newEngine(b, set)
	vs := plan(b, set)
	b.ReportAllocs()
	count := 0
	for b.Loop() {
		for _, v := range vs {
			if _, err := e.Compile(v); err != nil {
				b.Fatal(err)
			}
			count++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(count), "ns/variant")
}

func BenchmarkNewEngine(b *testing.B) {
	set := defaultSet(b)
	md := templates.NewMarkdown()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render.NewEngine(set, md, campaign, sender); err != nil {
			b.Fatal(err)
		}
	}
}

// runPlan plans the variants of a run as the pipeline does (variants.Build
// with its defaults) for 1,349 clusters, each with three to five interests
// drawn from those the default set's blocks serve: every variant has its
// intro, interest and closing blocks and a tier and a retention slot, about
// fourteen blocks, as a million-cardholder run of the example has.
func runPlan(t testing.TB, set *templates.Set) []variants.Variant {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	for _, b := range set.Meta() {
		for _, in := range b.Interests {
			if !seen[in] {
				seen[in] = true
				ids = append(ids, in)
			}
		}
	}
	slices.Sort(ids)
	rng := rand.New(rand.NewPCG(1, 2))
	clusters := make([]variants.Cluster, 1349)
	for i := range clusters {
		c := variants.Cluster{ID: i, Size: 700, Eligible: 650, Tier: []string{"green", "gold", "platinum"}[i%3], Relationship: "intermediate"}
		share := 0.5
		for _, j := range rng.Perm(len(ids))[:3+i%3] {
			c.Interests = append(c.Interests, variants.Interest{ID: ids[j], Name: ids[j], Share: share, Lift: 1 + 10*share})
			share /= 2
		}
		c.Label = c.Interests[0].Name
		clusters[i] = c
	}
	plan, err := variants.Build(clusters, set.Meta(), variants.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return plan.Variants
}

// BenchmarkRenderRun compiles a run of 1,349 variants as the pipeline
// does: one engine (Markdown, CSS inlining, link tagging, layout parse),
// then a compile per variant on every core (runPlan). The budget
// for the render stage, which also writes each variant's files, is 2 s on
// 2 cores.
func BenchmarkRenderRun(b *testing.B) {
	set := defaultSet(b)
	vs := runPlan(b, set)
	md := templates.NewMarkdown()
	blocks := 0
	for _, v := range vs {
		blocks += len(v.BlockIDs())
	}
	b.ReportAllocs()
	for b.Loop() {
		e, err := render.New(set, md, render.Config{Campaign: campaign, Sender: sender, Links: links})
		if err != nil {
			b.Fatal(err)
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, runtime.GOMAXPROCS(0))
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(vs); i = int(next.Add(1) - 1) {
					if _, err := e.Compile(vs[i]); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(blocks)/float64(len(vs)), "blocks/variant")
}
