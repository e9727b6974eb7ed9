// Package render compiles a newsletter variant from a template set and
// personalizes it per recipient. The expensive work happens once: per
// template set in New (Markdown to HTML and marked text, CSS inlining,
// link tagging), per variant in Compile (the template compile, html/template's
// escaping, and a program that writes the escaped templates without their
// interpreter, fast.go). Per recipient only that program runs, and fills
// the plain-text part to TextWidth columns.
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
	"maps"
	"net/url"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	// Spending lists the ids of the interests the cardholder has spend on
	// in the profile window, their strongest first ("other" aside). It
	// chooses their subject (variants.Variant.SubjectFor) and .Why.
	Spending []string
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
// The campaign's locale and currency when it names none.
const (
	DefaultLocale   = "en-US"
	DefaultCurrency = "USD"
)

type Campaign struct {
	Name      string
	Month     string // "2026-10"
	MonthName string // "October 2026"
	// Locale is the newsletter's locale ("en-GB") and Currency the
	// campaign's currency ("GBP"): {{ money .Campaign.Locale "500"
	// .Campaign.Currency }} writes £500.00.
	Locale   string
	Currency string
}

// VariantData is what templates see of the variant: the facts planning
// knows about its cluster.
type VariantData struct {
	// ID is the variant's stable id, such as "v0007".
	ID string
	// Label describes the cluster: "Dining + Entertainment, mid spend, loyal".
	Label string
	// Subject and Preheader are the variant's, personalized for the
	// recipient.
	Subject   string
	Preheader string
	// InterestNames are the names of the cluster's strongest interests,
	// strongest first.
	InterestNames []string
	// Interests are those interests with their id, name, share of the
	// cluster's spend and lift over the population.
	Interests []variants.Interest
	// Tier and Relationship are the card tier and the relationship type of
	// most of the cluster's cardholders, for which its tier and retention
	// blocks were chosen; "" when unknown.
	Tier         string
	Relationship string
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
	// Why names at most three of the variant's interests (with those of
	// the other clusters that share its newsletter, AlsoInterests) the
	// recipient has spend on, their strongest first: what "why you got
	// this" may say of them. Empty, it may not name any.
	Why []string
	// Slots holds, for each of the variant's slots, the index of the
	// alternative the recipient gets (variants.Slot.Choose), -1 for
	// none: the variant's content reads it.
	Slots []int
}

// Config is what an Engine needs besides the template set and the Markdown
// converter. The zero value renders with empty campaign and sender fields
// and tags no links.
type Config struct {
	Campaign Campaign
	Sender   Sender
	Links    Links
	// NoFastPath personalizes every recipient with html/template and
	// text/template, without the compiled programs (fast.go) that write
	// the same bytes faster.
	NoFastPath bool
}

// Engine compiles variants from one template set. Build it once per run: it
// converts every block's Markdown once, inlines the layout's CSS once,
// tags the links once and parses the layouts once.
type Engine struct {
	set       *templates.Set
	cfg       Config
	tagger    *tagger
	htmlFuncs htmltemplate.FuncMap
	textFuncs texttemplate.FuncMap
	// htmlSrc and textSrc are the layouts and their partials ready to
	// parse (CSS inlined, Outlook comments kept, links tagged), layout
	// first; html and text are them parsed, unless they hold variantSlot
	// and are parsed per variant.
	htmlSrc, textSrc []templates.File
	html             *htmltemplate.Template
	text             *texttemplate.Template
	// layoutSlot: html and text hold variantSlot, in their static text
	// only, and each variant copies them with its id in its place.
	layoutSlot bool
	blockHTML  map[string]string // block id -> HTML with actions, CSS inlined
	blockRow   map[string]string // block id -> its row of the "content" template
	blockText  map[string]string // block id -> marked text with actions (see templates.Doc)
	mso        []string          // Outlook conditional comments, restored verbatim
	// trees are the blocks parsed once, by block id, for every variant to
	// copy: a block's source is the same in every variant unless its
	// links carry the variant's id (variantSlot), and copying a parsed
	// template costs a fraction of parsing it again.
	trees map[string]blockTrees
	// lines are the subject and preheader templates parsed, by name and
	// source: the variants of a campaign share its lines, and a parsed
	// template is only read (executed and compiled) after.
	lines sync.Map // lineKey -> *texttemplate.Template
	// pieces are the pieces of the variants' "content" templates parsed,
	// by source: a block's row or call, or a slot's alternatives
	// (contentTree).
	pieces sync.Map // string -> *parse.Tree
	// shared are the layouts and blocks escaped once, which the
	// variants' programs are compiled from (sharedTemplates); nil when
	// each variant escapes its own.
	shared *sharedTemplates
	// htmlSize and textSize are the largest parts the templates have
	// written (execute), so that the next variant's are written into one
	// allocation.
	htmlSize, textSize atomic.Int64
}

// contentTree returns the "content" template of a variant whose source is
// the pieces one after the other: each piece parsed once per engine, its
// nodes copied. It is the tree parsing the whole source gives, but for
// the static text at the end of a piece and at the start of the next,
// which are two text nodes instead of one: the same output. Without
// copyNodes, the tree holds the nodes parsed once, which nothing may
// change.
func (e *Engine) contentTree(pieces []string, copyNodes bool) (*parse.Tree, error) {
	root := &parse.ListNode{NodeType: parse.NodeList}
	for i, src := range pieces {
		x, ok := e.pieces.Load(src)
		if !ok {
			pt, err := texttemplate.New("content").Parse(src)
			if err != nil {
				return nil, err
			}
			x, _ = e.pieces.LoadOrStore(src, pt.Tree)
		}
		l := x.(*parse.Tree).Root
		if copyNodes {
			l = l.CopyList()
		}
		if i == 0 && copyNodes {
			root = l
			continue
		}
		root.Nodes = append(root.Nodes, l.Nodes...)
	}
	return &parse.Tree{Name: "content", ParseName: "content", Root: root}, nil
}

