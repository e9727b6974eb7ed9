package pipeline

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/render"
)

const validCampaign = `name = "news"
[inputs]
cardholders = "c.csv"
transactions = "t.csv"
[sender]
name = "Meridian"
from = "Meridian <news@example.com>"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"
`

func TestParseCampaign(t *testing.T) {
	c, err := ParseCampaign("c.toml", []byte(validCampaign))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "news" || c.Inputs.Transactions != "t.csv" || !c.Clustering.K.IsZero() || c.Mail.Outbox != "" {
		t.Errorf("parsed %+v", c)
	}
}

func TestCampaignErrors(t *testing.T) {
	tests := []struct {
		name, edit, want string
	}{
		{"unknown key", `name = "news"` + "\n" + `colour = "red"`,
			"c.toml:2:1: colour: unknown key (see the campaign file reference, pipeline/CAMPAIGN.md)"},
		{"unknown nested key", "[clustering]\nkay = 3",
			"c.toml:12:1: clustering.kay: unknown key (see the campaign file reference, pipeline/CAMPAIGN.md)"},
		{"misspelt key", "[clustering]\nmin_audiance = 3",
			"c.toml:12:1: clustering.min_audiance: unknown key (did you mean min_audience?) (see the campaign file reference, pipeline/CAMPAIGN.md)"},
		{"misspelt key in a relay", "[[smtp]]\nhots = \"mail.example.com\"",
			"c.toml:12:1: smtp.hots: unknown key (did you mean host?) (see the campaign file reference, pipeline/CAMPAIGN.md)"},
		{"mistyped value", "[clustering]\nmax_iterations = \"many\"",
			"c.toml:12:18: clustering.max_iterations: toml: cannot decode TOML string into struct field pipeline.ClusteringConfig.MaxIterations of type int"},
		{"k neither number nor auto", "[clustering]\nk = \"twelve\"", `c.toml:12:1: clustering.k: "twelve": want a number or "auto"`},
		{"bad month", `month = "October"`, `c.toml:11:1: month: month "October": want YYYY-MM`},
		{"bad name", `name = "My News"`, `c.toml:1:1: name: "My News": use lower-case letters, digits, '-' and '_' (it names a directory)`},
		{"bad from", "", ""},
		{"budget", "[inputs]\nerror_budget = 2.0", ""},
		{"outbox", "[mail]\noutbox = \"everyone\"", `c.toml:12:1: mail.outbox: "everyone": want samples, all or none`},
		{"k", "[clustering]\nk = -3", `c.toml:12:1: clustering.k: -3: want 1 to 100000`},
		{"k zero", "[clustering]\nk = 0", `c.toml:12:1: clustering.k: 0: want 1 to 100000`},
		{"k fraction", "[clustering]\nk = 12.5", `c.toml:12:1: clustering.k: "12.5": want a number or "auto"`},
		{"sender name with a line break", "[sender]\nname = \"Meridian\\r\\nBcc: all@example.com\"", `sender.name: "Meridian\r\nBcc: all@example.com": line breaks are not allowed`},
		{"sender locale", "[sender]\nlocale = \"English\"", `sender.locale: "English": want a language tag such as en-US, en-GB or fr-CA`},
		{"date", "[mail]\ndate = \"tomorrow\"", `c.toml:12:1: mail.date: "tomorrow": want RFC 3339, e.g. 2026-11-02T09:00:00Z`},
		{"refusal budget", "[mail]\nrefusal_budget = -0.1", `c.toml:12:1: mail.refusal_budget: -0.1: want a share between 0 and 1 (0.01 is 1%)`},
		{"syntax", "[mail\n", "c.toml:11:6"},
		{"format key", "[format.transactions]\ndelimiter = \"::\"", `c.toml:12:1: format.transactions.delimiter: delimiter "::": want one character`},
		{"format table", "[format.transactions]\nencoding = \"ebcdic\"", `c.toml:12:1: format.transactions.encoding: encoding "ebcdic"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := validCampaign + "\n" + tt.edit
			switch tt.name {
			case "bad name":
				src = strings.Replace(validCampaign, `name = "news"`, tt.edit, 1)
			case "unknown key":
				src = strings.Replace(validCampaign, `name = "news"`, tt.edit, 1)
			case "bad from":
				src = strings.Replace(validCampaign, "Meridian <news@example.com>", "news at example", 1)
				tt.want = `c.toml:7:1: sender.from: "news at example": want an email address`
			case "budget":
				// A second [inputs] table is a TOML error; edit in place.
				src = strings.Replace(validCampaign, `transactions = "t.csv"`, "transactions = \"t.csv\"\nerror_budget = 2.0", 1)
				tt.want = `c.toml:5:1: inputs.error_budget: 2: want a share between 0 and 1 (0.01 is 1%)`
			case "sender name with a line break":
				src = strings.Replace(validCampaign, `name = "Meridian"`, tt.edit[len("[sender]\n"):], 1)
				tt.want = `c.toml:6:1: ` + tt.want
			case "sender locale":
				src = strings.Replace(validCampaign, `name = "Meridian"`, `name = "Meridian"`+"\n"+tt.edit[len("[sender]\n"):], 1)
				tt.want = `c.toml:7:1: ` + tt.want
			}
			if tt.name == "bad month" {
				src = `month = "October"` + "\n" + validCampaign
				tt.want = `c.toml:1:1: month: month "October": want YYYY-MM`
			}
			_, err := ParseCampaign("c.toml", []byte(src))
			if err == nil {
				t.Fatalf("no error for:\n%s", src)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestCampaignRequired(t *testing.T) {
	for _, key := range []string{"name", "cardholders", "transactions", "from", "postal_address", "unsubscribe_url"} {
		t.Run(key, func(t *testing.T) {
			var lines []string
			for _, l := range strings.Split(validCampaign, "\n") {
				if !strings.HasPrefix(l, key+" ") {
					lines = append(lines, l)
				}
			}
			_, err := ParseCampaign("c.toml", []byte(strings.Join(lines, "\n")))
			if err == nil || !strings.Contains(err.Error(), key) {
				t.Errorf("without %s: error %v", key, err)
			}
		})
	}
}

func TestLinksConfig(t *testing.T) {
	tests := []struct {
		name, table string
		want        render.Links
	}{
		{"defaults", "", render.Links{UTM: true, Source: "newsletter", Medium: "email", Campaign: "news"}},
		{"off", "[links]\nutm = false", render.Links{UTM: false, Source: "newsletter", Medium: "email", Campaign: "news"}},
		{"every key", "[links]\nutm = true\nutm_source = \"bank\"\nutm_medium = \"mail\"\nutm_campaign = \"Fall Sale\"\n" +
			"domains = [\"Example.com\", \" news.example.com \"]\nskip_domains = [\"help.example.com\"]",
			render.Links{UTM: true, Source: "bank", Medium: "mail", Campaign: "Fall Sale",
				Domains: []string{"example.com", "news.example.com"}, SkipDomains: []string{"help.example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCampaign("c.toml", []byte(validCampaign+"\n"+tt.table))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.withDefaults().Links.renderLinks(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("links %+v, want %+v", got, tt.want)
			}
		})
	}
	// A campaign without [links] keeps the hash it had before the table.
	c, err := ParseCampaign("c.toml", []byte(validCampaign))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "links") {
		t.Errorf("an unset [links] is in the settings: %s", b)
	}
}

func TestLinksConfigErrors(t *testing.T) {
	tests := []struct{ name, table, want string }{
		{"unknown key", "[links]\nutm_term = \"x\"", "c.toml:12:1: links.utm_term: unknown key (see the campaign file reference, pipeline/CAMPAIGN.md)"},
		{"mistyped utm", "[links]\nutm = \"yes\"", "c.toml:12:7: links.utm: toml: cannot decode TOML string into struct field pipeline.LinksConfig.UTM of type bool"},
		{"blank source", "[links]\nutm_source = \"  \"", `c.toml:12:1: links.utm_source: "  ": want a value, or leave the key out for the default`},
		{"control character", "[links]\nutm_campaign = \"a\\nb\"", `c.toml:12:1: links.utm_campaign: "a\nb": control characters are not allowed`},
		{"too long", "[links]\nutm_medium = \"" + strings.Repeat("m", 201) + "\"", "c.toml:12:1: links.utm_medium: 201 characters: want at most 200"},
		{"domain with a scheme", "[links]\ndomains = [\"https://example.com\"]", `c.toml:12:1: links.domains: "https://example.com": want a domain such as example.com, without scheme or path`},
		{"skipped domain with a path", "[links]\nskip_domains = [\"example.com/help\"]", `c.toml:12:1: links.skip_domains: "example.com/help": want a domain`},
		{"empty domain", "[links]\ndomains = [\"\"]", `c.toml:12:1: links.domains: "": want a domain`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCampaign("c.toml", []byte(validCampaign+"\n"+tt.table))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestK(t *testing.T) {
	tests := []struct {
		name, toml string
		want       K
		json       string
	}{
		{"unset", "", K{}, "null"},
		{"number", "[clustering]\nk = 1349", FixedK(1349), "1349"},
		{"auto", "[clustering]\nk = \"auto\"", AutoK(), `"auto"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCampaign("c.toml", []byte(validCampaign+"\n"+tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			if c.Clustering.K != tt.want {
				t.Errorf("k = %v, want %v", c.Clustering.K, tt.want)
			}
			b, err := json.Marshal(c.Clustering.K)
			if err != nil || string(b) != tt.json {
				t.Errorf("JSON %s, %v; want %s", b, err, tt.json)
			}
			// The campaign's JSON, as a manifest records it, reads back
			// the same and hashes the same.
			b, err = json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var back Campaign
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&back, c) || back.Hash() != c.Hash() {
				t.Errorf("read back %+v\nwant %+v", back.Clustering, c.Clustering)
			}
			if tt.want.IsZero() && strings.Contains(string(b), `"k"`) {
				t.Errorf("an unset k is in the JSON: %s", b)
			}
		})
	}
	var k K
	for _, bad := range []string{`"many"`, `12.5`, `true`} {
		if err := json.Unmarshal([]byte(bad), &k); err == nil {
			t.Errorf("%s read as %v", bad, k)
		}
	}
}
