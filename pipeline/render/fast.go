package render

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/tailor-mail/tailor/templates"
)

// The fast path personalizes a compiled newsletter without the reflection
// of text/template's interpreter. After html/template has escaped a
// variant's templates (Compile executes them once), their parse trees hold
// every action with its escapers appended; compileProgram turns such a
// tree into a program: the static HTML between actions as byte slices, and
// each action as a typed field access whose struct indexes are resolved
// once, followed by the same escapers (escape.go). Executing a program
// writes exactly what executing the templates would; Compile checks that
// for the sample recipient, and the tests for the example variants and
// hostile recipients.
//
// The program covers what newsletters use: text, actions, if, with, range
// over slices, template calls, variables, field chains on structs and
// string-keyed maps, constants, the builtins and, or, not, len, index, eq,
// ne, lt, le, gt, ge, print, printf and println, and the engine's
// functions. A template with anything else (a method call, break, range
// over a map, an escaper for JavaScript or CSS) gets no program: it runs on
// html/template. A value the program cannot write exactly as html/template
// would (an error from a function, a missing map key, a value of an
// unusual type) makes that one execution fall back to the templates, which
// also report any error as they always did.

// errSlow stops a program: the templates must write this message.
var errSlow = errors.New("render: left to the templates")

// errRows stops a program that writes rows only: a value may hold a
// block row, which only the output itself tells.
var errRows = errors.New("render: block rows written by a value")

// errUnsupported stops compileProgram: the templates run this variant.
var errUnsupported = errors.New("render: not supported by the fast path")

// outMode is how an action writes its value.
type outMode uint8

const (
	// outHTML: the pipeline ends in html/template's escapers.
	outHTML outMode = iota
	// outText: the pipeline ends in textFuncName, or prints its value as
	// text/template does.
	outText
)

// textFuncName is the function the renderer appends to every action of
// the text part: it strips the marks that Fill reads from merged values.
const textFuncName = "_tailor_text"

// textValue is the function textFuncName.
func textValue(v any) string {
	if s, ok := v.(string); ok {
		return templates.StripMarks(s)
	}
	return templates.StripMarks(fmt.Sprint(v))
}

// program is a compiled template.
type program struct {
	steps []step
	// rows: the block rows of the program's output are those of its
	// rowSteps and can be listed without writing it (markRows).
	rows bool
	// listRows, when not nil, lists the rows as an execution of the
	// program that writes rows only does, with fewer steps (pruneRows).
	listRows *program
	// fixed, when not nil, is the line (state.line) of a program of
	// static text alone, the same for every recipient (fixLine).
	fixed *string
}

// fixLine sets p.fixed when p is static text alone: a subject line or a
// preheader without a recipient's value.
func (p *program) fixLine() {
	var b []byte
	for _, st := range p.steps {
		t, ok := st.(textStep)
		if !ok {
			return
		}
		b = append(b, t...)
	}
	line := strings.TrimSpace(string(b))
	p.fixed = &line
}

// run executes the program on dot, appending to buf.
func (p *program) run(s *state, dot reflect.Value) error {
	s.vars = append(s.vars[:0], variable{"$", dot})
	s.base = 0
	return runSteps(s, p.steps, dot)
}

// mapText replaces the static text of the program, wherever it is, with
// f of it.
func (p *program) mapText(f func([]byte) []byte) {
	p.eachStep(func(steps []step, i int) {
		switch st := steps[i].(type) {
		case textStep:
			steps[i] = textStep(f(st))
		case *rowStep:
			steps[i] = textStep(f(st.text))
			p.rows, p.listRows = false, nil
		case looseText:
			steps[i] = textStep(f(st))
			p.rows, p.listRows = false, nil
		}
	})
}

