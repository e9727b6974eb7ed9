package render_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// hostile are recipients whose values try every way out of their context:
// markup, attribute quotes, URL schemes, entities, template syntax, the
// text part's fill marks, line breaks, invalid UTF-8, noncharacters and
// NUL.
var hostile = []render.Recipient{
	{ID: "H1", FirstName: `<script>alert(1)</script>`, LastName: `"><img src=x onerror=alert(1)>`, Tier: `javascript:alert(1)`},
	{ID: "H2", FirstName: `' onmouseover='alert(1)`, LastName: "&lt;b&gt; &amp; &#34;", Tier: "gold\" style=\"x"},
	{ID: "H3", FirstName: "{{ .Sender.Name }}", LastName: "TLRACT0TLRX TLRUTMVARIANT", Tier: "vbscript:x"},
	{ID: "H4", FirstName: "A\x01n\x02n\x03\x04\x05", LastName: "line\nbreak\r\nand\ttab", Tier: "a b&c=d#e?f"},
	{ID: "H5", FirstName: "Zo\xffë\xc3", LastName: "\ufdd0\uffff\u2028\u2029", Tier: "\x00gold"},
	{ID: "H6", FirstName: strings.Repeat("Wolfeschlegelsteinhausenbergerdorff", 3), LastName: "", Tier: "",
		TopMerchants: map[string]string{"dining": `<a href="javascript:alert(1)">Café</a>`, "airlines": "+&'\"<>"},
		Attrs:        map[string]string{"points_balance": "98765"}},
	{ID: "H7", FirstName: "Ann", Tier: "platinum", Locale: "fr-FR",
		Attrs: map[string]string{"points_balance": "not a number"}}, // number fails: the templates say so
	{ID: "H8", FirstName: "Ann", Tier: "gold", Locale: "de-DE", Relationship: "lapsing", FavouriteMerchant: "Kaffee & Kuchen",
		TopMerchants: map[string]string{"dining": "Kaffee & Kuchen"}, Attrs: map[string]string{"points_balance": "-1234.5"}},
}

// comparePaths personalizes n for r with the templates alone and with
// Personalize, and reports any difference; fast says whether the fast path
// must have written the message itself.
func comparePaths(t *testing.T, n *render.Newsletter, r render.Recipient, fast bool) {
	t.Helper()
	unsub := unsubscribe(t, r.ID)
	want, wantErr := n.PersonalizeSlow(r, unsub)
	got, err := n.Personalize(r, unsub)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("recipient %s: error %v, the templates' %v", r.ID, err, wantErr)
	}
	if err != nil {
		if _, ok := n.PersonalizeFast(r, unsub); ok {
			t.Errorf("recipient %s: the fast path wrote a message the templates refuse: %v", r.ID, wantErr)
		}
		refusedRows(t, n, r, unsub, wantErr)
		return
	}
	diff(t, r.ID, got, want)
	m, ok := n.PersonalizeFast(r, unsub)
	if fast && !ok {
		t.Errorf("recipient %s: the fast path left the message to the templates", r.ID)
	}
	if ok {
		diff(t, r.ID, m, want)
	}
	compareRows(t, n, r, unsub, want)
}

// compareAll runs comparePaths for the ordinary recipients, whose messages
// the fast path must write itself, and for the hostile ones.
func compareAll(t *testing.T, n *render.Newsletter, ordinary []render.Recipient) {
	t.Helper()
	for _, r := range ordinary {
		comparePaths(t, n, r, true)
	}
	for _, r := range hostile {
		comparePaths(t, n, r, false)
	}
}

