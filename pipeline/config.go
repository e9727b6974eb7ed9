package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/schedule"
	"github.com/tailor-mail/tailor/variants"
)

// Campaign is a campaign file (TOML). Every key is optional but name,
// the inputs and the sender; pipeline/CAMPAIGN.md documents
// each with its default.
type Campaign struct {
	// Name names the campaign; it is a directory name in the output root.
	Name string `toml:"name" json:"name"`
	// Month is the run month, "YYYY-MM" (default: the last full month).
	Month string `toml:"month" json:"month,omitempty"`
	// Output is the output root, relative to the campaign file (default:
	// "out" in the current directory).
	Output string `toml:"output" json:"output,omitempty"`

	Inputs  InputsConfig  `toml:"inputs" json:"inputs"`
	Format  FormatsConfig `toml:"format" json:"format"`
	Profile ProfileConfig `toml:"profile" json:"profile"`
	// Relationship tunes the relationship types (0 keeps a default).
	Relationship RelationshipConfig `toml:"relationship" json:"relationship"`
	Clustering   ClusteringConfig   `toml:"clustering" json:"clustering"`
	Templates    TemplatesConfig    `toml:"templates" json:"templates"`
	Sender       SenderConfig       `toml:"sender" json:"sender"`
	Mail         MailConfig         `toml:"mail" json:"mail"`
	// Links tags the newsletter's links for web analytics. Left out of
	// the JSON when unset, so that the hash of a campaign without it is
	// the one it had before the table existed.
	Links LinksConfig `toml:"links" json:"links,omitzero"`
	// SMTP lists the relays tailor send hands the messages to ([[smtp]]).
	SMTP []SMTPConfig `toml:"smtp" json:"smtp,omitempty"`
	// Send tunes tailor send.
	Send SendingConfig `toml:"send" json:"send,omitzero"`
	// Fit is the fit audit's budget ([fit]).
	Fit FitConfig `toml:"fit" json:"fit,omitzero"`
	// DKIM signs the messages tailor send hands over.
	DKIM DKIMConfig `toml:"dkim" json:"dkim,omitzero"`
	// Schedule is when tailor schedule runs and sends the campaign
	// ([schedule]).
	Schedule ScheduleConfig `toml:"schedule" json:"schedule,omitzero"`
}

// ScheduleConfig is when tailor schedule runs and sends a campaign
// ([schedule]). Each job takes the month before the one its tick falls
// in, in TimeZone: a run on 1 December runs November.
type ScheduleConfig struct {
	// Run and Send are cron schedules ("0 6 1 * *": minute, hour, day of
	// month, month, day of week; or @monthly) of tailor run and tailor
	// send; either may be left out.
	Run  string `toml:"run" json:"run,omitempty"`
	Send string `toml:"send" json:"send,omitempty"`
	// TimeZone is the IANA time zone of the schedules and of the month
	// they take, "Europe/London" (default: the machine's).
	TimeZone string `toml:"time_zone" json:"time_zone,omitempty"`
	// Approval is a file, relative to the campaign file, that must exist
	// before the send job sends; {month} in it is the month
	// ("approved-{month}.txt"). Default: none, the send needs no
	// approval.
	Approval string `toml:"approval" json:"approval,omitempty"`
	// CatchUp is how long after a tick missed while tailor schedule was
	// not running the job still runs at its start, a Go duration
	// (default "168h"; "0s" never catches up).
	CatchUp string `toml:"catch_up" json:"catch_up,omitempty"`
}

// DefaultCatchUp is [schedule] catch_up's default.
const DefaultCatchUp = 7 * 24 * time.Hour

// Specs returns the parsed run and send schedules, nil when not set.
func (s ScheduleConfig) Specs() (run, send *schedule.Spec, err error) {
	loc := time.Local
	if s.TimeZone != "" {
		if loc, err = time.LoadLocation(s.TimeZone); err != nil {
			return nil, nil, fmt.Errorf("time_zone %q: unknown time zone; want an IANA name such as Europe/London or America/New_York", s.TimeZone)
		}
	}
	for _, kv := range []struct {
		key, text string
		spec      **schedule.Spec
	}{{"run", s.Run, &run}, {"send", s.Send, &send}} {
		if kv.text == "" {
			continue
		}
		if *kv.spec, err = schedule.Parse(kv.text, loc); err != nil {
			return nil, nil, fmt.Errorf("%s %q: %w; want a cron schedule such as \"0 6 1 * *\" (06:00 on the 1st)", kv.key, kv.text, err)
		}
	}
	return run, send, nil
}

// CatchUpDuration returns catch_up, its default filled in.
func (s ScheduleConfig) CatchUpDuration() time.Duration {
	if d, err := time.ParseDuration(s.CatchUp); err == nil {
		return d
	}
	return DefaultCatchUp
}

// check checks the [schedule] table; bad reports a key.
func (s ScheduleConfig) check(c *Campaign, bad func(key, msg string, args ...any) error) error {
	if _, _, err := s.Specs(); err != nil {
		key, _, _ := strings.Cut(err.Error(), " ")
		return bad("schedule."+key, "%s", strings.TrimPrefix(err.Error(), key+" "))
	}
	if s.CatchUp != "" {
		if d, err := time.ParseDuration(s.CatchUp); err != nil || d < 0 {
			return bad("schedule.catch_up", "%q: want a duration such as 24h or 168h, or 0s never to catch up", s.CatchUp)
		}
	}
	switch {
	case s.Approval != "" && s.Send == "":
		return bad("schedule.approval", "set, but schedule.send is not: the approval is what the send job waits for")
	case strings.TrimSpace(s.Approval) != s.Approval || strings.ContainsAny(s.Approval, "\x00\r\n"):
		return bad("schedule.approval", "%q: want a file name such as approved-{month}.txt", s.Approval)
	case s.Send != "" && len(c.SMTP) == 0:
		return bad("schedule.send", "set, but the campaign has no [[smtp]] relay to send through")
	case s != (ScheduleConfig{}) && s.Run == "" && s.Send == "":
		return bad("schedule", "want run and/or send: the cron schedules of tailor run and tailor send")
	}
	return nil
}

