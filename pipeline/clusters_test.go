package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tailor-mail/tailor/pipeline/report"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
)

func TestVariantsKeepTheirIDs(t *testing.T) {
	cfg := quickstartConfig(t)
	cfg.Month = "2026-09"
	sep := mustRun(t, cfg)
	cfg.Month = "2026-10"
	oct := mustRun(t, cfg)
	var s, o segment.File
	if err := rundir.ReadJSON(sep.Dir+"/"+rundir.ClustersFile, &s); err != nil {
		t.Fatal(err)
	}
	if err := rundir.ReadJSON(oct.Dir+"/"+rundir.ClustersFile, &o); err != nil {
		t.Fatal(err)
	}
	if s.Identity != nil || s.WarmStart {
		t.Errorf("September has no previous month, but identity %+v, warm start %v", s.Identity, s.WarmStart)
	}
	if !o.WarmStart {
		t.Error("October did not start from September's centroids")
	}
	id := o.Identity
	if id == nil || id.PreviousMonth != "2026-09" || id.Matched != len(o.Clusters) || id.Changed == 0 ||
		id.Changed > oct.Audience.Cardholders/2 {
		t.Fatalf("October identity %+v", id)
	}
	septIDs := map[string]bool{}
	for _, c := range s.Clusters {
		septIDs[c.Variant] = true
	}
	for _, c := range o.Clusters {
		if !septIDs[c.Variant] {
			t.Errorf("October cluster %d has variant %s, not one of September's", c.ID, c.Variant)
		}
	}
	// The same cardholders mostly keep their variant.
	before, _ := readAssignments(sep.Dir + "/" + rundir.AssignmentsFile)
	after, _ := readAssignments(oct.Dir + "/" + rundir.AssignmentsFile)
	same := 0
	for id, v := range after {
		if before[id] == v {
			same++
		}
	}
	if same < len(after)/2 {
		t.Errorf("only %d of %d cardholders kept their variant", same, len(after))
	}
	checkFlows(t, id, before, after)
	// The workbook's Clusters sheet follows each variant from September;
	// September's has no such columns.
	checkFlowColumns(t, sep.Dir, nil)
	checkFlowColumns(t, oct.Dir, id)
}

// A month with more or fewer clusters than the last one has a variant
// born or retired, and its flows still add up to both months'
// assignments.
func TestVariantsBornAndRetired(t *testing.T) {
	tests := []struct {
		name          string
		k             int
		born, retired int
	}{
		{"a variant born", 13, 1, 0},
		{"two variants retired", 10, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := quickstartConfig(t)
			cfg.Month = "2026-09"
			sep := mustRun(t, cfg)
			c := *cfg.Campaign
			c.Clustering.K = FixedK(tt.k)
			cfg.Campaign, cfg.Month = &c, "2026-10"
			oct := mustRun(t, cfg)
			var o segment.File
			if err := rundir.ReadJSON(oct.Dir+"/"+rundir.ClustersFile, &o); err != nil {
				t.Fatal(err)
			}
			id := o.Identity
			if id == nil || len(id.Born) != tt.born || len(id.Retired) != tt.retired {
				t.Fatalf("October identity %+v, want %d born and %d retired", id, tt.born, tt.retired)
			}
			before, err := readAssignments(sep.Dir + "/" + rundir.AssignmentsFile)
			if err != nil {
				t.Fatal(err)
			}
			after, err := readAssignments(oct.Dir + "/" + rundir.AssignmentsFile)
			if err != nil {
				t.Fatal(err)
			}
			checkFlows(t, id, before, after)
			checkFlowColumns(t, oct.Dir, id)
		})
	}
}

// checkFlows checks the flows of id against last month's and this month's
// assignments (cardholder id -> variant), counted here cardholder by
// cardholder.
func checkFlows(t *testing.T, id *segment.Identity, before, after map[string]string) {
	t.Helper()
	want := map[string]*segment.Flow{}
	flow := func(v string) *segment.Flow {
		if want[v] == nil {
			want[v] = &segment.Flow{Variant: v}
		}
		return want[v]
	}
	changed := 0
	for c, v := range after {
		w, was := before[c]
		switch {
		case !was:
			flow(v).New++
		case w == v:
			flow(v).Stayed++
		default:
			flow(v).MovedIn++
			flow(w).MovedOut++
			changed++
		}
	}
	for c, w := range before {
		if _, is := after[c]; !is {
			flow(w).Left++
		}
	}
	if id.Changed != changed {
		t.Errorf("%d cardholders changed variant, the assignments say %d", id.Changed, changed)
	}
	if len(id.Flows) != len(want) {
		t.Errorf("%d flows, want one for each of the %d variants of either month", len(id.Flows), len(want))
	}
	if !slices.IsSortedFunc(id.Flows, func(a, b segment.Flow) int { return strings.Compare(a.Variant, b.Variant) }) {
		t.Errorf("flows not sorted by variant: %+v", id.Flows)
	}
	var now, then, in, out int
	for _, f := range id.Flows {
		if w := want[f.Variant]; w == nil || f != *w {
			t.Errorf("flow %+v, the assignments say %+v", f, w)
		}
		now += f.Stayed + f.MovedIn + f.New
		then += f.Stayed + f.MovedOut + f.Left
		in += f.MovedIn
		out += f.MovedOut
	}
	if now != len(after) || then != len(before) || in != id.Changed || out != id.Changed {
		t.Errorf("flows do not reconcile: %d this month (want %d), %d last month (want %d), %d moved in and %d out (want %d)",
			now, len(after), then, len(before), in, out, id.Changed)
	}
}

