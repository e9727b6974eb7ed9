package render

import "bytes"

// tidyText trims trailing spaces, turns CRLF into LF, collapses runs of
// blank lines, drops blank lines at the start and the end, and ends the
// text with one newline. It works in place.
//
// Most of a message's text is tidy already: lines without trailing
// spaces, paragraphs one blank line apart. Where a line starts after a
// line that is not blank, tidyRun finds how far the lines are tidy, a
// vector at a time, and they are copied in one piece; the loop looks at
// the rest line by line.
func tidyText(b []byte) []byte {
	// last is where the text's last line with more than a line feed
	// starts, or the blank lines before it: the lines from there on are
	// looked at one by one.
	last := len(b)
	for last > 0 && b[last-1] == '\n' {
		last--
	}
	last = blankBefore(b, bytes.LastIndexByte(b[:last], '\n')+1, 0)
	w, blank := 0, 0 // b[:w] is written; blank lines are pending
	for r := 0; r < len(b); {
		if blank == 0 && r < last {
			if c := tidyRun(b, r, last); c > r {
				if w != r {
					copy(b[w:], b[r:c])
				}
				w += c - r
				r = c
				continue
			}
		}
		end, next := len(b), len(b)
		if i := bytes.IndexByte(b[r:], '\n'); i >= 0 {
			end, next = r+i, r+i+1
		}
		e := end
		if e > r && b[e-1] == '\r' {
			e--
		}
		for e > r && (b[e-1] == ' ' || b[e-1] == '\t') {
			e--
		}
		if e == r {
			blank++
			r = next
			continue
		}
		if w > 0 && blank > 0 {
			b[w] = '\n' // w < r: a blank line was read
			w++
		}
		blank = 0
		if w != r {
			copy(b[w:], b[r:e]) // never past the line read: in place is safe
		}
		w += e - r
		if w == len(b) {
			return append(b, '\n')
		}
		b[w] = '\n'
		w++
		r = next
	}
	if w == 0 {
		return append(b[:0], '\n')
	}
	return b[:w]
}

// tidyRun returns how far from r, a line's start after a line that is
// not blank (or the text's start), tidyText would write the lines of b
// as they are: up to the start of the first line it changes, or of the
// blank lines before it, and at most to last, where the text's last
// lines start. A line is changed when it ends in a space, a tab or a
// carriage return, or is the second blank line in a row; a blank first
// line is dropped. The lines up to there end in line feeds, the last of
// them is not blank, and so no blank line is pending where they end.
func tidyRun(b []byte, r, last int) int {
	if b[r] == '\n' {
		return r // a blank line: the loop counts it
	}
	v := r + tidyScan(b[r:last])
	if v == last {
		return last
	}
	// The start of the line that ends at v, or of the blank lines
	// before it.
	return blankBefore(b, bytes.LastIndexByte(b[r:v], '\n')+1+r, r)
}

// blankBefore returns the start of the blank lines right before the line
// that starts at c, down to r at most, or c when there are none: the loop
// must count the blank lines before a line it may drop or collapse with
// them.
func blankBefore(b []byte, c, r int) int {
	for c > r && c >= 2 && b[c-1] == '\n' && b[c-2] == '\n' {
		c--
	}
	return c
}

// tidyScanGo is tidyScan in Go: the index in s of the first line feed
// after a space, a tab, a carriage return or two line feeds; len(s) for
// none. s[0] is not a line feed.
func tidyScanGo(s []byte, from int) int {
	for i := max(from, 1); i < len(s); i++ {
		k := bytes.IndexByte(s[i:], '\n')
		if k < 0 {
			return len(s)
		}
		i += k
		switch s[i-1] {
		case ' ', '\t', '\r':
			return i
		case '\n':
			if i >= 2 && s[i-2] == '\n' {
				return i
			}
		}
	}
	return len(s)
}
