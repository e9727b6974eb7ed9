package templates

import (
	"testing"
	"testing/fstest"
)

func TestZZProbe(t *testing.T) {
	fs := fstest.MapFS{
		"layout.html": {Data: []byte("<html>{{ template \"content\" . }}</html>")},
		"layout.txt":  {Data: []byte("{{ template \"content\" . }}")},
		"blocks/nofront.md": {Data: []byte("hello\n")},
		"blocks/unclosed.md": {Data: []byte("+++\nid = \"unclosed\"\nhello\n")},
		"blocks/unknown.md": {Data: []byte("+++\nid = \"unknown\"\ntitle = \"x\"\ncolour = \"red\"\n+++\nbody\n")},
		"blocks/wrongtype.md": {Data: []byte("+++\nid = \"wrongtype\"\ntitle = \"x\"\npriority = \"high\"\n+++\nbody\n")},
		"blocks/idiff.md": {Data: []byte("+++\ntitle = \"x\"\nid = \"other\"\n+++\nbody\n")},
		"blocks/empty.md": {Data: []byte("+++\nid = \"empty\"\n+++\n\n  \n")},
		"blocks/syntax.md": {Data: []byte("+++\nid = \"syntax\"\ntitle = \"x\"\n+++\n## Hi\n\nline {{ .Recipient.FirstName }\n")},
		"blocks/subj.md": {Data: []byte("+++\nid = \"subj\"\nsubjects = [\"a\\nb\"]\n+++\nbody\n")},
		"blocks/dupa.md": {Data: []byte("+++\nid = \"dupa\"\n+++\nbody\n")},
	}
	_, err := Load(fs)
	t.Logf("%v", err)
	m := NewMarkdown()
	for _, src := range []string{
		"[x](https://e.com/?t={{ .Recipient.Tier }})\n",
		"![alt {{ .A }}](https://e.com/{{ .B }}.png)\n",
		"# Head {{ .A }}\n\n- item {{ .B }}\n- *em {{ .C }}*\n\n| a | b |\n|---|---|\n| {{ .X }} | {{ .Y }} |\n",
		"Hi {{ .Recipient.FirstName | printf \"%s\" }} and {{ .Z }}\n",
		"> quote {{ .A }}\n> more\n",
		"1. one\n2. two\n   - nested\n   - nested2\n3. three\n",
	} {
		h, _ := m.HTML(src)
		t.Logf("HTML:\n%s\nTEXT:\n%s", h, m.Text(src, 78))
	}
}
