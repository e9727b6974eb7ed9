package render

// Test hooks into the fast path.

// PersonalizeSlow personalizes n for r with the templates alone, never the
// fast path: the reference the fast path must match.
func (n *Newsletter) PersonalizeSlow(r Recipient, unsubscribeURL string) (*Message, error) {
	return n.personalize(n.dataFor(r, unsubscribeURL))
}

// PersonalizeFast personalizes n for r with the fast path alone; ok is
// false when n has none or it leaves r to the templates.
func (n *Newsletter) PersonalizeFast(r Recipient, unsubscribeURL string) (m *Message, ok bool) {
	if n.fast == nil {
		return nil, false
	}
	d := n.dataFor(r, unsubscribeURL)
	m, err := n.fast.personalize(nil, d, n.subjectIndex(&d.Recipient))
	return m, err == nil
}

// SharedPath reports whether n's fast path was compiled from the
// templates its engine escaped once for every variant.
func (n *Newsletter) SharedPath() bool { return n.shared }

// SharedBodies returns how many template bodies e compiled once for the
// programs of every variant (HTML and text counted apart).
func (e *Engine) SharedBodies() int {
	if e.shared == nil || e.shared.bodies == nil {
		return 0
	}
	n := 0
	e.shared.bodies.m.Range(func(_, body any) bool {
		if body.(*[]step) != nil {
			n++
		}
		return true
	})
	return n
}

// SharesTemplates reports whether e escaped its layouts and blocks once
// for every variant.
func (e *Engine) SharesTemplates() bool { return e.shared != nil }

// HasFastPath reports whether n has a fast path.
func (n *Newsletter) HasFastPath() bool { return n.fast != nil }

// ListsRows reports whether n's fast path can list the block rows of its
// HTML without writing it (AuditInto).
func (n *Newsletter) ListsRows() bool { return n.fast != nil && n.fast.html.rows }

// PrunesRows reports whether n lists the block rows of its HTML with a
// program pruned of what cannot change them (program.pruneRows).
func (n *Newsletter) PrunesRows() bool { return n.fast != nil && n.fast.html.listRows != nil }

// ParseEachVariant makes e parse every layout and block for each variant,
// as it does when their trees cannot be copied.
func (e *Engine) ParseEachVariant() {
	e.html, e.text, e.layoutSlot = nil, nil, false
	e.trees = map[string]blockTrees{}
}

// CopiesLayouts reports whether e parsed its layouts once, for each
// variant to copy with its id.
func (e *Engine) CopiesLayouts() bool { return e.layoutSlot }
