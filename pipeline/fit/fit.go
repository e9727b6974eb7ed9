// Package fit audits personalized messages for truth about their reader:
// that nobody reads a block meant for another card tier, relationship
// type, locale or value of a cardholder attribute, a sentence that claims spending they do not have, or a subject
// about an interest they do not spend on. It reads the messages as they
// are written (the HTML's block rows, the plain text, the subject), not
// the plan that made them, so that a template set that says something
// untrue is caught whatever its wording.
package fit

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/variants"
)

// Rules, as Misfit.Rule names them.
const (
	// RuleTier: a block that lists card tiers, and not the reader's.
	RuleTier = "tier"
	// RuleRelationship: a block that lists relationship types, and not
	// the reader's.
	RuleRelationship = "relationship"
	// RuleLocale: a block that lists locales, none the reader's.
	RuleLocale = "locale"
	// RuleAttribute: a block that lists values of a cardholder
	// attribute, and not the reader's.
	RuleAttribute = "attribute"
	// RuleSpend: a sentence about the reader's spending ("your
	// spending", "you spend") that names an interest they have no spend
	// on.
	RuleSpend = "spend"
	// RuleSubject: a subject line of a block that serves interests, none
	// of which the reader spends on.
	RuleSubject = "subject"
)

// Rules lists the rules in the order reports show them.
func Rules() []string {
	return []string{RuleTier, RuleRelationship, RuleLocale, RuleAttribute, RuleSpend, RuleSubject}
}

// Reader is what the audit knows of a message's recipient.
type Reader struct {
	ID           string
	Tier         string
	Relationship string
	Locale       string
	Attrs        map[string]string
	// Spending lists the ids of the interests they have spend on.
	Spending []string
}

// Message is a personalized message as its reader gets it.
type Message struct {
	Subject string
	HTML    []byte
	// Rows, when not nil, are the ids of the blocks whose rows HTML holds,
	// in order, listed as the message was written (render's AuditInto):
	// HTML itself is then not read.
	Rows []string
	Text []byte
	// Blocks, when set, are the ids of the blocks the message's subject
	// may come from (its variant's): only their subject lines are tried.
	Blocks []string
}

// Misfit is one thing a message says that is not true for its reader.
type Misfit struct {
	Rule string
	// Detail is what the reader reads: the sentence, the subject, or the
	// block and whom it is for.
	Detail string
}

// Interest is an interest of the taxonomy: its id and the name messages
// give it.
type Interest struct {
	ID, Name string
}

// Checker audits messages against a template set's blocks and the
// taxonomy's interests. Build it with New; it is safe for concurrent use.
type Checker struct {
	blocks    map[string]*checkBlock
	interests []nameRE
	subjects  []subjectRE
	// subjectsOf lists the indexes in subjects of each block's subject
	// lines, in order.
	subjectsOf map[string][]int
}

// checkBlock is a block as the audit reads it: its targets, and one
// target per attribute it is for, in name order, each checked on its own
// so that a misfit names the attribute.
type checkBlock struct {
	variants.Block
	attrs []attrTarget
}

type attrTarget struct {
	name   string
	target variants.Target
}

type nameRE struct {
	id, name string
}

type subjectRE struct {
	block     string
	interests []string
	re        *regexp.Regexp
	// literal is the longest text the subject line writes as it is: a
	// subject without it cannot match re, which is not tried.
	literal string
}

// New returns a Checker for the blocks of a template set and the
// interests of a taxonomy.
func New(blocks []variants.Block, interests []Interest) *Checker {
	c := &Checker{blocks: make(map[string]*checkBlock, len(blocks)), subjectsOf: map[string][]int{}}
	action := regexp.MustCompile(`\{\{.*?\}\}`)
	for _, b := range blocks {
		cb := &checkBlock{Block: b}
		for _, name := range slices.Sorted(maps.Keys(b.Attributes)) {
			cb.attrs = append(cb.attrs, attrTarget{name, variants.Target{Attributes: map[string][]string{name: b.Attributes[name]}}})
		}
		c.blocks[b.ID] = cb
		for _, s := range b.Subjects {
			// A subject line is a template: what its actions write can be
			// anything.
			parts := action.Split(s, -1)
			literal := ""
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
				if len(parts[i]) > len(literal) {
					literal = parts[i]
				}
				parts[i] = regexp.QuoteMeta(parts[i])
			}
			re := regexp.MustCompile(`^\s*` + strings.Join(parts, `.*?`) + `\s*$`)
			c.subjectsOf[b.ID] = append(c.subjectsOf[b.ID], len(c.subjects))
			c.subjects = append(c.subjects, subjectRE{block: b.ID, interests: b.Interests, re: re, literal: literal})
		}
	}
	for _, in := range interests {
		if in.Name == "" {
			continue
		}
		c.interests = append(c.interests, nameRE{in.ID, in.Name})
	}
	return c
}

