package preview

import (
	"bufio"
	"bytes"
	"mime"
	"net/textproto"
	"strings"
)

// header is one header of a message, its value unfolded and its encoded
// words decoded.
type header struct {
	Name  string
	Value string
	// Key marks the headers an operator checks first: sender,
	// recipient, subject, unsubscribe.
	Key bool
}

// keyHeaders are the headers marked Key.
var keyHeaders = map[string]bool{
	"From": true, "To": true, "Reply-To": true, "Subject": true,
	"List-Unsubscribe": true, "List-Unsubscribe-Post": true,
}

// readHeaders returns the headers of the message eml in their order. A
// value whose encoded words cannot be decoded (an unknown charset) is
// kept as written.
func readHeaders(eml []byte) []header {
	var out []header
	dec := new(mime.WordDecoder)
	sc := bufio.NewScanner(bytes.NewReader(eml))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break // the end of the headers
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(out) > 0 { // a folded line continues the header before
				h := &out[len(out)-1]
				h.Value = strings.TrimSpace(h.Value + " " + strings.TrimSpace(line))
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		key := keyHeaders[textproto.CanonicalMIMEHeaderKey(name)]
		out = append(out, header{Name: name, Value: strings.TrimSpace(value), Key: key})
	}
	for i := range out {
		if v, err := dec.DecodeHeader(out[i].Value); err == nil {
			out[i].Value = v
		}
	}
	return out
}
