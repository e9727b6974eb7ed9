package inline

import "strings"

// The scanner reads the HTML of a template source. It knows Go template
// actions: an action is opaque wherever it stands (in text, between
// attributes, inside a quoted or unquoted attribute value), so the quotes
// and the > of {{ index .Recipient.TopMerchants "dining" }} never end an
// attribute or a tag. It never fails: what it cannot read as markup it
// returns as text, and every token is a span of the source, so that the
// inliner copies what it does not rewrite byte for byte.

type tokenKind uint8

const (
	tokText    tokenKind = iota // text, with any actions in it
	tokComment                  // <!-- ... -->, <!DOCTYPE ...>, <? ... >
	tokStart                    // a start tag
	tokEnd                      // an end tag
	tokRaw                      // the content of a raw text element such as <style>
)

// attr is one attribute of a start tag, as offsets into the source.
type attr struct {
	nameStart, nameEnd int
	valStart, valEnd   int  // the value without its quotes; both -1 when the attribute has no value
	quote              byte // '"', '\'' or 0 when unquoted or absent
}

// token is a span of the source and, for tags, what the inliner needs.
type token struct {
	kind       tokenKind
	start, end int
	name       string // tag name, lower case
	attrEnd    int    // where a new attribute goes: after the last attribute or action
	closed     bool   // tokRaw: an end tag follows
	selfClose  bool   // the start tag ends with "/>"
}

