// Package render compiles a newsletter variant from a template set and
// personalizes it per recipient. The expensive work, Markdown to HTML and
// the template compile, happens once per variant in Compile; per recipient
// only the compiled templates execute.
package render

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render/inline"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// Recipient holds the per-recipient merge fields.
type Recipient struct {
	ID        string
	FirstName string
	LastName  string
	Email     string
	Tier      string
	Locale    string
	// Relationship is the cardholder's relationship type with the card:
	// "lost-for-good", "intermediate", "always-a-share", "lapsing", ...
	Relationship string
	// FavouriteMerchant is the merchant with most of the cardholder's
	// purchases, "" when none stands out.
	FavouriteMerchant string
	// TopMerchants maps an interest id to the cardholder's favourite
	// merchant in it: {{ index .Recipient.TopMerchants "dining" }} is ""
	// when there is none.
	TopMerchants map[string]string
	// Attrs holds the extra columns of the cardholders input, by name:
	// {{ index .Recipient.Attrs "points_balance" }}.
	Attrs map[string]string
}

// Sender is who the newsletter comes from.
type Sender struct {
	// Name is the brand shown in the From header and the footer.
	Name string
	// From and ReplyTo are email addresses.
	From    string
	ReplyTo string
	// PostalAddress is printed in every footer, as the law asks.
	PostalAddress string
}

// Campaign describes the campaign month.
type Campaign struct {
	Name      string
	Month     string // "2026-10"
	MonthName string // "October 2026"
}

// VariantData is what templates see of the variant.
type VariantData struct {
	ID            string
	Label         string
	Subject       string
	Preheader     string
	InterestNames []string
}

// Data is the value templates execute on. Templates reach fields as
// .Recipient.FirstName, .Variant.Label, .Sender.PostalAddress,
// .Campaign.MonthName and .UnsubscribeURL.
type Data struct {
	Recipient      Recipient
	Variant        VariantData
	Sender         Sender
	Campaign       Campaign
	UnsubscribeURL string
}

// Engine compiles variants from one template set. Build it once per run: it
// converts every block's Markdown once, inlines the layout's CSS once and
// parses the layouts once.
type Engine struct {
	set       *templates.Set
	html      *htmltemplate.Template // layout and partials, without "content"
	text      *texttemplate.Template
	blockHTML map[string]string // block id -> HTML with actions, CSS inlined
	blockRow  map[string]string // block id -> its row of the "content" template
	blockText map[string]string // block id -> wrapped text with actions
	mso       []string          // Outlook conditional comments, restored verbatim
	sender    Sender
	campaign  Campaign
}

// TextWidth is the column at which the plain-text part wraps.
const TextWidth = 78

// msoComment matches Outlook conditional comments, which html/template
// would otherwise strip like any comment.
var msoComment = regexp.MustCompile(`(?s)<!--\[if [^\]]*\]>.*?<!\[endif\]-->`)