// lineKey names a parsed subject or preheader line.
type lineKey struct{ name, src string }

// line returns the template of a subject or preheader line, parsed once
// per engine.
func (e *Engine) line(name, src string) (*texttemplate.Template, error) {
	k := lineKey{name, src}
	if t, ok := e.lines.Load(k); ok {
		return t.(*texttemplate.Template), nil
	}
	t, err := texttemplate.New(name).Funcs(Funcs()).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, err
	}
	got, _ := e.lines.LoadOrStore(k, t)
	return got.(*texttemplate.Template), nil
}

// blockTrees are a block's HTML and text templates, parsed; err is the
// error parsing them gave, which every variant with the block reports.
// slot: their static text holds variantSlot, which each variant's copy
// replaces with its id.
type blockTrees struct {
	html, text *parse.Tree
	slot       bool
	err        error
}

// parseBlock parses a block's HTML and text once, for every variant to
// copy. It returns ok false when the block is parsed per variant instead:
// an action holds variantSlot, or its source defines templates besides
// its own, which a variant must add in the order parsing them does.
func (e *Engine) parseBlock(file, html, text string) (blockTrees, bool) {
	tree := func(src string, funcs map[string]any) (*parse.Tree, bool, error) {
		t, err := texttemplate.New(file).Funcs(funcs).Parse(src)
		if err != nil {
			return nil, !strings.Contains(src, variantSlot), err
		}
		if len(t.Templates()) != 1 || t.Tree == nil || !slotInTextOnly(t.Tree) {
			return nil, false, nil
		}
		return t.Tree, true, nil
	}
	h, ok, err := tree(html, e.htmlFuncs)
	if err != nil || !ok {
		return blockTrees{err: err}, ok
	}
	x, ok, err := tree(text, e.textFuncs)
	if err != nil || !ok {
		return blockTrees{err: err}, ok
	}
	return blockTrees{html: h, text: x, slot: strings.Contains(html, variantSlot) || strings.Contains(text, variantSlot)}, true
}

// slotInTextOnly reports whether every variantSlot of t is in its static
// text, where the parse tree keeps the source as it is.
func slotInTextOnly(t *parse.Tree) bool {
	all := strings.Count(t.Root.String(), variantSlot)
	if all == 0 {
		return true
	}
	inText := 0
	eachText(t.Root, func(n *parse.TextNode) { inText += bytes.Count(n.Text, []byte(variantSlot)) })
	return inText == all
}

// eachText calls f with every text node under n, in source order.
func eachText(n parse.Node, f func(*parse.TextNode)) {
	eachNode(n, func(n parse.Node) {
		if t, ok := n.(*parse.TextNode); ok {
			f(t)
		}
	})
}

// eachNode calls f with every node of the lists under n that is not a
// list or a branch itself, in source order: text, actions, template
// calls.
func eachNode(n parse.Node, f func(parse.Node)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				eachNode(c, f)
			}
		}
	case *parse.IfNode:
		eachNode(n.List, f)
		eachNode(n.ElseList, f)
	case *parse.RangeNode:
		eachNode(n.List, f)
		eachNode(n.ElseList, f)
	case *parse.WithNode:
		eachNode(n.List, f)
		eachNode(n.ElseList, f)
	default:
		f(n)
	}
}

// treeFor returns a copy of t for the variant id: with id, query-escaped,
// in place of variantSlot when slot is set.
func treeFor(t *parse.Tree, slot bool, id string) *parse.Tree {
	c := t.Copy()
	if slot {
		with := []byte(url.QueryEscape(id))
		eachText(c.Root, func(n *parse.TextNode) {
			if bytes.Contains(n.Text, []byte(variantSlot)) {
				n.Text = bytes.ReplaceAll(n.Text, []byte(variantSlot), with)
			}
		})
	}
	return c
}

// layoutsFor returns the layouts and partials for the variant id, copied
// from those parsed with variantSlot (layoutSlot).
func (e *Engine) layoutsFor(id string) (*htmltemplate.Template, *texttemplate.Template, error) {
	// The layout's own template first: html/template's AddParseTree makes
	// a new template of each name, which the variant executes.
	h, err := htmltemplate.New(e.html.Name()).Funcs(e.htmlFuncs).Option("missingkey=error").
		AddParseTree(e.html.Name(), treeFor(e.html.Tree, true, id))
	if err != nil {
		return nil, nil, fmt.Errorf("render: %w", err)
	}
	for _, x := range e.html.Templates() {
		if x.Tree == nil || x.Name() == e.html.Name() {
			continue
		}
		if _, err := h.AddParseTree(x.Name(), treeFor(x.Tree, true, id)); err != nil {
			return nil, nil, fmt.Errorf("render: %w", err)
		}
	}
	t := texttemplate.New(e.text.Name()).Funcs(e.textFuncs).Option("missingkey=error")
	for _, x := range e.text.Templates() {
		if x.Tree == nil {
			continue
		}
		if _, err := t.AddParseTree(x.Name(), treeFor(x.Tree, true, id)); err != nil {
			return nil, nil, fmt.Errorf("render: %w", err)
		}
	}
	return h, t, nil
}

// TextWidth is the column at which the plain-text part wraps.
const TextWidth = 78

// msoComment matches Outlook conditional comments, which html/template
// would otherwise strip like any comment.
var msoComment = regexp.MustCompile(`(?s)<!--\[if [^\]]*\]>.*?<!\[endif\]-->`)

// Funcs returns the functions templates can call besides text/template's
// builtins: money, number and date, which format for a locale (see the
// template set's README). Each returns a new map.
func Funcs() map[string]any {
	return map[string]any{"money": formatMoney, "price": formatPrice, "number": formatNumber, "date": formatDate}
}

