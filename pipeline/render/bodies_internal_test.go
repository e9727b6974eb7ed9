package render

import (
	"bytes"
	"net/url"
	"reflect"
	"strings"
	"testing"
	texttemplate "text/template"
)

// bodiesSource calls templates that write the variant's id in their links
// (@), its facts, or neither, and one ("b") that writes none of its facts
// itself but calls one that does, after another body has compiled it.
const bodiesSource = `{{ define "root" }}<a href="x?v=@">r</a>{{ template "a" . }}|{{ template "b" . }}|{{ template "c" . }}|{{ template "content" . }}{{ end }}
{{- define "a" }}A @-@ {{ .Recipient.FirstName }} {{ template "f" . }}{{ end }}
{{- define "b" }}B {{ template "f" . }} {{ if .Recipient.FirstName }}[@]{{ else }}none{{ end }}{{ end }}
{{- define "c" }}C {{ template "plain" . }} {{ range .Why }}{{ . }} @ {{ end }}@{{ end }}
{{- define "f" }}F {{ .Variant.Tier }}{{ end }}
{{- define "plain" }}P @ {{ .Sender.Name }} {{ template "empty" . }}@{{ if .Recipient.FirstName }} hi @ {{ .Recipient.FirstName }}{{ else }} all{{ end }}{{ end }}
{{- define "empty" }}{{ end }}
{{- define "content" }}K {{ .Variant.ID }} {{ template "c" . }}{{ end }}`

// TestSharedBodies compiles the programs of several variants with one
// bodyCache, as variants compiled from the shared templates are, and
// checks that each writes what its program compiled on its own writes:
// its own id and facts. A body that writes a fact of the variant's, or
// calls one that does, is compiled per variant; the others are shared,
// and a variant's changes to its copies (mapText) reach no other.
func TestSharedBodies(t *testing.T) {
	tmpl, err := texttemplate.New("root").Funcs(Funcs()).Parse(strings.ReplaceAll(bodiesSource, "@", variantSlot))
	if err != nil {
		t.Fatal(err)
	}
	lookup := lookupIn(tmpl)
	dot := reflect.TypeFor[*Data]()
	cache := new(bodyCache)
	for _, v := range []VariantData{{ID: "v0001", Tier: "gold"}, {ID: "v 2&x", Tier: "green"}, {ID: "v0003", Tier: "platinum"}, {ID: "v0001", Tier: "gold"}} {
		fx := fixed{data: reflect.ValueOf(&Data{Variant: v, Sender: Sender{Name: "Meridian"}}), fields: fixedField,
			variant: []byte(url.QueryEscape(v.ID)), perVariant: variantField}
		got, err := compileProgram(outText, tmpl.Lookup("root").Tree, dot, lookup, Funcs(), fx, cache)
		if err != nil {
			t.Fatal(err)
		}
		want, err := compileProgram(outText, tmpl.Lookup("root").Tree, dot, lookup, Funcs(), fx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []*Data{
			{Variant: v, Sender: Sender{Name: "Meridian"}},
			{Variant: v, Sender: Sender{Name: "Meridian"}, Recipient: Recipient{FirstName: "Ann"}, Why: []string{"dining", "travel"}},
		} {
			g, w := runOn(t, got, d), runOn(t, want, d)
			if g != w {
				t.Fatalf("variant %q: the program with shared bodies wrote\n%s\nwant\n%s", v.ID, g, w)
			}
			if id := url.QueryEscape(v.ID); strings.Count(g, id) < 8 || strings.Contains(g, variantSlot) {
				t.Fatalf("variant %q: %q holds the id %d times, want 8 or more, and no slot", v.ID, g, strings.Count(g, id))
			}
		}
		// What a variant does to its copies of the bodies stays its own.
		got.mapText(bytes.ToUpper)
	}
	for _, tt := range []struct {
		name         string
		shared, seen bool
	}{
		{"a", false, true},        // calls f
		{"b", false, true},        // calls f, compiled before for a
		{"c", true, true},         // the id alone
		{"plain", true, true},     // the id and the sender's name
		{"empty", true, true},     //
		{"f", false, true},        // the variant's tier
		{"content", false, false}, // each variant's own
	} {
		body, ok := cache.load(outText, calleeKey{tt.name, dot})
		if ok != tt.seen || (body != nil) != tt.shared {
			t.Errorf("template %q: compiled once %v, shared %v; want %v, %v", tt.name, ok, body != nil, tt.seen, tt.shared)
		}
	}
}

func runOn(t *testing.T, p *program, d *Data) string {
	t.Helper()
	var s state
	b, err := s.runInto(p, reflect.ValueOf(d), nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