// compareRows checks AuditInto against want, the templates' message: the
// same subject and text, and the block rows of want's HTML, listed or in
// the HTML it writes.
func compareRows(t *testing.T, n *render.Newsletter, r render.Recipient, unsub string, want *render.Message) {
	t.Helper()
	var room render.Message
	for range 2 { // the second time in the same room
		got, rows, err := n.AuditInto(&room, r, unsub)
		if err != nil {
			t.Fatalf("recipient %s: AuditInto: %v; the templates wrote the message", r.ID, err)
		}
		if rows == nil {
			diff(t, r.ID, got, want)
			continue
		}
		if len(got.HTML) != 0 {
			t.Errorf("recipient %s: AuditInto listed the rows and wrote %d bytes of HTML", r.ID, len(got.HTML))
		}
		if got.Subject != want.Subject || !bytes.Equal(got.Text, want.Text) {
			t.Errorf("recipient %s: AuditInto's subject or text differ from the templates'", r.ID)
		}
		if g, w := strings.Join(rows, " "), strings.Join(rowsOf(want.HTML), " "); g != w {
			t.Errorf("recipient %s: AuditInto listed rows %q; the HTML holds %q", r.ID, g, w)
		}
	}
}

// refusedRows checks that AuditInto refuses, with the templates' error
// wantErr, a message the templates cannot write: the audit must not count
// it as read.
func refusedRows(t *testing.T, n *render.Newsletter, r render.Recipient, unsub string, wantErr error) {
	t.Helper()
	var room render.Message
	if _, rows, err := n.AuditInto(&room, r, unsub); err == nil || err.Error() != wantErr.Error() {
		t.Errorf("recipient %s: AuditInto listed rows %q, error %v; the templates fail with %v", r.ID, rows, err, wantErr)
	}
}

