package pipeline

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"iter"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/tailor-mail/tailor/pipeline/internal/jsontext"
	"github.com/tailor-mail/tailor/pipeline/internal/workers"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/pipeline/send"
	"github.com/tailor-mail/tailor/variants"
)

// rendered is the render stage's outcome.
type rendered struct {
	Variants int `count:"variants"`
	// SamplesToCardholders and SamplesToPreview count the sample messages
	// addressed to a real cardholder and to the preview recipient.
	SamplesToCardholders int `count:"samples_to_cardholders"`
	SamplesToPreview     int `count:"samples_to_preview_recipient"`
	// Rendered and Kept count the variants rendered and those whose
	// files were kept from the render before, as nothing they follow
	// changed (variantFingerprint).
	Rendered int `count:"variants_rendered"`
	Kept     int `count:"variants_kept"`

	newsletters []*render.Newsletter
	// record is the variants directory's, as written.
	record rundir.OutputRecord
}

func (rendered) outputs() []string { return []string{rundir.VariantsDir} }

func (r rendered) records() []rundir.OutputRecord {
	if r.record.Path == "" {
		return nil
	}
	return []rundir.OutputRecord{r.record}
}

// slotChoice is the block a slot took for one recipient.
type slotChoice struct {
	Slot  string `json:"slot"`
	Block string `json:"block"`
}

// slotChoices returns the blocks v's slots take for a recipient.
func slotChoices(v variants.Variant, rc render.Recipient) []slotChoice {
	var out []slotChoice
	for _, s := range v.Slots {
		c := slotChoice{Slot: s.Name}
		if i := s.Choose(rc.Member()); i >= 0 {
			c.Block = s.Alternatives[i].Block
		}
		out = append(out, c)
	}
	return out
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
	// SampleSubject and SamplePreheader are the subject and preheader as
	// the previews' reader (the sample's recipient) sees them, in
	// index.html and index.txt.
	SampleSubject   string `json:"sample_subject"`
	SamplePreheader string `json:"sample_preheader"`
	// PreviewSlots says which block each slot took for the previews'
	// reader, "" for none.
	PreviewSlots []slotChoice `json:"preview_slots,omitempty"`
	// Sample says to whom sample.eml is addressed.
	Sample send.Sample `json:"sample"`
	// BlockFiles are the source files of the blocks the variant may
	// show, by block id, relative to the template folder.
	BlockFiles map[string]string `json:"block_files"`
	// Fingerprint identifies what the variant's files follow
	// (variantFingerprint): a render keeps them while it is the same.
	Fingerprint string `json:"fingerprint"`
	// Files are the SHA-256 of the variant's other files, by name
	// (slash-separated, from the variant's directory): a render keeps
	// only files that are still as written.
	Files map[string]string `json:"files"`
	// Readers are a few real recipients of the variant whose messages
	// the preview shows ("view as"): the previews' reader first, then
	// readers for whom the slots take other blocks. Reader i > 0 reads
	// element i-1 of readers.json; the first reads index.html and
	// index.txt. Empty for a variant with no mailable member.
	Readers []readerMeta `json:"readers,omitempty"`
}

// readerParts is one reader's message in readers.json.
type readerParts struct {
	HTML string `json:"html"`
	Text string `json:"text"`
}

// readerMeta is one recipient of a variant as the preview's "view as" shows
// them: who they are and what their message says.
type readerMeta struct {
	Cardholder   string       `json:"cardholder"`
	FirstName    string       `json:"first_name"`
	Tier         string       `json:"tier"`
	Relationship string       `json:"relationship"`
	Locale       string       `json:"locale"`
	Subject      string       `json:"subject"`
	Preheader    string       `json:"preheader"`
	Slots        []slotChoice `json:"slots,omitempty"`
}

// maxReaders is how many recipients of a variant the preview can be viewed
// as; readerScan is how many of its most representative members are looked
// at to find readers whose slots take other blocks.
const (
	maxReaders = 5
	readerScan = 2000
)

// viewAs chooses the readers of variant v (its mailable members, the most
// representative first) besides first, the previews' reader: members for
// whom the slots take a combination of blocks no reader chosen before has,
// then, while there is room, the next most representative members.
func (r *run) viewAs(v variants.Variant, first *profile.Profile, members []*profile.Profile) []*profile.Profile {
	out := []*profile.Profile{first}
	seen := map[string]bool{}
	// key is the blocks the slots take for p (slotChoices, from what
	// chooses them alone).
	key := func(p *profile.Profile) string {
		var b strings.Builder
		m := variants.Member{Tier: p.Tier, Relationship: string(p.Relationship), Locale: p.Locale, Attrs: p.Attrs}
		for _, s := range v.Slots {
			if i := s.Choose(m); i >= 0 {
				b.WriteString(s.Alternatives[i].Block)
			}
			b.WriteByte(0)
		}
		return b.String()
	}
	seen[key(first)] = true
	var rest []*profile.Profile
	for i, p := range members {
		if len(out) == maxReaders || i == readerScan {
			break
		}
		if p == first {
			continue
		}
		if len(v.Slots) > 0 {
			if k := key(p); !seen[k] {
				seen[k] = true
				out = append(out, p)
				continue
			}
		}
		if len(rest) < maxReaders {
			rest = append(rest, p)
		}
	}
	for _, p := range rest {
		if len(out) == maxReaders {
			break
		}
		out = append(out, p)
	}
	return out
}