// eachStep calls f with every step of the program, wherever it is, as
// steps[i] (which f may replace): each template's steps once, however
// many times it is called.
func (p *program) eachStep(f func(steps []step, i int)) {
	seen := map[*[]step]bool{}
	var walk func(steps []step)
	walk = func(steps []step) {
		for i := range steps {
			f(steps, i)
			switch st := steps[i].(type) {
			case *ifStep:
				walk(st.then)
				walk(st.els)
			case *rangeStep:
				walk(st.body)
				walk(st.els)
			case *callStep:
				if !seen[st.body] {
					seen[st.body] = true
					walk(*st.body)
				}
			}
		}
	}
	walk(p.steps)
}

// state is one execution.
type state struct {
	buf     []byte // the output
	vars    []variable
	base    int // the first variable of the template being executed
	depth   int
	scratch []byte // kept from one execution to the next
	// rowsOnly: the execution writes nothing, and lists in rows the ids
	// of the block rows its output would hold (rowStep); values are the
	// values written since the last static text.
	rowsOnly bool
	rows     []string
	values   []byte
}

// write writes str, the value of an action. Writing rows only, it fails
// with errRows when the values written one after the other since the
// last static text hold a block row: the rows of the output are then not
// those of its static text alone.
func (s *state) write(str string) error {
	if s.rowsOnly {
		s.values = append(s.values, str...)
		if indexBlockClass(s.values) >= 0 {
			return errRows
		}
		return nil
	}
	s.buf = append(s.buf, str...)
	return nil
}

// runInto runs p on dot, appending to buf.
func (s *state) runInto(p *program, dot reflect.Value, buf []byte) ([]byte, error) {
	s.buf = buf
	err := p.run(s, dot)
	buf = s.buf
	s.buf = nil
	clear(s.vars) // keep no recipient's data in the pool
	s.vars = s.vars[:0]
	return buf, err
}

// line runs p on dot and returns its output trimmed, as a subject.
func (s *state) line(p *program, dot reflect.Value) (string, error) {
	if p.fixed != nil {
		return *p.fixed, nil
	}
	b, err := s.runInto(p, dot, s.scratch[:0])
	s.scratch = b
	return strings.TrimSpace(string(b)), err
}

type variable struct {
	name string
	v    reflect.Value
}

func (s *state) lookup(name string) (reflect.Value, bool) {
	for i := len(s.vars) - 1; i >= s.base; i-- {
		if s.vars[i].name == name {
			return s.vars[i].v, true
		}
	}
	return reflect.Value{}, false
}

func (s *state) assign(name string, v reflect.Value) error {
	for i := len(s.vars) - 1; i >= s.base; i-- {
		if s.vars[i].name == name {
			s.vars[i].v = v
			return nil
		}
	}
	return errSlow
}

// declare pushes or assigns the variables of a pipeline.
func (s *state) declare(names []string, assign bool, v reflect.Value) error {
	for _, name := range names {
		if assign {
			if err := s.assign(name, v); err != nil {
				return err
			}
			continue
		}
		s.vars = append(s.vars, variable{name, v})
	}
	return nil
}

// maxDepth is text/template's limit on nested template calls.
const maxDepth = 100000

type step interface {
	run(s *state, dot reflect.Value) error
}

func runSteps(s *state, steps []step, dot reflect.Value) error {
	for _, st := range steps {
		if err := st.run(s, dot); err != nil {
			return err
		}
	}
	return nil
}

// textStep writes static text.
type textStep []byte

func (t textStep) run(s *state, _ reflect.Value) error {
	if s.rowsOnly {
		s.values = s.values[:0]
		return nil
	}
	s.buf = append(s.buf, t...)
	return nil
}

// slotStep stands for the variant's id in the static text of a body
// every variant shares (bodyCache); a variant's copy of the body holds
// the id in its place (compiler.withID), so it never runs.
type slotStep struct{}

func (slotStep) run(*state, reflect.Value) error { return errUnsupported }

// looseText writes static text that holds no block row but may be part
// of one: it starts or ends as one would. Writing rows only, it is
// looked at with the values around it (state.write).
type looseText []byte

