package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/variants"
)

// setKeys computes every stage's key from the input files' hashes. Each
// key chains the one before, so a change upstream invalidates everything
// downstream; a template edit that leaves the blocks' front matter alone
// starts at render. Keys cover the campaign as written (r.file), and the
// defaults where a stage's output depends on the value, not on how it was
// given; a key changes only when the outputs would.
func (r *run) setKeys(stages []stage, inputs map[string]string) {
	r.keyed = stages
	f, c := r.asWritten, &r.c
	parts := map[string][]any{
		"ingest": {r.cfg.Version, inputs, f.Inputs.Currency, f.Inputs.Tiers, *c.Inputs.ErrorBudget, f.Format,
			r.tax.Hash(), fmt.Sprint(r.rates), f.Profile.HomeCountry, f.Inputs.ProfileColumns},
		"profile": {r.monthName(), f.Profile, f.Relationship, r.tax.Hash(), f.Inputs.ProfileSpend, f.Inputs.ProfileTransactions},
		"cluster": {f.Clustering.K, f.Clustering.MinAudience, f.Clustering.MaxK, r.seed(), f.Clustering.MaxIterations,
			c.Clustering.Weights.featureOptions(), f.Clustering.Scale, r.previousClustering()},
		// Whether clusters with the same plan may share a newsletter
		// depends on what the templates read (Set.ClusterReads).
		"variants": {r.set.MetaHash(), "shared", len(r.set.ClusterReads()) == 0},
		"render": append([]any{r.set.Hash(), f.Name, f.Sender.Name, f.Sender.From, f.Sender.PostalAddress, f.Sender.Locale, f.Links},
			r.sampleKey()...),
		"fit":    {r.fitBudget()},
		"report": {},
		"outbox": {r.outboxMode, f.Mail, f.Sender, rundir.Key("secret", r.secret)[:16]},
	}
	if r.wave != "" {
		// A wave's messages have Message-IDs of their own.
		parts["render"] = append(parts["render"], "wave", r.wave)
		parts["outbox"] = append(parts["outbox"], "wave", r.wave)
	}
	if d := r.suppressionDigest(); d != "" {
		// The outbox leaves out the suppressed. (The samples do too when
		// they are made, but a suppression alone does not make them
		// again: render is sealed once a send starts, and the list grows
		// with every bounce.)
		parts["outbox"] = append(parts["outbox"], d)
		parts["fit"] = append(parts["fit"], d)
	}
	if d := r.ledgerDigest(); d != "" {
		// The report's Send sheet follows the send ledger.
		parts["report"] = append(parts["report"], d)
	}
	if !r.fastPath() {
		// The outputs are the same either way; the key changes so that
		// turning the fast path off renders and composes again.
		parts["render"] = append(parts["render"], "templates only")
		parts["outbox"] = append(parts["outbox"], "templates only")
		parts["fit"] = append(parts["fit"], "templates only")
	}
	prev, cluster := "", ""
	for i := range stages {
		stages[i].key = rundir.Key(append([]any{prev, stages[i].name}, parts[stages[i].name]...)...)
		prev = stages[i].key
		if stages[i].name == "cluster" {
			cluster = prev
		}
	}
	// A variant's render follows the render's key but for the template
	// set as a whole (its own files and plan are the variant's part of
	// its fingerprint), and the suppression list, which its sample
	// follows.
	base := []any{cluster, "variant render", r.suppressionDigest()}
	r.variantBase = rundir.Key(append(base, parts["render"][1:]...)...)
}

// variantFingerprint identifies what variant v's files under variants/
// follow: the data and settings every variant's render follows, v's plan,
// and the template files v reads. A render keeps the files of a variant
// whose fingerprint has not changed.
func (r *run) variantFingerprint(v variants.Variant) string {
	return rundir.Key(r.variantBase, v, r.set.UsedHash(v.BlockIDs()))
}

// suppressionDigest identifies the campaign's suppression list, "" when
// there is none.
func (r *run) suppressionDigest() string {
	var sums []string
	for _, p := range []string{r.suppressionFile(), r.campaignPath(r.c.Send.Suppression)} {
		if p == "" || p == r.campaignPath("") {
			continue
		}
		if sum, _, err := rundir.HashFile(p); err == nil {
			sums = append(sums, sum)
		}
	}
	if sums == nil {
		return ""
	}
	return rundir.Key("suppression", sums)
}

// ledgerDigest identifies what the send ledger counts, "" when the run has
// no ledger.
func (r *run) ledgerDigest() string {
	counts, err := r.sendCounts()
	if err != nil || counts == nil {
		return ""
	}
	return rundir.Key("send", counts)
}

// sampleKey returns what the variants' sample messages depend on beyond the
// templates and the data, for the render stage's key: the sender's headers
// and footer, the unsubscribe base URL and mailbox, the signing secret's
// fingerprint, the Date, List-Id and Feedback-ID. The outbox mode and sample count are left out: the sample
// does not depend on them.
func (r *run) sampleKey() []any {
	s := r.asWritten.Sender
	return []any{"sample", s.Name, s.From, s.ReplyTo, s.PostalAddress, s.UnsubscribeURL,
		secretFingerprint(r.secret), r.mailDate().Format(time.RFC3339Nano),
		s.UnsubscribeMailto, r.c.Mail.ListID, r.c.Mail.FeedbackID}
}

// secretFingerprint identifies a secret in a stage key without revealing
// it: whether one is set, and a short hash of it, which the key hashes
// again.
func secretFingerprint(secret string) []any {
	return []any{secret != "", rundir.Key("secret", secret)[:16]}
}

// previousClustering identifies last month's clustering, which this
// month's variant ids follow: the hashes of its clusters and assignments,
// or "" when there is none.
func (r *run) previousClustering() string {
	prev, ok := r.previousMonth()
	if !ok {
		return ""
	}
	a, _, _ := rundir.HashFile(filepath.Join(prev, rundir.ClustersFile))
	b, _, _ := rundir.HashFile(filepath.Join(prev, rundir.AssignmentsFile))
	return a + b
}

// previousMonth returns the run directory of the month before, if it holds
// a finished clustering.
func (r *run) previousMonth() (string, bool) {
	prev := rundir.Sibling(r.dir, r.month.AddDate(0, -1, 0).Format("2006-01"))
	_, err := os.Stat(filepath.Join(prev, rundir.ClustersFile))
	return prev, err == nil
}
