package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// renderConfig renders the run of cfg again, as tailor render does.
func renderConfig(cfg Config, dir string) RenderConfig {
	return RenderConfig{RunDir: dir, Version: cfg.Version, Getenv: cfg.Getenv}
}

func mustRender(t *testing.T, rc RenderConfig) *RenderResult {
	t.Helper()
	res, err := Render(context.Background(), rc)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return res
}

// dataStages returns the manifest records of the stages before variants.
func dataStages(t *testing.T, dir string) []rundir.StageRecord {
	t.Helper()
	m := readManifest(dir)
	if m == nil {
		t.Fatalf("%s: no manifest", dir)
	}
	var out []rundir.StageRecord
	for _, name := range []string{"ingest", "profile", "cluster"} {
		out = append(out, *m.Stage(name))
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRenderAfterBlockEdit runs the quickstart, edits a block's wording in
// its template folder, renders again and runs again: Render redoes only
// the render, the variants show the edit, and the next run keeps the render
// and redoes the report and outbox, which follow it.
func TestRenderAfterBlockEdit(t *testing.T) {
	cfg, tdir := templateCampaign(t)
	first := mustRun(t, cfg)
	before := dataStages(t, first.Dir)
	oldPlan := readFile(t, filepath.Join(first.Dir, rundir.PlanFile))
	oldHTML := readFile(t, filepath.Join(first.Dir, "variants", "v0001", "index.html"))

	editFile(t, filepath.Join(tdir, "blocks", "intro-greeting.md"), "Here are this month's picks", "Here are this month's freshly tailored picks")
	res := mustRender(t, renderConfig(cfg, first.Dir))
	if !slices.Equal(res.Ran, []string{"render"}) || !slices.Equal(res.Kept, []string{"ingest", "profile", "cluster", "variants"}) {
		t.Errorf("ran %v, kept %v; want render, and the stages before it kept", res.Ran, res.Kept)
	}
	if !slices.Equal(res.Stale, []string{"fit", "report", "outbox"}) {
		t.Errorf("stale %v, want fit, report and outbox", res.Stale)
	}
	if res.Variants != 12 || res.Campaign != "quickstart" || res.Month != "2026-10" || res.Templates != tdir {
		t.Errorf("result %+v", res)
	}
	for i := 1; i <= res.Variants; i++ {
		for _, f := range []string{"index.html", "index.txt"} {
			if b := readFile(t, filepath.Join(first.Dir, "variants", variantID(i), f)); !bytes.Contains(b, []byte("freshly tailored picks")) {
				t.Errorf("%s/%s does not show the edit", variantID(i), f)
			}
		}
	}
	if bytes.Equal(oldHTML, readFile(t, filepath.Join(first.Dir, "variants", "v0001", "index.html"))) {
		t.Error("v0001/index.html did not change")
	}
	if !reflect.DeepEqual(before, dataStages(t, first.Dir)) {
		t.Error("Render touched the records of the data stages")
	}
	if !bytes.Equal(oldPlan, readFile(t, filepath.Join(first.Dir, rundir.PlanFile))) {
		t.Error("a wording edit changed the plan")
	}
	m := readManifest(first.Dir)
	if !slices.Equal(m.LastRun.Ran, []string{"render"}) || m.LastRun.Status != "done" {
		t.Errorf("manifest's last run = %+v", m.LastRun)
	}

	// The next run with the same templates keeps the new render.
	again := mustRun(t, cfg)
	if !slices.Equal(again.Ran, []string{"fit", "report", "outbox"}) {
		t.Errorf("the run after Render ran %v, want fit, report and outbox", again.Ran)
	}
	eml, _ := filepath.Glob(filepath.Join(first.Dir, "outbox", "v0001", "*.eml"))
	if len(eml) == 0 || !bytes.Contains(readFile(t, eml[0]), []byte("freshly tailored")) {
		t.Error("the outbox does not follow the new render")
	}
	if !reflect.DeepEqual(before, dataStages(t, first.Dir)) {
		t.Error("the run after Render redid a data stage")
	}

	// Nothing changed since: Render has nothing to do.
	idle := mustRender(t, renderConfig(cfg, first.Dir))
	if len(idle.Ran) != 0 || len(idle.Stale) != 0 || !slices.Contains(idle.Kept, "render") {
		t.Errorf("Render with nothing to do: %+v", idle)
	}
}

// TestRenderAfterFrontMatterEdit moves a block to another interest: the
// variants are planned again, and each variant's files follow the new plan.
func TestRenderAfterFrontMatterEdit(t *testing.T) {
	cfg, tdir := templateCampaign(t)
	first := mustRun(t, cfg)
	oldPlan := readFile(t, filepath.Join(first.Dir, rundir.PlanFile))
	if !bytes.Contains(oldPlan, []byte(`"dining-table"`)) {
		t.Fatal("no variant of the quickstart has the dining block")
	}
	editFile(t, filepath.Join(tdir, "blocks", "dining-table.md"), `interests = ["dining"]`, `interests = ["charity"]`)
	res := mustRender(t, renderConfig(cfg, first.Dir))
	if !slices.Equal(res.Ran, []string{"variants", "render"}) {
		t.Errorf("ran %v, want variants and render", res.Ran)
	}
	var plan variants.Plan
	if err := rundir.ReadJSON(filepath.Join(first.Dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(oldPlan, readFile(t, filepath.Join(first.Dir, rundir.PlanFile))) {
		t.Fatal("the plan did not change")
	}
	for _, v := range plan.Variants {
		var meta variantMeta
		if err := rundir.ReadJSON(filepath.Join(first.Dir, "variants", v.ID, "meta.json"), &meta); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(meta.Blocks, v.Blocks) {
			t.Errorf("%s: meta.json blocks %v, plan %v", v.ID, meta.Blocks, v.Blocks)
		}
		if slices.Contains(v.Blocks, "dining-table") && !slices.ContainsFunc(v.Interests, func(in variants.Interest) bool { return in.ID == "charity" }) {
			t.Errorf("%s has the dining block without a charity interest", v.ID)
		}
	}
	again := mustRun(t, cfg)
	if !slices.Equal(again.Ran, []string{"fit", "report", "outbox"}) {
		t.Errorf("the run after Render ran %v, want fit, report and outbox", again.Ran)
	}
}

// TestRenderTemplateError checks that a template problem is reported with
// its position and leaves every output and the manifest as they were.
func TestRenderTemplateError(t *testing.T) {
	cfg, tdir := templateCampaign(t)
	first := mustRun(t, cfg)
	manifest := readFile(t, filepath.Join(first.Dir, rundir.ManifestFile))
	plan := readFile(t, filepath.Join(first.Dir, rundir.PlanFile))
	tree, _ := treeHash(t, filepath.Join(first.Dir, "variants"))

	editFile(t, filepath.Join(tdir, "blocks", "dining-table.md"), "priority = 10", "priority = 11")
	editFile(t, filepath.Join(tdir, "blocks", "intro-greeting.md"), "Hello {{ .Recipient.FirstName }}", "Hello {{ .Recipient.Frist }}")
	_, err := Render(context.Background(), renderConfig(cfg, first.Dir))
	want := filepath.Join(tdir, "blocks", "intro-greeting.md") + ":7: .Recipient.Frist: Recipient has no field Frist"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was rendered") {
		t.Fatalf("error = %v, want it to hold %q", err, want)
	}
	if !bytes.Equal(manifest, readFile(t, filepath.Join(first.Dir, rundir.ManifestFile))) ||
		!bytes.Equal(plan, readFile(t, filepath.Join(first.Dir, rundir.PlanFile))) {
		t.Error("a failed Render changed the manifest or the plan")
	}
	if h, _ := treeHash(t, filepath.Join(first.Dir, "variants")); h != tree {
		t.Error("a failed Render changed variants/")
	}
}

// TestRenderInterrupted stops Render as it starts rendering, after it
// planned again: the plan that goes with the variants on disk comes back.
func TestRenderInterrupted(t *testing.T) {
	cfg, tdir := templateCampaign(t)
	first := mustRun(t, cfg)
	manifest := readFile(t, filepath.Join(first.Dir, rundir.ManifestFile))
	plan := readFile(t, filepath.Join(first.Dir, rundir.PlanFile))
	editFile(t, filepath.Join(tdir, "blocks", "dining-table.md"), `interests = ["dining"]`, `interests = ["charity"]`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc := renderConfig(cfg, first.Dir)
	planned := false
	rc.Events = func(e Event) {
		if e.Stage == "variants" && e.State == "done" {
			planned = true
		}
		if e.Stage == "render" && e.State == "run" {
			cancel()
		}
	}
	if _, err := Render(ctx, rc); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if !planned {
		t.Fatal("Render did not plan again before rendering")
	}
	if !bytes.Equal(plan, readFile(t, filepath.Join(first.Dir, rundir.PlanFile))) {
		t.Error("the plan was not put back")
	}
	if !bytes.Equal(manifest, readFile(t, filepath.Join(first.Dir, rundir.ManifestFile))) {
		t.Error("an interrupted Render changed the manifest")
	}
}

// TestRenderOtherTemplates renders a run with a folder other than the
// campaign's: the next run of the campaign renders again with its own.
func TestRenderOtherTemplates(t *testing.T) {
	cfg := quickstartConfig(t)
	first := mustRun(t, cfg)
	other := t.TempDir()
	if err := os.CopyFS(other, templates.DefaultFS()); err != nil {
		t.Fatal(err)
	}
	editFile(t, filepath.Join(other, "layout.html"), "<body", `<body data-proof="1"`)
	rc := renderConfig(cfg, first.Dir)
	rc.Templates = other
	res := mustRender(t, rc)
	if !slices.Equal(res.Ran, []string{"render"}) || res.Templates != other {
		t.Errorf("ran %v with %q, want render with %s", res.Ran, res.Templates, other)
	}
	if !bytes.Contains(readFile(t, filepath.Join(first.Dir, "variants", "v0003", "index.html")), []byte(`data-proof="1"`)) {
		t.Error("the variants do not show the other folder's layout")
	}
	again := mustRun(t, cfg)
	if !slices.Equal(again.Ran, []string{"render", "fit", "report", "outbox"}) {
		t.Errorf("the run after Render with other templates ran %v, want render, fit, report, outbox", again.Ran)
	}
	if bytes.Contains(readFile(t, filepath.Join(first.Dir, "variants", "v0003", "index.html")), []byte(`data-proof="1"`)) {
		t.Error("the run kept the other folder's render")
	}
}

// TestRenderWarnsOfStaleData renders with another tailor version than the
// run's: Render still renders, and warns that the next run starts over.
func TestRenderWarnsOfStaleData(t *testing.T) {
	cfg, tdir := templateCampaign(t)
	first := mustRun(t, cfg)
	editFile(t, filepath.Join(tdir, "layout.html"), "<body", `<body data-proof="1"`)
	rc := renderConfig(cfg, first.Dir)
	rc.Version = "newer"
	var warnings []string
	rc.Events = func(e Event) {
		if e.State == "warn" {
			warnings = append(warnings, e.Stage+": "+e.Message)
		}
	}
	res := mustRender(t, rc)
	if !slices.Equal(res.Ran, []string{"variants", "render"}) {
		t.Errorf("ran %v, want variants and render: their keys follow the data stages'", res.Ran)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "ingest: ") || !strings.Contains(warnings[0], "redoes it from ingest") {
		t.Errorf("warnings = %q, want one about ingest", warnings)
	}
}

func TestRenderRefuses(t *testing.T) {
	cfg := quickstartConfig(t)
	done := mustRun(t, cfg)

	noSettings := t.TempDir()
	m := readManifest(done.Dir)
	m.Settings = nil
	if err := m.Write(noSettings); err != nil {
		t.Fatal(err)
	}

	// A run whose manifest records ingest and profile only, as one
	// stopped in its cluster stage once profiles.csv was in place.
	unclustered := quickstartConfig(t)
	unclusteredDir := mustRun(t, unclustered).Dir
	um, err := rundir.ReadManifest(unclusteredDir)
	if err != nil {
		t.Fatal(err)
	}
	um.Stages = slices.DeleteFunc(um.Stages, func(st rundir.StageRecord) bool { return st.Name != "ingest" && st.Name != "profile" })
	if err := um.Write(unclusteredDir); err != nil {
		t.Fatal(err)
	}

	edited := quickstartConfig(t)
	editedRun := mustRun(t, edited)
	if err := os.WriteFile(filepath.Join(editedRun.Dir, rundir.AssignmentsFile), []byte("cardholder_id,cluster,variant,mail_status\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		rc     RenderConfig
		want   string
		config bool // a bad configuration: tailor exits 2
	}{
		{"not a run", RenderConfig{RunDir: t.TempDir()}, "not a tailor run directory", true},
		{"no settings", RenderConfig{RunDir: noSettings}, "does not record its settings", false},
		{"not clustered", RenderConfig{RunDir: filepath.Join(unclustered.OutRoot, "quickstart", "2026-10")}, "has not finished its cluster stage", false},
		{"outputs edited", RenderConfig{RunDir: editedRun.Dir}, "assignments.csv changed since the run", false},
		{"missing templates", RenderConfig{RunDir: done.Dir, Templates: filepath.Join(t.TempDir(), "nope")}, "templates: stat", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(context.Background(), tt.rc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if errors.Is(err, ErrConfig) != tt.config {
				t.Errorf("errors.Is(err, ErrConfig) = %v", !tt.config)
			}
		})
	}
}

// TestRunSettings checks that the settings a run records give back the
// campaign it ran.
func TestRunSettings(t *testing.T) {
	cfg := quickstartConfig(t)
	res := mustRun(t, cfg)
	m := readManifest(res.Dir)
	s, err := ReadSettings(m)
	if err != nil || s == nil || !filepath.IsAbs(s.CampaignDir) || s.Outbox != OutboxSamples {
		t.Fatalf("settings = %+v, %v", s, err)
	}
	c := s.Campaign
	if k, _ := c.Clustering.K.Fixed(); c.Hash() != m.ConfigHash || k != 12 || !reflect.DeepEqual(c, cfg.Campaign) {
		t.Errorf("recorded campaign %+v differs from the run's %+v", c, cfg.Campaign)
	}
}

func TestCheckTemplates(t *testing.T) {
	broken := t.TempDir()
	if err := os.CopyFS(broken, templates.DefaultFS()); err != nil {
		t.Fatal(err)
	}
	editFile(t, filepath.Join(broken, "blocks", "dining-table.md"), `interests = ["dining"]`, `interests = ["dinning"]`)
	editFile(t, filepath.Join(broken, "layout.txt"), "{{ .Sender.PostalAddress }}", "{{ .Sender.Address }}")
	quick, err := LoadCampaign(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	otherTiers := *quick
	otherTiers.Inputs.Tiers = []string{"classic", "premier"}
	tests := []struct {
		name string
		cfg  CheckConfig
		want []string // the problems' beginnings
	}{
		{"built-in", CheckConfig{}, nil},
		{"campaign", CheckConfig{Campaign: quick, CampaignDir: filepath.Dir(quickstart)}, nil},
		{"folder", CheckConfig{Dir: broken}, []string{
			filepath.Join(broken, "blocks", "dining-table.md") + ":4: ",
			filepath.Join(broken, "layout.txt") + ":",
		}},
		{"campaign tiers", CheckConfig{Campaign: &otherTiers}, []string{
			filepath.Join("blocks", "tier-gold.md") + ":",
			filepath.Join("blocks", "tier-green.md") + ":",
			filepath.Join("blocks", "tier-platinum.md") + ":",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := CheckTemplates(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Set == nil {
				t.Fatalf("no set; problems:\n%v", res.Problems)
			}
			if len(res.Problems) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(res.Problems), len(tt.want), res.Problems)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(res.Problems[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to start %q", i, res.Problems[i], w)
				}
			}
		})
	}
	if _, err := CheckTemplates(CheckConfig{Dir: filepath.Join(broken, "nope")}); !errors.Is(err, ErrConfig) {
		t.Errorf("missing folder: error %v, want ErrConfig", err)
	}
}

// TestRenderOnlyWhatAnEditReads edits one block that some variants show
// and others do not: Render renders again only the variants that show it,
// keeps the others' files as they were (not even rewritten), and leaves
// variants/ byte for byte as a render from scratch with the edited
// templates writes it. An edit of the layout renders every variant again.
func TestRenderOnlyWhatAnEditReads(t *testing.T) {
	cfg, tdir := templateCampaign(t)
	first := mustRun(t, cfg)
	var plan variants.Plan
	if err := rundir.ReadJSON(filepath.Join(first.Dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	// The block the fewest variants show, but at least one.
	shows := map[string][]string{}
	for _, v := range plan.Variants {
		for _, id := range v.BlockIDs() {
			shows[id] = append(shows[id], v.ID)
		}
	}
	block := ""
	for id, vs := range shows {
		if len(vs) < len(plan.Variants) && (block == "" || len(vs) < len(shows[block]) || len(vs) == len(shows[block]) && id < block) {
			block = id
		}
	}
	if block == "" {
		t.Fatal("every block is in every variant")
	}
	set, err := templates.Load(os.DirFS(tdir))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := set.Block(block)
	src := string(readFile(t, filepath.Join(tdir, filepath.FromSlash(b.File))))
	// The block's first line of body text gets a mark.
	body := strings.SplitN(src, "+++", 3)
	if len(body) != 3 {
		t.Fatalf("%s: no front matter", b.File)
	}
	line := ""
	for _, l := range strings.Split(body[2], "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !strings.Contains(l, "{{") {
			line = l
			break
		}
	}
	if line == "" {
		t.Fatalf("%s: no plain line of text to edit", b.File)
	}
	const mark = "Edited just now."
	editFile(t, filepath.Join(tdir, filepath.FromSlash(b.File)), line, mark+" "+line)

	before := inodes(t, filepath.Join(first.Dir, rundir.VariantsDir))
	res := mustRender(t, renderConfig(cfg, first.Dir))
	if res.Rendered != len(shows[block]) || res.Variants != len(plan.Variants) {
		t.Errorf("rendered %d of %d variants, want the %d that show %s (%v)", res.Rendered, res.Variants, len(shows[block]), block, shows[block])
	}
	after := inodes(t, filepath.Join(first.Dir, rundir.VariantsDir))
	for _, v := range plan.Variants {
		edited := slices.Contains(shows[block], v.ID)
		for _, f := range []string{"index.html", "meta.json", "sample.eml"} {
			p := v.ID + "/" + f
			kept := os.SameFile(before[p], after[p]) && before[p].ModTime().Equal(after[p].ModTime())
			if kept == edited {
				t.Errorf("%s: kept %v, but the variant shows %s: %v", p, kept, block, edited)
			}
		}
		if edited {
			// The mark shows for the readers whose slot took the block.
			var meta variantMeta
			if err := rundir.ReadJSON(filepath.Join(first.Dir, rundir.VariantsDir, v.ID, rundir.VariantMeta), &meta); err != nil {
				t.Fatal(err)
			}
			found := false
			for i := range meta.Readers {
				_, text := readerMessage(t, filepath.Join(first.Dir, rundir.VariantsDir, v.ID), i)
				found = found || strings.Contains(text, mark)
			}
			if !found && slices.Contains(v.Blocks, block) {
				t.Errorf("%s shows %s to everyone, and no reader's text has the edit", v.ID, block)
			}
		}
	}

	// The same as a render from scratch with the edited templates.
	fresh := cfg
	fresh.OutRoot = t.TempDir()
	scratch := mustRun(t, fresh)
	got, _ := treeHash(t, filepath.Join(first.Dir, rundir.VariantsDir))
	want, _ := treeHash(t, filepath.Join(scratch.Dir, rundir.VariantsDir))
	if got != want {
		t.Error("variants/ after the edit differs from a render from scratch with the same templates")
	}

	// Every variant reads the layout.
	editFile(t, filepath.Join(tdir, "layout.html"), "<body", "<!-- edited -->\n<body")
	if res := mustRender(t, renderConfig(cfg, first.Dir)); res.Rendered != len(plan.Variants) {
		t.Errorf("after a layout edit, rendered %d of %d variants", res.Rendered, len(plan.Variants))
	}
	// Nothing changed: the render stage is kept whole.
	if res := mustRender(t, renderConfig(cfg, first.Dir)); len(res.Ran) != 0 || res.Rendered != 0 {
		t.Errorf("with nothing edited, ran %v and rendered %d variants", res.Ran, res.Rendered)
	}
}

// inodes maps each file under dir (slash-separated, relative to it) to
// its FileInfo: os.SameFile and the modification time tell a file kept
// from one rewritten or replaced.
func inodes(t *testing.T, dir string) map[string]fs.FileInfo {
	t.Helper()
	out := map[string]fs.FileInfo{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = fi
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
