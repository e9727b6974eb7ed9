package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/templates"
)

// TestCheckRenderExitCodes checks the exit codes of the designers'
// commands: 0 done, 1 problems in the templates, 2 bad usage.
func TestCheckRenderExitCodes(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean")
	if err := os.CopyFS(clean, templates.DefaultFS()); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken")
	if err := os.CopyFS(broken, templates.DefaultFS()); err != nil {
		t.Fatal(err)
	}
	intro := filepath.Join(broken, "blocks", "intro-greeting.md")
	b, err := os.ReadFile(intro)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(intro, bytes.Replace(b, []byte(".Recipient.FirstName"), []byte(".Recipient.Frist"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", filepath.Join(example(t), "campaign.toml"), "--out", out, "-q"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr.String())
	}
	runDir := filepath.Join(out, "quickstart", "2026-10")
	tests := []struct {
		name   string
		args   []string
		want   int
		stdout string // a part of the standard output
	}{
		{"check built-in", []string{"check"}, exitOK, "the built-in template set: no problems"},
		{"check clean", []string{"check", clean}, exitOK, "no problems"},
		{"check broken", []string{"check", broken}, exitFailed, filepath.Join(broken, "blocks", "intro-greeting.md") + ":7: .Recipient.Frist"},
		{"check missing", []string{"check", filepath.Join(dir, "nope")}, exitUsage, ""},
		// A file is a campaign to preflight: this one does not parse.
		{"check file", []string{"check", intro}, exitFailed, "campaign: "},
		{"check two", []string{"check", clean, broken}, exitUsage, ""},
		{"check bad campaign", []string{"check", "--campaign", filepath.Join(dir, "nope.toml")}, exitUsage, ""},
		{"check fit", []string{"check", "--campaign", filepath.Join(example(t), "campaign.toml"), "--fit"}, exitOK,
			"fit: 1855 of 1855 messages true for their reader (100.0%; budget: 1.0% untrue)"},
		{"check fit without a campaign", []string{"check", "--fit"}, exitUsage, ""},
		{"render unchanged", []string{"render", runDir}, exitOK, "nothing to render"},
		{"render broken", []string{"render", runDir, "--templates", broken}, exitFailed, ""},
		// A copy of the built-in set is the same set: nothing to do.
		{"render clean", []string{"render", runDir, "--templates", clean}, exitOK, "nothing to render"},
		{"render not a run", []string{"render", dir}, exitUsage, ""},
		{"render no run", []string{"render"}, exitUsage, ""},
		{"render missing templates", []string{"render", runDir, "--templates", filepath.Join(dir, "nope")}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, tt.want, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.stdout)
			}
		})
	}
}
