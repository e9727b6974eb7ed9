package fit

import "testing"

func TestClaimsSpending(t *testing.T) {
	for _, s := range []string{
		"Your card spending on Dining.", "You spent it", "you spend", "YOU SPENDS", "your spendings", "yourspend",
		"you. spend", "you, and then spent", "Beyond spend", "Your next dinner counts", "you spending", "you-spend",
		"spend you", "you_spend", "you spend_", "your spend? yes", "You ſpend", "Zoë, you spend", "you spent3", "",
		"youyou spend", "your your spend", "you r spend", "yours spend",
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
