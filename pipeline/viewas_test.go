package pipeline

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/templates"
	"github.com/tailor-mail/tailor/variants"
)

// TestViewAsReaders checks the readers each variant can be viewed as in
// the preview: real, mailable members of the variant, the sample's
// recipient first, each with their own message and their own slot choices,
// and between them every combination of blocks the variant's members get,
// up to the number of readers.
func TestViewAsReaders(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	var plan variants.Plan
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.PlanFile), &plan); err != nil {
		t.Fatal(err)
	}
	profiles := map[string]profile.Profile{}
	for _, p := range runProfiles(t, res.Dir) {
		profiles[p.ID] = p
	}
	members := map[string][]string{} // variant -> mailable members
	variantOf := map[string]string{}
	for _, rec := range readCSV(t, filepath.Join(res.Dir, rundir.AssignmentsFile))[1:] {
		if rec[3] == "mail" {
			members[rec[2]] = append(members[rec[2]], rec[0])
			variantOf[rec[0]] = rec[2]
		}
	}
	member := func(p profile.Profile) variants.Member {
		return variants.Member{Tier: p.Tier, Relationship: string(p.Relationship), Locale: p.Locale, Attrs: p.Attrs}
	}
	combination := func(v variants.Variant, m variants.Member) string {
		var b strings.Builder
		for _, s := range v.Slots {
			if i := s.Choose(m); i >= 0 {
				b.WriteString(s.Alternatives[i].Block)
			}
			b.WriteByte('|')
		}
		return b.String()
	}
	several := 0
	for _, v := range plan.Variants {
		meta := readMeta(t, res.Dir, v.ID)
		rs := meta.Readers
		if len(rs) == 0 || len(rs) > maxReaders {
			t.Fatalf("%s: %d readers, want 1 to %d", v.ID, len(rs), maxReaders)
		}
		if rs[0].Cardholder != meta.Sample.Recipient || rs[0].Subject != meta.SampleSubject {
			t.Errorf("%s: the first reader %+v is not the sample's recipient %s", v.ID, rs[0], meta.Sample.Recipient)
		}
		// The source file of every block the variant may show.
		for _, id := range v.BlockIDs() {
			f := meta.BlockFiles[id]
			if b, err := fs.ReadFile(templates.DefaultFS(), f); err != nil || !strings.Contains(string(b), `id = "`+id+`"`) {
				t.Errorf("%s: block %s's file %q: %v", v.ID, id, f, err)
			}
		}
		seen := map[string]bool{}
		combos := map[string]bool{}
		for i, rd := range rs {
			p, ok := profiles[rd.Cardholder]
			if !ok || variantOf[rd.Cardholder] != v.ID {
				t.Fatalf("%s: reader %s is not a mailable member of the variant", v.ID, rd.Cardholder)
			}
			if seen[rd.Cardholder] {
				t.Errorf("%s: reader %s twice", v.ID, rd.Cardholder)
			}
			seen[rd.Cardholder] = true
			if rd.FirstName != p.FirstName || rd.Tier != p.Tier || rd.Relationship != string(p.Relationship) || rd.Locale != p.Locale {
				t.Errorf("%s: reader %+v does not match the profile %s %s %s %s", v.ID, rd, p.FirstName, p.Tier, p.Relationship, p.Locale)
			}
			if rd.Subject == "" || strings.Contains(rd.Subject, "{{") {
				t.Errorf("%s: reader %s's subject %q", v.ID, rd.Cardholder, rd.Subject)
			}
			// Each slot took the block of the first alternative whose
			// target holds the reader.
			if len(rd.Slots) != len(v.Slots) {
				t.Fatalf("%s: reader %s has %d slot choices, want %d", v.ID, rd.Cardholder, len(rd.Slots), len(v.Slots))
			}
			for j, s := range v.Slots {
				want := ""
				for _, a := range s.Alternatives {
					if holds(a.Target.Tiers, p.Tier) && holds(a.Target.Relationships, string(p.Relationship)) {
						want = a.Block
						break
					}
				}
				if rd.Slots[j].Slot != s.Name || rd.Slots[j].Block != want {
					t.Errorf("%s: reader %s (%s, %s): slot %s took %q, want %q", v.ID, rd.Cardholder, p.Tier, p.Relationship, s.Name, rd.Slots[j].Block, want)
				}
			}
			combos[combination(v, member(p))] = true
			html, text := readerMessage(t, filepath.Join(res.Dir, rundir.VariantsDir, v.ID), i)
			greeting := "Hello " + p.FirstName + ","
			for _, part := range []string{html, text} {
				if !strings.Contains(part, greeting) {
					t.Errorf("%s: reader %d's message has no %q", v.ID, i, greeting)
				}
			}
		}
		// The readers show as many of the members' combinations of
		// blocks as they can.
		all := map[string]bool{}
		for _, id := range members[v.ID] {
			all[combination(v, member(profiles[id]))] = true
		}
		if want := min(len(all), maxReaders); len(combos) < want {
			t.Errorf("%s: the readers show %d combinations of blocks, want %d of the members' %d", v.ID, len(combos), want, len(all))
		}
		if len(combos) > 1 {
			several++
		}
	}
	if several == 0 {
		t.Error("no variant's readers show more than one combination of blocks")
	}
}

// readerMessage returns the HTML and text of reader i of the variant in dir.
func readerMessage(t *testing.T, dir string, i int) (html, text string) {
	t.Helper()
	if i == 0 {
		return string(readFile(t, filepath.Join(dir, rundir.VariantHTML))), string(readFile(t, filepath.Join(dir, rundir.VariantText)))
	}
	var parts []struct{ HTML, Text string }
	if err := rundir.ReadJSON(filepath.Join(dir, rundir.ReadersFile), &parts); err != nil {
		t.Fatal(err)
	}
	if i > len(parts) {
		t.Fatalf("%s: %d readers in %s, want reader %d", dir, len(parts), rundir.ReadersFile, i)
	}
	return parts[i-1].HTML, parts[i-1].Text
}

// holds reports whether a target's list admits v: an empty list admits
// everyone.
func holds(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestAppendReader checks readers.json as render writes it, reader by
// reader, against encoding/json's encoding of the same []readerParts.
func TestAppendReader(t *testing.T) {
	ms := []*render.Message{
		{HTML: []byte(`<p class="x">Caf` + "\u00e9" + ` & "more"</p>` + "\n"), Text: []byte("Caf\u00e9\n\ttab\x00\u2028")},
		{HTML: []byte("bad \xff utf-8"), Text: []byte(`back\slash`)},
		{},
	}
	var got []byte
	var parts []readerParts
	for _, m := range ms {
		got = appendReader(got, m)
		parts = append(parts, readerParts{HTML: string(m.HTML), Text: string(m.Text)})
	}
	got = append(got, "]\n"...)
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(parts); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("readers.json:\n%s\nwant\n%s", got, want.String())
	}
}
