package profile

import (
	"io"
	"maps"
	"sort"
	"strings"
)

// WithOverrides returns a copy of t in which the codes listed by an override
// table map to the interests it names: a CSV with columns mcc and interest,
// optionally description, such as a campaign's own corrections of the
// built-in table. Codes not listed keep their interest. file names the
// table in errors.
func (t *Taxonomy) WithOverrides(file string, r io.Reader) (*Taxonomy, error) {
	c := t.clone()
	tr, err := newTaxonomyReader(file, r, []string{"mcc", "interest"}, []string{"description"})
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	for {
		row, err := tr.next()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		code, id, desc := tr.field(row, 0), tr.field(row, 1), tr.field(row, 2)
		n, ok := codeNumber(code)
		if !ok {
			return nil, tr.errorf(0, "mcc %q: want up to 4 digits", code)
		}
		if seen[n] {
			return nil, tr.errorf(0, "mcc %q: listed twice", code)
		}
		seen[n] = true
		i, ok := c.ids[id]
		if !ok {
			return nil, tr.errorf(1, "interest %q: not in the taxonomy (interests: %s)", id, strings.Join(c.idList(), ", "))
		}
		c.codes[n] = int16(i + 1)
		if desc != "" {
			c.descs[n] = desc
		}
	}
}

// WithCategories returns a copy of t that maps an input's own spend
// categories through a table: a CSV with columns category and interest.
// Category names match case-insensitively, with spaces, underscores, dashes
// and "&"/"and" folded. file names the table in errors.
func (t *Taxonomy) WithCategories(file string, r io.Reader) (*Taxonomy, error) {
	c := t.clone()
	tr, err := newTaxonomyReader(file, r, []string{"category", "interest"}, nil)
	if err != nil {
		return nil, err
	}
	c.categories = map[string]int{}
	for {
		row, err := tr.next()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		name, id := tr.field(row, 0), tr.field(row, 1)
		key := categoryKey(name)
		if key == "" {
			return nil, tr.errorf(0, "empty category")
		}
		if _, dup := c.categories[key]; dup {
			return nil, tr.errorf(0, "category %q: listed twice", name)
		}
		i, ok := c.ids[id]
		if !ok {
			return nil, tr.errorf(1, "interest %q: not in the taxonomy (interests: %s)", id, strings.Join(c.idList(), ", "))
		}
		c.categories[key] = i
	}
}

// Category maps a spend category of an input's own to an interest: through
// the table given to WithCategories, else when the name is an interest's id
// or name ("Dining", "home_garden", "Home & garden"). ok is false when
// unknown, and the index is then the catch-all "other".
func (t *Taxonomy) Category(name string) (int, bool) {
	key := categoryKey(name)
	if i, ok := t.categories[key]; ok {
		return i, true
	}
	for i, in := range t.interests {
		if in.ID == otherID {
			continue
		}
		if key == categoryKey(in.ID) || key == categoryKey(in.Name) {
			return i, true
		}
	}
	return t.Other(), false
}

// categoryKey folds a category name for matching.
func categoryKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "&", " and ")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch r {
		case ' ', '_', '-', '/', '.', ',':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (t *Taxonomy) clone() *Taxonomy {
	c := *t
	c.ids = maps.Clone(t.ids)
	c.descs = maps.Clone(t.descs)
	c.categories = maps.Clone(t.categories)
	c.interests = append([]Interest(nil), t.interests...)
	return &c
}

// idList lists the interest ids in order, for messages.
func (t *Taxonomy) idList() []string {
	out := make([]string, len(t.interests))
	for i, in := range t.interests {
		out[i] = in.ID
	}
	return out
}

// sortedCategories lists the category table, for the hash.
func (t *Taxonomy) sortedCategories() []string {
	keys := make([]string, 0, len(t.categories))
	for k := range t.categories {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