// NewEngine prepares the template set for compiling variants of a campaign.
//
// The rules of the <style> elements of the HTML layout and partials are
// inlined (package inline) into the style attributes of the layout, the
// partials, the block rows and the HTML of every block's Markdown, each in
// the context where the layout includes it, as if the variant were one
// document: ".block p" styles the paragraphs of every block. As no
// variant adds CSS or markup of its own, this happens here, once per
// template set, not once per variant. A malformed stylesheet is an error
// with its file, line and column.
func NewEngine(set *templates.Set, md *templates.Markdown, campaign Campaign, sender Sender) (*Engine, error) {
	e := &Engine{
		set: set, sender: sender, campaign: campaign,
		blockHTML: map[string]string{}, blockRow: map[string]string{}, blockText: map[string]string{},
	}
	css, err := newStyles(set)
	if err != nil {
		return nil, err
	}
	funcs := htmltemplate.FuncMap{
		"msoComment": func(i int) htmltemplate.HTML {
			if i < 0 || i >= len(e.mso) {
				return ""
			}
			return htmltemplate.HTML(e.mso[i]) // designer's own markup, trusted like the layout
		},
	}
	keep := func(src string) string {
		return msoComment.ReplaceAllStringFunc(src, func(m string) string {
			e.mso = append(e.mso, m)
			return fmt.Sprintf("{{ msoComment %d }}", len(e.mso)-1)
		})
	}
	h := htmltemplate.New(set.HTML.Name).Funcs(funcs).Option("missingkey=error")
	if _, err := h.Parse(keep(css.sources[set.HTML.Name])); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	t := texttemplate.New(set.Text.Name).Option("missingkey=error")
	if _, err := t.Parse(set.Text.Source); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	for _, p := range set.Partials {
		var err error
		if path.Ext(p.Name) == ".html" {
			_, err = h.New(p.Name).Parse(keep(css.sources[p.Name]))
		} else {
			_, err = t.New(p.Name).Parse(p.Source)
		}
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
	}
	e.html, e.text = h, t
	for _, b := range set.Blocks {
		html, err := md.HTML(b.Body)
		if err != nil {
			return nil, fmt.Errorf("render: %s: %w", b.File, err)
		}
		// Each block is a template of its own, named after its file, so an
		// execution error points at the block.
		row := fmt.Sprintf(`<tr><td class="block block-%s" style="padding:8px 32px 16px;">`, htmltemplate.HTMLEscapeString(b.ID))
		call := fmt.Sprintf("{{ template %q . }}", b.File)
		e.blockRow[b.ID] = css.sheet.Apply(row+call+"</td></tr>\n", css.content...)
		in := append(slices.Clip(css.content), inline.Ancestors(row, len(row))...)
		e.blockHTML[b.ID] = css.sheet.Apply(html, in...)
		e.blockText[b.ID] = md.Text(b.Body, TextWidth)
	}
	return e, nil
}

// styles is the CSS of a template set's HTML, ready to inline.
type styles struct {
	sheet   *inline.Sheet
	sources map[string]string // the layout and the HTML partials by name, CSS inlined
	content []string          // the start tags of the elements around {{ template "content" . }}
}

// newStyles compiles the <style> elements of the HTML layout and partials,
// in that order, and inlines them into those files. A partial is inlined in
// the context where the layout first calls a template it defines.
func newStyles(set *templates.Set) (*styles, error) {
	files := []templates.File{set.HTML}
	for _, p := range set.Partials {
		if path.Ext(p.Name) == ".html" {
			files = append(files, p)
		}
	}
	sheets := make([]*inline.Sheet, len(files))
	for i, f := range files {
		sh, err := inline.FromHTML(f.Source)
		if err != nil {
			return nil, fmt.Errorf("render: %s:%w", f.Name, err)
		}
		sheets[i] = sh
	}
	st := &styles{sheet: inline.Join(sheets...), sources: map[string]string{}}
	calls, fileCalls := callContexts(files)
	st.content = calls["content"]
	for _, f := range files {
		st.sources[f.Name] = st.sheet.Apply(f.Source, fileCalls[f.Name]...)
	}
	return st, nil
}

// callContexts follows the {{ template }} calls from the first of files,
// the layout, through the templates the files define. It returns, for each
// template called, the start tags of the elements open where it is first
// called, and the same for each file, where the first of its templates is
// called. The files have been parsed already; one that does not parse adds
// nothing.
func callContexts(files []templates.File) (calls, fileCalls map[string][]string) {
	type def struct {
		file  int
		tree  *parse.Tree
		start int // where the template's text starts in the file
	}
	defs := map[string]def{}
	for i, f := range files {
		trees := map[string]*parse.Tree{}
		t := parse.New(f.Name)
		t.Mode = parse.SkipFuncCheck
		if _, err := t.Parse(f.Source, "", "", trees); err != nil {
			continue
		}
		for name, tr := range trees {
			d := def{file: i, tree: tr}
			if name != f.Name && tr.Root != nil {
				d.start = int(tr.Root.Pos)
			}
			if _, dup := defs[name]; !dup || !parse.IsEmptyTree(tr.Root) {
				defs[name] = d
			}
		}
	}
	calls, fileCalls = map[string][]string{files[0].Name: nil}, map[string][]string{}
	queue := []string{files[0].Name}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		d, ok := defs[name]
		if !ok {
			continue
		}
		f := files[d.file]
		if _, seen := fileCalls[f.Name]; !seen {
			fileCalls[f.Name] = calls[name]
		}
		walkCalls(d.tree.Root, func(n *parse.TemplateNode) {
			if _, seen := calls[n.Name]; seen || int(n.Pos) < d.start {
				return
			}
			local := inline.Ancestors(f.Source[d.start:], int(n.Pos)-d.start)
			calls[n.Name] = append(slices.Clip(calls[name]), local...)
			queue = append(queue, n.Name)
		})
	}
	return calls, fileCalls
}

