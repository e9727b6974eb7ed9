package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tailor-mail/tailor/pipeline/cluster"
	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/report"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/variants"
)

// Files and directories of a run directory.
const (
	rejectsDir      = "rejects"
	profilesFile    = "profiles.csv"
	clustersFile    = "clusters.json"
	featuresFile    = "features.csv"
	assignmentsFile = "assignments.csv"
	planFile        = "variants.json"
	variantsDir     = "variants"
	reportFile      = "report.xlsx"
	outboxDir       = "outbox"
)

// ingest reads both inputs; rejects go to rejects/<input>.csv.
func (r *run) ingest(ctx context.Context) (map[string]int, []string, error) {
	swap, err := newDirSwap(filepath.Join(r.dir, rejectsDir))
	if err != nil {
		return nil, nil, err
	}
	defer swap.abort()
	budget := DefaultErrorBudget
	if b := r.c.Inputs.ErrorBudget; b != nil {
		budget = *b
	}
	var set *ingest.CardholderSet
	var records []InputRecord
	var budgetErr error
	for _, name := range r.inputNames {
		path := r.inputs[name]
		st, err := r.ingestFile(ctx, swap, name, path, &set)
		if err != nil {
			return nil, nil, err
		}
		sum, size, err := hashFile(path)
		if err != nil {
			return nil, nil, err
		}
		records = append(records, InputRecord{Name: name, Path: path, SHA256: sum, Bytes: size,
			Rows: st.Read, Accepted: st.Accepted, Rejected: st.Rejected, Reasons: st.Reasons,
			UnmappedCategories: st.UnmappedCategories})
		// Past the budget, the other input is still read, so that one run
		// shows every problem.
		budgetErr = errors.Join(budgetErr, st.CheckBudget(budget))
	}
	// The rejects are kept even when the budget is exceeded: they are what
	// the user needs to fix the inputs.
	if err := swap.commit(); err != nil {
		return nil, nil, err
	}
	r.manifest.Inputs = records
	if budgetErr != nil {
		return nil, nil, budgetErr
	}
	counts := map[string]int{"merchants": r.merchants.Len()}
	for _, rec := range records {
		counts[rec.Name+"_read"] = rec.Rows
		counts[rec.Name+"_accepted"] = rec.Accepted
		counts[rec.Name+"_rejected"] = rec.Rejected
	}
	return counts, []string{rejectsDir}, nil
}

func (r *run) ingestFile(ctx context.Context, swap *dirSwap, name, path string, set **ingest.CardholderSet) (ingest.Stats, error) {
	in, err := os.Open(path)
	if err != nil {
		return ingest.Stats{}, fmt.Errorf("%w: inputs.%s: %v", ErrConfig, name, err)
	}
	defer in.Close()
	out, err := os.Create(swap.path(name + ".csv"))
	if err != nil {
		return ingest.Stats{}, err
	}
	defer out.Close()
	bw := bufio.NewWriter(out)
	rw := ingest.NewRejectWriter(bw)
	file := filepath.Base(path)
	opts, err := r.ingestOptions(name)
	if err != nil {
		return ingest.Stats{}, err
	}
	var st ingest.Stats
	if name == "cardholders" {
		*set, st, err = ingest.ReadCardholders(ctx, in, file, opts, rw)
		if err == nil {
			r.builder = profile.NewBuilder(r.tax, (*set).List, r.profileOptions())
		}
	} else if name == "transactions" {
		st, r.merchants, err = ingest.ReadTransactions(ctx, in, file, opts, *set, rw,
			func(recs []ingest.Record) error { r.builder.AddRecords(recs); return nil })
	} else {
		r.features, st, err = ingest.ReadFeatures(ctx, in, file, opts, r.c.Inputs.ProfileColumns, *set, rw)
	}
	if err != nil {
		return st, err
	}
	if err := rw.Flush(); err != nil {
		return st, err
	}
	if err := bw.Flush(); err != nil {
		return st, err
	}
	return st, out.Close()
}

func (r *run) profileOptions() profile.Options {
	return profile.Options{End: r.month, Months: r.c.Profile.WindowMonths, HomeCountry: r.c.Profile.HomeCountry,
		TopMerchantShare: r.c.Profile.TopMerchantShare, Rules: r.c.Relationship.rules()}
}

// profile writes profiles.csv.
func (r *run) profile(ctx context.Context) (map[string]int, []string, error) {
	ps, err := r.builder.Profiles(ctx, r.merchants.Name)
	if err != nil {
		return nil, nil, err
	}
	st := r.builder.Stats()
	// The aggregates are no longer needed: let them go before the next
	// stages allocate.
	r.builder = nil
	outputs := []string{profilesFile}
	if r.features != nil {
		profile.ApplyFeatures(r.tax, ps, r.features)
		if err := writeFile(filepath.Join(r.dir, featuresFile), func(w io.Writer) error {
			return writeFeatures(w, r.features.Names, ps)
		}); err != nil {
			return nil, nil, err
		}
		outputs = append(outputs, featuresFile)
	}
	if err := writeFile(filepath.Join(r.dir, profilesFile), func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if err := profile.WriteCSV(bw, r.tax, ps); err != nil {
			return err
		}
		return bw.Flush()
	}); err != nil {
		return nil, nil, err
	}
	r.profiles = ps
	r.manifest.Unmapped = st.Unmapped
	a := audience(ps)
	unmapped := 0
	for _, n := range st.Unmapped {
		unmapped += n
	}
	counts := map[string]int{
		"profiles": a.Cardholders, "mail": a.Mail, "no_consent": a.NoConsent,
		"cancelled": a.Cancelled, "no_spend": a.NoSpend,
		"transactions_in_window": st.InWindow, "transactions_outside_window": st.Transactions - st.InWindow,
		"unmapped_mcc_transactions": unmapped,
	}
	for _, rel := range profile.Relationships() {
		counts["relationship_"+string(rel)] = 0
	}
	for i := range ps {
		counts["relationship_"+string(ps[i].Relationship)]++
	}
	return counts, outputs, nil
}

