package templates

import (
	"fmt"
	"text/template/parse"
)

// sameForShared are the fields of .Variant that are the same for every
// cluster whose plans are the same (variants.Plan.Share): the variant's
// id, which a shared newsletter takes from the variant it is, and its
// subject and preheader, which the plan holds.
var sameForShared = map[string]bool{"ID": true, "Subject": true, "Preheader": true}

// ClusterReads returns where the set's files read what a variant knows of
// its own cluster: .Variant.Label, .Variant.Interests and the like, or
// .Variant whole (with it, a variable of it, index on it), each as
// "file:line: .Variant.Field", in file order. With none, two clusters
// whose plans are the same read the same newsletter and may share it;
// with any, each cluster's variant is a newsletter of its own.
func (s *Set) ClusterReads() []string {
	var out []string
	check := func(name, src string, firstLine int) {
		trees, err := parse.Parse(name, src, "", "", builtinFuncs())
		if err != nil {
			// Load has reported it; a set that loaded has none.
			out = append(out, fmt.Sprintf("%s: %v", name, err))
			return
		}
		for _, t := range trees {
			walkFields(t.Root, func(n parse.Node, idents []string) {
				for i, id := range idents {
					if id != "Variant" || i+1 < len(idents) && sameForShared[idents[i+1]] {
						continue
					}
					what := ".Variant"
					if i+1 < len(idents) {
						what += "." + idents[i+1]
					}
					loc, _ := t.ErrorContext(n)
					out = append(out, fmt.Sprintf("%s: %s", lineIn(loc, name, firstLine), what))
				}
			})
		}
	}
	for _, f := range append([]File{s.HTML, s.Text}, s.Partials...) {
		if f.Name != "" {
			check(f.Name, f.Source, 1)
		}
	}
	for _, b := range s.Blocks {
		check(b.File, b.Body, b.BodyLine)
		for _, v := range append(append([]string{}, b.Subjects...), b.Preheaders...) {
			check(b.File, v, 0)
		}
	}
	return out
}

// lineIn turns ErrorContext's "name:line:col" into "file:line" with the
// file's own line numbers: firstLine is the line where the parsed source
// starts, 0 for a front matter value (no line of its own).
func lineIn(loc, name string, firstLine int) string {
	var line, col int
	if len(loc) < len(name) || firstLine == 0 {
		return name
	}
	if _, err := fmt.Sscanf(loc[len(name):], ":%d:%d", &line, &col); err != nil {
		return name
	}
	return fmt.Sprintf("%s:%d", name, line+firstLine-1)
}

// walkFields calls f with every field, variable and chain of fields under
// n, and the identifiers it names in order.
func walkFields(n parse.Node, f func(parse.Node, []string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkFields(c, f)
		}
	case *parse.ActionNode:
		walkFields(n.Pipe, f)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, f)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, f)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, f)
	case *parse.TemplateNode:
		walkFields(n.Pipe, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkFields(c, f)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkFields(a, f)
		}
	case *parse.FieldNode:
		f(n, n.Ident)
	case *parse.VariableNode:
		f(n, n.Ident)
	case *parse.ChainNode:
		// (.Variant).Label: the field alone counts, as the whole.
		walkFields(n.Node, f)
		f(n, n.Field)
	}
}

func walkBranch(b *parse.BranchNode, f func(parse.Node, []string)) {
	walkFields(b.Pipe, f)
	walkFields(b.List, f)
	walkFields(b.ElseList, f)
}
