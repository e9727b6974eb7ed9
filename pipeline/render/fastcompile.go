package render

import (
	"bytes"
	"reflect"
	"sync"
	"text/template/parse"
)

// The compiler of the fast path (fast.go): it turns an escaped template
// tree into a program, resolving field indexes and functions once, and
// refuses with errUnsupported what the program does not cover.

// compiler compiles the templates of one family (the HTML part, the text
// part, a subject).
type compiler struct {
	mode   outMode
	lookup func(name string) *parse.Tree
	funcs  map[string]reflect.Value
	fixed  fixed
	done   map[calleeKey]*[]step
	active map[calleeKey]bool

	// bodies, when not nil, are the bodies of the templates called that
	// every variant of the engine shares (bodyCache): a variant's
	// compiler copies them with its id (withID), a compiler of shared
	// bodies (shareable) compiles them.
	bodies *bodyCache
	// forms compiles the shared bodies this compiler lacks; clones are
	// its copies of them, by shared body.
	forms  *compiler
	clones map[*[]step]*[]step
	// perVariant: a body compiled since it was last cleared folded a
	// value of fixed data that differs from one variant to the next;
	// perVariantOf says it of each body in done.
	perVariant   bool
	perVariantOf map[calleeKey]bool
}

// fixed is the part of the data that is the same for every execution of a
// program: a field chain from the data that fields accepts is evaluated
// once, when the program is compiled, and so is an action that writes
// only such values.
type fixed struct {
	// data is the data as it will be at every execution; the zero Value
	// when nothing is fixed.
	data reflect.Value
	// fields reports whether the chain of field names from data is fixed.
	fields func(chain []string) bool
	// variant, when not nil, replaces variantSlot in the static text:
	// the variant's id, query-escaped, in the links of templates shared
	// by every variant (sharedTemplates).
	variant []byte
	// slots: variantSlot in the static text becomes a slotStep, for the
	// bodies compiled once for every variant (bodyCache), which each
	// variant's compiler copies with its id.
	slots bool
	// perVariant reports whether a chain of fields that fields accepts
	// is the variant's: it differs from one variant of the engine to
	// the next, and a body that folds it is not shared.
	perVariant func(chain []string) bool
}

type calleeKey struct {
	name string
	dot  reflect.Type
}

// svar is a variable at compile time: its name and static type.
type svar struct {
	name string
	typ  reflect.Type
}

// compileProgram compiles the template root executed on a dot of type
// dot; lookup finds the templates it calls. bodies, when not nil, are the
// bodies of those templates that every variant of the engine shares.
func compileProgram(mode outMode, root *parse.Tree, dot reflect.Type, lookup func(string) *parse.Tree, funcs map[string]any, fx fixed, bodies *bodyCache) (*program, error) {
	c := &compiler{mode: mode, lookup: lookup, funcs: map[string]reflect.Value{}, fixed: fx, done: map[calleeKey]*[]step{}, active: map[calleeKey]bool{}, bodies: bodies}
	for name, fn := range funcs {
		c.funcs[name] = reflect.ValueOf(fn)
	}
	if root == nil || root.Root == nil {
		return nil, errUnsupported
	}
	vars := []svar{{"$", dot}}
	steps, err := c.list(root.Root, dot, &vars)
	if err != nil {
		return nil, err
	}
	return &program{steps: steps}, nil
}

