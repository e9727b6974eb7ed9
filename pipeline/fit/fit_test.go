package fit_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/fit"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/variants"
)

func checker() *fit.Checker {
	blocks := []variants.Block{
		{ID: "dining", Interests: []string{"dining"}, Subjects: []string{"{{ .Recipient.FirstName }}, three tables worth booking", "4x points on dinner"}},
		{ID: "fuel", Interests: []string{"fuel"}, Subjects: []string{"Fill up for less"}},
		{ID: "default", Default: true, Subjects: []string{"Your card does more than you might think"}},
		{ID: "tier-gold", Tiers: []string{"gold"}},
		{ID: "tier-premium", Tiers: []string{"gold", "platinum"}},
		{ID: "winback", Relationships: []string{"lapsing", "lost"}},
		{ID: "gold-winback", Tiers: []string{"gold"}, Relationships: []string{"lapsing"}},
		{ID: "intro-fr", Locales: []string{"fr"}, Replaces: "intro"},
		{ID: "students", Attributes: map[string][]string{"segment": {"student", "graduate"}}, Replaces: "dining"},
		// Any subject at all: the lines before it in the set come first.
		{ID: "catch-all", Default: true, Subjects: []string{"{{ .Recipient.FirstName }}"}},
	}
	return fit.New(blocks, []fit.Interest{{"dining", "Dining"}, {"fuel", "Fuel"}, {"family_kids", "Family & kids"}, {"other", ""}})
}

func row(id string) string {
	return `<tr><td class="block block-` + id + `" style="padding:8px">x</td></tr>`
}

func TestCheck(t *testing.T) {
	gold := fit.Reader{ID: "C1", Tier: "gold", Relationship: "lapsing", Spending: []string{"dining", "family_kids"}}
	tests := []struct {
		name   string
		reader fit.Reader
		msg    fit.Message
		want   []string // rules
	}{
		{"a true message", gold, fit.Message{Subject: "Zoë, three tables worth booking",
			HTML: []byte(row("dining") + row("tier-gold") + row("gold-winback") + row("tier-premium")),
			Text: []byte("Why you got this: this month's picks follow your card spending on\nDining, Family & kids.\n")}, nil},
		{"a tier block of another tier", fit.Reader{Tier: "platinum", Relationship: "lapsing"},
			fit.Message{HTML: []byte(row("tier-gold") + row("tier-premium"))}, []string{fit.RuleTier}},
		{"no tier at all", fit.Reader{Relationship: "lost"}, fit.Message{HTML: []byte(row("tier-premium") + row("winback"))}, []string{fit.RuleTier}},
		{"a retention block of another type, and a block for both", fit.Reader{Tier: "gold", Relationship: "intermediate"},
			fit.Message{HTML: []byte(row("winback") + row("gold-winback"))}, []string{fit.RuleRelationship, fit.RuleRelationship}},
		{"spending claimed that is not there", gold, fit.Message{Text: []byte("Why you got this: this month's picks follow\nyour card spending on Dining, Fuel.\n\nFuel up for less.")},
			[]string{fit.RuleSpend}},
		{"an interest named outside a claim about the reader", gold, fit.Message{Text: []byte("Fuel prices rose 3.5% this month. Earn points at the pump.\n\nSpend £500 and earn 10,000 points on Fuel.")}, nil},
		{"you spent, without the spend", gold, fit.Message{Text: []byte("Last month you spent more on Fuel than ever!")}, []string{fit.RuleSpend}},
		{"a subject about an interest without spend", gold, fit.Message{Subject: "Fill up for less"}, []string{fit.RuleSubject}},
		{"a subject with a merge field, without spend", fit.Reader{Tier: "gold"}, fit.Message{Subject: "Alex, three tables worth booking"}, []string{fit.RuleSubject}},
		{"a default block's subject fits anyone", fit.Reader{}, fit.Message{Subject: "Your card does more than you might think"}, nil},
		{"a subject of no block", fit.Reader{}, fit.Message{Subject: "Hello"}, nil},
		{"a subject of a block the variant has", gold, fit.Message{Subject: "Fill up for less", Blocks: []string{"dining", "fuel"}}, []string{fit.RuleSubject}},
		{"only the variant's blocks' subjects are tried", gold, fit.Message{Subject: "Fill up for less", Blocks: []string{"dining"}}, nil},
		{"the set's order, not the variant's, chooses among lines that match", gold, fit.Message{Subject: "Fill up for less", Blocks: []string{"catch-all", "fuel"}}, []string{fit.RuleSubject}},
		{"a line for any subject", gold, fit.Message{Subject: "Fill up for less", Blocks: []string{"catch-all", "dining"}}, nil},
		{"claims in two paragraphs", gold, fit.Message{Text: []byte("Your spending on Dining is up.\n\nNo word here.\n\nWe see you spend on Fuel. You spent on Dining.")}, []string{fit.RuleSpend}},
		{"an unknown block is no one's", fit.Reader{}, fit.Message{HTML: []byte(row("closing"))}, nil},
		{"a block of the reader's language and attribute", fit.Reader{Locale: "fr_CA", Attrs: map[string]string{"segment": "Student"}},
			fit.Message{HTML: []byte(row("intro-fr") + row("students"))}, nil},
		{"a block of another language and another attribute value", fit.Reader{Locale: "en-CA", Attrs: map[string]string{"segment": "retired"}},
			fit.Message{HTML: []byte(row("intro-fr") + row("students"))}, []string{fit.RuleLocale, fit.RuleAttribute}},
		{"no locale, no attribute", fit.Reader{}, fit.Message{HTML: []byte(row("intro-fr") + row("students"))}, []string{fit.RuleLocale, fit.RuleAttribute}},
	}
	c := checker()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range c.Check(tt.reader, tt.msg) {
				got = append(got, m.Rule)
				if m.Detail == "" {
					t.Errorf("misfit %s without a detail", m.Rule)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rules %v, want %v (%+v)", got, tt.want, c.Check(tt.reader, tt.msg))
			}
			// The same message with its rows listed, not its HTML.
			listed := tt.msg
			listed.HTML, listed.Rows = nil, []string{}
			render.EachRow(tt.msg.HTML, func(id []byte) { listed.Rows = append(listed.Rows, string(id)) })
			if got, want := c.Check(tt.reader, listed), c.Check(tt.reader, tt.msg); !reflect.DeepEqual(got, want) {
				t.Errorf("with the rows listed: %+v; with the HTML: %+v", got, want)
			}
		})
	}
}

