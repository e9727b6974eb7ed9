package templates_test

import (
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/tailor-mail/tailor/templates"
)

func TestClusterReads(t *testing.T) {
	block := func(front, body string) string {
		return "+++\nid = \"ok\"\ninterests = [\"dining\"]\n" + front + "+++\n" + body
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"none", nil, nil},
		{"id, subject and preheader are the shared newsletter's", map[string]string{
			"layout.txt": "{{ template \"content\" . }}\nRef. {{ .Variant.ID }} {{ .Variant.Subject }} {{ $.Variant.Preheader }}\n",
		}, nil},
		{"a block writes the label", map[string]string{
			"blocks/ok.md": block("", "## Hi\n\nFor {{ .Variant.Label }}.\n"),
		}, []string{"blocks/ok.md:7: .Variant.Label"}},
		{"a partial ranges over the interests", map[string]string{
			"partials/footer.html": "{{ define \"footer\" }}\n{{ range .Variant.InterestNames }}{{ . }}{{ end }}{{ end }}\n",
		}, []string{"partials/footer.html:2: .Variant.InterestNames"}},
		{"the whole variant, through with and a variable", map[string]string{
			"layout.html": "<html>{{ with .Variant }}{{ .Tier }}{{ end }}\n{{ $v := $.Variant }}{{ template \"content\" . }}</html>\n",
		}, []string{"layout.html:1: .Variant", "layout.html:2: .Variant"}},
		{"a chain", map[string]string{
			"layout.txt": "{{ template \"content\" . }}\n{{ (.Variant).Relationship }}\n",
		}, []string{"layout.txt:2: .Variant"}},
		{"a subject", map[string]string{
			"blocks/ok.md": block("subjects = [\"For {{ .Variant.Label }}\"]\n", "## Hi\n"),
		}, []string{"blocks/ok.md: .Variant.Label"}},
		{"inside a define and an if", map[string]string{
			"partials/footer.html": "{{ define \"footer\" }}{{ if .Recipient.Tier }}\n{{ .Variant.Tier }}{{ else }}{{ .Variant.ID }}{{ end }}{{ end }}\n",
		}, []string{"partials/footer.html:2: .Variant.Tier"}},
		{"a recipient's own tier is no cluster fact", map[string]string{
			"blocks/ok.md": block("", "## {{ .Recipient.Tier }} {{ .Recipient.Relationship }}\n"),
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := baseFS()
			for name, src := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(src)}
			}
			set, err := templates.Load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			if got := set.ClusterReads(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ClusterReads = %q, want %q", got, tt.want)
			}
		})
	}
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	if got := set.ClusterReads(); len(got) > 0 {
		t.Errorf("the default set reads its clusters' facts: %q; its clusters with the same plan could not share a newsletter", got)
	}
}