// writeFeatures writes the pre-aggregated features of the profiles that
// have them: cardholder_id and one column per feature, floats exact.
func writeFeatures(w io.Writer, names []string, ps []profile.Profile) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(append([]string{"cardholder_id"}, names...)); err != nil {
		return err
	}
	rec := make([]string, 0, len(names)+1)
	for i := range ps {
		if ps[i].Features == nil {
			continue
		}
		rec = append(rec[:0], ps[i].ID)
		for _, v := range ps[i].Features {
			rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// readFeatures attaches features.csv, when the run has one, to profiles
// read back from profiles.csv; it returns the feature names.
func (r *run) readFeatures(ps []profile.Profile) ([]string, error) {
	f, err := os.Open(filepath.Join(r.dir, featuresFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReader(f))
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", featuresFile, err)
	}
	index := make(map[string]int, len(ps))
	for i := range ps {
		index[ps[i].ID] = i
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return header[1:], nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", featuresFile, err)
		}
		i, ok := index[rec[0]]
		if !ok {
			return nil, fmt.Errorf("%s: cardholder %q not in %s", featuresFile, rec[0], profilesFile)
		}
		vals := make([]float64, len(rec)-1)
		for k, v := range rec[1:] {
			if vals[k], err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("%s: %w", featuresFile, err)
			}
		}
		ps[i].Features = vals
	}
}

func audience(ps []profile.Profile) Audience {
	a := Audience{Cardholders: len(ps)}
	for i := range ps {
		switch ps[i].Status() {
		case profile.StatusMail:
			a.Mail++
		case profile.StatusNoConsent:
			a.NoConsent++
		case profile.StatusCancelled:
			a.Cancelled++
		case profile.StatusNoSpend:
			a.NoSpend++
		}
	}
	return a
}

