package render_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
)

func TestVerifyUnsubscribe(t *testing.T) {
	const base, secret, camp, id = "https://www.meridian.example/unsubscribe", "s3cret", "october-rewards", "C1"
	u, err := render.UnsubscribeURL(base, secret, camp, id)
	if err != nil {
		t.Fatal(err)
	}
	good := token(t, u)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	tests := []struct {
		name                    string
		secret, camp, id, token string
		want                    bool
	}{
		{"the link's token", secret, camp, id, good, true},
		{"upper-case hex", secret, camp, id, strings.ToUpper(good), true},
		{"other id", secret, camp, "C2", good, false},
		{"id with a space", secret, camp, id + " ", good, false},
		{"other campaign", secret, "november-rewards", id, good, false},
		{"other secret", "other", camp, id, good, false},
		{"empty secret", "", camp, id, good, false},
		{"first digit altered", secret, camp, id, flip(good, 0), false},
		{"last digit altered", secret, camp, id, flip(good, len(good)-1), false},
		{"one digit short", secret, camp, id, good[:31], false},
		{"one digit long", secret, camp, id, good + "0", false},
		{"the whole HMAC", secret, camp, id, good + strings.Repeat("0", 32), false},
		{"empty", secret, camp, id, "", false},
		{"not hex", secret, camp, id, "zz" + good[2:], false},
		{"campaign and id shifted", secret, camp + "\x00C", "1", good, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render.VerifyUnsubscribe(tt.secret, tt.camp, tt.id, tt.token); got != tt.want {
				t.Errorf("VerifyUnsubscribe(%q, %q, %q, %q) = %v, want %v", tt.secret, tt.camp, tt.id, tt.token, got, tt.want)
			}
		})
	}
	t.Run("empty secret signs but never verifies", func(t *testing.T) {
		u, err := render.UnsubscribeURL(base, "", camp, id)
		if err != nil {
			t.Fatal(err)
		}
		if render.VerifyUnsubscribe("", camp, id, token(t, u)) {
			t.Error("a link signed with the empty key verified")
		}
	})
}

// FuzzVerifyUnsubscribe checks that the parameters of every link
// UnsubscribeURL makes verify once read back from the URL, and that a
// token verifies only when it is the link's, in either case.
func FuzzVerifyUnsubscribe(f *testing.F) {
	f.Add("s3cret", "october-rewards", "C1", "0123456789abcdef0123456789abcdef")
	f.Add("k", "c", "a b&c=d", "")
	f.Add("k", "c", "Zoë/1?#", "ZZ")
	f.Add("\x00", "", "\xff", "00000000000000000000000000000000")
	f.Fuzz(func(t *testing.T, secret, camp, id, tok string) {
		u, err := render.UnsubscribeURL("https://u.example/unsubscribe?lang=en", secret, camp, id)
		if err != nil {
			t.Fatal(err)
		}
		p, err := url.Parse(u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		q := p.Query()
		if q.Get("c") != camp || q.Get("id") != id {
			t.Fatalf("%s gives back c=%q id=%q, want %q %q", u, q.Get("c"), q.Get("id"), camp, id)
		}
		good := q.Get("t")
		if got := render.VerifyUnsubscribe(secret, q.Get("c"), q.Get("id"), good); got != (secret != "") {
			t.Errorf("the link's own token: %v", got)
		}
		want := secret != "" && strings.EqualFold(tok, good)
		if got := render.VerifyUnsubscribe(secret, camp, id, tok); got != want {
			t.Errorf("token %q against %q: %v, want %v", tok, good, got, want)
		}
	})
}
