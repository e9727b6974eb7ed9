package pipeline

import (
	"net/mail"
	"slices"
	"strings"

	"github.com/tailor-mail/tailor/pipeline/render"
)

// withDefaults returns the campaign as a run uses it: every default the
// orchestrator owns filled in (the stage packages fill their own, such as
// the profile window), tier names and link domains normalized. The
// campaign itself stays as written: it is what the manifest records and
// hashes, and what the stage keys cover.
func (c *Campaign) withDefaults() Campaign {
	d := *c
	d.Inputs.Tiers = nil
	for _, t := range c.Inputs.Tiers {
		d.Inputs.Tiers = append(d.Inputs.Tiers, strings.ToLower(strings.TrimSpace(t)))
	}
	if d.Inputs.ErrorBudget == nil {
		d.Inputs.ErrorBudget = ptr(DefaultErrorBudget)
	}
	cl := &d.Clustering
	if cl.K.IsZero() {
		cl.K = FixedK(DefaultK)
	}
	if cl.MinAudience == 0 {
		cl.MinAudience = DefaultMinAudience
	}
	if cl.MaxK == 0 {
		cl.MaxK = DefaultMaxK
	}
	if cl.Seed == nil {
		cl.Seed = ptr(uint64(DefaultSeed))
	}
	if cl.Scale == "" {
		cl.Scale = "standard"
	}
	w := &cl.Weights
	for _, f := range []struct {
		p **float64
		v float64
	}{{&w.Interests, DefaultWeightInterests}, {&w.Spend, DefaultWeightSpend}, {&w.Frequency, DefaultWeightFrequency},
		{&w.Recency, DefaultWeightRecency}, {&w.Trend, DefaultWeightTrend}} {
		if *f.p == nil {
			*f.p = ptr(f.v)
		}
	}
	if d.Sender.UnsubscribeSecretEnv == "" {
		d.Sender.UnsubscribeSecretEnv = DefaultSecretEnv
	}
	if d.Sender.Locale == "" {
		d.Sender.Locale = DefaultLocale
	}
	if d.Mail.Outbox == "" {
		d.Mail.Outbox = OutboxSamples
	}
	if d.Mail.Samples == 0 {
		d.Mail.Samples = DefaultSamples
	}
	domain := ""
	if a, err := mail.ParseAddress(c.Sender.From); err == nil {
		domain = a.Address[strings.LastIndexByte(a.Address, '@')+1:]
	}
	switch d.Mail.ListID {
	case "":
		d.Mail.ListID = c.Sender.Name + " <" + c.Name + "." + domain + ">"
	case "none":
		d.Mail.ListID = ""
	}
	switch d.Mail.FeedbackID {
	case "":
		d.Mail.FeedbackID = domain
	case "none":
		d.Mail.FeedbackID = ""
	}
	if d.Mail.RefusalBudget == nil {
		d.Mail.RefusalBudget = ptr(DefaultErrorBudget)
	}
	l := &d.Links
	if l.UTM == nil {
		l.UTM = ptr(true)
	}
	l.UTMSource = or(l.UTMSource, render.DefaultUTMSource)
	l.UTMMedium = or(l.UTMMedium, render.DefaultUTMMedium)
	l.UTMCampaign = or(l.UTMCampaign, render.Slug(c.Name))
	l.Domains, l.SkipDomains = normDomains(c.Links.Domains), normDomains(c.Links.SkipDomains)
	if c.Templates.FastPath == nil {
		d.Templates.FastPath = ptr(true)
	}
	return d
}

func normDomains(ds []string) []string {
	if ds == nil {
		return nil
	}
	out := slices.Clone(ds)
	for i, d := range out {
		out[i] = normDomain(d)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func or(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
