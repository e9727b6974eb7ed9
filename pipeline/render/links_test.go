package render

import (
	"strings"
	"testing"
)

func TestTag(t *testing.T) {
	const all = "utm_source=newsletter&utm_medium=email&utm_campaign=october-rewards&utm_content=" + variantSlot
	tg := newTagger(Links{UTM: true}, "October Rewards")
	tests := []struct {
		name, in string
		escaped  bool
		want     string
	}{
		{"plain", "https://www.example.com/offers", false, "https://www.example.com/offers?" + all},
		{"http and upper case", "HTTP://Example.COM", false, "HTTP://Example.COM?" + all},
		{"query kept", "https://e.com/o?a=1&b=2", false, "https://e.com/o?a=1&b=2&" + all},
		{"fragment kept", "https://e.com/o?a=1#top", false, "https://e.com/o?a=1&" + all + "#top"},
		{"fragment without query", "https://e.com/o#top", false, "https://e.com/o?" + all + "#top"},
		{"empty query", "https://e.com/o?", false, "https://e.com/o?" + all},
		{"trailing ampersand", "https://e.com/o?a=1&", false, "https://e.com/o?a=1&" + all},
		{"designer's parameters win", "https://e.com/o?utm_source=partner&UTM_MEDIUM=x&utm_campaign=", false,
			"https://e.com/o?utm_source=partner&UTM_MEDIUM=x&utm_campaign=&utm_medium=email&utm_content=" + variantSlot},
		{"escaped parameter names", "https://e.com/o?utm%5Fsource=a", false, "https://e.com/o?utm%5Fsource=a&utm_medium=email&utm_campaign=october-rewards&utm_content=" + variantSlot},
		{"all set already", "https://e.com/?utm_source=a&utm_medium=b&utm_campaign=c&utm_content=d", false, "https://e.com/?utm_source=a&utm_medium=b&utm_campaign=c&utm_content=d"},
		{"actions in the query", "https://x.com/offers?tier={{ .Recipient.Tier }}&n={{ index .Recipient.Attrs \"a?b#c\" }}", false,
			"https://x.com/offers?tier={{ .Recipient.Tier }}&n={{ index .Recipient.Attrs \"a?b#c\" }}&" + all},
		{"action in the path", "https://x.com/u/{{ .Recipient.ID }}#{{ .Variant.ID }}", false, "https://x.com/u/{{ .Recipient.ID }}?" + all + "#{{ .Variant.ID }}"},
		{"HTML attribute", "https://e.com/o?a=1&amp;b=2", true, "https://e.com/o?a=1&amp;b=2&amp;" + strings.ReplaceAll(all, "&", "&amp;")},
		{"HTML attribute with a parameter", "https://e.com/o?utm_source=x&amp;utm_medium=y", true,
			"https://e.com/o?utm_source=x&amp;utm_medium=y&amp;utm_campaign=october-rewards&amp;utm_content=" + variantSlot},
		{"white space kept", "  https://e.com/ \n", true, "  https://e.com/?" + strings.ReplaceAll(all, "&", "&amp;") + " \n"},
		{"host from an action", "https://{{ .Recipient.Attrs.host }}/o", false, "https://{{ .Recipient.Attrs.host }}/o"},
		{"action only", "{{ .UnsubscribeURL }}", false, "{{ .UnsubscribeURL }}"},
		{"mailto", "mailto:help@example.com?subject=Hi", false, "mailto:help@example.com?subject=Hi"},
		{"relative", "/offers", false, "/offers"},
		{"scheme-relative", "//e.com/offers", false, "//e.com/offers"},
		{"no host", "https:///offers", false, "https:///offers"},
		{"javascript", "javascript:alert(1)", false, "javascript:alert(1)"},
		{"unclosed action", "https://e.com/?a={{ .X", false, "https://e.com/?a={{ .X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tg.tag(tt.in, tt.escaped); got != tt.want {
				t.Errorf("tag(%q) =\n %q\nwant\n %q", tt.in, got, tt.want)
			}
		})
	}
	if got := (*tagger)(nil).tag("https://e.com/", false); got != "https://e.com/" {
		t.Errorf("a nil tagger tagged: %q", got)
	}
	if newTagger(Links{Source: "x"}, "c") != nil {
		t.Error("a tagger without UTM")
	}
}

func TestTagSettings(t *testing.T) {
	tests := []struct {
		name  string
		links Links
		in    string
		want  string
	}{
		{"values escaped", Links{UTM: true, Source: "Bank & Co", Medium: "e-mail", Campaign: "Fall sale 2026"},
			"https://e.com/", "https://e.com/?utm_source=Bank+%26+Co&utm_medium=e-mail&utm_campaign=Fall+sale+2026&utm_content=" + variantSlot},
		{"allowed domain", Links{UTM: true, Domains: []string{"Example.com"}}, "https://news.example.com/x", "https://news.example.com/x?utm_source=newsletter&utm_medium=email&utm_campaign=c&utm_content=" + variantSlot},
		{"allowed domain with a port and user", Links{UTM: true, Domains: []string{"example.com"}}, "https://u:p@example.com:8443/x", "https://u:p@example.com:8443/x?utm_source=newsletter&utm_medium=email&utm_campaign=c&utm_content=" + variantSlot},
		{"other domain", Links{UTM: true, Domains: []string{"example.com"}}, "https://notexample.com/x", "https://notexample.com/x"},
		{"skipped domain", Links{UTM: true, SkipDomains: []string{"partner.org"}}, "https://www.partner.org/x", "https://www.partner.org/x"},
		{"skip wins over allow", Links{UTM: true, Domains: []string{"example.com"}, SkipDomains: []string{"help.example.com"}}, "https://help.example.com/", "https://help.example.com/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newTagger(tt.links, "c").tag(tt.in, false); got != tt.want {
				t.Errorf("tag(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTagText(t *testing.T) {
	tg := newTagger(Links{UTM: true}, "c")
	q := "?utm_source=newsletter&utm_medium=email&utm_campaign=c&utm_content=" + variantSlot
	tests := []struct{ name, in, want string }{
		{"address", "Visit https://e.com/help today.", "Visit https://e.com/help" + q + " today."},
		{"sentence end", "See https://e.com/a, https://e.com/b! (https://e.com/c)", "See https://e.com/a" + q + ", https://e.com/b" + q + "! (https://e.com/c" + q + ")"},
		{"parentheses inside", "https://e.com/wiki/Card_(payment)", "https://e.com/wiki/Card_(payment)" + q},
		{"an action in the address", "https://e.com/u?id={{ .Recipient.ID }} next", "https://e.com/u?id={{ .Recipient.ID }}&" + q[1:] + " next"},
		{"an address in an action", `{{ if eq .Variant.ID "https://e.com/" }}x{{ end }}`, `{{ if eq .Variant.ID "https://e.com/" }}x{{ end }}`},
		{"the unsubscribe link", "Unsubscribe: {{ .UnsubscribeURL }}", "Unsubscribe: {{ .UnsubscribeURL }}"},
		{"inside a word", "xhttps://e.com/", "xhttps://e.com/"},
		{"at the end", "https://e.com", "https://e.com" + q},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tg.tagText(tt.in); got != tt.want {
				t.Errorf("tagText(%q) =\n %q\nwant\n %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"october-rewards", "october-rewards"}, {"October Rewards 2026", "october-rewards-2026"}, {"  Fall__Sale!! ", "fall-sale"},
		{"Café", "caf"}, {"", ""}, {"---", ""},
	} {
		if got := Slug(tt.in); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