// spendClaim finds a sentence about the reader's spending. claimsSpending
// is the same test, faster on the ASCII sentences of most messages.
var spendClaim = regexp.MustCompile(`(?i)\byou(r)?\b[^.!?]*\bspen(d|ds|ding|t)\b`)

// claimsSpending reports whether s speaks of the reader's spending, as
// spendClaim matches: the word "you" or "your", in any case, then, before
// a ".", "!" or "?", the word spend, spends, spending or spent. Words are
// ASCII to the expression (\b) and to isWordByte alike; of all the
// letters the expression looks for, only s has a case beyond ASCII (ſ,
// U+017F), which the expression is left to match.
func claimsSpending(s string) bool {
	if strings.Contains(s, "ſ") {
		return spendClaim.MatchString(s)
	}
	for from := 0; ; {
		j := indexFold(s[from:], "you")
		if j < 0 {
			return false
		}
		j += from
		from = j + 1
		end := j + 3
		if end < len(s) && s[end]|0x20 == 'r' && !(end+1 < len(s) && isWordByte(s[end+1])) {
			end++
		}
		if j > 0 && isWordByte(s[j-1]) || end < len(s) && isWordByte(s[end]) {
			continue
		}
		rest := s[end:]
		if k := strings.IndexAny(rest, ".!?"); k >= 0 {
			rest = rest[:k]
		}
		if spendWord(rest) {
			return true
		}
	}
}

// spendWord reports whether s holds the word spend, spends, spending or
// spent, in any ASCII case.
func spendWord(s string) bool {
	for from := 0; ; {
		j := indexFold(s[from:], "spen")
		if j < 0 {
			return false
		}
		j += from
		from = j + 1
		if j > 0 && isWordByte(s[j-1]) {
			continue
		}
		tail := s[j+4:]
		for _, end := range []string{"ding", "ds", "d", "t"} {
			if len(tail) >= len(end) && strings.EqualFold(tail[:len(end)], end) && (len(tail) == len(end) || !isWordByte(tail[len(end)])) {
				return true
			}
		}
	}
}

// indexFold is the index of the lower-case ASCII word in s, in any case;
// -1 for none.
func indexFold(s, word string) int {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == word[0] && strings.EqualFold(s[i:i+len(word)], word) {
			return i
		}
	}
	return -1
}

// isWordByte is an ASCII word character, as \b in an expression sees it.
func isWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// Check returns what m says that is not true for r, in rule order.
func (c *Checker) Check(r Reader, m Message) []Misfit {
	return c.CheckWith(nil, r, m)
}

// Memory remembers what the sentences a goroutine has read say, for
// CheckWith: the messages of one newsletter share most of their
// sentences, which are then read once. It holds at most memorySentences
// at a time. It also remembers which subject line each subject it has
// read matches, for the blocks of the last message (a newsletter's
// messages share their blocks and most of their subjects). The zero
// value is ready to use; a Memory is not safe for concurrent use, and
// belongs to one Checker.
type Memory struct {
	seen map[string]sentence
	// blocks are the Blocks of the messages whose subjects are in
	// subjects (a copy), and noBlocks whether they had none (nil).
	blocks   []string
	noBlocks bool
	subjects map[string]int
}

// subjectOf is Checker.subjectOf of m, from mem when it has matched m's
// subject before with the same blocks (nil mem: match it now).
func (c *Checker) subjectOfWith(mem *Memory, m Message) int {
	if mem == nil {
		return c.subjectOf(m)
	}
	if mem.subjects == nil || mem.noBlocks != (m.Blocks == nil) || !slices.Equal(mem.blocks, m.Blocks) || len(mem.subjects) >= memorySentences {
		mem.blocks, mem.noBlocks = append(mem.blocks[:0], m.Blocks...), m.Blocks == nil
		if mem.subjects == nil {
			mem.subjects = make(map[string]int)
		}
		clear(mem.subjects)
	}
	if i, ok := mem.subjects[m.Subject]; ok {
		return i
	}
	i := c.subjectOf(m)
	mem.subjects[m.Subject] = i
	return i
}

// memorySentences is the most sentences a Memory holds: those of a few
// newsletters, whose recipients' own sentences (a name, a merchant)
// come and go.
const memorySentences = 4096