// SMTPConfig is one SMTP relay ([[smtp]]) and the limits a send keeps to
// on it. Credentials come from the environment or a file readable by its
// owner alone, never from the campaign file.
type SMTPConfig struct {
	// Name names the relay in messages (default host:port).
	Name string `toml:"name" json:"name,omitempty"`
	Host string `toml:"host" json:"host"`
	// Port defaults to 465 with tls = "implicit", else 587.
	Port int `toml:"port" json:"port,omitempty"`
	// TLS is "starttls" (default: required), "implicit", "opportunistic",
	// or "none" (a relay on loopback only).
	TLS string `toml:"tls" json:"tls,omitempty"`
	// Auth is "plain", "login", "cram-md5", "xoauth2" or "" for none.
	Auth     string `toml:"auth" json:"auth,omitempty"`
	Username string `toml:"username" json:"username,omitempty"`
	// PasswordEnv names the environment variable that holds the password
	// (or OAuth 2 token); PasswordFile is a file that holds it, readable
	// by its owner alone.
	PasswordEnv  string `toml:"password_env" json:"password_env,omitempty"`
	PasswordFile string `toml:"password_file" json:"password_file,omitempty"`
	// HELO is the name given in EHLO (default: this host's name).
	HELO string `toml:"helo" json:"helo,omitempty"`
	// Connections is the number of connections kept open (default 4).
	Connections int `toml:"connections" json:"connections,omitempty"`
	// MessagesPerConnection: a connection is opened again after so many
	// messages (default 100).
	MessagesPerConnection int `toml:"messages_per_connection" json:"messages_per_connection,omitempty"`
	// Rate caps the messages per second (default: none); PerHour the
	// messages in any rolling hour; PerDomain the messages in flight to
	// one recipient domain.
	Rate      float64 `toml:"rate" json:"rate,omitempty"`
	PerHour   int     `toml:"per_hour" json:"per_hour,omitempty"`
	PerDomain int     `toml:"per_domain" json:"per_domain,omitempty"`
	// ThrottleWait is how long the relay's connections wait after a
	// throttling reply (421, 4.7.x), doubling at each one in a row up to
	// 30s (default "250ms").
	ThrottleWait string `toml:"throttle_wait" json:"throttle_wait,omitempty"`
	// Pipelining = false sends each SMTP command alone and waits for its
	// answer, even when the relay offers PIPELINING (RFC 2920); by
	// default RSET, MAIL FROM, RCPT TO and DATA go together when it does.
	Pipelining *bool `toml:"pipelining" json:"pipelining,omitempty"`
}

// SendingConfig tunes tailor send ([send]).
type SendingConfig struct {
	// Suppression is the marketer's suppression list: a CSV with an
	// email (or address) and/or cardholder_id column. tailor adds its own,
	// the hard bounces and one-click unsubscribes, in
	// <output>/<campaign>/suppressions.csv.
	Suppression string `toml:"suppression" json:"suppression,omitempty"`
	// MaxAttempts caps the attempts of a deferred message (default 8).
	MaxAttempts int `toml:"max_attempts" json:"max_attempts,omitempty"`
	// RetryBase and RetryMax bound the wait before a deferred message is
	// tried again (default "30s" and "30m"); Deadline is how long after a
	// send starts its deferred messages may still be tried (default
	// "24h"). Go durations.
	RetryBase string `toml:"retry_base" json:"retry_base,omitempty"`
	RetryMax  string `toml:"retry_max" json:"retry_max,omitempty"`
	Deadline  string `toml:"deadline" json:"deadline,omitempty"`
	// PauseWindow and PauseShare pause the send when more than that share
	// of the last so many messages were not accepted (default 500 and
	// 0.05).
	PauseWindow int     `toml:"pause_window" json:"pause_window,omitempty"`
	PauseShare  float64 `toml:"pause_share" json:"pause_share,omitempty"`
}

// FitConfig is the fit audit's budget ([fit]).
type FitConfig struct {
	// Budget is the share of messages that may say something untrue for
	// their reader (a block for another tier, spending they do not have)
	// before the run fails: 0 to 1 (default 0.01).
	Budget *float64 `toml:"budget" json:"budget,omitempty"`
}

// DKIMConfig signs messages with DKIM ([dkim]).
type DKIMConfig struct {
	// Domain and Selector name the key published in DNS at
	// <selector>._domainkey.<domain>.
	Domain   string `toml:"domain" json:"domain,omitempty"`
	Selector string `toml:"selector" json:"selector,omitempty"`
	// KeyFile is a PEM file (RSA or Ed25519 private key) readable by its
	// owner alone; KeyEnv names an environment variable holding the PEM.
	KeyFile string `toml:"key_file" json:"key_file,omitempty"`
	KeyEnv  string `toml:"key_env" json:"key_env,omitempty"`
}

// InputsConfig names the input files and how strict ingest is.
type InputsConfig struct {
	Cardholders  string `toml:"cardholders" json:"cardholders"`
	Transactions string `toml:"transactions" json:"transactions"`
	// Currency of accepted transactions (default "USD").
	Currency string `toml:"currency" json:"currency,omitempty"`
	// Tiers lists the accepted card tiers; a cardholder with another tier
	// is rejected (default: any tier).
	Tiers []string `toml:"tiers" json:"tiers,omitempty"`
	// ErrorBudget is the share of rejected rows per input past which the
	// run fails (default 0.01, 1%).
	ErrorBudget *float64 `toml:"error_budget" json:"error_budget,omitempty"`
	// Rates is a CSV of exchange rates (columns currency, rate: units of
	// the campaign currency per unit); without it, transactions in another
	// currency are rejected.
	Rates string `toml:"rates" json:"rates,omitempty"`
	// Categories is a CSV mapping the transactions' own spend categories to
	// interests (columns category, interest), for inputs without MCCs.
	Categories string `toml:"categories" json:"categories,omitempty"`
	// Profiles is a CSV or XLSX of pre-aggregated profiles: cardholder_id
	// and numeric feature columns; clustering then runs on those.
	Profiles string `toml:"profiles" json:"profiles,omitempty"`
	// ProfileColumns chooses the feature columns of Profiles (default: all
	// but cardholder_id).
	ProfileColumns []string `toml:"profile_columns" json:"profile_columns,omitempty"`
	// ProfileSpend and ProfileTransactions name the columns of Profiles
	// that hold a cardholder's spend in the window (in the campaign's
	// currency) and number of transactions: without transactions, they
	// give the spend level of labels and who has spent at all.
	ProfileSpend        string `toml:"profile_spend" json:"profile_spend,omitempty"`
	ProfileTransactions string `toml:"profile_transactions" json:"profile_transactions,omitempty"`
	// MCCMap is a CSV of corrections to the built-in MCC table (columns
	// mcc, interest, optionally description).
	MCCMap string `toml:"mcc_map" json:"mcc_map,omitempty"`
}