// NewEngine is New without link tagging.
func NewEngine(set *templates.Set, md *templates.Markdown, campaign Campaign, sender Sender) (*Engine, error) {
	return New(set, md, Config{Campaign: campaign, Sender: sender})
}

// New prepares the template set for compiling variants of a campaign.
//
// The rules of the <style> elements of the HTML layout and partials are
// inlined (package inline) into the style attributes of the layout, the
// partials, the block rows and the HTML of every block's Markdown, each in
// the context where the layout includes it, as if the variant were one
// document: ".block p" styles the paragraphs of every block. As no
// variant adds CSS or markup of its own, this happens here, once per
// template set, not once per variant. A malformed stylesheet is an error
// with its file, line and column (a *StyleError).
//
// With cfg.Links.UTM, the links of the blocks, layouts and partials are
// tagged here too, the variant's id left to Compile.
func New(set *templates.Set, md *templates.Markdown, cfg Config) (*Engine, error) {
	// A campaign that names neither writes money in US dollars, the
	// American way.
	if cfg.Campaign.Locale == "" {
		cfg.Campaign.Locale = DefaultLocale
	}
	if cfg.Campaign.Currency == "" {
		cfg.Campaign.Currency = DefaultCurrency
	}
	e := &Engine{
		set: set, cfg: cfg, tagger: newTagger(cfg.Links, cfg.Campaign.Name),
		blockHTML: map[string]string{}, blockRow: map[string]string{}, blockText: map[string]string{}, trees: map[string]blockTrees{},
		htmlFuncs: htmltemplate.FuncMap{}, textFuncs: texttemplate.FuncMap{textFuncName: textValue},
	}
	maps.Copy(e.htmlFuncs, Funcs())
	maps.Copy(e.textFuncs, Funcs())
	css, err := newStyles(set)
	if err != nil {
		return nil, err
	}
	e.htmlFuncs["msoComment"] = func(i int) htmltemplate.HTML {
		if i < 0 || i >= len(e.mso) {
			return ""
		}
		return htmltemplate.HTML(e.mso[i]) // designer's own markup, trusted like the layout
	}
	keep := func(src string) string {
		return msoComment.ReplaceAllStringFunc(src, func(m string) string {
			e.mso = append(e.mso, m)
			return fmt.Sprintf("{{ msoComment %d }}", len(e.mso)-1)
		})
	}
	tagHTML := func(src string) string {
		if e.tagger == nil {
			return src
		}
		return inline.EditAttrs(src, func(tag, attr, value string) (string, bool) {
			if attr != "href" || tag != "a" && tag != "area" {
				return "", false
			}
			return e.tagger.tag(value, true), true
		})
	}
	tagText := func(src string) string { return e.tagger.tagText(templates.StripMarks(src)) }
	e.htmlSrc = []templates.File{{Name: set.HTML.Name, Source: tagHTML(keep(css.sources[set.HTML.Name]))}}
	e.textSrc = []templates.File{{Name: set.Text.Name, Source: tagText(set.Text.Source)}}
	for _, p := range set.Partials {
		if path.Ext(p.Name) == ".html" {
			e.htmlSrc = append(e.htmlSrc, templates.File{Name: p.Name, Source: tagHTML(keep(css.sources[p.Name]))})
		} else {
			e.textSrc = append(e.textSrc, templates.File{Name: p.Name, Source: tagText(p.Source)})
		}
	}
	if !e.perVariant() {
		if e.html, e.text, err = e.parseLayouts(""); err != nil {
			return nil, err
		}
	} else if h, t, err := e.parseLayouts(variantSlot); err == nil && h.Tree != nil && t.Tree != nil && layoutSlotInTextOnly(h, t) {
		// Parsed once with the slot, copied with each variant's id.
		e.html, e.text, e.layoutSlot = h, t, true
	}
	var opts templates.Options
	if e.tagger != nil {
		opts.Link = func(target string) string { return e.tagger.tag(target, false) }
	}
	for _, b := range set.Blocks {
		doc, err := md.Convert(b.Body, opts)
		if err != nil {
			return nil, fmt.Errorf("render: %s: %w", b.File, err)
		}
		// Each block is a template of its own, named after its file, so an
		// execution error points at the block.
		row := fmt.Sprintf(`<tr><td class="block block-%s" style="padding:8px 32px 16px;">`, htmltemplate.HTMLEscapeString(b.ID))
		call := fmt.Sprintf("{{ template %q . }}", b.File)
		e.blockRow[b.ID] = css.sheet.Apply(row+call+"</td></tr>\n", css.content...)
		in := append(slices.Clip(css.content), inline.Ancestors(row, len(row))...)
		e.blockHTML[b.ID] = css.sheet.Apply(doc.HTML, in...)
		e.blockText[b.ID] = doc.Text
		if bt, ok := e.parseBlock(b.File, e.blockHTML[b.ID], e.blockText[b.ID]); ok {
			e.trees[b.ID] = bt
		}
	}
	if !cfg.NoFastPath {
		e.shared = e.newShared()
	}
	return e, nil
}

// layoutSlotInTextOnly reports whether variantSlot is in the static text
// of the layouts and partials only.
func layoutSlotInTextOnly(h *htmltemplate.Template, t *texttemplate.Template) bool {
	for _, x := range h.Templates() {
		if x.Tree != nil && !slotInTextOnly(x.Tree) {
			return false
		}
	}
	for _, x := range t.Templates() {
		if x.Tree != nil && !slotInTextOnly(x.Tree) {
			return false
		}
	}
	return true
}

// perVariant reports whether the layouts hold links tagged with the
// variant's id, so that each variant parses them.
func (e *Engine) perVariant() bool {
	for _, f := range append(slices.Clip(e.htmlSrc), e.textSrc...) {
		if strings.Contains(f.Source, variantSlot) {
			return true
		}
	}
	return false
}