// list compiles a list of nodes, merging adjacent text.
func (c *compiler) list(l *parse.ListNode, dot reflect.Type, vars *[]svar) ([]step, error) {
	var out []step
	if l == nil {
		return out, nil
	}
	// text is the adjacent text, written as one step: a lone piece is
	// the step's own (text nodes and fixed actions are never written
	// to), and pieces merged are copied into a slice of text's own.
	var text []byte
	owned := false
	add := func(st step) {
		if t, ok := st.(textStep); ok {
			switch {
			case text == nil:
				text = t
			case !owned:
				text = append(append(make([]byte, 0, 2*(len(text)+len(t))), text...), t...)
				owned = true
			default:
				text = append(text, t...)
			}
			return
		}
		if len(text) > 0 {
			out = append(out, textStep(text))
		}
		text, owned = nil, false
		out = append(out, st)
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			text := n.Text
			if c.fixed.slots {
				// Each piece between two ids, with a slotStep between.
				for {
					before, after, found := bytes.Cut(text, []byte(variantSlot))
					if len(before) > 0 {
						add(textStep(before))
					}
					if !found {
						break
					}
					add(slotStep{})
					text = after
				}
				continue
			}
			if c.fixed.variant != nil && bytes.Contains(text, []byte(variantSlot)) {
				text = bytes.ReplaceAll(text, []byte(variantSlot), c.fixed.variant)
			}
			if len(text) > 0 {
				add(textStep(text))
			}
		case *parse.CommentNode:
		case *parse.ActionNode:
			st, err := c.action(n, dot, vars)
			if err != nil {
				return nil, err
			}
			add(st)
		case *parse.IfNode:
			st, err := c.branch(&n.BranchNode, false, dot, vars)
			if err != nil {
				return nil, err
			}
			add(st)
		case *parse.WithNode:
			st, err := c.branch(&n.BranchNode, true, dot, vars)
			if err != nil {
				return nil, err
			}
			add(st)
		case *parse.RangeNode:
			st, err := c.rangeNode(n, dot, vars)
			if err != nil {
				return nil, err
			}
			add(st)
		case *parse.TemplateNode:
			st, err := c.call(n, dot, vars)
			if err != nil {
				return nil, err
			}
			add(st)
		case *parse.ListNode:
			steps, err := c.list(n, dot, vars)
			if err != nil {
				return nil, err
			}
			for _, st := range steps {
				add(st)
			}
		default:
			return nil, errUnsupported
		}
	}
	if len(text) > 0 {
		out = append(out, textStep(text))
	}
	return out, nil
}

// declNames returns the names a pipeline declares.
func declNames(p *parse.PipeNode) []string {
	names := make([]string, len(p.Decl))
	for i, v := range p.Decl {
		if len(v.Ident) != 1 {
			return nil
		}
		names[i] = v.Ident[0]
	}
	return names
}

// bind records the static types of a pipeline's variables.
func bind(vars *[]svar, p *parse.PipeNode, typ reflect.Type) error {
	for _, v := range p.Decl {
		name := v.Ident[0]
		if p.IsAssign {
			found := false
			for i := len(*vars) - 1; i >= 0; i-- {
				if (*vars)[i].name == name {
					if (*vars)[i].typ != typ {
						return errUnsupported // a variable that changes type
					}
					found = true
					break
				}
			}
			if !found {
				return errUnsupported
			}
			continue
		}
		*vars = append(*vars, svar{name, typ})
	}
	return nil
}

func (c *compiler) action(n *parse.ActionNode, dot reflect.Type, vars *[]svar) (step, error) {
	p := n.Pipe
	if len(p.Decl) > 0 {
		value, typ, err := c.pipeline(p.Cmds, dot, vars)
		if err != nil {
			return nil, err
		}
		if err := bind(vars, p, typ); err != nil {
			return nil, err
		}
		return &declStep{value: value, names: declNames(p), assign: p.IsAssign}, nil
	}
	cmds := p.Cmds
	a := &actionStep{mode: c.mode}
	last := "" // the last escaper
	switch c.mode {
	case outHTML:
		// The escapers html/template appended, in order.
		i := len(cmds)
		for i > 0 {
			name, ok := identOnly(cmds[i-1])
			if !ok || len(name) < 6 || name[0] != '_' {
				break
			}
			i--
		}
		for _, cmd := range cmds[i:] {
			name, _ := identOnly(cmd)
			e, ok := escapers[name]
			if !ok {
				return nil, errUnsupported
			}
			a.escs = append(a.escs, e)
			last = name
		}
		if len(a.escs) == 0 {
			return nil, errUnsupported
		}
		cmds = cmds[:i]
	case outText:
		if name, ok := identOnly(cmds[len(cmds)-1]); ok && name == textFuncName {
			a.clean = true
			cmds = cmds[:len(cmds)-1]
		}
	}
	if len(cmds) == 0 {
		return nil, errUnsupported
	}
	value, typ, err := c.pipeline(cmds, dot, vars)
	if err != nil {
		return nil, err
	}
	a.value = value
	if c.mode == outHTML {
		a.quoteless = quotelessAction(last, len(a.escs), typ)
		a.sure = a.quoteless && sureExpr(value) && typ == stringType
	}
	if _, ok := value.(constExpr); ok {
		// A constant writes the same text every time: write it now.
		s := &state{}
		if err := a.run(s, reflect.Value{}); err == nil {
			return textStep(s.buf), nil
		}
	}
	return a, nil
}