func (t looseText) run(s *state, _ reflect.Value) error {
	if s.rowsOnly {
		return s.write(unsafe.String(unsafe.SliceData(t), len(t)))
	}
	s.buf = append(s.buf, t...)
	return nil
}

// rowStep writes static text that holds the rows of blocks, whose ids
// are rows.
type rowStep struct {
	text []byte
	rows []string
}

func (r *rowStep) run(s *state, _ reflect.Value) error {
	if s.rowsOnly {
		s.rows = append(s.rows, r.rows...)
		s.values = s.values[:0]
		return nil
	}
	s.buf = append(s.buf, r.text...)
	return nil
}

// declStep is an action that declares or assigns variables.
type declStep struct {
	value  expr
	names  []string
	assign bool
}

func (d *declStep) run(s *state, dot reflect.Value) error {
	v, err := d.value.eval(s, dot)
	if err != nil {
		return err
	}
	return s.declare(d.names, d.assign, v)
}

// actionStep writes a value.
type actionStep struct {
	value expr
	mode  outMode
	escs  []escaper // outHTML
	clean bool      // outText: the pipeline ends in textFuncName
	// sure: the action always writes, and writes no quote: its value is
	// a string from a chain of struct fields, escaped as HTML (sureAction).
	// quoteless: whatever it writes holds no quote, and so no part of a
	// block row's class (quotelessAction). Both are for outHTML only.
	sure, quoteless bool
}

func (a *actionStep) run(s *state, dot reflect.Value) error {
	str, err := a.text(s, dot)
	if err != nil {
		return err
	}
	return s.write(str)
}

// text returns what the action writes.
func (a *actionStep) text(s *state, dot reflect.Value) (string, error) {
	v, err := a.value.eval(s, dot)
	if err != nil {
		return "", err
	}
	if a.mode == outText {
		if a.clean {
			if v.Kind() == reflect.String && v.Type() == stringType {
				return templates.StripMarks(v.String()), nil
			}
			var x any
			if v.IsValid() {
				x = v.Interface()
			}
			return textValue(x), nil
		}
		str, ok := printString(v)
		if !ok {
			return "", errSlow
		}
		return str, nil
	}
	str, ct, ok := stringify(v)
	if !ok {
		return "", errSlow
	}
	for i, e := range a.escs {
		if i > 0 {
			ct = contentPlain
		}
		if str, ok = e(str, ct); !ok {
			return "", errSlow
		}
	}
	return str, nil
}

// checkStep is an action of a program that lists block rows (listRows):
// its value is worked out, for the error it may stop the execution with,
// and not written, as it cannot hold a row.
type checkStep struct{ a *actionStep }

func (c checkStep) run(s *state, dot reflect.Value) error {
	_, err := c.a.text(s, dot)
	return err
}

// ifStep is if and with.
type ifStep struct {
	cond      expr
	names     []string
	assign    bool
	with      bool
	then, els []step
	hasElse   bool
}

func (n *ifStep) run(s *state, dot reflect.Value) error {
	mark := len(s.vars)
	v, err := n.cond.eval(s, dot)
	if err != nil {
		return err
	}
	if err := s.declare(n.names, n.assign, v); err != nil {
		return err
	}
	truth, ok := isTrue(indirectInterface(v))
	if !ok {
		return errSlow
	}
	switch {
	case truth && n.with:
		err = runSteps(s, n.then, v)
	case truth:
		err = runSteps(s, n.then, dot)
	case n.hasElse:
		err = runSteps(s, n.els, dot)
	}
	s.vars = s.vars[:mark]
	return err
}

// rangeStep ranges over a slice or an array.
type rangeStep struct {
	over      expr
	names     []string
	assign    bool
	body, els []step
	hasElse   bool
}

