package pipeline

import (
	"context"
	"regexp"
	"strings"
	"testing"

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