// previewUnsubscribe is the unsubscribe link of the previews: they are
// no one's message to act on.
const previewUnsubscribe = "https://unsubscribe.invalid/preview"

// render writes variants/<id>/{index.html,index.txt,meta.json,sample.eml}
// and readers/ for every variant of the plan: the pages for the previews'
// sample recipient and a few other readers, and the sample message for
// the variant's first mailable cardholder (ml). A variant whose
// fingerprint is the one its meta.json recorded keeps its files, and is
// not even compiled: after a template edit only the variants that read
// the edited files render again.
func (r *run) render(ctx context.Context, plan *variants.Plan, cf *segment.File, ml *mailing) (rendered, error) {
	out := rendered{Variants: len(plan.Variants)}
	prev := rundir.Earlier(r.dir, rundir.VariantsDir)
	fingerprints := make([]string, len(plan.Variants))
	kept := make([]*variantMeta, len(plan.Variants))
	ns := make([]*render.Newsletter, len(plan.Variants))
	engine, err := r.engine()
	if err != nil {
		return out, err
	}
	sampler := &send.Sampler{Composer: r.composer(), Candidates: func(variant string) iter.Seq[render.Recipient] {
		return func(yield func(render.Recipient) bool) {
			for _, p := range ml.byVariant[variant] {
				if !yield(r.recipientOf(p)) {
					return
				}
			}
		}
	}}
	clusters := make(map[int]*segment.Cluster, len(cf.Clusters))
	for i := range cf.Clusters {
		clusters[cf.Clusters[i].ID] = &cf.Clusters[i]
	}
	swap, err := rundir.NewSwap(r.file(rundir.VariantsDir))
	if err != nil {
		return out, err
	}
	defer swap.Abort()
	// Each variant is kept, or compiled and written, on its own: a
	// bounded pool of workers takes them one by one, so that one writes
	// files while another compiles.
	var keptToCardholders, keptToPreview atomic.Int64
	progress := r.meter("render", "variants", int64(len(plan.Variants)))
	defer progress.close()
	// The previews' and the other readers' messages are written into
	// rooms used again, each copied into its files (readers.json for the
	// other readers) as soon as written.
	rooms := sync.Pool{New: func() any { return new(render.Message) }}
	// So are readers.json and meta.json, once written.
	jsonRooms := sync.Pool{New: func() any { return new(jsonRoom) }}
	err = workers.EachOf(ctx, len(plan.Variants), renderWorkers(), func(i int) error {
		defer progress.Add(1)
		v := plan.Variants[i]
		fingerprints[i] = r.variantFingerprint(v)
		if m := keepable(filepath.Join(prev, v.ID), fingerprints[i]); m != nil {
			kept[i] = m
			if m.Sample.Preview {
				keptToPreview.Add(1)
			} else {
				keptToCardholders.Add(1)
			}
			return swap.Keep(m.ID, filepath.Join(prev, m.ID))
		}
		n, err := engine.Compile(v)
		if err != nil {
			return err
		}
		ns[i] = n
		msg, sample, err := sampler.Sample(n)
		if err != nil {
			return err
		}
		// The previews are the sample's recipient's message: a real,
		// mailable member near the group's centre (byCentre), or Alex
		// Sample for a variant with none.
		reader := render.SampleRecipient()
		var first *profile.Profile
		if !sample.Preview {
			for _, p := range ml.byVariant[n.Variant.ID] {
				if p.ID == sample.Recipient {
					reader, first = r.recipientOf(p), p
					break
				}
			}
		}
		page := rooms.Get().(*render.Message)
		defer rooms.Put(page)
		m, err := n.PersonalizeInto(page, reader, previewUnsubscribe)
		if err != nil {
			return err
		}
		id := n.Variant.ID
		c, ok := clusters[n.Variant.Cluster]
		if !ok {
			return fmt.Errorf("variant %s: cluster %d is not in %s", id, n.Variant.Cluster, rundir.ClustersFile)
		}
		meta := variantMeta{Variant: n.Variant, Tier: n.Variant.Tier, TierShare: c.TierShare,
			Relationship: n.Variant.Relationship, RelationshipShare: c.RelationshipShare,
			Campaign: r.c.Name, Month: r.monthName(), SampleSubject: m.Subject, SamplePreheader: m.Preheader,
			PreviewSlots: slotChoices(n.Variant, reader), Sample: sample, Fingerprint: fingerprints[i],
			BlockFiles: map[string]string{}}
		for _, b := range n.Variant.BlockIDs() {
			if blk, ok := r.set.Block(b); ok {
				meta.BlockFiles[b] = blk.File
			}
		}
		type file struct {
			name string
			data []byte
		}
		files := []file{{rundir.VariantHTML, m.HTML}, {rundir.VariantText, m.Text}, {rundir.VariantSample, msg.EML}}
		// readers.json is the other readers' parts, encoded as each is
		// written, as encoding/json encodes a []readerParts.
		jr := jsonRooms.Get().(*jsonRoom)
		defer jsonRooms.Put(jr)
		others := jr.readers[:0]
		if first != nil {
			room := rooms.Get().(*render.Message)
			defer rooms.Put(room)
			for i, p := range r.viewAs(n.Variant, first, ml.byVariant[id]) {
				rc, pm := r.recipientOf(p), m
				if i > 0 {
					if pm, err = n.PersonalizeInto(room, rc, previewUnsubscribe); err != nil {
						// Data the templates cannot write (the
						// outbox refuses it too): another reader.
						continue
					}
					others = appendReader(others, pm)
				}
				meta.Readers = append(meta.Readers, readerMeta{Cardholder: p.ID, FirstName: p.FirstName, Tier: p.Tier,
					Relationship: string(p.Relationship), Locale: p.Locale, Subject: pm.Subject, Preheader: pm.Preheader,
					Slots: slotChoices(n.Variant, rc)})
			}
		}
		if len(others) > 0 {
			others = append(others, "]\n"...)
			files = append(files, file{rundir.ReadersFile, others})
		}
		jr.readers = others
		meta.Files = make(map[string]string, len(files))
		for _, f := range files {
			sum, err := swap.WriteFileSum(id+"/"+f.name, f.data)
			if err != nil {
				return err
			}
			meta.Files[f.name] = hex.EncodeToString(sum[:])
		}
		if err := jr.encodeMeta(&meta); err != nil {
			return err
		}
		return swap.WriteFile(id+"/"+rundir.VariantMeta, jr.meta.Bytes())
	})
	if err != nil {
		return out, err
	}
	for i := range ns {
		if kept[i] != nil {
			out.Kept++
		} else {
			out.Rendered++
		}
	}
	if out.Kept == 0 {
		// Every variant is compiled: the stages after use them.
		out.newsletters = ns
	}
	record := swap.Record(rundir.VariantsDir)
	if err := swap.Commit(); err != nil {
		return out, err
	}
	out.record = record
	out.SamplesToCardholders, out.SamplesToPreview = sampler.Counts()
	out.SamplesToCardholders += int(keptToCardholders.Load())
	out.SamplesToPreview += int(keptToPreview.Load())
	if r.secret == "" && out.SamplesToCardholders > 0 {
		r.event(Event{Stage: "render", State: EventWarn, Message: r.c.Sender.UnsubscribeSecretEnv + " is not set: the samples' unsubscribe links are signed with a key anyone can derive; the next run with it set renders them again"})
	}
	return out, nil
}