// FormatsConfig says how each input is written.
type FormatsConfig struct {
	Cardholders  FormatConfig `toml:"cardholders" json:"cardholders"`
	Transactions FormatConfig `toml:"transactions" json:"transactions"`
	Profiles     FormatConfig `toml:"profiles" json:"profiles"`
}

// FormatConfig is the format of one input file.
type FormatConfig struct {
	// Delimiter is ",", ";", "tab" or "|" (default: detected).
	Delimiter string `toml:"delimiter" json:"delimiter,omitempty"`
	// Encoding is "utf-8", "windows-1252", "utf-16", "utf-16le" or
	// "utf-16be" (default: detected; see ingest.Format.Encoding).
	Encoding string `toml:"encoding" json:"encoding,omitempty"`
	// Sheet is the XLSX sheet (default: the first).
	Sheet string `toml:"sheet" json:"sheet,omitempty"`
	// DateFormat is "iso" (default), "dmy", "mdy" or a Go layout.
	DateFormat string `toml:"date_format" json:"date_format,omitempty"`
	// Decimal and Thousands are the amount separators (default "." and
	// none).
	Decimal   string `toml:"decimal" json:"decimal,omitempty"`
	Thousands string `toml:"thousands" json:"thousands,omitempty"`
	// MinorUnits says amounts are integer cents.
	MinorUnits bool `toml:"minor_units" json:"minor_units,omitempty"`
	// Columns maps the file's header names to tailor's column names.
	Columns map[string]string `toml:"columns" json:"columns,omitempty"`
	// EmptyCategory is what becomes of a transaction with neither a
	// merchant category code nor a category: "other" (default: counted
	// under the catch-all interest and in the Unmapped sheet) or
	// "reject".
	EmptyCategory string `toml:"empty_category" json:"empty_category,omitempty"`
	// Missing is what fills an empty cell of a pre-aggregated profile
	// column: "reject" (default: the row is rejected), "zero" or
	// "median" (of the column's accepted rows); MissingColumns sets it
	// per column, by header name.
	Missing        string            `toml:"missing" json:"missing,omitempty"`
	MissingColumns map[string]string `toml:"missing_columns" json:"missing_columns,omitempty"`
	// Include and Exclude filter a transactions file's rows
	// ([[format.transactions.exclude]]): a row is read when it matches
	// every Include filter and no Exclude filter; the others are skipped
	// and counted, such as a statement's repayments and fees.
	Include []RowFilterConfig `toml:"include" json:"include,omitempty"`
	Exclude []RowFilterConfig `toml:"exclude" json:"exclude,omitempty"`
}

// RowFilterConfig picks rows by the value of one column: one of Values
// (without regard to case) or matching Pattern (a Go regular expression).
type RowFilterConfig struct {
	Column  string   `toml:"column" json:"column"`
	Values  []string `toml:"values" json:"values,omitempty"`
	Pattern string   `toml:"pattern" json:"pattern,omitempty"`
}

// ingestFormat converts the configuration to the ingest format.
func (f FormatConfig) ingestFormat() (ingest.Format, error) {
	out := ingest.Format{Encoding: f.Encoding, Sheet: f.Sheet, DateFormat: f.DateFormat, MinorUnits: f.MinorUnits, Columns: f.Columns,
		EmptyCategory: f.EmptyCategory, MissingDefault: f.Missing, Missing: f.MissingColumns}
	for _, set := range []struct {
		from []RowFilterConfig
		to   *[]ingest.RowFilter
	}{{f.Include, &out.Include}, {f.Exclude, &out.Exclude}} {
		for _, rf := range set.from {
			*set.to = append(*set.to, ingest.RowFilter{Column: rf.Column, Values: rf.Values, Pattern: rf.Pattern})
		}
	}
	one := func(key, v string) (byte, error) {
		switch {
		case v == "":
			return 0, nil
		case strings.EqualFold(v, "tab") || v == "\\t":
			return '\t', nil
		case len(v) == 1:
			return v[0], nil
		}
		return 0, fmt.Errorf("%s %q: want one character", key, v)
	}
	var err error
	if out.Delimiter, err = one("delimiter", f.Delimiter); err != nil {
		return out, err
	}
	if out.Decimal, err = one("decimal", f.Decimal); err != nil {
		return out, err
	}
	if out.Thousands, err = one("thousands", f.Thousands); err != nil {
		return out, err
	}
	return out, out.Check()
}

// ProfileConfig tunes profiling.
type ProfileConfig struct {
	// WindowMonths is the trailing window, ending with the run month
	// (default 12).
	WindowMonths int `toml:"window_months" json:"window_months,omitempty"`
	// HomeCountry is the country whose transactions are not foreign
	// (default "US").
	HomeCountry string `toml:"home_country" json:"home_country,omitempty"`
	// TopMerchantShare is the share of an interest's spend a merchant needs
	// to be the cardholder's favourite in it (default 0.1).
	TopMerchantShare float64 `toml:"top_merchant_share" json:"top_merchant_share,omitempty"` // AllowDataGap profiles a month whose transactions end before the
	// month begins (default false: the run stops and names the data's
	// last date, since months without data would read as cardholders
	// lapsing).
	AllowDataGap bool `toml:"allow_data_gap" json:"allow_data_gap,omitempty"`
}

