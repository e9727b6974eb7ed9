package send

import "encoding/binary"

// appendQP appends src to dst quoted-printable encoded, byte for byte as
// mime/quotedprintable's Writer (text mode, as go-mail uses it) writes src
// in one or several Writes followed by Close. The Writer goes a byte at a
// time through a 78-byte line buffer and cost a quarter of a send's CPU;
// this copies runs of plain bytes whole. FuzzQuotedPrintable holds the two
// to the same bytes.
//
// The Writer's rules, kept here: lines of at most 76 characters, a soft
// line break "=" CRLF before a line would pass them; CR, LF and CRLF each
// become CRLF; a space or tab that ends a line is encoded; an encoded byte
// does not reset the Writer's memory of a CR just seen, so an LF after a
// CR and encoded bytes is dropped as the second half of that CRLF.
func appendQP(dst, src []byte) []byte {
	const max = 76 - 1 // the Writer breaks when a line holds 75 bytes
	i := 0             // bytes on the current output line
	cr := false
	for p := 0; p < len(src); {
		b := src[p]
		switch qpClass[b] {
		case qpPlain:
			// A run of plain bytes, copied up to the end of the line.
			end := p + 1
			for end+8 <= len(src) && qpPlain8(binary.LittleEndian.Uint64(src[end:])) {
				end += 8
			}
			for _, c := range src[end:] {
				if qpClass[c] != qpPlain {
					break
				}
				end++
			}
			for p < end {
				if i == max {
					dst = append(dst, '=', '\r', '\n')
					i = 0
				}
				k := min(end-p, max-i)
				dst = append(dst, src[p:p+k]...)
				i += k
				p += k
			}
			cr = false
		case qpBreak:
			p++
			if cr && b == '\n' {
				cr = false
				continue
			}
			if b == '\r' {
				cr = true
			}
			dst, _ = qpEncodeTrailingSpace(dst, i)
			dst = append(dst, '\r', '\n')
			i = 0
		default:
			p++
			dst, i = qpEncode(dst, i, b)
		}
	}
	dst, _ = qpEncodeTrailingSpace(dst, i)
	return dst
}

// qpEncode appends b as =XX, after a soft line break if the line has no
// room for it.
func qpEncode(dst []byte, i int, b byte) ([]byte, int) {
	if 76-1-i < 3 {
		dst = append(dst, '=', '\r', '\n')
		i = 0
	}
	const hex = "0123456789ABCDEF"
	return append(dst, '=', hex[b>>4], hex[b&0x0f]), i + 3
}

// qpEncodeTrailingSpace encodes the space or tab that ends a line.
func qpEncodeTrailingSpace(dst []byte, i int) ([]byte, int) {
	if i == 0 {
		return dst, i
	}
	if b := dst[len(dst)-1]; b == ' ' || b == '\t' {
		return qpEncode(dst[:len(dst)-1], i-1, b)
	}
	return dst, i
}

const (
	qpEncoded = iota // written as =XX
	qpPlain          // written as it is: '!' to '~' but '=', space, tab
	qpBreak          // CR or LF: a line break
)

var qpClass = func() (c [256]byte) {
	for b := '!'; b <= '~'; b++ {
		c[b] = qpPlain
	}
	c['='] = qpEncoded
	c[' '], c['\t'] = qpPlain, qpPlain
	c['\r'], c['\n'] = qpBreak, qpBreak
	return c
}()

// qpPlain8 reports whether the eight bytes of w are all written as they
// are and are not a tab: each from ' ' to '~', none '='. (A tab, or a word
// that is not all plain, goes a byte at a time.)
func qpPlain8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := (w - ones*' ') &^ w         // a byte under ' ' (or 0x80 and up)
	above := (w + ones*(0x80-'~'-1)) | w // a byte over '~'
	v := w ^ ones*'='
	eq := (v - ones) &^ v // a byte that is '='
	return (below|above|eq)&highs == 0
}
