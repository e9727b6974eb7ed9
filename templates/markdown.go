package templates

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Markdown converts content blocks to HTML and to plain text. Template
// actions ({{ ... }}) pass through untouched, in text, link targets and
// attributes alike: they are swapped for inert placeholders before goldmark
// sees the source and restored afterwards. Build one Markdown and reuse it;
// it is safe for concurrent use.
type Markdown struct {
	md goldmark.Markdown
}

// NewMarkdown returns a converter with GitHub tables, strikethrough and
// heading attributes.
func NewMarkdown() *Markdown {
	return &Markdown{md: goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithParserOptions(parser.WithAttribute()),
	)}
}

// placeholder markers: letters and digits only, so that no Markdown rule and
// no URL escaping touches them.
const (
	phOpen  = "TLRACT"
	phClose = "TLRX"
)

// protect replaces every {{ ... }} action by a placeholder.
func protect(src string) (string, []string) {
	var acts []string
	var b strings.Builder
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			b.WriteString(src)
			break
		}
		j := strings.Index(src[i+2:], "}}")
		if j < 0 {
			b.WriteString(src)
			break
		}
		end := i + 2 + j + 2
		b.WriteString(src[:i])
		b.WriteString(phOpen + strconv.Itoa(len(acts)) + phClose)
		acts = append(acts, src[i:end])
		src = src[end:]
	}
	return b.String(), acts
}

// restore puts the actions back in place of their placeholders.
func restore(s string, acts []string) string {
	if len(acts) == 0 {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, phOpen)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], phClose)
		n, err := strconv.Atoi(s[i+len(phOpen) : i+max(j, len(phOpen))])
		if j < 0 || err != nil || n < 0 || n >= len(acts) {
			// Not a placeholder: move on by one byte only, as a real
			// one may start inside this match ("TLRAC" + placeholder).
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(acts[n])
		s = s[i+j+len(phClose):]
	}
}

// HTML converts Markdown to HTML, template actions intact.
func (m *Markdown) HTML(src string) (string, error) {
	p, acts := protect(src)
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(p), &buf); err != nil {
		return "", fmt.Errorf("markdown: %w", err)
	}
	return restore(buf.String(), acts), nil
}

// Text converts Markdown to plain text wrapped at width columns: headings
// underlined, lists with "-" or numbers, links as "text (url)", emphasis
// dropped, template actions intact.
func (m *Markdown) Text(src string, width int) string {
	p, acts := protect(src)
	source := []byte(p)
	doc := m.md.Parser().Parse(text.NewReader(source))
	w := &textWriter{src: source, width: width}
	w.blocks(doc, "", "")
	out := strings.TrimRight(w.out.String(), "\n") + "\n"
	return restore(out, acts)
}

type textWriter struct {
	src   []byte
	width int
	out   strings.Builder
}

// blocks writes the block children of n; first is the prefix of the first
// line (a list marker), rest the prefix of later lines.
func (w *textWriter) blocks(n ast.Node, first, rest string) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		w.block(c, first, rest)
		first = rest
	}
}

func (w *textWriter) block(n ast.Node, first, rest string) {
	switch n := n.(type) {
	case *ast.Heading:
		t := w.inline(n)
		w.wrap(t, first, rest)
		mark := "-"
		if n.Level == 1 {
			mark = "="
		}
		w.out.WriteString(rest + strings.Repeat(mark, max(0, min(utf8.RuneCountInString(t), w.width-len(rest)))) + "\n\n")
	case *ast.Paragraph, *ast.TextBlock:
		w.wrap(w.inline(n), first, rest)
		if _, tight := n.(*ast.TextBlock); !tight {
			w.out.WriteString("\n")
		}
	case *ast.List:
		i := n.Start
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			marker := "- "
			if n.IsOrdered() {
				marker = strconv.Itoa(i) + ". "
				i++
			}
			w.blocks(item, rest+marker, rest+strings.Repeat(" ", len(marker)))
		}
		// A list that ends a list item goes on with the parent list:
		// no blank line in between.
		if _, inItem := n.Parent().(*ast.ListItem); !inItem || n.NextSibling() != nil {
			w.out.WriteString("\n")
		}
	case *ast.Blockquote:
		w.blocks(n, first+"> ", rest+"> ")
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			w.out.WriteString(rest + "    " + strings.TrimRight(string(seg.Value(w.src)), "\n") + "\n")
		}
		w.out.WriteString("\n")
	case *ast.ThematicBreak:
		w.out.WriteString(rest + strings.Repeat("-", min(20, w.width)) + "\n\n")
	case *east.Table:
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
				cells = append(cells, w.inline(cell))
			}
			w.out.WriteString(rest + strings.Join(cells, " | ") + "\n")
		}
		w.out.WriteString("\n")
	case *ast.HTMLBlock:
		// Raw HTML has no place in the text part.
	default:
		w.blocks(n, first, rest)
	}
}

// inline renders the inline content of n as plain text.
func (w *textWriter) inline(n ast.Node) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(w.src))
				if c.HardLineBreak() {
					b.WriteByte('\n')
				} else if c.SoftLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.CodeSpan:
				walk(c)
			case *ast.Link:
				label := (&textWriter{src: w.src}).inline(c)
				dest := string(c.Destination)
				b.WriteString(label)
				if dest != label && dest != "" {
					b.WriteString(" (" + dest + ")")
				}
			case *ast.AutoLink:
				b.Write(c.URL(w.src))
			case *ast.Image:
				b.WriteString((&textWriter{src: w.src}).inline(c))
			case *ast.RawHTML:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// wrap writes s as words filled to the width; a newline in s (a hard line
// break) starts a new line.
func (w *textWriter) wrap(s, first, rest string) {
	for i, part := range strings.Split(s, "\n") {
		if i > 0 {
			first = rest
		}
		w.fill(part, first, rest)
	}
}

// fill writes s as words filled to the width.
func (w *textWriter) fill(s, first, rest string) {
	line := first
	col := utf8.RuneCountInString(first)
	empty := true
	for _, word := range strings.Fields(s) {
		n := utf8.RuneCountInString(word)
		if !empty && col+1+n > w.width {
			w.out.WriteString(line + "\n")
			line, col, empty = rest, utf8.RuneCountInString(rest), true
		}
		if !empty {
			line += " "
			col++
		}
		line += word
		col += n
		empty = false
	}
	w.out.WriteString(line + "\n")
}
