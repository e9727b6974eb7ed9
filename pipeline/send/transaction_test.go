package send

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/textproto"
	"strings"
	"testing"
)

func TestStuff(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Subject: hi\r\n\r\nbody", "Subject: hi\r\n\r\nbody"},
		{".starts with a dot", "..starts with a dot"},
		{"a\r\n.\r\nb", "a\r\n..\r\nb"},
		{"a\r\n..two\r\n.\r\n", "a\r\n...two\r\n..\r\n"},
		{"no.dot.at.line.start\r\nx.y", "no.dot.at.line.start\r\nx.y"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if _, err := stuff(&b, []byte(tt.in)); err != nil || b.String() != tt.want {
			t.Errorf("stuff(%q) = %q, %v; want %q", tt.in, b.String(), err, tt.want)
		}
		// Read back as a server does, it is the message again.
		r := textproto.NewReader(bufioReader(b.String() + "\r\n.\r\n"))
		got, err := io.ReadAll(r.DotReader())
		if want := tt.in + "\r\n"; tt.in != "" && (err != nil || string(got) != normalize(want)) {
			t.Errorf("read back %q, %v; want %q", got, err, normalize(want))
		}
	}
}

func TestClassifyTx(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      State
		throttled bool
		broken    bool
	}{
		{"accepted", nil, Sent, false, false},
		{"accepted, RSET failed", &txError{stageEnd, errDelivered{io.EOF}}, Sent, false, true},
		{"recipient refused", &txError{stageRecipient, &textproto.Error{Code: 550, Msg: "5.1.1 no such user"}}, Failed, false, false},
		{"sender refused", &txError{stageEnvelope, &textproto.Error{Code: 553, Msg: "5.7.1 not allowed"}}, Failed, false, true},
		{"try later", &txError{stageEnvelope, &textproto.Error{Code: 451, Msg: "4.3.0 try later"}}, Deferred, false, false},
		{"closing", &txError{stageRecipient, &textproto.Error{Code: 421, Msg: "4.7.0 closing"}}, Deferred, true, true},
		{"rate limited", &txError{stageEnvelope, &textproto.Error{Code: 450, Msg: "4.7.28 rate limited"}}, Deferred, true, false},
		{"network before the end", &txError{stageContent, io.ErrUnexpectedEOF}, Deferred, false, true},
		{"no answer to the end", &txError{stageEnd, io.EOF}, Uncertain, false, true},
		{"not a transaction", errors.New("dial: refused"), Deferred, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, reply, throttled, broken := classifyTx(tt.err, "250 2.0.0 Ok: queued")
			if st != tt.want || throttled != tt.throttled || broken != tt.broken {
				t.Errorf("classifyTx = %s %+v throttled %v broken %v; want %s, %v, %v", st, reply, throttled, broken, tt.want, tt.throttled, tt.broken)
			}
		})
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

// normalize is s as textproto's DotReader returns it: CRLF as LF.
func normalize(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