// RelationshipConfig sets the thresholds of the relationship types; see
// pipeline/profile/RELATIONSHIPS.md. A zero keeps the default.
type RelationshipConfig struct {
	LapsingTrend              float64 `toml:"lapsing_trend" json:"lapsing_trend,omitempty"`
	LapsingQuietDays          int     `toml:"lapsing_quiet_days" json:"lapsing_quiet_days,omitempty"`
	LapsingMinActiveMonths    int     `toml:"lapsing_min_active_months" json:"lapsing_min_active_months,omitempty"`
	CommittedTenureYears      float64 `toml:"committed_tenure_years" json:"committed_tenure_years,omitempty"`
	CommittedActiveMonths     int     `toml:"committed_active_months" json:"committed_active_months,omitempty"`
	CommittedMaxConcentration float64 `toml:"committed_max_concentration" json:"committed_max_concentration,omitempty"`
	ShareMaxActiveMonths      int     `toml:"share_max_active_months" json:"share_max_active_months,omitempty"`
	ShareIrregularMonths      int     `toml:"share_irregular_months" json:"share_irregular_months,omitempty"`
	// ShareMaxTicket is in units of the campaign currency (40.00).
	ShareMaxTicket float64 `toml:"share_max_ticket" json:"share_max_ticket,omitempty"`
}

// WeightsConfig weighs the clustering features: the interest shares, and
// standardised behaviour columns. Interests weigh most by default, so
// clusters are about preferences; a weight of 0 leaves a column out.
type WeightsConfig struct {
	Interests *float64 `toml:"interests" json:"interests,omitempty"`
	Spend     *float64 `toml:"spend" json:"spend,omitempty"`
	Frequency *float64 `toml:"frequency" json:"frequency,omitempty"`
	Recency   *float64 `toml:"recency" json:"recency,omitempty"`
	Trend     *float64 `toml:"trend" json:"trend,omitempty"`
}

// Default feature weights.
const (
	DefaultWeightInterests = 1.0
	DefaultWeightSpend     = 0.1
	DefaultWeightFrequency = 0.1
	DefaultWeightRecency   = 0.05
	DefaultWeightTrend     = 0.05
)

// featureOptions converts the weights, defaults filled in (withDefaults).
func (w WeightsConfig) featureOptions() profile.FeatureOptions {
	return profile.FeatureOptions{
		Interests: *w.Interests, BehaviourWeight: *w.Spend, Frequency: *w.Frequency, Recency: *w.Recency, Trend: *w.Trend,
	}
}

// ClusteringConfig tunes k-means.
type ClusteringConfig struct {
	// K is the number of clusters, and so of variants: a number (default
	// 12), or "auto" to choose it from MinAudience and MaxK.
	K K `toml:"k" json:"k,omitzero"`
	// MinAudience is, with k = "auto", the fewest cardholders a cluster
	// may have: smaller clusters merge into their nearest neighbour
	// (default 100).
	MinAudience int `toml:"min_audience" json:"min_audience,omitempty"`
	// MaxK caps k = "auto" (default 1349).
	MaxK int `toml:"max_k" json:"max_k,omitempty"`
	// Seed seeds k-means++ (default 1).
	Seed *uint64 `toml:"seed" json:"seed,omitempty"`
	// MaxIterations caps Lloyd iterations (default 100).
	MaxIterations int `toml:"max_iterations" json:"max_iterations,omitempty"`
	// Weights weigh the clustering features.
	Weights WeightsConfig `toml:"weights" json:"weights"`
	// Scale is how pre-aggregated feature columns are scaled before
	// clustering: "standard" (default: zero mean, unit variance) or "none".
	Scale string `toml:"scale" json:"scale,omitempty"`
}

// TemplatesConfig chooses the template set.
type TemplatesConfig struct {
	// Dir is a template set folder, relative to the campaign file (default:
	// the embedded set).
	Dir string `toml:"dir" json:"dir,omitempty"`
	// FastPath personalizes with render's compiled program (default
	// true); false runs every recipient through html/template and
	// text/template. TAILOR_FAST_PATH=off does the same for one run.
	FastPath *bool `toml:"fast_path" json:"fast_path,omitempty"`
}

// SenderConfig is who the newsletter comes from.
type SenderConfig struct {
	Name           string `toml:"name" json:"name"`
	From           string `toml:"from" json:"from"`
	ReplyTo        string `toml:"reply_to" json:"reply_to,omitempty"`
	PostalAddress  string `toml:"postal_address" json:"postal_address"`
	UnsubscribeURL string `toml:"unsubscribe_url" json:"unsubscribe_url"`
	// UnsubscribeSecretEnv names the environment variable holding the key
	// that signs unsubscribe links (default "TAILOR_UNSUBSCRIBE_SECRET").
	UnsubscribeSecretEnv string `toml:"unsubscribe_secret_env" json:"unsubscribe_secret_env,omitempty"`
	// UnsubscribeMailto is a mailbox that takes unsubscribe requests, the
	// mailto: alternative of List-Unsubscribe (default: none).
	UnsubscribeMailto string `toml:"unsubscribe_mailto" json:"unsubscribe_mailto,omitempty"`
	// Locale is the newsletter's locale, such as "en-GB": how templates
	// write money, numbers and dates with .Campaign.Locale, and which
	// market-specific offers they show (default "en-US").
	Locale string `toml:"locale" json:"locale,omitempty"`
}

// LinksConfig tags the newsletter's links with UTM parameters for web
// analytics: see render.Links for which links.
type LinksConfig struct {
	// UTM turns tagging on (default true).
	UTM *bool `toml:"utm" json:"utm,omitempty"`
	// UTMSource, UTMMedium and UTMCampaign are the values of utm_source,
	// utm_medium and utm_campaign (default "newsletter", "email" and the
	// campaign's name, slugged); utm_content is the variant's id.
	UTMSource   string `toml:"utm_source" json:"utm_source,omitempty"`
	UTMMedium   string `toml:"utm_medium" json:"utm_medium,omitempty"`
	UTMCampaign string `toml:"utm_campaign" json:"utm_campaign,omitempty"`
	// Domains limits tagging to links to these domains and their
	// subdomains (default: every domain); SkipDomains are never tagged.
	Domains     []string `toml:"domains" json:"domains,omitempty"`
	SkipDomains []string `toml:"skip_domains" json:"skip_domains,omitempty"`
}