func TestSpendDetailIsTheSentence(t *testing.T) {
	r := fit.Reader{Spending: []string{"dining"}}
	got := checker().Check(r, fit.Message{Text: []byte("Hello.\n\nWhy you got this: this month's picks follow your card\nspending on Dining, Fuel.\n")})
	want := []fit.Misfit{{Rule: fit.RuleSpend, Detail: "Why you got this: this month's picks follow your card spending on Dining, Fuel."}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestWordsInClaims(t *testing.T) {
	c := fit.New(nil, []fit.Interest{{"fuel", "Fuel"}, {"home", "Home & garden"}})
	for _, tt := range []struct {
		text string
		want int
	}{
		{"Your spending on Fuel.", 1},
		{"Your spending on Fuels.", 0},
		{"Your spending on Biofuel.", 0},
		{"Your spending on Home & garden, and more.", 1},
		{"Your spending on Fuel", 1},
	} {
		if got := len(c.Check(fit.Reader{}, fit.Message{Text: []byte(tt.text)})); got != tt.want {
			t.Errorf("%q: %d misfits, want %d", tt.text, got, tt.want)
		}
	}
}

func TestCheckWithMemory(t *testing.T) {
	// A Memory changes nothing of what Check finds: not for a sentence
	// read again by another reader, nor once it has forgotten (more
	// sentences than it holds).
	c := checker()
	readers := []fit.Reader{{Spending: []string{"dining"}}, {Spending: []string{"fuel"}}, {}, {Spending: []string{"dining", "fuel", "family_kids"}}}
	texts := []string{
		"Hello.\n\nWhy you got this: this month's picks follow your card\nspending on Dining, Fuel.\n",
		"You spent more on Fuel  than last year. Your spending on Family & kids is up!",
		"Nothing about spending here. We spend on Dining.",
	}
	// Subjects read again with the blocks of the message before, with
	// other blocks (the same subject then matches another line, or
	// none), and with the blocks changed in place.
	subjects := []string{"Fill up for less", "Zoë, three tables worth booking", "4x points on dinner", "Hello", "Your card does more than you might think"}
	blockLists := [][]string{nil, {"dining", "fuel"}, {"dining"}, {"catch-all", "fuel"}, {"catch-all", "dining"}, {}}
	var mem fit.Memory
	for i := range 10_000 {
		text := texts[i%len(texts)]
		if i%2 == 0 {
			// A sentence of this reader's own, as a merge field makes.
			text += fmt.Sprintf(" Reader %d, your spending on Dining grew.", i)
		}
		blocks := blockLists[(i/7)%len(blockLists)]
		r := readers[i%len(readers)]
		m := fit.Message{Text: []byte(text), Subject: subjects[(i/3)%len(subjects)], Blocks: blocks}
		if got, want := c.CheckWith(&mem, r, m), c.Check(r, m); !reflect.DeepEqual(got, want) {
			t.Fatalf("message %d: CheckWith = %+v, Check = %+v", i, got, want)
		}
	}
	// The blocks of the message before, changed in place: the subject
	// matches another line.
	gold := fit.Reader{Tier: "gold", Spending: []string{"dining"}}
	blocks := []string{"catch-all", "fuel"}
	for _, last := range []string{"fuel", "dining", "fuel"} {
		blocks[1] = last
		m := fit.Message{Subject: "Fill up for less", Blocks: blocks}
		if got, want := c.CheckWith(&mem, gold, m), c.Check(gold, m); !reflect.DeepEqual(got, want) {
			t.Fatalf("blocks %v: CheckWith = %+v, Check = %+v", blocks, got, want)
		}
	}
}