// sentence is what the audit reads in a sentence that may speak of
// spending.
type sentence struct {
	// text is the sentence as a misfit's Detail gives it.
	text string
	// names are the indexes in Checker.interests of the interests the
	// sentence names, when it speaks of the reader's spending; nil when
	// it does not.
	names []int
}

// read returns what the sentence raw says, from mem when it has read it
// before (nil mem: read it now).
func (c *Checker) read(mem *Memory, raw []byte) sentence {
	if mem != nil {
		if s, ok := mem.seen[string(raw)]; ok {
			return s
		}
	}
	s := sentence{text: collapseSpaces(raw)}
	if claimsSpending(s.text) {
		for i, in := range c.interests {
			if containsWord(s.text, in.name) {
				s.names = append(s.names, i)
			}
		}
	}
	if mem != nil {
		if mem.seen == nil || len(mem.seen) >= memorySentences {
			mem.seen = make(map[string]sentence, 64)
		}
		mem.seen[string(raw)] = s
	}
	return s
}

// CheckWith is Check, remembering in mem what the sentences it reads say
// (nil mem: nothing is remembered).
func (c *Checker) CheckWith(mem *Memory, r Reader, m Message) []Misfit {
	var out []Misfit
	row := func(b *checkBlock) {
		if len(b.Tiers) > 0 && !slices.Contains(b.Tiers, r.Tier) {
			out = append(out, Misfit{RuleTier, fmt.Sprintf("block %s (for %s) to a cardholder of tier %q", b.ID, strings.Join(b.Tiers, ", "), r.Tier)})
		}
		if len(b.Relationships) > 0 && !slices.Contains(b.Relationships, r.Relationship) {
			out = append(out, Misfit{RuleRelationship, fmt.Sprintf("block %s (for %s) to a cardholder who is %s", b.ID, strings.Join(b.Relationships, ", "), r.Relationship)})
		}
		if len(b.Locales) > 0 && !(variants.Target{Locales: b.Locales}).Matches(variants.Member{Locale: r.Locale}) {
			out = append(out, Misfit{RuleLocale, fmt.Sprintf("block %s (for %s) to a cardholder of locale %q", b.ID, strings.Join(b.Locales, ", "), r.Locale)})
		}
		for _, a := range b.attrs {
			if !a.target.Matches(variants.Member{Attrs: r.Attrs}) {
				out = append(out, Misfit{RuleAttribute, fmt.Sprintf("block %s (for %s %s) to a cardholder whose %s is %q", b.ID, a.name, strings.Join(a.target.Attributes[a.name], ", "), a.name, r.Attrs[a.name])})
			}
		}
	}
	if m.Rows != nil {
		for _, id := range m.Rows {
			if b, ok := c.blocks[id]; ok {
				row(b)
			}
		}
	} else {
		render.EachRow(m.HTML, func(id []byte) {
			if b, ok := c.blocks[string(id)]; ok {
				row(b)
			}
		})
	}
	eachClaim(m.Text, func(raw []byte) {
		s := c.read(mem, raw)
		for _, i := range s.names {
			if !slices.Contains(r.Spending, c.interests[i].id) {
				out = append(out, Misfit{RuleSpend, s.text})
				break
			}
		}
	})
	if i := c.subjectOfWith(mem, m); i >= 0 {
		s := &c.subjects[i]
		if len(s.interests) > 0 && !slices.ContainsFunc(s.interests, func(id string) bool { return slices.Contains(r.Spending, id) }) {
			out = append(out, Misfit{RuleSubject, fmt.Sprintf("%q (block %s, for %s)", m.Subject, s.block, strings.Join(s.interests, ", "))})
		}
	}
	return out
}

// subjectOf returns the index in c.subjects of the first subject line,
// in the set's order, that m's subject matches, of m's blocks (any block
// when m names none); -1 for none. Each block's lines are tried in order
// up to its first match, the literal text first: the first match of all
// is the one with the lowest index.
func (c *Checker) subjectOf(m Message) int {
	match := func(i int) bool {
		s := &c.subjects[i]
		return strings.Contains(m.Subject, s.literal) && s.re.MatchString(m.Subject)
	}
	if m.Blocks == nil {
		for i := range c.subjects {
			if match(i) {
				return i
			}
		}
		return -1
	}
	best := -1
	for _, b := range m.Blocks {
		for _, i := range c.subjectsOf[b] {
			if best >= 0 && i >= best {
				break
			}
			if match(i) {
				best = i
				break
			}
		}
	}
	return best
}