// parseLayouts parses the layouts and partials, with id in the links.
func (e *Engine) parseLayouts(id string) (*htmltemplate.Template, *texttemplate.Template, error) {
	h := htmltemplate.New(e.htmlSrc[0].Name).Funcs(e.htmlFuncs).Option("missingkey=error")
	for i, f := range e.htmlSrc {
		t := h
		if i > 0 {
			t = h.New(f.Name)
		}
		if _, err := t.Parse(withVariant(f.Source, id)); err != nil {
			return nil, nil, fmt.Errorf("render: %w", err)
		}
	}
	t := texttemplate.New(e.textSrc[0].Name).Funcs(e.textFuncs).Option("missingkey=error")
	for i, f := range e.textSrc {
		x := t
		if i > 0 {
			x = t.New(f.Name)
		}
		if _, err := x.Parse(withVariant(f.Source, id)); err != nil {
			return nil, nil, fmt.Errorf("render: %w", err)
		}
	}
	markText(t)
	return h, t, nil
}

// withVariant puts the variant's id, query-escaped, into the links tagged
// with variantSlot.
func withVariant(src, id string) string {
	if !strings.Contains(src, variantSlot) {
		return src
	}
	return strings.ReplaceAll(src, variantSlot, url.QueryEscape(id))
}

// markText appends textFuncName to every action that writes a value in
// the templates of t, so that a merged value cannot hold the marks Fill
// reads. It leaves actions it marked before alone.
func markText(t *texttemplate.Template) {
	for _, x := range t.Templates() {
		if x.Tree != nil {
			markList(x.Tree, x.Tree.Root)
		}
	}
}

func markList(tree *parse.Tree, l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			p := n.Pipe
			if len(p.Decl) > 0 || len(p.Cmds) == 0 {
				continue
			}
			if name, ok := identOnly(p.Cmds[len(p.Cmds)-1]); ok && name == textFuncName {
				continue
			}
			id := parse.NewIdentifier(textFuncName).SetTree(tree).SetPos(n.Pos)
			p.Cmds = append(p.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: n.Pos, Args: []parse.Node{id}})
		case *parse.IfNode:
			markList(tree, n.List)
			markList(tree, n.ElseList)
		case *parse.WithNode:
			markList(tree, n.List)
			markList(tree, n.ElseList)
		case *parse.RangeNode:
			markList(tree, n.List)
			markList(tree, n.ElseList)
		case *parse.ListNode:
			markList(tree, n)
		}
	}
}

// StyleError is a malformed stylesheet in a file of the template set.
type StyleError struct {
	// File is the layout or partial, such as "layout.html".
	File string
	// Err holds the line and column in the file, and the problem.
	Err *inline.Error
}

func (e *StyleError) Error() string { return e.File + ":" + e.Err.Error() }

// Unwrap returns the inliner's error.
func (e *StyleError) Unwrap() error { return e.Err }

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
			var ie *inline.Error
			if errors.As(err, &ie) {
				return nil, fmt.Errorf("render: %w", &StyleError{File: f.Name, Err: ie})
			}
			return nil, fmt.Errorf("render: %s: %w", f.Name, err)
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
	eachNode(n, func(n parse.Node) {
		if t, ok := n.(*parse.TemplateNode); ok {
			f(t)
		}
	})
}

// Newsletter is a compiled variant, ready to personalize. It is safe for
// concurrent use.
type Newsletter struct {
	Variant variants.Variant
	data    VariantData
	engine  *Engine
	// parsed are the variant's templates. A newsletter the programs
	// (fast) write lets them go once compiled, and parses them again
	// (once) for a message the programs cannot write: a million-message
	// run holds 1,349 newsletters in a quarter of the memory.
	parsed     *parsedTemplates
	parseOnce  sync.Once
	parseError error
	// fast personalizes without the templates' interpreter (fast.go); nil
	// when the templates use something it does not cover.
	fast *fastNewsletter
	// shared: fast was compiled from the engine's shared templates.
	shared bool
}

// parsedTemplates are a variant's templates.
type parsedTemplates struct {
	html *htmltemplate.Template
	text *texttemplate.Template
	// subjects and preheaders are the variant's own (0), then those of
	// Variant.Subjects (see subjectIndex).
	subjects, preheaders []*texttemplate.Template
}

// templates returns the variant's templates, parsed again if they were let
// go.
func (n *Newsletter) templates() (*parsedTemplates, error) {
	n.parseOnce.Do(func() {
		if n.parsed == nil {
			n.parsed, n.parseError = n.engine.parse(n.Variant)
		}
	})
	return n.parsed, n.parseError
}

// variantData returns what templates see of v.
func variantData(v variants.Variant) VariantData {
	d := VariantData{ID: v.ID, Label: v.Label, Subject: v.Subject, Preheader: v.Preheader,
		Interests: slices.Clone(v.Interests), Tier: v.Tier, Relationship: v.Relationship}
	for _, in := range v.Interests {
		d.InterestNames = append(d.InterestNames, in.Name)
	}
	return d
}

// Compile builds the variant's templates: its blocks in order inside the
// layout, with the variant's id in the tagged links. It executes them once
// on a sample recipient, so that a missing field is reported here, with
// the file and line, not per recipient.
func (e *Engine) Compile(v variants.Variant) (*Newsletter, error) {
	n := &Newsletter{Variant: v, engine: e, data: variantData(v)}
	if e.shared != nil && !e.cfg.NoFastPath && e.shared.covers(v) {
		if n.fast = n.compileShared(e.shared); n.fast != nil {
			n.shared = true
			return n, nil
		}
	}
	tp, err := e.parse(v)
	if err != nil {
		return nil, err
	}
	sample := n.dataFor(SampleRecipient(), sampleUnsubscribe)
	// The sample's message is only compared with the fast path's.
	room := executeRooms.Get().(*executeRoom)
	defer executeRooms.Put(room)
	want, err := n.execute(tp, sample, room)
	if err != nil {
		return nil, e.locate(n, err)
	}
	if !e.cfg.NoFastPath {
		if n.fast = n.compileFast(tp, want); n.fast != nil && e.shared != nil {
			e.shared.check(v)
		}
	}
	if n.fast == nil {
		n.parsed = tp
	}
	return n, nil
}

