package send_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

const unsub = "https://www.meridian.example/unsubscribe?c=october-rewards&id=C000042&t=0123456789abcdef0123456789abcdef"

// envelope is the fixed envelope of the tests: a non-ASCII recipient, a
// sender with a display name, a Date outside UTC.
func envelope() send.Envelope {
	return send.Envelope{
		Sender:      render.Sender{Name: "Meridian Card", From: "Meridian Card <news@meridian.example>", ReplyTo: "help@meridian.example", PostalAddress: "100 Harbor Street, Portland, ME 04101"},
		Recipient:   render.Recipient{ID: "C000042", FirstName: "Zoë", LastName: "O'Brien", Email: "zoe.obrien@example.com", Tier: "platinum"},
		Unsubscribe: unsub,
		Date:        time.Date(2026, 11, 2, 9, 30, 0, 0, time.FixedZone("EST", -5*3600)),
		Campaign:    "october-rewards",
		Month:       "2026-10",
		Variant:     "v0001",
		UserAgent:   "tailor test",
	}
}

// newsletter renders the dining variant of the default set for the
// envelope's recipient.
func newsletter(t testing.TB, env send.Envelope) *render.Message {
	t.Helper()
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	e, err := render.NewEngine(set, templates.NewMarkdown(), render.Campaign{Name: env.Campaign, Month: env.Month, MonthName: render.MonthName(env.Month)}, env.Sender)
	if err != nil {
		t.Fatal(err)
	}
	lead, _ := set.Block("dining-table")
	n, err := e.Compile(variants.Variant{
		ID: env.Variant, Label: "Dining", Interests: []variants.Interest{{ID: "dining", Name: "Dining"}},
		Blocks:  []string{"intro-greeting", "dining-table", "closing-signoff"},
		Subject: lead.Subjects[0], Preheader: lead.Preheaders[0],
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := n.Personalize(env.Recipient, env.Unsubscribe)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func eml(t testing.TB, m *render.Message, env send.Envelope) []byte {
	t.Helper()
	msg, err := send.Compose(m, env)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := send.WriteEML(&b, msg); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestComposeRoundTrip(t *testing.T) {
	env := envelope()
	m := newsletter(t, env)
	if !strings.HasPrefix(m.Subject, "Zoë,") {
		t.Fatalf("subject %q is not personalized", m.Subject)
	}
	raw := eml(t, m, env)

	// The wire form: 7-bit, CRLF line ends only, lines within RFC 5322's limit.
	for i, c := range raw {
		if c >= 0x80 {
			t.Fatalf("byte %d is not 7-bit: %q", i, raw[max(0, i-20):i+1])
		}
	}
	if n, crlf := bytes.Count(raw, []byte("\n")), bytes.Count(raw, []byte("\r\n")); n != crlf {
		t.Errorf("%d line feeds, %d of them after a carriage return", n, crlf)
	}
	for i, l := range strings.Split(string(raw), "\r\n") {
		if len(l) > 998 {
			t.Errorf("line %d has %d octets", i+1, len(l))
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	var dec mime.WordDecoder
	header := func(name string) string {
		t.Helper()
		v, err := dec.DecodeHeader(h.Get(name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		return strings.TrimSpace(v)
	}
	t.Run("addresses", func(t *testing.T) {
		for _, tt := range []struct{ header, name, addr string }{
			{"From", "Meridian Card", "news@meridian.example"},
			{"To", "Zoë O'Brien", "zoe.obrien@example.com"},
			{"Reply-To", "", "help@meridian.example"},
		} {
			as, err := h.AddressList(tt.header)
			if err != nil || len(as) != 1 {
				t.Errorf("%s %q: %v, %d addresses", tt.header, h.Get(tt.header), err, len(as))
				continue
			}
			if as[0].Name != tt.name || as[0].Address != tt.addr {
				t.Errorf("%s = %q <%s>, want %q <%s>", tt.header, as[0].Name, as[0].Address, tt.name, tt.addr)
			}
		}
		if to := h.Get("To"); !strings.Contains(to, "=?") {
			t.Errorf("To %q: the non-ASCII name is not RFC 2047 encoded", to)
		}
	})
	t.Run("headers", func(t *testing.T) {
		if got := header("Subject"); got != m.Subject {
			t.Errorf("Subject %q, want %q", got, m.Subject)
		}
		if !strings.Contains(h.Get("Subject"), "=?") {
			t.Errorf("Subject %q is not RFC 2047 encoded", h.Get("Subject"))
		}
		wantID := "<" + send.MessageID(env.Campaign, env.Month, env.Recipient.ID, "meridian.example") + ">"
		if got := header("Message-ID"); got != wantID {
			t.Errorf("Message-ID %q, want %q", got, wantID)
		}
		date, err := h.Date()
		if err != nil || !date.Equal(env.Date) {
			t.Errorf("Date %q = %v (%v), want %v", h.Get("Date"), date, err, env.Date)
		}
		for _, tt := range []struct{ name, want string }{
			{"List-Unsubscribe", "<" + unsub + ">"},
			{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
			{"MIME-Version", "1.0"},
			{"User-Agent", "tailor test"},
			{"X-Tailor-Campaign", "october-rewards/2026-10"},
			{"X-Tailor-Variant", "v0001"},
		} {
			if got := header(tt.name); got != tt.want {
				t.Errorf("%s %q, want %q", tt.name, got, tt.want)
			}
		}
	})
	t.Run("parts", func(t *testing.T) {
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
			t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
		}
		r := multipart.NewReader(msg.Body, params["boundary"])
		want := []struct {
			typ  string
			body []byte
		}{{"text/plain", m.Text}, {"text/html", m.HTML}}
		for i := 0; ; i++ {
			p, err := r.NextRawPart()
			if err == io.EOF {
				if i != len(want) {
					t.Errorf("%d parts, want %d", i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if i >= len(want) {
				t.Fatalf("extra part %q", p.Header.Get("Content-Type"))
			}
			pt, pp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if err != nil || pt != want[i].typ || !strings.EqualFold(pp["charset"], "utf-8") {
				t.Errorf("part %d: Content-Type %q, want %s; charset=UTF-8", i, p.Header.Get("Content-Type"), want[i].typ)
			}
			if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
				t.Errorf("part %d: Content-Transfer-Encoding %q", i, cte)
			}
			body, err := io.ReadAll(quotedprintable.NewReader(p))
			if err != nil {
				t.Fatalf("part %d: %v", i, err)
			}
			body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
			if !bytes.Equal(bytes.TrimRight(body, "\n"), bytes.TrimRight(want[i].body, "\n")) {
				t.Errorf("part %d: decoded body differs from the rendered one:\n%s", i, body)
			}
			if !bytes.Contains(body, []byte(env.Recipient.FirstName)) {
				t.Errorf("part %d lacks the first name %q", i, env.Recipient.FirstName)
			}
		}
	})
}

func TestComposeOptionalHeaders(t *testing.T) {
	m := &render.Message{Subject: "Hello", HTML: []byte("<p>Hi</p>"), Text: []byte("Hi\n")}
	tests := []struct {
		name    string
		edit    func(*send.Envelope)
		present map[string]string // header -> value; "" for absent
	}{{
		name:    "no reply-to",
		edit:    func(e *send.Envelope) { e.Sender.ReplyTo = "" },
		present: map[string]string{"Reply-To": ""},
	}, {
		name:    "no unsubscribe",
		edit:    func(e *send.Envelope) { e.Unsubscribe = "" },
		present: map[string]string{"List-Unsubscribe": "", "List-Unsubscribe-Post": ""},
	}, {
		name:    "no user agent",
		edit:    func(e *send.Envelope) { e.UserAgent = "" },
		present: map[string]string{"User-Agent": "", "X-Mailer": ""},
	}, {
		name:    "bare from takes the sender name",
		edit:    func(e *send.Envelope) { e.Sender.From = "news@meridian.example" },
		present: map[string]string{"From": `"Meridian Card" <news@meridian.example>`},
	}, {
		name:    "from with its own name",
		edit:    func(e *send.Envelope) { e.Sender.From = "Card Team <team@meridian.example>" },
		present: map[string]string{"From": `"Card Team" <team@meridian.example>`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := envelope()
			tt.edit(&env)
			msg, err := mail.ReadMessage(bytes.NewReader(eml(t, m, env)))
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.present {
				if got := msg.Header.Get(name); got != want {
					t.Errorf("%s %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestComposeQuotesNames checks that display names with quotes,
// backslashes and commas reach the headers intact and cannot add an
// address.
func TestComposeQuotesNames(t *testing.T) {
	m := &render.Message{Subject: "Hello", HTML: []byte("<p>Hi</p>"), Text: []byte("Hi\n")}
	tests := []struct {
		name, first, last, sender, wantTo string
	}{
		{name: "quotes", first: `Dwayne "The Rock"`, last: "Johnson", sender: "Meridian Card", wantTo: `Dwayne "The Rock" Johnson`},
		{name: "backslash", first: `Ann\`, last: `Lee\Jr`, sender: "Meridian Card", wantTo: `Ann\ Lee\Jr`},
		{name: "address in a name", first: `Eve" <eve@evil.example>, "x`, last: "", sender: "Meridian Card", wantTo: `Eve" <eve@evil.example>, "x`},
		{name: "attribute breaker", first: "Mal", last: `"><img src=x onerror=alert(1)>`, sender: "Meridian Card", wantTo: `Mal "><img src=x onerror=alert(1)>`},
		{name: "quoted sender", first: "Ann", last: "Lee", sender: `Meridian "Card"`, wantTo: "Ann Lee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := envelope()
			env.Recipient.FirstName, env.Recipient.LastName = tt.first, tt.last
			env.Sender.Name, env.Sender.From = tt.sender, "news@meridian.example"
			msg, err := mail.ReadMessage(bytes.NewReader(eml(t, m, env)))
			if err != nil {
				t.Fatal(err)
			}
			to, err := msg.Header.AddressList("To")
			if err != nil || len(to) != 1 {
				t.Fatalf("To %q: %v, %d addresses", msg.Header.Get("To"), err, len(to))
			}
			if to[0].Name != tt.wantTo || to[0].Address != env.Recipient.Email {
				t.Errorf("To = %q <%s>, want %q <%s>", to[0].Name, to[0].Address, tt.wantTo, env.Recipient.Email)
			}
			from, err := msg.Header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != tt.sender || from[0].Address != "news@meridian.example" {
				t.Errorf("From %q: %v", msg.Header.Get("From"), from)
			}
		})
	}
}

func TestComposeDeterministic(t *testing.T) {
	env := envelope()
	m := newsletter(t, env)
	a, b := eml(t, m, env), eml(t, m, env)
	if !bytes.Equal(a, b) {
		t.Errorf("two compositions differ:\n%s\n----\n%s", a, b)
	}
	other := env
	other.Recipient.ID = "C000043"
	c := eml(t, m, other)
	if bytes.Equal(a, c) {
		t.Error("another recipient id gives the same bytes")
	}
	id := send.MessageID(env.Campaign, env.Month, env.Recipient.ID, "meridian.example")
	if !bytes.Contains(a, []byte(id)) || bytes.Contains(c, []byte(id)) {
		t.Error("the Message-ID does not follow the recipient id")
	}
}

func TestMessageID(t *testing.T) {
	ref := send.MessageID("october-rewards", "2026-10", "C1", "meridian.example")
	if !strings.HasSuffix(ref, "@meridian.example") || len(ref) != 32+len("@meridian.example") {
		t.Fatalf("MessageID = %q: want 32 hex digits @ the domain", ref)
	}
	if again := send.MessageID("october-rewards", "2026-10", "C1", "meridian.example"); again != ref {
		t.Errorf("not stable: %q, %q", ref, again)
	}
	tests := []struct{ name, campaign, month, id, domain string }{
		{"other campaign", "november-rewards", "2026-10", "C1", "meridian.example"},
		{"other month", "october-rewards", "2026-11", "C1", "meridian.example"},
		{"other cardholder", "october-rewards", "2026-10", "C2", "meridian.example"},
		{"fields shifted", "october-rewards2026-10", "", "C1", "meridian.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send.MessageID(tt.campaign, tt.month, tt.id, tt.domain)
			if got[:32] == ref[:32] {
				t.Errorf("%q has the same local part as %q", got, ref)
			}
		})
	}
}

// TestComposeRefuses checks that every header problem wraps
// render.ErrHeader, and that only the recipient's own fields make a
// *RefusedError: a problem of the sender or the unsubscribe link is one of
// every message.
func TestComposeRefuses(t *testing.T) {
	m := &render.Message{Subject: "Hello", HTML: []byte("<p>Hi</p>"), Text: []byte("Hi\n")}
	fields := []struct {
		name    string
		set     func(*send.Envelope, *render.Message, string)
		good    string
		refused bool // the recipient's own field
	}{
		{"subject", func(e *send.Envelope, m *render.Message, v string) { m.Subject = v }, "Hello", true},
		{"first name", func(e *send.Envelope, m *render.Message, v string) { e.Recipient.FirstName = v }, "Ann", true},
		{"last name", func(e *send.Envelope, m *render.Message, v string) { e.Recipient.LastName = v }, "Lee", true},
		{"email", func(e *send.Envelope, m *render.Message, v string) { e.Recipient.Email = v }, "ann@example.com", true},
		{"sender name", func(e *send.Envelope, m *render.Message, v string) { e.Sender.Name = v }, "Meridian", false},
		{"from", func(e *send.Envelope, m *render.Message, v string) { e.Sender.From = v }, "news@meridian.example", false},
		{"reply-to", func(e *send.Envelope, m *render.Message, v string) { e.Sender.ReplyTo = v }, "help@meridian.example", false},
		{"unsubscribe url", func(e *send.Envelope, m *render.Message, v string) { e.Unsubscribe = v }, "https://u.example/x", false},
	}
	breaks := []struct{ name, insert string }{{"CRLF", "\r\nBcc: eve@evil.example"}, {"LF", "\nX-Evil: 1"}, {"CR", "\r"}}
	for _, f := range fields {
		for _, br := range breaks {
			t.Run(f.name+" "+br.name, func(t *testing.T) {
				env, mm := envelope(), *m
				f.set(&env, &mm, f.good+br.insert)
				msg, err := send.Compose(&mm, env)
				if !errors.Is(err, render.ErrHeader) {
					t.Fatalf("error %v, want one wrapping render.ErrHeader", err)
				}
				if msg != nil {
					t.Error("a message came with the error")
				}
				if !strings.HasPrefix(err.Error(), "send: "+f.name) {
					t.Errorf("error %q does not name the field", err)
				}
				checkRefused(t, err, f.refused, env)
			})
		}
		t.Run(f.name+" good", func(t *testing.T) {
			env, mm := envelope(), *m
			f.set(&env, &mm, f.good)
			if _, err := send.Compose(&mm, env); err != nil {
				t.Errorf("refused a good value: %v", err)
			}
		})
	}
	for _, tt := range []struct {
		name, email, from, replyTo, first, sender string
		refused                                   bool
	}{
		{name: "email without @", email: "not-an-email", refused: true},
		{name: "empty email", email: "", refused: true},
		{name: "two @", email: "a@b@example.com", refused: true},
		{name: "two addresses", email: "ann@example.com, eve@evil.example", refused: true},
		{name: "name in the email", email: "Eve <eve@evil.example>", refused: true},
		{name: "non-ASCII name with a backslash", email: "zoe@example.com", first: `Zoë \`, refused: true},
		{name: "from not an address", from: "Meridian Card"},
		{name: "empty from", from: " "},
		{name: "reply-to not an address", replyTo: "help desk"},
		{name: "non-ASCII sender name with a backslash", from: "news@meridian.example", sender: `Méridien \`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := envelope()
			if tt.from != "" {
				env.Sender.From = tt.from
			} else if tt.replyTo != "" {
				env.Sender.ReplyTo = tt.replyTo
			} else {
				env.Recipient.Email = tt.email
			}
			if tt.first != "" {
				env.Recipient.FirstName, env.Recipient.LastName = tt.first, "Lee"
			}
			if tt.sender != "" {
				env.Sender.Name = tt.sender
			}
			msg, err := send.Compose(m, env)
			if err == nil {
				to, _ := msg.GetRecipients()
				t.Fatalf("accepted; recipients %v", to)
			}
			if !errors.Is(err, render.ErrHeader) {
				t.Errorf("error %v does not wrap render.ErrHeader", err)
			}
			checkRefused(t, err, tt.refused, env)
		})
	}
	t.Run("sender checked first", func(t *testing.T) {
		env := envelope()
		env.Sender.From = "Meridian Card"
		env.Recipient.FirstName = "Ann\r\nBcc: eve@evil.example"
		_, err := send.Compose(m, env)
		checkRefused(t, err, false, env)
	})
}

// checkRefused checks that err is a *RefusedError of env's recipient and
// variant if refused, and no *RefusedError otherwise.
func checkRefused(t *testing.T, err error, refused bool, env send.Envelope) {
	t.Helper()
	var re *send.RefusedError
	switch {
	case !refused && errors.As(err, &re):
		t.Errorf("error %v is a *RefusedError: a problem of the envelope must stop the run", err)
	case refused && !errors.As(err, &re):
		t.Errorf("error %v (%T) is not a *RefusedError", err, err)
	case refused:
		if re.Recipient != env.Recipient.ID || re.Variant != env.Variant {
			t.Errorf("refused %s/%s, want %s/%s", re.Variant, re.Recipient, env.Variant, env.Recipient.ID)
		}
		if re.Error() != re.Err.Error() {
			t.Errorf("Error() = %q, want the reason %q", re.Error(), re.Err.Error())
		}
	}
}

func BenchmarkCompose(b *testing.B) {
	env := envelope()
	m := newsletter(b, env)
	var buf bytes.Buffer
	b.ReportAllocs()
	count := 0
	for b.Loop() {
		buf.Reset()
		msg, err := send.Compose(m, env)
		if err != nil {
			b.Fatal(err)
		}
		if err := send.WriteEML(&buf, msg); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
		count++
	}
	b.ReportMetric(float64(count)/b.Elapsed().Seconds(), "msgs/s")
}
