package inline

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a problem in a stylesheet, at a line and column of the source
// it was read from (the CSS text for Compile, the HTML for FromHTML). Lines
// and columns count from 1; columns count characters.
type Error struct {
	Line, Column int
	Err          error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d:%d: css: %v", e.Line, e.Column, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// errorAt returns err positioned at byte offset off of doc.
func errorAt(doc string, off int, err error) error {
	off = max(0, min(off, len(doc)))
	line := 1 + strings.Count(doc[:off], "\n")
	col := 1 + utf8.RuneCountInString(doc[strings.LastIndexByte(doc[:off], '\n')+1:off])
	return &Error{Line: line, Column: col, Err: err}
}

// decl is one declaration of a rule.
type decl struct {
	prop      string // lower case, but for custom properties
	value     string // comments out, white space collapsed, without !important
	important bool
	dq, sq    string // "prop:value;" escaped for a double- and a single-quoted attribute
}

// rule is one selector of a style rule with the rule's declarations: the
// unit the cascade works on.
type rule struct {
	sel   selector
	spec  int // specificity: ids, classes, types, 10 bits each
	order int // the style rule's place in the sheet; equal for the selectors of one rule
	decls []decl
}

// item is a top-level statement of a stylesheet, or a comment between
// statements.
type item struct {
	start, end int
	drop       bool   // inlined entirely, or a comment: leaves the head
	keep       string // a rule inlined for some of its selectors: what stays
}

// parsed is one stylesheet: its inlinable rules and its statements.
type parsed struct {
	rules   []rule
	items   []item
	nrules  int  // style rules, for the order of the next sheet
	changed bool // some statement is inlined: the stylesheet is rewritten
}

// parseCSS reads the stylesheet doc[a:b]; errors are positioned in doc.
func parseCSS(doc string, a, b int) (*parsed, error) {
	p := &parsed{}
	i := a
	for {
		for i < b {
			switch {
			case isSpace(doc[i]):
				i++
				continue
			case strings.HasPrefix(doc[i:b], "/*"):
				e, err := skipComment(doc, i, b)
				if err != nil {
					return nil, err
				}
				p.items = append(p.items, item{start: i, end: e, drop: true})
				i = e
				continue
			case strings.HasPrefix(doc[i:b], "<!--"):
				i += 4
				continue
			case strings.HasPrefix(doc[i:b], "-->"):
				i += 3
				continue
			}
			break
		}
		if i >= b {
			return p, nil
		}
		if isAction(doc, i) {
			// A condition around rules cannot be inlined; FromHTML leaves
			// such a <style> element to the client.
			return nil, errorAt(doc, i, errors.New("template action between rules"))
		}
		switch doc[i] {
		case '}':
			return nil, errorAt(doc, i, errors.New("unexpected }"))
		case '{':
			return nil, errorAt(doc, i, errors.New("declarations without a selector"))
		case '@':
			j, err := scanTo(doc, i+1, b)
			if err != nil {
				return nil, err
			}
			switch {
			case j >= b:
			case doc[j] == '}':
				return nil, errorAt(doc, j, errors.New("unexpected }"))
			case doc[j] == '{':
				k, err := blockEnd(doc, j, b)
				if err != nil {
					return nil, err
				}
				j = k + 1
			default: // ';'
				j++
			}
			p.items = append(p.items, item{start: i, end: j})
			i = j
		default:
			j, err := scanTo(doc, i, b)
			if err != nil {
				return nil, err
			}
			if j >= b {
				return nil, errorAt(doc, i, fmt.Errorf("%q has no declarations", clip(strings.TrimSpace(doc[i:b]))))
			}
			if doc[j] != '{' {
				return nil, errorAt(doc, j, fmt.Errorf("unexpected %q after selector %q", doc[j:j+1], clip(strings.TrimSpace(doc[i:j]))))
			}
			k, err := blockEnd(doc, j, b)
			if err != nil {
				return nil, err
			}
			if err := p.rule(doc, i, j, k); err != nil {
				return nil, err
			}
			i = k + 1
		}
	}
}

// rule reads the style rule whose selectors are doc[a:j] and whose
// declarations sit between the braces at j and k.
func (p *parsed) rule(doc string, a, j, k int) error {
	decls, nested, err := parseDecls(doc, j+1, k)
	if err != nil {
		return err
	}
	var kept []string
	var sels []selector
	var specs []int
	for _, r := range splitList(doc, a, j) {
		s, e := trim(doc, r[0], r[1])
		if s == e {
			return errorAt(doc, r[0], errors.New("empty selector in a list"))
		}
		sel, spec, err := parseSelector(doc, s, e)
		switch {
		case errors.Is(err, errUnsupported) || err == nil && nested:
			kept = append(kept, doc[s:e])
		case err != nil:
			return err
		default:
			sels = append(sels, sel)
			specs = append(specs, spec)
		}
	}
	it := item{start: a, end: k + 1}
	switch {
	case len(sels) == 0:
	case len(kept) == 0:
		it.drop, p.changed = true, true
	default:
		it.keep, p.changed = strings.Join(kept, ", ")+" "+doc[j:k+1], true
	}
	p.items = append(p.items, it)
	for i, sel := range sels {
		if len(decls) > 0 {
			p.rules = append(p.rules, rule{sel: sel, spec: specs[i], order: p.nrules, decls: decls})
		}
	}
	p.nrules++
	return nil
}

// parseDecls reads the declarations doc[a:b]. nested reports a nested
// rule (CSS nesting), which the inliner leaves to the client.
func parseDecls(doc string, a, b int) (decls []decl, nested bool, err error) {
	i := a
	for {
		for i < b && (isSpace(doc[i]) || doc[i] == ';' || strings.HasPrefix(doc[i:b], "/*")) {
			if doc[i] == '/' {
				if i, err = skipComment(doc, i, b); err != nil {
					return nil, false, err
				}
				continue
			}
			i++
		}
		if i >= b {
			return decls, nested, nil
		}
		j, err := scanTo(doc, i, b)
		if err != nil {
			return nil, false, err
		}
		if j < b && doc[j] == '{' {
			k, err := blockEnd(doc, j, b)
			if err != nil {
				return nil, false, err
			}
			nested, i = true, k+1
			continue
		}
		n := identEnd(doc, i, j)
		if n == i {
			return nil, false, errorAt(doc, i, fmt.Errorf("want a property name, not %q", clip(strings.TrimSpace(doc[i:j]))))
		}
		prop := doc[i:n]
		if !strings.HasPrefix(prop, "--") {
			prop = strings.ToLower(prop)
		}
		m := n
		for m < j && isSpace(doc[m]) {
			m++
		}
		if m >= j || doc[m] != ':' {
			return nil, false, errorAt(doc, m, fmt.Errorf("property %q: want \":\" and a value", prop))
		}
		d := decl{prop: prop}
		d.value, d.important = cssValue(doc, m+1, j)
		if d.value == "" && !strings.HasPrefix(prop, "--") {
			return nil, false, errorAt(doc, i, fmt.Errorf("property %q has no value", prop))
		}
		d.dq = prop + ":" + escapeAttr(d.value, '"') + ";"
		d.sq = prop + ":" + escapeAttr(d.value, '\'') + ";"
		decls = append(decls, d)
		i = j
	}
}

// cssValue returns the value doc[a:b] with comments taken out, white space
// collapsed and !important split off. An unclosed string or comment runs
// to b.
func cssValue(doc string, a, b int) (string, bool) {
	var sb strings.Builder
	space := false
	for i := a; i < b; {
		c := doc[i]
		switch {
		case isSpace(c):
			space = true
			i++
			continue
		case strings.HasPrefix(doc[i:b], "/*"):
			e, err := skipComment(doc, i, b)
			if err != nil {
				e = b
			}
			space = true
			i = e
			continue
		}
		if space && sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		space = false
		var e int
		switch {
		case c == '"' || c == '\'':
			var err error
			if e, err = skipString(doc, i, b); err != nil {
				e = b
			}
			// An escaped line break inside a string continues the line:
			// it is not part of the value.
			sb.WriteString(continuation.Replace(doc[i:e]))
			i = e
			continue
		case isAction(doc, i):
			e = min(skipAction(doc, i), b)
		default:
			e = i + 1
		}
		sb.WriteString(doc[i:e])
		i = e
	}
	v := sb.String()
	const imp = "important"
	if len(v) >= len(imp) && strings.EqualFold(v[len(v)-len(imp):], imp) {
		rest := strings.TrimRight(v[:len(v)-len(imp)], " ")
		if strings.HasSuffix(rest, "!") {
			return strings.TrimRight(rest[:len(rest)-1], " "), true
		}
	}
	return v, false
}

var continuation = strings.NewReplacer("\\\r\n", "", "\\\n", "", "\\\r", "", "\\\f", "")

// escapeAttr escapes a CSS value for an HTML attribute quoted with q,
// leaving template actions as they are. A CSS string quoted with q takes
// the other quote when it holds none: font-family:"Times New Roman" goes
// into style="..." as font-family:'Times New Roman'.
func escapeAttr(v string, q byte) string {
	if !strings.ContainsAny(v, "&\"'") {
		return v
	}
	other := byte('\'')
	if q == '\'' {
		other = '"'
	}
	var sb strings.Builder
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case isAction(v, i):
			e := skipAction(v, i)
			sb.WriteString(v[i:e])
			i = e
			continue
		case c == q:
			e := i + 1
			for e < len(v) && v[e] != q {
				if v[e] == '\\' {
					e++
				}
				e++
			}
			if e < len(v) && !strings.ContainsRune(v[i+1:e], rune(other)) {
				sb.WriteByte(other)
				sb.WriteString(strings.ReplaceAll(v[i+1:e], "&", "&amp;"))
				sb.WriteByte(other)
				i = e + 1
				continue
			}
			if q == '"' {
				sb.WriteString("&#34;")
			} else {
				sb.WriteString("&#39;")
			}
		case c == '&':
			sb.WriteString("&amp;")
		default:
			sb.WriteByte(c)
		}
		i++
	}
	return sb.String()
}