// parse parses the templates of variant v: its blocks in order inside the
// layout, with the variant's id in the tagged links.
func (e *Engine) parse(v variants.Variant) (*parsedTemplates, error) {
	n := &parsedTemplates{}
	var h *htmltemplate.Template
	var t *texttemplate.Template
	var err error
	switch {
	case e.layoutSlot:
		if h, t, err = e.layoutsFor(v.ID); err != nil {
			return nil, err
		}
	case e.html != nil:
		if h, err = e.html.Clone(); err != nil {
			return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
		}
		if t, err = e.text.Clone(); err != nil {
			return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
		}
	default:
		if h, t, err = e.parseLayouts(v.ID); err != nil {
			return nil, err
		}
	}
	parsed := map[string]bool{}
	// block parses a block once and returns its row and its text call.
	block := func(id string) (row, call string, err error) {
		b, ok := e.set.Block(id)
		if !ok {
			return "", "", fmt.Errorf("render: variant %s: unknown block %q", v.ID, id)
		}
		if !parsed[id] {
			parsed[id] = true
			if bt, ok := e.trees[id]; ok {
				if bt.err != nil {
					return "", "", fmt.Errorf("render: %w", bt.err)
				}
				if _, err := h.AddParseTree(b.File, treeFor(bt.html, bt.slot, v.ID)); err != nil {
					return "", "", fmt.Errorf("render: %w", err)
				}
				if _, err := t.AddParseTree(b.File, treeFor(bt.text, bt.slot, v.ID)); err != nil {
					return "", "", fmt.Errorf("render: %w", err)
				}
				return e.blockRow[id], fmt.Sprintf("{{ template %q . }}", b.File), nil
			}
			if _, err := h.New(b.File).Parse(withVariant(e.blockHTML[id], v.ID)); err != nil {
				return "", "", fmt.Errorf("render: %w", err)
			}
			if _, err := t.New(b.File).Parse(withVariant(e.blockText[id], v.ID)); err != nil {
				return "", "", fmt.Errorf("render: %w", err)
			}
		}
		return e.blockRow[id], fmt.Sprintf("{{ template %q . }}", b.File), nil
	}
	hp, tp, err := contentPieces(v, block)
	if err != nil {
		return nil, err
	}
	ht, err := e.contentTree(hp, true)
	if err != nil {
		return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
	}
	if _, err := h.AddParseTree("content", ht); err != nil {
		return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
	}
	tt, err := e.contentTree(tp, true)
	if err != nil {
		return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
	}
	if _, err := t.AddParseTree("content", tt); err != nil {
		return nil, fmt.Errorf("render: variant %s: %w", v.ID, err)
	}
	markText(t)
	n.html, n.text = h, t
	if n.subjects, n.preheaders, err = e.lineTemplates(v); err != nil {
		return nil, err
	}
	return n, nil
}

// lineTemplates returns the templates of the variant's subject and preheader
// lines: its own, then those of Variant.Subjects (see subjectIndex).
func (e *Engine) lineTemplates(v variants.Variant) (subjects, preheaders []*texttemplate.Template, err error) {
	pairs := [][2]string{{v.Subject, v.Preheader}}
	for _, c := range v.Subjects {
		pairs = append(pairs, [2]string{c.Subject, c.Preheader})
	}
	for _, p := range pairs {
		st, err := e.line("subject", p[0])
		if err != nil {
			return nil, nil, fmt.Errorf("render: variant %s: subject: %w", v.ID, err)
		}
		pt, err := e.line("preheader", p[1])
		if err != nil {
			return nil, nil, fmt.Errorf("render: variant %s: preheader: %w", v.ID, err)
		}
		subjects, preheaders = append(subjects, st), append(preheaders, pt)
	}
	return subjects, preheaders, nil
}

// contentPieces returns the pieces of the variant's "content" templates,
// HTML and text (see contentTree): a block's row and its call, or a slot's
// alternatives, each chosen for the recipient (Data.Slots). block returns
// a block's row and call, and adds the block to the variant's templates.
func contentPieces(v variants.Variant, block func(id string) (row, call string, err error)) (hp, tp []string, err error) {
	first := true
	slot := 0
	for _, p := range v.Parts() {
		if p.Slot == nil {
			row, call, err := block(p.Block)
			if err != nil {
				return nil, nil, err
			}
			hp = append(hp, row)
			if !first {
				call = "\n" + call
			}
			tp = append(tp, call)
			first = false
			continue
		}
		var hc, tc strings.Builder
		for i, a := range p.Slot.Alternatives {
			row, call, err := block(a.Block)
			if err != nil {
				return nil, nil, err
			}
			cond := "if"
			if i > 0 {
				cond = "else if"
			}
			test := fmt.Sprintf("eq (index .Slots %d) %d", slot, i)
			fmt.Fprintf(&hc, "{{ %s %s }}%s", cond, test, row)
			fmt.Fprintf(&tc, "{{ %s %s }}", cond, test)
			if !first {
				tc.WriteString("\n")
			}
			tc.WriteString(call)
		}
		if len(p.Slot.Alternatives) > 0 {
			hc.WriteString("{{ end }}")
			tc.WriteString("{{ end }}")
			hp, tp = append(hp, hc.String()), append(tp, tc.String())
		}
		slot++
	}
	return hp, tp, nil
}

const sampleUnsubscribe = "https://unsubscribe.invalid/sample"