// jsonRoom is where a render worker writes a variant's readers.json and
// meta.json, used again for the next variant's once written.
type jsonRoom struct {
	readers []byte
	meta    bytes.Buffer
	enc     *json.Encoder // to meta, indented
}

// encodeMeta writes m into r.meta, as json.Encoder writes it indented by
// two spaces.
func (r *jsonRoom) encodeMeta(m *variantMeta) error {
	if r.enc == nil {
		r.enc = json.NewEncoder(&r.meta)
		r.enc.SetIndent("", "  ")
	}
	r.meta.Reset()
	return r.enc.Encode(m)
}

// appendReader appends a reader's parts, m's, to the JSON array in b,
// as encoding/json writes a readerParts (HTML escaping off), after "["
// for the first and "," for the others.
func appendReader(b []byte, m *render.Message) []byte {
	if len(b) == 0 {
		// Room for this reader and the others, HTML escaped in JSON
		// taking about an eighth more.
		b = slices.Grow(b, (maxReaders-1)*(len(m.HTML)+len(m.Text))*9/8)
		b = append(b, '[')
	} else {
		b = append(b, ',')
	}
	b = jsontext.AppendString(append(b, `{"html":`...), unsafe.String(unsafe.SliceData(m.HTML), len(m.HTML)))
	b = jsontext.AppendString(append(b, `,"text":`...), unsafe.String(unsafe.SliceData(m.Text), len(m.Text)))
	return append(b, '}')
}

// renderWorkers is how many variants render at once: more than the
// processors, as a variant's files are written between two compilations
// and a worker waits on the file system meanwhile.
func renderWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// keepable returns the meta.json of the earlier render of a variant, in
// dir, when its files may be kept: it recorded fingerprint, and the
// variant's directory holds exactly the files it lists, each as written.
// Otherwise nil: the variant renders again.
func keepable(dir, fingerprint string) *variantMeta {
	var m variantMeta
	if err := rundir.ReadJSON(filepath.Join(dir, rundir.VariantMeta), &m); err != nil || m.Fingerprint != fingerprint || len(m.Files) == 0 {
		return nil
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == rundir.VariantMeta {
			return nil
		}
		if !d.Type().IsRegular() {
			return fs.ErrInvalid
		}
		sum, _, err := rundir.HashFile(p)
		if err != nil || sum != m.Files[rel] {
			return fs.ErrInvalid
		}
		n++
		return nil
	})
	if err != nil || n != len(m.Files) {
		return nil
	}
	return &m
}
