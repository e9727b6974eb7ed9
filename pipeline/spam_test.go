package pipeline_test

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline"
)

// spamScore finds the score and the rules in an X-Spam-Status header:
// "No, score=-0.0 required=5.0 tests=HTML_MESSAGE,NO_RECEIVED, NO_RELAYS ...".
var (
	spamScore = regexp.MustCompile(`\bscore=(-?[0-9]+(?:\.[0-9]+)?)`)
	spamTests = regexp.MustCompile(`\btests=((?:\w+,\s*)*\w+)`)
)

// TestQuickstartSpamScore runs the bundled example and scores every
// variant's sample message with SpamAssassin's local tests (no network):
// bulk mail that mailbox providers score above zero for what the templates
// write is mail that lands in spam folders. It needs spamassassin on PATH
// (Debian: apt-get install spamassassin) and skips without it, but for in
// CI (CI=true), where it fails.
func TestQuickstartSpamScore(t *testing.T) {
	sa, err := exec.LookPath("spamassassin")
	if err != nil {
		const msg = "spamassassin is not on PATH (Debian: apt-get install spamassassin): the sample messages are not scored"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	c, err := pipeline.LoadCampaign("../examples/quickstart/campaign.toml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
	res, err := pipeline.Run(context.Background(), pipeline.Config{
		Campaign: c, CampaignDir: "../examples/quickstart", OutRoot: t.TempDir(), Outbox: pipeline.OutboxNone,
		Version: "spam", Now: func() time.Time { return now },
		Getenv: func(k string) string {
			if k == pipeline.DefaultSecretEnv {
				return "spam-secret"
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	samples, err := filepath.Glob(filepath.Join(res.Dir, "variants", "*", "sample.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) == 0 {
		t.Fatalf("no variants/*/sample.eml in %s", res.Dir)
	}

	for _, sample := range samples {
		id := filepath.Base(filepath.Dir(sample))
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			score, tests, report := spamAssassin(t, sa, sample)
			if score > 0 {
				t.Errorf("SpamAssassin scores variants/%s/sample.eml at %.1f, want at most 0; rules: %s\n%s", id, score, tests, report)
			}
		})
	}
}

// spamAssassin scores the message in file with `spamassassin -L -t` and
// returns its score, the rules that fired, and the lines of the report
// that describe them.
// SpamAssassin runs with a home directory of its own, so that it neither
// reads nor trains the user's Bayes database: the score depends on the
// message alone.
func spamAssassin(t *testing.T, sa, file string) (score float64, tests, report string) {
	t.Helper()
	msg, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sa, "-L", "-t")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	cmd.Stdin = bytes.NewReader(msg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("spamassassin -L -t < %s: %v\n%s", file, err, stderr.Bytes())
	}
	m, err := mail.ReadMessage(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("spamassassin's output for %s: %v", file, err)
	}
	status := m.Header.Get("X-Spam-Status")
	sm := spamScore.FindStringSubmatch(status)
	if sm == nil {
		t.Fatalf("spamassassin's output for %s has no score in X-Spam-Status %q", file, status)
	}
	if score, err = strconv.ParseFloat(sm[1], 64); err != nil {
		t.Fatalf("X-Spam-Status %q: %v", status, err)
	}
	if tm := spamTests.FindStringSubmatch(status); tm != nil {
		tests = strings.Join(strings.Fields(strings.ReplaceAll(tm[1], ",", " ")), ", ")
	}
	// The report's table of rules ends at the first blank line after it.
	if _, r, ok := bytes.Cut(out, []byte("Content analysis details:")); ok {
		if _, table, ok := bytes.Cut(r, []byte("\n----")); ok {
			table, _, _ = bytes.Cut(table, []byte("\n\n"))
			report = strings.TrimSpace(string(table[bytes.IndexByte(table, '\n')+1:]))
		}
	}
	return score, tests, report
}
