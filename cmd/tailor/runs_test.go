package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRunsStatusExitCodes: a wrong argument is a usage error (exit 2).
func TestRunsStatusExitCodes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	os.WriteFile(file, []byte("hello"), 0o600)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"runs: no such path", []string{"runs", filepath.Join(dir, "nothere")}, exitUsage},
		{"runs: a directory without history", []string{"runs", dir}, exitUsage},
		{"runs: not a campaign file", []string{"runs", file}, exitUsage},
		{"runs: two arguments", []string{"runs", dir, dir}, exitUsage},
		{"runs: help", []string{"runs", "--help"}, exitOK},
		{"status: no argument", []string{"status"}, exitUsage},
		{"status: no such directory", []string{"status", filepath.Join(dir, "nothere")}, exitUsage},
		{"status: not a run directory", []string{"status", dir}, exitUsage},
		{"status: help", []string{"status", "--help"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, tt.want, stderr.String())
			}
		})
	}
}
