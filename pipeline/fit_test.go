package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

	"github.com/xuri/excelize/v2"

	"github.com/tailor-mail/tailor/pipeline/fit"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/report"
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
	html, _ := part(t, file, "text/html")
	return html
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

// whyNames finds the interests the plain-text part's "why you got this"
// names, nil when it names none.
var whyNames = regexp.MustCompile(`Why you got this: this month’s picks follow your card spending on\s+(.*?)\.\n`)

// TestEveryWhyAndSubjectIsTrueForItsReader reads every message of the
// example's outbox as a mail client does and checks, against the
// recipient's own profile shares, that the "why you got this" line names
// only interests they have spend on (or says it was picked for spending
// like theirs), that their subject is not about an interest they have no
// spend on (the block a subject comes from is found by matching it against
// the blocks' subject lines), and that the plain text keeps to 78 columns
// but for links.
func TestEveryWhyAndSubjectIsTrueForItsReader(t *testing.T) {
	cfg := quickstartConfig(t)
	cfg.Outbox = OutboxAll
	res := mustRun(t, cfg)
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	shareOf := map[string]map[string]float64{} // cardholder -> interest id -> share
	for _, p := range runProfiles(t, res.Dir) {
		m := map[string]float64{}
		for i, in := range tax.Interests() {
			m[in.ID] = p.Shares[i]
		}
		shareOf[p.ID] = m
	}
	idOf := map[string]string{}
	for _, in := range tax.Interests() {
		idOf[in.Name] = in.ID
	}
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	type subjectLine struct {
		re        *regexp.Regexp
		interests []string
	}
	var subjects []subjectLine
	action := regexp.MustCompile(`\{\{.*?\}\}`)
	for _, b := range set.Meta() {
		for _, s := range b.Subjects {
			parts := action.Split(s, -1)
			for i := range parts {
				parts[i] = regexp.QuoteMeta(parts[i])
			}
			subjects = append(subjects, subjectLine{regexp.MustCompile("^" + strings.Join(parts, ".*") + "$"), b.Interests})
		}
	}
	var dec mime.WordDecoder
	named, fallback, subjectMisfits := 0, 0, 0
	index := readCSV(t, filepath.Join(res.Dir, "outbox", "index.csv"))
	for _, rec := range index[1:] {
		id, file := rec[1], rec[4]
		path := filepath.Join(res.Dir, "outbox", filepath.FromSlash(file))
		text, subject := textPart(t, path)
		if subject, err = dec.DecodeHeader(subject); err != nil {
			t.Fatal(err)
		}
		m := whyNames.FindStringSubmatch(text)
		switch {
		case m != nil:
			named++
			for _, name := range strings.Split(strings.Join(strings.Fields(m[1]), " "), ", ") {
				in, ok := idOf[name]
				if !ok || shareOf[id][in] <= 0 {
					t.Errorf("%s: why you got this names %q, on which they have no spend", id, name)
				}
			}
		case strings.Contains(text, "Why you got this: this month’s picks were chosen for cardmembers whose\nspending looks like yours."):
			fallback++
		default:
			t.Errorf("%s: no why you got this:\n%s", id, text)
		}
		for _, line := range strings.Split(text, "\n") {
			if len([]rune(line)) > 78 && !strings.Contains(line, "http") {
				t.Errorf("%s: a text line of %d columns: %q", id, len([]rune(line)), line)
			}
		}
		matched := false
		for _, s := range subjects {
			if !s.re.MatchString(subject) {
				continue
			}
			matched = true
			spends := len(s.interests) == 0
			for _, in := range s.interests {
				spends = spends || shareOf[id][in] > 0
			}
			if !spends {
				subjectMisfits++
				t.Logf("%s: subject %q is about %v, without their spend", id, subject, s.interests)
			}
			break
		}
		if !matched {
			t.Errorf("%s: subject %q is no block's", id, subject)
		}
	}
	if named == 0 {
		t.Error("no message names an interest")
	}
	if n := len(index) - 1; subjectMisfits*100 >= n {
		t.Errorf("%d of %d subjects are about an interest without the recipient's spend: 1%% or more", subjectMisfits, n)
	}
	t.Logf("%d messages: %d name the interests of their spend, %d say they were picked for spending like theirs; %d subjects without their spend",
		len(index)-1, named, fallback, subjectMisfits)
}