// compileFast compiles the variant's programs, now that html/template has
// escaped its templates, and keeps them if they write want, the sample
// recipient's message, exactly.
func (n *Newsletter) compileFast(tp *parsedTemplates, want *Message) *fastNewsletter {
	f := &fastNewsletter{}
	dot := reflect.TypeFor[*Data]()
	var err error
	lookupHTML := func(name string) *parse.Tree {
		if x := tp.html.Lookup(name); x != nil {
			return x.Tree
		}
		return nil
	}
	// What is the same for every recipient is written once, here.
	fx := fixed{data: reflect.ValueOf(n.dataFor(Recipient{}, "")), fields: fixedField}
	if f.html, err = compileProgram(outHTML, tp.html.Tree, dot, lookupHTML, n.engine.htmlFuncs, fx, nil); err != nil {
		return nil
	}
	if f.text, err = compileProgram(outText, tp.text.Tree, dot, lookupIn(tp.text), n.engine.textFuncs, fx, nil); err != nil {
		return nil
	}
	room := checkRooms.Get().(*Message)
	defer checkRooms.Put(room)
	if got := n.finishFast(f, fx, tp.subjects, tp.preheaders, room); got == nil || !got.equal(want) {
		return nil
	}
	return f
}

// finishFast compiles the subject and preheader lines into f, readies
// its HTML and text programs, and runs them on the sample recipient into
// room. It returns the sample's message, nil when the programs cannot
// write it.
func (n *Newsletter) finishFast(f *fastNewsletter, fx fixed, subjects, preheaders []*texttemplate.Template, room *Message) *Message {
	dot := reflect.TypeFor[*Data]()
	// The audit reads the block rows of the HTML: most layouts let them be
	// listed without writing it.
	f.html.markRows()
	// So are the paragraphs of the text part that hold no recipient's value.
	f.text.mapText(func(b []byte) []byte { return templates.FillUnits(b, TextWidth) })
	for i := range subjects {
		sp, err := compileProgram(outText, subjects[i].Tree, dot, lookupIn(subjects[i]), Funcs(), fx, nil)
		if err != nil {
			return nil
		}
		pp, err := compileProgram(outText, preheaders[i].Tree, dot, lookupIn(preheaders[i]), Funcs(), fx, nil)
		if err != nil {
			return nil
		}
		sp.fixLine()
		pp.fixLine()
		f.subjects, f.preheaders = append(f.subjects, sp), append(f.preheaders, pp)
	}
	sd := n.dataFor(SampleRecipient(), sampleUnsubscribe)
	got, err := f.personalize(room, sd, n.subjectIndex(&sd.Recipient))
	if err != nil {
		return nil
	}
	// The parts are about the sample's size.
	f.htmlSize.Store(int64(len(got.HTML)))
	f.textSize.Store(int64(len(got.Text)))
	return got
}

// lookupIn returns the function that finds the trees of t's templates.
func lookupIn(t *texttemplate.Template) func(string) *parse.Tree {
	return func(name string) *parse.Tree {
		if x := t.Lookup(name); x != nil {
			return x.Tree
		}
		return nil
	}
}

// checkRooms hold the fast path's sample messages, compared with the
// templates' and let go.
var checkRooms = sync.Pool{New: func() any { return new(Message) }}

// fixedField reports whether a chain of fields from Data is the same for
// every recipient of a newsletter: the sender, the campaign and the
// variant's facts, but for its subject and preheader, which are the
// recipient's.
func fixedField(chain []string) bool {
	switch chain[0] {
	case "Sender", "Campaign":
		return true
	case "Variant":
		return len(chain) > 1 && chain[1] != "Subject" && chain[1] != "Preheader"
	}
	return false
}

// variantField reports whether a chain of fields from Data that
// fixedField accepts differs from one variant of the engine to the next:
// the variant's facts (the sender and the campaign are the engine's).
func variantField(chain []string) bool { return chain[0] == "Variant" }