// rowsOf returns the ids of the block rows of html.
func rowsOf(html []byte) []string {
	out := []string{}
	for _, m := range rowRE.FindAllSubmatch(html, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

var rowRE = regexp.MustCompile(`class="block block-([^"]*)"`)

func diff(t *testing.T, id string, got, want *render.Message) {
	t.Helper()
	if got.Subject != want.Subject || got.Preheader != want.Preheader {
		t.Errorf("recipient %s: subject %q, preheader %q; the templates write %q, %q", id, got.Subject, got.Preheader, want.Subject, want.Preheader)
	}
	for _, part := range []struct {
		name      string
		got, want []byte
	}{{"HTML", got.HTML, want.HTML}, {"text", got.Text, want.Text}} {
		if !bytes.Equal(part.got, part.want) {
			i := 0
			for i < len(part.got) && i < len(part.want) && part.got[i] == part.want[i] {
				i++
			}
			from := max(0, i-80)
			t.Errorf("recipient %s: %s differs from the templates' at byte %d:\n got %q\nwant %q", id, part.name, i,
				part.got[from:min(len(part.got), i+80)], part.want[from:min(len(part.want), i+80)])
		}
	}
}

// TestFastPathMatches personalizes the example variants and a block of
// every construct for ordinary and hostile recipients, and checks that the
// fast path writes byte for byte what html/template and text/template
// write.
func TestFastPathMatches(t *testing.T) {
	set := setWith(t, map[string]string{"blocks/xss-probe.md": probeBlock, "blocks/constructs.md": constructsBlock})
	e := linkedEngine(t, set)
	vs := plan(t, set)
	vs = append(vs, variants.Variant{
		ID: "v0009", Label: "Dining", Blocks: []string{"intro-greeting", "xss-probe", "constructs", "closing-signoff"},
		Interests: []variants.Interest{{ID: "dining", Name: "Dining", Share: 0.5, Lift: 2}, {ID: "fuel", Name: "Fuel", Share: 0.1, Lift: 1.2}},
		Tier:      "gold", Relationship: "lapsing",
		Subject: "For {{ .Recipient.FirstName }}", Preheader: "Hi {{ .Recipient.FirstName }}",
	})
	ordinary := []render.Recipient{recipient, render.SampleRecipient(), {ID: "C1", FirstName: "Ann", Email: "ann@example.com"}}
	for _, v := range vs {
		t.Run(v.ID, func(t *testing.T) {
			n, err := e.Compile(v)
			if err != nil {
				t.Fatal(err)
			}
			if !n.HasFastPath() {
				t.Fatal("no fast path")
			}
			if !n.ListsRows() {
				t.Error("the fast path cannot list the block rows")
			}
			if !n.PrunesRows() {
				t.Error("the fast path lists the block rows with every step of the HTML")
			}
			compareAll(t, n, ordinary)
		})
	}
}

// variantFactsBlock writes the variant's facts, which each variant's
// programs write as static text.
const variantFactsBlock = `+++
id = "variant-facts"
interests = ["dining"]
subjects = ["s"]
preheaders = ["p"]
+++
## {{ .Variant.Label }}

For {{ .Recipient.FirstName }}: {{ range .Variant.InterestNames }}{{ . }} {{ end }}({{ .Variant.Tier }}, {{ .Variant.ID }}).
`

// constructsBlock uses every construct the fast path compiles.
const constructsBlock = `+++
id = "constructs"
interests = ["dining"]
subjects = ["s"]
preheaders = ["p"]
+++
## {{ .Variant.Label }} for {{ printf "%s %s" .Recipient.FirstName .Recipient.LastName }}

{{ $tier := .Recipient.Tier }}{{ $n := len .Recipient.FirstName }}Tier {{ $tier }}, {{ $n }} letters, {{ print 1 2.5 true }}{{ println }}.
{{ if and .Recipient.Tier (not (eq .Recipient.Tier "green")) }}Not green.{{ else if eq .Recipient.Tier "green" "blue" }}Green.{{ else }}No tier.{{ end }}
{{ if or (lt (len .Recipient.LastName) 3) (ge $n 10) }}Short or long.{{ end }} {{ if ne .Recipient.Relationship "lapsing" }}Staying.{{ end }}
{{ with .Variant.Interests }}{{ range $i, $in := . }}{{ if gt $i 0 }}, {{ end }}{{ $in.Name }} ({{ $in.ID }}, lift {{ $in.Lift }}){{ end }}{{ else }}No interests.{{ end }}
{{ range .Variant.InterestNames }}[{{ . }}]{{ else }}none{{ end }} {{ index .Variant.InterestNames 0 }} {{ $.Variant.Tier }}/{{ .Variant.Relationship }}
{{ with index .Recipient.TopMerchants "dining" }}At {{ . }} with {{ $.Recipient.FirstName }}.{{ end }}{{ $tier = "changed" }} {{ $tier }}
{{ with index .Recipient.Attrs "points_balance" }}{{ number $.Recipient.Locale . }} points, {{ money $.Recipient.Locale . "EUR" }}, {{ . | number "de-DE" }}.{{ end }}
{{ money .Recipient.Locale 123456 "USD" }} {{ date .Recipient.Locale "2026-10-05" }} {{ date .Recipient.Locale "2026-10-05" "short" }}

- [Offers for {{ .Recipient.FirstName }}](https://www.example.com/o/{{ .Recipient.Tier }}?n={{ .Recipient.LastName }}&utm_source=designer "{{ .Recipient.LastName }}")
- ![{{ .Recipient.FirstName }}](https://img.example.com/{{ .Recipient.Tier }}.png)
- [Raw]({{ .Recipient.Tier }}) and [mail](mailto:{{ .Recipient.Email }}?subject={{ .Recipient.FirstName }})

| Field | Value |
|---|---|
| Name | {{ .Recipient.FirstName }} |
| Sender | {{ .Sender.Name }} {{ .Campaign.Month }} {{ .UnsubscribeURL }} |

{{ template "constructs-extra" .Recipient }}

{{ define "constructs-extra" }}Extra for {{ .FirstName }} ({{ $.Tier }}).{{ end }}
`

// TestFastPathFallback checks that a template the fast path does not
// cover runs on the templates, with the same result.
func TestFastPathFallback(t *testing.T) {
	tests := []struct{ name, file, src string }{
		{"range over a map", "blocks/x.md", `{{ range $k, $v := .Recipient.TopMerchants }}{{ $k }}={{ $v }} {{ end }}`},
		{"break", "blocks/x.md", `{{ range .Variant.InterestNames }}{{ . }}{{ break }}{{ end }}`},
		{"urlquery", "blocks/x.md", `{{ .Recipient.FirstName | urlquery }}`},
		{"a field of a call", "blocks/x.md", `{{ (index .Variant.Interests 0).Name }}`},
		{"JavaScript", "partials/header.html", `{{ define "header" }}<script>var n = {{ .Recipient.FirstName }};</script>{{ end }}`},
		{"CSS", "partials/header.html", `{{ define "header" }}<span style="color: {{ .Recipient.Tier }}">x</span>{{ end }}`},
		{"an unquoted attribute", "partials/header.html", `{{ define "header" }}<span title={{ .Recipient.LastName }}>x</span>{{ end }}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := "+++\nid = \"x\"\ninterests = [\"dining\"]\nsubjects = [\"s\"]\npreheaders = [\"p\"]\n+++\n## Hello\n\nText.\n"
			files := map[string]string{"blocks/x.md": block}
			if tt.file == "blocks/x.md" {
				files[tt.file] = block + "\n" + tt.src + "\n"
			} else {
				files[tt.file] = tt.src
			}
			set := setWith(t, files)
			n, err := newEngine(t, set).Compile(variants.Variant{ID: "v0001", Label: "X", Blocks: []string{"intro-greeting", "x"},
				Subject: "s", Preheader: "p", Interests: []variants.Interest{{ID: "dining", Name: "Dining"}}})
			if err != nil {
				t.Fatal(err)
			}
			if n.HasFastPath() && tt.name != "an unquoted attribute" {
				t.Error("the fast path compiled a template it does not cover")
			}
			for _, r := range append([]render.Recipient{recipient}, hostile...) {
				comparePaths(t, n, r, false)
			}
		})
	}
}

// FuzzFastPath personalizes the example variants and the probe blocks for
// random recipients: the fast path must write what the templates write,
// or leave the recipient to them.
func FuzzFastPath(f *testing.F) {
	for _, r := range hostile {
		f.Add(r.FirstName, r.LastName, r.Tier, r.Locale, r.Attrs["points_balance"], r.TopMerchants["dining"])
	}
	f.Add("Zoë", "O'Brien", "platinum", "en-GB", "12480", "Olive & Thyme")
	set := setWith(f, map[string]string{"blocks/xss-probe.md": probeBlock, "blocks/constructs.md": constructsBlock})
	e := linkedEngine(f, set)
	var ns []*render.Newsletter
	for _, v := range append(plan(f, set), variants.Variant{ID: "v0009", Label: "Dining", Blocks: []string{"xss-probe", "constructs"},
		Interests: []variants.Interest{{ID: "dining", Name: "Dining"}}, Subject: "For {{ .Recipient.FirstName }}", Preheader: "p"}) {
		n, err := e.Compile(v)
		if err != nil {
			f.Fatal(err)
		}
		ns = append(ns, n)
	}
	f.Fuzz(func(t *testing.T, first, last, tier, locale, points, merchant string) {
		r := render.Recipient{ID: "F1", FirstName: first, LastName: last, Tier: tier, Locale: locale, Email: "f@example.com",
			TopMerchants: map[string]string{"dining": merchant}, Attrs: map[string]string{"points_balance": points}}
		for _, n := range ns {
			comparePaths(t, n, r, false)
		}
	})
}

// TestPersonalizeAfterFallback checks that a recipient the fast path
// leaves to the templates does not change what it writes for the next.
func TestPersonalizeAfterFallback(t *testing.T) {
	set := defaultSet(t)
	n, err := linkedEngine(t, set).Compile(plan(t, set)[0])
	if err != nil {
		t.Fatal(err)
	}
	bad := recipient
	bad.Attrs = map[string]string{"points_balance": "lots"}
	want, err := n.PersonalizeSlow(recipient, unsubscribe(t, recipient.ID))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := n.Personalize(bad, unsubscribe(t, recipient.ID)); err == nil || !strings.Contains(err.Error(), `number: "lots"`) {
			t.Fatalf("error %v, want the number's", err)
		}
		got, err := n.Personalize(recipient, unsubscribe(t, recipient.ID))
		if err != nil {
			t.Fatal(err)
		}
		diff(t, fmt.Sprint("after fallback ", i), got, want)
	}
	// The templates a newsletter with a fast path lets go are parsed again
	// once, whoever needs them first.
	n, err = linkedEngine(t, set).Compile(plan(t, set)[0])
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := n.Personalize(bad, unsubscribe(t, recipient.ID)); err == nil || !strings.Contains(err.Error(), `number: "lots"`) {
				t.Errorf("error %v, want the number's", err)
			}
			got, err := n.PersonalizeSlow(recipient, unsubscribe(t, recipient.ID))
			if err != nil {
				t.Error(err)
				return
			}
			diff(t, "the templates parsed again", got, want)
		})
	}
	wg.Wait()
}

// TestAuditRows checks AuditInto on layouts whose block rows are not all
// in static text of their own: written by a value, or cut across static
// text and values. The rows must be those of the HTML the templates
// write, listed or not.
func TestAuditRows(t *testing.T) {
	header := func(body string) map[string]string {
		return map[string]string{"partials/header.html": `{{ define "header" }}` + body + `{{ end }}`}
	}
	tests := []struct {
		name  string
		files map[string]string
		lists bool // the fast path lists the rows
		// prunes: it lists them without the static text and the
		// values that cannot change them
		prunes bool
	}{
		{"the example layout", nil, true, true},
		{"a row in static text", header(`<table><tr><td class="block block-tier-gold">x</td></tr></table>`), true, true},
		{"a row in a conditional comment", header(`<!--[if mso]><table><tr><td class="block block-tier-gold">x</td></tr></table><![endif]-->`), true, true},
		{"a row with a merged id", header(`<p class="block block-{{ .Recipient.Tier }}">x</p>`), false, false},
		{"a row after a value", header(`<p>{{ .Recipient.FirstName }}lass="block block-tier-gold"</p>`), true, false},
		{"a row cut by a value", header(`<p data-x="clas{{ .Recipient.FirstName }}"></p>`), true, false},
		{"values one after another", header(`<p>{{ .Recipient.FirstName }} {{ .Recipient.Tier }}{{ .Recipient.LastName }}-</p>`), true, true},
		{"values and a quote", header(`<p>{{ .Recipient.FirstName }}="{{ .Recipient.Tier }}</p>`), true, false},
		{"a row in a value", header(`{{ if .Recipient.Tier }}<p>{{ .Recipient.Tier }}</p>{{ end }}`), true, true},
		// Values that can fail stay in the pruned program, so that
		// the audit refuses the messages the templates cannot write.
		{"a value that can fail", header(`{{ with index .Recipient.Attrs "points_balance" }}<p>{{ number $.Recipient.Locale . }} points</p>{{ end }}`), true, true},
		{"a key that can be missing", header(`{{ if .Recipient.Attrs }}<p>{{ .Recipient.Attrs.points_balance }} points</p>{{ end }}`), true, true},
		{"a condition that can fail", header(`{{ if .Recipient.Attrs }}{{ if eq (index .Variant.InterestNames 5) "x" }}<p>{{ .Recipient.FirstName }}</p>{{ end }}{{ end }}`), true, true},
		{"a row under a condition that can fail", header(`{{ if .Recipient.Attrs }}{{ if eq (index .Variant.InterestNames 5) "x" }}<table><tr><td class="block block-tier-gold">x</td></tr></table>{{ end }}{{ end }}`), true, true},
		{"a row in a call", header(`{{ template "gold" .Recipient }}{{ end }}{{ define "gold" }}{{ if eq .Tier "gold" }}<table><tr><td class="block block-tier-gold">{{ .FirstName }}</td></tr></table>{{ end }}`), true, true},
	}
	people := append([]render.Recipient{recipient,
		{ID: "R1", FirstName: "c", Tier: "tier-gold"},
		{ID: "R2", FirstName: `s="block block-x`, Tier: `class="block block-tier-gold"`},
		{ID: "R3", FirstName: "Marc", Tier: "gold"},
		{ID: "R4", FirstName: "Dee", Tier: "gold", Attrs: map[string]string{"segment": "new"}}}, hostile...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := defaultSet(t)
			if tt.files != nil {
				set = setWith(t, tt.files)
			}
			for _, v := range plan(t, set) {
				n, err := linkedEngine(t, set).Compile(v)
				if err != nil {
					t.Fatal(err)
				}
				if n.ListsRows() != tt.lists {
					t.Errorf("%s: ListsRows() = %v, want %v", v.ID, n.ListsRows(), tt.lists)
				}
				if n.PrunesRows() != tt.prunes {
					t.Errorf("%s: PrunesRows() = %v, want %v", v.ID, n.PrunesRows(), tt.prunes)
				}
				for _, r := range people {
					unsub := unsubscribe(t, r.ID)
					want, err := n.PersonalizeSlow(r, unsub)
					if err != nil {
						refusedRows(t, n, r, unsub, err)
						continue
					}
					compareRows(t, n, r, unsub, want)
				}
			}
		})
	}
}

// TestSharedPathMatches compiles each variant twice, the second time from
// the templates the engine escaped once for every variant, and checks that
// both newsletters write what html/template and text/template write, with
// and without the variant's id in the links.
func TestSharedPathMatches(t *testing.T) {
	set := setWith(t, map[string]string{"blocks/xss-probe.md": probeBlock, "blocks/constructs.md": constructsBlock, "blocks/variant-facts.md": variantFactsBlock})
	vs := plan(t, set)
	// Two variants that differ only in their facts, which a block writes.
	for i, label := range []string{"Dining first", "Dining & more <b>"} {
		vs = append(vs, variants.Variant{
			ID: fmt.Sprintf("v%04d", 20+i), Label: label, Blocks: []string{"intro-greeting", "variant-facts", "closing-signoff"},
			Interests: []variants.Interest{{ID: "dining", Name: label, Share: 0.5, Lift: 2}},
			Tier:      []string{"gold", "green"}[i], Relationship: "lapsing",
			Subject: "For {{ .Recipient.FirstName }}", Preheader: "Hi",
		})
	}
	vs = append(vs, variants.Variant{
		ID: "v0009", Label: "Dining", Blocks: []string{"intro-greeting", "xss-probe", "dining-table", "closing-signoff"},
		Interests: []variants.Interest{{ID: "dining", Name: "Dining", Share: 0.5, Lift: 2}},
		Tier:      "gold", Relationship: "lapsing",
		Subject: "For {{ .Recipient.FirstName }}", Preheader: "Hi {{ .Recipient.FirstName }}",
	}, variants.Variant{
		ID: "v 10&x", Label: "Constructs", Blocks: []string{"intro-greeting", "constructs", "closing-signoff"},
		Interests: []variants.Interest{{ID: "dining", Name: "Dining", Share: 0.5, Lift: 2}},
		Subject:   "For {{ .Recipient.FirstName }}", Preheader: "Hi",
	})
	// A variant with slots, as variants.Build plans them.
	vs = append(vs, runPlan(t, set)[:3]...)
	ordinary := []render.Recipient{recipient, render.SampleRecipient(), {ID: "C1", FirstName: "Ann", Email: "ann@example.com", Tier: "gold", Relationship: "lapsing"}}
	for _, linked := range []bool{false, true} {
		e := newEngine(t, set)
		if linked {
			e = linkedEngine(t, set)
		}
		for _, v := range vs {
			t.Run(fmt.Sprintf("linked=%v/%s", linked, v.ID), func(t *testing.T) {
				first, err := e.Compile(v)
				if err != nil {
					t.Fatal(err)
				}
				second, err := e.Compile(v)
				if err != nil {
					t.Fatal(err)
				}
				// The constructs block defines a template of its own,
				// which each variant parses.
				wantShared := !slices.Contains(v.Blocks, "constructs")
				if second.SharedPath() != wantShared {
					t.Fatalf("compiled again from the shared templates: %v, want %v", second.SharedPath(), wantShared)
				}
				for _, n := range []*render.Newsletter{first, second} {
					if !n.HasFastPath() {
						t.Fatal("no fast path")
					}
					compareAll(t, n, ordinary)
				}
			})
		}
	}
}

// TestSharedPathRun compiles a run's variants (runPlan) on four
// goroutines, as the render stage does, and checks that all but the first
// few are compiled from the shared templates, with the blocks' bodies
// compiled once, and that a sample of them writes what the templates
// write.
func TestSharedPathRun(t *testing.T) {
	set := defaultSet(t)
	e := linkedEngine(t, set)
	vs := runPlan(t, set)
	ns := make([]*render.Newsletter, len(vs))
	errs := make([]error, len(vs))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(vs); i += 4 {
				ns[i], errs[i] = e.Compile(vs[i])
			}
		})
	}
	wg.Wait()
	shared := 0
	for i, n := range ns {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if n.SharedPath() {
			shared++
		}
		if i%50 == 0 {
			comparePaths(t, n, recipient, true)
			comparePaths(t, n, hostile[0], false)
			comparePaths(t, n, hostile[7], false)
		}
	}
	if shared < 1300 {
		t.Errorf("%d of %d variants compiled from the shared templates, want at least 1300", shared, len(vs))
	}
	// Every block's body, in the HTML and the text programs, is compiled
	// once and copied into each variant's programs.
	blocks := map[string]bool{}
	for _, v := range vs {
		for _, id := range v.BlockIDs() {
			blocks[id] = true
		}
	}
	if got := e.SharedBodies(); got < 2*len(blocks) {
		t.Errorf("%d template bodies shared by the variants, want at least %d (the %d blocks' HTML and text)", got, 2*len(blocks), len(blocks))
	}
}