// textPart returns the decoded plain-text part of the message in file,
// and its Subject header as written.
func textPart(t *testing.T, file string) (text, subject string) {
	t.Helper()
	return part(t, file, "text/plain")
}

// part returns the decoded part of type ctype of the message in file,
// line ends as LF, and its Subject header as written.
func part(t *testing.T, file, ctype string) (body, subject string) {
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
			t.Fatalf("%s: no %s part", file, ctype)
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !strings.HasPrefix(part.Header.Get("Content-Type"), ctype) {
			continue
		}
		b, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return strings.ReplaceAll(string(b), "\r\n", "\n"), msg.Header.Get("Subject")
	}
}

// TestFitAudit runs the example twice: as it is, every message is true
// for its reader; with a "why you got this" that names every interest of
// the cluster, as it once did, the audit counts the messages that claim
// spending the reader does not have, the same number a parse of the
// outbox's files finds, fails the run over its budget, and still writes
// every output, the workbook's Fit sheet with examples among them.
func TestFitAudit(t *testing.T) {
	res := mustRun(t, quickstartConfig(t))
	var rep FitReport
	if err := rundir.ReadJSON(filepath.Join(res.Dir, rundir.FitFile), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Checked != res.Audience.Mail || rep.Misfit != 0 || res.FitChecked != rep.Checked || res.FitMisfit != 0 {
		t.Errorf("the example: %d checked, %d misfit (result %d, %d); %d mailable", rep.Checked, rep.Misfit, res.FitChecked, res.FitMisfit, res.Audience.Mail)
	}

	cfg, dir := templateCampaign(t)
	cfg.Outbox = OutboxAll
	editFile(t, filepath.Join(dir, "layout.txt"), "{{ with .Why -}}", "{{ with .Variant.InterestNames -}}")
	untrue, runErr := Run(context.Background(), cfg)
	if !errors.Is(runErr, ErrFit) || untrue == nil {
		t.Fatalf("Run with an untrue why: %v, result %v; want ErrFit with the result", runErr, untrue)
	}
	if err := rundir.ReadJSON(filepath.Join(untrue.Dir, rundir.FitFile), &rep); err != nil {
		t.Fatal(err)
	}
	// Count from the files what the audit should have found.
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	spends := map[string]map[string]bool{}
	for _, p := range runProfiles(t, untrue.Dir) {
		spends[p.ID] = map[string]bool{}
		for i, in := range tax.Interests() {
			spends[p.ID][in.Name] = p.Shares[i] > 0
		}
	}
	untrueWhy := 0
	index := readCSV(t, filepath.Join(untrue.Dir, "outbox", "index.csv"))
	for _, rec := range index[1:] {
		text, _ := textPart(t, filepath.Join(untrue.Dir, "outbox", filepath.FromSlash(rec[4])))
		m := whyNames.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("%s: no why you got this", rec[1])
		}
		for _, name := range strings.Split(strings.Join(strings.Fields(m[1]), " "), ", ") {
			if !spends[rec[1]][name] {
				untrueWhy++
				break
			}
		}
	}
	if untrueWhy == 0 || rep.Rules[fit.RuleSpend] != untrueWhy || rep.Misfit != untrueWhy || rep.Checked != len(index)-1 {
		t.Errorf("the audit counts %d spend misfits in %d messages of %d; the files have %d", rep.Rules[fit.RuleSpend], rep.Misfit, rep.Checked, untrueWhy)
	}
	if n := len(rep.Examples); n == 0 || n > fitExamples || !strings.Contains(rep.Examples[0].Detail, "follow your card spending on") {
		t.Errorf("examples %+v", rep.Examples)
	}
	if !strings.Contains(runErr.Error(), "[fit] budget") || !strings.Contains(runErr.Error(), rundir.FitFile) {
		t.Errorf("error %q does not say what to do", runErr)
	}
	// Every output is there: the workbook with its Fit sheet.
	f, err := excelize.OpenFile(filepath.Join(untrue.Dir, rundir.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetFit)
	if err != nil {
		t.Fatal(err)
	}
	last := rows[len(rows)-1]
	if len(last) < 4 || last[2] != fit.RuleSpend || !strings.Contains(last[3], "your card spending") {
		t.Errorf("the Fit sheet ends with %q", last)
	}
	// A budget that allows them passes.
	c := *cfg.Campaign
	all := 1.0
	c.Fit.Budget = &all
	cfg.Campaign = &c
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Errorf("Run with a budget of 100%%: %v", err)
	}
}

