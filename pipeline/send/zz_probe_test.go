package send

import (
	"bytes"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
)

func TestZZProbe(t *testing.T) {
	m := &render.Message{Subject: "Zoë, three tables worth booking this month and a long tail to see folding behaviour", Preheader: "p", HTML: []byte("<p>Hello Zoë</p>\n<p>" + string(bytes.Repeat([]byte("x"), 100)) + "</p>"), Text: []byte("Hello Zoë\n")}
	env := Envelope{Sender: render.Sender{Name: "Meridian Card", From: "Meridian Card <news@meridian.example>", ReplyTo: "help@meridian.example"},
		Recipient: render.Recipient{ID: "C1", FirstName: "Zoë", LastName: "O'Brien", Email: "zoe@example.com"},
		Unsubscribe: "https://u.example/unsub?c=oct&id=C1&t=0123456789abcdef0123456789abcdef0123456789abcdef", Date: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC),
		Campaign: "oct", Month: "2026-10", Variant: "v0001", UserAgent: "tailor test"}
	msg, err := Compose(m, env)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WriteEML(&b, msg)
	t.Logf("%s", b.String())
}