func skipComment(doc string, i, b int) (int, error) {
	e := strings.Index(doc[i+2:b], "*/")
	if e < 0 {
		return 0, errorAt(doc, i, errors.New("unclosed comment"))
	}
	return i + 2 + e + 2, nil
}

func skipString(doc string, i, b int) (int, error) {
	q := doc[i]
	for j := i + 1; j < b; j++ {
		switch doc[j] {
		case '\\':
			j++
		case q:
			return j + 1, nil
		case '\n':
			return 0, errorAt(doc, i, errors.New("unclosed string"))
		}
	}
	return 0, errorAt(doc, i, errors.New("unclosed string"))
}

// skip returns the end of the string, comment or action at doc[i], or i
// when none starts there.
func skip(doc string, i, b int) (int, error) {
	switch {
	case doc[i] == '"' || doc[i] == '\'':
		return skipString(doc, i, b)
	case strings.HasPrefix(doc[i:b], "/*"):
		return skipComment(doc, i, b)
	case isAction(doc, i):
		e := skipAction(doc, i)
		if e > b || !strings.HasSuffix(doc[i:e], "}}") {
			return 0, errorAt(doc, i, errors.New("unclosed template action"))
		}
		return e, nil
	}
	return i, nil
}

// scanTo returns the offset of the first "{", "}" or ";" of doc[i:b]
// outside strings, comments, actions and brackets, or b.
func scanTo(doc string, i, b int) (int, error) {
	depth := 0
	for i < b {
		e, err := skip(doc, i, b)
		if err != nil {
			return 0, err
		}
		if e > i {
			i = e
			continue
		}
		switch doc[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth = max(0, depth-1)
		case '{', '}', ';':
			if depth == 0 || doc[i] != ';' {
				return i, nil
			}
		}
		i++
	}
	return b, nil
}

