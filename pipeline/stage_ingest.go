package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// ingested is the ingest stage's outcome.
type ingested struct {
	// Read, Accepted and Rejected count rows by input name.
	Read     map[string]int `count:"*_read"`
	Accepted map[string]int `count:"*_accepted"`
	Rejected map[string]int `count:"*_rejected"`
	// Merchants counts the distinct merchant names.
	Merchants int `count:"merchants"`

	// What profile builds on, in memory only.
	builder   *profile.Builder
	merchants *ingest.Merchants
	features  *ingest.FeatureTable
}

func (ingested) outputs() []string { return []string{rundir.RejectsDir} }

// ingest reads every input; rejects go to rejects/<input>.csv. The inputs'
// records go into the manifest.
func (r *run) ingest(ctx context.Context) (ingested, error) {
	out := ingested{Read: map[string]int{}, Accepted: map[string]int{}, Rejected: map[string]int{}}
	swap, err := rundir.NewSwap(r.file(rundir.RejectsDir))
	if err != nil {
		return out, err
	}
	defer swap.Abort()
	var set *ingest.CardholderSet
	var records []rundir.InputRecord
	var budgetErr error
	var total int64
	for _, in := range r.inputs {
		if fi, err := os.Stat(in.path); err == nil {
			total += fi.Size()
		}
	}
	m := r.meter("ingest", "bytes", total)
	defer m.close()
	for i, in := range r.inputs {
		m.SetDetail(filepath.Base(in.path))
		var rh *readHash
		if in.sum == "" {
			rh = newReadHash(in.path)
		}
		st, err := r.ingestFile(ctx, swap, in, rh, &set, &out, m)
		var mce *ingest.MissingColumnsError
		if errors.As(err, &mce) {
			// The campaign names columns the file does not have: a
			// campaign error, at the key that names them.
			return out, r.configError(missingColumnsKey(in.name, mce), "%s: %v", filepath.Base(in.path), mce)
		}
		if err != nil {
			return out, err
		}
		sum, size, stamp, err := inputSum(in, rh)
		if err != nil {
			return out, err
		}
		r.inputs[i].sum, r.inputs[i].stamp = sum, stamp
		rec := rundir.InputRecord{Name: in.name, Path: in.path, SHA256: sum, Bytes: size, Stamp: stamp,
			Rows: st.Read, Accepted: st.Accepted, Rejected: st.Rejected, Reasons: st.Reasons,
			UnmappedCategories: st.UnmappedCategories, EmptyRows: st.EmptyRows, RepeatedHeaders: st.RepeatedHeaders, Filtered: st.Filtered,
			Encoding: st.Encoding, EncodingDetected: st.EncodingDetected}
		if in.name == "profiles" && out.features != nil {
			for col, f := range out.features.Filled {
				if rec.Filled == nil {
					rec.Filled = map[string]int{}
				}
				rec.Filled[col] = f.Count
			}
		}
		if st.EncodingDetected {
			r.event(Event{Stage: "ingest", State: EventWarn, Message: fmt.Sprintf("%s: read as %s, the encoding its bytes show (set [format.%s] encoding to say so)",
				filepath.Base(in.path), st.Encoding, in.name)})
		}
		records = append(records, rec)
		out.Read[in.name], out.Accepted[in.name], out.Rejected[in.name] = st.Read, st.Accepted, st.Rejected
		// Past the budget, the other inputs are still read, so that one
		// run shows every problem.
		budgetErr = errors.Join(budgetErr, st.CheckBudget(*r.c.Inputs.ErrorBudget))
	}
	// The rejects are kept even when the budget is exceeded: they are what
	// the user needs to fix the inputs.
	if err := swap.Commit(); err != nil {
		return out, err
	}
	r.manifest.Inputs = records
	if r.rekeyAfterIngest {
		sums := map[string]string{}
		for _, in := range r.inputs {
			sums[in.name] = in.sum
		}
		r.setKeys(r.keyed, sums)
		r.rekeyAfterIngest = false
	}
	if budgetErr != nil {
		return out, budgetErr
	}
	out.Merchants = out.merchants.Len()
	return out, nil
}

// missingColumnsKey is the campaign key that names the columns an input
// lacks: its column mapping, one of its row filters, or the pre-aggregated
// profile columns.
func missingColumnsKey(input string, mce *ingest.MissingColumnsError) string {
	switch {
	case mce.Filter != "":
		return "format." + input + "." + mce.Filter
	case !mce.Mapping:
		return "inputs.profile_columns"
	}
	return "format." + input + ".columns"
}

// ingestFile reads one input, writing its rejects into the swap.
func (r *run) ingestFile(ctx context.Context, swap *rundir.Swap, in input, rh *readHash, set **ingest.CardholderSet, out *ingested, m *meter) (st ingest.Stats, err error) {
	osf, err := os.Open(in.path)
	if err != nil {
		return st, fmt.Errorf("%w: inputs.%s: %w", ErrConfig, in.name, err)
	}
	defer osf.Close()
	var src io.Reader = osf
	if rh != nil {
		src = io.TeeReader(osf, rh)
	}
	f := countingReader{src, m}
	opts, err := r.ingestOptions(in.name)
	if err != nil {
		return st, err
	}
	if fi, err := osf.Stat(); err == nil {
		opts.SizeHint = fi.Size()
	}
	file := filepath.Base(in.path)
	err = swap.Create(in.name+".csv", func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		rw := ingest.NewRejectWriter(bw)
		switch in.name {
		case "cardholders":
			*set, st, err = ingest.ReadCardholders(ctx, f, file, opts, rw)
			if err == nil {
				out.builder = profile.NewBuilder(r.tax, (*set).List, r.profileOptions())
			}
		case "transactions":
			st, out.merchants, err = ingest.ReadTransactions(ctx, f, file, opts, *set, rw,
				func(recs []ingest.Record) error { out.builder.AddRecords(recs); return nil })
			out.builder.Flush()
		default:
			out.features, st, err = ingest.ReadFeatures(ctx, f, file, opts, r.c.Inputs.ProfileColumns, *set, rw)
		}
		if err != nil {
			return err
		}
		if err := rw.Flush(); err != nil {
			return err
		}
		return bw.Flush()
	})
	return st, err
}
