package templates

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Markdown converts content blocks to HTML and to plain text. Template
// actions ({{ ... }}) pass through untouched, in text, link targets and
// attributes alike: they are swapped for inert placeholders before goldmark
// sees the source and restored afterwards. Build one Markdown and reuse it;
// it is safe for concurrent use.
//
// The plain text is made in two steps, as its width is only known once the
// merge fields are filled in: Convert writes the text with each paragraph,
// list item and heading marked, template actions intact; the renderer
// executes it for a recipient, and Fill wraps the marked paragraphs of the
// result.
type Markdown struct {
	md goldmark.Markdown
}

// NewMarkdown returns a converter with GitHub tables, strikethrough,
// heading attributes and typographic punctuation: curly quotes and
// apostrophes, en and em dashes for -- and ---, an ellipsis for ...
// Template actions are out of the typographer's reach (see protect), so
// the quotes inside them stay straight.
func NewMarkdown() *Markdown {
	return &Markdown{md: goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough,
			extension.NewTypographer(extension.WithTypographicSubstitutions(typography))),
		goldmark.WithParserOptions(parser.WithAttribute()),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(buttons{}, 100))),
	)}
}

// buttons renders a paragraph that holds nothing but a link, a block's call
// to action, as a button that survives Outlook: a one-cell table whose cell
// carries the colour and the padding (which Outlook ignores on a link),
// with the link inside, of class cta-link. The layout's stylesheet styles
// the classes cta, cta-cell and cta-link. Other paragraphs render as
// goldmark renders them.
type buttons struct{}

func (buttons) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindParagraph, renderParagraph)
}

func renderParagraph(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if link, ok := n.FirstChild().(*ast.Link); ok && n.ChildCount() == 1 && n.Attributes() == nil {
		if entering {
			link.SetAttributeString("class", []byte("cta-link"))
			_, _ = w.WriteString(`<table role="presentation" cellpadding="0" cellspacing="0" border="0" class="cta"><tr><td class="cta-cell">`)
		} else {
			_, _ = w.WriteString("</td></tr></table>\n")
		}
		return ast.WalkContinue, nil
	}
	// As goldmark's own paragraph renderer.
	if entering {
		if n.Attributes() != nil {
			_, _ = w.WriteString("<p")
			html.RenderAttributes(w, n, html.ParagraphAttributeFilter)
			_ = w.WriteByte('>')
		} else {
			_, _ = w.WriteString("<p>")
		}
	} else {
		_, _ = w.WriteString("</p>\n")
	}
	return ast.WalkContinue, nil
}

// typography holds the typographer's replacements as characters, not
// HTML entities, so that the plain text gets them too.
var typography = map[extension.TypographicPunctuation]string{
	extension.LeftSingleQuote:  "\u2018",
	extension.RightSingleQuote: "\u2019",
	extension.LeftDoubleQuote:  "\u201c",
	extension.RightDoubleQuote: "\u201d",
	extension.EnDash:           "\u2013",
	extension.EmDash:           "\u2014",
	extension.Ellipsis:         "\u2026",
	extension.LeftAngleQuote:   "\u00ab",
	extension.RightAngleQuote:  "\u00bb",
	extension.Apostrophe:       "\u2019",
}

// placeholder markers: letters and digits only, so that no Markdown rule and
// no URL escaping touches them.
const (
	phOpen  = "TLRACT"
	phClose = "TLRX"
)

