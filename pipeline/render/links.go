package render

import (
	"html"
	"net/url"
	"strings"
)

// Links says how the newsletter's links are tagged for web analytics.
// With UTM set, every http(s) link that a template writes as a literal
// address (in the blocks, the layouts and the partials, in the HTML and
// the text part) gets the parameters utm_source, utm_medium, utm_campaign
// and utm_content, the variant's id. A link the designer already gave one
// of them keeps the designer's; existing parameters and the fragment stay.
// Links whose address is a template action, such as the unsubscribe link
// ({{ .UnsubscribeURL }}), links whose host is not literal, mailto: and
// other schemes, and links inside Outlook conditional comments are left
// alone. The zero value tags nothing.
type Links struct {
	// UTM turns tagging on.
	UTM bool
	// Source, Medium and Campaign are the values of utm_source, utm_medium
	// and utm_campaign; New fills in "newsletter", "email" and the
	// campaign's name, slugged.
	Source, Medium, Campaign string
	// Domains, when not empty, limits tagging to links to these domains
	// and their subdomains; SkipDomains are never tagged.
	Domains, SkipDomains []string
}

// Defaults of Links.
const (
	DefaultUTMSource = "newsletter"
	DefaultUTMMedium = "email"
)

// variantSlot stands for the variant's id in a tagged link until Compile
// knows it: letters only, so that neither goldmark nor the CSS inliner
// changes it.
const variantSlot = "TLRUTMVARIANT"

// Slug returns s in lower case with every run of characters other than
// letters and digits turned into one "-": "October Rewards 2026" is
// "october-rewards-2026".
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

// tagger adds the UTM parameters of one engine to links.
type tagger struct {
	params [4][2]string // key, query-escaped value; the variant's is variantSlot
	only   []string
	skip   []string
}

// newTagger returns the tagger of l, or nil when l tags nothing.
func newTagger(l Links, campaign string) *tagger {
	if !l.UTM {
		return nil
	}
	or := func(v, d string) string {
		if strings.TrimSpace(v) == "" {
			return d
		}
		return v
	}
	t := &tagger{params: [4][2]string{
		{"utm_source", url.QueryEscape(or(l.Source, DefaultUTMSource))},
		{"utm_medium", url.QueryEscape(or(l.Medium, DefaultUTMMedium))},
		{"utm_campaign", url.QueryEscape(or(l.Campaign, Slug(campaign)))},
		{"utm_content", variantSlot},
	}}
	for _, d := range l.Domains {
		t.only = append(t.only, normDomain(d))
	}
	for _, d := range l.SkipDomains {
		t.skip = append(t.skip, normDomain(d))
	}
	return t
}

func normDomain(d string) string {
	return strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
}

// tag returns the link target u with the parameters it lacks, or u as it
// is when it is not to be tagged. u may hold template actions; escaped
// says it is written inside an HTML attribute, where "&" is "&amp;".
func (t *tagger) tag(u string, escaped bool) string {
	if t == nil {
		return u
	}
	lead := len(u) - len(strings.TrimLeft(u, " \t\n\r\f"))
	s := strings.TrimRight(u[lead:], " \t\n\r\f")
	trail := u[lead+len(s):]
	var after string
	switch {
	case hasPrefixFold(s, "https://"):
		after = s[len("https://"):]
	case hasPrefixFold(s, "http://"):
		after = s[len("http://"):]
	default:
		return u
	}
	if !actionsClosed(s) {
		return u // the template does not parse
	}
	hostEnd := indexOutside(after, "/?#")
	if hostEnd < 0 {
		hostEnd = len(after)
	}
	if !t.wants(after[:hostEnd]) {
		return u
	}
	body, frag := s, ""
	if i := indexOutside(s, "#"); i >= 0 {
		body, frag = s[:i], s[i:]
	}
	have := map[string]bool{}
	sep := "?"
	if q := indexOutside(body, "?"); q >= 0 {
		query := body[q+1:]
		if escaped {
			query = html.UnescapeString(query)
		}
		for _, kv := range strings.Split(query, "&") {
			k, _, _ := strings.Cut(kv, "=")
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			have[k] = true
		}
		switch {
		case strings.HasSuffix(body, "?"), strings.HasSuffix(body, "&"):
			sep = ""
		default:
			sep = "&"
		}
	}
	amp := "&"
	if escaped {
		amp = "&amp;"
		if sep == "&" {
			sep = amp
		}
	}
	var b strings.Builder
	b.WriteString(u[:lead])
	b.WriteString(body)
	added := false
	for _, p := range t.params {
		if have[p[0]] {
			continue
		}
		if added {
			b.WriteString(amp)
		} else {
			b.WriteString(sep)
		}
		b.WriteString(p[0] + "=" + p[1])
		added = true
	}
	if !added {
		return u
	}
	b.WriteString(frag)
	b.WriteString(trail)
	return b.String()
}

