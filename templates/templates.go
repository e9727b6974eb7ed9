// Package templates holds the designers' files, a layout, partials and
// Markdown content blocks, and their loader. The default set is embedded in
// the binary; Load reads any other set from an fs.FS, such as a campaign's
// templates folder. The package also owns the Markdown engine (goldmark),
// which turns blocks into HTML and plain text while keeping template actions
// intact.
package templates

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"

	"github.com/pelletier/go-toml/v2"
	"github.com/tailor-mail/tailor/variants"
)

//go:embed all:default
var defaultFiles embed.FS

// Files of a template set.
const (
	LayoutHTML  = "layout.html"
	LayoutText  = "layout.txt"
	PartialsDir = "partials"
	BlocksDir   = "blocks"
)

// File is one file of a template set.
type File struct {
	// Name is the slash-separated path inside the set, e.g. "partials/footer.html".
	Name   string
	Source string
}

// Block is a content block: its planning metadata from the front matter and
// its Markdown body.
type Block struct {
	variants.Block
	// File is the block's path inside the set; BodyLine is the line of the
	// file where the Markdown body starts, for error positions.
	File     string
	BodyLine int
	Body     string
	// source is the file as read, for Hash; front is its front matter,
	// for the positions of errors found after parsing.
	source string
	front  string
}

// Set is a loaded template set.
type Set struct {
	HTML     File
	Text     File
	Partials []File // sorted by name; .html partials go with the HTML layout, .txt with the text one
	Blocks   []Block
	index    map[string]int
	hash     string
	metaHash string
	// shared identifies the layouts and partials; blockHash each block's
	// file, by block id: UsedHash combines them.
	shared    string
	blockHash map[string]string
}

// Default returns the embedded default template set.
func Default() (*Set, error) {
	sub, err := fs.Sub(defaultFiles, "default")
	if err != nil {
		return nil, err
	}
	return Load(sub)
}

// DefaultFS returns the embedded default template set as a file system, for
// designers who want to start a set of their own from it.
func DefaultFS() fs.FS {
	sub, _ := fs.Sub(defaultFiles, "default") // cannot fail: the directory is embedded
	return sub
}

