// Package fit audits personalized messages for truth about their reader:
// that nobody reads a block meant for another card tier or relationship
// type, a sentence that claims spending they do not have, or a subject
// about an interest they do not spend on. It reads the messages as they
// are written (the HTML's block rows, the plain text, the subject), not
// the plan that made them, so that a template set that says something
// untrue is caught whatever its wording.
package fit

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tailor-mail/tailor/variants"
)

// Rules, as Misfit.Rule names them.
const (
	// RuleTier: a block that lists card tiers, and not the reader's.
	RuleTier = "tier"
	// RuleRelationship: a block that lists relationship types, and not
	// the reader's.
	RuleRelationship = "relationship"
	// RuleSpend: a sentence about the reader's spending ("your
	// spending", "you spend") that names an interest they have no spend
	// on.
	RuleSpend = "spend"
	// RuleSubject: a subject line of a block that serves interests, none
	// of which the reader spends on.
	RuleSubject = "subject"
)

// Rules lists the rules in the order reports show them.
func Rules() []string { return []string{RuleTier, RuleRelationship, RuleSpend, RuleSubject} }

// Reader is what the audit knows of a message's recipient.
type Reader struct {
	ID           string
	Tier         string
	Relationship string
	// Spending lists the ids of the interests they have spend on.
	Spending []string
}

// Message is a personalized message as its reader gets it.
type Message struct {
	Subject string
	HTML    []byte
	Text    []byte
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
	blocks    map[string]variants.Block
	interests []nameRE
	subjects  []subjectRE
}

type nameRE struct {
	id string
	re *regexp.Regexp
}

type subjectRE struct {
	block     string
	interests []string
	re        *regexp.Regexp
}

// New returns a Checker for the blocks of a template set and the
// interests of a taxonomy.
func New(blocks []variants.Block, interests []Interest) *Checker {
	c := &Checker{blocks: make(map[string]variants.Block, len(blocks))}
	action := regexp.MustCompile(`\{\{.*?\}\}`)
	for _, b := range blocks {
		c.blocks[b.ID] = b
		for _, s := range b.Subjects {
			// A subject line is a template: what its actions write can be
			// anything.
			parts := action.Split(s, -1)
			for i := range parts {
				parts[i] = regexp.QuoteMeta(strings.TrimSpace(parts[i]))
			}
			re := regexp.MustCompile(`^\s*` + strings.Join(parts, `.*?`) + `\s*$`)
			c.subjects = append(c.subjects, subjectRE{block: b.ID, interests: b.Interests, re: re})
		}
	}
	for _, in := range interests {
		if in.Name == "" {
			continue
		}
		c.interests = append(c.interests, nameRE{in.ID, regexp.MustCompile(`\b` + regexp.QuoteMeta(in.Name) + `\b`)})
	}
	return c
}

// blockRow finds the blocks of a message's HTML: each block's row has the
// class "block block-<id>".
var blockRow = regexp.MustCompile(`class="block block-([A-Za-z0-9_-]+)"`)

// spendClaim finds a sentence about the reader's spending.
var spendClaim = regexp.MustCompile(`(?i)\byou(r)?\b[^.!?]*\bspen(d|ds|ding|t)\b`)

// Check returns what m says that is not true for r, in rule order.
func (c *Checker) Check(r Reader, m Message) []Misfit {
	var out []Misfit
	for _, match := range blockRow.FindAllSubmatch(m.HTML, -1) {
		b, ok := c.blocks[string(match[1])]
		if !ok {
			continue
		}
		if len(b.Tiers) > 0 && !slices.Contains(b.Tiers, r.Tier) {
			out = append(out, Misfit{RuleTier, fmt.Sprintf("block %s (for %s) to a cardholder of tier %q", b.ID, strings.Join(b.Tiers, ", "), r.Tier)})
		}
		if len(b.Relationships) > 0 && !slices.Contains(b.Relationships, r.Relationship) {
			out = append(out, Misfit{RuleRelationship, fmt.Sprintf("block %s (for %s) to a cardholder who is %s", b.ID, strings.Join(b.Relationships, ", "), r.Relationship)})
		}
	}
	for _, s := range sentences(string(m.Text)) {
		if !spendClaim.MatchString(s) {
			continue
		}
		for _, in := range c.interests {
			if !slices.Contains(r.Spending, in.id) && in.re.MatchString(s) {
				out = append(out, Misfit{RuleSpend, s})
				break
			}
		}
	}
	for _, s := range c.subjects {
		if !s.re.MatchString(m.Subject) {
			continue
		}
		if len(s.interests) > 0 && !slices.ContainsFunc(s.interests, func(id string) bool { return slices.Contains(r.Spending, id) }) {
			out = append(out, Misfit{RuleSubject, fmt.Sprintf("%q (block %s, for %s)", m.Subject, s.block, strings.Join(s.interests, ", "))})
		}
		break
	}
	return out
}

// sentences splits text into sentences: paragraphs, cut after each word
// that ends with ".", "!" or "?" (a full stop inside a number or a link
// does not end one); line breaks count as spaces.
func sentences(text string) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		var cur []string
		for _, w := range strings.Fields(para) {
			cur = append(cur, w)
			if strings.HasSuffix(w, ".") || strings.HasSuffix(w, "!") || strings.HasSuffix(w, "?") {
				out = append(out, strings.Join(cur, " "))
				cur = cur[:0]
			}
		}
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, " "))
		}
	}
	return out
}
