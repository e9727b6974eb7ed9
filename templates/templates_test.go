package templates_test

import (
	"errors"
	"flag"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

var update = flag.Bool("update", false, "rewrite golden files")

// taxonomy is every interest id of the profile taxonomy but "other", which
// no block serves.
var taxonomy = []string{
	"dining", "groceries", "fuel", "airlines", "lodging", "car_rental",
	"travel_services", "transit", "entertainment", "digital", "fashion",
	"department_stores", "electronics", "home_garden", "health_beauty",
	"fitness_sports", "education", "family_kids", "pets", "luxury", "auto",
	"charity", "utilities",
}

func TestDefault(t *testing.T) {
	set, err := templates.Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	if set.HTML.Name != templates.LayoutHTML || set.HTML.Source == "" {
		t.Errorf("HTML layout = %q (%d bytes)", set.HTML.Name, len(set.HTML.Source))
	}
	if set.Text.Name != templates.LayoutText || set.Text.Source == "" {
		t.Errorf("text layout = %q (%d bytes)", set.Text.Name, len(set.Text.Source))
	}
	if len(set.Partials) == 0 {
		t.Error("no partials")
	}
	positions := map[string]int{}
	bodyFor := map[string][]string{}
	defaults := 0
	for _, b := range set.Blocks {
		t.Run(b.ID, func(t *testing.T) {
			if want := "blocks/" + b.ID + ".md"; b.File != want {
				t.Errorf("file %q, want %q", b.File, want)
			}
			if got, ok := set.Block(b.ID); !ok || got.File != b.File {
				t.Errorf("Block(%q) = %v, %v", b.ID, got, ok)
			}
			if strings.TrimSpace(b.Body) == "" {
				t.Error("empty body")
			}
			if b.BodyLine < 3 {
				t.Errorf("BodyLine = %d: the body cannot start before line 3", b.BodyLine)
			}
			if pos := b.Position; pos == "" || pos == variants.PositionBody {
				// A body block may lead a variant: the house style
				// gives it 2-3 subjects and 2 preheaders.
				if len(b.Subjects) < 2 || len(b.Subjects) > 3 || len(b.Preheaders) != 2 {
					t.Errorf("body block with %d subjects and %d preheaders", len(b.Subjects), len(b.Preheaders))
				}
			}
		})
		pos := b.Position
		if pos == "" {
			pos = variants.PositionBody
		}
		positions[pos]++
		if pos == variants.PositionBody {
			for _, in := range b.Interests {
				bodyFor[in] = append(bodyFor[in], b.ID)
			}
		}
		if b.Default {
			defaults++
		}
	}
	for _, in := range taxonomy {
		if len(bodyFor[in]) == 0 {
			t.Errorf("interest %q has no body block", in)
		}
	}
	if positions[variants.PositionIntro] != 1 || positions[variants.PositionClosing] != 1 {
		t.Errorf("%d intro and %d closing blocks, want one of each", positions[variants.PositionIntro], positions[variants.PositionClosing])
	}
	if defaults == 0 {
		t.Error("no default block")
	}
	if err := set.Validate(vocabulary); err != nil {
		t.Errorf("Validate(vocabulary):\n%v", err)
	}
	// Every tier and relationship type has its block, and the blocks
	// that serve them are the tier and retention blocks Build places.
	for _, f := range []struct {
		slot   string
		values []string
		of     func(b *templates.Block) []string
	}{
		{variants.SlotTier, vocabulary.Tiers, func(b *templates.Block) []string { return b.Tiers }},
		{variants.SlotRetention, vocabulary.Relationships, func(b *templates.Block) []string { return b.Relationships }},
	} {
		served := map[string]bool{}
		for i := range set.Blocks {
			if b := &set.Blocks[i]; b.Slot() == f.slot {
				for _, v := range f.of(b) {
					served[v] = true
				}
			}
		}
		for _, v := range f.values {
			if !served[v] {
				t.Errorf("no %s block for %q", f.slot, v)
			}
		}
	}
	if len(set.Meta()) != len(set.Blocks) {
		t.Errorf("Meta has %d blocks, want %d", len(set.Meta()), len(set.Blocks))
	}
	again, err := templates.Load(templates.DefaultFS())
	if err != nil {
		t.Fatalf("Load(DefaultFS()): %v", err)
	}
	if again.Hash() != set.Hash() || again.MetaHash() != set.MetaHash() {
		t.Error("loading the default set twice gives different hashes")
	}
}

// vocabulary is what the default set may target: the taxonomy with
// "other", the example campaign's tiers and the relationship types.
var vocabulary = variants.Vocabulary{
	Interests:     append(append([]string(nil), taxonomy...), "other"),
	Tiers:         []string{"green", "gold", "platinum"},
	Relationships: []string{"lost-for-good", "intermediate", "always-a-share", "lapsing", "lost", "inactive"},
}

const (
	okLayoutHTML = "<html><body>\n{{ template \"content\" . }}\n</body></html>\n"
	okLayoutText = "{{ template \"content\" . }}\n"
	okBlock      = "+++\nid = \"ok\"\ntitle = \"Fine\"\ninterests = [\"dining\"]\nsubjects = [\"Hi {{ .Recipient.FirstName }}\"]\npreheaders = [\"A preheader\"]\n+++\n## Hello {{ .Recipient.FirstName }}\n\nText.\n"
)

// baseFS returns a small valid template set.
func baseFS() fstest.MapFS {
	return fstest.MapFS{
		"layout.html":          {Data: []byte(okLayoutHTML)},
		"layout.txt":           {Data: []byte(okLayoutText)},
		"partials/footer.html": {Data: []byte("{{ define \"footer\" }}<p>{{ .Sender.Name }}</p>{{ end }}\n")},
		"blocks/ok.md":         {Data: []byte(okBlock)},
	}
}

func TestLoadValid(t *testing.T) {
	set, err := templates.Load(baseFS())
	if err != nil {
		t.Fatal(err)
	}
	b, ok := set.Block("ok")
	if !ok {
		t.Fatal(`Block("ok") not found`)
	}
	if b.BodyLine != 8 {
		t.Errorf("BodyLine = %d, want 8", b.BodyLine)
	}
	if want := "## Hello {{ .Recipient.FirstName }}\n\nText.\n"; b.Body != want {
		t.Errorf("Body = %q, want %q", b.Body, want)
	}
	if b.Title != "Fine" || len(b.Interests) != 1 || b.Interests[0] != "dining" || len(b.Subjects) != 1 {
		t.Errorf("front matter decoded as %+v", b.Block)
	}
	if _, ok := set.Block("missing"); ok {
		t.Error(`Block("missing") found`)
	}
	if len(set.Partials) != 1 || set.Partials[0].Name != "partials/footer.html" {
		t.Errorf("Partials = %v", set.Partials)
	}
}

// dupFS lists every file of the blocks directory twice, as a broken overlay
// file system could.
type dupFS struct{ fs.FS }

func (d dupFS) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(d.FS, name)
	if name == templates.BlocksDir {
		es = append(es, es...)
	}
	return es, err
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // "" removes the file
		fsys  func(fstest.MapFS) fs.FS
		want  []string // the lines of Errors.Error(), in order
	}{{
		name:  "missing front matter",
		files: map[string]string{"blocks/nofront.md": "## Hello\n\nText.\n"},
		want:  []string{`blocks/nofront.md:1: want front matter: a first line "+++", TOML, then "+++"`},
	}, {
		name:  "unclosed front matter",
		files: map[string]string{"blocks/open.md": "+++\nid = \"open\"\n## Hello\n\nText.\n"},
		want:  []string{`blocks/open.md:1: front matter is not closed by a "+++" line`},
	}, {
		name:  "front matter closed by a longer line",
		files: map[string]string{"blocks/open.md": "+++\nid = \"open\"\n++++\nText.\n"},
		want:  []string{`blocks/open.md:1: front matter is not closed by a "+++" line`},
	}, {
		name:  "a share of spend out of range",
		files: map[string]string{"blocks/strong.md": "+++\nid = \"strong\"\ninterests = [\"fuel\"]\nmin_share = 0.6\nmax_share = 0.4\n+++\nText.\n"},
		want:  []string{`blocks/strong.md:5: front matter: max_share: 0.4 is not above min_share 0.6: no cluster could get the block`},
	}, {
		name:  "unknown key",
		files: map[string]string{"blocks/extra.md": "+++\nid = \"extra\"\ntitle = \"x\"\ncolour = \"red\"\ninterests = [\"dining\"]\n+++\nText.\n"},
		want:  []string{`blocks/extra.md:4: front matter: unknown key colour (known: id, title, interests, tiers, relationships, locales, attributes, replaces, position, priority, min_share, max_share, default, subjects, preheaders)`},
	}, {
		name:  "wrong type",
		files: map[string]string{"blocks/typed.md": "+++\nid = \"typed\"\ntitle = \"x\"\npriority = \"high\"\n+++\nText.\n"},
		want:  []string{`blocks/typed.md:4: front matter: toml: cannot decode TOML string into struct field variants.Block.Priority of type int`},
	}, {
		name:  "tiers not an array",
		files: map[string]string{"blocks/tiered.md": "+++\nid = \"tiered\"\ntiers = \"gold\"\n+++\nText.\n"},
		want:  []string{`blocks/tiered.md:3: front matter: toml: cannot decode TOML string into struct field variants.Block.Tiers of type []string`},
	}, {
		name:  "block targeting nothing",
		files: map[string]string{"blocks/aimless.md": "+++\n# a block for nobody\nid = \"aimless\"\ntitle = \"x\"\nsubjects = [\"s\"]\n+++\nText.\n"},
		want:  []string{`blocks/aimless.md:3: front matter: targets nothing: give it interests, tiers or relationships, mark it default, or name the block it replaces`},
	}, {
		name:  "block targeting nothing with empty lists",
		files: map[string]string{"blocks/aimless.md": "+++\nid = \"aimless\"\ninterests = []\ntiers = []\nrelationships = []\nposition = \"body\"\n+++\nText.\n"},
		want:  []string{`blocks/aimless.md:2: front matter: targets nothing: give it interests, tiers or relationships, mark it default, or name the block it replaces`},
	}, {
		name:  "unknown position",
		files: map[string]string{"blocks/foot.md": "+++\nid = \"foot\"\ndefault = true\nposition = \"footer\"\n+++\nText.\n"},
		want:  []string{`blocks/foot.md:4: front matter: position: unknown position "footer" (want intro, body, closing)`},
	}, {
		name:  "tier and retention blocks target something",
		files: map[string]string{"blocks/gold.md": "+++\nid = \"gold\"\ntiers = [\"gold\"]\n+++\nText.\n", "blocks/back.md": "+++\nid = \"back\"\nrelationships = [\"lapsing\"]\n+++\n{{ end }}\n"},
		want:  []string{`blocks/back.md:5: unexpected {{end}}`},
	}, {
		name:  "missing id",
		files: map[string]string{"blocks/anon.md": "+++\ntitle = \"x\"\n+++\nText.\n"},
		want:  []string{`blocks/anon.md:2: front matter: missing id (use id = "anon")`},
	}, {
		name:  "id differs from the file name",
		files: map[string]string{"blocks/dining.md": "+++\ntitle = \"x\"\nid = \"dinner\"\n+++\nText.\n"},
		want:  []string{`blocks/dining.md:3: front matter: id "dinner" differs from the file name "dining"`},
	}, {
		name: "duplicate ids",
		fsys: func(m fstest.MapFS) fs.FS { return dupFS{m} },
		want: []string{`blocks/ok.md:2: block id "ok" already used by blocks/ok.md`},
	}, {
		name:  "empty body",
		files: map[string]string{"blocks/empty.md": "+++\nid = \"empty\"\ntitle = \"x\"\n+++\n\n   \n"},
		want:  []string{`blocks/empty.md:5: empty body`},
	}, {
		name:  "template syntax error in a body",
		files: map[string]string{"blocks/syntax.md": "+++\nid = \"syntax\"\ntitle = \"x\"\ninterests = [\"fuel\"]\n+++\n## Hi\n\nDear {{ .Recipient.FirstName }\n"},
		want:  []string{`blocks/syntax.md:8: unexpected "}" in operand`},
	}, {
		name:  "syntax error in a body with CRLF and a BOM",
		files: map[string]string{"blocks/crlf.md": "\uFEFF+++\r\nid = \"crlf\"\r\ninterests = [\"fuel\"]\r\n+++\r\n## Hi\r\n\r\n\r\nDear {{ .Recipient.FirstName }\r\nBye\r\n"},
		want:  []string{`blocks/crlf.md:8: unexpected "}" in operand`},
	}, {
		name:  "unknown function in a body",
		files: map[string]string{"blocks/fn.md": "+++\nid = \"fn\"\ninterests = [\"fuel\"]\n+++\nHello\n{{ nickname .Recipient }}\n"},
		want:  []string{`blocks/fn.md:6: function "nickname" not defined`},
	}, {
		name:  "syntax error in the layout",
		files: map[string]string{"layout.html": "<html>\n<body>\n{{ template \"content\" . }\n</body>\n"},
		want:  []string{`layout.html:3: unexpected "}" in operand`},
	}, {
		name:  "syntax error in a partial",
		files: map[string]string{"partials/header.html": "{{ define \"header\" }}\n<p>{{ .Sender.Name }</p>\n{{ end }}\n"},
		want:  []string{`partials/header.html:2: unexpected "}" in operand`},
	}, {
		name:  "missing layout.html",
		files: map[string]string{"layout.html": ""},
		want:  []string{`layout.html: open layout.html: file does not exist`},
	}, {
		name:  "no blocks",
		files: map[string]string{"blocks/ok.md": ""},
		want:  []string{`blocks: no content blocks (*.md)`},
	}, {
		name:  "subject with a line break",
		files: map[string]string{"blocks/subj.md": "+++\nid = \"subj\"\ninterests = [\"fuel\"]\nsubjects = [\n  \"fine\",\n  \"two\\nlines\",\n]\n+++\nText.\n"},
		want:  []string{`blocks/subj.md:4: front matter: subjects: "two\nlines" has a line break`},
	}, {
		name:  "preheader with a carriage return",
		files: map[string]string{"blocks/pre.md": "+++\nid = \"pre\"\ninterests = [\"fuel\"]\nsubjects = [\"s\"]\npreheaders = [\"a\\rb\"]\n+++\nText.\n"},
		want:  []string{`blocks/pre.md:5: front matter: preheaders: "a\rb" has a line break`},
	}, {
		name:  "subject with a syntax error",
		files: map[string]string{"blocks/subj.md": "+++\nid = \"subj\"\ninterests = [\"fuel\"]\ntitle = \"t\"\nsubjects = [\"Hi {{ .Recipient.FirstName \"]\n+++\nText.\n"},
		want:  []string{`blocks/subj.md:5: unclosed action`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseFS()
			for name, src := range tt.files {
				if src == "" {
					delete(m, name)
				} else {
					m[name] = &fstest.MapFile{Data: []byte(src)}
				}
			}
			var fsys fs.FS = m
			if tt.fsys != nil {
				fsys = tt.fsys(m)
			}
			set, err := templates.Load(fsys)
			if err == nil {
				t.Fatalf("Load succeeded with %d blocks, want errors", len(set.Blocks))
			}
			if set != nil {
				t.Error("Load returned a set with its errors")
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			var es templates.Errors
			if !errors.As(err, &es) || len(es) != len(tt.want) {
				t.Fatalf("error is %T with %d problems, want Errors with %d", err, len(es), len(tt.want))
			}
			for _, e := range es {
				if e.File == "" || e.Err == nil {
					t.Errorf("problem without file or cause: %+v", e)
				}
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	m := baseFS()
	delete(m, "layout.txt")
	m["blocks/a-nofront.md"] = &fstest.MapFile{Data: []byte("Hello\n")}
	m["blocks/b-badid.md"] = &fstest.MapFile{Data: []byte("+++\nid = \"bee\"\n+++\nText\n")}
	m["blocks/c-syntax.md"] = &fstest.MapFile{Data: []byte("+++\nid = \"c-syntax\"\ninterests = [\"fuel\"]\n+++\n{{ end }}\n")}
	m["blocks/d-subject.md"] = &fstest.MapFile{Data: []byte("+++\nid = \"d-subject\"\ninterests = [\"fuel\"]\nsubjects = [\"a\\r\\nBcc: x@example.com\"]\n+++\nText\n")}
	_, err := templates.Load(m)
	want := strings.Join([]string{
		`layout.txt: open layout.txt: file does not exist`,
		`blocks/a-nofront.md:1: want front matter: a first line "+++", TOML, then "+++"`,
		`blocks/b-badid.md:2: front matter: id "bee" differs from the file name "b-badid"`,
		`blocks/c-syntax.md:5: unexpected {{end}}`,
		`blocks/d-subject.md:4: front matter: subjects: "a\r\nBcc: x@example.com" has a line break`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	var es templates.Errors
	if !errors.As(err, &es) || len(es) != 5 {
		t.Fatalf("got %d problems, want 5", len(es))
	}
	var pe *fs.PathError
	if !errors.As(es[0], &pe) || !errors.Is(es[0], fs.ErrNotExist) {
		t.Errorf("the missing layout does not unwrap to fs.ErrNotExist: %v", es[0])
	}
}

func TestHash(t *testing.T) {
	base, err := templates.Load(baseFS())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		file, src  string
		hashSame   bool
		metaSame   bool
		removeFile bool
	}{
		{name: "no edit", file: "blocks/ok.md", src: okBlock, hashSame: true, metaSame: true},
		{name: "body wording", file: "blocks/ok.md", src: strings.Replace(okBlock, "Text.", "Texts.", 1), metaSame: true},
		{name: "body whitespace", file: "blocks/ok.md", src: okBlock + "\n", metaSame: true},
		{name: "front matter value", file: "blocks/ok.md", src: strings.Replace(okBlock, `title = "Fine"`, `title = "Finer"`, 1)},
		{name: "front matter subject", file: "blocks/ok.md", src: strings.Replace(okBlock, `"Hi {{`, `"Hello {{`, 1)},
		{name: "front matter tiers", file: "blocks/ok.md", src: strings.Replace(okBlock, "+++\n##", "tiers = [\"gold\"]\n+++\n##", 1)},
		{name: "front matter relationships", file: "blocks/ok.md", src: strings.Replace(okBlock, "+++\n##", "relationships = [\"lapsing\"]\n+++\n##", 1)},
		{name: "front matter priority", file: "blocks/ok.md", src: strings.Replace(okBlock, "+++\n##", "priority = 3\n+++\n##", 1)},
		{name: "front matter comment", file: "blocks/ok.md", src: strings.Replace(okBlock, "+++\n##", "# a designer's note\n+++\n##", 1), metaSame: true},
		{name: "front matter reformatted", file: "blocks/ok.md", src: strings.Replace(okBlock, `title = "Fine"`, `title   =   'Fine'`, 1), metaSame: true},
		{name: "CRLF line endings", file: "blocks/ok.md", src: strings.ReplaceAll(okBlock, "\n", "\r\n"), metaSame: true},
		{name: "HTML layout", file: "layout.html", src: okLayoutHTML + "<!-- -->\n", metaSame: true},
		{name: "text layout", file: "layout.txt", src: "Hi\n" + okLayoutText, metaSame: true},
		{name: "partial", file: "partials/footer.html", src: "{{ define \"footer\" }}<p>{{ .Sender.PostalAddress }}</p>{{ end }}\n", metaSame: true},
		{name: "new partial", file: "partials/header.html", src: "{{ define \"header\" }}<p>Hi</p>{{ end }}\n", metaSame: true},
		{name: "new block", file: "blocks/more.md", src: strings.Replace(okBlock, `id = "ok"`, `id = "more"`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseFS()
			m[tt.file] = &fstest.MapFile{Data: []byte(tt.src)}
			set, err := templates.Load(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := set.Hash() == base.Hash(); got != tt.hashSame {
				t.Errorf("Hash unchanged = %v, want %v", got, tt.hashSame)
			}
			if got := set.MetaHash() == base.MetaHash(); got != tt.metaSame {
				t.Errorf("MetaHash unchanged = %v, want %v", got, tt.metaSame)
			}
			if len(set.Hash()) != 64 || len(set.MetaHash()) != 64 {
				t.Errorf("hashes %q and %q are not hex SHA-256", set.Hash(), set.MetaHash())
			}
		})
	}
}

// TestUsedHash checks that a newsletter's hash follows the files it reads:
// the layouts, the partials and its own blocks, and no other block.
func TestUsedHash(t *testing.T) {
	other := strings.Replace(okBlock, `id = "ok"`, `id = "other"`, 1)
	withOther := func() fstest.MapFS {
		m := baseFS()
		m["blocks/other.md"] = &fstest.MapFile{Data: []byte(other)}
		return m
	}
	base, err := templates.Load(withOther())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name              string
		file, src         string
		okSame, otherSame bool
	}{
		{name: "no edit", file: "blocks/ok.md", src: okBlock, okSame: true, otherSame: true},
		{name: "the block's body", file: "blocks/ok.md", src: strings.Replace(okBlock, "Text.", "Texts.", 1), otherSame: true},
		{name: "the block's front matter", file: "blocks/ok.md", src: strings.Replace(okBlock, `title = "Fine"`, `title = "Finer"`, 1), otherSame: true},
		{name: "the other block", file: "blocks/other.md", src: strings.Replace(other, "Text.", "Texts.", 1), okSame: true},
		{name: "HTML layout", file: "layout.html", src: okLayoutHTML + "<!-- -->\n"},
		{name: "text layout", file: "layout.txt", src: "Hi\n" + okLayoutText},
		{name: "partial", file: "partials/footer.html", src: "{{ define \"footer\" }}<p>{{ .Sender.PostalAddress }}</p>{{ end }}\n"},
		{name: "new partial", file: "partials/header.html", src: "{{ define \"header\" }}<p>Hi</p>{{ end }}\n"},
		{name: "new block", file: "blocks/more.md", src: strings.Replace(okBlock, `id = "ok"`, `id = "more"`, 1), okSame: true, otherSame: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := withOther()
			m[tt.file] = &fstest.MapFile{Data: []byte(tt.src)}
			set, err := templates.Load(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := set.UsedHash([]string{"ok"}) == base.UsedHash([]string{"ok"}); got != tt.okSame {
				t.Errorf("UsedHash(ok) unchanged = %v, want %v", got, tt.okSame)
			}
			if got := set.UsedHash([]string{"other"}) == base.UsedHash([]string{"other"}); got != tt.otherSame {
				t.Errorf("UsedHash(other) unchanged = %v, want %v", got, tt.otherSame)
			}
		})
	}
	if base.UsedHash([]string{"ok", "other"}) == base.UsedHash([]string{"other", "ok"}) {
		t.Error("UsedHash does not follow the blocks' order")
	}
	if base.UsedHash([]string{"ok"}) == base.UsedHash([]string{"ok", "other"}) {
		t.Error("UsedHash does not change with a block more")
	}
}

// TestDefaultFSIsTheSet checks that DefaultFS serves the files Default
// loads, so a designer who copies it starts from the real set.
func TestDefaultFSIsTheSet(t *testing.T) {
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.Files() {
		src, err := fs.ReadFile(templates.DefaultFS(), f.Name)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if path.Dir(f.Name) == templates.BlocksDir {
			if !strings.HasSuffix(strings.ReplaceAll(string(src), "\r\n", "\n"), f.Source) {
				t.Errorf("%s: body is not the end of the file", f.Name)
			}
		} else if string(src) != f.Source {
			t.Errorf("%s: source differs from the file", f.Name)
		}
	}
}

func TestSetValidate(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // the lines of Errors.Error(), in order; none for a valid set
	}{{
		name:  "known values",
		files: map[string]string{"blocks/gold.md": "+++\nid = \"gold\"\ninterests = [\"fuel\"]\ntiers = [\"gold\", \"platinum\"]\nrelationships = [\"lapsing\"]\n+++\nText.\n"},
	}, {
		name:  "unknown interest",
		files: map[string]string{"blocks/ok.md": strings.Replace(okBlock, `["dining"]`, `["dinning"]`, 1)},
		want:  []string{`blocks/ok.md:4: front matter: interests: unknown interest "dinning" (did you mean "dining"?)`},
	}, {
		name:  "unknown values on their own lines",
		files: map[string]string{"blocks/tiers.md": "+++\nid = \"tiers\"\ntiers = [\n  \"green\",\n  'silver',\n  \"gold\",\n  \"diamond\", # new next year\n]\nrelationships = [\"lapsing\", \"loyal\"]\n+++\nText.\n"},
		want: []string{
			`blocks/tiers.md:5: front matter: tiers: unknown tier "silver" (want green, gold, platinum)`,
			`blocks/tiers.md:7: front matter: tiers: unknown tier "diamond" (want green, gold, platinum)`,
			`blocks/tiers.md:9: front matter: relationships: unknown relationship type "loyal" (want lost-for-good, lapsing)`,
		},
	}, {
		name:  "a value written with an escape falls back to its key",
		files: map[string]string{"blocks/esc.md": "+++\nid = \"esc\"\ntitle = \"x\"\nrelationships = [\n  \"lapsin\\u0067\",\n  \"lo\\u0073t-for-goods\",\n]\n+++\nText.\n"},
		want:  []string{`blocks/esc.md:4: front matter: relationships: unknown relationship type "lost-for-goods" (did you mean "lost-for-good"?)`},
	}, {
		name:  "a key in a comment is not the key",
		files: map[string]string{"blocks/note.md": "+++\nid = \"note\"\n# tiers = [\"gold\"] once the gold launch is confirmed\n  tiers=['bronze']\n+++\nText.\n"},
		want:  []string{`blocks/note.md:4: front matter: tiers: unknown tier "bronze" (want green, gold, platinum)`},
	}, {
		name:  "CRLF and a byte-order mark",
		files: map[string]string{"blocks/crlf.md": "\uFEFF+++\r\nid = \"crlf\"\r\n\r\ntiers = [\"gold\"]\r\ninterests = [\"fuel\", \"sailing\"]\r\n+++\r\nText.\r\n"},
		want:  []string{`blocks/crlf.md:5: front matter: interests: unknown interest "sailing"`},
	}, {
		name: "every block in file order",
		files: map[string]string{
			"blocks/b.md": "+++\nid = \"b\"\ntiers = [\"silver\"]\n+++\nText.\n",
			"blocks/a.md": "+++\nid = \"a\"\nposition = \"intro\"\nrelationships = [\"loyal\"]\n+++\nText.\n",
		},
		want: []string{
			`blocks/a.md:4: front matter: relationships: unknown relationship type "loyal" (want lost-for-good, lapsing)`,
			`blocks/b.md:3: front matter: tiers: unknown tier "silver" (want green, gold, platinum)`,
		},
	}}
	voc := variants.Vocabulary{
		Interests:     []string{"dining", "fuel", "pets", "groceries", "travel", "airlines", "lodging", "transit", "other"},
		Tiers:         []string{"green", "gold", "platinum"},
		Relationships: []string{"lost-for-good", "lapsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseFS()
			for name, src := range tt.files {
				m[name] = &fstest.MapFile{Data: []byte(src)}
			}
			set, err := templates.Load(m)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := set.Validate(variants.Vocabulary{}); err != nil {
				t.Errorf("Validate with an empty vocabulary: %v", err)
			}
			err = set.Validate(voc)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate succeeded, want errors")
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			var es templates.Errors
			if !errors.As(err, &es) || len(es) != len(tt.want) {
				t.Fatalf("error is %T with %d problems, want Errors with %d", err, len(es), len(tt.want))
			}
		})
	}
}
