package templates

import (
	"bytes"
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
