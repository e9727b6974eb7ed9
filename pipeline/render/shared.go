package render

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/url"
	"reflect"
	"strings"
	"sync"
	texttemplate "text/template"
	"text/template/parse"

	"github.com/tailor-mail/tailor/variants"
)

// Variants compiled from templates escaped once.
//
// html/template escapes a variant's templates when it first executes
// them: it walks every template the layout reaches, from the context
// where each is called, and adds the escaping functions to its actions.
// A run's variants differ only in which blocks their "content" template
// calls, and in the variant's id in the tagged links; each block is
// called where its row puts it, in HTML text, so it is escaped the same
// in every variant. The engine escapes the layouts and every block once
// (newShared), and a variant's programs are compiled from those trees and
// its own "content", which escaping leaves as it is.
//
// The trees are the same as html/template's for the variant when every
// block is called from HTML text and leaves the next row in HTML text,
// which newShared checks: escaping a content that calls every block, row
// after row, must change none of it (a call from any other context gets a
// template of another name). Until each of a variant's blocks has been
// checked in a variant compiled the long way, executed by html/template
// and compared with its programs' message, the variant is compiled the
// long way (Engine.parse); so is one with a block parsed per variant, or
// whose programs cannot write its sample message.
//
// The bodies of the templates a variant's programs call are compiled once
// too (bodyCache), with a slotStep where the links hold the variant's id,
// and each variant's programs use copies with its id (compiler.withID):
// all but those that write a fact of the variant's, or call "content".

// sharedTemplates are the templates of the engine's variants, escaped
// once: the layouts, their partials and the blocks, by template name.
type sharedTemplates struct {
	html, text map[string]*parse.Tree
	// htmlRoot and textRoot name the layouts.
	htmlRoot, textRoot string
	// calls are the blocks' calls in "content", by block id; the blocks
	// missing are those each variant parses (Engine.trees).
	calls map[string]string

	// bodies are the templates' bodies compiled once for every variant;
	// nil when each variant compiles its own.
	bodies *bodyCache

	mu sync.Mutex
	// checked are the blocks whose programs wrote html/template's
	// message in a variant compiled the long way.
	checked map[string]bool
}

// contentEnd is the template newShared calls after the last block, to see
// the context it leaves.
const contentEnd = "content\x00end"

// newShared escapes the layouts and the blocks once for every variant of
// the engine. It returns nil when the variants must be escaped one by
// one: the layouts are parsed per variant, or escaping a content of every
// block changes it (see above), or fails.
func (e *Engine) newShared() *sharedTemplates {
	if e.html == nil || e.text == nil || e.html.Tree == nil {
		return nil
	}
	s := &sharedTemplates{html: map[string]*parse.Tree{}, text: map[string]*parse.Tree{}, calls: map[string]string{},
		htmlRoot: e.html.Name(), textRoot: e.text.Name(), checked: map[string]bool{}, bodies: new(bodyCache)}
	// Copies of the layouts, as escaping changes the trees it escapes.
	h, err := htmltemplate.New(e.html.Name()).Funcs(e.htmlFuncs).Option("missingkey=error").
		AddParseTree(e.html.Name(), e.html.Tree.Copy())
	if err != nil {
		return nil
	}
	for _, x := range e.html.Templates() {
		if x.Tree != nil && x.Name() != e.html.Name() {
			if _, err := h.AddParseTree(x.Name(), x.Tree.Copy()); err != nil {
				return nil
			}
		}
	}
	for _, x := range e.text.Templates() {
		if x.Tree != nil {
			s.text[x.Name()] = x.Tree
		}
	}
	var content strings.Builder
	files := map[string]bool{}
	for _, b := range e.set.Blocks {
		bt, ok := e.trees[b.ID]
		if !ok || bt.err != nil {
			continue
		}
		if _, err := h.AddParseTree(b.File, bt.html.Copy()); err != nil {
			return nil
		}
		text := bt.text.Copy()
		markList(text, text.Root)
		s.text[b.File] = text
		s.calls[b.ID] = fmt.Sprintf("{{ template %q . }}", b.File)
		files[b.File] = true
		content.WriteString(e.blockRow[b.ID])
	}
	fmt.Fprintf(&content, "{{ template %q . }}", contentEnd)
	if _, err := h.New(contentEnd).Parse(""); err != nil {
		return nil
	}
	ct, err := texttemplate.New("content").Parse(content.String())
	if err != nil {
		return nil
	}
	before := ct.Tree.Root.String()
	if _, err := h.AddParseTree("content", ct.Tree); err != nil {
		return nil
	}
	// Executing escapes every template the layout reaches first; what the
	// execution itself does with empty data does not matter.
	var escapeErr *htmltemplate.Error
	if err := h.Execute(io.Discard, &Data{}); errors.As(err, &escapeErr) {
		return nil
	}
	if x := h.Lookup("content"); x == nil || x.Tree == nil || x.Tree.Root.String() != before {
		return nil
	}
	// html/template escapes a template called from another context than
	// HTML text into a copy named after the context, which the call then
	// names: the layout must call "content", and "content" each block,
	// from HTML text.
	ok := true
	for _, x := range h.Templates() {
		if x.Tree == nil {
			continue
		}
		s.html[x.Name()] = x.Tree
		walkCalls(x.Tree.Root, func(n *parse.TemplateNode) {
			if base, _, derived := strings.Cut(n.Name, "$htmltemplate_"); derived && (base == "content" || base == contentEnd || files[base]) {
				ok = false
			}
		})
	}
	if !ok {
		return nil
	}
	return s
}

