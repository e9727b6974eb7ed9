// Package inline moves the CSS rules of a newsletter's <style> elements
// into the style attributes of the elements they match, as Gmail and
// several other mail clients ignore styles in the head.
//
// It works on template sources: Go template actions ({{ ... }}) may stand
// in text, between attributes, in attribute values and in link targets,
// with quoted strings inside, and they pass through untouched. Everything
// the inliner does not rewrite (comments, Outlook conditional comments,
// text, the tags it adds nothing to) comes out byte for byte. The output
// has as many lines as the input, so that a template error still names the
// designer's line: the line breaks of the CSS that leaves the head stay
// behind in a template comment ({{/* */}}), which vanishes when the
// template runs. EditAttrs rewrites attribute values, such as link
// targets, with the same tokenizer.
//
// What is inlined: style rules whose selectors are type (p), universal
// (*), class (.block), id (#main), compound (td.block), descendant
// (.block p) and child (.block > p) selectors, and lists of them (h1, h2).
// The cascade follows CSS: specificity, then source order; !important
// declarations of the sheet beat normal ones and the element's own style
// attribute; otherwise the element's own declarations win. Inlined
// declarations come first in the style attribute, then the element's own,
// then the sheet's !important ones that must beat them; !important itself
// is not written inline, so that a @media rule in the head can still
// override an inlined value.
//
// What stays in the head: at-rules (@media, among them responsive and
// prefers-color-scheme rules, @font-face, @supports, @import, ...), rules
// with pseudo-classes or pseudo-elements (:hover, ::before), attribute
// selectors ([data-ogsc], a[x-apple-data-detectors]: mail clients add such
// attributes when they show the message), sibling combinators, nested
// rules, selectors made partly by template actions, and every rule of a <style> element marked data-inline="keep", of
// one with a media attribute other than screen or all, or of one whose CSS
// holds template actions. Rules that were inlined leave the head; a
// <style> element left empty is removed.
//
// The inliner reads HTML with its own tokenizer: an HTML tokenizer such
// as golang.org/x/net/html's ends an attribute value at the first quote,
// and so cuts {{ index .Recipient.TopMerchants "dining" }} in two.
package inline

import (
	"html"
	"slices"
	"strings"
)

// Sheet is a compiled stylesheet: parse it once, then apply it to any
// number of documents. A Sheet is safe for concurrent use.
type Sheet struct {
	rules  []rule
	kept   []string
	styles map[string]restyle // by a <style> element's CSS as written
	norder int
	byID   map[string][]int
	byCls  map[string][]int
	byTag  map[string][]int
	any    []int
}

// Compile parses css. A malformed stylesheet gives an *Error with the line
// and column in css.
func Compile(css string) (*Sheet, error) {
	p, err := parseCSS(css, 0, len(css))
	if err != nil {
		return nil, err
	}
	s := &Sheet{rules: p.rules, kept: p.kept(css), norder: p.nrules}
	s.index()
	return s, nil
}

// FromHTML compiles the <style> elements of the HTML template src, such as
// a newsletter layout, in document order. Apply then also rewrites those
// elements where it meets them, keeping only the rules that stay in the
// head. Errors are *Error with the line and column in src.
func FromHTML(src string) (*Sheet, error) {
	s := &Sheet{styles: map[string]restyle{}}
	sc := scanner{src: src}
	for {
		t, ok := sc.next()
		if !ok {
			break
		}
		if t.kind != tokStart || t.name != "style" || t.selfClose || keepStyle(&sc) {
			continue
		}
		c, ok := sc.next()
		if !ok || c.kind != tokRaw || !c.closed {
			break
		}
		css := src[c.start:c.end]
		if strings.Contains(css, "{{") {
			continue
		}
		p, err := parseCSS(src, c.start, c.end)
		if err != nil {
			return nil, err
		}
		s.add(p, src)
		if p.changed {
			s.styles[css] = restyle{css: p.rewrite(src, c.start, c.end), empty: len(p.kept(src)) == 0}
		}
	}
	s.index()
	return s, nil
}

// restyle is what becomes of a <style> element: its CSS without what is
// inlined, or nothing.
type restyle struct {
	css   string
	empty bool
}

// add appends the rules of p, read from doc, after those of s.
func (s *Sheet) add(p *parsed, doc string) {
	for _, r := range p.rules {
		r.order += s.norder
		s.rules = append(s.rules, r)
	}
	s.norder += p.nrules
	s.kept = append(s.kept, p.kept(doc)...)
}

