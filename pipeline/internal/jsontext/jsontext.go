// Package jsontext writes JSON string literals as encoding/json does, at a
// fraction of its cost for long, mostly plain text such as a message's
// HTML.
package jsontext

import (
	"math/bits"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// AppendString appends s to dst as a JSON string, byte for byte as
// encoding/json writes it with HTML escaping off
// (json.Encoder.SetEscapeHTML(false)): quotes, backslashes and control
// characters escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Printable ASCII but for quotes and backslashes is copied as it
		// is: eight bytes are looked at at once.
		for i+8 <= len(s) {
			if m := special(load(s[i : i+8])); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		if i == len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// load reads the eight bytes of s, the first lowest.
func load(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special returns the high bit of every byte of v that is not printable
// ASCII (0x20 to 0x7f) or is '"' or '\\', and maybe of bytes above such a
// byte (a borrow runs up): the lowest bit set is always the first such
// byte's.
func special(v uint64) uint64 {
	below := (v - 0x20*ones) &^ v
	q := v ^ '"'*ones // zero bytes where v has quotes
	quote := (q - ones) &^ q
	b := v ^ '\\'*ones
	back := (b - ones) &^ b
	return (v | below | quote | back) & highs
}