type scanner struct {
	src   string
	pos   int
	raw   string // the raw text element whose content comes next, or ""
	attrs []attr // the attributes of the last start tag
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isAction reports whether a template action starts at src[i].
func isAction(src string, i int) bool {
	return i+1 < len(src) && src[i] == '{' && src[i+1] == '{'
}

// skipAction returns the offset just past the template action that starts
// at src[i], or len(src) when it is not closed. Strings, raw strings and
// comments inside the action may hold "}}".
func skipAction(src string, i int) int {
	j := i + 2
	k := j
	if k+1 < len(src) && src[k] == '-' && isSpace(src[k+1]) {
		k++
	}
	for k < len(src) && isSpace(src[k]) {
		k++
	}
	if strings.HasPrefix(src[k:], "/*") {
		e := strings.Index(src[k+2:], "*/")
		if e < 0 {
			return len(src)
		}
		j = k + 2 + e + 2
		if e := strings.Index(src[j:], "}}"); e >= 0 {
			return j + e + 2
		}
		return len(src)
	}
	for j < len(src) {
		switch src[j] {
		case '"', '\'':
			j = skipGoQuoted(src, j)
		case '`':
			e := strings.IndexByte(src[j+1:], '`')
			if e < 0 {
				return len(src)
			}
			j += e + 2
		case '}':
			if j+1 < len(src) && src[j+1] == '}' {
				return j + 2
			}
			j++
		default:
			j++
		}
	}
	return len(src)
}

// skipGoQuoted skips a Go string or character literal starting at src[i].
// A line break ends it too: the template parser refuses such a literal,
// and the scanner must not swallow the rest of the source.
func skipGoQuoted(src string, i int) int {
	q := src[i]
	j := i + 1
	for j < len(src) {
		switch src[j] {
		case '\\':
			j += 2
			continue
		case q:
			return j + 1
		case '\n':
			return j
		}
		j++
	}
	return len(src)
}

// next returns the next token; ok is false at the end of the source.
func (s *scanner) next() (t token, ok bool) {
	src := s.src
	i := s.pos
	if i >= len(src) {
		return token{}, false
	}
	if s.raw != "" {
		t = token{kind: tokRaw, start: i, name: s.raw}
		t.end, t.closed = s.rawEnd(i, s.raw)
		s.raw = ""
		s.pos = t.end
		return t, true
	}
	if src[i] == '<' {
		t, ok := s.markup(i)
		switch {
		case ok:
			if t.kind == tokStart && !t.selfClose && isRawText(t.name) {
				s.raw = t.name
			}
		case t.end == len(src):
			// A tag cut off by the end of the source is no tag, and
			// nothing after it is one either (HTML drops it).
			t = token{kind: tokText, start: i, end: len(src)}
		default:
			// A "<" that starts no markup is text.
			t = token{kind: tokText, start: i, end: i + 1}
		}
		s.pos = t.end
		return t, true
	}
	j := i
	for j < len(src) && src[j] != '<' {
		if isAction(src, j) {
			j = skipAction(src, j)
			continue
		}
		j++
	}
	s.pos = j
	return token{kind: tokText, start: i, end: j}, true
}

// rawEnd finds the end tag of the raw text element name in the source from
// i: it returns its offset, and false with len(src) when there is none.
func (s *scanner) rawEnd(i int, name string) (int, bool) {
	src := s.src
	for i < len(src) {
		if isAction(src, i) {
			i = skipAction(src, i)
			continue
		}
		if src[i] == '<' && i+1 < len(src) && src[i+1] == '/' {
			e := i + 2 + len(name)
			if e <= len(src) && strings.EqualFold(src[i+2:e], name) && (e == len(src) || isSpace(src[e]) || src[e] == '/' || src[e] == '>') {
				return i, true
			}
		}
		i++
	}
	return len(src), false
}

// markup reads the markup that starts with the "<" at src[i].
func (s *scanner) markup(i int) (token, bool) {
	src := s.src
	if i+1 >= len(src) {
		return token{}, false
	}
	switch c := src[i+1]; {
	case c == '!':
		if strings.HasPrefix(src[i:], "<!--") {
			return token{kind: tokComment, start: i, end: commentEnd(src, i)}, true
		}
		return token{kind: tokComment, start: i, end: bogusEnd(src, i)}, true
	case c == '?':
		return token{kind: tokComment, start: i, end: bogusEnd(src, i)}, true
	case c == '/':
		if i+2 < len(src) && isLetter(src[i+2]) {
			j := i + 2
			for j < len(src) && !isSpace(src[j]) && src[j] != '/' && src[j] != '>' {
				j++
			}
			name := strings.ToLower(src[i+2 : j])
			for j < len(src) && src[j] != '>' {
				if isAction(src, j) {
					j = skipAction(src, j)
					continue
				}
				j++
			}
			return token{kind: tokEnd, start: i, end: min(j+1, len(src)), name: name}, true
		}
		if i+2 < len(src) && src[i+2] == '>' {
			return token{kind: tokComment, start: i, end: i + 3}, true
		}
		return token{kind: tokComment, start: i, end: bogusEnd(src, i)}, true
	case isLetter(c):
		return s.startTag(i)
	}
	return token{}, false
}

// commentEnd returns the end of the comment that starts at src[i]: after
// "-->", or the end of the source.
func commentEnd(src string, i int) int {
	j := i + 4
	switch {
	case strings.HasPrefix(src[j:], ">"):
		return j + 1
	case strings.HasPrefix(src[j:], "->"):
		return j + 2
	}
	if e := strings.Index(src[j:], "-->"); e >= 0 {
		return j + e + 3
	}
	return len(src)
}

// bogusEnd returns the end of a declaration or processing instruction
// that starts at src[i]: after the next ">".
func bogusEnd(src string, i int) int {
	if e := strings.IndexByte(src[i+1:], '>'); e >= 0 {
		return i + 1 + e + 1
	}
	return len(src)
}

// startTag reads the start tag at src[i]. It returns false, with a token
// that ends at the end of the source, when the tag is not closed before.
func (s *scanner) startTag(i int) (token, bool) {
	src := s.src
	s.attrs = s.attrs[:0]
	j := i + 1
	for j < len(src) && !isSpace(src[j]) && src[j] != '/' && src[j] != '>' && !isAction(src, j) {
		j++
	}
	t := token{kind: tokStart, start: i, name: strings.ToLower(src[i+1 : j]), attrEnd: j}
	cut := token{end: len(src)}
	for {
		if j >= len(src) {
			return cut, false
		}
		c := src[j]
		switch {
		case c == '>':
			t.end = j + 1
			return t, true
		case c == '/':
			if j+1 < len(src) && src[j+1] == '>' {
				t.end, t.selfClose = j+2, true
				return t, true
			}
			j++
			continue
		case isSpace(c):
			j++
			continue
		case isAction(src, j):
			j = skipAction(src, j)
			t.attrEnd = j
			continue
		}
		a := attr{nameStart: j, valStart: -1, valEnd: -1}
		j++ // a name may start with "=" or any other character
		for j < len(src) && !isSpace(src[j]) && src[j] != '/' && src[j] != '>' && src[j] != '=' && !isAction(src, j) {
			j++
		}
		a.nameEnd = j
		k := j
		for k < len(src) && isSpace(src[k]) {
			k++
		}
		if k < len(src) && src[k] == '=' {
			k++
			for k < len(src) && isSpace(src[k]) {
				k++
			}
			if k < len(src) && (src[k] == '"' || src[k] == '\'') {
				q := src[k]
				e := k + 1
				for e < len(src) && src[e] != q {
					if isAction(src, e) {
						e = skipAction(src, e)
						continue
					}
					e++
				}
				if e >= len(src) {
					return cut, false
				}
				a.valStart, a.valEnd, a.quote = k+1, e, q
				j = e + 1
			} else {
				e := k
				for e < len(src) && !isSpace(src[e]) && src[e] != '>' {
					if isAction(src, e) {
						e = skipAction(src, e)
						continue
					}
					e++
				}
				a.valStart, a.valEnd = k, e
				j = e
			}
		}
		s.attrs = append(s.attrs, a)
		t.attrEnd = j
	}
}

// attr returns the value of the first attribute called name (lower case)
// among the last start tag's, and its index, or -1.
func (s *scanner) attr(name string) (string, int) {
	for i, a := range s.attrs {
		if strings.EqualFold(s.src[a.nameStart:a.nameEnd], name) {
			if a.valStart < 0 {
				return "", i
			}
			return s.src[a.valStart:a.valEnd], i
		}
	}
	return "", -1
}

func isRawText(name string) bool {
	switch name {
	case "style", "script", "title", "textarea", "xmp", "iframe", "noembed", "noframes":
		return true
	}
	return false
}

func isVoid(name string) bool {
	switch name {
	case "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr":
		return true
	}
	return false
}

// element is an open element: what selectors look at.
type element struct {
	tag   string
	id    string
	class string // the class attribute, with any action replaced by NUL bytes
	raw   string // the start tag as written
}

// hasClass reports whether name is one of the element's classes.
func (e *element) hasClass(name string) bool {
	c := e.class
	for len(c) > 0 {
		i := 0
		for i < len(c) && isSpace(c[i]) {
			i++
		}
		j := i
		for j < len(c) && !isSpace(c[j]) {
			j++
		}
		if c[i:j] == name {
			return true
		}
		c = c[j:]
	}
	return false
}

// newElement describes the start tag t that s just read.
func (s *scanner) newElement(t token) element {
	e := element{tag: t.name, raw: s.src[t.start:t.end]}
	e.id, _ = s.attr("id")
	if c, i := s.attr("class"); i >= 0 {
		e.class = opaque(c)
	}
	if strings.Contains(e.id, "{{") {
		e.id = "\x00" // an id made by an action matches no selector
	}
	return e
}

// opaque replaces every action in s by NUL bytes, so that a class word
// made partly by an action matches no selector.
func opaque(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	b := []byte(s)
	for i := 0; i < len(s); {
		if isAction(s, i) {
			e := skipAction(s, i)
			for k := i; k < e; k++ {
				b[k] = 0
			}
			i = e
			continue
		}
		i++
	}
	return string(b)
}

// stack holds the open elements. Elements below floor are the context a
// fragment is included in: the fragment's end tags never close them.
type stack struct {
	els   []element
	floor int
}

// push puts e on the stack, first closing what its start tag closes
// implicitly, as an HTML parser does in the common cases: a new list item
// closes the last one, a cell the last cell, a row the last row, body the
// head, and a block-level element an open paragraph. The caller pops e
// again when it is void.
func (st *stack) push(e element) {
	switch e.tag {
	case "li":
		st.closeImplied(e.tag, "ul", "ol", "menu", "table", "td", "th")
	case "dt", "dd":
		st.closeImplied("dt", "dl", "table", "td", "th")
		st.closeImplied("dd", "dl", "table", "td", "th")
	case "td", "th":
		st.closeImplied("td", "tr", "table")
		st.closeImplied("th", "tr", "table")
	case "tr":
		st.closeImplied("tr", "table", "tbody", "thead", "tfoot")
	case "tbody", "thead", "tfoot":
		st.closeImplied("tbody", "table")
		st.closeImplied("thead", "table")
		st.closeImplied("tfoot", "table")
	case "body":
		st.closeImplied("head", "html")
	}
	if closesP(e.tag) {
		st.closeImplied("p", "table", "td", "th", "button", "caption", "html", "object", "template")
	}
	st.els = append(st.els, e)
}

// closeImplied closes the innermost open element called name unless one
// of the boundary elements comes first.
func (st *stack) closeImplied(name string, boundary ...string) {
	for i := len(st.els) - 1; i >= st.floor; i-- {
		t := st.els[i].tag
		if t == name {
			st.els = st.els[:i]
			return
		}
		for _, b := range boundary {
			if t == b {
				return
			}
		}
	}
}

// pop closes the innermost open element called name, and every element
// inside it; an end tag that matches no open element is ignored.
func (st *stack) pop(name string) {
	for i := len(st.els) - 1; i >= st.floor; i-- {
		if st.els[i].tag == name {
			st.els = st.els[:i]
			return
		}
	}
}

// inHead reports whether the head element is open.
func (st *stack) inHead() bool {
	for i := range st.els {
		if st.els[i].tag == "head" {
			return true
		}
	}
	return false
}

func closesP(tag string) bool {
	switch tag {
	case "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "dd", "dt",
		"fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
		"hr", "li", "listing", "main", "menu", "nav", "ol", "p", "plaintext", "pre", "section", "summary", "table", "ul", "xmp":
		return true
	}
	return false
}

// Ancestors returns the start tags of the elements open at byte offset off
// of src, outermost first, as written. It gives the context of a fragment
// that a template includes at that point ({{ template "content" . }}), for
// Sheet.Apply. Markup inside comments and actions does not count.
func Ancestors(src string, off int) []string {
	off = max(0, min(off, len(src)))
	s := scanner{src: src[:off]}
	var st stack
	for {
		t, ok := s.next()
		if !ok {
			break
		}
		switch t.kind {
		case tokStart:
			st.push(s.newElement(t))
			if !stays(t) {
				st.els = st.els[:len(st.els)-1]
			}
		case tokEnd:
			st.pop(t.name)
		}
	}
	out := make([]string, len(st.els))
	for i, e := range st.els {
		out[i] = e.raw
	}
	return out
}