// keepStyle reports whether the <style> start tag sc just read asks to be
// left alone: data-inline="keep", or a media attribute other than screen
// or all, or a type other than text/css.
func keepStyle(sc *scanner) bool {
	if v, i := sc.attr("data-inline"); i >= 0 && strings.EqualFold(strings.TrimSpace(v), "keep") {
		return true
	}
	if v, i := sc.attr("media"); i >= 0 {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "all", "screen", "only screen":
		default:
			return true
		}
	}
	if v, i := sc.attr("type"); i >= 0 && !strings.EqualFold(strings.TrimSpace(v), "text/css") {
		return true
	}
	return false
}

// Join returns a sheet with the rules of sheets in order, as if their
// stylesheets were one: a later rule wins over an earlier one of the same
// specificity.
func Join(sheets ...*Sheet) *Sheet {
	s := &Sheet{styles: map[string]restyle{}}
	for _, o := range sheets {
		for _, r := range o.rules {
			r.order += s.norder
			s.rules = append(s.rules, r)
		}
		s.norder += o.norder
		s.kept = append(s.kept, o.kept...)
		for k, v := range o.styles {
			s.styles[k] = v
		}
	}
	s.index()
	return s
}

// Kept returns the statements of the sheet that stay in the head, one a
// line: at-rules and the rules the inliner cannot apply.
func (s *Sheet) Kept() string {
	return strings.Join(s.kept, "\n")
}

// index files each rule under what its subject requires: an id, else a
// class, else a type, else nothing.
func (s *Sheet) index() {
	s.byID, s.byCls, s.byTag = map[string][]int{}, map[string][]int{}, map[string][]int{}
	for i := range s.rules {
		c := s.rules[i].sel.subject()
		switch {
		case c.id != "":
			s.byID[c.id] = append(s.byID[c.id], i)
		case len(c.classes) > 0:
			s.byCls[c.classes[0]] = append(s.byCls[c.classes[0]], i)
		case c.tag != "":
			s.byTag[c.tag] = append(s.byTag[c.tag], i)
		default:
			s.any = append(s.any, i)
		}
	}
}

// Inline applies the <style> elements of the HTML template src to its
// elements: FromHTML, then Apply.
func Inline(src string) (string, error) {
	s, err := FromHTML(src)
	if err != nil {
		return "", err
	}
	return s.Apply(src), nil
}

// Apply writes the sheet's rules into the style attributes of the elements
// of the HTML template src, and rewrites the <style> elements the sheet was
// compiled from (FromHTML) to what stays in the head. Elements in the head
// and elements that show nothing (style, script, meta, ...) get no style.
//
// context lists the start tags of the elements src sits in, outermost
// first, when src is a fragment that a layout includes (see Ancestors):
// selectors such as ".block p" then match a fragment's paragraphs.
func (s *Sheet) Apply(src string, context ...string) string {
	if len(s.rules) == 0 && len(s.styles) == 0 {
		return src
	}
	a := applier{s: s, src: src, sc: scanner{src: src}}
	for _, c := range context {
		cs := scanner{src: c}
		if t, ok := cs.next(); ok && t.kind == tokStart {
			a.st.push(cs.newElement(t))
			if !stays(t) {
				a.st.els = a.st.els[:len(a.st.els)-1]
			}
		}
	}
	a.st.floor = len(a.st.els)
	return a.run()
}

// applier is the state of one Apply.
type applier struct {
	s       *Sheet
	src     string
	sc      scanner
	st      stack
	out     strings.Builder
	wrote   bool // out holds the source up to last
	last    int
	matches []int
	decls   []picked
	kept    []*decl
	own     []ownDecl
}

// picked is a declaration the cascade picked for the element.
type picked struct {
	d     *decl
	order int
}

// ownDecl is a declaration of an element's own style attribute.
type ownDecl struct {
	prop      string
	value     string // as written
	important bool
}

// isImportant reports whether the declared value v ends with !important.
func isImportant(v string) bool {
	const imp = "important"
	v = strings.TrimRight(v, " \t\n\r\f")
	if len(v) < len(imp) || !strings.EqualFold(v[len(v)-len(imp):], imp) {
		return false
	}
	return strings.HasSuffix(strings.TrimRight(v[:len(v)-len(imp)], " \t\n\r\f"), "!")
}