// TestSharedPathRefused checks that an engine escapes each variant on its
// own when the blocks are not called from HTML text: escaped once, in the
// content escaping a whole run makes, they would not be what html/template
// makes of each variant's.
func TestSharedPathRefused(t *testing.T) {
	layout, err := fs.ReadFile(templates.DefaultFS(), "layout.html")
	if err != nil {
		t.Fatal(err)
	}
	call := `{{ template "content" . }}`
	if !bytes.Contains(layout, []byte(call)) {
		t.Fatalf("the default layout has no %s", call)
	}
	layout = bytes.Replace(layout, []byte(call), []byte("<textarea>"+call+"</textarea>"), 1)
	if !newEngine(t, defaultSet(t)).SharesTemplates() {
		t.Fatal("the default set's templates are escaped per variant")
	}
	set := setWith(t, map[string]string{"layout.html": string(layout)})
	e := newEngine(t, set)
	if e.SharesTemplates() {
		t.Error("the blocks are called in a textarea, and escaped once for every variant")
	}
	v := plan(t, set)[0]
	for range 2 {
		n, err := e.Compile(v)
		if err != nil {
			t.Fatal(err)
		}
		if n.SharedPath() {
			t.Fatal("compiled from shared templates escaped in another context")
		}
		comparePaths(t, n, recipient, false)
	}
}
