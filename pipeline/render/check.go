package render

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	texttemplate "text/template"
	"text/template/parse"

	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// CheckOptions tunes Check. The zero value is useful.
type CheckOptions struct {
	// Vocabulary is what blocks may target: interest ids, card tiers and
	// relationship types. The zero value accepts any value.
	Vocabulary variants.Vocabulary
}

// Check loads the template set in fsys and checks it as far as can be done
// without cardholder data, so that designers learn of a mistake before a
// run does:
//
//   - what templates.Load checks: front matter, block ids (unique, equal to
//     the file name), template syntax, blocks that target nothing;
//   - what the blocks target, against opts.Vocabulary (Set.Validate);
//   - the planning rules of variants.Build, on a dry-run plan with a
//     cluster for every interest the blocks serve and one that no interest
//     block fits: every variant needs content and a subject;
//   - references: every {{ template "name" }} names a template that exists
//     in the HTML and in the text part, and every field chain, such as
//     .Recipient.FirstName, exists in Data, in every branch, whether or not
//     the sample recipient reaches it;
//   - each block compiled inside the layouts and executed for the sample
//     recipient, which finds what only execution shows, such as an action
//     html/template cannot escape where it stands.
//
// Check returns the set when it loaded, and a templates.Errors sorted by
// file and line when anything is wrong; the set is nil when the files did
// not load, in which case only the loader's problems are reported.
func Check(fsys fs.FS, opts CheckOptions) (*templates.Set, error) {
	set, err := templates.Load(fsys)
	if err != nil {
		var errs templates.Errors
		if errors.As(err, &errs) {
			return nil, sortErrors(errs)
		}
		return nil, err
	}
	c := &checker{set: set, fsys: fsys, seen: map[string]bool{}, bad: map[string]bool{}}
	if err := set.Validate(opts.Vocabulary); err != nil {
		var errs templates.Errors
		if !errors.As(err, &errs) {
			return set, err
		}
		for _, e := range errs {
			c.add(e.File, e.Line, "%v", e.Err)
		}
	}
	c.plan()
	c.references()
	c.images()
	c.execute()
	if len(c.errs) > 0 {
		return set, sortErrors(c.errs)
	}
	return set, nil
}

// Images without alternative text: Markdown's ![](src) and HTML img tags
// with no alt attribute (alt="" is allowed: it marks a decorative image).
var (
	mdImageNoAlt = regexp.MustCompile(`!\[\s*\]\(`)
	htmlImage    = regexp.MustCompile(`(?is)<img\b(?:[^>{]|\{\{.*?\}\})*>`)
	htmlAlt      = regexp.MustCompile(`(?i)\salt\s*=`)
)

// images reports every image without alternative text, in the blocks'
// Markdown, the HTML layout and the HTML partials: many mail clients
// block images until the reader allows them and show the alt text
// instead, and screen readers read it out.
func (c *checker) images() {
	const msg = "image without alt text: mail clients that block images, and screen readers, show nothing in its place"
	imgs := func(file string, first int, src string) {
		for _, loc := range htmlImage.FindAllStringIndex(src, -1) {
			if !htmlAlt.MatchString(src[loc[0]:loc[1]]) {
				c.add(file, first+strings.Count(src[:loc[0]], "\n"), "%s", msg)
			}
		}
	}
	for _, b := range c.set.Blocks {
		for _, loc := range mdImageNoAlt.FindAllStringIndex(b.Body, -1) {
			c.add(b.File, b.BodyLine+strings.Count(b.Body[:loc[0]], "\n"), "%s", msg)
		}
		imgs(b.File, b.BodyLine, b.Body)
	}
	imgs(c.set.HTML.Name, 1, c.set.HTML.Source)
	for _, f := range c.set.Partials {
		if strings.HasSuffix(f.Name, ".html") {
			imgs(f.Name, 1, f.Source)
		}
	}
}

// checker collects the problems of one set.
type checker struct {
	set  *templates.Set
	fsys fs.FS
	errs templates.Errors
	seen map[string]bool // "file\x00line\x00message" of the problems so far
	// bad marks the files with a problem found without executing them, whose
	// execution would only fail again with the same cause.
	bad map[string]bool
}