// sameValue reports whether the value written in a style attribute says
// what the declaration value of a rule says.
func sameValue(written, value string) bool {
	if written == value {
		return true
	}
	v, _ := cssValue(written, 0, len(written))
	return v == value
}

// stays reports whether the element of start tag t stays open: it is not
// void, nor a self-closed element of another namespace, such as <o:p/>.
func stays(t token) bool {
	return !isVoid(t.name) && !(t.selfClose && strings.Contains(t.name, ":"))
}

// flush copies the source up to offset to into the output.
func (a *applier) flush(to int) {
	if !a.wrote {
		a.out.Grow(len(a.src) + len(a.src)/2)
		a.wrote = true
	}
	a.out.WriteString(a.src[a.last:to])
	a.last = to
}

// run walks the source and returns it with the styles written in, or the
// source itself when nothing changed.
func (a *applier) run() string {
	styleStart, dropEnd := -1, false
	for {
		t, ok := a.sc.next()
		if !ok {
			break
		}
		switch t.kind {
		case tokStart:
			styleStart = -1
			a.st.push(a.sc.newElement(t))
			if t.name == "style" && !keepStyle(&a.sc) {
				styleStart = t.start
			}
			if len(a.s.rules) > 0 && styled(t.name) && !a.st.inHead() {
				a.style(t)
			}
			if !stays(t) {
				a.st.els = a.st.els[:len(a.st.els)-1]
			}
		case tokRaw:
			if t.name != "style" || styleStart < 0 || !t.closed {
				break
			}
			re, ok := a.s.styles[a.src[t.start:t.end]]
			if !ok {
				break
			}
			if re.empty {
				a.flush(styleStart)
				a.last, dropEnd = t.end, true
				break
			}
			a.flush(t.start)
			a.out.WriteString(re.css)
			a.last = t.end
		case tokEnd:
			if dropEnd && t.name == "style" {
				a.out.WriteString(lineBreaks(strings.Count(a.src[styleStart:t.end], "\n")))
				a.last = t.end
			}
			dropEnd = false
			a.st.pop(t.name)
		}
	}
	if !a.wrote {
		return a.src
	}
	a.flush(len(a.src))
	return a.out.String()
}

// styled reports whether an element shows anything that a style could
// change.
func styled(tag string) bool {
	switch tag {
	case "head", "title", "meta", "link", "style", "script", "base", "template", "noscript":
		return false
	}
	return true
}

