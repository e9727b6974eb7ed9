package render_test

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// checkSet is a small template set that passes Check; the table tests
// break it one way at a time.
var checkSet = map[string]string{
	"layout.html": `<!DOCTYPE html>
<html><head><title>{{ .Sender.Name }}</title></head>
<body>
<div class="preheader">{{ .Variant.Preheader }}</div>
<table>{{ template "content" . }}</table>
{{ template "footer" . }}
</body></html>
`,
	"layout.txt": `{{ template "content" . }}

{{ .Sender.Name }}, {{ .Sender.PostalAddress }}
Unsubscribe: {{ .UnsubscribeURL }}
`,
	"partials/footer.html": `{{ define "footer" }}
<p>{{ with .Variant.InterestNames }}Picked for {{ range $i, $n := . }}{{ if $i }}, {{ end }}{{ $n }}{{ end }}.{{ end }}</p>
<p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a> {{ .Sender.PostalAddress }}</p>
{{ end }}
`,
	"blocks/dining.md": `+++
id = "dining"
interests = ["dining"]
subjects = ["{{ .Recipient.FirstName }}, tables worth booking"]
preheaders = ["4x points at restaurants."]
+++
## Tables worth booking

Earn 4x points.{{ with index .Recipient.TopMerchants "dining" }} Including at {{ . }}.{{ end }}

[See offers](https://example.com/dining?tier={{ .Recipient.Tier }})
`,
	"blocks/everyday.md": `+++
id = "everyday"
default = true
subjects = ["Your card this month"]
preheaders = ["What your card does for you."]
+++
## Everyday benefits

Your card works for {{ .Campaign.MonthName }} and beyond.
`,
}

// edit returns checkSet with files replaced (or removed, when "").
func edit(files map[string]string) fstest.MapFS {
	all := maps.Clone(checkSet)
	maps.Copy(all, files)
	fsys := fstest.MapFS{}
	for name, src := range all {
		if src != "" {
			fsys[name] = &fstest.MapFile{Data: []byte(src)}
		}
	}
	return fsys
}

// replace returns checkSet's file with old replaced by new, failing when
// old is not there.
func replace(t *testing.T, file, old, new string) string {
	t.Helper()
	src := checkSet[file]
	if !strings.Contains(src, old) {
		t.Fatalf("%s has no %q", file, old)
	}
	return strings.Replace(src, old, new, 1)
}

