package fit_test

import (
	"os"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/fit"
)

// BenchmarkCheck audits the plain text of an example newsletter (a
// variant's preview, testdata/message.txt), with its rows listed, as the
// pipeline's fit audit reads each message: one goroutine, one Memory.
func BenchmarkCheck(b *testing.B) {
	text, err := os.ReadFile("testdata/message.txt")
	if err != nil {
		b.Fatal(err)
	}
	c := checker()
	r := fit.Reader{ID: "C1", Tier: "gold", Relationship: "lapsing", Spending: []string{"dining", "family_kids"}}
	m := fit.Message{Subject: "Zoë, three tables worth booking", Rows: []string{"intro", "dining", "tier-gold", "closing"},
		Text: text, Blocks: []string{"dining", "fuel", "default"}}
	var mem fit.Memory
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		c.CheckWith(&mem, r, m)
	}
}
