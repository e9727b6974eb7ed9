package inline

import "strings"

// EditAttrs returns src with the values of some attributes rewritten: edit
// is called with the tag name and attribute name (both lower case) and the
// value as written, entities and template actions intact, of every
// attribute with a value outside comments and raw text elements, and
// returns the new value and whether to use it. A new value is written
// with the attribute's own quotes, and must not contain them. Everything
// else is copied byte for byte.
func EditAttrs(src string, edit func(tag, attr, value string) (string, bool)) string {
	var b strings.Builder
	sc := scanner{src: src}
	done := 0
	for {
		t, ok := sc.next()
		if !ok {
			break
		}
		if t.kind != tokStart {
			continue
		}
		for _, a := range sc.attrs {
			if a.valStart < 0 {
				continue
			}
			name := strings.ToLower(src[a.nameStart:a.nameEnd])
			v, ok := edit(t.name, name, src[a.valStart:a.valEnd])
			if !ok || v == src[a.valStart:a.valEnd] {
				continue
			}
			if b.Len() == 0 {
				b.Grow(len(src) + 256)
			}
			b.WriteString(src[done:a.valStart])
			b.WriteString(v)
			done = a.valEnd
		}
	}
	if done == 0 {
		return src
	}
	b.WriteString(src[done:])
	return b.String()
}
