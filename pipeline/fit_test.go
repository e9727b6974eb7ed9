package pipeline

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/templates"
)

// blockClass finds the blocks of a message's HTML part: each block's row
// has the class "block block-<id>".
var blockClass = regexp.MustCompile(`class="block block-([a-z0-9-]+)"`)

// TestEveryTierAndRetentionBlockFitsItsReader reads every message of the
// example's outbox as a mail client does (MIME, quoted-printable) and
// checks, against the recipient's own profile, that no one reads a tier
// block of a tier they do not hold or a retention block of another
// relationship type, and that each gets one of each (the default set has
// a tier block for every tier and a retention block for every type). It
// parses the files itself: it does not trust the plan.
func TestEveryTierAndRetentionBlockFitsItsReader(t *testing.T) {
	cfg := quickstartConfig(t)
	cfg.Outbox = OutboxAll
	res := mustRun(t, cfg)
	ps := runProfiles(t, res.Dir)
	byID := map[string]profile.Profile{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	index := readCSV(t, filepath.Join(res.Dir, "outbox", "index.csv"))
	if len(index) < 1000 {
		t.Fatalf("%d messages in the outbox", len(index)-1)
	}
	for _, rec := range index[1:] {
		id, file := rec[1], rec[4]
		p := byID[id]
		html := htmlPart(t, filepath.Join(res.Dir, "outbox", filepath.FromSlash(file)))
		tierBlocks, retentionBlocks := 0, 0
		for _, m := range blockClass.FindAllStringSubmatch(html, -1) {
			b, ok := set.Block(m[1])
			if !ok {
				t.Fatalf("%s: unknown block %q", file, m[1])
			}
			if len(b.Tiers) > 0 {
				tierBlocks++
				if !slices.Contains(b.Tiers, p.Tier) {
					t.Errorf("%s (%s): block %s is for %v", id, p.Tier, b.ID, b.Tiers)
				}
			}
			if len(b.Relationships) > 0 {
				retentionBlocks++
				if !slices.Contains(b.Relationships, string(p.Relationship)) {
					t.Errorf("%s (%s): block %s is for %v", id, p.Relationship, b.ID, b.Relationships)
				}
			}
		}
		if tierBlocks != 1 || retentionBlocks != 1 {
			t.Errorf("%s: %d tier and %d relationship blocks, want one of each", id, tierBlocks, retentionBlocks)
		}
	}
}

// htmlPart returns the decoded HTML part of the message in file.
func htmlPart(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			t.Fatalf("%s: no HTML part", file)
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !strings.HasPrefix(part.Header.Get("Content-Type"), "text/html") {
			continue
		}
		b, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return string(b)
	}
}

// runProfiles reads the profiles of the run in dir.
func runProfiles(t *testing.T, dir string) []profile.Profile {
	t.Helper()
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, rundir.ProfilesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, err := profile.ReadCSV(bufio.NewReader(f), rundir.ProfilesFile, tax)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}