// renderLinks converts the settings, defaults filled in (withDefaults),
// for the renderer.
func (l LinksConfig) renderLinks() render.Links {
	return render.Links{
		UTM: l.UTM == nil || *l.UTM, Source: l.UTMSource, Medium: l.UTMMedium, Campaign: l.UTMCampaign,
		Domains: l.Domains, SkipDomains: l.SkipDomains,
	}
}

// domainRE matches a domain name such as news.example.com.
var domainRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// normDomain is a domain as configured, lower-cased and trimmed.
func normDomain(d string) string { return strings.ToLower(strings.TrimSpace(d)) }

// check checks the [links] table; bad reports a key.
func (l *LinksConfig) check(bad func(key, msg string, args ...any) error) error {
	for _, kv := range []struct{ key, v string }{
		{"links.utm_source", l.UTMSource}, {"links.utm_medium", l.UTMMedium}, {"links.utm_campaign", l.UTMCampaign},
	} {
		switch {
		case kv.v == "":
		case strings.TrimSpace(kv.v) == "":
			return bad(kv.key, "%q: want a value, or leave the key out for the default", kv.v)
		case len(kv.v) > 200:
			return bad(kv.key, "%d characters: want at most 200", len(kv.v))
		case strings.IndexFunc(kv.v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
			return bad(kv.key, "%q: control characters are not allowed", kv.v)
		}
	}
	for _, list := range []struct {
		key     string
		domains []string
	}{{"links.domains", l.Domains}, {"links.skip_domains", l.SkipDomains}} {
		for _, d := range list.domains {
			if n := normDomain(d); !domainRE.MatchString(n) || len(n) > 253 {
				return bad(list.key, "%q: want a domain such as example.com, without scheme or path", d)
			}
		}
	}
	return nil
}

// MailConfig says what the outbox gets.
type MailConfig struct {
	// Outbox is "samples" (default: a few messages per variant), "all"
	// (every recipient) or "none".
	Outbox string `toml:"outbox" json:"outbox,omitempty"`
	// Samples is the number of sample messages per variant (default 3).
	Samples int `toml:"samples" json:"samples,omitempty"`
	// Date is the messages' Date header, RFC 3339 (default: 09:00 UTC on
	// the first day after the run month).
	Date string `toml:"date" json:"date,omitempty"`
	// ListID is the List-Id header (default: the sender's name and
	// <campaign>.<From domain>); "none" leaves it out.
	ListID string `toml:"list_id" json:"list_id,omitempty"`
	// FeedbackID is the sender id that ends the Feedback-ID header
	// (default: the From domain); "none" leaves it out.
	FeedbackID string `toml:"feedback_id" json:"feedback_id,omitempty"`
	// RefusalBudget is the share of the outbox's recipients whose message
	// may be refused (data that cannot make a safe message, a value the
	// templates cannot format) before the outbox stage fails (default
	// 0.01). The refused are listed in outbox/refused.csv either way.
	RefusalBudget *float64 `toml:"refusal_budget" json:"refusal_budget,omitempty"`
}

// Outbox modes.
const (
	OutboxSamples = "samples"
	OutboxAll     = "all"
	OutboxNone    = "none"
)

// Defaults.
const (
	DefaultK           = 12
	DefaultSeed        = 1
	DefaultMaxIter     = 100
	DefaultErrorBudget = 0.01
	DefaultSamples     = 3
	DefaultSecretEnv   = "TAILOR_UNSUBSCRIBE_SECRET"
	DefaultLocale      = "en-US"
	DefaultCurrency    = "USD"
	DefaultFitBudget   = 0.01
)

// ErrConfig is wrapped by every error about the campaign file or the
// command line, so that callers can tell bad usage from a failed run.
var ErrConfig = errors.New("bad configuration")

// ConfigError is a problem in a campaign file, with its position.
type ConfigError struct {
	File   string
	Line   int
	Column int
	Key    string
	Msg    string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrConfig) hold.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// LoadCampaign reads and checks a campaign file. Unknown keys, values of the
// wrong type and invalid values are errors naming the file, line and key.
func LoadCampaign(path string) (*Campaign, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return ParseCampaign(filepath.Base(path), src)
}

// ParseCampaign parses campaign TOML; name is used in messages.
func ParseCampaign(name string, src []byte) (*Campaign, error) {
	var c Campaign
	dec := toml.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var sme *toml.StrictMissingError
		if errors.As(err, &sme) && len(sme.Errors) > 0 {
			e := sme.Errors[0]
			row, col := e.Position()
			msg := "unknown key"
			if k := e.Key(); len(k) > 0 {
				if best := variants.Closest(k[len(k)-1], tableKeys(k[:len(k)-1])); best != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", best)
				}
			}
			return nil, &ConfigError{File: name, Line: row, Column: col, Key: strings.Join(e.Key(), "."),
				Msg: msg + " (see the campaign file reference, pipeline/CAMPAIGN.md)"}
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, &ConfigError{File: name, Line: row, Column: col, Key: strings.Join(de.Key(), "."), Msg: de.Error()}
		}
		return nil, &ConfigError{File: name, Msg: err.Error()}
	}
	if err := c.check(name, src); err != nil {
		return nil, err
	}
	return &c, nil
}

