package render_test

import (
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
)

// The default dining block names the recipient's favourite restaurant when
// there is one, and says nothing of it otherwise.
func TestFavouriteMerchantMergeField(t *testing.T) {
	set := defaultSet(t)
	n, err := newEngine(t, set).Compile(plan(t, set)[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		merchants map[string]string
		want      string
	}{
		{"favourite restaurant", map[string]string{"dining": "Olive & Thyme"}, "Your next dinner at Olive &amp; Thyme counts too."},
		{"favourite elsewhere only", map[string]string{"fuel": "QuickPump"}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render.Recipient{ID: "C1", FirstName: "Ann", Email: "ann@example.com", TopMerchants: tt.merchants}
			m, err := n.Personalize(r, unsubscribe(t, "C1"))
			if err != nil {
				t.Fatal(err)
			}
			html, text := string(m.HTML), string(m.Text)
			if tt.want == "" {
				if strings.Contains(html, "Your next dinner at") || strings.Contains(text, "Your next dinner at") {
					t.Errorf("a favourite restaurant sentence without one")
				}
				return
			}
			if !strings.Contains(html, tt.want) {
				t.Errorf("HTML lacks %q", tt.want)
			}
			if !strings.Contains(strings.Join(strings.Fields(text), " "), "Your next dinner at Olive & Thyme counts too.") {
				t.Errorf("text lacks the raw merchant name")
			}
		})
	}
}
