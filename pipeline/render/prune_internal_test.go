package render

import (
	"fmt"
	htmltemplate "html/template"
	"reflect"
	"strings"
	"testing"
)

// TestQuotelessAction checks quotelessAction against the escapers
// themselves: an action it calls quoteless writes no quote for a value
// full of them, of the content type its static type allows.
func TestQuotelessAction(t *testing.T) {
	htmlType := reflect.TypeFor[htmltemplate.HTML]()
	urlType := reflect.TypeFor[htmltemplate.URL]()
	for name, e := range escapers {
		for _, typ := range []reflect.Type{stringType, intType, htmlType, urlType, anyType, nil} {
			for n := 1; n <= 2; n++ {
				// What the escaper can be given: plain text after
				// another escaper, else what the static type allows
				// (an interface, any of them).
				cts := []contentType{contentPlain}
				if n == 1 {
					switch typ {
					case htmlType:
						cts = []contentType{contentHTML}
					case urlType:
						cts = []contentType{contentURL}
					case anyType, nil:
						cts = []contentType{contentPlain, contentHTML, contentURL}
					}
				}
				quotes := false
				for _, ct := range cts {
					for _, v := range []string{`"`, `a"b`, `class="block block-x"`, `https://x.example/"`} {
						if out, ok := e(v, ct); ok && strings.Contains(out, `"`) {
							quotes = true
						}
					}
				}
				if quotelessAction(name, n, typ) && quotes {
					t.Errorf("quotelessAction(%s, %d, %v) = true; the escaper writes a quote", name, n, typ)
				}
			}
		}
	}
	for _, tt := range []struct {
		last string
		n    int
		typ  reflect.Type
		want bool
	}{
		{"_html_template_htmlescaper", 1, stringType, true},
		{"_html_template_htmlescaper", 1, htmlType, false},
		{"_html_template_htmlescaper", 2, htmlType, true},
		{"_html_template_htmlescaper", 1, anyType, false},
		{"_html_template_htmlescaper", 1, nil, false},
		{"_html_template_attrescaper", 1, anyType, true},
		{"_html_template_urlescaper", 1, htmlType, true},
		{"_html_template_urlfilter", 1, stringType, false},
		{"", 0, stringType, false},
	} {
		if got := quotelessAction(tt.last, tt.n, tt.typ); got != tt.want {
			t.Errorf("quotelessAction(%q, %d, %v) = %v, want %v", tt.last, tt.n, tt.typ, got, tt.want)
		}
	}
}