// problem is an expected problem: its file and line, and a part of its
// message.
type problem struct {
	file string
	line int
	msg  string
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		files func(t *testing.T) map[string]string
		opts  render.CheckOptions
		want  []problem
	}{{
		name:  "clean",
		files: func(*testing.T) map[string]string { return nil },
	}, {
		name: "misspelt recipient field",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "Earn 4x points.", "Earn 4x points, {{ .Recipient.Frist }}.")}
		},
		want: []problem{{"blocks/dining.md", 9, ".Recipient.Frist: Recipient has no field Frist (did you mean FirstName?)"}},
	}, {
		name: "field in a branch the sample recipient never reaches",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "[See offers]",
				`{{ with index .Recipient.TopMerchants "fuel" }}Fill up at {{ .Name }}.{{ end }}

[See offers]`)}
		},
		want: []problem{{"blocks/dining.md", 11, ".Name: a string has no fields"}},
	}, {
		name: "map entry the sample recipient lacks",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "Earn 4x points.", "Earn 4x points at {{ .Recipient.TopMerchants.fuel }}.")}
		},
		want: []problem{{"blocks/dining.md", 9, `map has no entry for key "fuel"`}},
	}, {
		name: "images without alt text",
		files: func(t *testing.T) map[string]string {
			return map[string]string{
				"blocks/dining.md": replace(t, "blocks/dining.md", "[See offers]",
					"![](https://example.com/table.jpg)\n\n![A table for two](https://example.com/two.jpg)\n\n<img src=\"https://example.com/raw.jpg\">\n\n[See offers]"),
				"partials/footer.html": replace(t, "partials/footer.html", "<p><a href",
					`<img src="https://example.com/logo.png" alt="">`+"\n"+`<img src="https://example.com/seal.png" title="{{ .Sender.Name }}">`+"\n<p><a href"),
			}
		},
		want: []problem{
			{"blocks/dining.md", 11, "image without alt text"},
			{"blocks/dining.md", 15, "image without alt text"},
			{"partials/footer.html", 4, "image without alt text"},
		},
	}, {
		name: "layout field",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"layout.html": replace(t, "layout.html", "{{ .Sender.Name }}", "{{ .Sender.Phone }}")}
		},
		want: []problem{{"layout.html", 2, ".Sender.Phone: Sender has no field Phone"}},
	}, {
		name: "range variable and $",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"partials/footer.html": replace(t, "partials/footer.html", "{{ $n }}", "{{ $n.Title }} {{ $.Campaign.Mont }}")}
		},
		want: []problem{
			{"partials/footer.html", 2, "$n.Title: a string has no fields"},
			{"partials/footer.html", 2, "$.Campaign.Mont: Campaign has no field Mont (did you mean Month?)"},
		},
	}, {
		name: "unknown template",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"layout.html": replace(t, "layout.html", `{{ template "footer" . }}`, `{{ template "foter" . }}`)}
		},
		want: []problem{{"layout.html", 6, `template "foter" is not defined for the HTML part (did you mean footer?)`}},
	}, {
		name: "template only the HTML part has",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/everyday.md": replace(t, "blocks/everyday.md", "and beyond.", "and beyond.\n\n{{ template \"footer\" . }}")}
		},
		want: []problem{{"blocks/everyday.md", 11, `template "footer" is not defined for the text part`}},
	}, {
		name: "partial no template calls",
		files: func(*testing.T) map[string]string {
			return map[string]string{"partials/spare.html": "{{ define \"spare\" }}\n<p>{{ .Sender.Adress }}</p>\n{{ end }}\n"}
		},
		want: []problem{{"partials/spare.html", 2, ".Sender.Adress: Sender has no field Adress"}},
	}, {
		name: "template defined twice",
		files: func(*testing.T) map[string]string {
			return map[string]string{"partials/more.html": "{{ define \"footer\" }}\n<p>Again</p>\n{{ end }}\n"}
		},
		want: []problem{{"partials/more.html", 1, `template "footer" is also defined in partials/footer.html`}},
	}, {
		name: "subject field",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", ".Recipient.FirstName }}, tables", ".Recipient.Nickname }}, tables")}
		},
		want: []problem{{"blocks/dining.md", 4, "subjects: .Recipient.Nickname: Recipient has no field Nickname"}},
	}, {
		name: "preheader that fails for the sample recipient",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "4x points at restaurants.", "Points at {{ .Recipient.Attrs.branch }}.")}
		},
		want: []problem{{"blocks/dining.md", 5, `preheaders: "Points at {{ .Recipient.Attrs.branch }}.": for the sample recipient: `}},
	}, {
		name: "escaping the layout cannot do",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"layout.html": replace(t, "layout.html", "<body>", `<body>{{ if .Recipient.Tier }}<a href="x{{ end }}">`)}
		},
		want: []problem{{"layout.html", 3, "branches end in different contexts"}},
	}, {
		name: "id and file name differ",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", `id = "dining"`, `id = "food"`)}
		},
		want: []problem{{"blocks/dining.md", 2, `id "food" differs from the file name "dining"`}},
	}, {
		name: "syntax and unknown function",
		files: func(t *testing.T) map[string]string {
			return map[string]string{
				"blocks/dining.md":   replace(t, "blocks/dining.md", "Earn 4x points.", "Earn {{ .Recipient.Tier points."),
				"blocks/everyday.md": replace(t, "blocks/everyday.md", "{{ .Campaign.MonthName }}", "{{ shout .Campaign.MonthName }}"),
			}
		},
		want: []problem{
			{"blocks/dining.md", 9, "points"},
			{"blocks/everyday.md", 9, `function "shout" not defined`},
		},
	}, {
		name: "block that targets nothing",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "interests = [\"dining\"]\n", "")}
		},
		want: []problem{{"blocks/dining.md", -1, "targets nothing"}},
	}, {
		name: "interest the campaign does not know",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", `interests = ["dining"]`, `interests = ["dinning"]`)}
		},
		opts: render.CheckOptions{Vocabulary: variants.Vocabulary{Interests: []string{"dining", "fuel"}}},
		want: []problem{{"blocks/dining.md", 3, "dinning"}},
	}, {
		name: "no default block",
		files: func(*testing.T) map[string]string {
			return map[string]string{"blocks/everyday.md": ""}
		},
		want: []problem{{"blocks", 0, "a cluster that no interest block fits: no content"}},
	}, {
		name: "leading block without subjects",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "subjects = [\"{{ .Recipient.FirstName }}, tables worth booking\"]\n", "")}
		},
		want: []problem{{"blocks/dining.md", 2, "a cluster strongest in dining, which this block leads: missing subject"}},
	}, {
		name: "stylesheet error",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"layout.html": replace(t, "layout.html", "<title>", "<style>\np { color: red }\n  td { padding 4px }\n</style>\n<title>")}
		},
		want: []problem{{"layout.html", 4, `css: property "padding": want ":" and a value`}},
	}, {
		name: "function with too few arguments",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "Earn 4x points.", `Earn {{ money .Recipient.Locale "15" }}.`)}
		},
		want: []problem{{"blocks/dining.md", 9, "money: 2 arguments, want 3: money LOCALE AMOUNT CURRENCY"}},
	}, {
		name: "piped value counts as an argument",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "Earn 4x points.",
				`Earn {{ "12480" | number .Recipient.Locale }}, {{ "2026-10-31" | date .Recipient.Locale "long" "short" }}.`)}
		},
		want: []problem{{"blocks/dining.md", 9, "date: 4 arguments, want 2 or 3"}},
	}, {
		name: "locale that is not a string",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "Earn 4x points.", `Earn {{ number 12480 .Recipient.Locale }}.`)}
		},
		want: []problem{{"blocks/dining.md", 9, "number: the first argument is a locale such as .Recipient.Locale, not a int"}},
	}, {
		name: "the variant's facts and the functions",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "Earn 4x points.",
				`Earn {{ number .Recipient.Locale 4 }}x points for {{ .Variant.Tier }} {{ .Variant.Relationship }} cardmembers: `+
					`{{ range .Variant.Interests }}{{ .Name }} ({{ .ID }}, {{ .Lift }}) {{ end }}{{ money $.Recipient.Locale "15" "USD" }} `+
					`{{ date .Recipient.Locale "2026-10-31" }} {{ date .Recipient.Locale "2026-10-31" "short" }}.`)}
		},
	}, {
		name: "a misspelt fact of the variant",
		files: func(t *testing.T) map[string]string {
			return map[string]string{"blocks/dining.md": replace(t, "blocks/dining.md", "Earn 4x points.", `{{ range .Variant.Interests }}{{ .Nmae }}{{ end }}`)}
		},
		want: []problem{{"blocks/dining.md", 9, ".Nmae: Interest has no field Nmae (did you mean Name?)"}},
	}, {
		name: "several files",
		files: func(t *testing.T) map[string]string {
			return map[string]string{
				"layout.txt":       replace(t, "layout.txt", "{{ .UnsubscribeURL }}", "{{ .UnsubscribeUrl }}"),
				"blocks/dining.md": replace(t, "blocks/dining.md", "{{ .Recipient.Tier }}", "{{ .Recipient.Level }}"),
				"layout.html":      replace(t, "layout.html", "{{ .Variant.Preheader }}", "{{ .Variant.PreHeader }}"),
			}
		},
		want: []problem{
			{"blocks/dining.md", 11, ".Recipient.Level: Recipient has no field Level"},
			{"layout.html", 4, ".Variant.PreHeader: VariantData has no field PreHeader (did you mean Preheader?)"},
			{"layout.txt", 4, ".UnsubscribeUrl: Data has no field UnsubscribeUrl (did you mean UnsubscribeURL?)"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render.Check(edit(tt.files(t)), tt.opts)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			var errs templates.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Check error = %v, want templates.Errors", err)
			}
			if len(errs) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(errs), len(tt.want), errs)
			}
			for i, w := range tt.want {
				if i >= len(errs) {
					break
				}
				e := errs[i]
				if e.File != w.file || (w.line >= 0 && e.Line != w.line) || !strings.Contains(e.Err.Error(), w.msg) {
					t.Errorf("problem %d = %q, want %s:%d: ...%s...", i, e, w.file, w.line, w.msg)
				}
				if strings.Contains(e.Error(), "<no value>") {
					t.Errorf("problem %q holds <no value>", e)
				}
			}
		})
	}
}