// protect replaces every {{ ... }} action by a placeholder, numbering
// them after the actions already in acts.
func protect(src string, acts []string) (string, []string) {
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

// Options tunes Convert. The zero value converts the Markdown as written.
type Options struct {
	// Link, when not nil, rewrites the target of every link and URL
	// autolink, in the HTML and in the text alike; image sources and email
	// autolinks are left alone. It gets the target as written, template
	// actions intact, and returns the target to use, which may hold
	// actions too.
	Link func(target string) string
}

// Doc is a content block converted.
type Doc struct {
	// HTML is the block as HTML, template actions intact.
	HTML string
	// Text is the block as plain text, template actions intact, with its
	// paragraphs, list items and headings marked for Fill: a template
	// executed from it is filled once its merge fields are known.
	Text string
}

// Marks in Doc.Text. A paragraph, list item or heading to fill is
//
//	markStart FIRST markField REST markField UNDERLINE markText TEXT markEnd
//
// where FIRST and REST prefix its first and later lines (a list marker and
// its hanging indent, "> " in a quote), UNDERLINE is "=" or "-" for a
// heading and empty otherwise, and TEXT is its words, markBreak standing
// for a hard line break. Everything outside such a unit is copied as it
// is. The marks are control characters, which Convert and Text remove from
// the Markdown's text (not its actions) and StripMarks from merged values,
// so that no text can forge one.
const (
	markStart = '\x01'
	markField = '\x02'
	markText  = '\x03'
	markEnd   = '\x04'
	markBreak = '\x05'
)

// isMark reports whether c is one of the marks of Doc.Text.
func isMark(c byte) bool { return c >= markStart && c <= markBreak }

// StripMarks returns s without the control characters that Doc.Text uses
// as marks; a value merged into marked text goes through it, so that it
// cannot change how the text is filled.
func StripMarks(s string) string {
	for i := 0; i < len(s); i++ {
		if isMark(s[i]) {
			b := make([]byte, 0, len(s))
			for j := 0; j < len(s); j++ {
				if !isMark(s[j]) {
					b = append(b, s[j])
				}
			}
			return string(b)
		}
	}
	return s
}

// HTML converts Markdown to HTML, template actions intact.
func (m *Markdown) HTML(src string) (string, error) {
	d, err := m.Convert(src, Options{})
	return d.HTML, err
}

// Text converts Markdown to plain text wrapped at width columns: headings
// underlined, lists with "-" or numbers, links as "text (url)", emphasis
// dropped, template actions intact. Each action is one word, counted
// about a dozen columns wide whatever it will print; to wrap the text of a
// template once it has executed, use Convert and Fill.
func (m *Markdown) Text(src string, width int) string {
	p, acts := protect(src, nil)
	p = StripMarks(p) // marks in the text, not in actions
	source := []byte(p)
	doc := m.md.Parser().Parse(text.NewReader(source))
	return restore(string(Fill(nil, []byte(m.text(source, doc, nil)), width)), acts)
}

// Convert converts a content block to HTML and to marked plain text (see
// Doc), parsing it once. Template actions pass through untouched;
// opts.Link rewrites link targets.
func (m *Markdown) Convert(src string, opts Options) (Doc, error) {
	p, acts := protect(src, nil)
	p = StripMarks(p) // marks in the text, not in actions
	source := []byte(p)
	doc := m.md.Parser().Parse(text.NewReader(source))
	var auto map[*ast.Link]bool
	if opts.Link != nil {
		auto, acts = relink(doc, source, acts, opts.Link)
	}
	var buf bytes.Buffer
	if err := m.md.Renderer().Render(&buf, source, doc); err != nil {
		return Doc{}, fmt.Errorf("markdown: %w", err)
	}
	return Doc{HTML: restore(buf.String(), acts), Text: restore(m.text(source, doc, auto), acts)}, nil
}

// relink rewrites the targets of the links of doc with link, and turns
// URL autolinks into links, so that their target can differ from their
// text. It returns those links, and acts with the actions of the new
// targets added.
func relink(doc ast.Node, source []byte, acts []string, link func(string) string) (map[*ast.Link]bool, []string) {
	auto := map[*ast.Link]bool{}
	var autos []*ast.AutoLink
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			var dest string
			dest, acts = protect(link(restore(string(n.Destination), acts)), acts)
			n.Destination = []byte(dest)
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkURL {
				autos = append(autos, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, a := range autos {
		url := string(a.URL(source))
		l := ast.NewLink()
		var dest string
		dest, acts = protect(link(restore(url, acts)), acts)
		l.Destination = []byte(dest)
		l.AppendChild(l, ast.NewString([]byte(url)))
		a.Parent().ReplaceChild(a.Parent(), a, l)
		auto[l] = true
	}
	return auto, acts
}

// text writes the marked text of a parsed document; auto holds the links
// that were autolinks, whose text is their target.
func (m *Markdown) text(source []byte, doc ast.Node, auto map[*ast.Link]bool) string {
	w := &textWriter{src: source, auto: auto}
	w.blocks(doc, "", "")
	// Fill ends a unit's last line; any other text ends with a newline.
	out := strings.TrimRight(w.out.String(), "\n")
	if out == "" || out[len(out)-1] != markEnd {
		out += "\n"
	}
	return out
}

type textWriter struct {
	src  []byte
	auto map[*ast.Link]bool
	out  strings.Builder
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
		mark := "-"
		if n.Level == 1 {
			mark = "="
		}
		w.unit(w.inline(n), first, rest, mark)
		w.out.WriteString("\n")
	case *ast.Paragraph, *ast.TextBlock:
		w.unit(w.inline(n), first, rest, "")
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
		w.out.WriteString(rest + "--------------------\n\n")
	case *east.Table:
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
				cells = append(cells, strings.ReplaceAll(w.inline(cell), string(markBreak), " "))
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

// unit writes s as a unit to fill, with its prefixes and underline.
func (w *textWriter) unit(s, first, rest, underline string) {
	w.out.WriteByte(markStart)
	w.out.WriteString(first)
	w.out.WriteByte(markField)
	w.out.WriteString(rest)
	w.out.WriteByte(markField)
	w.out.WriteString(underline)
	w.out.WriteByte(markText)
	w.out.WriteString(s)
	w.out.WriteByte(markEnd)
}

// inline renders the inline content of n as plain text; a hard line break
// is markBreak.
func (w *textWriter) inline(n ast.Node) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(w.src))
				if c.HardLineBreak() {
					b.WriteByte(markBreak)
				} else if c.SoftLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.CodeSpan:
				walk(c)
			case *ast.Link:
				label := (&textWriter{src: w.src, auto: w.auto}).inline(c)
				dest := string(c.Destination)
				switch {
				case w.auto[c]:
					b.WriteString(dest)
				case dest == label || dest == "":
					b.WriteString(label)
				default:
					b.WriteString(label + " (" + dest + ")")
				}
			case *ast.AutoLink:
				b.Write(c.URL(w.src))
			case *ast.Image:
				b.WriteString((&textWriter{src: w.src, auto: w.auto}).inline(c))
			case *ast.RawHTML:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return strings.Trim(b.String(), " \t\n"+string(markBreak))
}

// Fill appends text to dst with the marked units of a Doc.Text, or of the
// output of a template made from it, filled to width columns: words are
// never split, so a word longer than the line, such as a long URL, gets a
// line of its own; runs of spaces and line breaks between words count as
// one space; a hard line break starts a new line; a heading is underlined
// as wide as its longest line. A unit left without words (a paragraph
// whose only sentence a condition left out) writes nothing. Text outside
// the units is copied as it is.
func Fill(dst, text []byte, width int) []byte {
	return fill(dst, text, width, nil)
}

// fill is Fill, filling each unit through memo unless it is nil.
func fill(dst, text []byte, width int, memo *FillMemo) []byte {
	for len(text) > 0 {
		// Copy up to the next unit, leaving out stray marks.
		i := 0
		for i < len(text) && text[i] != markStart {
			j := i + indexMark(text[i:])
			dst = append(dst, text[i:j]...)
			i = j
			if i < len(text) && text[i] != markStart {
				i++
			}
		}
		if i == len(text) {
			break
		}
		text = text[i+1:]
		unit := text // the unit from its first field: what it fills from
		h := 0
		for h < len(text) && (class[text[h]] != classMark || text[h] == markField) {
			h++
		}
		if h == len(text) || text[h] != markText {
			// A unit without its text writes nothing.
			text = text[h:]
			continue
		}
		first, rest := cutMark(text[:h], markField)
		rest, underline := cutMark(rest, markField)
		underline, _ = cutMark(underline, markField)
		text = text[h+1:]
		end := indexMark(text)
		for end < len(text) && text[end] != markEnd && text[end] != markStart {
			end++
			end += indexMark(text[end:])
		}
		if memo != nil {
			dst = memo.unit(dst, unit[:h+1+end], text[:end], first, rest, underline, width)
		} else {
			dst = fillUnit(dst, text[:end], first, rest, underline, width)
		}
		if end < len(text) && text[end] == markEnd {
			end++
		}
		text = text[end:]
	}
	return dst
}

// A FillMemo remembers the units its Fill filled, and fills the same unit
// again by copying what it wrote: the messages of one newsletter, written
// one after the other, share most of their personalized units (a greeting
// with a common first name, the month, the variant's links). It holds at
// most fillMemoBytes of units and their filled text, and starts over when
// they would outgrow that; when most units it sees are new (a merge field
// that differs for every reader), it stops remembering for a while. The
// zero FillMemo is ready to use; it is not safe for concurrent use.
type FillMemo struct {
	width int
	units map[string]string
	bytes int
	// seen and found count the units looked up and found since the
	// memo last took stock; skip is how many units to fill without it.
	seen, found, skip int
}

// Tuning of FillMemo.
const (
	// fillMemoBytes bounds the units and filled text a memo holds.
	fillMemoBytes = 1 << 20
	// fillMemoStock is how many units a memo looks up between checks of
	// how many it found.
	fillMemoStock = 1024
	// fillMemoSkip is how many units a memo that found fewer than one in
	// eight of them fills without it before it tries again.
	fillMemoSkip = 16 * fillMemoStock
)

// Fill is Fill, remembering the units it fills; a nil memo remembers
// nothing.
func (m *FillMemo) Fill(dst, text []byte, width int) []byte {
	return fill(dst, text, width, m)
}

// unit appends the unit whose fields and text are key, s its text, filled
// as fillUnit fills it: from the memo when it has filled key before.
func (m *FillMemo) unit(dst, key, s, first, rest, underline []byte, width int) []byte {
	if m.skip > 0 {
		m.skip--
		return fillUnit(dst, s, first, rest, underline, width)
	}
	if m.units == nil || m.width != width {
		m.units, m.width, m.bytes = make(map[string]string, 64), width, 0
	}
	if m.seen++; m.seen == fillMemoStock {
		if m.found < fillMemoStock/8 {
			m.skip = fillMemoSkip
		}
		m.seen, m.found = 0, 0
	}
	if filled, ok := m.units[string(key)]; ok {
		m.found++
		return append(dst, filled...)
	}
	n := len(dst)
	dst = fillUnit(dst, s, first, rest, underline, width)
	size := len(key) + len(dst) - n
	if m.bytes+size > fillMemoBytes {
		clear(m.units)
		m.bytes = 0
	}
	m.units[string(key)] = string(dst[n:])
	m.bytes += size
	return dst
}

// FillUnits returns text with the units it holds whole filled as Fill
// fills them; the rest, parts of units included, stays as it is, marks and
// all. A template's static text can be filled this way once: Fill on the
// template's output then writes what it would have written for the
// unfilled text.
func FillUnits(text []byte, width int) []byte {
	var out []byte
	done := 0
	for i := 0; i < len(text); i++ {
		if text[i] != markStart {
			continue
		}
		j := i + 1
		for j < len(text) && text[j] != markStart && text[j] != markEnd {
			j++
		}
		if j == len(text) || text[j] != markEnd {
			i = j - 1
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(text))
		}
		out = append(out, text[done:i]...)
		out = Fill(out, text[i:j+1], width)
		done = j + 1
		i = j
	}
	if out == nil {
		return text
	}
	return append(out, text[done:]...)
}

// indexMark returns the index of the first mark in b, or len(b). Text
// between units is long, and holds no mark but where a condition cut a
// unit short: it looks at 32 bytes at a time with the AVX2 kernel, where
// the CPU has it (indexMarkArch), then at eight bytes at a time.
func indexMark(b []byte) int {
	i := indexMarkArch(b)
	if i < len(b) && class[b[i]] == classMark {
		return i
	}
	return indexMarkFrom(b, i)
}

// indexMarkFrom is indexMark from b[i] on, eight bytes at a time.
func indexMarkFrom(b []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// A byte below markBreak+1 (or a NUL) sets its high bit here.
		if (x-ones*(markBreak+1))&^x&highs != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if class[b[i]] == classMark {
			return i
		}
	}
	return i
}