// style writes the start tag t, the top of the stack, with the declarations
// of the rules that match it.
func (a *applier) style(t token) {
	els := a.st.els
	e := &els[len(els)-1]
	a.matches = a.matches[:0]
	if e.id != "" {
		a.match(a.s.byID[e.id], els)
	}
	for c := e.class; len(c) > 0; {
		i := 0
		for i < len(c) && isSpace(c[i]) {
			i++
		}
		j := i
		for j < len(c) && !isSpace(c[j]) {
			j++
		}
		if j > i {
			a.match(a.s.byCls[c[i:j]], els)
		}
		c = c[j:]
	}
	a.match(a.s.byTag[e.tag], els)
	a.match(a.s.any, els)
	if len(a.matches) == 0 {
		return
	}
	rules := a.s.rules
	// One entry per style rule, with its most specific matching selector,
	// in cascade order.
	slices.SortFunc(a.matches, func(x, y int) int {
		if rules[x].order != rules[y].order {
			return rules[x].order - rules[y].order
		}
		return rules[y].spec - rules[x].spec
	})
	a.matches = slices.CompactFunc(a.matches, func(x, y int) bool { return rules[x].order == rules[y].order })
	slices.SortStableFunc(a.matches, func(x, y int) int {
		if rules[x].spec != rules[y].spec {
			return rules[x].spec - rules[y].spec
		}
		return rules[x].order - rules[y].order
	})

	si := -1
	own := ""
	if v, i := a.sc.attr("style"); i >= 0 {
		si, own = i, v
	}
	a.own = ownDecls(own, a.own[:0])

	a.decls = a.decls[:0]
	for _, m := range a.matches {
		for k := range rules[m].decls {
			if d := &rules[m].decls[k]; !d.important {
				a.decls = append(a.decls, picked{d, rules[m].order})
			}
		}
	}
	for _, m := range a.matches {
		for k := range rules[m].decls {
			if d := &rules[m].decls[k]; d.important {
				a.decls = append(a.decls, picked{d, rules[m].order})
			}
		}
	}
	// Leave out what a later declaration overrides: one of another rule
	// (the same rule may repeat a property as a fallback), or the
	// element's own.
	a.kept = a.kept[:0]
	for i := range a.decls {
		if a.overridden(i) {
			a.decls[i].d = nil
		}
	}
	for _, p := range a.decls {
		if p.d != nil {
			a.kept = append(a.kept, p.d)
		}
	}
	pre, post := a.kept, a.kept[len(a.kept):]
	for i, d := range a.kept {
		if d.important {
			pre, post = a.kept[:i], a.kept[i:]
			break
		}
	}
	if len(pre) == 0 && len(post) == 0 {
		return
	}
	write := func(ds []*decl, q byte) {
		for _, d := range ds {
			if q == '\'' {
				a.out.WriteString(d.sq)
			} else {
				a.out.WriteString(d.dq)
			}
		}
	}
	sep := func() {
		if len(post) > 0 {
			if o := strings.TrimRight(own, " \t\n\r\f"); o != "" && !strings.HasSuffix(o, ";") {
				a.out.WriteByte(';')
			}
		}
	}
	if si < 0 {
		a.flush(t.attrEnd)
		a.out.WriteString(` style="`)
		write(pre, '"')
		write(post, '"')
		a.out.WriteByte('"')
		return
	}
	at := a.sc.attrs[si]
	switch {
	case at.valStart < 0: // style with no value
		a.flush(at.nameEnd)
		a.out.WriteString(`="`)
		write(pre, '"')
		write(post, '"')
		a.out.WriteByte('"')
	case at.quote != 0:
		a.flush(at.valStart)
		write(pre, at.quote)
		a.flush(at.valEnd)
		sep()
		write(post, at.quote)
	default: // unquoted: quote it
		a.flush(at.valStart)
		a.out.WriteByte('"')
		write(pre, '"')
		a.out.WriteString(escapeAttr(own, '"'))
		a.last = at.valEnd
		sep()
		write(post, '"')
		a.out.WriteByte('"')
	}
}

// overridden reports whether a later declaration overrides a.decls[i]: the
// element's own, or one of another rule (the same rule may repeat a
// property as a fallback). The element's own declaration wins but over an
// !important one of the sheet, unless it says the same.
func (a *applier) overridden(i int) bool {
	p := a.decls[i]
	for _, o := range a.own {
		if o.prop == p.d.prop && (o.important || !p.d.important || sameValue(o.value, p.d.value)) {
			return true
		}
	}
	for _, q := range a.decls[i+1:] {
		if q.d.prop == p.d.prop && q.order != p.order {
			return true
		}
	}
	return false
}

// match adds the rules of idx whose selector matches the top of els.
func (a *applier) match(idx []int, els []element) {
	for _, r := range idx {
		if a.s.rules[r].sel.match(els) {
			a.matches = append(a.matches, r)
		}
	}
}

// ownDecls lists the properties that the style attribute value v sets.
// Declarations made by template actions are not known and not listed.
func ownDecls(v string, out []ownDecl) []ownDecl {
	if strings.TrimSpace(v) == "" {
		return out
	}
	if strings.Contains(v, "&") {
		v = html.UnescapeString(v)
	}
	for start, i, depth := 0, 0, 0; i <= len(v); {
		if i < len(v) {
			if isAction(v, i) {
				i = skipAction(v, i)
				continue
			}
			switch c := v[i]; c {
			case '"', '\'':
				if e := strings.IndexByte(v[i+1:], c); e >= 0 {
					i += e + 2
					continue
				}
			case '(':
				depth++
			case ')':
				depth = max(0, depth-1)
			}
			if v[i] != ';' || depth > 0 {
				i++
				continue
			}
		}
		if name, val, ok := strings.Cut(v[start:i], ":"); ok {
			name = strings.TrimSpace(name)
			if name != "" && !strings.Contains(name, "{{") {
				if !strings.HasPrefix(name, "--") {
					name = strings.ToLower(name)
				}
				out = append(out, ownDecl{prop: name, value: val, important: isImportant(val)})
			}
		}
		i++
		start = i
	}
	return out
}