// tableKeys returns the keys the campaign file's table at path may hold
// (nil path: the top level), from Campaign's fields.
func tableKeys(path []string) []string {
	t := reflect.TypeFor[Campaign]()
	name := func(f reflect.StructField) string { n, _, _ := strings.Cut(f.Tag.Get("toml"), ","); return n }
	for _, p := range path {
		found := false
		for f := range t.Fields() {
			if name(f) == p {
				t, found = f.Type, true
				break
			}
		}
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if !found || t.Kind() != reflect.Struct {
			return nil
		}
	}
	var out []string
	for f := range t.Fields() {
		if n := name(f); n != "" && n != "-" {
			out = append(out, n)
		}
	}
	return out
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func (c *Campaign) check(file string, src []byte) error {
	bad := func(key, msg string, args ...any) error {
		line, col := keyPosition(src, key)
		return &ConfigError{File: file, Line: line, Column: col, Key: key, Msg: fmt.Sprintf(msg, args...)}
	}
	if c.Name == "" {
		return bad("name", "required: the campaign's name, e.g. name = \"cardmember-news\"")
	}
	if !nameRE.MatchString(c.Name) {
		return bad("name", "%q: use lower-case letters, digits, '-' and '_' (it names a directory)", c.Name)
	}
	if c.Month != "" {
		if _, err := ParseMonth(c.Month); err != nil {
			return bad("month", "%v", err)
		}
	}
	if c.Inputs.Cardholders == "" {
		return bad("inputs.cardholders", "required: the cardholders CSV file")
	}
	if c.Inputs.Transactions == "" && c.Inputs.Profiles == "" {
		return bad("inputs.transactions", "required: the transactions file (or pre-aggregated inputs.profiles)")
	}
	if len(c.Inputs.ProfileColumns) > 0 && c.Inputs.Profiles == "" {
		return bad("inputs.profile_columns", "set, but inputs.profiles is not")
	}
	for _, kv := range []struct{ key, col string }{{"inputs.profile_spend", c.Inputs.ProfileSpend}, {"inputs.profile_transactions", c.Inputs.ProfileTransactions}} {
		switch {
		case kv.col == "":
		case c.Inputs.Profiles == "":
			return bad(kv.key, "only with inputs.profiles: it names a column of the pre-aggregated profiles")
		case len(c.Inputs.ProfileColumns) > 0 && !slices.ContainsFunc(c.Inputs.ProfileColumns, func(s string) bool { return strings.EqualFold(s, kv.col) }):
			return bad(kv.key, "%q is not among inputs.profile_columns: add it there", kv.col)
		}
	}
	if b := c.Inputs.ErrorBudget; b != nil && (*b < 0 || *b > 1) {
		return bad("inputs.error_budget", "%v: want a share between 0 and 1 (0.01 is 1%%)", *b)
	}
	if b := c.Fit.Budget; b != nil && (*b < 0 || *b > 1 || *b != *b) {
		return bad("fit.budget", "%v: want a share between 0 and 1 (0.01 is 1%%)", *b)
	}
	if cur := c.Inputs.Currency; cur != "" && !regexp.MustCompile(`^[A-Za-z]{3}$`).MatchString(cur) {
		return bad("inputs.currency", "%q: want a 3-letter ISO 4217 code", cur)
	}
	for name, f := range map[string]FormatConfig{"cardholders": c.Format.Cardholders, "profiles": c.Format.Profiles} {
		for key, fs := range map[string][]RowFilterConfig{"include": f.Include, "exclude": f.Exclude} {
			if len(fs) > 0 {
				return bad("format."+name+"."+key, "row filters are for transactions only")
			}
		}
	}
	for name, f := range map[string]FormatConfig{"cardholders": c.Format.Cardholders, "transactions": c.Format.Transactions, "profiles": c.Format.Profiles} {
		if _, err := f.ingestFormat(); err != nil {
			// Point at the key the message is about ("date_format ...")
			// when the file has it, else at the table.
			key := "format." + name
			if w, _, _ := strings.Cut(err.Error(), " "); w != "" {
				if line, _ := keyPosition(src, key+"."+w); line > 0 {
					key += "." + w
				}
			}
			return bad(key, "%v", err)
		}
	}
	for _, t := range c.Inputs.Tiers {
		if strings.TrimSpace(t) == "" {
			return bad("inputs.tiers", "an empty tier name")
		}
	}
	if w := c.Profile.WindowMonths; w != 0 && (w < 4 || w > 60) {
		return bad("profile.window_months", "%d: want 4 to 60 months", w)
	}
	if hc := c.Profile.HomeCountry; hc != "" && !regexp.MustCompile(`^[A-Za-z]{2}$`).MatchString(hc) {
		return bad("profile.home_country", "%q: want a 2-letter ISO 3166 code", hc)
	}
	if k := c.Clustering.K; k.invalid != "" {
		if _, err := strconv.Atoi(k.invalid); err == nil {
			return bad("clustering.k", "%s: want 1 to 100000, or \"auto\"", k.invalid)
		}
		return bad("clustering.k", "%q: want a number or \"auto\"", k.invalid)
	} else if n, fixed := k.Fixed(); fixed && (n < 1 || n > 100000) {
		return bad("clustering.k", "%d: want 1 to 100000, or \"auto\"", n)
	}
	if c.Clustering.MinAudience < 0 || c.Clustering.MaxK < 0 || c.Clustering.MaxK > 100000 {
		return bad("clustering", "min_audience and max_k must be positive (max_k at most 100000)")
	}
	if c.Clustering.MaxIterations < 0 {
		return bad("clustering.max_iterations", "%d: want a positive number", c.Clustering.MaxIterations)
	}
	for _, w := range []struct {
		key string
		v   *float64
	}{{"interests", c.Clustering.Weights.Interests}, {"spend", c.Clustering.Weights.Spend}, {"frequency", c.Clustering.Weights.Frequency},
		{"recency", c.Clustering.Weights.Recency}, {"trend", c.Clustering.Weights.Trend}} {
		if w.v != nil && (*w.v < 0 || *w.v > 10) {
			return bad("clustering.weights."+w.key, "%v: want 0 to 10", *w.v)
		}
	}
	if w := c.Clustering.Weights.Interests; w != nil && *w == 0 {
		return bad("clustering.weights.interests", "0: the interest shares are what variants are planned from; want more than 0")
	}
	rel := c.Relationship
	switch {
	case rel.LapsingTrend < -1 || rel.LapsingTrend > 0:
		return bad("relationship.lapsing_trend", "%v: want -1 to 0", rel.LapsingTrend)
	case rel.CommittedMaxConcentration < 0 || rel.CommittedMaxConcentration > 1:
		return bad("relationship.committed_max_concentration", "%v: want 0 to 1", rel.CommittedMaxConcentration)
	case rel.LapsingQuietDays < 0 || rel.LapsingMinActiveMonths < 0 || rel.CommittedActiveMonths < 0 ||
		rel.ShareMaxActiveMonths < 0 || rel.ShareIrregularMonths < 0 || rel.CommittedTenureYears < 0 || rel.ShareMaxTicket < 0:
		return bad("relationship", "thresholds must not be negative")
	}
	for _, m := range []struct {
		key string
		v   int
	}{{"lapsing_min_active_months", rel.LapsingMinActiveMonths}, {"committed_active_months", rel.CommittedActiveMonths},
		{"share_max_active_months", rel.ShareMaxActiveMonths}, {"share_irregular_months", rel.ShareIrregularMonths}} {
		if m.v > 12 {
			return bad("relationship."+m.key, "%d: months per 12, want 0 to 12", m.v)
		}
	}
	if s := c.Profile.TopMerchantShare; s < 0 || s > 1 {
		return bad("profile.top_merchant_share", "%v: want 0 to 1", s)
	}
	switch c.Clustering.Scale {
	case "", "standard", "none":
	default:
		return bad("clustering.scale", "%q: want standard or none", c.Clustering.Scale)
	}
	if c.Sender.Name == "" {
		return bad("sender.name", "required: the brand shown as the sender")
	}
	if strings.ContainsAny(c.Sender.Name, "\r\n") {
		return bad("sender.name", "%q: line breaks are not allowed (it is a header value)", c.Sender.Name)
	}
	for _, kv := range []struct{ key, v string }{{"sender.from", c.Sender.From}, {"sender.reply_to", c.Sender.ReplyTo}} {
		if kv.v == "" && kv.key == "sender.reply_to" {
			continue
		}
		if a, err := mail.ParseAddress(kv.v); err != nil || strings.ContainsAny(kv.v, "\r\n") || a.Address == "" {
			return bad(kv.key, "%q: want an email address", kv.v)
		}
	}
	if l := c.Sender.Locale; l != "" && !variants.ValidLocale(l) {
		return bad("sender.locale", "%q: want a language tag such as en-US, en-GB or fr-CA", l)
	}
	if c.Sender.PostalAddress == "" {
		return bad("sender.postal_address", "required: a postal address for the footer")
	}
	if m := c.Sender.UnsubscribeMailto; m != "" {
		if a, err := mail.ParseAddress(m); err != nil || a.Name != "" || strings.ContainsAny(m, "\r\n?<>") {
			return bad("sender.unsubscribe_mailto", "%q: want a bare email address such as unsubscribe@example.com", m)
		}
	}
	for _, kv := range []struct{ key, v string }{{"mail.list_id", c.Mail.ListID}, {"mail.feedback_id", c.Mail.FeedbackID}} {
		if strings.IndexFunc(kv.v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 || len(kv.v) > 200 {
			return bad(kv.key, "%q: want at most 200 characters without control characters", kv.v)
		}
	}
	if c.Sender.UnsubscribeURL == "" {
		return bad("sender.unsubscribe_url", "required: the base URL of the unsubscribe page")
	}
	if !strings.HasPrefix(c.Sender.UnsubscribeURL, "https://") && !strings.HasPrefix(c.Sender.UnsubscribeURL, "http://") {
		return bad("sender.unsubscribe_url", "%q: want an absolute http(s) URL", c.Sender.UnsubscribeURL)
	}
	switch c.Mail.Outbox {
	case "", OutboxSamples, OutboxAll, OutboxNone:
	default:
		return bad("mail.outbox", "%q: want samples, all or none", c.Mail.Outbox)
	}
	if c.Mail.Samples < 0 {
		return bad("mail.samples", "%d: want 0 or more", c.Mail.Samples)
	}
	if b := c.Mail.RefusalBudget; b != nil && (*b < 0 || *b > 1) {
		return bad("mail.refusal_budget", "%v: want a share between 0 and 1 (0.01 is 1%%)", *b)
	}
	if c.Mail.Date != "" {
		if _, err := time.Parse(time.RFC3339, c.Mail.Date); err != nil {
			return bad("mail.date", "%q: want RFC 3339, e.g. 2026-11-02T09:00:00Z", c.Mail.Date)
		}
	}
	if err := c.Links.check(bad); err != nil {
		return err
	}
	if err := c.Schedule.check(c, bad); err != nil {
		return err
	}
	return c.checkSend(bad)
}

// checkSend checks [[smtp]], [send] and [dkim].
func (c *Campaign) checkSend(bad func(key, msg string, args ...any) error) error {
	for i, s := range c.SMTP {
		key := fmt.Sprintf("smtp[%d]", i)
		switch {
		case s.Host == "":
			return bad("smtp.host", "required: the relay's host name")
		case s.Port < 0 || s.Port > 65535:
			return bad("smtp.port", "%d: want 1 to 65535", s.Port)
		case s.Connections < 0 || s.MessagesPerConnection < 0 || s.Rate < 0 || s.PerHour < 0 || s.PerDomain < 0:
			return bad("smtp", "%s: connections, messages_per_connection, rate, per_hour and per_domain must not be negative", key)
		case s.ThrottleWait != "" && !positiveDuration(s.ThrottleWait):
			return bad("smtp.throttle_wait", "%q: want a positive duration such as 250ms", s.ThrottleWait)
		case s.PasswordEnv != "" && s.PasswordFile != "":
			return bad("smtp.password_file", "set with password_env: choose one")
		case s.Auth != "" && s.PasswordEnv == "" && s.PasswordFile == "":
			return bad("smtp.auth", "%q needs password_env or password_file (credentials never go in the campaign file)", s.Auth)
		}
		switch s.TLS {
		case "", "starttls", "implicit", "opportunistic":
		case "none":
			if !loopback(s.Host) {
				return bad("smtp.tls", "\"none\" is for a relay on this machine (localhost, 127.0.0.1, ::1) only, not %q", s.Host)
			}
		default:
			return bad("smtp.tls", "%q: want starttls, implicit, opportunistic or none", s.TLS)
		}
		switch strings.ToLower(s.Auth) {
		case "", "plain", "login", "cram-md5", "xoauth2":
		default:
			return bad("smtp.auth", "%q: want plain, login, cram-md5 or xoauth2", s.Auth)
		}
	}
	sc := c.Send
	for _, d := range []struct{ key, v string }{{"send.retry_base", sc.RetryBase}, {"send.retry_max", sc.RetryMax}, {"send.deadline", sc.Deadline}} {
		if d.v == "" {
			continue
		}
		if v, err := time.ParseDuration(d.v); err != nil || v <= 0 {
			return bad(d.key, "%q: want a positive duration such as 30s, 10m or 24h", d.v)
		}
	}
	if sc.MaxAttempts < 0 || sc.PauseWindow < 0 || sc.PauseShare < 0 || sc.PauseShare > 1 {
		return bad("send", "max_attempts and pause_window must not be negative, pause_share is a share between 0 and 1")
	}
	if d := c.DKIM; d != (DKIMConfig{}) {
		switch {
		case d.Domain == "" || d.Selector == "":
			return bad("dkim", "domain and selector are both required")
		case (d.KeyFile == "") == (d.KeyEnv == ""):
			return bad("dkim", "set one of key_file and key_env")
		}
	}
	return nil
}

// positiveDuration reports whether s is a Go duration above zero.
func positiveDuration(s string) bool {
	d, err := time.ParseDuration(s)
	return err == nil && d > 0
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keyPosition finds the line of a dotted key ("sender.from") in TOML
// source, for messages about values that decoded but are invalid.
func keyPosition(src []byte, key string) (int, int) {
	table, leaf := "", key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		table, leaf = key[:i], key[i+1:]
	}
	cur := ""
	for i, line := range strings.Split(string(src), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			cur = strings.TrimSpace(strings.Trim(t, "[]"))
			if cur == key { // the key is a table of its own
				return i + 1, strings.Index(line, "[") + 1
			}
			continue
		}
		if cur == table {
			if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == leaf {
				return i + 1, strings.Index(line, leaf) + 1
			}
		}
	}
	return 0, 0
}

// ParseMonth parses "YYYY-MM" to the first instant of that month, UTC.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return t, nil
}