func (c *checker) add(file string, line int, format string, args ...any) {
	c.addAt(file, line, 0, format, args...)
}

// addAt is add with a column.
func (c *checker) addAt(file string, line, column int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := file + "\x00" + strconv.Itoa(line) + "\x00" + msg
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.bad[file] = true
	c.errs = append(c.errs, &templates.Error{File: file, Line: line, Column: column, Err: errors.New(msg)})
}

func sortErrors(errs templates.Errors) templates.Errors {
	out := slices.Clone(errs)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// frontLine returns the line of a front-matter key in a block file, or the
// line of its id when the key is absent.
func (c *checker) frontLine(b *templates.Block, key string) int {
	src, err := fs.ReadFile(c.fsys, b.File)
	if err != nil {
		return 1
	}
	id := 1
	for i, l := range strings.Split(string(src), "\n") {
		if i+1 >= b.BodyLine {
			break
		}
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case key:
			return i + 1
		case "id":
			id = i + 1
		}
	}
	return id
}

// plan applies the planning rules of variants.Build to a dry-run plan. Each
// dry-run cluster is strongest in one interest the blocks serve; the last
// has no interests, as a cluster that no interest block fits. The blocks'
// own problems are the loader's and Set.Validate's, with their positions.
func (c *checker) plan() {
	meta := c.set.Meta()
	var interests []string
	for _, b := range meta {
		for _, in := range b.Interests {
			if !slices.Contains(interests, in) {
				interests = append(interests, in)
			}
		}
	}
	sort.Strings(interests)
	clusters := make([]variants.Cluster, 0, len(interests)+1)
	for i, in := range interests {
		clusters = append(clusters, variants.Cluster{ID: i, Size: 1, Eligible: 1, Label: in,
			Interests: []variants.Interest{{ID: in, Name: in, Share: 1, Lift: 2}}})
	}
	clusters = append(clusters, variants.Cluster{ID: len(interests), Size: 1, Eligible: 1, Label: "Mixed spending"})
	for i := range clusters {
		clusters[i].Variant = strconv.Itoa(i)
	}
	plan, err := variants.Build(clusters, meta, variants.Options{})
	var verr *variants.ValidationError
	if !errors.As(err, &verr) {
		return
	}
	told := map[string]bool{}
	for _, p := range verr.Problems {
		if told[p.Variant] {
			// A variant without content has no subject either: the first
			// problem is the one to fix.
			continue
		}
		if p.Variant == "" {
			continue
		}
		told[p.Variant] = true
		i, _ := strconv.Atoi(p.Variant)
		who := "a cluster that no interest block fits"
		if i < len(interests) {
			who = "a cluster strongest in " + interests[i]
		}
		lead := c.leadBlock(plan, i)
		if lead == nil {
			c.add(templates.BlocksDir, 0, "the newsletter for %s: %s", who, p.Msg)
			continue
		}
		c.add(lead.File, c.frontLine(lead, "subjects"), "the newsletter for %s, which this block leads: %s", who, p.Msg)
	}
}

// leadBlock returns the first body block of the i-th variant of plan.
func (c *checker) leadBlock(plan variants.Plan, i int) *templates.Block {
	if i < 0 || i >= len(plan.Variants) {
		return nil
	}
	for _, id := range plan.Variants[i].Blocks {
		if b, ok := c.set.Block(id); ok && (b.Position == "" || b.Position == variants.PositionBody) {
			return b
		}
	}
	return nil
}

// dataType is the type every template of a set executes on.
var dataType = reflect.TypeFor[Data]()

// family is the templates that execute together: the HTML part (the HTML
// layout, its partials and the blocks) or the text part.
type family struct {
	part  string                 // "HTML" or "text"
	trees map[string]*parse.Tree // by template name, defined ones included
	// names are the templates that {{ template }} can call: the trees and
	// "content", which the renderer writes.
	names map[string]bool
	// shift is added to the lines of a file's trees: blocks are parsed from
	// their body, which starts below the front matter.
	shift map[string]int
}