// locate turns an error of the sample execution into one with the line of
// the block file: the compiled templates hold the blocks' HTML, whose lines
// are not the file's. It executes each block's Markdown source, shifted
// down to the line where the body starts, on the same data; when none
// fails there, as with an error in a layout, err is returned as it is.
func (e *Engine) locate(n *Newsletter, err error) error {
	d := n.dataFor(SampleRecipient(), sampleUnsubscribe)
	ids := slices.Clone(n.Variant.Blocks)
	for _, s := range n.Variant.Slots {
		for _, a := range s.Alternatives {
			ids = append(ids, a.Block)
		}
	}
	for _, id := range ids {
		b, _ := e.set.Block(id) // Compile checked every id
		t, perr := texttemplate.New(b.File).Funcs(Funcs()).Option("missingkey=error").Parse(strings.Repeat("\n", b.BodyLine-1) + b.Body)
		if perr != nil {
			continue
		}
		if xerr := t.Execute(io.Discard, d); xerr != nil {
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
	// room is what PersonalizeInto writes the message's data into, used
	// again by the next call with the same Message.
	room dataRoom
	// rows is what AuditInto lists the block rows in.
	rows []string
	// fill fills the text part's personalized units, remembering them
	// for the next call with the same Message.
	fill templates.FillMemo
}

// dataRoom holds a message's Data and the backing arrays of its lists.
type dataRoom struct {
	data  Data
	slots []int
	why   []string
}

func (m *Message) equal(o *Message) bool {
	return m.Subject == o.Subject && m.Preheader == o.Preheader && bytes.Equal(m.HTML, o.HTML) && bytes.Equal(m.Text, o.Text)
}

// ErrHeader is wrapped when a header value would carry a line break, or an
// address does not parse or cannot be encoded: here for the subject and
// preheader, in package send for every header of a message.
var ErrHeader = errors.New("bad header value")

// dataFor returns the data of the newsletter for one recipient.
func (n *Newsletter) dataFor(r Recipient, unsubscribeURL string) *Data {
	var room dataRoom
	n.fillData(&room, r, unsubscribeURL)
	return &room.data
}

// fillData sets room's Data to the newsletter's for one recipient, its
// lists in room's arrays.
func (n *Newsletter) fillData(room *dataRoom, r Recipient, unsubscribeURL string) {
	d := &room.data
	*d = Data{Recipient: r, Variant: n.data, Sender: n.engine.cfg.Sender, Campaign: n.engine.cfg.Campaign, UnsubscribeURL: unsubscribeURL}
	if len(n.Variant.Slots) > 0 {
		m := r.Member()
		room.slots = room.slots[:0]
		for i := range n.Variant.Slots {
			room.slots = append(room.slots, n.Variant.Slots[i].Choose(m))
		}
		d.Slots = room.slots
	}
	why := room.why[:0]
	for _, id := range r.Spending {
		if len(why) == maxWhy {
			break
		}
		if name, ok := interestName(id, n.data.Interests, n.Variant.AlsoInterests); ok {
			why = append(why, name)
		}
	}
	if len(why) > 0 {
		d.Why, room.why = why, why
	}
}

// interestName returns the name of the interest id in the first of lists
// that holds it.
func interestName(id string, lists ...[]variants.Interest) (string, bool) {
	for _, l := range lists {
		for _, in := range l {
			if in.ID == id {
				return in.Name, true
			}
		}
	}
	return "", false
}

// maxWhy is the most interests Data.Why names: three names fit a line of
// the plain-text part.
const maxWhy = 3

// subjectIndex is the index of the subject templates a recipient gets: 0
// for the variant's own, i+1 for Variant.Subjects[i].
func (n *Newsletter) subjectIndex(r *Recipient) int {
	return n.Variant.SubjectFor(r.Member(), r.Spending) + 1
}

// Member returns what chooses r's alternatives in a variant's slots.
func (r *Recipient) Member() variants.Member {
	return variants.Member{Tier: r.Tier, Relationship: r.Relationship, Locale: r.Locale, Attrs: r.Attrs}
}

// Personalize executes the newsletter for one recipient. The plain-text
// part is filled to TextWidth columns once the recipient's values are in.
func (n *Newsletter) Personalize(r Recipient, unsubscribeURL string) (*Message, error) {
	return n.PersonalizeInto(nil, r, unsubscribeURL)
}

// PersonalizeInto is Personalize writing into m's HTML and Text, whose
// room it reuses (nil m: new ones). The message it returns holds until the
// next call with m: a loop that reads each message once, as an audit
// does, allocates no new parts for each.
func (n *Newsletter) PersonalizeInto(m *Message, r Recipient, unsubscribeURL string) (*Message, error) {
	var d *Data
	if m != nil {
		n.fillData(&m.room, r, unsubscribeURL)
		d = &m.room.data
	} else {
		d = n.dataFor(r, unsubscribeURL)
	}
	if n.fast != nil {
		if out, err := n.fast.personalize(m, d, n.subjectIndex(&d.Recipient)); err == nil {
			return out, nil
		}
		// The templates write this one, or say what is wrong with it.
		d = n.dataFor(r, unsubscribeURL)
	}
	return n.personalize(d)
}

// AuditInto is PersonalizeInto for a reader of the message who needs of
// its HTML only the block rows it holds, as the fit audit does: the ids
// of the blocks in each "block block-<id>" class (BlockClass, EachRow).
// When the newsletter's fast path can list them without writing the HTML,
// rows lists them in order (empty, not nil, for none) and the message's
// HTML is left empty; otherwise rows is nil and the HTML is written. The
// rest of the message is PersonalizeInto's, and so is any error. rows is
// m's, good until m is used again.
func (n *Newsletter) AuditInto(m *Message, r Recipient, unsubscribeURL string) (msg *Message, rows []string, err error) {
	if m == nil {
		m = &Message{}
	}
	if n.fast != nil && n.fast.html.rows {
		n.fillData(&m.room, r, unsubscribeURL)
		d := &m.room.data
		if out, err := n.fast.write(m, d, n.subjectIndex(&d.Recipient), true); err == nil {
			return out, out.rows, nil
		}
	}
	msg, err = n.PersonalizeInto(m, r, unsubscribeURL)
	return msg, nil, err
}

// personalize executes the templates on d.
func (n *Newsletter) personalize(d *Data) (*Message, error) {
	tp, err := n.templates()
	if err != nil {
		return nil, err
	}
	return n.execute(tp, d, nil)
}

// executeRoom holds the parts of a sample execution (execute), for the
// next compilation's once the fast path is checked against them.
type executeRoom struct{ html, text, fill []byte }

var executeRooms = sync.Pool{New: func() any { return new(executeRoom) }}

// execute executes the templates tp on d, writing the parts into room
// (the message holds until its next use), or into new ones when it is
// nil.
func (n *Newsletter) execute(tp *parsedTemplates, d *Data, room *executeRoom) (*Message, error) {
	var err error
	m := &Message{}
	i := n.subjectIndex(&d.Recipient)
	if m.Subject, err = execText(tp.subjects[i], d); err != nil {
		return nil, fmt.Errorf("render: variant %s: recipient %s: %w", n.Variant.ID, d.Recipient.ID, err)
	}
	if m.Preheader, err = execText(tp.preheaders[i], d); err != nil {
		return nil, fmt.Errorf("render: variant %s: recipient %s: %w", n.Variant.ID, d.Recipient.ID, err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.Preheader, "\r\n") {
		return nil, fmt.Errorf("render: variant %s: recipient %s: subject %q: %w", n.Variant.ID, d.Recipient.ID, m.Subject, ErrHeader)
	}
	d.Variant.Subject, d.Variant.Preheader = m.Subject, m.Preheader
	e := n.engine
	if room == nil {
		room = &executeRoom{html: make([]byte, 0, e.htmlSize.Load()+512), text: make([]byte, 0, e.textSize.Load()+512)}
	}
	html := bytes.NewBuffer(room.html[:0])
	if err := tp.html.Execute(html, d); err != nil {
		return nil, fmt.Errorf("render: variant %s: recipient %s: %w", n.Variant.ID, d.Recipient.ID, err)
	}
	m.HTML = html.Bytes()
	growTo(&e.htmlSize, len(m.HTML))
	text := bytes.NewBuffer(room.text[:0])
	if err := tp.text.Execute(text, d); err != nil {
		return nil, fmt.Errorf("render: variant %s: recipient %s: %w", n.Variant.ID, d.Recipient.ID, err)
	}
	growTo(&e.textSize, text.Len())
	fill := room.fill[:0]
	if cap(fill) == 0 {
		fill = make([]byte, 0, text.Len()+text.Len()/8)
	}
	m.Text = tidyText(templates.Fill(fill, text.Bytes(), TextWidth))
	room.html, room.text, room.fill = m.HTML, text.Bytes(), m.Text
	return m, nil
}

func execText(t *texttemplate.Template, d *Data) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// fastNewsletter holds the programs of a newsletter.
type fastNewsletter struct {
	html, text *program
	// subjects and preheaders are Newsletter.subjects' and preheaders'.
	subjects, preheaders []*program
	// htmlSize and textSize are the largest parts written so far, so that
	// each part is written into one allocation.
	htmlSize, textSize atomic.Int64
}

// states are the scratch of fast executions.
var states = sync.Pool{New: func() any { return new(state) }}

// personalize runs the programs on d; any error means the templates must
// write this message.
func (f *fastNewsletter) personalize(m *Message, d *Data, subject int) (*Message, error) {
	return f.write(m, d, subject, false)
}

// write is personalize; with rowsOnly, it leaves the HTML empty and lists
// the ids of its block rows in m.rows instead (f.html.rows must be set).
func (f *fastNewsletter) write(m *Message, d *Data, subject int, rowsOnly bool) (*Message, error) {
	s := states.Get().(*state)
	defer states.Put(s)
	dot := reflect.ValueOf(d)
	var html, text []byte
	// A message given is written again and again: its memo fills the
	// units it saw before by copying them.
	var memo *templates.FillMemo
	if m == nil {
		m = &Message{}
	} else {
		memo = &m.fill
		html, text = m.HTML[:0], m.Text[:0]
	}
	if cap(html) == 0 && !rowsOnly {
		html = make([]byte, 0, f.htmlSize.Load()+512)
	}
	if cap(text) == 0 {
		text = make([]byte, 0, f.textSize.Load()+256)
	}
	var err error
	if m.Subject, err = s.line(f.subjects[subject], dot); err != nil {
		return nil, err
	}
	if m.Preheader, err = s.line(f.preheaders[subject], dot); err != nil {
		return nil, err
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.Preheader, "\r\n") {
		return nil, ErrHeader
	}
	d.Variant.Subject, d.Variant.Preheader = m.Subject, m.Preheader
	if rowsOnly {
		s.rowsOnly, s.rows = true, m.rows[:0]
		_, err = s.runInto(f.html.rowLister(), dot, nil)
		m.rows, m.HTML = s.rows, html[:0]
		s.rowsOnly, s.rows, s.values = false, nil, s.values[:0]
		if m.rows == nil {
			m.rows = make([]string, 0, 8)
		}
	} else {
		m.HTML, err = s.runInto(f.html, dot, html)
	}
	if err != nil {
		return nil, err
	}
	if s.scratch, err = s.runInto(f.text, dot, s.scratch[:0]); err != nil {
		return nil, err
	}
	m.Text = tidyText(memo.Fill(text, s.scratch, TextWidth))
	growTo(&f.htmlSize, len(m.HTML))
	growTo(&f.textSize, len(m.Text))
	return m, nil
}

// growTo raises a to n.
func growTo(a *atomic.Int64, n int) {
	for {
		old := a.Load()
		if int64(n) <= old || a.CompareAndSwap(old, int64(n)) {
			return
		}
	}
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
	q := u.Query()
	q.Set("c", campaign)
	q.Set("id", cardholderID)
	q.Set("t", hex.EncodeToString(unsubscribeMAC(secret, campaign, cardholderID)))
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

// unsubscribeTokenBytes is the length of an unsubscribe token before hex
// encoding: the first 16 bytes (128 bits) of the HMAC, 32 hex digits in the
// link.
const unsubscribeTokenBytes = 16

// unsubscribeMAC returns the MAC that UnsubscribeURL puts in the link and
// VerifyUnsubscribe checks: the first unsubscribeTokenBytes of
// HMAC-SHA256(secret, campaign NUL cardholderID). Campaign names hold no
// NUL (pipeline checks them), so no two pairs share a message.
func unsubscribeMAC(secret, campaign, cardholderID string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, campaign+"\x00"+cardholderID)
	return mac.Sum(nil)[:unsubscribeTokenBytes]
}

// VerifyUnsubscribe reports whether token is the one UnsubscribeURL puts in
// the link of campaign and cardholderID (the c, id and t parameters) when
// signing with secret. It compares in constant time; a token of the wrong
// length or not in hex is false. Hex digits are accepted in either case.
// Nothing verifies with an empty secret: anyone can sign with that key.
func VerifyUnsubscribe(secret, campaign, cardholderID, token string) bool {
	if secret == "" || len(token) != hex.EncodedLen(unsubscribeTokenBytes) {
		return false
	}
	got, err := hex.DecodeString(token)
	if err != nil {
		return false
	}
	return hmac.Equal(got, unsubscribeMAC(secret, campaign, cardholderID))
}