func (r *run) needProfiles() ([]profile.Profile, error) {
	if r.profiles != nil {
		return r.profiles, nil
	}
	f, err := os.Open(filepath.Join(r.dir, profilesFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if r.profiles, err = profile.ReadCSV(bufio.NewReader(f), profilesFile, r.tax); err != nil {
		return nil, err
	}
	if r.featureNames, err = r.readFeatures(r.profiles); err != nil {
		return nil, err
	}
	return r.profiles, nil
}

// clusterFile is clusters.json.
type clusterFile struct {
	K          int              `json:"k"`
	Seed       uint64           `json:"seed"`
	Features   []string         `json:"features"`
	Rows       int              `json:"rows"`
	Iterations int              `json:"iterations"`
	Converged  bool             `json:"converged"`
	Inertia    float64          `json:"inertia"`
	Population []populationItem `json:"population"`
	Clusters   []clusterItem    `json:"clusters"`
	// Identity relates the clusters to last month's, when there was a
	// last month; WarmStart says k-means started from its centroids.
	Identity  *identity `json:"identity,omitempty"`
	WarmStart bool      `json:"warm_start,omitempty"`
}

type populationItem struct {
	Interest string  `json:"interest"`
	Share    float64 `json:"share"`
}

type clusterItem struct {
	variants.Cluster
	Centroid []float64 `json:"centroid"`
}

// cluster writes clusters.json and assignments.csv.
func (r *run) cluster(ctx context.Context) (map[string]int, []string, error) {
	ps, err := r.needProfiles()
	if err != nil {
		return nil, nil, err
	}
	feats := profile.BuildFeatures(r.tax, ps, r.c.Clustering.Weights.featureOptions())
	if names := r.featureNamesOf(); names != nil {
		feats = profile.FeatureMatrix(ps, names, r.c.Clustering.Scale != "none")
	}
	if len(feats.Rows) == 0 {
		return nil, nil, fmt.Errorf("cluster: no cardholder has spending in the window ending %s, nor pre-aggregated features", r.month.Format("2006-01"))
	}
	k := r.c.Clustering.fixedK()
	minAudience := 0
	if k == 0 { // "auto"
		minAudience = r.c.Clustering.MinAudience
		if minAudience == 0 {
			minAudience = DefaultMinAudience
		}
		maxK := r.c.Clustering.MaxK
		if maxK == 0 {
			maxK = DefaultMaxK
		}
		k = max(1, min(maxK, len(feats.Rows)/minAudience))
	}
	if k > len(feats.Rows) {
		return nil, nil, fmt.Errorf("cluster: clustering.k = %d but only %d cardholders have spending in the window: lower k", k, len(feats.Rows))
	}
	// Last month's clustering, when there is one on the same features:
	// this month starts from its centroids and keeps its variant ids.
	var prev *clusterFile
	prevDir, hasPrev := r.previousMonth()
	if hasPrev {
		var pf clusterFile
		if err := readJSON(filepath.Join(prevDir, clustersFile), &pf); err == nil && slices.Equal(pf.Features, feats.Names) {
			prev = &pf
		}
	}
	cfg := cluster.Config{K: k, Seed: r.seed(), MaxIter: r.c.Clustering.MaxIterations}
	if prev != nil && len(prev.Clusters) == k {
		for _, c := range prev.Clusters {
			cfg.Start = append(cfg.Start, c.Centroid...)
		}
	}
	res, err := cluster.KMeans(ctx, feats.Data, feats.Dim, cfg)
	if err != nil {
		return nil, nil, err
	}
	centroids, sizes := res.Centroids, res.Sizes
	if minAudience > 0 {
		// Clusters below the minimum audience merge into their nearest
		// neighbour: a variant too small to be worth a designer's time
		// serves its cardholders worse than a close one.
		centroids, sizes, k = mergeSmall(feats.Data, feats.Dim, res.Assign, res.Centroids, res.K, minAudience)
	}
	pop := profile.Population(ps, r.tax.Len())
	cf := &clusterFile{K: k, Seed: r.seed(), Features: feats.Names, Rows: len(feats.Rows),
		Iterations: res.Iterations, Converged: res.Converged, Inertia: res.Inertia, WarmStart: cfg.Start != nil}
	for i, in := range r.tax.Interests() {
		cf.Population = append(cf.Population, populationItem{in.ID, pop[i]})
	}
	eligible := make([]int, k)
	mixes := make([]map[profile.Relationship]int, k)
	tierMixes := make([]map[string]int, k)
	logSpend := make([]float64, k)
	for c := range mixes {
		mixes[c] = map[profile.Relationship]int{}
		tierMixes[c] = map[string]int{}
	}
	for row, c := range res.Assign {
		p := &ps[feats.Rows[row]]
		if p.Status() == profile.StatusMail {
			eligible[c]++
		}
		mixes[c][p.Relationship]++
		tierMixes[c][p.Tier]++
		logSpend[c] += math.Log1p(math.Max(float64(p.Spend), 0))
	}
	lo, hi := spendLevels(ps, feats.Rows)
	// A cluster's interests are its members' mean shares: the centroid's
	// share columns when clustering on shares, and the only measure when
	// clustering on pre-aggregated features.
	n := r.tax.Len()
	meanShares := make([]float64, k*n)
	for row, c := range res.Assign {
		for j, v := range ps[feats.Rows[row]].Shares {
			meanShares[int(c)*n+j] += v
		}
	}
	for c := 0; c < k; c++ {
		centroid := centroids[c*feats.Dim : (c+1)*feats.Dim]
		shares := meanShares[c*n : (c+1)*n]
		for j := range shares {
			shares[j] /= float64(max(sizes[c], 1))
		}
		item := clusterItem{Centroid: append([]float64(nil), centroid...)}
		item.Variant = variants.ID(c)
		item.ID, item.Size, item.Eligible = c, sizes[c], eligible[c]
		for _, ri := range profile.TopInterests(r.tax, shares, pop, 5) {
			item.Interests = append(item.Interests, variants.Interest{ID: ri.Interest.ID, Name: ri.Interest.Name, Share: ri.Share, Lift: ri.Lift})
		}
		item.Label = describeLabel(item.Interests, logSpend[c]/float64(max(sizes[c], 1)), lo, hi, mixes[c])
		// The majorities choose the variant's tier and retention blocks.
		item.Tier, item.TierShare = majorityTier(tierMixes[c])
		rel, share := majorityRelationship(mixes[c])
		item.Relationship, item.RelationshipShare = string(rel), share
		cf.Clusters = append(cf.Clusters, item)
	}
	// Variants keep their ids from one month to the next.
	if id := matchPrevious(cf.Clusters, prev, feats.Names); id != nil {
		id.PreviousMonth = filepath.Base(prevDir)
		if before, err := readVariants(filepath.Join(prevDir, assignmentsFile)); err == nil {
			for row, c := range res.Assign {
				if v, was := before[ps[feats.Rows[row]].ID]; was && v != cf.Clusters[c].Variant {
					id.Changed++
				}
			}
		}
		cf.Identity = id
	}
	if err := writeJSON(filepath.Join(r.dir, clustersFile), cf); err != nil {
		return nil, nil, err
	}
	variantOf := make([]string, k)
	for c := range cf.Clusters {
		variantOf[c] = cf.Clusters[c].Variant
	}
	if err := writeFile(filepath.Join(r.dir, assignmentsFile), func(w io.Writer) error {
		return writeAssignments(w, ps, feats.Rows, res.Assign, variantOf)
	}); err != nil {
		return nil, nil, err
	}
	r.clustering = cf
	counts := map[string]int{"clusters": k, "clustered": len(feats.Rows), "iterations": res.Iterations}
	if cf.Identity != nil {
		counts["clusters_matched"] = cf.Identity.Matched
		counts["clusters_born"] = len(cf.Identity.Born)
		counts["clusters_retired"] = len(cf.Identity.Retired)
		counts["cardholders_changed_variant"] = cf.Identity.Changed
	}
	return counts, []string{clustersFile, assignmentsFile}, nil
}

// label names a cluster by its two strongest interests.
func label(ins []variants.Interest) string {
	switch len(ins) {
	case 0:
		return "Mixed spending"
	case 1:
		return ins[0].Name
	}
	return ins[0].Name + " + " + ins[1].Name
}

func writeAssignments(w io.Writer, ps []profile.Profile, rows []int, assign []int32, variantOf []string) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	cluster := make([]int, len(ps))
	for i := range cluster {
		cluster[i] = -1
	}
	for row, c := range assign {
		cluster[rows[row]] = int(c)
	}
	if err := cw.Write([]string{"cardholder_id", "cluster", "variant", "mail_status"}); err != nil {
		return err
	}
	for i := range ps {
		c, v := "", ""
		if cluster[i] >= 0 {
			c, v = strconv.Itoa(cluster[i]), variantOf[cluster[i]]
		}
		if err := cw.Write([]string{ps[i].ID, c, v, string(ps[i].Status())}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// readAssignments returns the variant of every cardholder that has one.
func (r *run) readAssignments() (map[string]string, error) {
	return readVariants(filepath.Join(r.dir, assignmentsFile))
}

func (r *run) needClusters() (*clusterFile, error) {
	if r.clustering != nil {
		return r.clustering, nil
	}
	var cf clusterFile
	if err := readJSON(filepath.Join(r.dir, clustersFile), &cf); err != nil {
		return nil, err
	}
	r.clustering = &cf
	return r.clustering, nil
}

// variants writes the plan, variants.json.
func (r *run) variants(ctx context.Context) (map[string]int, []string, error) {
	cf, err := r.needClusters()
	if err != nil {
		return nil, nil, err
	}
	clusters := make([]variants.Cluster, len(cf.Clusters))
	for i, c := range cf.Clusters {
		clusters[i] = c.Cluster
	}
	// What the blocks target is checked against the campaign here, with
	// each problem's file and line; Build checks it again on the plan.
	voc := r.vocabulary()
	if err := r.set.Validate(voc); err != nil {
		return nil, nil, fmt.Errorf("variants: templates:\n%w", err)
	}
	plan, err := variants.Build(clusters, r.set.Meta(), variants.Options{Vocabulary: voc})
	if err != nil {
		return nil, nil, fmt.Errorf("variants: %w", err)
	}
	if err := writeJSON(filepath.Join(r.dir, planFile), plan); err != nil {
		return nil, nil, err
	}
	r.plan = &plan
	// How many variants have a block of each slot besides their interests.
	with := map[string]int{}
	for _, v := range plan.Variants {
		slots := map[string]bool{}
		for _, id := range v.Blocks {
			if b, ok := r.set.Block(id); ok {
				slots[b.Slot()] = true
				if b.Default {
					slots[variants.SlotDefault] = true
				}
			}
		}
		for s := range slots {
			with[s]++
		}
	}
	return map[string]int{"variants": len(plan.Variants), "variants_on_default_blocks": with[variants.SlotDefault],
			"variants_with_tier_block": with[variants.SlotTier], "variants_with_retention_block": with[variants.SlotRetention]},
		[]string{planFile}, nil
}

func (r *run) needPlan() (*variants.Plan, error) {
	if r.plan != nil {
		return r.plan, nil
	}
	var p variants.Plan
	if err := readJSON(filepath.Join(r.dir, planFile), &p); err != nil {
		return nil, err
	}
	r.plan = &p
	return r.plan, nil
}

// needNewsletters compiles every variant once.
func (r *run) needNewsletters(ctx context.Context) ([]*render.Newsletter, error) {
	if r.newsletters != nil {
		return r.newsletters, nil
	}
	plan, err := r.needPlan()
	if err != nil {
		return nil, err
	}
	month := r.month.Format("2006-01")
	r.engine, err = render.New(r.set, r.md, render.Config{
		Campaign: render.Campaign{Name: r.c.Name, Month: month, MonthName: render.MonthName(month)},
		Sender:   render.Sender{Name: r.c.Sender.Name, From: r.c.Sender.From, ReplyTo: r.c.Sender.ReplyTo, PostalAddress: r.c.Sender.PostalAddress},
		Links:    r.c.Links.renderLinks(r.c.Name),
	})
	if err != nil {
		return nil, err
	}
	out := make([]*render.Newsletter, 0, len(plan.Variants))
	for _, v := range plan.Variants {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.engine.Compile(v)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	r.newsletters = out
	return out, nil
}

// variantMeta is variants/<id>/meta.json: the variant's facts, in a fixed
// field order, with its lists in their own order (interests by lift,
// blocks in reading order), so that the same run writes the same bytes.
type variantMeta struct {
	variants.Variant
	// Tier and Relationship are the cluster's majorities (written even
	// when empty: no tier holds a majority), with the share of members
	// who hold them.
	Tier              string  `json:"tier"`
	TierShare         float64 `json:"tier_share"`
	Relationship      string  `json:"relationship"`
	RelationshipShare float64 `json:"relationship_share"`
	Campaign          string  `json:"campaign"`
	Month             string  `json:"month"`
	// SampleSubject is the subject as the preview's sample recipient sees
	// it, in index.html and index.txt.
	SampleSubject string `json:"sample_subject"`
	// Sample says to whom sample.eml is addressed.
	Sample variantSample `json:"sample"`
}

// render writes variants/<id>/{index.html,index.txt,meta.json,sample.eml}.
func (r *run) render(ctx context.Context) (map[string]int, []string, error) {
	ns, err := r.needNewsletters(ctx)
	if err != nil {
		return nil, nil, err
	}
	samples, err := r.newSampler(ns)
	if err != nil {
		return nil, nil, err
	}
	cf, err := r.needClusters()
	if err != nil {
		return nil, nil, err
	}
	swap, err := newDirSwap(filepath.Join(r.dir, variantsDir))
	if err != nil {
		return nil, nil, err
	}
	defer swap.abort()
	// Each variant's files are independent: a bounded pool of workers
	// writes them.
	err = parallel(ctx, len(ns), func(i int) error {
		n := ns[i]
		m, err := n.Personalize(render.SampleRecipient(), "https://unsubscribe.invalid/preview")
		if err != nil {
			return err
		}
		id := n.Variant.ID
		for _, f := range []struct {
			name string
			data []byte
		}{{"index.html", m.HTML}, {"index.txt", m.Text}} {
			if err := writeFileIn(swap.path(id+"/"+f.name), func(w io.Writer) error {
				_, err := w.Write(f.data)
				return err
			}); err != nil {
				return err
			}
		}
		meta := variantMeta{Variant: n.Variant, Campaign: r.c.Name, Month: r.month.Format("2006-01"), SampleSubject: m.Subject}
		if err := meta.addMajorities(cf); err != nil {
			return err
		}
		if meta.Sample, err = samples.write(swap.path(id+"/"+sampleFile), n); err != nil {
			return err
		}
		return writeFileIn(swap.path(id+"/meta.json"), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(meta)
		})
	})
	if err != nil {
		return nil, nil, err
	}
	if err := swap.commit(); err != nil {
		return nil, nil, err
	}
	if r.secret == "" && samples.toCardholders.Load() > 0 {
		r.event(Event{Stage: "render", State: "warn", Message: r.secretEnv() + " is not set: the samples' unsubscribe links are signed with a key anyone can derive; the next run with it set renders them again"})
	}
	return map[string]int{"variants": len(ns), "samples_to_cardholders": int(samples.toCardholders.Load()),
		"samples_to_preview_recipient": int(samples.toPreview.Load())}, []string{variantsDir}, nil
}

// report writes report.xlsx.
func (r *run) report(ctx context.Context) (map[string]int, []string, error) {
	ps, err := r.needProfiles()
	if err != nil {
		return nil, nil, err
	}
	cf, err := r.needClusters()
	if err != nil {
		return nil, nil, err
	}
	plan, err := r.needPlan()
	if err != nil {
		return nil, nil, err
	}
	recipients, err := r.recipients(ps)
	if err != nil {
		return nil, nil, err
	}
	a := audience(ps)
	s := report.Summary{
		Campaign: r.c.Name, Month: r.month.Format("2006-01"), Version: r.cfg.Version,
		Audience: report.Audience{Cardholders: a.Cardholders, Mail: a.Mail, NoConsent: a.NoConsent, Cancelled: a.Cancelled, NoSpend: a.NoSpend},
		Plan:     *plan, Messages: len(recipients), Inertia: cf.Inertia, Iterations: cf.Iterations,
	}
	for _, c := range cf.Clusters {
		s.Clusters = append(s.Clusters, c.Cluster)
	}
	for _, in := range r.manifest.Inputs {
		st := ingest.Stats{Reasons: in.Reasons}
		ri := report.Input{Name: in.Name, Rows: in.Rows, Accepted: in.Accepted, Rejected: in.Rejected}
		for _, rc := range st.TopReasons(len(in.Reasons)) {
			ri.Reasons = append(ri.Reasons, report.Reason{Reason: rc.Reason, Count: rc.Count})
		}
		s.Inputs = append(s.Inputs, ri)
	}
	assigned, err := r.readAssignments()
	if err != nil {
		return nil, nil, err
	}
	byVariant := map[string]int{}
	for i, v := range plan.Variants {
		byVariant[v.ID] = i
	}
	s.Relationships = make([]report.Mix, len(s.Clusters))
	for i := range ps {
		p := &ps[i]
		if vi, ok := byVariant[assigned[p.ID]]; ok && vi < len(s.Relationships) {
			m := &s.Relationships[vi]
			switch p.Relationship {
			case profile.RelationshipLostForGood:
				m.LostForGood++
			case profile.RelationshipIntermediate:
				m.Intermediate++
			case profile.RelationshipAlwaysAShare:
				m.AlwaysAShare++
			case profile.RelationshipLapsing:
				m.Lapsing++
			case profile.RelationshipLost:
				m.Lost++
			}
		}
		if p.Cancelled {
			lc := report.LostCustomer{ID: p.ID, FirstName: p.FirstName, CancelledOn: p.CancelledOn.Time(), Reason: p.CancelReason,
				Spend: p.Spend, ActiveMonths: p.ActiveMonths, LastActive: p.LastActive, FavouriteMerchant: p.FavouriteMerchant}
			for _, ri := range profile.LargestInterests(r.tax, p.Shares, 3) {
				lc.Interests = append(lc.Interests, variants.Interest{ID: ri.Interest.ID, Name: ri.Interest.Name, Share: ri.Share, Lift: ri.Lift})
			}
			s.Lost = append(s.Lost, lc)
		}
	}
	s.Transactions = r.stageCount("profile", "transactions_in_window")
	if id := cf.Identity; id != nil {
		s.Continuity = &report.Continuity{PreviousMonth: id.PreviousMonth, Kept: id.Matched, Born: id.Born,
			Retired: id.Retired, Changed: id.Changed}
	}
	codes := make([]string, 0, len(r.manifest.Unmapped))
	for c := range r.manifest.Unmapped {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		s.Unmapped = append(s.Unmapped, report.Unmapped{Code: c, Description: r.tax.Describe(c), Transactions: r.manifest.Unmapped[c]})
	}
	for _, in := range r.manifest.Inputs {
		cats := make([]string, 0, len(in.UnmappedCategories))
		for c := range in.UnmappedCategories {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, c := range cats {
			s.Unmapped = append(s.Unmapped, report.Unmapped{Code: c, Description: "category of " + in.Name, Transactions: in.UnmappedCategories[c]})
		}
	}
	if err := writeFile(filepath.Join(r.dir, reportFile), func(w io.Writer) error { return report.Write(w, s) }); err != nil {
		return nil, nil, err
	}
	return map[string]int{"sheets": 6, "lost_customers": len(s.Lost), "unmapped_codes": len(s.Unmapped)}, []string{reportFile}, nil
}

// recipient is one message of the outbox.
type recipient struct {
	profile *profile.Profile
	variant int
}

// recipients lists who gets a message in the outbox: every mailable
// cardholder ("all") or the first few of each variant ("samples"), in
// variant order, then input order.
func (r *run) recipients(ps []profile.Profile) ([]recipient, error) {
	if r.outboxMode == OutboxNone {
		return nil, nil
	}
	plan, err := r.needPlan()
	if err != nil {
		return nil, err
	}
	byID := map[string]int{}
	for i, v := range plan.Variants {
		byID[v.ID] = i
	}
	assigned, err := r.readAssignments()
	if err != nil {
		return nil, err
	}
	limit := r.c.Mail.Samples
	if limit == 0 {
		limit = DefaultSamples
	}
	per := make([][]recipient, len(plan.Variants))
	for i := range ps {
		p := &ps[i]
		if p.Status() != profile.StatusMail {
			continue
		}
		vid, ok := assigned[p.ID]
		if !ok {
			continue
		}
		v, ok := byID[vid]
		if !ok {
			return nil, fmt.Errorf("%s: cardholder %s: unknown variant %q", assignmentsFile, p.ID, vid)
		}
		if r.outboxMode == OutboxSamples && len(per[v]) == limit {
			continue
		}
		per[v] = append(per[v], recipient{profile: p, variant: v})
	}
	var out []recipient
	for _, rs := range per {
		out = append(out, rs...)
	}
	return out, nil
}

// mailDate is the Date header of the outbox's messages.
func (r *run) mailDate() time.Time {
	if t, err := time.Parse(time.RFC3339, r.c.Mail.Date); err == nil {
		return t
	}
	return r.month.AddDate(0, 1, 0).Add(9 * time.Hour)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// emlName returns a safe file name for a cardholder's message.
func emlName(id string) string {
	safe := unsafeName.ReplaceAllString(id, "_")
	if safe != id {
		h := sha256.Sum256([]byte(id))
		safe += "-" + hex.EncodeToString(h[:4])
	}
	return safe + ".eml"
}

// outbox writes outbox/<variant>/<cardholder>.eml and outbox/index.csv.
func (r *run) outbox(ctx context.Context) (map[string]int, []string, error) {
	ps, err := r.needProfiles()
	if err != nil {
		return nil, nil, err
	}
	recipients, err := r.recipients(ps)
	if err != nil {
		return nil, nil, err
	}
	ns, err := r.needNewsletters(ctx)
	if err != nil {
		return nil, nil, err
	}
	secret := r.signingSecret()
	if r.secret == "" && len(recipients) > 0 {
		r.event(Event{Stage: "outbox", State: "warn", Message: r.secretEnv() + " is not set: unsubscribe links are signed with a key anyone can derive; set it before sending"})
	}
	swap, err := newDirSwap(filepath.Join(r.dir, outboxDir))
	if err != nil {
		return nil, nil, err
	}
	defer swap.abort()
	env := r.envelope()
	// Each message is independent: a bounded pool of workers builds and
	// writes them; results land by index, so the index file keeps the
	// recipients' order whatever the scheduling.
	results := make([]outboxResult, len(recipients))
	err = parallel(ctx, len(recipients), func(i int) error {
		results[i] = r.writeMessage(swap, ns, recipients[i], env, secret)
		return results[i].err
	})
	if err != nil {
		return nil, nil, err
	}
	var index strings.Builder
	iw := csv.NewWriter(&index)
	_ = iw.Write([]string{"variant", "cardholder_id", "email", "message_id", "file"}) // into a strings.Builder
	var refused strings.Builder
	rw := csv.NewWriter(&refused)
	_ = rw.Write([]string{"variant", "cardholder_id", "reason"}) // into a strings.Builder
	failed := 0
	for i, res := range results {
		p := recipients[i].profile
		vid := ns[recipients[i].variant].Variant.ID
		if res.refused != nil {
			// A recipient whose data cannot make a safe message is
			// skipped, listed and counted, never sent half-formed.
			failed++
			if failed <= 10 {
				r.event(Event{Stage: "outbox", State: "warn", Message: res.refused.Error()})
			}
			_ = rw.Write([]string{vid, p.ID, res.refused.Error()})
			continue
		}
		_ = iw.Write([]string{vid, p.ID, p.Email, res.messageID, res.file})
	}
	if failed > 10 {
		r.event(Event{Stage: "outbox", State: "warn", Message: fmt.Sprintf("%d recipients refused in all, see %s/refused.csv", failed, outboxDir)})
	}
	iw.Flush()
	rw.Flush()
	for name, b := range map[string]*strings.Builder{"index.csv": &index, "refused.csv": &refused} {
		if err := writeFileIn(swap.path(name), func(w io.Writer) error {
			_, err := io.WriteString(w, b.String())
			return err
		}); err != nil {
			return nil, nil, err
		}
	}
	if err := swap.commit(); err != nil {
		return nil, nil, err
	}
	// Past the budget the stage fails, its outbox left in place with
	// refused.csv for the diagnosis; the next run builds it again.
	budget := DefaultErrorBudget
	if b := r.c.Mail.RefusalBudget; b != nil {
		budget = *b
	}
	if failed > 0 && float64(failed) > budget*float64(len(recipients)) {
		first := ""
		for _, res := range results {
			if res.refused != nil {
				first = res.refused.Error()
				break
			}
		}
		return nil, nil, fmt.Errorf("outbox: %d of %d recipients refused, over the budget of %g%% (mail.refusal_budget); the reasons are in %s; the first: %s",
			failed, len(recipients), 100*budget, filepath.Join(r.dir, outboxDir, "refused.csv"), first)
	}
	return map[string]int{"messages": len(recipients) - failed, "refused": failed}, []string{outboxDir}, nil
}

// outboxResult is what became of one recipient's message.
type outboxResult struct {
	file, messageID string
	refused         error // the recipient's data cannot make a safe message
	err             error // the run cannot go on
}

// writeMessage personalizes, composes and writes one message.
func (r *run) writeMessage(swap *dirSwap, ns []*render.Newsletter, rc recipient, env send.Envelope, secret string) outboxResult {
	n := ns[rc.variant]
	c, err := r.composeMessage(n, recipientOf(rc.profile), env, secret)
	if err != nil {
		return outboxResult{err: err}
	}
	if c.refused != nil {
		return outboxResult{refused: c.refused}
	}
	rel := n.Variant.ID + "/" + emlName(rc.profile.ID)
	if err := writeFileIn(swap.path(rel), func(w io.Writer) error {
		_, err := w.Write(c.eml)
		return err
	}); err != nil {
		return outboxResult{err: err}
	}
	return outboxResult{file: rel, messageID: c.messageID}
}

// parallel calls fn(i) for i in [0, n) on GOMAXPROCS goroutines, all of
// which have returned when it returns. It stops handing out work at the
// first error or when ctx is done, and returns that error.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		stop     atomic.Bool
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err })
		stop.Store(true)
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if i%64 == 0 {
					if err := ctx.Err(); err != nil {
						fail(err)
						return
					}
				}
				if err := fn(i); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// featureNamesOf returns the names of the pre-aggregated features, nil when
// the campaign has none.
func (r *run) featureNamesOf() []string {
	if r.features != nil {
		return r.features.Names
	}
	return r.featureNames
}

// sampleFile is each variant's sample message, in its directory.
const sampleFile = "sample.eml"

// variantSample is the "sample" of meta.json: to whom the variant's
// sample.eml is addressed.
type variantSample struct {
	// File is the message's file in the variant's directory.
	File string `json:"file"`
	// Recipient is the id of the cardholder the message is addressed to,
	// or that of render.SampleRecipient when Preview is set.
	Recipient string `json:"recipient"`
	// Preview says the variant has no mailable cardholder whose data makes
	// a safe message: the message is addressed to the previews' sample
	// recipient, Alex Sample.
	Preview bool `json:"preview"`
	// Skipped counts the mailable cardholders passed over because the
	// outbox refuses their data (a name no header can carry, ...).
	Skipped int `json:"skipped"`
	// MessageID and Subject are the message's own.
	MessageID string `json:"message_id"`
	Subject   string `json:"subject"`
}

// sampler writes the variants' sample messages. A variant's sample is the
// message the outbox holds for the first of its mailable cardholders, in
// input order, whose data makes a safe message: the outbox's first message
// of the variant, in both the samples and the all modes. Input order is
// what the outbox follows, so no ranking is needed, and it does not depend
// on the outbox mode, which the render stage's key leaves out.
type sampler struct {
	r      *run
	env    send.Envelope
	secret string
	// candidates lists each variant's mailable cardholders in input
	// order, by variant id.
	candidates map[string][]*profile.Profile
	// toCardholders and toPreview count the samples addressed to a
	// cardholder and to the preview recipient.
	toCardholders, toPreview atomic.Int64
}

// newSampler finds the mailable cardholders of every variant of ns.
func (r *run) newSampler(ns []*render.Newsletter) (*sampler, error) {
	ps, err := r.needProfiles()
	if err != nil {
		return nil, err
	}
	assigned, err := r.readAssignments()
	if err != nil {
		return nil, err
	}
	s := &sampler{r: r, env: r.envelope(), secret: r.signingSecret(),
		candidates: make(map[string][]*profile.Profile, len(ns))}
	for i := range ps {
		p := &ps[i]
		if p.Status() != profile.StatusMail {
			continue
		}
		if v, ok := assigned[p.ID]; ok {
			s.candidates[v] = append(s.candidates[v], p)
		}
	}
	return s, nil
}

// write writes the sample message of n's variant to path. It may be called
// for several variants at once.
func (s *sampler) write(path string, n *render.Newsletter) (variantSample, error) {
	out := variantSample{File: sampleFile}
	var c *composed
	for _, p := range s.candidates[n.Variant.ID] {
		got, err := s.r.composeMessage(n, recipientOf(p), s.env, s.secret)
		if err != nil {
			return out, err
		}
		if got.refused == nil {
			c, out.Recipient = got, p.ID
			s.toCardholders.Add(1)
			break
		}
		out.Skipped++
	}
	if c == nil {
		rc := render.SampleRecipient()
		got, err := s.r.composeMessage(n, rc, s.env, s.secret)
		if err != nil {
			return out, err
		}
		if got.refused != nil {
			return out, fmt.Errorf("render: variant %s: sample message for %s %s: %w", n.Variant.ID, rc.FirstName, rc.LastName, got.refused)
		}
		c, out.Recipient, out.Preview = got, rc.ID, true
		s.toPreview.Add(1)
	}
	out.MessageID, out.Subject = c.messageID, c.subject
	return out, writeFileIn(path, func(w io.Writer) error {
		_, err := w.Write(c.eml)
		return err
	})
}

// addMajorities copies the cluster's tier and relationship majorities, with
// their shares, from clusters.json into a variant's meta.json.
func (m *variantMeta) addMajorities(cf *clusterFile) error {
	m.Tier, m.Relationship = m.Variant.Tier, m.Variant.Relationship
	for _, c := range cf.Clusters {
		if c.ID == m.Variant.Cluster {
			m.TierShare, m.RelationshipShare = c.TierShare, c.RelationshipShare
			return nil
		}
	}
	return fmt.Errorf("render: variant %s: cluster %d is not in %s", m.ID, m.Variant.Cluster, clustersFile)
}

// composed is one recipient's complete message.
type composed struct {
	eml       []byte
	messageID string
	subject   string
	// refused is set, and the rest empty, when the recipient's data
	// cannot make a safe message.
	refused error
}

// composeMessage personalizes n for rc and builds the complete MIME
// message. The outbox and the variants' samples both build their messages
// here, so that a sample is byte for byte what the outbox holds for the
// same cardholder. The error is for what stops the run.
func (r *run) composeMessage(n *render.Newsletter, rc render.Recipient, env send.Envelope, secret string) (*composed, error) {
	unsub, err := render.UnsubscribeURL(r.c.Sender.UnsubscribeURL, secret, r.c.Name, rc.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: sender.unsubscribe_url: %v", ErrConfig, err)
	}
	env.Recipient = rc
	env.Unsubscribe, env.Variant = unsub, n.Variant.ID
	m, err := n.Personalize(rc, unsub)
	if err != nil {
		// A header that would carry a line break, or a value the
		// templates cannot format (a points balance that is no number):
		// this recipient is refused, the others go on.
		if errors.Is(err, render.ErrHeader) || errors.Is(err, render.ErrData) {
			return &composed{refused: err}, nil
		}
		return nil, err
	}
	msg, err := send.Compose(m, env)
	if err != nil {
		return &composed{refused: err}, nil
	}
	var b bytes.Buffer
	// Room for both parts, quoted-printable, and the headers.
	b.Grow((len(m.Text)+len(m.HTML))*9/8 + 2048)
	if err := send.WriteEML(&b, msg); err != nil {
		return nil, err
	}
	c := &composed{eml: b.Bytes(), subject: m.Subject}
	if ids := msg.GetGenHeader("Message-ID"); len(ids) > 0 {
		c.messageID = ids[0]
	}
	return c, nil
}

// recipientOf returns a cardholder's merge fields.
func recipientOf(p *profile.Profile) render.Recipient {
	return render.Recipient{ID: p.ID, FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, Tier: p.Tier,
		Locale: p.Locale, Relationship: string(p.Relationship), FavouriteMerchant: p.FavouriteMerchant,
		TopMerchants: p.TopMerchants.Map(), Attrs: p.Attrs}
}

// envelope returns what every message of the run shares: the sender, the
// Date, the campaign month and the User-Agent.
func (r *run) envelope() send.Envelope {
	return send.Envelope{
		Sender: render.Sender{Name: r.c.Sender.Name, From: r.c.Sender.From, ReplyTo: r.c.Sender.ReplyTo, PostalAddress: r.c.Sender.PostalAddress},
		Date:   r.mailDate(), Campaign: r.c.Name, Month: r.month.Format("2006-01"), UserAgent: "tailor " + r.cfg.Version,
	}
}

// signingSecret returns the key that signs unsubscribe links: the secret
// from the environment or, without one, a key derived from the campaign
// name, of which the outbox warns. Neither is ever logged or written: stage
// keys hold only secretFingerprint.
func (r *run) signingSecret() string {
	if r.secret != "" {
		return r.secret
	}
	return "tailor-unsigned:" + r.c.Name
}

// secretEnv names the environment variable that holds the signing secret.
func (r *run) secretEnv() string {
	if env := r.c.Sender.UnsubscribeSecretEnv; env != "" {
		return env
	}
	return DefaultSecretEnv
}

// secretFingerprint identifies a secret in a stage key without revealing
// it: whether one is set, and a short hash of it, which the key hashes
// again.
func secretFingerprint(secret string) []any {
	return []any{secret != "", keyOf("secret", secret)[:16]}
}

// sampleKey returns what the variants' sample messages depend on beyond the
// templates and the data, for the render stage's key: the sender's headers
// and footer, the unsubscribe base URL, the signing secret's fingerprint
// and the Date. The outbox mode and sample count are left out: the sample
// does not depend on them.
func (r *run) sampleKey() []any {
	s := r.c.Sender
	return []any{"sample", s.Name, s.From, s.ReplyTo, s.PostalAddress, s.UnsubscribeURL,
		secretFingerprint(r.secret), r.mailDate().Format(time.RFC3339Nano)}
}