// references checks the template calls and field chains of every file.
func (c *checker) references() {
	fams := []*family{c.family("HTML", c.set.HTML, ".html"), c.family("text", c.set.Text, ".txt")}
	for _, f := range fams {
		w := &walker{c: c, fam: f, walked: map[walkKey]bool{}}
		roots := []string{f.rootName()}
		for _, b := range c.set.Blocks {
			roots = append(roots, b.File)
		}
		for _, name := range roots {
			if t := f.trees[name]; t != nil {
				w.template(t, dataType)
			}
		}
		// Templates no one calls, or only a template that is not defined,
		// are checked as tailor executes every template: on Data.
		names := make([]string, 0, len(f.trees))
		for name := range f.trees {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if !w.walkedAny(name) {
				w.template(f.trees[name], dataType)
			}
		}
	}
	// Subjects and preheaders execute on their own, without the set's
	// templates.
	for i := range c.set.Blocks {
		b := &c.set.Blocks[i]
		for _, cand := range []struct {
			key  string
			vals []string
		}{{"subjects", b.Subjects}, {"preheaders", b.Preheaders}} {
			line := c.frontLine(b, cand.key)
			for _, v := range cand.vals {
				trees, err := parseTrees(b.File, v)
				if err != nil {
					c.add(b.File, line, "%s: %v", cand.key, err)
					continue
				}
				f := &family{part: cand.key, trees: trees, names: map[string]bool{}, shift: map[string]int{}}
				w := &walker{c: c, fam: f, walked: map[walkKey]bool{}, fixedLine: line, prefix: cand.key + ": "}
				w.template(trees[b.File], dataType)
			}
		}
	}
}

func (f *family) rootName() string {
	if f.part == "HTML" {
		return templates.LayoutHTML
	}
	return templates.LayoutText
}

// family parses a layout, the partials with its extension and every block.
func (c *checker) family(part string, layout templates.File, ext string) *family {
	f := &family{part: part, trees: map[string]*parse.Tree{}, names: map[string]bool{"content": true}, shift: map[string]int{}}
	type source struct {
		name, text string
		shift      int
	}
	srcs := []source{{layout.Name, layout.Source, 0}}
	for _, p := range c.set.Partials {
		if path.Ext(p.Name) == ext {
			srcs = append(srcs, source{p.Name, p.Source, 0})
		}
	}
	for _, b := range c.set.Blocks {
		srcs = append(srcs, source{b.File, b.Body, b.BodyLine - 1})
	}
	for _, s := range srcs {
		f.shift[s.name] = s.shift
		trees, err := parseTrees(s.name, s.text)
		if err != nil {
			c.add(s.name, 0, "%v", err)
			continue
		}
		names := make([]string, 0, len(trees))
		for name := range trees {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			t := trees[name]
			if old, dup := f.trees[name]; dup && !parse.IsEmptyTree(old.Root) && !parse.IsEmptyTree(t.Root) {
				line := 0
				if name != s.name {
					_, line = c.nodeLine(f, t, t.Root)
				}
				c.add(s.name, line, "template %q is also defined in %s: one would silently replace the other", name, old.ParseName)
				continue
			}
			f.trees[name] = t
			f.names[name] = true
		}
	}
	return f
}

// parseTrees parses src as a template file, leaving functions unchecked:
// the engine's parse checks those with the functions it really has.
func parseTrees(name, src string) (map[string]*parse.Tree, error) {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(src, "", "", trees); err != nil {
		return nil, err
	}
	return trees, nil
}

// nodeLine returns the file and line of a node of tree t.
func (c *checker) nodeLine(f *family, t *parse.Tree, n parse.Node) (string, int) {
	loc, _ := t.ErrorContext(n) // "name:line:column"
	file := t.ParseName
	rest, ok := strings.CutPrefix(loc, file+":")
	if !ok {
		return file, 0
	}
	lineText, _, _ := strings.Cut(rest, ":")
	line, err := strconv.Atoi(lineText)
	if err != nil {
		return file, 0
	}
	return file, line + f.shift[file]
}