// blockEnd returns the offset of the "}" that closes the "{" at doc[j].
func blockEnd(doc string, j, b int) (int, error) {
	depth := 0
	for i := j; i < b; {
		e, err := skip(doc, i, b)
		if err != nil {
			return 0, err
		}
		if e > i {
			i = e
			continue
		}
		switch doc[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
		i++
	}
	return 0, errorAt(doc, j, errors.New("unclosed {"))
}

// splitList splits the selector list doc[a:b] at its top-level commas.
func splitList(doc string, a, b int) [][2]int {
	var out [][2]int
	depth, s := 0, a
	for i := a; i < b; {
		if e, err := skip(doc, i, b); err == nil && e > i {
			i = e
			continue
		}
		switch doc[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth = max(0, depth-1)
		case ',':
			if depth == 0 {
				out = append(out, [2]int{s, i})
				s = i + 1
			}
		}
		i++
	}
	return append(out, [2]int{s, b})
}

// trim returns doc[a:b] without surrounding white space and comments.
func trim(doc string, a, b int) (int, int) {
	for a < b {
		if isSpace(doc[a]) {
			a++
			continue
		}
		if !strings.HasPrefix(doc[a:b], "/*") {
			break
		}
		e, err := skipComment(doc, a, b)
		if err != nil {
			break
		}
		a = e
	}
	for a < b && isSpace(doc[b-1]) {
		b--
	}
	return a, b
}

// rewrite returns the stylesheet doc[a:b] without what was inlined and
// without comments. What leaves takes the white space before it along and
// leaves its line breaks in a template comment (lineBreaks), so that the
// lines after it keep their numbers: the template errors of a layout point
// at the designer's lines.
func (p *parsed) rewrite(doc string, a, b int) string {
	var sb strings.Builder
	cur, gone := a, 0
	for _, it := range p.items {
		gap := doc[cur:it.start]
		cur = it.end
		if it.drop {
			gone += strings.Count(gap, "\n") + strings.Count(doc[it.start:it.end], "\n")
			continue
		}
		sb.WriteString(lineBreaks(gone))
		gone = 0
		sb.WriteString(gap)
		if it.keep == "" {
			sb.WriteString(doc[it.start:it.end])
			continue
		}
		sb.WriteString(lineBreaks(strings.Count(doc[it.start:it.end], "\n") - strings.Count(it.keep, "\n")))
		sb.WriteString(it.keep)
	}
	sb.WriteString(lineBreaks(gone))
	sb.WriteString(doc[cur:b])
	return sb.String()
}

// lineBreaks returns n line breaks in a template comment, which the
// template drops when it runs, or "" when n is 0.
func lineBreaks(n int) string {
	if n <= 0 {
		return ""
	}
	return "{{/*" + strings.Repeat("\n", n) + "*/}}"
}

// kept returns the statements of the stylesheet doc that stay in the
// head, one a line.
func (p *parsed) kept(doc string) []string {
	var out []string
	for _, it := range p.items {
		switch {
		case it.drop:
		case it.keep != "":
			out = append(out, it.keep)
		default:
			out = append(out, doc[it.start:it.end])
		}
	}
	return out
}