// walkCalls calls f for each {{ template }} call in n, in source order.
func walkCalls(n parse.Node, f func(*parse.TemplateNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkCalls(c, f)
		}
	case *parse.IfNode:
		walkCalls(n.List, f)
		walkCalls(n.ElseList, f)
	case *parse.RangeNode:
		walkCalls(n.List, f)
		walkCalls(n.ElseList, f)
	case *parse.WithNode:
		walkCalls(n.List, f)
		walkCalls(n.ElseList, f)
	case *parse.TemplateNode:
		f(n)
	}
}

// Newsletter is a compiled variant, ready to personalize.
type Newsletter struct {
	Variant   variants.Variant
	data      VariantData
	engine    *Engine
	html      *htmltemplate.Template
	text      *texttemplate.Template
	subject   *texttemplate.Template
	preheader *texttemplate.Template
}

// Compile builds the variant's templates: its blocks in order inside the
// layout. It executes them once on a sample recipient, so that a missing
// field is reported here, with the file and line, not per recipient.
func (e *Engine) Compile(v variants.Variant) (*Newsletter, error) {
	n := &Newsletter{Variant: v, engine: e}
	n.data = VariantData{ID: v.ID, Label: v.Label, Subject: v.Subject, Preheader: v.Preheader}
	for _, in := range v.Interests {
		n.data.InterestNames = append(n.data.InterestNames, in.Name)
	}
	var hc, tc strings.Builder
	h, err := e.html.Clone()
	if err != nil {
		return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
	}
	t, err := e.text.Clone()
	if err != nil {
		return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
	}
	for i, id := range v.Blocks {
		b, ok := e.set.Block(id)
		if !ok {
			return nil, fmt.Errorf("render: variant %s: unknown block %q", v.ID, id)
		}
		if _, err := h.New(b.File).Parse(e.blockHTML[id]); err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		if _, err := t.New(b.File).Parse(e.blockText[id]); err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		hc.WriteString(e.blockRow[id])
		if i > 0 {
			tc.WriteString("\n")
		}
		fmt.Fprintf(&tc, "{{ template %q . }}", b.File)
	}
	if _, err := h.New("content").Parse(hc.String()); err != nil {
		return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
	}
	if _, err := t.New("content").Parse(tc.String()); err != nil {
		return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
	}
	n.html, n.text = h, t
	if n.subject, err = texttemplate.New("subject").Option("missingkey=error").Parse(v.Subject); err != nil {
		return nil, fmt.Errorf("render: variant %s: subject: %w", v.ID, err)
	}
	if n.preheader, err = texttemplate.New("preheader").Option("missingkey=error").Parse(v.Preheader); err != nil {
		return nil, fmt.Errorf("render: variant %s: preheader: %w", v.ID, err)
	}
	if _, err := n.Personalize(SampleRecipient(), sampleUnsubscribe); err != nil {
		return nil, e.locate(n, err)
	}
	return n, nil
}

const sampleUnsubscribe = "https://unsubscribe.invalid/sample"