// cutMark returns text up to the mark and what follows it; without the
// mark, all of text and nothing.
func cutMark(text []byte, mark byte) (before, after []byte) {
	i := bytes.IndexByte(text, mark)
	if i < 0 {
		return text, nil
	}
	return text[:i], text[i+1:]
}

// Byte classes for Fill. Only ASCII white space separates words: a
// no-break space (U+00A0 or U+202F) keeps an amount and its currency
// symbol together.
const (
	classWord  = iota // part of a word
	classSpace        // separates words
	classMark         // one of the marks
)

var class = func() (c [256]uint8) {
	for _, b := range []byte(" \t\n\r\v\f") {
		c[b] = classSpace
	}
	for b := markStart; b <= markBreak; b++ {
		c[b] = classMark
	}
	return c
}()

// plainLine returns the end of the line that starts with the word at
// s[i] and has room for avail columns, when the avail+1 columns from s[i]
// are plain: valid UTF-8 without control characters or marks, words one
// space apart. The line then ends where the last of those spaces is: the
// words before it fit, the word after it does not. cols is the line's
// width. ok is false when the columns are not plain, or hold no space (a
// word too long for the line) but as their last, or the unit ends within
// them.
func plainLine(s []byte, i, avail int) (end, cols int, ok bool) {
	if avail < 1 {
		return 0, 0, false
	}
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	const low7 = 0x7F7F7F7F7F7F7F7F // all but each byte's high bit
	want := avail + 1
	p, n, ascii := i, 0, true
	space := false // the byte before p is a space
	for p+8 <= len(s) && n+8 <= want {
		x := binary.LittleEndian.Uint64(s[p:])
		// An ASCII byte below ' ' (the first of them at least).
		if (x-ones*' ')&^x&highs != 0 {
			return 0, 0, false
		}
		// Two spaces in a row: the high bit of each space, exactly.
		y := x ^ ones*' '
		sp := ^((y&low7 + low7) | y | low7)
		if sp&(sp<<8) != 0 || space && sp&0x80 != 0 {
			return 0, 0, false
		}
		space = sp>>63 != 0
		// Every byte but UTF-8's continuation bytes starts a column.
		if hi := x & highs; hi != 0 {
			ascii = false
			n += 8 - bits.OnesCount64(hi&^(x<<1))
		} else {
			n += 8
		}
		p += 8
	}
	for n < want {
		c := s[min(p, len(s)-1)]
		if p == len(s) || c < ' ' || space && c == ' ' {
			return 0, 0, false
		}
		space = c == ' '
		if c >= utf8.RuneSelf {
			ascii = false
		}
		if c&0xC0 != 0x80 {
			n++
		}
		p++
	}
	for p < len(s) && s[p]&0xC0 == 0x80 {
		p++
	}
	w := s[i:p]
	if !ascii && !utf8.Valid(w) {
		return 0, 0, false
	}
	// A word starts after the last space and goes past the line's end:
	// the window does not end with the space.
	b := bytes.LastIndexByte(w, ' ')
	if b <= 0 || b == len(w)-1 {
		return 0, 0, false
	}
	cols = b
	if !ascii {
		cols = utf8.RuneCount(w[:b])
	}
	return i + b, cols, true
}

