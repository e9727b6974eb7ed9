package send_test

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// testSender is the sender of the composer tests, in the footer and the
// headers.
var testSender = render.Sender{Name: "Meridian Card", From: "Meridian Card <news@meridian.example>", ReplyTo: "help@meridian.example", PostalAddress: "100 Harbor Street, Portland, ME 04101"}

// newComposer returns the composer of the tests.
func newComposer() *send.Composer {
	return &send.Composer{
		Envelope: send.Envelope{
			Sender: testSender, Date: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC),
			Campaign: "october-rewards", Month: "2026-10", UserAgent: "tailor test",
		},
		UnsubscribeURL: "https://www.meridian.example/unsubscribe",
		Secret:         "test-secret",
	}
}

// compile compiles variant id of the default template set: the greeting,
// whose points balance a value that is no number breaks, the dining
// block, whose subject holds the first name, and the sign-off.
func compile(t testing.TB, id string) *render.Newsletter {
	t.Helper()
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	e, err := render.NewEngine(set, templates.NewMarkdown(), render.Campaign{Name: "october-rewards", Month: "2026-10", MonthName: "October 2026"}, testSender)
	if err != nil {
		t.Fatal(err)
	}
	lead, _ := set.Block("dining-table")
	n, err := e.Compile(variants.Variant{
		ID: id, Label: "Dining", Interests: []variants.Interest{{ID: "dining", Name: "Dining"}},
		Blocks:  []string{"intro-greeting", "dining-table", "closing-signoff"},
		Subject: lead.Subjects[0], Preheader: lead.Preheaders[0],
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// cardholder returns a recipient with a safe name and address.
func cardholder(id string) render.Recipient {
	return render.Recipient{ID: id, FirstName: "Ann", LastName: "Lee " + id, Email: strings.ToLower(id) + "@example.com",
		Tier: "gold", Locale: "en-US", Attrs: map[string]string{"points_balance": "7000"}}
}

func TestComposerCompose(t *testing.T) {
	c := newComposer()
	n := compile(t, "v0001")
	rc := render.Recipient{ID: "C000042", FirstName: "Zoë", LastName: "O'Brien", Email: "zoe.obrien@example.com", Tier: "platinum", Locale: "en-US"}
	got, err := c.Compose(n, rc)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got.EML))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != got.Subject || !strings.HasPrefix(got.Subject, "Zoë,") {
		t.Errorf("Subject %q decodes to %q (%v), want the personalized %q", h.Get("Subject"), subject, err, got.Subject)
	}
	unsub, err := render.UnsubscribeURL(c.UnsubscribeURL, c.Secret, "october-rewards", rc.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, want string }{
		{"Message-ID", got.MessageID},
		{"Message-ID", "<" + send.MessageID("october-rewards", "2026-10", rc.ID, "meridian.example") + ">"},
		{"List-Unsubscribe", "<" + unsub + ">"},
		{"X-Tailor-Variant", "v0001"},
		{"X-Tailor-Campaign", "october-rewards/2026-10"},
		{"User-Agent", "tailor test"},
		{"Date", "Mon, 02 Nov 2026 09:30:00 +0000"},
	} {
		if v := h.Get(tt.name); v != tt.want {
			t.Errorf("%s %q, want %q", tt.name, v, tt.want)
		}
	}
	for _, tt := range []struct{ header, name, addr string }{
		{"From", "Meridian Card", "news@meridian.example"},
		{"To", "Zoë O'Brien", "zoe.obrien@example.com"},
		{"Reply-To", "", "help@meridian.example"},
	} {
		as, err := h.AddressList(tt.header)
		if err != nil || len(as) != 1 || as[0].Name != tt.name || as[0].Address != tt.addr {
			t.Errorf("%s %q: %v %v, want %q <%s>", tt.header, h.Get(tt.header), as, err, tt.name, tt.addr)
		}
	}

	// The message is the one the steps give by hand: Personalize with the
	// signed link, then Compose and WriteEML with the envelope completed.
	m, err := n.Personalize(rc, unsub)
	if err != nil {
		t.Fatal(err)
	}
	env := c.Envelope
	env.Recipient, env.Unsubscribe, env.Variant = rc, unsub, "v0001"
	want := eml(t, m, env)
	if !bytes.Equal(got.EML, want) {
		t.Errorf("Composer.Compose differs from Personalize, Compose, WriteEML:\n%s\n----\n%s", got.EML, want)
	}
	again, err := c.Compose(n, rc)
	if err != nil || !bytes.Equal(again.EML, got.EML) {
		t.Errorf("a second composition differs (%v)", err)
	}
}

// TestComposerRefuses checks that the recipient's own data makes a
// *RefusedError, which the outbox counts, and that a problem of every
// message does not.
func TestComposerRefuses(t *testing.T) {
	n := compile(t, "v0002")
	tests := []struct {
		name     string
		edit     func(*send.Composer, *render.Recipient)
		refused  bool
		is       error  // wrapped by the error
		contains string // in the error
	}{
		{name: "CRLF in the first name", edit: func(_ *send.Composer, r *render.Recipient) { r.FirstName = "Ann\r\nBcc: eve@evil.example" },
			refused: true, is: render.ErrHeader},
		{name: "CRLF in the last name", edit: func(_ *send.Composer, r *render.Recipient) { r.LastName = "Lee\r\nBcc: eve@evil.example" },
			refused: true, is: render.ErrHeader, contains: "send: last name"},
		{name: "email not an address", edit: func(_ *send.Composer, r *render.Recipient) { r.Email = "not-an-email" },
			refused: true, is: render.ErrHeader, contains: "to \"not-an-email\""},
		{name: "name that cannot be encoded", edit: func(_ *send.Composer, r *render.Recipient) { r.FirstName, r.LastName = "Zoë", `\` },
			refused: true, is: render.ErrHeader, contains: "cannot be encoded"},
		{name: "points balance no number", edit: func(_ *send.Composer, r *render.Recipient) { r.Attrs = map[string]string{"points_balance": "lots"} },
			refused: true, is: render.ErrData, contains: "not a number"},
		{name: "from not an address", edit: func(c *send.Composer, _ *render.Recipient) { c.Envelope.Sender.From = "Meridian Card" },
			is: render.ErrHeader, contains: "send: from"},
		{name: "CRLF in the sender name", edit: func(c *send.Composer, _ *render.Recipient) {
			c.Envelope.Sender.Name = "Meridian\r\nBcc: x@evil.example"
		},
			is: render.ErrHeader, contains: "send: sender name"},
		{name: "reply-to not an address", edit: func(c *send.Composer, _ *render.Recipient) { c.Envelope.Sender.ReplyTo = "help desk" },
			is: render.ErrHeader, contains: "send: reply-to"},
		{name: "unsubscribe base not a URL", edit: func(c *send.Composer, _ *render.Recipient) { c.UnsubscribeURL = "unsubscribe" },
			contains: "unsubscribe url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rc := newComposer(), cardholder("C7")
			tt.edit(c, &rc)
			got, err := c.Compose(n, rc)
			if err == nil {
				t.Fatalf("composed:\n%s", got.EML)
			}
			if got != nil {
				t.Error("a message came with the error")
			}
			var re *send.RefusedError
			if errors.As(err, &re) != tt.refused {
				t.Fatalf("error %v (%T): refused %v, want %v", err, err, !tt.refused, tt.refused)
			}
			if tt.refused {
				if re.Recipient != "C7" || re.Variant != "v0002" {
					t.Errorf("refused %s/%s, want v0002/C7", re.Variant, re.Recipient)
				}
				if re.Error() != re.Err.Error() || re.Unwrap() != re.Err {
					t.Errorf("Error %q, Unwrap %v: want the reason %q itself", re.Error(), re.Unwrap(), re.Err)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not say %q", err, tt.contains)
			}
		})
	}
}

// ExampleRefusedError shows how a caller tells a recipient refused from
// an error that stops the run.
func ExampleRefusedError() {
	err := error(&send.RefusedError{Recipient: "C7", Variant: "v0002",
		Err: fmt.Errorf("send: recipient C7: to %q: %w", "not-an-email", render.ErrHeader)})
	var refused *send.RefusedError
	if errors.As(err, &refused) {
		fmt.Printf("%s,%s,%s\n", refused.Variant, refused.Recipient, err)
	}
	// Output: v0002,C7,send: recipient C7: to "not-an-email": bad header value
}