func (n *rangeStep) run(s *state, dot reflect.Value) error {
	mark := len(s.vars)
	v, err := n.over.eval(s, dot)
	if err != nil {
		return err
	}
	if err := s.declare(n.names, n.assign, v); err != nil {
		return err
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return errSlow
	}
	if v.Len() == 0 {
		if n.hasElse {
			err = runSteps(s, n.els, dot)
		}
		s.vars = s.vars[:mark]
		return err
	}
	inner := len(s.vars)
	for i := 0; i < v.Len(); i++ {
		elem := v.Index(i)
		index := reflect.ValueOf(i)
		if n.assign {
			if len(n.names) > 1 {
				if err := s.assign(n.names[0], index); err != nil {
					return err
				}
				if err := s.assign(n.names[1], elem); err != nil {
					return err
				}
			} else if len(n.names) == 1 {
				if err := s.assign(n.names[0], elem); err != nil {
					return err
				}
			}
		} else {
			if len(n.names) > 0 {
				s.vars[len(s.vars)-1].v = elem
			}
			if len(n.names) > 1 {
				s.vars[len(s.vars)-2].v = index
			}
		}
		if err := runSteps(s, n.body, elem); err != nil {
			return err
		}
		s.vars = s.vars[:inner]
	}
	s.vars = s.vars[:mark]
	return nil
}

// callStep is {{ template "name" pipeline }}.
type callStep struct {
	arg  expr // nil: no pipeline
	body *[]step
}

func (c *callStep) run(s *state, dot reflect.Value) error {
	var v reflect.Value
	if c.arg != nil {
		var err error
		if v, err = c.arg.eval(s, dot); err != nil {
			return err
		}
	}
	if s.depth == maxDepth {
		return errSlow
	}
	base, mark := s.base, len(s.vars)
	s.base = mark
	s.vars = append(s.vars, variable{"$", v})
	s.depth++
	err := runSteps(s, *c.body, v)
	s.depth--
	s.vars, s.base = s.vars[:mark], base
	return err
}

// expr is a value.
type expr interface {
	eval(s *state, dot reflect.Value) (reflect.Value, error)
}

type dotExpr struct{}

func (dotExpr) eval(_ *state, dot reflect.Value) (reflect.Value, error) { return dot, nil }

type constExpr struct{ v reflect.Value }

func (c constExpr) eval(*state, reflect.Value) (reflect.Value, error) { return c.v, nil }

type varExpr struct{ name string }

func (x varExpr) eval(s *state, _ reflect.Value) (reflect.Value, error) {
	v, ok := s.lookup(x.name)
	if !ok {
		return v, errSlow
	}
	return v, nil
}

// fieldStep is one field of a chain: a struct field or a map key, after
// derefs pointers.
type fieldStep struct {
	derefs int
	index  []int         // struct field
	key    reflect.Value // map key, when valid
}

type fieldExpr struct {
	recv  expr
	steps []fieldStep
	// fromData: the receiver is the run's data, a pointer that is never
	// nil (the compiler's fixed.data type is the data's alone).
	fromData bool
}

func (f *fieldExpr) eval(s *state, dot reflect.Value) (reflect.Value, error) {
	v, err := f.recv.eval(s, dot)
	if err != nil {
		return v, err
	}
	for _, st := range f.steps {
		for range st.derefs {
			if !v.IsValid() || v.IsNil() {
				return v, errSlow
			}
			v = v.Elem()
		}
		if !v.IsValid() {
			return v, errSlow
		}
		if st.key.IsValid() {
			if v.Kind() != reflect.Map {
				return v, errSlow
			}
			x := v.MapIndex(st.key)
			if !x.IsValid() {
				return v, errSlow // missingkey=error
			}
			v = x
			continue
		}
		if v.Kind() != reflect.Struct {
			return v, errSlow
		}
		v = v.FieldByIndex(st.index)
	}
	return v, nil
}

// callExpr calls a function; final, when not nil, is the value piped in,
// its last argument.
type callExpr struct {
	fn    func(s *state, dot reflect.Value, args []expr) (reflect.Value, error)
	args  []expr
	final expr
}