// locate turns an error of the sample execution into one with the line of
// the block file: the compiled templates hold the blocks' HTML, whose lines
// are not the file's. It executes each block's Markdown source, shifted
// down to the line where the body starts, on the same data; when none
// fails there, as with an error in a layout, err is returned as it is.
func (e *Engine) locate(n *Newsletter, err error) error {
	d := Data{Recipient: SampleRecipient(), Variant: n.data, Sender: e.sender, Campaign: e.campaign, UnsubscribeURL: sampleUnsubscribe}
	for _, id := range n.Variant.Blocks {
		b, _ := e.set.Block(id) // Compile checked every id
		t, perr := texttemplate.New(b.File).Option("missingkey=error").Parse(strings.Repeat("\n", b.BodyLine-1) + b.Body)
		if perr != nil {
			continue
		}
		if xerr := t.Execute(io.Discard, &d); xerr != nil {
			return fmt.Errorf("render: variant %s: %w", n.Variant.ID, xerr)
		}
	}
	return err
}

// SampleRecipient returns the recipient of previews: Alex Sample, a gold
// cardholder with a favourite restaurant.
func SampleRecipient() Recipient {
	return Recipient{ID: "SAMPLE", FirstName: "Alex", LastName: "Sample", Email: "alex.sample@example.com", Tier: "gold",
		Locale: "en-US", Relationship: "intermediate", FavouriteMerchant: "Olive & Thyme Bistro",
		TopMerchants: map[string]string{"dining": "Olive & Thyme Bistro"}, Attrs: map[string]string{}}
}

// Message is one personalized newsletter.
type Message struct {
	Subject   string
	Preheader string
	HTML      []byte
	Text      []byte
}

// ErrHeader is wrapped when a header value would carry a line break.
var ErrHeader = errors.New("line break in a header value")

// Personalize executes the newsletter for one recipient.
func (n *Newsletter) Personalize(r Recipient, unsubscribeURL string) (*Message, error) {
	d := Data{Recipient: r, Sender: n.engine.sender, Campaign: n.engine.campaign, UnsubscribeURL: unsubscribeURL}
	d.Variant = n.data
	m := &Message{}
	var err error
	if m.Subject, err = execText(n.subject, &d); err != nil {
		return nil, fmt.Errorf("render: variant %s: recipient %s: %w", n.Variant.ID, r.ID, err)
	}
	if m.Preheader, err = execText(n.preheader, &d); err != nil {
		return nil, fmt.Errorf("render: variant %s: recipient %s: %w", n.Variant.ID, r.ID, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.Preheader, "\r\n") {
		return nil, fmt.Errorf("render: variant %s: recipient %s: subject %q: %w", n.Variant.ID, r.ID, m.Subject, ErrHeader)
	}
	d.Variant.Subject, d.Variant.Preheader = m.Subject, m.Preheader
	var buf bytes.Buffer
	if err := n.html.Execute(&buf, &d); err != nil {
		return nil, fmt.Errorf("render: variant %s: recipient %s: %w", n.Variant.ID, r.ID, err)
	}
	m.HTML = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := n.text.Execute(&buf, &d); err != nil {
		return nil, fmt.Errorf("render: variant %s: recipient %s: %w", n.Variant.ID, r.ID, err)
	}
	m.Text = tidyText(buf.Bytes())
	return m, nil
}

func execText(t *texttemplate.Template, d *Data) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// tidyText trims trailing spaces and collapses runs of blank lines.
func tidyText(b []byte) []byte {
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

// WritePreview writes the variant personalized for SampleRecipient.
func (n *Newsletter) WritePreview(html, text io.Writer) error {
	m, err := n.Personalize(SampleRecipient(), "https://unsubscribe.invalid/preview")
	if err != nil {
		return err
	}
	if _, err := html.Write(m.HTML); err != nil {
		return err
	}
	_, err = text.Write(m.Text)
	return err
}

// UnsubscribeURL returns the recipient's one-click unsubscribe link: base
// with the cardholder id and an HMAC token that proves the link was issued
// by this campaign. secret must come from the environment, never a file.
func UnsubscribeURL(base, secret, campaign, cardholderID string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("render: unsubscribe url %q: want an absolute http(s) URL", base)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, campaign+"\x00"+cardholderID)
	q := u.Query()
	q.Set("c", campaign)
	q.Set("id", cardholderID)
	q.Set("t", hex.EncodeToString(mac.Sum(nil))[:32])
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// MonthName formats "2026-10" as "October 2026". It returns any other
// string as it is.
func MonthName(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("January 2006")
}
