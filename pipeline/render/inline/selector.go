package inline

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// compound is a compound selector: td.block#main. An empty tag matches any
// element.
type compound struct {
	tag     string
	id      string
	classes []string
}

func (c *compound) match(e *element) bool {
	if c.tag != "" && c.tag != e.tag {
		return false
	}
	if c.id != "" && c.id != e.id {
		return false
	}
	for _, name := range c.classes {
		if !e.hasClass(name) {
			return false
		}
	}
	return true
}

// selector is a complex selector as groups of compounds joined by child
// combinators, the groups joined by descendant combinators:
// ".a > .b .c > p" is [[.a .b] [.c p]].
type selector [][]compound

// subject returns the rightmost compound: what the styled element itself
// must match.
func (s selector) subject() *compound {
	g := s[len(s)-1]
	return &g[len(g)-1]
}

// match reports whether the last element of els (its ancestors before it)
// matches. Within a group the compounds must sit on consecutive ancestors;
// between groups any number of ancestors may come. Taking, for each group
// from the right, the innermost place where it fits leaves the most room
// for the groups to its left, so no backtracking is needed.
func (s selector) match(els []element) bool {
	top := len(els) - 1
	last := s[len(s)-1]
	if !fitsAt(last, els, top) {
		return false
	}
	top -= len(last)
	for g := len(s) - 2; g >= 0; g-- {
		group := s[g]
		found := false
		for at := top; at-len(group)+1 >= 0; at-- {
			if fitsAt(group, els, at) {
				top, found = at-len(group), true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// fitsAt reports whether the group's last compound matches els[at] and
// each compound before it the element's parent, grandparent and so on.
func fitsAt(group []compound, els []element, at int) bool {
	if at-len(group)+1 < 0 {
		return false
	}
	for i := len(group) - 1; i >= 0; i-- {
		if !group[i].match(&els[at]) {
			return false
		}
		at--
	}
	return true
}

// errUnsupported reports a selector the inliner cannot match: it stays in
// the head for the mail client.
var errUnsupported = errors.New("unsupported selector")

// parseSelector reads the complex selector doc[a:b], already trimmed. It
// returns errUnsupported for a valid selector that the inliner does not
// match (attributes, pseudo-classes and pseudo-elements, sibling
// combinators, namespaces, escapes, template actions), and a positioned
// error for one that is malformed.
func parseSelector(doc string, a, b int) (selector, int, error) {
	if strings.Contains(doc[a:b], "{{") {
		return nil, 0, errUnsupported
	}
	var (
		sel     selector
		group   []compound
		spec    int
		child   bool // a ">" waits for its compound
		joined  bool // the last compound is followed by no combinator yet
		i       = a
		counted [3]int
	)
	for i < b {
		c := doc[i]
		switch {
		case isSpace(c):
			for i < b && isSpace(doc[i]) {
				i++
			}
			joined = false
			continue
		case c == '>':
			if len(group) == 0 || child {
				return nil, 0, errorAt(doc, i, fmt.Errorf("selector %q: unexpected >", doc[a:b]))
			}
			child, joined = true, false
			i++
			continue
		case c == '+' || c == '~' || c == ':' || c == '[' || c == '\\' || c == '|':
			return nil, 0, errUnsupported
		}
		if joined {
			return nil, 0, errorAt(doc, i, fmt.Errorf("selector %q: unexpected %q", doc[a:b], clip(doc[i:b])))
		}
		var comp compound
		start := i
		if c == '*' {
			i++
		} else if n := identEnd(doc, i, b); n > i {
			comp.tag = strings.ToLower(doc[i:n])
			counted[2]++
			i = n
		}
	simple:
		for i < b {
			switch doc[i] {
			case '.', '#':
				n := identEnd(doc, i+1, b)
				if n == i+1 {
					if n < b && doc[n] == '\\' {
						return nil, 0, errUnsupported
					}
					what := "a class name"
					if doc[i] == '#' {
						what = "an id"
					}
					return nil, 0, errorAt(doc, i, fmt.Errorf("selector %q: want %s after %q", doc[a:b], what, doc[i:i+1]))
				}
				if doc[i] == '.' {
					comp.classes = append(comp.classes, doc[i+1:n])
					counted[1]++
				} else {
					if comp.id != "" && comp.id != doc[i+1:n] {
						comp.id = "\x00" // two ids: matches nothing
					} else {
						comp.id = doc[i+1 : n]
					}
					counted[0]++
				}
				i = n
			case ':', '[', '\\', '|':
				return nil, 0, errUnsupported
			default:
				break simple
			}
		}
		if i == start {
			return nil, 0, errorAt(doc, i, fmt.Errorf("selector %q: unexpected %q", doc[a:b], clip(doc[i:b])))
		}
		if child {
			group = append(group, comp)
		} else {
			if len(group) > 0 {
				sel = append(sel, group)
			}
			group = []compound{comp}
		}
		child, joined = false, true
	}
	if child {
		return nil, 0, errorAt(doc, b-1, fmt.Errorf("selector %q ends with >", doc[a:b]))
	}
	if len(group) == 0 {
		return nil, 0, errorAt(doc, a, errors.New("empty selector"))
	}
	sel = append(sel, group)
	for k := range counted {
		spec = spec<<10 | min(counted[k], 1023)
	}
	return sel, spec, nil
}

// identEnd returns the end of the CSS identifier at doc[i:b], or i when
// none starts there. An escape ends it: the caller leaves a selector with
// escapes to the client.
func identEnd(doc string, i, b int) int {
	j := i
	if j < b && doc[j] == '-' {
		j++
		if j < b && doc[j] == '-' {
			j++
		}
	}
	if j >= b || !identStart(doc[j]) {
		if j > i+1 {
			return j // "--" alone is an identifier
		}
		return i
	}
	for j < b && (identStart(doc[j]) || doc[j] == '-' || '0' <= doc[j] && doc[j] <= '9') {
		j++
	}
	return j
}

func identStart(c byte) bool {
	return isLetter(c) || c == '_' || c >= utf8.RuneSelf
}

// clip shortens s for a message.
func clip(s string) string {
	if len(s) > 20 {
		r := []rune(s)
		if len(r) > 20 {
			return string(r[:20]) + "..."
		}
	}
	return s
}
