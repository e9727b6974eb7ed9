package pipeline

import (
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// TestFastPathWritesWhatTheTemplatesWrite renders every recipient of the
// bundled example twice, with render's compiled programs and with
// html/template and text/template alone (TAILOR_FAST_PATH=off), and
// compares every file of the two run directories but the manifest (and
// the variants' fingerprints, which say which way they were made): the
// fast path re-implements html/template's execution and leans on its
// escapers, so a Go release that changes one fails here instead of
// changing what recipients get.
func TestFastPathWritesWhatTheTemplatesWrite(t *testing.T) {
	trees := map[string]map[string]string{}
	dirs := map[string]string{}
	for _, mode := range []string{"on", "off"} {
		cfg := quickstartConfig(t)
		cfg.Outbox = OutboxAll
		getenv := cfg.Getenv
		cfg.Getenv = func(k string) string {
			if k == "TAILOR_FAST_PATH" && mode == "off" {
				return "off"
			}
			return getenv(k)
		}
		res := mustRun(t, cfg)
		if res.Messages < 1800 {
			t.Fatalf("fast path %s: %d messages, want every mailable cardholder's", mode, res.Messages)
		}
		trees[mode], dirs[mode] = fileHashes(t, res.Dir), res.Dir
	}
	on, off := trees["on"], trees["off"]
	if len(on) != len(off) {
		t.Errorf("%d files with the fast path, %d without", len(on), len(off))
	}
	differ := 0
	for name, h := range off {
		if name == "manifest.json" {
			continue
		}
		if on[name] != h && !sameMeta(t, filepath.Join(dirs["on"], name), filepath.Join(dirs["off"], name)) {
			differ++
			if differ <= 10 {
				t.Errorf("%s differs between the fast path and the templates", name)
			}
		}
	}
	if differ > 10 {
		t.Errorf("%d files differ in all", differ)
	}
}

// sameMeta reports whether a and b are the same variant's meta.json but for
// their fingerprints.
func sameMeta(t *testing.T, a, b string) bool {
	t.Helper()
	if filepath.Base(a) != rundir.VariantMeta {
		return false
	}
	var ma, mb variantMeta
	if err := rundir.ReadJSON(a, &ma); err != nil {
		t.Fatal(err)
	}
	if err := rundir.ReadJSON(b, &mb); err != nil {
		t.Fatal(err)
	}
	if ma.Fingerprint == mb.Fingerprint {
		t.Errorf("%s: the same fingerprint with and without the fast path", a)
	}
	ma.Fingerprint, mb.Fingerprint = "", ""
	return reflect.DeepEqual(ma, mb)
}

// TestFastPathSwitch checks that the campaign and the environment turn the
// fast path off, and that turning it off changes the render and outbox
// keys, so that outputs made with it are made again without it.
func TestFastPathSwitch(t *testing.T) {
	keys := func(cfg Config) map[string]string {
		t.Helper()
		r, err := newRun(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.loadTemplates(); err != nil {
			t.Fatal(err)
		}
		stages := r.stages(&outcomes{})
		r.setKeys(stages, map[string]string{})
		out := map[string]string{}
		for _, st := range stages {
			out[st.name] = st.key
		}
		out["fast"] = map[bool]string{true: "on", false: "off"}[r.fastPath()]
		return out
	}
	base := quickstartConfig(t)
	env := quickstartConfig(t)
	env.Getenv = func(k string) string {
		if k == "TAILOR_FAST_PATH" {
			return "off"
		}
		return base.Getenv(k)
	}
	campaign := quickstartConfig(t)
	c := *campaign.Campaign
	c.Templates.FastPath = ptr(false)
	campaign.Campaign = &c
	on, byEnv, byCampaign := keys(base), keys(env), keys(campaign)
	if on["fast"] != "on" || byEnv["fast"] != "off" || byCampaign["fast"] != "off" {
		t.Fatalf("fast path: default %s, TAILOR_FAST_PATH=off %s, fast_path = false %s", on["fast"], byEnv["fast"], byCampaign["fast"])
	}
	for _, st := range []string{"ingest", "profile", "cluster", "variants"} {
		if on[st] != byEnv[st] {
			t.Errorf("%s key changes with the fast path", st)
		}
	}
	for _, st := range []string{"render", "outbox"} {
		if on[st] == byEnv[st] {
			t.Errorf("%s key does not change with the fast path", st)
		}
	}
}

// fileHashes returns the SHA-256 of every file under dir, by slash path.
func fileHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		sum, _, err := rundir.HashFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = sum
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