// wants reports whether links to host are tagged.
func (t *tagger) wants(host string) bool {
	if host == "" || strings.Contains(host, "{{") {
		return false // where the link goes is only known per recipient
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	host = strings.Trim(strings.ToLower(host), ".")
	in := func(list []string) bool {
		for _, d := range list {
			if host == d || strings.HasSuffix(host, "."+d) {
				return true
			}
		}
		return false
	}
	if len(t.only) > 0 && !in(t.only) {
		return false
	}
	return !in(t.skip)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// actionsClosed reports whether every "{{" in s has its "}}".
func actionsClosed(s string) bool {
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return true
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return false
		}
		s = s[i+2+j+2:]
	}
}

// indexOutside returns the index of the first of chars in s that is not
// inside a template action, or -1.
func indexOutside(s, chars string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '{' && i+1 < len(s) && s[i+1] == '{' {
			j := strings.Index(s[i+2:], "}}")
			if j < 0 {
				return -1
			}
			i += 2 + j + 1
			continue
		}
		if strings.IndexByte(chars, s[i]) >= 0 {
			return i
		}
	}
	return -1
}

// startsURL reports whether a web address starts at src[i]: "http://"
// or "https://", not inside a word.
func startsURL(src string, i int) bool {
	if i > 0 {
		if c := src[i-1]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' {
			return false
		}
	}
	return hasPrefixFold(src[i:], "http://") || hasPrefixFold(src[i:], "https://")
}

// tagText tags the web addresses written in the literal text of a plain
// text template: an address runs to the next white space, template
// actions included, less the punctuation that ends a sentence.
func (t *tagger) tagText(src string) string {
	if t == nil {
		return src
	}
	var b strings.Builder
	i := 0
	for i < len(src) {
		// Skip actions: an address in one is not literal.
		if src[i] == '{' && i+1 < len(src) && src[i+1] == '{' {
			j := strings.Index(src[i+2:], "}}")
			if j < 0 {
				break
			}
			b.WriteString(src[i : i+2+j+2])
			i += 2 + j + 2
			continue
		}
		if !startsURL(src, i) {
			b.WriteByte(src[i])
			i++
			continue
		}
		end := i
		for end < len(src) && !isTextSpace(src[end]) {
			if src[end] == '{' && end+1 < len(src) && src[end+1] == '{' {
				j := strings.Index(src[end+2:], "}}")
				if j < 0 {
					end = len(src)
					break
				}
				end += 2 + j + 2
				continue
			}
			end++
		}
		u := src[i:end]
		trimmed := strings.TrimRight(u, ".,;:!?'\"")
		if strings.HasSuffix(trimmed, ")") && strings.Count(trimmed, "(") < strings.Count(trimmed, ")") {
			trimmed = trimmed[:len(trimmed)-1]
		}
		b.WriteString(t.tag(trimmed, false))
		b.WriteString(u[len(trimmed):])
		i = end
	}
	return b.String()
}

func isTextSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '<' || c == '>'
}
