package preview

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/variants"
)

// The files of a variant's directory, variants/<id>/, and the fit audit,
// as the run directory's README names them.
const (
	htmlFile    = rundir.VariantHTML
	textFile    = rundir.VariantText
	metaFile    = rundir.VariantMeta
	sampleFile  = rundir.VariantSample
	fitFile     = rundir.FitFile
	readersFile = rundir.ReadersFile
)

// maxFile is the largest file the preview reads.
const maxFile = 64 << 20

// readFile reads the file name of the run directory (slash-separated,
// relative to it): a regular file, never one outside the directory.
func (h *Handler) readFile(name string) ([]byte, error) {
	f, err := h.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("not a regular file")}
	}
	if fi.Size() > maxFile {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("larger than %d MiB", maxFile>>20)}
	}
	return io.ReadAll(io.LimitReader(f, maxFile))
}

// readJSON reads the JSON file name into v; a syntax error says where.
func (h *Handler) readJSON(name string, v any) error {
	b, err := h.readFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line, col := position(b, syn.Offset-1)
			return fmt.Errorf("%s:%d:%d: %w", name, line, col, err)
		case errors.As(err, &typ):
			line, col := position(b, typ.Offset-1)
			return fmt.Errorf("%s:%d:%d: %w", name, line, col, err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// position is the line and column (from 1, in bytes) of the byte at
// offset in b. (The decoder's errors give the offset after the byte at
// fault.)
func position(b []byte, offset int64) (line, col int) {
	offset = max(0, min(offset, int64(len(b))))
	before := b[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// plan reads the run's plan.
func (h *Handler) plan() (variants.Plan, error) {
	var p variants.Plan
	err := h.readJSON(rundir.PlanFile, &p)
	return p, err
}

// variant returns the newsletter that the variant id of the plan reads
// (variants.Plan.Newsletters): the variant itself, or for one that shares
// another's newsletter (SameAs), that one, whose ID is then not id. ok is
// false when the plan has no variant of that id, or when the id could not
// be a directory's name.
func (h *Handler) variant(id string) (v variants.Variant, ok bool, err error) {
	if !validID(id) {
		return v, false, nil
	}
	p, err := h.plan()
	if err != nil {
		return v, false, err
	}
	want := ""
	for _, v := range p.Variants {
		if v.ID == id {
			want = cmp.Or(v.SameAs, v.ID)
		}
	}
	if want == "" {
		return v, false, nil
	}
	for _, v := range p.Newsletters().Variants {
		if v.ID == want {
			return v, true, nil
		}
	}
	return v, false, nil
}

// validID reports whether id may name a variant's directory: letters,
// digits, "-" and "_" only, so that no id from the plan is a path.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// variantFile is the path of a file of a variant's directory; id must be
// a valid id of the plan.
func variantFile(id, name string) string { return rundir.VariantsDir + "/" + id + "/" + name }

// meta is what the preview reads of a variant's meta.json: the facts the
// plan does not hold.
type meta struct {
	// Tier and Relationship are the cluster's majorities, with the
	// share of members who hold them.
	Tier              string  `json:"tier"`
	TierShare         float64 `json:"tier_share"`
	Relationship      string  `json:"relationship"`
	RelationshipShare float64 `json:"relationship_share"`
	Campaign          string  `json:"campaign"`
	Month             string  `json:"month"`
	// SampleSubject and SamplePreheader are the subject and preheader as
	// the previews' reader reads them.
	SampleSubject   string `json:"sample_subject"`
	SamplePreheader string `json:"sample_preheader"`
	// PreviewSlots are the blocks the slots took for the previews'
	// reader.
	PreviewSlots []slotChoice `json:"preview_slots"`
	// Sample says to whom sample.eml is addressed.
	Sample struct {
		Recipient string `json:"recipient"`
		Preview   bool   `json:"preview"`
		Skipped   int    `json:"skipped"`
	} `json:"sample"`
	// BlockFiles are the source files of the blocks, by id, relative
	// to the template folder.
	BlockFiles map[string]string `json:"block_files"`
	// Readers are the recipients the variant can be viewed as, the
	// previews' reader first.
	Readers []metaReader `json:"readers"`
}

// metaReader is a recipient the variant can be viewed as.
type metaReader struct {
	Cardholder   string       `json:"cardholder"`
	FirstName    string       `json:"first_name"`
	Tier         string       `json:"tier"`
	Relationship string       `json:"relationship"`
	Locale       string       `json:"locale"`
	Subject      string       `json:"subject"`
	Preheader    string       `json:"preheader"`
	Slots        []slotChoice `json:"slots"`
}

// slotChoice is the block a slot took for a reader, "" for none.
type slotChoice struct {
	Slot  string `json:"slot"`
	Block string `json:"block"`
}

// readerPart reads the HTML (html set) or text part of the variant id as
// its reader i reads it: the variant's own index files for the first,
// element i-1 of readers.json for the others.
func (h *Handler) readerPart(id string, i int, html bool) ([]byte, error) {
	if i == 0 {
		if html {
			return h.readFile(variantFile(id, htmlFile))
		}
		return h.readFile(variantFile(id, textFile))
	}
	var parts []struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	}
	name := variantFile(id, readersFile)
	if err := h.readJSON(name, &parts); err != nil {
		return nil, err
	}
	if i > len(parts) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("no reader %d: %w", i, fs.ErrNotExist)}
	}
	if html {
		return []byte(parts[i-1].HTML), nil
	}
	return []byte(parts[i-1].Text), nil
}

// meta reads the meta.json of variant id.
func (h *Handler) meta(id string) (meta, error) {
	var m meta
	err := h.readJSON(variantFile(id, metaFile), &m)
	return m, err
}

// fitReport is what the preview reads of fit.json, the fit audit.
type fitReport struct {
	Checked  int            `json:"checked"`
	Misfit   int            `json:"misfit"`
	Rate     float64        `json:"rate"`
	Budget   float64        `json:"budget"`
	Rules    map[string]int `json:"rules"`
	Variants []fitVariant   `json:"variants"`
	Examples []fitExample   `json:"examples"`
}

// fitVariant is the audit of one variant's messages.
type fitVariant struct {
	Variant string         `json:"variant"`
	Checked int            `json:"checked"`
	Misfit  int            `json:"misfit"`
	Rules   map[string]int `json:"rules"`
}

// fitExample is one misfit: who, which rule, what they read.
type fitExample struct {
	Cardholder string `json:"cardholder"`
	Variant    string `json:"variant"`
	Rule       string `json:"rule"`
	Detail     string `json:"detail"`
}

// fit reads the fit audit; nil without error when the run has none.
func (h *Handler) fit() (*fitReport, error) {
	var f fitReport
	if err := h.readJSON(fitFile, &f); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return &f, nil
}

// of returns the audit of variant id, nil for none.
func (f *fitReport) of(id string) *fitVariant {
	if f == nil {
		return nil
	}
	for i := range f.Variants {
		if f.Variants[i].Variant == id {
			return &f.Variants[i]
		}
	}
	return nil
}

// manifest is what the preview reads of manifest.json: which campaign
// month the run is.
type manifest struct {
	Campaign string `json:"campaign"`
	Month    string `json:"month"`
	Wave     string `json:"wave"`
}

// manifest reads the run's manifest; the zero manifest when it cannot.
func (h *Handler) manifest() manifest {
	var m manifest
	h.readJSON(rundir.ManifestFile, &m) // titles fall back on the directory's name
	return m
}