// usSpelling finds words a reader of British English would not write,
// where the default set's copy could say it either way.
var usSpelling = regexp.MustCompile(`(?i)\b(tires?|theaters?|jewelry|neighborhoods?|centers?|colors?|favorites?|enroll\w*|gas station|gallons?|traveler|canceled|mileage|zip code)\b`)

// TestAnotherBrandAndCurrency runs the example for another brand, paying
// in pounds, in en-GB: no message, preview or subject names Meridian or
// writes a dollar sign, and the offers are in pounds.
func TestAnotherBrandAndCurrency(t *testing.T) {
	cfg := quickstartConfig(t)
	cfg.Outbox = OutboxAll
	c := *cfg.Campaign
	rates := filepath.Join(t.TempDir(), "rates.csv")
	if err := os.WriteFile(rates, []byte("currency,rate\nUSD,0.79\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Inputs.Currency, c.Inputs.Rates = "GBP", rates
	c.Sender = SenderConfig{Name: "Harbour Bank", Locale: "en-GB", From: "Harbour Bank <news@harbour.example.co.uk>",
		ReplyTo: "members@harbour.example.co.uk", PostalAddress: "Harbour Bank plc, 1 Quay Street, Bristol BS1 4DJ",
		UnsubscribeURL: "https://harbour.example.co.uk/unsubscribe"}
	cfg.Campaign = &c
	res := mustRun(t, cfg)
	var dec mime.WordDecoder
	check := func(what, text string) {
		if strings.Contains(strings.ToLower(text), "meridian") || strings.Contains(text, "$") {
			i := max(strings.Index(strings.ToLower(text), "meridian"), strings.Index(text, "$"))
			t.Errorf("%s: %q", what, text[max(0, i-60):min(len(text), i+60)])
		}
	}
	pounds := 0
	index := readCSV(t, filepath.Join(res.Dir, "outbox", "index.csv"))
	for _, rec := range index[1:] {
		path := filepath.Join(res.Dir, "outbox", filepath.FromSlash(rec[4]))
		text, subject := textPart(t, path)
		subject, err := dec.DecodeHeader(subject)
		if err != nil {
			t.Fatal(err)
		}
		html := htmlPart(t, path)
		check(rec[4]+" subject", subject)
		check(rec[4]+" text", text)
		check(rec[4]+" html", html)
		pounds += strings.Count(text, "£")
		if m := usSpelling.FindString(subject + "\n" + text); m != "" {
			t.Errorf("%s: American English %q in an en-GB message", rec[4], m)
		}
	}
	matches, err := filepath.Glob(filepath.Join(res.Dir, rundir.VariantsDir, "*", "index.*"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("previews: %v %v", matches, err)
	}
	for _, m := range matches {
		check(m, string(readFile(t, m)))
	}
	if pounds < len(index)-1 {
		t.Errorf("%d amounts in pounds in %d messages", pounds, len(index)-1)
	}
}

// TestLocaleAndAttributeSlots runs the example with a locale and a
// cardholder attribute that blocks target: a French greeting replaces the
// greeting for cardholders who read French, and a closing note goes only
// to students (a "segment" column the cardholders file gains). Each
// message is read as a mail client reads it and checked against the
// cardholders file as written here, not against the plan; the plan's
// counts of each alternative's recipients are checked against the
// messages, and the audit finds nothing.
func TestLocaleAndAttributeSlots(t *testing.T) {
	cfg := quickstartConfig(t)
	cfg.Outbox = OutboxAll
	c := *cfg.Campaign
	dir := t.TempDir()

	// The cardholders: every fifth reads fr-CA, every seventh fr, every
	// third is a student, written in any case.
	rows := readCSV(t, filepath.Join(cfg.CampaignDir, c.Inputs.Cardholders))
	locale := slices.Index(rows[0], "locale")
	french, student := map[string]bool{}, map[string]bool{}
	var b strings.Builder
	b.WriteString(strings.Join(rows[0], ",") + ",segment\n")
	for i, rec := range rows[1:] {
		switch {
		case i%5 == 0:
			rec[locale] = "fr-CA"
		case i%7 == 0:
			rec[locale] = "fr"
		}
		segment := []string{"", "retired", "Student", "professional", "student "}[i%5]
		if _, dup := french[rec[0]]; !dup { // ingest keeps the first row of an id
			french[rec[0]] = strings.HasPrefix(rec[locale], "fr")
			student[rec[0]] = strings.EqualFold(strings.TrimSpace(segment), "student")
		}
		b.WriteString(strings.Join(rec, ",") + "," + segment + "\n")
	}
	c.Inputs.Cardholders = filepath.Join(dir, "cardholders.csv")
	if err := os.WriteFile(c.Inputs.Cardholders, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	// The template set: the default one and two blocks.
	set := filepath.Join(dir, "templates")
	if err := os.CopyFS(set, os.DirFS("../templates/default")); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"intro-bonjour.md": "+++\nid = \"intro-bonjour\"\nposition = \"intro\"\nlocales = [\"fr\"]\nreplaces = \"intro-greeting\"\n+++\nBonjour {{ .Recipient.FirstName }}, voici vos offres du mois.\n",
		"students.md":      "+++\nid = \"students\"\nposition = \"closing\"\npriority = 10\nattributes = { segment = [\"student\"] }\n+++\nStudying this year? Your card has no foreign transaction fees on books bought abroad.\n",
	} {
		if err := os.WriteFile(filepath.Join(set, "blocks", name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.Templates.Dir = set
	cfg.Campaign = &c
	res := mustRun(t, cfg)

	got := map[string]int{}
	index := readCSV(t, filepath.Join(res.Dir, "outbox", "index.csv"))
	for _, rec := range index[1:] {
		id, file := rec[1], rec[4]
		html := htmlPart(t, filepath.Join(res.Dir, "outbox", filepath.FromSlash(file)))
		text, _ := textPart(t, filepath.Join(res.Dir, "outbox", filepath.FromSlash(file)))
		blocks := map[string]bool{}
		for _, m := range blockClass.FindAllStringSubmatch(html, -1) {
			blocks[m[1]] = true
			got[m[1]]++
		}
		if blocks["intro-bonjour"] != french[id] || blocks["intro-greeting"] == french[id] {
			t.Errorf("%s (French %v): intro-bonjour %v, intro-greeting %v", id, french[id], blocks["intro-bonjour"], blocks["intro-greeting"])
		}
		if strings.Contains(text, "Bonjour") != french[id] {
			t.Errorf("%s (French %v): text part %q", id, french[id], text[:min(len(text), 120)])
		}
		if blocks["students"] != student[id] || strings.Contains(text, "Studying this year?") != student[id] {
			t.Errorf("%s (student %v): students block %v", id, student[id], blocks["students"])
		}
	}
	if got["intro-bonjour"] == 0 || got["students"] == 0 || got["intro-greeting"] == 0 {
		t.Fatalf("blocks read %v: want some of each", got)
	}
	// The plan counts the same recipients for each alternative.
	var plan struct {
		Variants []struct {
			Slots []struct {
				Alternatives []struct {
					Block      string
					Recipients int
				}
			}
		}
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(res.Dir, rundir.PlanFile)), &plan); err != nil {
		t.Fatal(err)
	}
	planned := map[string]int{}
	for _, v := range plan.Variants {
		for _, s := range v.Slots {
			for _, a := range s.Alternatives {
				planned[a.Block] += a.Recipients
			}
		}
	}
	for _, id := range []string{"intro-bonjour", "intro-greeting", "students"} {
		if planned[id] != got[id] {
			t.Errorf("plan: %s for %d recipients, %d messages have it", id, planned[id], got[id])
		}
	}
	var audit struct{ Misfits int }
	if err := json.Unmarshal(readFile(t, filepath.Join(res.Dir, rundir.FitFile)), &audit); err != nil {
		t.Fatal(err)
	}
	if audit.Misfits != 0 {
		t.Errorf("the audit found %d misfits", audit.Misfits)
	}
}

// TestUnknownLocaleWarns runs the example in a locale whose conventions
// tailor does not know: the run says that money and dates are written as
// en-US, once, and goes on.
func TestUnknownLocaleWarns(t *testing.T) {
	cfg := quickstartConfig(t)
	c := *cfg.Campaign
	c.Sender.Locale = "pl-PL"
	cfg.Campaign = &c
	var warnings []string
	cfg.Events = func(e Event) {
		if e.State == EventWarn {
			warnings = append(warnings, e.Message)
		}
	}
	mustRun(t, cfg)
	if len(warnings) != 1 || !strings.Contains(warnings[0], `sender.locale "pl-PL"`) || !strings.Contains(warnings[0], "en-US") {
		t.Errorf("warnings %q, want one about pl-PL", warnings)
	}
}