// checkFlowColumns checks the Clusters sheet of the workbook in dir: with
// id, its columns from Last month on show each variant's flow, and the
// retired variants are listed under the table; without, there are no such
// columns.
func checkFlowColumns(t *testing.T, dir string, id *segment.Identity) {
	t.Helper()
	f, err := excelize.OpenFile(filepath.Join(dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetClusters)
	if err != nil {
		t.Fatal(err)
	}
	at := slices.Index(rows[0], "Last month")
	if id == nil {
		if at >= 0 {
			t.Errorf("%s: a Last month column without a last month: %q", dir, rows[0])
		}
		return
	}
	if at < 0 || !slices.Equal(rows[0][at:], []string{"Last month", "Stayed", "Moved in", "Moved out", "New", "Left"}) {
		t.Fatalf("%s: Clusters header %q, want the flow columns last", dir, rows[0])
	}
	flows := map[string]segment.Flow{}
	for _, fl := range id.Flows {
		flows[fl.Variant] = fl
	}
	cells := func(since string, fl segment.Flow) []string {
		return []string{since, fmt.Sprint(fl.Stayed), fmt.Sprint(fl.MovedIn), fmt.Sprint(fl.MovedOut), fmt.Sprint(fl.New), fmt.Sprint(fl.Left)}
	}
	table := len(rows) - len(id.Retired) - 1 // the header and a row per cluster
	if len(id.Retired) == 0 {
		table = len(rows)
	}
	for _, r := range rows[1:table] {
		since := "kept"
		if slices.Contains(id.Born, r[1]) {
			since = "born"
		}
		if got, want := r[at:], cells(since, flows[r[1]]); !slices.Equal(got, want) {
			t.Errorf("%s: variant %s: %q, want %q", dir, r[1], got, want)
		}
	}
	for i, v := range id.Retired {
		r := rows[table+1+i]
		fl := flows[v]
		if want := []string{"retired", "", "", fmt.Sprint(fl.MovedOut), "", fmt.Sprint(fl.Left)}; r[1] != v || !slices.Equal(r[at:], want) {
			t.Errorf("%s: retired row %q, want %s with %q", dir, r, v, want)
		}
	}
}

func TestAutoK(t *testing.T) {
	cfg := quickstartConfig(t)
	c := *cfg.Campaign
	c.Clustering.K = AutoK()
	c.Clustering.MinAudience = 150
	cfg.Campaign = &c
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var cf segment.File
	if err := rundir.ReadJSON(res.Dir+"/"+rundir.ClustersFile, &cf); err != nil {
		t.Fatal(err)
	}
	if cf.K < 2 || cf.K > cf.Rows/150 {
		t.Errorf("k = %d for %d rows and a minimum audience of 150", cf.K, cf.Rows)
	}
	total := 0
	for i, cl := range cf.Clusters {
		total += cl.Size
		if cl.Size < 150 {
			t.Errorf("cluster %d has %d cardholders, below the minimum audience", cl.ID, cl.Size)
		}
		if i > 0 && cl.Size > cf.Clusters[i-1].Size {
			t.Errorf("clusters not by decreasing size")
		}
	}
	if total != cf.Rows {
		t.Errorf("sizes sum to %d, want %d", total, cf.Rows)
	}
}

func TestLabels(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	var cf segment.File
	if err := rundir.ReadJSON(res.Dir+"/"+rundir.ClustersFile, &cf); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^[A-Z][^,]*( \+ [A-Z][^,]*)?, (low|mid|high) spend, (loyal|steady|occasional|lapsing|lost|inactive)$`)
	levels := map[string]bool{}
	for _, c := range cf.Clusters {
		if !re.MatchString(c.Label) {
			t.Errorf("label %q", c.Label)
		}
		levels[strings.Split(c.Label, ", ")[1]] = true
	}
	if len(levels) < 2 {
		t.Errorf("every cluster has the same spend level: %v", levels)
	}
}