// claims returns the sentences of text that may speak of spending, as
// eachClaim finds them, each with its words one space apart.
func claims(text []byte) []string {
	var out []string
	eachClaim(text, func(raw []byte) { out = append(out, collapseSpaces(raw)) })
	return out
}

// eachClaim calls f with each sentence of text that may speak of
// spending: those with "spen" in them (spend, spending, spent), as
// sentences cuts them from their paragraphs, found without cutting the
// rest of the text. A sentence is given as text holds it, spaces and line
// breaks included.
func eachClaim(text []byte, f func(raw []byte)) {
	for start := 0; ; {
		i := indexSpen(text[start:])
		if i < 0 {
			return
		}
		i += start
		// Its sentence: from just after the last word before it that
		// ends one, or the last paragraph break, to the end of the first
		// word from it that does. The sentence before it ended where the
		// last claim did (start) at the latest: after a word that ends
		// one, or at a paragraph break.
		from := start
		for end := i - 1; end > start; {
			p := lastStop(text[start:end])
			if p < 0 {
				break
			}
			p += start
			if c := text[p]; c == '\n' && text[p+1] == '\n' || stops[c] == stopSentence && isSpaceAt(text, p+1) {
				from = p + 1
				break
			}
			end = p
		}
		to := len(text)
	forward:
		for j := i; ; j++ {
			if j = nextStop(text, j); j < 0 {
				break
			}
			switch stops[text[j]] {
			case stopSentence:
				if j+1 == len(text) || isSpaceAt(text, j+1) {
					to = j + 1
					break forward
				}
			case stopLine:
				if j+1 < len(text) && text[j+1] == '\n' {
					to = j
					break forward
				}
			}
		}
		f(text[from:to])
		start = to
	}
}

// nextStop returns the index of the first byte of b from b[from] on that
// eachClaim stops at, -1 for none: with the AVX2 kernel where the CPU has
// it, then byte by byte.
func nextStop(b []byte, from int) int {
	for i := from + indexStopArch(b[from:]); i < len(b); i++ {
		if stops[b[i]] != 0 {
			return i
		}
	}
	return -1
}

// lastStop returns the index of the last byte of b that eachClaim stops
// at, -1 for none.
func lastStop(b []byte) int {
	i := lastStopArch(b)
	if i >= 0 {
		return i
	}
	for i = -1 - i - 1; i >= 0; i-- {
		if stops[b[i]] != 0 {
			return i
		}
	}
	return -1
}

// stops marks the bytes eachClaim stops at: those that end a sentence
// before a space, and the line break, two of which end a paragraph.
var stops = [256]uint8{'.': stopSentence, '!': stopSentence, '?': stopSentence, '\n': stopLine}

const (
	stopSentence = 1 + iota
	stopLine
)

// collapseSpaces is strings.Join(strings.Fields(string(b)), " "): b's
// words, one space apart, without spaces around them.
func collapseSpaces(b []byte) string {
	out := make([]byte, 0, len(b))
	space := false
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			if asciiSpace[c] {
				space = true
				continue
			}
			if space && len(out) > 0 {
				out = append(out, ' ')
			}
			space = false
			out = append(out, c)
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if unicode.IsSpace(r) {
			space = true
			i += n
			continue
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
		}
		space = false
		out = append(out, b[i:i+n]...)
		i += n
	}
	return string(out)
}

// asciiSpace are the ASCII spaces, as unicode.IsSpace sees them.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// isSpaceAt reports whether a space (as strings.Fields sees one) starts at
// b[i].
func isSpaceAt(b []byte, i int) bool {
	r, _ := utf8.DecodeRune(b[i:])
	return unicode.IsSpace(r)
}

// indexSpen is the index of "spen" or "Spen" in b, -1 for none: with
// the AVX2 kernel where the CPU has it (indexSpenArch), then with
// bytes.Index.
func indexSpen(b []byte) int {
	from := indexSpenArch(b)
	if from+4 <= len(b) && b[from]|0x20 == 's' && string(b[from+1:from+4]) == "pen" {
		return from
	}
	return indexSpenFrom(b, from)
}

// indexSpenFrom is indexSpen from b[from] on.
func indexSpenFrom(b []byte, from int) int {
	for {
		i := bytes.Index(b[from:], []byte("pen"))
		if i < 0 {
			return -1
		}
		i += from
		if i > 0 && (b[i-1] == 's' || b[i-1] == 'S') {
			return i - 1
		}
		from = i + 1
	}
}

// containsWord reports whether s holds word as a word of its own: not
// inside a longer word.
func containsWord(s, word string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], word)
		if i < 0 {
			return false
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+len(word):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		from = i + 1
	}
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}
