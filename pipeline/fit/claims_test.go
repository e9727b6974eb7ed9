package fit

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestClaimsSpending(t *testing.T) {
	for _, s := range []string{
		"Your card spending on Dining.", "You spent it", "you spend", "YOU SPENDS", "your spendings", "yourspend",
		"you. spend", "you, and then spent", "Beyond spend", "Your next dinner counts", "you spending", "you-spend",
		"spend you", "you_spend", "you spend_", "your spend? yes", "You ſpend", "Zoë, you spend", "you spent3", "",
		"youyou spend", "your your spend", "you r spend", "yours spend",
		"this month’s picks follow your card spending on Dining.", "you’spend", "yoüu spend", "you\xffspend", "\xffyou spent\xff",
		"YOU ſPENT", "your ſpendings",
	} {
		if got, want := claimsSpending(s), spendClaim.MatchString(s); got != want {
			t.Errorf("claimsSpending(%q) = %v, the expression says %v", s, got, want)
		}
	}
}

func FuzzClaimsSpending(f *testing.F) {
	for _, s := range []string{"Your card spending on Dining.", "you spent", "yourspend", "you. spend", "Spent by you"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := claimsSpending(s), spendClaim.MatchString(s); got != want {
			t.Errorf("claimsSpending(%q) = %v, the expression says %v", s, got, want)
		}
	})
}

// claimsBySentences is claims the plain way, the reference: every
// paragraph with "spen" cut into sentences, those with "spen" kept.
func claimsBySentences(text []byte) []string {
	var out []string
	for _, s := range sentences(string(text)) {
		if strings.Contains(s, "spen") || strings.Contains(s, "Spen") {
			out = append(out, s)
		}
	}
	return out
}

func TestClaims(t *testing.T) {
	for _, text := range []string{
		"Why you got this: this month’s picks follow your card spending on\nDining, Travel.\n\nRef. v0001\n",
		"Spend more. Or less! You spent it? yes\n\nAnother spend here.",
		"A.spend. B spent.  C\n\n\nspend",
		"no claim here\n\nnone",
		"spend",
		"x. spend. y. spend",
		"Tuition\u00a0spend. next",
		"spend.\n\nspend\n\n\nx spend",
		"a\n\nb spend. c\n\n d spent e\n\nspend",
		"\n\nspend\n\nspend",
		"Spend\n\nspend",
	} {
		if got, want := claims([]byte(text)), claimsBySentences([]byte(text)); !slices.Equal(got, want) {
			t.Errorf("claims(%q) = %q, want %q", text, got, want)
		}
	}
}

func FuzzClaims(f *testing.F) {
	f.Add("Why you got this: this month’s picks follow your card spending on\nDining, Travel.\n\nRef. v0001\n")
	f.Add("Spend more. Or less! You spent it? yes\n\nAnother spend here.")
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(text, "\r") {
			return // text parts end their lines with LF alone (render's tidyText)
		}
		if got, want := claims([]byte(text)), claimsBySentences([]byte(text)); !slices.Equal(got, want) {
			t.Errorf("claims(%q) = %q, want %q", text, got, want)
		}
	})
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

func FuzzCollapseSpaces(f *testing.F) {
	for _, s := range []string{"  a  b\n\tc ", "", " ", "x\u00a0y\u2003z\u0085", "\xff \xfe", "a\u200bb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := collapseSpaces([]byte(s)), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("collapseSpaces(%q) = %q, want %q", s, got, want)
		}
	})
}

// Long generated texts, their sentences longer than the kernels' vectors:
// claims finds what the reference finds, with the AVX2 kernels where the
// CPU has them and with the Go code alone.
func TestClaimsGenerated(t *testing.T) {
	words := []string{"you", "spent", "spending", "Spend", "on", "Dining", "e.g.", "3.5", "ok!", "why?", "end.", "x.y", "\n", "\n\n", "\n\n\n", "  ", "\u00a0", "café", "spen."}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		var b strings.Builder
		for n := rng.IntN(120); n > 0; n-- {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(3) > 0 {
				b.WriteByte(' ')
			}
		}
		text := []byte(b.String())
		want := claimsBySentences(text)
		for _, avx := range []bool{useAVX2, false} {
			was := useAVX2
			useAVX2 = avx
			got := claims(text)
			useAVX2 = was
			if !slices.Equal(got, want) {
				t.Fatalf("AVX2 %v: claims(%q) = %q, want %q", avx, text, got, want)
			}
		}
	}
}
