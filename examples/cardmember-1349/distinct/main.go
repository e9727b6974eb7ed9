// Command distinct reads a run directory and says how many of its variants
// are newsletters of their own:
//
//	go run ./examples/cardmember-1349/distinct out/cardmember-1349/2026-10
//
// It prints the clusters (one variant each); the distinct newsletters by
// the plan, variants whose HTML for the same reader would be identical
// (the same blocks and slot alternatives, the same subjects and
// preheaders: variants.Plan.Distinct), the distinct block lists (blocks
// and slot alternatives alone), and the largest group of identical
// newsletters;
// the distinct plain-text bodies as rendered (variants/<id>/index.txt,
// the reader's first name and the variant's id taken out; each variant's
// body is for its own previews' reader, so their tier and retention
// blocks differ too); and the distinct subjects, as templates (the
// variants' subject lines as written) and as read (each variant's
// sample_subject, the reader's first name taken out). The run renders
// each distinct newsletter once (variants.Plan.Share): a variant whose
// same_as names another is read from that one's directory.
package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/tailor-mail/tailor/variants"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: distinct RUN_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "distinct:", err)
		os.Exit(1)
	}
}

// meta is what distinct reads of variants/<id>/meta.json.
type meta struct {
	SampleSubject string `json:"sample_subject"`
	Readers       []struct {
		FirstName string `json:"first_name"`
	} `json:"readers"`
}

// variantID matches a variant id where a body writes it: "Ref. v0007"
// and utm_content=v0007.
var variantID = regexp.MustCompile(`\bv\d{4,}\b`)

func run(dir string, w io.Writer) error {
	var plan variants.Plan
	b, err := os.ReadFile(filepath.Join(dir, "variants.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &plan); err != nil {
		return fmt.Errorf("variants.json: %w", err)
	}
	groups := plan.Distinct()
	largest := variants.Largest(groups)
	var ids []string
	for _, i := range largest {
		ids = append(ids, plan.Variants[i].ID)
	}

	lists, bodies, subjects, read := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, v := range plan.Variants {
		list := strings.Join(v.Blocks, " ")
		for _, s := range v.Slots {
			list += fmt.Sprintf(" | %s@%d:", s.Name, s.At)
			for _, a := range s.Alternatives {
				list += " " + a.Block
			}
		}
		lists[list] = true
		subjects[v.Subject] = true
		// A variant that shares another's newsletter (same_as) has
		// no directory of its own.
		vdir := filepath.Join(dir, "variants", cmp.Or(v.SameAs, v.ID))
		var m meta
		mb, err := os.ReadFile(filepath.Join(vdir, "meta.json"))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(mb, &m); err != nil {
			return fmt.Errorf("%s/meta.json: %w", vdir, err)
		}
		name := ""
		if len(m.Readers) > 0 {
			name = m.Readers[0].FirstName
		}
		txt, err := os.ReadFile(filepath.Join(vdir, "index.txt"))
		if err != nil {
			return err
		}
		body := variantID.ReplaceAllString(string(txt), "vID")
		subject := m.SampleSubject
		if name != "" {
			body = strings.ReplaceAll(body, name, "NAME")
			subject = strings.ReplaceAll(subject, name, "NAME")
		}
		bodies[body] = true
		read[subject] = true
	}
	fmt.Fprintf(w, "clusters              %6d\n", len(plan.Variants))
	fmt.Fprintf(w, "distinct newsletters  %6d  (by plan: blocks, slot alternatives, subjects, preheaders)\n", len(groups))
	fmt.Fprintf(w, "distinct block lists  %6d  (blocks and slot alternatives only)\n", len(lists))
	fmt.Fprintf(w, "largest identical     %6d  (%s)\n", len(largest), strings.Join(ids, " "))
	fmt.Fprintf(w, "distinct text bodies  %6d  (index.txt, name and variant id taken out)\n", len(bodies))
	fmt.Fprintf(w, "distinct subjects     %6d  (subject lines as written)\n", len(subjects))
	fmt.Fprintf(w, "                      %6d  (sample_subject as read, name taken out)\n", len(read))
	return nil
}