// TestPruneRows checks what pruneRows keeps of a program, and when it
// keeps nothing out.
func TestPruneRows(t *testing.T) {
	sure := func() *actionStep {
		return &actionStep{value: &fieldExpr{recv: dotExpr{}}, sure: true, quoteless: true}
	}
	unsure := func() *actionStep { return &actionStep{value: &callExpr{}, quoteless: true} }
	row := func(id string) *rowStep {
		return &rowStep{text: []byte(`<td ` + BlockClass + id + `">`), rows: []string{id}}
	}
	// kinds lists the steps of a program, nested in brackets, each
	// template's body where it is called.
	var kinds func(steps []step) string
	kinds = func(steps []step) string {
		var out []string
		for _, st := range steps {
			switch st := st.(type) {
			case *ifStep:
				out = append(out, "if["+kinds(st.then)+"|"+kinds(st.els)+"]")
			case *rangeStep:
				out = append(out, "range["+kinds(st.body)+"|"+kinds(st.els)+"]")
			case *callStep:
				out = append(out, "call["+kinds(*st.body)+"]")
			case *rowStep:
				out = append(out, "row "+strings.Join(st.rows, ","))
			default:
				out = append(out, strings.NewReplacer("*", "", "render.", "").Replace(fmt.Sprintf("%T", st)))
			}
		}
		return strings.Join(out, " ")
	}
	body := []step{textStep("<p>"), sure(), row("b"), unsure()}
	empty := []step{textStep("<p>"), sure()}
	tests := []struct {
		name  string
		steps []step
		want  string // "": not pruned
	}{
		{"text and values", []step{textStep("<p>"), sure(), looseText(" "), sure(), unsure(), row("a"), textStep("</p>")},
			"checkStep row a"},
		{"control flow", []step{
			&ifStep{cond: dotExpr{}, then: []step{sure()}, els: []step{row("a")}},
			&ifStep{cond: dotExpr{}, then: []step{textStep("x"), sure()}},
			&ifStep{cond: &callExpr{}, then: []step{textStep("x")}},
			&ifStep{cond: dotExpr{}, names: []string{"$x"}, assign: true},
			&rangeStep{over: dotExpr{}, body: []step{sure()}},
			&rangeStep{over: &callExpr{}, body: []step{sure()}},
			&rangeStep{over: dotExpr{}, body: []step{unsure()}},
			&callStep{body: &body}, &callStep{arg: dotExpr{}, body: &body},
			&callStep{body: &empty}, &callStep{arg: &callExpr{}, body: &empty},
			&declStep{value: dotExpr{}, names: []string{"$y"}},
		}, "if[|row a] if[|] if[|] range[|] range[checkStep|] call[row b checkStep] call[row b checkStep] call[] declStep"},
		{"a value that may write a quote", []step{sure(), &actionStep{value: dotExpr{}, sure: false, quoteless: false}, row("a")}, ""},
		{"static text with a quote around values", []step{sure(), looseText(`="`), sure(), row("a")}, ""},
		{"a quote in a called template", []step{&callStep{body: &[]step{looseText(`"`)}}, row("a")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &program{steps: tt.steps, rows: true}
			p.pruneRows()
			got := ""
			if p.listRows != nil {
				got = kinds(p.listRows.steps)
			}
			if got != tt.want {
				t.Errorf("pruned to %q, want %q", got, tt.want)
			}
			if p.rowLister() != p && p.rowLister() != p.listRows {
				t.Error("rowLister is neither the program nor its pruned form")
			}
		})
	}
	p := &program{steps: []step{sure(), row("a")}}
	if p.pruneRows(); p.listRows != nil {
		t.Error("a program that cannot list its rows was pruned")
	}
	p.rows = true
	if p.pruneRows(); p.listRows == nil {
		t.Fatal("not pruned")
	}
	if p.mapText(func(b []byte) []byte { return b }); p.listRows != nil || p.rowLister() != p {
		t.Error("mapText kept the pruned program of the text it replaced")
	}
}