// Error is a problem in a template file, with its position.
type Error struct {
	File   string
	Line   int // 0 when unknown
	Column int // 0 when unknown
	Err    error
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in a set.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Load reads a template set from fsys: layout.html, layout.txt, partials/*
// and blocks/*.md. It checks front matter and template syntax, and returns
// every problem at once as Errors.
func Load(fsys fs.FS) (*Set, error) {
	s := &Set{index: map[string]int{}}
	var errs Errors
	read := func(name string) (string, bool) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, &Error{File: name, Err: err})
			return "", false
		}
		return string(b), true
	}
	if src, ok := read(LayoutHTML); ok {
		s.HTML = File{LayoutHTML, src}
	}
	if src, ok := read(LayoutText); ok {
		s.Text = File{LayoutText, src}
	}
	partials, _ := fs.Glob(fsys, PartialsDir+"/*")
	for _, name := range partials {
		if ext := path.Ext(name); ext != ".html" && ext != ".txt" {
			continue
		}
		if src, ok := read(name); ok {
			s.Partials = append(s.Partials, File{name, src})
		}
	}
	blocks, _ := fs.Glob(fsys, BlocksDir+"/*.md")
	if len(blocks) == 0 {
		errs = append(errs, &Error{File: BlocksDir, Err: errors.New("no content blocks (*.md)")})
	}
	for _, name := range blocks {
		src, ok := read(name)
		if !ok {
			continue
		}
		b, err := parseBlock(name, src)
		if err != nil {
			errs = append(errs, err.(*Error))
			continue
		}
		if prev, dup := s.index[b.ID]; dup {
			errs = append(errs, &Error{File: name, Line: lineOf(b.front, "id") + 1, Err: fmt.Errorf("block id %q already used by %s", b.ID, s.Blocks[prev].File)})
			continue
		}
		s.index[b.ID] = len(s.Blocks)
		s.Blocks = append(s.Blocks, b)
	}
	for _, f := range append([]File{s.HTML, s.Text}, s.Partials...) {
		if f.Name == "" {
			continue
		}
		if err := checkSyntax(f.Name, f.Source, 1); err != nil {
			errs = append(errs, err)
		}
	}
	for _, b := range s.Blocks {
		if err := checkSyntax(b.File, b.Body, b.BodyLine); err != nil {
			errs = append(errs, err)
		}
		for _, f := range []struct {
			key  string
			vals []string
		}{{"subjects", b.Subjects}, {"preheaders", b.Preheaders}} {
			// The line of the key: a value's own line is not known
			// once the TOML is decoded.
			line := lineOf(b.front, f.key) + 1
			for _, v := range f.vals {
				if strings.ContainsAny(v, "\r\n") {
					errs = append(errs, &Error{File: b.File, Line: line, Err: fmt.Errorf("front matter: %s: %q has a line break", f.key, v)})
				} else if err := checkSyntax(b.File, v, 0); err != nil {
					err.Line = line
					errs = append(errs, err)
				}
			}
		}
	}
	// What needs no vocabulary: blocks that target nothing or sit at an
	// unknown position.
	errs = append(errs, s.problems(variants.Validate(variants.Plan{}, s.Meta()))...)
	if len(errs) > 0 {
		return nil, errs
	}
	h := sha256.New()
	m := sha256.New()
	files := append([]File{s.HTML, s.Text}, s.Partials...)
	for _, b := range s.Blocks {
		// The whole file, front matter included: Hash changes with any edit.
		files = append(files, File{b.File, b.source})
	}
	shared := sha256.New()
	s.blockHash = make(map[string]string, len(s.Blocks))
	for i, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00%s", f.Name, len(f.Source), f.Source)
		if i < 2+len(s.Partials) {
			fmt.Fprintf(shared, "%s\x00%d\x00%s", f.Name, len(f.Source), f.Source)
			continue
		}
		b := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s", f.Name, len(f.Source), f.Source))
		s.blockHash[s.Blocks[i-2-len(s.Partials)].ID] = hex.EncodeToString(b[:])
	}
	s.shared = hex.EncodeToString(shared.Sum(nil))
	enc := json.NewEncoder(m)
	for _, b := range s.Blocks {
		if err := enc.Encode(b.Block); err != nil {
			return nil, err
		}
	}
	s.hash = hex.EncodeToString(h.Sum(nil))
	s.metaHash = hex.EncodeToString(m.Sum(nil))
	return s, nil
}

// Files returns every file of the set, layouts first, then partials and
// blocks by name.
func (s *Set) Files() []File {
	out := []File{s.HTML, s.Text}
	out = append(out, s.Partials...)
	for _, b := range s.Blocks {
		out = append(out, File{b.File, b.Body})
	}
	return out
}

// Hash identifies the set's content: it changes with any edit.
func (s *Set) Hash() string { return s.hash }

// UsedHash identifies the files a newsletter made of the given blocks
// reads: the layouts, the partials and those blocks' files, front matter
// included. It changes with an edit of any of them, and with no other edit
// of the set; an id the set does not hold counts as a file of its own.
func (s *Set) UsedHash(blocks []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", s.shared)
	for _, id := range blocks {
		fmt.Fprintf(h, "%s\x00%s\x00", id, s.blockHash[id])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MetaHash identifies the blocks' front matter only: it changes when an edit
// can change which blocks a variant gets, not when only wording or layout
// changes.
func (s *Set) MetaHash() string { return s.metaHash }

// Validate checks what the blocks target against voc, the interest ids,
// card tiers and relationship types known to the campaign, as Load cannot:
// it returns Errors with the file and the line of every value voc does not
// list, or nil.
func (s *Set) Validate(voc variants.Vocabulary) error {
	if errs := s.problems(voc.Validate(variants.Plan{}, s.Meta())); len(errs) > 0 {
		return errs
	}
	return nil
}

// problems turns the block problems of a variants.ValidationError into
// Errors positioned at the offending front matter key, or at the block's
// id when no key is at fault.
func (s *Set) problems(err error) Errors {
	var ve *variants.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var errs Errors
	for _, p := range ve.Problems {
		i, ok := s.index[p.Block]
		if p.Variant != "" || !ok {
			continue
		}
		b := &s.Blocks[i]
		key, msg := p.Key, p.Msg
		if key == "" {
			key = "id"
		} else {
			msg = p.Key + ": " + msg
		}
		errs = append(errs, &Error{File: b.File, Line: valueLine(b.front, key, p.Value) + 1, Err: errors.New("front matter: " + msg)})
	}
	return errs
}

// Block returns the block with the given id.
func (s *Set) Block(id string) (*Block, bool) {
	i, ok := s.index[id]
	if !ok {
		return nil, false
	}
	return &s.Blocks[i], true
}

// Meta returns the planning metadata of every block.
func (s *Set) Meta() []variants.Block {
	out := make([]variants.Block, len(s.Blocks))
	for i, b := range s.Blocks {
		out[i] = b.Block
	}
	return out
}

// parseBlock splits a block file into TOML front matter between "+++" lines
// and the Markdown body.
func parseBlock(name, src string) (Block, error) {
	b := Block{File: name, source: src}
	src = strings.TrimPrefix(src, "\uFEFF")
	src = strings.ReplaceAll(src, "\r\n", "\n")
	if !strings.HasPrefix(src, "+++\n") {
		return b, &Error{File: name, Line: 1, Err: errors.New(`want front matter: a first line "+++", TOML, then "+++"`)}
	}
	rest := src[len("+++\n"):]
	end := strings.Index(rest, "\n+++")
	if end < 0 || (len(rest) > end+4 && rest[end+4] != '\n') {
		return b, &Error{File: name, Line: 1, Err: errors.New(`front matter is not closed by a "+++" line`)}
	}
	front := rest[:end+1]
	b.front = front
	body := strings.TrimPrefix(rest[end+4:], "\n")
	b.BodyLine = strings.Count(src[:len(src)-len(body)], "\n") + 1
	b.Body = body
	dec := toml.NewDecoder(strings.NewReader(front))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b.Block); err != nil {
		return b, frontMatterError(name, err)
	}
	want := strings.TrimSuffix(path.Base(name), ".md")
	switch {
	case b.ID == "":
		return b, &Error{File: name, Line: 2, Err: errors.New(`front matter: missing id (use id = "` + want + `")`)}
	case b.ID != want:
		return b, &Error{File: name, Line: lineOf(front, "id") + 1, Err: fmt.Errorf("front matter: id %q differs from the file name %q", b.ID, want)}
	case strings.TrimSpace(body) == "":
		return b, &Error{File: name, Line: b.BodyLine, Err: errors.New("empty body")}
	}
	return b, nil
}

func frontMatterError(name string, err error) error {
	var sme *toml.StrictMissingError
	if errors.As(err, &sme) && len(sme.Errors) > 0 {
		row, _ := sme.Errors[0].Position()
		keys := make([]string, len(sme.Errors))
		for i, e := range sme.Errors {
			keys[i] = strings.Join(e.Key(), ".")
		}
		return &Error{File: name, Line: row + 1, Err: fmt.Errorf("front matter: unknown key %s (known: id, title, interests, tiers, relationships, locales, attributes, replaces, position, priority, min_share, max_share, default, subjects, preheaders)", strings.Join(keys, ", "))}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		return &Error{File: name, Line: row + 1, Err: fmt.Errorf("front matter: %s", de.Error())}
	}
	return &Error{File: name, Line: 2, Err: fmt.Errorf("front matter: %w", err)}
}

// lineOf returns the line of src, counted from 1, that assigns key
// ("key = ..."), or 1 when none does.
func lineOf(src, key string) int {
	for i, l := range strings.Split(src, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), key); ok && strings.HasPrefix(strings.TrimLeft(rest, " \t"), "=") {
			return i + 1
		}
	}
	return 1
}

// valueLine returns the line of src where key's array holds the string
// value, which may be lines below the key itself; it falls back to the
// key's line.
func valueLine(src, key, value string) int {
	line := lineOf(src, key)
	if value == "" {
		return line
	}
	lines := strings.Split(src, "\n")
	quoted := []string{strconv.Quote(value), "'" + value + "'"}
	for i := line - 1; i < len(lines); i++ {
		l := lines[i]
		if i > line-1 && keyAssign.MatchString(l) {
			break // the next key: the value was written some other way
		}
		for _, q := range quoted {
			if strings.Contains(l, q) {
				return i + 1
			}
		}
	}
	return line
}

// keyAssign matches a front matter line that assigns a bare key.
var keyAssign = regexp.MustCompile(`^\s*[A-Za-z0-9_-]+\s*=`)

// checkSyntax parses src as a Go template to report syntax errors with the
// file's line numbers; firstLine is the file line where src starts (0 when
// src is not from a numbered position).
func checkSyntax(name, src string, firstLine int) *Error {
	_, err := parse.Parse(name, src, "", "", builtinFuncs())
	if err == nil {
		return nil
	}
	msg := err.Error()
	line := 0
	// parse errors read "template: NAME:LINE: message".
	if rest, ok := strings.CutPrefix(msg, "template: "+name+":"); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			fmt.Sscanf(rest[:i], "%d", &line)
			msg = strings.TrimSpace(rest[i+1:])
		}
	}
	if line > 0 && firstLine > 0 {
		line += firstLine - 1
	}
	return &Error{File: name, Line: line, Err: errors.New(msg)}
}

func builtinFuncs() map[string]any {
	m := map[string]any{}
	// The builtins, and the renderer's functions (render.Funcs).
	for _, n := range []string{"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
		"money", "price", "number", "date"} {
		m[n] = fmt.Sprint
	}
	return m
}
