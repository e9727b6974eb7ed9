package templates

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// fillUnitWords is fillUnit as it was, word by word: the reference fillUnit
// must match. It appends the words of s filled to width: the first line starts
// with first, the others with rest.
func fillUnitWords(dst, s, first, rest, underline []byte, width int) []byte {
	restCols := utf8.RuneCount(rest)
	firstCols := utf8.RuneCount(first)
	col, widest := 0, 0
	lines := 0
	open := false // a line has been started
	words := false
	for i := 0; i < len(s); {
		c := s[i]
		switch class[c] {
		case classSpace:
			i++
			continue
		case classMark:
			if c == markBreak {
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
		j := i + 1
		ascii := c < utf8.RuneSelf
		for j < len(s) && class[s[j]] == classWord {
			ascii = ascii && s[j] < utf8.RuneSelf
			j++
		}
		word := s[i:j]
		i = j
		n := len(word)
		if !ascii {
			n = utf8.RuneCount(word)
		}
		if open && col+1+n > width {
			dst = append(dst, '\n')
			lines++
			open = false
		}
		if !open {
			if lines == 0 {
				dst = append(dst, first...)
				col = firstCols
			} else {
				dst = append(dst, rest...)
				col = restCols
			}
			open = true
		} else {
			dst = append(dst, ' ')
			col++
		}
		dst = append(dst, word...)
		col += n
		widest = max(widest, col-restCols)
		words = true
	}
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

// FuzzFillUnit checks that fillUnit, which copies runs of words at once,
// writes what filling word by word writes.
func FuzzFillUnit(f *testing.F) {
	for _, s := range []string{
		"one two three four five six seven",
		"a  b \t c\x05d\x05\x05e",
		"Zoë Zoë  Zoë verylongwordthatcannotbesplitatall x",
		"\x05\x05lead and trail \x05",
		" x y\x01z\x02 w",
		"1\u00a0234,50\u00a0€ x y",
		"Here are this month’s picks, chosen for the way you use your card. Everything below is ready to use in October 2026. You have 1,234,567 points to spend on them.",
		"Earn 4x points at restaurants worldwide through the end of October 2026, from the local bistro you love to the tasting  menu you have been saving for.",
		"Thank you for being a cardmember, Zoë-Maximiliana. Offers must be added to your card in the app before you shop,\xff and each one shows its full terms there.",
		"aaaaaaaa bbbbbbbb cccccccc dddddddd eeeeeeee ffffffff gggggggg hhhhhhhh iiiiiiii jjjjjjjj kkkkkkkk llllllll\x05mmmmmmmm nnnnnnnn",
		"ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü ü",
	} {
		f.Add(s, "- ", "  ", "=", 9)
		f.Add(s, "", "", "", 20)
	}
	f.Fuzz(func(t *testing.T, s, first, rest, underline string, width int) {
		width = 1 + abs(width%100)
		want := fillUnitWords([]byte("x"), []byte(s), []byte(first), []byte(rest), []byte(underline), width)
		got := fillUnit([]byte("x"), []byte(s), []byte(first), []byte(rest), []byte(underline), width)
		if !bytes.Equal(got, want) {
			t.Fatalf("fillUnit(%q, %q, %q, %q, %d) = %q, want %q", s, first, rest, underline, width, got, want)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestFillMemo checks that a memo fills as Fill does through what it
// remembers: units with the same text and other fields, other widths, a
// memo that outgrows its bytes, and one that sees only new units.
func TestFillMemo(t *testing.T) {
	unit := func(first, rest, underline, text string) string {
		return "\x01" + first + "\x02" + rest + "\x02" + underline + "\x03" + text + "\x04\n"
	}
	greeting := "Hello Ann, here are this month's picks, chosen for the way you use your card."
	tests := []struct {
		name  string
		texts []string
		width int
	}{
		{"same unit again", []string{unit("", "", "", greeting), unit("", "", "", greeting)}, 30},
		{"same text, other fields", []string{unit("", "", "", greeting), unit("- ", "  ", "", greeting), unit("", "", "=", greeting), unit("> ", "> ", "", greeting)}, 30},
		{"cut short by a condition", []string{"\x01\x02\x02\x03" + greeting + "\x01\x02\x02\x03next\x04", "\x01\x02\x02\x03" + greeting + "\x04"}, 25},
		{"between text outside units", []string{"Before\n\n" + unit("", "", "", greeting) + "\nAfter\n", unit("", "", "", greeting)}, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var memo FillMemo
			for round := range 2 {
				for _, text := range tt.texts {
					want := string(Fill(nil, []byte(text), tt.width))
					if got := string(memo.Fill([]byte("x"), []byte(text), tt.width)); got != "x"+want {
						t.Fatalf("round %d: FillMemo.Fill(%q) = %q, want %q", round, text, got, "x"+want)
					}
				}
			}
		})
	}

	t.Run("other widths", func(t *testing.T) {
		var memo FillMemo
		text := []byte(unit("", "", "", greeting))
		for _, w := range []int{20, 50, 20, 7} {
			if got, want := string(memo.Fill(nil, text, w)), string(Fill(nil, text, w)); got != want {
				t.Fatalf("width %d: %q, want %q", w, got, want)
			}
		}
	})

	t.Run("outgrows its bytes", func(t *testing.T) {
		var memo FillMemo
		long := strings.Repeat("word ", 2000)
		for i := range 300 {
			text := []byte(unit("", "", "", fmt.Sprintf("%d %s", i%150, long)))
			if got, want := string(memo.Fill(nil, text, 60)), string(Fill(nil, text, 60)); got != want {
				t.Fatalf("unit %d: filled differently", i)
			}
			if memo.bytes > fillMemoBytes {
				t.Fatalf("unit %d: the memo holds %d bytes, more than %d", i, memo.bytes, fillMemoBytes)
			}
		}
	})

	t.Run("only new units", func(t *testing.T) {
		var memo FillMemo
		for i := range fillMemoStock {
			text := []byte(unit("", "", "", fmt.Sprintf("Reader %d, thank you.", i)))
			memo.Fill(nil, text, 40)
		}
		if memo.skip != fillMemoSkip {
			t.Fatalf("after %d new units the memo skips %d, want %d", fillMemoStock, memo.skip, fillMemoSkip)
		}
		text := []byte(unit("", "", "", greeting))
		for range fillMemoSkip + 2 {
			if got, want := string(memo.Fill(nil, text, 40)), string(Fill(nil, text, 40)); got != want {
				t.Fatalf("skipping: %q, want %q", got, want)
			}
		}
		if memo.skip != 0 || memo.found != 1 {
			t.Fatalf("after the skip: skip %d, found %d; want 0 and 1", memo.skip, memo.found)
		}
	})
}