// TestSureExpr checks which values cannot fail.
func TestSureExpr(t *testing.T) {
	field := fieldStep{index: []int{0}}
	deref := fieldStep{derefs: 1, index: []int{0}}
	key := fieldStep{key: reflect.ValueOf("k")}
	for _, tt := range []struct {
		name string
		x    expr
		want bool
	}{
		{"dot", dotExpr{}, true},
		{"a variable", varExpr{"$x"}, true},
		{"fields", &fieldExpr{recv: dotExpr{}, steps: []fieldStep{field, field}}, true},
		{"fields of the data", &fieldExpr{recv: dotExpr{}, steps: []fieldStep{deref, field}, fromData: true}, true},
		{"a pointer", &fieldExpr{recv: dotExpr{}, steps: []fieldStep{deref, field}}, false},
		{"a pointer past the data", &fieldExpr{recv: dotExpr{}, steps: []fieldStep{deref, deref}, fromData: true}, false},
		{"a map key", &fieldExpr{recv: varExpr{"$"}, steps: []fieldStep{field, key}}, false},
		{"fields of a call", &fieldExpr{recv: &callExpr{}, steps: []fieldStep{field}}, false},
		{"a call", &callExpr{}, false},
		{"a constant", constExpr{reflect.ValueOf("x")}, false},
	} {
		if got := sureExpr(tt.x); got != tt.want {
			t.Errorf("%s: sureExpr = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestConstExprs checks eq with a constant (eqConstExpr) and index with
// a constant (indexConstExpr, keyConstExpr) against the builtins they
// stand for, compare and builtinIndex: the same value, or both leave the
// message to the templates.
func TestConstExprs(t *testing.T) {
	type label string
	var nilSlice []int
	values := []any{0, 1, -1, int8(1), int64(1) << 40, "", "gold", "Gold", label("gold"), true, 1.0, uint(1), nil, []int{1}}
	consts := []any{0, 1, int64(1) << 40, "gold", ""}
	same := func(t *testing.T, what string, got, want reflect.Value, gotErr, wantErr error) {
		t.Helper()
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s: error %v, the builtin's %v", what, gotErr, wantErr)
			return
		}
		if gotErr == nil && (got.IsValid() != want.IsValid() || got.IsValid() && !reflect.DeepEqual(got.Interface(), want.Interface())) {
			t.Errorf("%s = %v, the builtin's %v", what, got, want)
		}
	}
	eq := compare("eq")
	for _, v := range values {
		for _, k := range consts {
			val := constExpr{reflect.ValueOf(v)}
			if v == nil {
				val = constExpr{reflect.Value{}}
			}
			x := eqConst([]expr{val, constExpr{reflect.ValueOf(k)}}, []reflect.Type{reflect.TypeOf(v), reflect.TypeOf(k)}, nil)
			if x == nil {
				continue // not a string or an integer with one
			}
			got, gotErr := x.eval(nil, reflect.Value{})
			want, wantErr := eq(nil, reflect.Value{}, []expr{val, constExpr{reflect.ValueOf(k)}})
			same(t, fmt.Sprintf("eq %#v %#v", v, k), got, want, gotErr, wantErr)
		}
	}
	// A value of type any, which a constant-typed comparison never gets.
	if eqConst([]expr{dotExpr{}, constExpr{reflect.ValueOf(1)}}, []reflect.Type{anyType, intType}, nil) != nil {
		t.Error("eq of a value of type any with a constant was specialized")
	}
	if eqConst([]expr{dotExpr{}, constExpr{reflect.ValueOf(1)}}, []reflect.Type{intType, intType}, dotExpr{}) != nil {
		t.Error("eq with a piped value was specialized")
	}
	var nilMap map[string]string
	for _, m := range []any{map[string]string{"a": "x", "b": ""}, nilMap, map[string]string{}} {
		for _, k := range []string{"a", "b", "c", ""} {
			x := &keyConstExpr{m: constExpr{reflect.ValueOf(m)}, key: k}
			got, gotErr := x.eval(nil, reflect.Value{})
			want, wantErr := builtinIndex(nil, reflect.Value{}, []expr{constExpr{reflect.ValueOf(m)}, constExpr{reflect.ValueOf(k)}})
			same(t, fmt.Sprintf("index %#v %q", m, k), got, want, gotErr, wantErr)
			if got.Type() != want.Type() {
				t.Errorf("index %#v %q: a %v, the builtin's %v", m, k, got.Type(), want.Type())
			}
		}
	}
	for _, slice := range []any{[]int{4, 5, 6}, nilSlice, []string{"a"}} {
		for _, i := range []int{-1, 0, 1, 2, 3} {
			x := &indexConstExpr{slice: constExpr{reflect.ValueOf(slice)}, i: i}
			got, gotErr := x.eval(nil, reflect.Value{})
			want, wantErr := builtinIndex(nil, reflect.Value{}, []expr{constExpr{reflect.ValueOf(slice)}, constExpr{reflect.ValueOf(i)}})
			same(t, fmt.Sprintf("index %#v %d", slice, i), got, want, gotErr, wantErr)
		}
	}
}

// TestFixLine checks the line of a subject or preheader of static text
// alone against what state.line writes running it.
func TestFixLine(t *testing.T) {
	for _, steps := range [][]step{
		{textStep("  Fly further "), textStep("on your points\n")},
		{},
		{textStep(" ")},
		{textStep("Hello "), &actionStep{value: dotExpr{}, mode: outText}},
	} {
		p := &program{steps: steps}
		s := &state{}
		want, err := s.line(p, reflect.ValueOf("Ann"))
		if err != nil {
			t.Fatal(err)
		}
		p.fixLine()
		static := true
		for _, st := range steps {
			_, isText := st.(textStep)
			static = static && isText
		}
		if !static {
			if p.fixed != nil {
				t.Errorf("%v: a line with a value was fixed", steps)
			}
			continue
		}
		if p.fixed == nil {
			t.Fatalf("%v: static text alone was not fixed", steps)
		}
		if got, _ := s.line(p, reflect.Value{}); got != want {
			t.Errorf("%v: fixed line %q, the program writes %q", steps, got, want)
		}
	}
}