// walkKey is one template walked with one type of data.
type walkKey struct {
	name string
	dot  reflect.Type
}

// walker follows the actions of a family's templates with the type of dot
// and of every variable; a nil type is one that cannot be known before
// execution, whose fields are not checked.
type walker struct {
	c      *checker
	fam    *family
	walked map[walkKey]bool
	// fixedLine, when not 0, is the line of every problem (a subject's
	// front-matter key); prefix starts every message.
	fixedLine int
	prefix    string
}

// scope is the data of one point in a template: dot and the variables.
type scope struct {
	dot  reflect.Type
	vars map[string]reflect.Type
}

func (s *scope) child(dot reflect.Type) *scope {
	return &scope{dot: dot, vars: copyVars(s.vars)}
}

func copyVars(m map[string]reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (w *walker) report(t *parse.Tree, n parse.Node, format string, args ...any) {
	file, line := w.c.nodeLine(w.fam, t, n)
	if w.fixedLine != 0 {
		line = w.fixedLine
	}
	w.c.add(file, line, w.prefix+format, args...)
}

// template walks t once for each type of data it is called with.
func (w *walker) template(t *parse.Tree, dot reflect.Type) {
	k := walkKey{t.Name, dot}
	if w.walked[k] {
		return
	}
	w.walked[k] = true
	w.list(t, t.Root, &scope{dot: dot, vars: map[string]reflect.Type{"$": dot}})
}

// walkedAny reports whether the template name was walked with any data.
func (w *walker) walkedAny(name string) bool {
	for k := range w.walked {
		if k.name == name {
			return true
		}
	}
	return false
}

func (w *walker) list(t *parse.Tree, l *parse.ListNode, s *scope) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		w.node(t, n, s)
	}
}