// covers reports whether the variant v may be compiled from the shared
// templates: each of its blocks is escaped in them, and checked.
func (s *sharedTemplates) covers(v variants.Variant) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range v.BlockIDs() {
		if !s.checked[id] {
			return false
		}
	}
	return true
}

// check records that the programs of variant v, compiled the long way,
// wrote the message html/template wrote.
func (s *sharedTemplates) check(v variants.Variant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range v.BlockIDs() {
		if _, ok := s.calls[id]; ok {
			s.checked[id] = true
		}
	}
}

// compileShared compiles the programs of n from the shared templates and
// runs them on the sample recipient. It returns nil when they cannot
// write its message: the newsletter is then compiled the long way, which
// reports the error with its file and line.
func (n *Newsletter) compileShared(s *sharedTemplates) *fastNewsletter {
	e := n.engine
	v := n.Variant
	block := func(id string) (row, call string, err error) {
		call, ok := s.calls[id]
		if !ok {
			return "", "", fmt.Errorf("render: variant %s: block %q is not shared", v.ID, id)
		}
		return e.blockRow[id], call, nil
	}
	hp, tp, err := contentPieces(v, block)
	if err != nil {
		return nil
	}
	hc, err := e.contentTree(hp, false)
	if err != nil {
		return nil
	}
	tc, err := e.contentTree(tp, false)
	if err != nil {
		return nil
	}
	lookup := func(m map[string]*parse.Tree, content *parse.Tree) func(string) *parse.Tree {
		return func(name string) *parse.Tree {
			if name == "content" {
				return content
			}
			return m[name]
		}
	}
	f := &fastNewsletter{}
	dot := reflect.TypeFor[*Data]()
	fx := fixed{data: reflect.ValueOf(n.dataFor(Recipient{}, "")), fields: fixedField, variant: []byte(url.QueryEscape(v.ID)), perVariant: variantField}
	if f.html, err = compileProgram(outHTML, s.html[s.htmlRoot], dot, lookup(s.html, hc), e.htmlFuncs, fx, s.bodies); err != nil {
		return nil
	}
	if f.text, err = compileProgram(outText, s.text[s.textRoot], dot, lookup(s.text, tc), e.textFuncs, fx, s.bodies); err != nil {
		return nil
	}
	subjects, preheaders, err := e.lineTemplates(v)
	if err != nil {
		return nil
	}
	room := checkRooms.Get().(*Message)
	defer checkRooms.Put(room)
	if n.finishFast(f, fx, subjects, preheaders, room) == nil {
		return nil
	}
	return f
}