// quotelessAction reports whether an action whose value has the static
// type typ, escaped by n escapers the last of which is named last, writes
// no quote whatever the value: every escaper but the URL filter replaces
// quotes (htmlReplacer's tables, processURL's %22), and the HTML escaper
// passes HTML content as it is only as the first of them, for a value
// that may be of html/template's type HTML.
func quotelessAction(last string, n int, typ reflect.Type) bool {
	switch last {
	case "_html_template_attrescaper", "_html_template_rcdataescaper", "_html_template_nospaceescaper",
		"_html_template_urlnormalizer", "_html_template_urlescaper":
		return true
	case "_html_template_htmlescaper":
		return n > 1 || typ != nil && typ.Kind() != reflect.Interface && contentTypes[typ] != contentHTML
	}
	return false
}

// sureExpr reports whether x cannot fail: dot, a variable (the compiler
// resolves every variable in scope), or a chain of struct fields from one
// of them, through no map and no pointer but the run's data.
func sureExpr(x expr) bool {
	switch x := x.(type) {
	case dotExpr, varExpr:
		return true
	case *fieldExpr:
		for i, st := range x.steps {
			if st.derefs > 0 && !(i == 0 && x.fromData) || st.key.IsValid() {
				return false
			}
		}
		return sureExpr(x.recv)
	}
	return false
}

// identOnly returns the function name of a command that is only a
// function name.
func identOnly(cmd *parse.CommandNode) (string, bool) {
	if len(cmd.Args) != 1 {
		return "", false
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		return "", false
	}
	return id.Ident, true
}