func (w *walker) node(t *parse.Tree, n parse.Node, s *scope) {
	switch n := n.(type) {
	case *parse.ActionNode:
		w.pipe(t, n.Pipe, s, true)
	case *parse.ListNode:
		w.list(t, n, s)
	case *parse.IfNode:
		in := s.child(s.dot)
		w.pipe(t, n.Pipe, in, true)
		w.list(t, n.List, in)
		w.list(t, n.ElseList, in)
	case *parse.WithNode:
		in := s.child(s.dot)
		typ := w.pipe(t, n.Pipe, in, true)
		body := in.child(typ)
		w.list(t, n.List, body)
		w.list(t, n.ElseList, in)
	case *parse.RangeNode:
		in := s.child(s.dot)
		typ := w.pipe(t, n.Pipe, in, false)
		key, elem := rangeTypes(typ)
		switch len(n.Pipe.Decl) {
		case 1:
			in.vars[n.Pipe.Decl[0].Ident[0]] = elem
		case 2:
			in.vars[n.Pipe.Decl[0].Ident[0]] = key
			in.vars[n.Pipe.Decl[1].Ident[0]] = elem
		}
		w.list(t, n.List, in.child(elem))
		w.list(t, n.ElseList, in)
	case *parse.TemplateNode:
		var typ reflect.Type
		if n.Pipe != nil {
			typ = w.pipe(t, n.Pipe, s.child(s.dot), false)
		}
		if !w.fam.names[n.Name] {
			w.report(t, n, "template %q is not defined for the %s part%s", n.Name, w.fam.part, suggest(n.Name, keys(w.fam.names)))
			return
		}
		if called := w.fam.trees[n.Name]; called != nil && n.Pipe != nil {
			w.template(called, typ)
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rangeTypes returns the types of the key and element of a range over typ.
func rangeTypes(typ reflect.Type) (key, elem reflect.Type) {
	if typ == nil {
		return nil, nil
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Slice, reflect.Array:
		return reflect.TypeFor[int](), typ.Elem()
	case reflect.Map:
		return typ.Key(), typ.Elem()
	case reflect.Chan:
		return typ.Elem(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return typ, nil
	}
	return nil, nil
}

// pipe walks a pipeline and returns the type of its value; declare says
// whether its variables take that type here (a range declares its own).
func (w *walker) pipe(t *parse.Tree, p *parse.PipeNode, s *scope, declare bool) reflect.Type {
	if p == nil {
		return nil
	}
	var typ reflect.Type
	for i, cmd := range p.Cmds {
		typ = w.command(t, cmd, s, typ, i > 0)
	}
	if declare {
		for _, v := range p.Decl {
			s.vars[v.Ident[0]] = typ
		}
	}
	return typ
}

// command returns the type of a command's value; prev is the value piped
// into it.
func (w *walker) command(t *parse.Tree, cmd *parse.CommandNode, s *scope, prev reflect.Type, piped bool) reflect.Type {
	if len(cmd.Args) == 0 {
		return nil
	}
	args := make([]reflect.Type, 0, len(cmd.Args))
	for _, a := range cmd.Args[1:] {
		args = append(args, w.arg(t, a, s))
	}
	if fn, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		if piped {
			args = append(args, prev)
		}
		w.checkCall(t, fn, args)
		return funcResult(fn.Ident, args)
	}
	return w.arg(t, cmd.Args[0], s)
}

// checkCall reports a call of one of the engine's functions (Funcs) with
// the wrong number of arguments, or a locale that is not a string.
func (w *walker) checkCall(t *parse.Tree, fn *parse.IdentifierNode, args []reflect.Type) {
	f, ok := Funcs()[fn.Ident]
	if !ok {
		return
	}
	ft := reflect.TypeOf(f)
	want := ft.NumIn()
	switch {
	case ft.IsVariadic() && (len(args) < want-1 || len(args) > want):
		w.report(t, fn, "%s: %d arguments, want %d or %d: %s", fn.Ident, len(args), want-1, want, funcUsage[fn.Ident])
		return
	case !ft.IsVariadic() && len(args) != want:
		w.report(t, fn, "%s: %d arguments, want %d: %s", fn.Ident, len(args), want, funcUsage[fn.Ident])
		return
	}
	if len(args) > 0 && args[0] != nil && args[0].Kind() != reflect.String {
		w.report(t, fn, "%s: the first argument is a locale such as .Recipient.Locale, not a %s", fn.Ident, typeName(args[0]))
	}
}

// funcUsage shows how each of Funcs is called.
var funcUsage = map[string]string{
	"money":  "money LOCALE AMOUNT CURRENCY, such as {{ money .Recipient.Locale \"1234.50\" \"USD\" }}",
	"price":  "price LOCALE AMOUNT CURRENCY, such as {{ price .Campaign.Locale \"500\" .Campaign.Currency }}",
	"number": "number LOCALE VALUE, such as {{ number .Recipient.Locale 12480 }}",
	"date":   "date LOCALE DATE [long|short], such as {{ date .Recipient.Locale \"2026-10-31\" \"long\" }}",
}

// arg returns the type of one operand.
func (w *walker) arg(t *parse.Tree, n parse.Node, s *scope) reflect.Type {
	switch n := n.(type) {
	case *parse.DotNode:
		return s.dot
	case *parse.FieldNode:
		return w.fields(t, n, s.dot, n.Ident, "")
	case *parse.VariableNode:
		base, ok := s.vars[n.Ident[0]]
		if !ok {
			return nil
		}
		return w.fields(t, n, base, n.Ident[1:], n.Ident[0])
	case *parse.ChainNode:
		return w.fields(t, n, w.arg(t, n.Node, s), n.Field, "("+n.Node.String()+")")
	case *parse.PipeNode:
		return w.pipe(t, n, s.child(s.dot), false)
	case *parse.StringNode:
		return reflect.TypeFor[string]()
	case *parse.BoolNode:
		return reflect.TypeFor[bool]()
	case *parse.NumberNode:
		switch {
		case n.IsInt:
			return reflect.TypeFor[int]()
		case n.IsFloat:
			return reflect.TypeFor[float64]()
		}
	}
	return nil
}

// fields follows a chain of field names from base, reporting the first
// that does not exist.
func (w *walker) fields(t *parse.Tree, n parse.Node, base reflect.Type, idents []string, start string) reflect.Type {
	typ := base
	chain := start
	for _, id := range idents {
		if typ == nil {
			return nil
		}
		next, err := fieldOf(typ, id)
		chain += "." + id
		if err != nil {
			w.report(t, n, "%s: %v", chain, err)
			return nil
		}
		typ = next
	}
	return typ
}

// fieldOf returns the type of field or method name of typ, nil when it is
// only known at execution.
func fieldOf(typ reflect.Type, name string) (reflect.Type, error) {
	if typ.Kind() == reflect.Interface {
		return nil, nil
	}
	ptr := typ
	if ptr.Kind() != reflect.Pointer {
		ptr = reflect.PointerTo(typ)
	}
	if m, ok := ptr.MethodByName(name); ok && m.IsExported() {
		if m.Type.NumOut() == 0 {
			return nil, nil
		}
		return m.Type.Out(0), nil
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Struct:
		if f, ok := typ.FieldByName(name); ok && f.IsExported() {
			return f.Type, nil
		}
		var known []string
		for f := range typ.Fields() {
			if f.IsExported() {
				known = append(known, f.Name)
			}
		}
		return nil, fmt.Errorf("%s has no field %s%s", typeName(typ), name, suggest(name, known))
	case reflect.Map:
		if typ.Key().Kind() == reflect.String {
			return typ.Elem(), nil
		}
	case reflect.Interface:
		return nil, nil
	}
	return nil, fmt.Errorf("a %s has no fields", typeName(typ))
}

func typeName(typ reflect.Type) string {
	if typ.Name() != "" {
		return typ.Name()
	}
	return typ.String()
}

// funcResult returns the type of a call of a template function, nil when
// it depends on the values.
func funcResult(name string, args []reflect.Type) reflect.Type {
	switch name {
	case "index":
		if len(args) == 0 || args[0] == nil {
			return nil
		}
		typ := args[0]
		for range args[1:] {
			for typ.Kind() == reflect.Pointer {
				typ = typ.Elem()
			}
			switch typ.Kind() {
			case reflect.Map, reflect.Slice, reflect.Array:
				typ = typ.Elem()
			case reflect.String:
				typ = reflect.TypeFor[byte]()
			default:
				return nil
			}
		}
		return typ
	case "slice":
		if len(args) > 0 {
			return args[0]
		}
	case "len":
		return reflect.TypeFor[int]()
	case "print", "printf", "println", "html", "js", "urlquery", "money", "price", "number", "date":
		return reflect.TypeFor[string]()
	case "eq", "ne", "lt", "le", "gt", "ge", "not":
		return reflect.TypeFor[bool]()
	case "and", "or":
		if len(args) > 0 && !slices.Contains(args, nil) && !slices.ContainsFunc(args, func(a reflect.Type) bool { return a != args[0] }) {
			return args[0]
		}
	}
	return nil
}

// suggest returns ` (did you mean X?)` for the known name closest to name
// (variants.Closest), or "".
func suggest(name string, known []string) string {
	if best := variants.Closest(name, known); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

// Sample settings of the check's engine.
var (
	checkCampaign = Campaign{Name: "check", Month: "2026-10", MonthName: MonthName("2026-10"), Locale: DefaultLocale, Currency: DefaultCurrency}
	checkSender   = Sender{Name: "Sender", From: "news@example.com", PostalAddress: "1 Main Street, Springfield"}
)

// execute compiles every block inside the layouts and runs it for the
// sample recipient, and runs every subject and preheader, skipping the
// files already known to be wrong.
func (c *checker) execute() {
	for _, f := range append([]templates.File{c.set.HTML, c.set.Text}, c.set.Partials...) {
		if c.bad[f.Name] {
			// Every compile would fail on the layouts.
			return
		}
	}
	e, err := New(c.set, templates.NewMarkdown(), Config{Campaign: checkCampaign, Sender: checkSender, Links: Links{UTM: true}})
	if err != nil {
		var se *StyleError
		if errors.As(err, &se) {
			c.addAt(se.File, se.Err.Line, se.Err.Column, "css: %v", se.Err.Err)
			return
		}
		c.locate(err, templates.LayoutHTML, 0)
		return
	}
	d := Data{Recipient: SampleRecipient(), Sender: checkSender, Campaign: checkCampaign, UnsubscribeURL: sampleUnsubscribe,
		Variant: VariantData{ID: "v0001", Label: "Dining + Travel", Subject: "Subject", Preheader: "Preheader",
			InterestNames: []string{"Dining", "Travel"}, Tier: "gold", Relationship: "intermediate",
			Interests: []variants.Interest{{ID: "dining", Name: "Dining", Share: 0.4, Lift: 2}, {ID: "travel", Name: "Travel", Share: 0.2, Lift: 1.5}}}}
	for i := range c.set.Blocks {
		b := &c.set.Blocks[i]
		if c.bad[b.File] {
			continue
		}
		v := variants.Variant{ID: "v0001", Label: d.Variant.Label, Blocks: []string{b.ID}, Subject: "Subject", Preheader: "Preheader",
			Interests: d.Variant.Interests, Tier: d.Variant.Tier, Relationship: d.Variant.Relationship}
		if _, err := e.Compile(v); err != nil {
			c.locate(err, b.File, b.BodyLine)
			continue
		}
		for _, cand := range []struct {
			key  string
			vals []string
		}{{"subjects", b.Subjects}, {"preheaders", b.Preheaders}} {
			for _, s := range cand.vals {
				t, err := texttemplate.New(cand.key).Funcs(Funcs()).Option("missingkey=error").Parse(s)
				if err == nil {
					err = t.Execute(io.Discard, &d)
				}
				if err != nil {
					c.add(b.File, c.frontLine(b, cand.key), "%s: %q: for the sample recipient: %v", cand.key, s, unprefix(err))
				}
			}
		}
	}
}

// errPos finds the template, line and message in a template error:
// "template: NAME:LINE:COL: message" or "html/template:NAME:LINE:COL: ...".
var errPos = regexp.MustCompile(`(?:html/)?template: ?([^:\s]+):(\d+)(?::\d+)?: (.*)`)

// locate records an error of the engine at the file and line it names.
// The engine places a failed execution of a block at the line of its file
// (an error that names no recipient); other errors in blocks, of parsing,
// escaping or executing the compiled newsletter, carry lines of the HTML or
// text made from the Markdown, not of the file, and are placed where the
// block's body starts.
func (c *checker) locate(err error, file string, line int) {
	msg := err.Error()
	var herr *htmltemplate.Error
	escaping := errors.As(err, &herr)
	if escaping {
		msg = herr.Error()
	}
	m := errPos.FindStringSubmatch(msg)
	if m == nil {
		rest := strings.TrimPrefix(msg, "render: ")
		for _, f := range c.set.Files() {
			if after, ok := strings.CutPrefix(rest, f.Name+": "); ok {
				c.add(f.Name, 0, "%s", after)
				return
			}
		}
		c.add(file, line, "%s", rest)
		return
	}
	name, text := m[1], m[3]
	n, _ := strconv.Atoi(m[2])
	if b := c.blockOfFile(name); b != nil {
		if !escaping && !strings.Contains(msg, ": recipient ") && strings.Contains(text, "executing ") {
			c.add(name, n, "%s", text)
			return
		}
		c.add(name, b.BodyLine, "in the HTML or text made from the Markdown: %s", text)
		return
	}
	if c.isFile(name) {
		c.add(name, n, "%s", text)
		return
	}
	c.add(file, line, "%s", text)
}

func (c *checker) blockOfFile(name string) *templates.Block {
	for i := range c.set.Blocks {
		if c.set.Blocks[i].File == name {
			return &c.set.Blocks[i]
		}
	}
	return nil
}

func (c *checker) isFile(name string) bool {
	for _, f := range c.set.Files() {
		if f.Name == name {
			return true
		}
	}
	return false
}

// unprefix drops the "template: NAME:" prefix of an error of a subject,
// whose position is its front-matter key.
func unprefix(err error) string {
	msg := err.Error()
	if m := errPos.FindStringSubmatch(msg); m != nil {
		return m[3]
	}
	return msg
}
