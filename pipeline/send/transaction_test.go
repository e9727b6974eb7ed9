package send

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"
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

// scriptStep is what a scripted server reads, every line before it
// answers, and what it answers then: the lines' beginnings ("." reads a
// message up to its end), and the replies; hangUp closes the connection
// after them.
type scriptStep struct {
	read   []string
	answer string
	hangUp bool
}

// scriptServer is an SMTP server on loopback that plays steps to one
// client, after its greeting and EHLO (offering PIPELINING when asked),
// and reports each line that differs from its script. Since it reads every
// line of a step before it answers, a client that waits for an answer in
// the middle of a step never gets one: a pipelining test cannot pass
// without pipelining.
func scriptServer(t *testing.T, pipelining bool, steps []scriptStep) (host string, port int, done <-chan []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan []string, 1)
	go func() {
		var problems []string
		defer func() { out <- problems }()
		nc, err := ln.Accept()
		if err != nil {
			problems = append(problems, err.Error())
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		r := textproto.NewReader(bufio.NewReader(nc))
		write := func(s string) { _, _ = io.WriteString(nc, s) }
		write("220 script ESMTP\r\n")
		if line, err := r.ReadLine(); err != nil || !strings.HasPrefix(line, "EHLO ") {
			problems = append(problems, fmt.Sprintf("greeting: %q %v", line, err))
			return
		}
		if pipelining {
			write("250-script\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
		} else {
			write("250-script\r\n250 8BITMIME\r\n")
		}
		for i, st := range steps {
			for _, want := range st.read {
				if want == "." {
					if _, err := r.ReadDotBytes(); err != nil {
						problems = append(problems, fmt.Sprintf("step %d: the message: %v", i, err))
						return
					}
					continue
				}
				line, err := r.ReadLine()
				if err != nil {
					problems = append(problems, fmt.Sprintf("step %d: want %q, read: %v", i, want, err))
					return
				}
				if !strings.HasPrefix(line, want) {
					problems = append(problems, fmt.Sprintf("step %d: got %q, want %q", i, line, want))
				}
			}
			write(st.answer)
			if st.hangUp {
				return
			}
		}
	}()
	return "127.0.0.1", ln.Addr().(*net.TCPAddr).Port, out
}

func TestTransact(t *testing.T) {
	msg := &Outgoing{From: "news@example.com", To: []string{"zoe@example.com"},
		Data: []byte("Subject: hi\r\n\r\n.a line with a dot\r\nbye\r\n")}
	envelope := []string{"MAIL FROM:<news@example.com> BODY=8BITMIME", "RCPT TO:<zoe@example.com>", "DATA"}
	type result struct {
		state            State
		code             int
		throttled, broke bool
	}
	accepted := result{Sent, 250, false, false}
	tests := []struct {
		name       string
		pipelining bool
		steps      []scriptStep
		want       []result // one a message, on one connection
	}{
		{"pipelined: two messages, RSET before the second", true, []scriptStep{
			{read: envelope, answer: "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go on\r\n"},
			{read: []string{"."}, answer: "250 2.0.0 Ok: queued as A\r\n"},
			{read: append([]string{"RSET"}, envelope...), answer: "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go on\r\n"},
			{read: []string{"."}, answer: "250 2.0.0 Ok: queued as B\r\n"},
		}, []result{accepted, accepted}},
		{"pipelined: recipient refused, then DATA", true, []scriptStep{
			{read: envelope, answer: "250 2.1.0 Ok\r\n550 5.1.1 no such user\r\n554 5.5.1 no valid recipients\r\n"},
			{read: append([]string{"RSET"}, envelope...), answer: "250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go on\r\n"},
			{read: []string{"."}, answer: "250 2.0.0 Ok\r\n"},
		}, []result{{Failed, 550, false, false}, accepted}},
		{"pipelined: DATA taken after a refused recipient", true, []scriptStep{
			{read: envelope, answer: "250 2.1.0 Ok\r\n550 5.1.1 no such user\r\n354 go on\r\n"},
			{read: []string{"."}, answer: "554 5.5.1 no valid recipients\r\n"},
		}, []result{{Failed, 550, false, false}}},
		{"pipelined: 421 and hang up", true, []scriptStep{
			{read: envelope, answer: "421 4.7.0 too fast, closing\r\n", hangUp: true},
		}, []result{{Deferred, 421, true, true}}},
		{"pipelined: try later", true, []scriptStep{
			{read: envelope, answer: "451 4.3.0 try later\r\n503 5.5.1 no sender\r\n503 5.5.1 no sender\r\n"},
		}, []result{{Deferred, 451, false, false}}},
		{"pipelined: hang up after the message", true, []scriptStep{
			{read: envelope, answer: "250 Ok\r\n250 Ok\r\n354 go on\r\n"},
			{read: []string{"."}, hangUp: true},
		}, []result{{Uncertain, 0, false, true}}},
		{"one command at a time, RSET after each message", false, []scriptStep{
			{read: envelope[:1], answer: "250 2.1.0 Ok\r\n"},
			{read: envelope[1:2], answer: "250 2.1.5 Ok\r\n"},
			{read: envelope[2:], answer: "354 go on\r\n"},
			{read: []string{"."}, answer: "250 2.0.0 Ok: queued as A\r\n"},
			{read: []string{"RSET"}, answer: "250 2.0.0 Ok\r\n"},
		}, []result{accepted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port, done := scriptServer(t, tt.pipelining, tt.steps)
			r := &Relay{Host: host, Port: port, TLS: TLSNone, Timeout: 2 * time.Second}
			cl, err := r.client()
			if err != nil {
				t.Fatal(err)
			}
			sc, err := cl.DialToSMTPClientWithContext(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			s := newSession(sc, r.timeout(), true)
			if s.pipelining != tt.pipelining {
				t.Fatalf("pipelining %v, want %v", s.pipelining, tt.pipelining)
			}
			for i, want := range tt.want {
				response, err := transact(sc, s, msg, nil, nil)
				st, reply, throttled, broken := classifyTx(err, response)
				got := result{st, reply.Code, throttled, broken}
				if got != want {
					t.Errorf("message %d: %+v (%v, %q), want %+v", i+1, got, err, response, want)
				}
				if st == Sent && (reply.Enhanced != "2.0.0" || !strings.HasPrefix(reply.Text, "250 2.0.0 Ok")) {
					t.Errorf("message %d: reply %+v, want 250 2.0.0", i+1, reply)
				}
			}
			sc.Close()
			for _, p := range <-done {
				t.Error(p)
			}
		})
	}
}