func (c *compiler) branch(n *parse.BranchNode, with bool, dot reflect.Type, vars *[]svar) (step, error) {
	mark := len(*vars)
	defer func() { *vars = (*vars)[:mark] }()
	cond, typ, err := c.pipeline(n.Pipe.Cmds, dot, vars)
	if err != nil {
		return nil, err
	}
	if err := bind(vars, n.Pipe, typ); err != nil {
		return nil, err
	}
	st := &ifStep{cond: cond, names: declNames(n.Pipe), assign: n.Pipe.IsAssign, with: with}
	thenDot := dot
	if with {
		if typ == nil {
			return nil, errUnsupported
		}
		thenDot = typ
	}
	if st.then, err = c.list(n.List, thenDot, vars); err != nil {
		return nil, err
	}
	if n.ElseList != nil {
		st.hasElse = true
		if st.els, err = c.list(n.ElseList, dot, vars); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (c *compiler) rangeNode(n *parse.RangeNode, dot reflect.Type, vars *[]svar) (step, error) {
	mark := len(*vars)
	defer func() { *vars = (*vars)[:mark] }()
	over, typ, err := c.pipeline(n.Pipe.Cmds, dot, vars)
	if err != nil {
		return nil, err
	}
	if typ == nil || typ.Kind() != reflect.Slice && typ.Kind() != reflect.Array {
		return nil, errUnsupported
	}
	if n.Pipe.IsAssign {
		// Assigned range variables take the index and element types.
		return nil, errUnsupported
	}
	for _, v := range n.Pipe.Decl {
		*vars = append(*vars, svar{v.Ident[0], typ})
	}
	switch len(n.Pipe.Decl) {
	case 1:
		(*vars)[len(*vars)-1].typ = typ.Elem()
	case 2:
		(*vars)[len(*vars)-1].typ = typ.Elem()
		(*vars)[len(*vars)-2].typ = intType
	}
	st := &rangeStep{over: over, names: declNames(n.Pipe)}
	if st.body, err = c.list(n.List, typ.Elem(), vars); err != nil {
		return nil, err
	}
	if n.ElseList != nil {
		// The else branch sees the variables holding the whole value.
		for i := mark; i < len(*vars); i++ {
			(*vars)[i].typ = typ
		}
		st.hasElse = true
		if st.els, err = c.list(n.ElseList, dot, vars); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (c *compiler) call(n *parse.TemplateNode, dot reflect.Type, vars *[]svar) (step, error) {
	st := &callStep{}
	var typ reflect.Type
	if n.Pipe != nil {
		if len(n.Pipe.Decl) > 0 {
			return nil, errUnsupported
		}
		var err error
		if st.arg, typ, err = c.pipeline(n.Pipe.Cmds, dot, vars); err != nil {
			return nil, err
		}
	}
	key := calleeKey{n.Name, typ}
	body, err := c.body(key)
	if err != nil {
		return nil, err
	}
	st.body = body
	return st, nil
}

// body returns the steps of the template key.name executed on a dot of
// type key.dot: compiled once per program, and, for a variant compiled
// from the engine's shared templates, copied from the body every variant
// shares when there is one.
func (c *compiler) body(key calleeKey) (*[]step, error) {
	if body, ok := c.done[key]; ok {
		c.perVariant = c.perVariant || c.perVariantOf[key]
		return body, nil
	}
	if c.bodies != nil && !c.fixed.slots {
		if shared := c.shareable(key); shared != nil {
			body := c.withID(shared)
			c.done[key] = body
			return body, nil
		}
	}
	if c.bodies != nil && c.fixed.slots {
		if shared, ok := c.bodies.load(c.mode, key); ok && shared != nil {
			c.done[key] = shared
			return shared, nil
		}
	}
	if c.active[key] {
		return nil, errUnsupported // recursion
	}
	t := c.lookup(key.name)
	if t == nil || t.Root == nil {
		return nil, errUnsupported
	}
	c.active[key] = true
	outer := c.perVariant
	c.perVariant = false
	inner := []svar{{"$", key.dot}}
	steps, err := c.list(t.Root, key.dot, &inner)
	delete(c.active, key)
	own := c.perVariant
	c.perVariant = outer || own
	if err != nil {
		if c.fixed.slots {
			c.bodies.store(c.mode, key, nil)
		}
		return nil, err
	}
	body := &steps
	if c.fixed.slots {
		// A body that folds a value of the variant's is this variant's
		// alone: variants compile it on their own.
		if own {
			c.bodies.store(c.mode, key, nil)
		} else if first := c.bodies.store(c.mode, key, body); first != nil {
			body = first
		}
	}
	if c.perVariantOf == nil {
		c.perVariantOf = map[calleeKey]bool{}
	}
	c.perVariantOf[key] = own
	c.done[key] = body
	return body, nil
}

// shareable returns the shared body of the template key, compiling it
// (and the templates it calls) the first time any variant of the engine
// calls it; nil when the variants cannot share it: it folds a value of
// the variant's, or calls "content", or does not compile.
func (c *compiler) shareable(key calleeKey) *[]step {
	if key.name == "content" {
		return nil
	}
	if body, ok := c.bodies.load(c.mode, key); ok {
		return body
	}
	if c.forms == nil {
		lookup := c.lookup
		fx := c.fixed
		fx.variant, fx.slots = nil, true
		c.forms = &compiler{mode: c.mode, funcs: c.funcs, fixed: fx, done: map[calleeKey]*[]step{}, active: map[calleeKey]bool{},
			bodies: c.bodies, lookup: func(name string) *parse.Tree {
				if name == "content" {
					return nil // each variant's own
				}
				return lookup(name)
			}}
	}
	if _, err := c.forms.body(key); err != nil {
		return nil
	}
	body, _ := c.bodies.load(c.mode, key)
	return body
}

// withID returns the variant's copy of a shared body: its own step lists
// (which markRows and mapText change), each slotStep replaced by the
// variant's id and merged with the static text around it, as list
// merges the text of a template whose links hold the id; the other steps
// are the shared body's, which nothing changes once compiled.
func (c *compiler) withID(shared *[]step) *[]step {
	if body, ok := c.clones[shared]; ok {
		return body
	}
	if c.clones == nil {
		c.clones = map[*[]step]*[]step{}
	}
	body := new([]step)
	c.clones[shared] = body
	*body = c.cloneSteps(*shared)
	return body
}

func (c *compiler) cloneSteps(steps []step) []step {
	if steps == nil {
		return nil
	}
	out := make([]step, 0, len(steps))
	// text is the static text since the last other step: one piece
	// (shared, never written to), or pieces and ids (copied).
	var text []byte
	owned := false
	addText := func(t []byte) {
		switch {
		case text == nil:
			text = t
		case !owned:
			text = append(append(make([]byte, 0, len(text)+len(t)+len(c.fixed.variant)), text...), t...)
			owned = true
		default:
			text = append(text, t...)
		}
	}
	for _, st := range steps {
		switch st := st.(type) {
		case textStep:
			addText(st)
			continue
		case slotStep:
			addText(c.fixed.variant)
			continue
		}
		if len(text) > 0 {
			out = append(out, textStep(text))
		}
		text, owned = nil, false
		switch st := st.(type) {
		case *ifStep:
			x := *st
			x.then, x.els = c.cloneSteps(st.then), c.cloneSteps(st.els)
			out = append(out, &x)
		case *rangeStep:
			x := *st
			x.body, x.els = c.cloneSteps(st.body), c.cloneSteps(st.els)
			out = append(out, &x)
		case *callStep:
			x := *st
			x.body = c.withID(st.body)
			out = append(out, &x)
		default:
			out = append(out, st)
		}
	}
	if len(text) > 0 {
		out = append(out, textStep(text))
	}
	return out
}

// bodyCache holds the bodies of the templates that every variant of an
// engine calls the same: compiled once, with a slotStep where the links
// hold the variant's id. Each variant's programs use copies (withID).
type bodyCache struct {
	m sync.Map // bodyKey: *[]step, nil for a body not shared
}

type bodyKey struct {
	mode outMode
	calleeKey
}

// load returns the shared body of key for programs of mode; ok is false
// when none was compiled yet, body nil when the variants cannot share it.
func (b *bodyCache) load(mode outMode, key calleeKey) (body *[]step, ok bool) {
	v, ok := b.m.Load(bodyKey{mode, key})
	if !ok {
		return nil, false
	}
	return v.(*[]step), true
}

// store records body as key's, unless another compiler stored one first,
// and returns the one recorded.
func (b *bodyCache) store(mode outMode, key calleeKey, body *[]step) *[]step {
	v, _ := b.m.LoadOrStore(bodyKey{mode, key}, body)
	return v.(*[]step)
}

// pipeline compiles commands, each piping its value into the next.
func (c *compiler) pipeline(cmds []*parse.CommandNode, dot reflect.Type, vars *[]svar) (expr, reflect.Type, error) {
	var value expr
	var typ reflect.Type
	for _, cmd := range cmds {
		var err error
		value, typ, err = c.command(cmd, dot, vars, value, typ)
		if err != nil {
			return nil, nil, err
		}
		if typ != nil && typ.Kind() == reflect.Interface {
			return nil, nil, errUnsupported
		}
	}
	if value == nil {
		return nil, nil, errUnsupported
	}
	return value, typ, nil
}

// command compiles one command; final is the value piped into it.
func (c *compiler) command(cmd *parse.CommandNode, dot reflect.Type, vars *[]svar, final expr, finalType reflect.Type) (expr, reflect.Type, error) {
	if len(cmd.Args) == 0 {
		return nil, nil, errUnsupported
	}
	if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		return c.function(id.Ident, cmd.Args[1:], dot, vars, final, finalType)
	}
	if len(cmd.Args) > 1 || final != nil {
		return nil, nil, errUnsupported // arguments to a value
	}
	return c.operand(cmd.Args[0], dot, vars)
}

// operand compiles a value that is not a function call.
func (c *compiler) operand(n parse.Node, dot reflect.Type, vars *[]svar) (expr, reflect.Type, error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return dotExpr{}, dot, nil
	case *parse.FieldNode:
		return c.fields(dotExpr{}, dot, n.Ident)
	case *parse.VariableNode:
		var typ reflect.Type
		found := false
		for i := len(*vars) - 1; i >= 0; i-- {
			if (*vars)[i].name == n.Ident[0] {
				typ, found = (*vars)[i].typ, true
				break
			}
		}
		if !found {
			return nil, nil, errUnsupported
		}
		if len(n.Ident) == 1 {
			return varExpr{n.Ident[0]}, typ, nil
		}
		return c.fields(varExpr{n.Ident[0]}, typ, n.Ident[1:])
	case *parse.PipeNode:
		if len(n.Decl) > 0 {
			return nil, nil, errUnsupported
		}
		return c.pipeline(n.Cmds, dot, vars)
	case *parse.StringNode:
		return constExpr{reflect.ValueOf(n.Text)}, stringType, nil
	case *parse.BoolNode:
		return constExpr{reflect.ValueOf(n.True)}, boolType, nil
	case *parse.NumberNode:
		v, err := idealConstant(n)
		if err != nil {
			return nil, nil, err
		}
		return constExpr{v}, v.Type(), nil
	}
	return nil, nil, errUnsupported
}

// idealConstant is the value text/template gives a number constant where
// any type will do.
func idealConstant(n *parse.NumberNode) (reflect.Value, error) {
	switch {
	case n.IsComplex:
		return reflect.Value{}, errUnsupported
	case n.IsFloat && !isHexInt(n.Text) && !isRuneInt(n.Text) && containsAny(n.Text, ".eEpP"):
		return reflect.ValueOf(n.Float64), nil
	case n.IsInt:
		i := int(n.Int64)
		if int64(i) != n.Int64 {
			return reflect.Value{}, errUnsupported
		}
		return reflect.ValueOf(i), nil
	}
	return reflect.Value{}, errUnsupported
}

func isRuneInt(s string) bool { return len(s) > 0 && s[0] == '\'' }

func isHexInt(s string) bool {
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !containsAny(s, "pP")
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}

// fields compiles a chain of field names from a receiver of type typ.
func (c *compiler) fields(recv expr, typ reflect.Type, idents []string) (expr, reflect.Type, error) {
	// The data's type is only the data's: a chain from a value of that
	// type starts at the data itself.
	fromData := c.fixed.data.IsValid() && typ == c.fixed.data.Type()
	f := &fieldExpr{recv: recv, fromData: fromData}
	fold := fromData && c.fixed.fields(idents)
	for _, name := range idents {
		if typ == nil {
			return nil, nil, errUnsupported
		}
		var st fieldStep
		// text/template calls a method before it looks for a field.
		if _, ok := typ.MethodByName(name); ok {
			return nil, nil, errUnsupported
		}
		if typ.Kind() != reflect.Pointer && typ.Kind() != reflect.Interface {
			if _, ok := reflect.PointerTo(typ).MethodByName(name); ok {
				return nil, nil, errUnsupported
			}
		}
		for typ.Kind() == reflect.Pointer {
			st.derefs++
			typ = typ.Elem()
		}
		switch typ.Kind() {
		case reflect.Struct:
			sf, ok := typ.FieldByName(name)
			if !ok || !sf.IsExported() {
				return nil, nil, errUnsupported
			}
			// A field promoted through an embedded pointer may be nil.
			t := typ
			for _, i := range sf.Index[:len(sf.Index)-1] {
				t = t.Field(i).Type
				if t.Kind() != reflect.Struct {
					return nil, nil, errUnsupported
				}
			}
			st.index = sf.Index
			typ = sf.Type
		case reflect.Map:
			if typ.Key() != stringType {
				return nil, nil, errUnsupported
			}
			st.key = reflect.ValueOf(name)
			typ = typ.Elem()
		default:
			return nil, nil, errUnsupported
		}
		f.steps = append(f.steps, st)
	}
	if fold {
		if c.fixed.perVariant != nil && c.fixed.perVariant(idents) {
			c.perVariant = true
		}
		if v, err := (&fieldExpr{recv: constExpr{c.fixed.data}, steps: f.steps}).eval(nil, reflect.Value{}); err == nil {
			return constExpr{v}, typ, nil
		}
	}
	return f, typ, nil
}

// function compiles a call of the function name.
func (c *compiler) function(name string, argNodes []parse.Node, dot reflect.Type, vars *[]svar, final expr, finalType reflect.Type) (expr, reflect.Type, error) {
	// Functions of the template come before the builtins, as in
	// text/template.
	if fn, ok := c.funcs[name]; ok {
		return c.userFunction(fn, argNodes, dot, vars, final, finalType)
	}
	// The builtins take any value.
	args := make([]expr, 0, len(argNodes))
	types := make([]reflect.Type, 0, len(argNodes)+1)
	for _, a := range argNodes {
		x, t, err := c.operand(a, dot, vars)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, x)
		types = append(types, t)
	}
	if final != nil {
		types = append(types, finalType)
	}
	n := len(types)
	call := &callExpr{args: args, final: final}
	switch name {
	case "and", "or":
		if n == 0 {
			return nil, nil, errUnsupported
		}
		call.fn = andOr(name == "or")
		for _, t := range types {
			if t != types[0] {
				// The type depends on the values: fine for a condition
				// or a value to write, not for a field chain or a with.
				return call, nil, nil
			}
		}
		return call, types[0], nil
	case "not":
		if n != 1 {
			return nil, nil, errUnsupported
		}
		call.fn = builtinNot
		return call, boolType, nil
	case "len":
		if n != 1 {
			return nil, nil, errUnsupported
		}
		call.fn = builtinLen
		return call, intType, nil
	case "index":
		if n != 2 || types[0] == nil {
			return nil, nil, errUnsupported
		}
		t := types[0]
		switch t.Kind() {
		case reflect.Map:
			if t.Key() != stringType || types[1] != stringType {
				return nil, nil, errUnsupported
			}
		case reflect.Slice, reflect.Array:
			if types[1] != intType {
				return nil, nil, errUnsupported
			}
		default:
			return nil, nil, errUnsupported
		}
		if k, ok := args[1].(constExpr); ok && final == nil && k.v.Kind() == reflect.Int && t.Kind() == reflect.Slice {
			return &indexConstExpr{slice: args[0], i: int(k.v.Int())}, t.Elem(), nil
		}
		if k, ok := args[1].(constExpr); ok && final == nil && k.v.Type() == stringType && t == mapStringString {
			return &keyConstExpr{m: args[0], key: k.v.String()}, stringType, nil
		}
		call.fn = builtinIndex
		return call, t.Elem(), nil
	case "eq", "ne", "lt", "le", "gt", "ge":
		if n < 2 || name != "eq" && n != 2 {
			return nil, nil, errUnsupported
		}
		if x := eqConst(args, types, final); x != nil && name == "eq" {
			return x, boolType, nil
		}
		call.fn = compare(name)
		return call, boolType, nil
	case "print", "printf", "println":
		if name == "printf" && (n == 0 || types[0] != stringType) {
			return nil, nil, errUnsupported
		}
		call.fn = printer(name)
		return call, stringType, nil
	}
	return nil, nil, errUnsupported
}

// eqConst returns eq of a value and a constant, both strings or both
// signed integers by their static types, as a comparison with the
// constant (eqConstExpr); nil for anything else.
func eqConst(args []expr, types []reflect.Type, final expr) expr {
	if len(args) != 2 || final != nil {
		return nil
	}
	for i, j := range []int{1, 0} {
		k, ok := args[j].(constExpr)
		if !ok || args[i] == nil || types[i] == nil {
			continue
		}
		switch {
		case k.v.Kind() == reflect.String && types[i].Kind() == reflect.String:
			return &eqConstExpr{x: args[i], str: k.v.String()}
		case isInt(k.v) && intKind(types[i]):
			return &eqConstExpr{x: args[i], integer: true, n: k.v.Int()}
		}
	}
	return nil
}

// intKind reports whether t is a signed integer type.
func intKind(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// userFunction compiles a call of a function of the engine's FuncMap.
func (c *compiler) userFunction(fn reflect.Value, argNodes []parse.Node, dot reflect.Type, vars *[]svar, final expr, finalType reflect.Type) (expr, reflect.Type, error) {
	ft := fn.Type()
	n := len(argNodes)
	if final != nil {
		n++
	}
	if ft.IsVariadic() && n < ft.NumIn()-1 || !ft.IsVariadic() && n != ft.NumIn() {
		return nil, nil, errUnsupported
	}
	if ft.NumOut() == 0 || ft.NumOut() > 2 || ft.NumOut() == 2 && ft.Out(1) != errorType || ft.Out(0).Kind() == reflect.Interface {
		return nil, nil, errUnsupported
	}
	param := func(i int) reflect.Type {
		if ft.IsVariadic() && i >= ft.NumIn()-1 {
			return ft.In(ft.NumIn() - 1).Elem()
		}
		return ft.In(i)
	}
	args := make([]expr, 0, n)
	for i, a := range argNodes {
		x, err := c.typedArg(a, param(i), dot, vars)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, x)
	}
	if final != nil {
		pt := param(n - 1)
		if pt != anyType && (finalType == nil || !finalType.AssignableTo(pt)) {
			return nil, nil, errUnsupported
		}
	}
	params := make([]reflect.Type, n)
	for i := range params {
		params[i] = param(i)
	}
	call := &callExpr{args: args, final: final, fn: func(s *state, dot reflect.Value, args []expr) (reflect.Value, error) {
		return callFunction(fn, params, s, dot, args)
	}}
	if final == nil && allConst(args) {
		// The engine's functions are pure: a call on constants, such as
		// an Outlook comment's, is made once.
		if v, err := call.eval(nil, reflect.Value{}); err == nil {
			return constExpr{v}, ft.Out(0), nil
		}
	}
	return call, ft.Out(0), nil
}

func allConst(args []expr) bool {
	for _, a := range args {
		if _, ok := a.(constExpr); !ok {
			return false
		}
	}
	return true
}

// callFunction calls fn on the values of args, converted to params.
func callFunction(fn reflect.Value, params []reflect.Type, s *state, dot reflect.Value, args []expr) (reflect.Value, error) {
	if v, ok, err := callDirect(fn, s, dot, args); ok {
		return v, err
	}
	argv := make([]reflect.Value, len(args))
	for i, a := range args {
		v, err := a.eval(s, dot)
		if err != nil {
			return v, err
		}
		if !v.IsValid() {
			if params[i] != anyType {
				return v, errSlow
			}
			v = reflect.Zero(anyType)
		}
		argv[i] = v
	}
	out := fn.Call(argv)
	if len(out) == 2 && !out[1].IsNil() {
		return reflect.Value{}, errSlow
	}
	return out[0], nil
}

// callDirect calls the engine's formatting functions without reflection:
// ok is false for a function of another signature.
func callDirect(fn reflect.Value, s *state, dot reflect.Value, args []expr) (v reflect.Value, ok bool, err error) {
	var a [3]reflect.Value
	if len(args) > len(a) {
		return v, false, nil
	}
	for i, x := range args {
		if a[i], err = x.eval(s, dot); err != nil {
			return v, true, err
		}
	}
	bad := false
	str := func(v reflect.Value) string {
		if v.Kind() != reflect.String {
			bad = true
			return ""
		}
		return v.String()
	}
	face := func(v reflect.Value) any {
		if !v.IsValid() {
			return nil
		}
		return v.Interface()
	}
	var out string
	switch f := fn.Interface().(type) {
	case func(string, any) (string, error):
		out, err = f(str(a[0]), face(a[1]))
	case func(string, any, string) (string, error):
		out, err = f(str(a[0]), face(a[1]), str(a[2]))
	case func(string, any, ...string) (string, error):
		switch len(args) {
		case 2:
			out, err = f(str(a[0]), face(a[1]))
		case 3:
			out, err = f(str(a[0]), face(a[1]), str(a[2]))
		default:
			return v, false, nil
		}
	default:
		return v, false, nil
	}
	if err != nil || bad {
		return v, true, errSlow
	}
	return reflect.ValueOf(out), true, nil
}

// typedArg compiles an argument for a parameter of type pt, as
// text/template converts it.
func (c *compiler) typedArg(n parse.Node, pt reflect.Type, dot reflect.Type, vars *[]svar) (expr, error) {
	switch n := n.(type) {
	case *parse.StringNode:
		if pt.Kind() != reflect.String && pt != anyType {
			return nil, errUnsupported
		}
		return constExpr{reflect.ValueOf(n.Text).Convert(pt)}, nil
	case *parse.BoolNode:
		if pt.Kind() != reflect.Bool && pt != anyType {
			return nil, errUnsupported
		}
		return constExpr{reflect.ValueOf(n.True).Convert(pt)}, nil
	case *parse.NumberNode:
		if pt == anyType {
			v, err := idealConstant(n)
			if err != nil {
				return nil, err
			}
			return constExpr{v}, nil
		}
		switch pt.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if !n.IsInt || reflect.Zero(pt).OverflowInt(n.Int64) {
				return nil, errUnsupported
			}
			return constExpr{reflect.ValueOf(n.Int64).Convert(pt)}, nil
		case reflect.Float32, reflect.Float64:
			if !n.IsFloat {
				return nil, errUnsupported
			}
			return constExpr{reflect.ValueOf(n.Float64).Convert(pt)}, nil
		}
		return nil, errUnsupported
	}
	x, t, err := c.operand(n, dot, vars)
	if err != nil {
		return nil, err
	}
	if pt != anyType && (t == nil || !t.AssignableTo(pt)) {
		return nil, errUnsupported
	}
	return x, nil
}