func (c *callExpr) eval(s *state, dot reflect.Value) (reflect.Value, error) {
	args := c.args
	if c.final != nil {
		args = append(args[:len(args):len(args)], c.final)
	}
	return c.fn(s, dot, args)
}

var (
	stringType      = reflect.TypeFor[string]()
	intType         = reflect.TypeFor[int]()
	boolType        = reflect.TypeFor[bool]()
	anyType         = reflect.TypeFor[any]()
	errorType       = reflect.TypeFor[error]()
	fmtStringerType = reflect.TypeFor[fmt.Stringer]()
)

// The builtins, as text/template has them.

func evalArgs(s *state, dot reflect.Value, args []expr) ([]reflect.Value, error) {
	return evalArgsInto(make([]reflect.Value, 0, len(args)), s, dot, args)
}

// evalArgsInto appends the values of args to out.
func evalArgsInto(out []reflect.Value, s *state, dot reflect.Value, args []expr) ([]reflect.Value, error) {
	for _, a := range args {
		v, err := a.eval(s, dot)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func andOr(or bool) func(*state, reflect.Value, []expr) (reflect.Value, error) {
	return func(s *state, dot reflect.Value, args []expr) (reflect.Value, error) {
		var v reflect.Value
		for _, a := range args {
			var err error
			if v, err = a.eval(s, dot); err != nil {
				return v, err
			}
			if truth(v) == or {
				return v, nil
			}
		}
		return v, nil
	}
}

func builtinNot(s *state, dot reflect.Value, args []expr) (reflect.Value, error) {
	v, err := args[0].eval(s, dot)
	if err != nil {
		return v, err
	}
	return reflect.ValueOf(!truth(v)), nil
}

func builtinLen(s *state, dot reflect.Value, args []expr) (reflect.Value, error) {
	v, err := args[0].eval(s, dot)
	if err != nil {
		return v, err
	}
	v = indirectInterface(v)
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return reflect.ValueOf(v.Len()), nil
	}
	return v, errSlow
}

func builtinIndex(s *state, dot reflect.Value, args []expr) (reflect.Value, error) {
	var buf [2]reflect.Value
	vs, err := evalArgsInto(buf[:0], s, dot, args)
	if err != nil {
		return reflect.Value{}, err
	}
	item, key := indirectInterface(vs[0]), indirectInterface(vs[1])
	if !item.IsValid() || !key.IsValid() {
		return item, errSlow
	}
	switch item.Kind() {
	case reflect.Map:
		if key.Type() != stringType || item.Type().Key() != stringType {
			return item, errSlow
		}
		if x := item.MapIndex(key); x.IsValid() {
			return x, nil
		}
		return reflect.Zero(item.Type().Elem()), nil
	case reflect.Slice, reflect.Array:
		if key.Kind() != reflect.Int {
			return item, errSlow
		}
		i := int(key.Int())
		if i < 0 || i >= item.Len() {
			return item, errSlow
		}
		return item.Index(i), nil
	}
	return item, errSlow
}

// indexConstExpr is index of a slice and a constant int, as builtinIndex
// does it.
type indexConstExpr struct {
	slice expr
	i     int
}

func (x *indexConstExpr) eval(s *state, dot reflect.Value) (reflect.Value, error) {
	v, err := x.slice.eval(s, dot)
	if err != nil {
		return reflect.Value{}, err
	}
	v = indirectInterface(v)
	if v.Kind() != reflect.Slice || x.i < 0 || x.i >= v.Len() {
		return v, errSlow
	}
	return v.Index(x.i), nil
}

// keyConstExpr is index of a map[string]string and a constant key, as
// builtinIndex does it: the value, or "" for a missing key.
type keyConstExpr struct {
	m   expr
	key string
}

var mapStringString = reflect.TypeFor[map[string]string]()

func (x *keyConstExpr) eval(s *state, dot reflect.Value) (reflect.Value, error) {
	v, err := x.m.eval(s, dot)
	if err != nil {
		return reflect.Value{}, err
	}
	v = indirectInterface(v)
	if !v.IsValid() || v.Type() != mapStringString {
		return v, errSlow
	}
	str := v.Interface().(map[string]string)[x.key]
	if str == "" {
		return reflect.Zero(stringType), nil
	}
	return reflect.ValueOf(str), nil
}

// eqConstExpr is eq of a value and a constant, a string or (integer) a
// signed integer, as compare does it.
type eqConstExpr struct {
	x       expr
	integer bool
	str     string
	n       int64
}

func (e *eqConstExpr) eval(s *state, dot reflect.Value) (reflect.Value, error) {
	v, err := e.x.eval(s, dot)
	if err != nil {
		return reflect.Value{}, err
	}
	v = indirectInterface(v)
	switch {
	case e.integer && isInt(v):
		return reflect.ValueOf(v.Int() == e.n), nil
	case !e.integer && v.Kind() == reflect.String:
		return reflect.ValueOf(v.String() == e.str), nil
	}
	return reflect.Value{}, errSlow
}

// compare is eq, ne, lt, le, gt or ge on values of one basic kind: strings,
// booleans (eq and ne) and signed integers; anything else is left to the
// templates.
func compare(name string) func(*state, reflect.Value, []expr) (reflect.Value, error) {
	return func(s *state, dot reflect.Value, args []expr) (reflect.Value, error) {
		var buf [4]reflect.Value
		vs, err := evalArgsInto(buf[:0], s, dot, args)
		if err != nil {
			return reflect.Value{}, err
		}
		a := indirectInterface(vs[0])
		for _, b := range vs[1:] {
			b = indirectInterface(b)
			c, ok := order(a, b, name == "eq" || name == "ne")
			if !ok {
				return reflect.Value{}, errSlow
			}
			var truth bool
			switch name {
			case "eq":
				truth = c == 0
			case "ne":
				truth = c != 0
			case "lt":
				truth = c < 0
			case "le":
				truth = c <= 0
			case "gt":
				truth = c > 0
			case "ge":
				truth = c >= 0
			}
			if truth || name != "eq" {
				return reflect.ValueOf(truth), nil
			}
		}
		return reflect.ValueOf(false), nil
	}
}

// order compares two values of one basic kind.
func order(a, b reflect.Value, equality bool) (int, bool) {
	if !a.IsValid() || !b.IsValid() {
		return 0, false
	}
	switch {
	case a.Kind() == reflect.String && b.Kind() == reflect.String:
		x, y := a.String(), b.String()
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case isInt(a) && isInt(b):
		x, y := a.Int(), b.Int()
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case equality && a.Kind() == reflect.Bool && b.Kind() == reflect.Bool:
		if a.Bool() == b.Bool() {
			return 0, true
		}
		return 1, true
	}
	return 0, false
}

func isInt(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

func printer(name string) func(*state, reflect.Value, []expr) (reflect.Value, error) {
	return func(s *state, dot reflect.Value, args []expr) (reflect.Value, error) {
		vs, err := evalArgs(s, dot, args)
		if err != nil {
			return reflect.Value{}, err
		}
		xs := make([]any, len(vs))
		for i, v := range vs {
			if v.IsValid() {
				xs[i] = v.Interface()
			}
		}
		switch name {
		case "printf":
			return reflect.ValueOf(fmt.Sprintf(xs[0].(string), xs[1:]...)), nil
		case "println":
			return reflect.ValueOf(fmt.Sprintln(xs...)), nil
		}
		return reflect.ValueOf(fmt.Sprint(xs...)), nil
	}
}

// truth is text/template's truth of a value.
func truth(v reflect.Value) bool {
	t, _ := isTrue(indirectInterface(v))
	return t
}

// isTrue is text/template's.
func isTrue(v reflect.Value) (truth, ok bool) {
	if !v.IsValid() {
		return false, true
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() > 0, true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() != 0, true
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		return !v.IsNil(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() != 0, true
	case reflect.Float32, reflect.Float64:
		return v.Float() != 0, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() != 0, true
	case reflect.Struct:
		return true, true
	}
	return false, false
}

func indirectInterface(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Interface {
		return v
	}
	if v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

// stringify is html/template's view of a value given to an escaper: a
// string, or the text of HTML or URL content; ok is false for a value it
// would write in a way the fast path leaves to it.
func stringify(v reflect.Value) (string, contentType, bool) {
	if !v.IsValid() {
		return "", contentPlain, true // html/template skips untyped nil
	}
	t := v.Type()
	if t == stringType {
		return v.String(), contentPlain, true
	}
	if ct, ok := contentTypes[t]; ok {
		return v.String(), ct, true
	}
	if t.PkgPath() == "html/template" {
		return "", 0, false // CSS, JS and other content the fast path does not escape
	}
	s, ok := printString(v)
	return s, contentPlain, ok
}

// printString is how text/template and html/template print a value of a
// basic kind; ok is false for anything else.
func printString(v reflect.Value) (string, bool) {
	if !v.IsValid() {
		return "", false
	}
	t := v.Type()
	if t.Implements(errorType) || t.Implements(fmtStringerType) ||
		reflect.PointerTo(t).Implements(errorType) || reflect.PointerTo(t).Implements(fmtStringerType) {
		return "", false
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return fmt.Sprint(v.Interface()), true
	}
	return "", false
}

// BlockClass starts the class of the row of each block in a newsletter's
// HTML, followed by the block's id: "block block-<id>".
const BlockClass = `class="block block-`

// EachRow calls f with the id of each block row of html, in order: each
// BlockClass and what follows it up to the next quote. The id's bytes are
// html's.
func EachRow(html []byte, f func(id []byte)) {
	for {
		i := indexBlockClass(html)
		if i < 0 {
			return
		}
		html = html[i+len(BlockClass):]
		j := bytes.IndexByte(html, '"')
		if j < 0 {
			return
		}
		f(html[:j])
		html = html[j:]
	}
}

// indexBlockClass is bytes.Index(html, BlockClass), faster on HTML with
// inlined CSS, where the "c" it starts with is everywhere: it looks for
// the "k-" of its end, which is rare.
func indexBlockClass(html []byte) int {
	const tail = len(BlockClass) - 2 // BlockClass[tail:] is "k-"
	for from := tail; from <= len(html); {
		j := bytes.Index(html[from:], []byte("k-"))
		if j < 0 {
			return -1
		}
		j += from
		if start := j - tail; bytes.Equal(html[start:j], []byte(BlockClass[:tail])) {
			return start
		}
		from = j + 1
	}
	return -1
}

// endsInRow reports whether b ends with a row cut short: the start of
// BlockClass, or BlockClass and an id without its closing quote.
func endsInRow(b []byte) bool {
	// A start of BlockClass starts with its "c" in the last bytes.
	for p := max(0, len(b)-(len(BlockClass)-1)); p < len(b); p++ {
		if b[p] == BlockClass[0] && bytes.Equal(b[p:], []byte(BlockClass[:len(b)-p])) {
			return true
		}
	}
	// BlockClass holds one quote: an id without its closing quote
	// follows the last quote of b, which is BlockClass's own.
	const quote = len(`class="`) - 1
	q := bytes.LastIndexByte(b, '"')
	return q >= quote && bytes.HasPrefix(b[q-quote:], []byte(BlockClass))
}

// startsInRow reports whether b starts inside a row: with the rest of
// BlockClass from any byte after its first, or with a part of it.
func startsInRow(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i := 1; i < len(BlockClass); i++ {
		if BlockClass[i] != b[0] {
			continue
		}
		n := min(len(b), len(BlockClass)-i)
		if bytes.Equal(b[:n], []byte(BlockClass[i:i+n])) {
			return true
		}
	}
	return false
}

// markRows turns the static text of p that holds block rows into
// rowSteps, so that an execution can list the rows without writing the
// output (state.rowsOnly), and reports whether it can: every piece of
// static text with a row holds its rows whole, and neither starts nor
// ends inside another. Static text without a row that starts or ends as
// part of one would becomes looseText, looked at with the values around
// it; any other piece of static text cannot be crossed by a row. A row of
// the output then lies in one piece of static text, or in what is written
// between two that no row crosses, which state.write looks at. Any later
// mapText undoes it.
func (p *program) markRows() bool {
	ok := true
	p.eachStep(func(steps []step, i int) {
		st, isText := steps[i].(textStep)
		if !isText {
			return
		}
		inside := endsInRow(st) || startsInRow(st)
		var rows []string
		EachRow(st, func(id []byte) { rows = append(rows, string(id)) })
		switch {
		case bytes.Contains(st, []byte(BlockClass)) && inside:
			ok = false
		case rows != nil:
			steps[i] = &rowStep{text: st, rows: rows}
		case inside:
			steps[i] = looseText(st)
		}
	})
	p.rows = ok
	p.pruneRows()
	return ok
}

// pruneRows sets p.listRows to p without what cannot change the rows it
// lists, when p can list its rows and neither the values it writes (every
// action is quoteless) nor the static text around them (looseText) can
// hold a quote. As BlockClass holds one, what is written between two
// pieces of static text that no row crosses then holds no row: the rows
// are those of the rowSteps alone, in the order they run, and the values
// matter only for the errors that stop an execution, which send the
// message to the templates. So the pruned
// program keeps the rowSteps, the control flow (conditions, ranges,
// variables, template calls) and, as checkSteps, the actions that may
// fail; it leaves out static text without rows, the sure actions, and the
// conditions, ranges and calls left with nothing to run whose values
// cannot fail (sureExpr).
func (p *program) pruneRows() {
	p.listRows = nil
	if !p.rows {
		return
	}
	ok := true
	p.eachStep(func(steps []step, i int) {
		switch st := steps[i].(type) {
		case looseText:
			ok = ok && bytes.IndexByte(st, '"') < 0
		case *actionStep:
			ok = ok && st.quoteless
		}
	})
	if !ok {
		return
	}
	// A template's body is pruned once, however many calls it has; the
	// compiler refuses recursive calls.
	bodies := map[*[]step]*[]step{}
	var prune func(steps []step) []step
	prune = func(steps []step) []step {
		var out []step
		for _, st := range steps {
			switch st := st.(type) {
			case textStep, looseText:
			case *actionStep:
				if !st.sure {
					out = append(out, checkStep{st})
				}
			case *ifStep:
				c := *st
				c.then, c.els = prune(st.then), prune(st.els)
				// A condition that cannot fail, with nothing left to
				// run and no variable to set, is left out.
				if len(c.then) > 0 || len(c.els) > 0 || len(c.names) > 0 || !sureExpr(c.cond) {
					out = append(out, &c)
				}
			case *rangeStep:
				c := *st
				c.body, c.els = prune(st.body), prune(st.els)
				if len(c.body) > 0 || len(c.els) > 0 || !sureExpr(c.over) {
					out = append(out, &c)
				}
			case *callStep:
				body, ok := bodies[st.body]
				if !ok {
					b := prune(*st.body)
					body = &b
					bodies[st.body] = body
				}
				c := *st
				c.body = body
				if len(*body) > 0 || c.arg != nil && !sureExpr(c.arg) {
					out = append(out, &c)
				}
			default: // rowStep, declStep
				out = append(out, st)
			}
		}
		return out
	}
	p.listRows = &program{steps: prune(p.steps), rows: true}
}

// rowLister returns the program that lists p's rows: p.listRows, or p.
func (p *program) rowLister() *program {
	if p.listRows != nil {
		return p.listRows
	}
	return p
}
