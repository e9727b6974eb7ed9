package pipeline

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A bank's export is more often sorted by posting date than grouped by
// cardholder. The example's transactions in date order, each day's
// cardholders in reverse order of their ids so that no row's cardholder is
// the last row's or the next in the cardholders file, give the same
// profiles, clusters, assignments and variants, and the same rows
// rejected for the same reasons, at their new lines.
func TestTransactionsInDateOrder(t *testing.T) {
	want := mustRun(t, quickstartConfig(t))

	data, err := os.ReadFile("../examples/quickstart/transactions.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	header, first := lines[0], lines[1]
	rows := slices.DeleteFunc(slices.Clone(lines[1:]), func(l string) bool { return l == "" })
	field := func(row string, i int) string {
		f := strings.Split(row, ",")
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	slices.SortStableFunc(rows, func(a, b string) int {
		return cmp.Or(cmp.Compare(field(a, 1), field(b, 1)), cmp.Compare(field(b, 0), field(a, 0)))
	})
	if rows[0] == first {
		t.Fatal("the rows did not move")
	}
	dated := filepath.Join(t.TempDir(), "transactions.csv")
	if err := os.WriteFile(dated, []byte(header+strings.Join(rows, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := quickstartConfig(t)
	cfg.Campaign.Inputs.Transactions = dated
	got := mustRun(t, cfg)

	for _, f := range []string{"profiles.csv", "assignments.csv", "clusters.json", "variants.json"} {
		a, errA := os.ReadFile(filepath.Join(want.Dir, f))
		b, errB := os.ReadFile(filepath.Join(got.Dir, f))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v, %v", f, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the run on the file grouped by cardholder", f)
		}
	}
	for i := range want.Inputs {
		w, g := want.Inputs[i], got.Inputs[i]
		if w.Rows != g.Rows || w.Accepted != g.Accepted || w.Rejected != g.Rejected {
			t.Errorf("%s: read %d = %d + %d, want %d = %d + %d", w.Name, g.Rows, g.Accepted, g.Rejected, w.Rows, w.Accepted, w.Rejected)
		}
	}
	// The rejects without their lines: column, field, reason and record.
	rejects := func(dir string) []string {
		f, err := os.Open(filepath.Join(dir, "rejects", "transactions.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs[1:] {
			out = append(out, strings.Join([]string{r[1], r[2], r[3], r[5]}, "|"))
		}
		slices.Sort(out)
		return out
	}
	if w, g := rejects(want.Dir), rejects(got.Dir); !slices.Equal(w, g) || len(w) == 0 {
		t.Errorf("rejects differ:\n got %q\nwant %q", g, w)
	}
}
