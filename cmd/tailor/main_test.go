package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tailor": func() {
			os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the command-line scripts in testdata/script: each is a
// txtar archive of commands, expected output and files.
func TestScripts(t *testing.T) {
	example, err := filepath.Abs("../../examples/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLE", example)
			return nil
		},
	})
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("name = \"x\"\ncolour = 1\n"), 0o644)
	failing := filepath.Join(dir, "failing.toml")
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte("cardholder_id,first_name,email,marketing_consent\nC1,Ann,ann@example.com,yes\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "t.csv"), []byte("cardholder_id,posted_on,amount,mcc\nC1,2026-10-01,x,5812\n"), 0o644)
	os.WriteFile(failing, []byte(`name = "failing"
month = "2026-10"
[inputs]
cardholders = "c.csv"
transactions = "t.csv"
[sender]
name = "M"
from = "m@example.com"
postal_address = "1 Main St"
unsubscribe_url = "https://example.com/u"
`), 0o644)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		args []string
		want int
	}{
		{"version", context.Background(), []string{"version"}, exitOK},
		{"help", context.Background(), []string{"run", "--help"}, exitOK},
		{"no campaign", context.Background(), []string{"run"}, exitUsage},
		{"unknown flag", context.Background(), []string{"run", "--frob", bad}, exitUsage},
		{"unknown key", context.Background(), []string{"run", bad}, exitUsage},
		{"bad month", context.Background(), []string{"run", failing, "--month", "10/2026"}, exitUsage},
		{"bad outbox", context.Background(), []string{"run", failing, "--outbox", "some"}, exitUsage},
		{"bad memory limit", context.Background(), []string{"run", failing, "--memory-limit", "lots"}, exitUsage},
		{"gen bad end", context.Background(), []string{"gen", "--end", "x", "--out", dir}, exitUsage},
		{"run fails", context.Background(), []string{"run", failing, "--out", filepath.Join(dir, "out")}, exitFailed},
		{"preflight fails", context.Background(), []string{"run", "--dry-run", failing, "--out", filepath.Join(dir, "out3")}, exitFailed},
		{"preflight of a bad campaign", context.Background(), []string{"check", bad}, exitFailed},
		{"preflight passes", context.Background(), []string{"check", filepath.Join(example(t), "campaign.toml"), "--out", filepath.Join(dir, "out4")}, exitOK},
		{"preflight flag for templates", context.Background(), []string{"check", dir, "--json"}, exitUsage},
		{"interrupted", cancelled, []string{"run", filepath.Join(example(t), "campaign.toml"), "--out", filepath.Join(dir, "out2")}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.ctx, tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, tt.want, stderr.String())
			}
		})
	}
}

func example(t *testing.T) string {
	p, err := filepath.Abs("../../examples/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"900MiB", 900 << 20, true},
		{"2GiB", 2 << 30, true},
		{"1.5GB", 1_500_000_000, true},
		{"512000000", 512_000_000, true},
		{"64 KiB", 64 << 10, true},
		{"", 0, false},
		{"lots", 0, false},
		{"-1GiB", 0, false},
		{"1e30GB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseSize(%q) = %d, %v", tt.in, got, err)
			}
		})
	}
}