// TestCheckDefault checks the built-in set against the default taxonomy,
// the example's tiers and every relationship type: designers start from
// it, and tailor check must pass it.
func TestCheckDefault(t *testing.T) {
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	voc := variants.Vocabulary{Tiers: []string{"green", "gold", "platinum"}}
	for _, in := range tax.Interests() {
		voc.Interests = append(voc.Interests, in.ID)
	}
	for _, rel := range profile.Relationships() {
		voc.Relationships = append(voc.Relationships, string(rel))
	}
	set, err := render.Check(templates.DefaultFS(), render.CheckOptions{Vocabulary: voc})
	if err != nil {
		t.Fatalf("the default set fails the check:\n%v", err)
	}
	if set == nil || len(set.Blocks) == 0 {
		t.Fatal("Check returned no set")
	}
}

// TestCheckSorted checks that problems come sorted by file and line, and
// that the set is returned when only references are wrong.
func TestCheckSorted(t *testing.T) {
	fsys := edit(map[string]string{
		"layout.txt":       "{{ .B }}\n{{ .A }}\n{{ template \"content\" . }}\n",
		"blocks/dining.md": strings.Replace(checkSet["blocks/dining.md"], "## Tables", "{{ .C }}\n## Tables", 1),
	})
	set, err := render.Check(fsys, render.CheckOptions{})
	var errs templates.Errors
	if !errors.As(err, &errs) || set == nil {
		t.Fatalf("Check = %v, %v; want the set and templates.Errors", set, err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"blocks/dining.md:7: .C: Data has no field C",
		"layout.txt:1: .B: Data has no field B",
		"layout.txt:2: .A: Data has no field A",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckLoadErrors checks that a set that does not load reports the
// loader's problems, and no set.
func TestCheckLoadErrors(t *testing.T) {
	set, err := render.Check(edit(map[string]string{"layout.txt": ""}), render.CheckOptions{})
	var errs templates.Errors
	if !errors.As(err, &errs) || set != nil {
		t.Fatalf("Check = %v, %v; want no set and templates.Errors", set, err)
	}
	if len(errs) != 1 || errs[0].File != "layout.txt" {
		t.Errorf("problems = %v, want layout.txt missing", errs)
	}
}

// FuzzCheck feeds Check block bodies and text layouts: it must never
// panic, and a set it passes must compile for the sample recipient, which
// is Check's promise to designers.
func FuzzCheck(f *testing.F) {
	f.Add("## Hi {{ .Recipient.FirstName }}\n\n[Go](https://e.com/?t={{ .Recipient.Tier }})\n", "{{ template \"content\" . }}\n")
	f.Add("{{ with index .Recipient.TopMerchants \"x\" }}{{ .Y }}{{ end }}", "{{ range $i, $v := .Variant.InterestNames }}{{ $v }}{{ end }}{{ template \"content\" . }}")
	f.Add("{{ $x := .Recipient }}{{ $x.Attrs.y }}{{ (.Recipient).Tier }}", "{{ template \"content\" .Recipient }}")
	f.Add("{{ range 3 }}{{ . }}{{ break }}{{ end }}{{ len .Variant }}", "{{ define \"a\" }}{{ template \"a\" .Sender }}{{ end }}{{ template \"content\" . }}")
	f.Fuzz(func(t *testing.T, body, text string) {
		fsys := edit(map[string]string{
			"blocks/dining.md": strings.Replace(checkSet["blocks/dining.md"], "## Tables worth booking\n", body+"\n", 1),
			"layout.txt":       text,
		})
		set, err := render.Check(fsys, render.CheckOptions{})
		if err != nil {
			return
		}
		e, err := render.NewEngine(set, templates.NewMarkdown(), render.Campaign{Name: "c", Month: "2026-10"}, render.Sender{Name: "S"})
		if err != nil {
			t.Fatalf("Check passed, NewEngine failed: %v", err)
		}
		b, _ := set.Block("dining")
		if _, err := e.Compile(variants.Variant{ID: "v0001", Blocks: []string{"dining"}, Subject: b.Subjects[0], Preheader: b.Preheaders[0]}); err != nil {
			t.Fatalf("Check passed, Compile failed: %v", err)
		}
	})
}

// TestCheckStyleError checks that a stylesheet error is reported at its
// file, line and column, as designers' editors read positions.
func TestCheckStyleError(t *testing.T) {
	layout := strings.Replace(checkSet["layout.html"], "<title>", "<style>\np { color: red }\n  td { padding 4px }\n</style>\n<title>", 1)
	_, err := render.Check(edit(map[string]string{"layout.html": layout}), render.CheckOptions{})
	var errs templates.Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("Check = %v, want one problem", err)
	}
	if got, want := errs[0].Error(), `layout.html:4:16: css: property "padding": want ":" and a value`; got != want {
		t.Errorf("problem %q, want %q", got, want)
	}
	// The engine's own error says the same.
	set, err := templates.Load(edit(map[string]string{"layout.html": layout}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = render.NewEngine(set, templates.NewMarkdown(), campaign, sender)
	var se *render.StyleError
	if !errors.As(err, &se) || se.File != "layout.html" || se.Err.Line != 4 || se.Err.Column != 16 {
		t.Fatalf("NewEngine error %v, want a StyleError at layout.html:4:16", err)
	}
	if got, want := err.Error(), `render: layout.html:4:16: css: property "padding": want ":" and a value`; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}