// LastFullMonth returns the calendar month before the one holding now.
func LastFullMonth(now time.Time) time.Time {
	y, m, _ := now.UTC().Date()
	return time.Date(y, m-1, 1, 0, 0, 0, 0, time.UTC)
}

// Hash returns a SHA-256 of the campaign's settings, for the manifest.
func (c *Campaign) Hash() string {
	b, _ := json.Marshal(c) // a struct of plain fields always marshals
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// rules converts the relationship settings.
func (r RelationshipConfig) rules() profile.RelationshipRules {
	return profile.RelationshipRules{
		LapsingTrend: r.LapsingTrend, LapsingQuietDays: r.LapsingQuietDays, LapsingMinActiveMonths: r.LapsingMinActiveMonths,
		CommittedTenureYears: r.CommittedTenureYears, CommittedActiveMonths: r.CommittedActiveMonths,
		CommittedMaxConcentration: r.CommittedMaxConcentration, ShareMaxActiveMonths: r.ShareMaxActiveMonths,
		ShareIrregularMonths: r.ShareIrregularMonths, ShareMaxTicket: int64(math.Round(r.ShareMaxTicket * 100)),
	}
}

// Defaults of k = "auto".
const (
	DefaultMinAudience = 100
	DefaultMaxK        = 1349
)

// K is clustering.k: a number of clusters, or "auto" to choose it from
// the audience. The zero value is unset (DefaultK). It reads and writes
// as a TOML or JSON number or the string "auto".
type K struct {
	n    int
	auto bool
	// invalid holds a value that is neither, for check to report with
	// its position.
	invalid string
}

// FixedK returns a K of n clusters.
func FixedK(n int) K { return K{n: n} }

// AutoK returns the K that chooses the number of clusters.
func AutoK() K { return K{auto: true} }

// Fixed returns the number of clusters and true, or false for "auto" and
// unset.
func (k K) Fixed() (int, bool) { return k.n, !k.auto && k.invalid == "" && k.n != 0 }

// Auto reports whether k is "auto".
func (k K) Auto() bool { return k.auto }

// IsZero reports whether k is unset.
func (k K) IsZero() bool { return k == K{} }

// String returns "auto", the number, or "" when unset.
func (k K) String() string {
	switch {
	case k.auto:
		return "auto"
	case k.invalid != "":
		return k.invalid
	case k.n != 0:
		return strconv.Itoa(k.n)
	}
	return ""
}

// UnmarshalText reads "auto" or a number. Anything else is kept for check,
// which reports it with its line.
func (k *K) UnmarshalText(b []byte) error {
	s := string(b)
	*k = K{}
	if s == "auto" {
		k.auto = true
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n != int64(int(n)) || n == 0 {
		k.invalid = s
		return nil
	}
	k.n = int(n)
	return nil
}

// MarshalJSON writes the number, "auto", or null when unset.
func (k K) MarshalJSON() ([]byte, error) {
	switch {
	case k.auto:
		return []byte(`"auto"`), nil
	case k.invalid != "":
		return json.Marshal(k.invalid)
	case k.n != 0:
		return []byte(strconv.Itoa(k.n)), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (k *K) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*k = K{}
	case string:
		if x != "auto" {
			return fmt.Errorf("clustering.k %q: want a number or \"auto\"", x)
		}
		*k = AutoK()
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1e9 {
			return fmt.Errorf("clustering.k %v: want a whole number", x)
		}
		*k = FixedK(int(x))
	default:
		return fmt.Errorf("clustering.k %s: want a number or \"auto\"", b)
	}
	return nil
}