// wordEnd returns the end of the word that starts at s[i], and whether it
// is all ASCII. It looks at eight bytes at a time for the first that is
// not ASCII or is at most a space, which ends most words.
func wordEnd(s []byte, i int) (end int, ascii bool) {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for i+8 <= len(s) {
		x := binary.LittleEndian.Uint64(s[i:])
		// The high bit of each byte below '!' (exact for the first of
		// them), and of each byte that is not ASCII.
		m := (x-ones*'!')&^x&highs | x&highs
		if m == 0 {
			i += 8
			continue
		}
		k := i + bits.TrailingZeros64(m)/8
		if c := s[k]; c < utf8.RuneSelf && class[c] != classWord {
			return k, true
		}
		i = k
		break
	}
	// The rest, or a word with a byte that is not ASCII or a control
	// character that is part of it, a byte at a time.
	ascii = true
	for i < len(s) && class[s[i]] == classWord {
		ascii = ascii && s[i] < utf8.RuneSelf
		i++
	}
	return i, ascii
}

// fillUnit appends the words of s filled to width: the first line starts
// with first, the others with rest. Words one space apart on the same
// line are copied together, as the run of s that holds them.
func fillUnit(dst, s, first, rest, underline []byte, width int) []byte {
	restCols := utf8.RuneCount(rest)
	firstCols := utf8.RuneCount(first)
	col, widest := 0, 0
	lines := 0
	open := false // a line has been started
	words := false
	// s[run:runEnd] is the end of the open line, not yet in dst.
	run, runEnd := 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch class[c] {
		case classSpace:
			i++
			continue
		case classMark:
			if c == markBreak {
				dst = append(dst, s[run:runEnd]...)
				run, runEnd = 0, 0
				if open {
					dst = append(dst, '\n')
					lines++
					open = false
				} else if lines > 0 {
					dst = append(append(dst, rest...), '\n')
					lines++
				}
			}
			i++
			continue
		}
		if !open {
			// A line starts: most are plain text, cut at their last space.
			cols, prefix := restCols, rest
			if lines == 0 {
				cols, prefix = firstCols, first
			}
			if end, n, ok := plainLine(s, i, width-cols); ok {
				dst = append(append(append(dst, prefix...), s[i:end]...), '\n')
				lines++
				col = cols + n
				widest = max(widest, col-restCols)
				words = true
				i = end + 1
				continue
			}
		}
		start := i
		j, ascii := wordEnd(s, i)
		i = j
		n := j - start
		if !ascii {
			n = utf8.RuneCount(s[start:j])
		}
		if open && col+1+n > width {
			dst = append(dst, s[run:runEnd]...)
			run, runEnd = 0, 0
			dst = append(dst, '\n')
			lines++
			open = false
		}
		switch {
		case !open:
			if lines == 0 {
				dst = append(dst, first...)
				col = firstCols
			} else {
				dst = append(dst, rest...)
				col = restCols
			}
			open = true
			run, runEnd = start, j
		case runEnd == start-1 && s[runEnd] == ' ':
			// One space from the word before: the run goes on.
			col++
			runEnd = j
		default:
			dst = append(dst, s[run:runEnd]...)
			dst = append(dst, ' ')
			col++
			run, runEnd = start, j
		}
		col += n
		widest = max(widest, col-restCols)
		words = true
	}
	dst = append(dst, s[run:runEnd]...)
	if open {
		dst = append(dst, '\n')
	}
	if words && len(underline) > 0 {
		dst = append(dst, rest...)
		for range max(0, min(widest, width-restCols)) {
			dst = append(dst, underline...)
		}
		dst = append(dst, '\n')
	}
	return dst
}
