package usage

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestMemTotalAndCgroupLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name, data string
		want       int64
	}{
		{"meminfo", "MemFree:         1000 kB\nMemTotal:       24731400 kB\n", 24731400 << 10},
		{"meminfo-none", "MemFree: 1000 kB\n", 0},
		{"meminfo-bad", "MemTotal: lots kB\n", 0},
		{"meminfo-unit", "MemTotal: 1000 MB\n", 0},
	} {
		if got := memTotal(write(tt.name, tt.data)); got != tt.want {
			t.Errorf("memTotal(%q) = %d, want %d", tt.data, got, tt.want)
		}
	}
	if got := memTotal(filepath.Join(dir, "missing")); got != 0 {
		t.Errorf("memTotal of a missing file = %d", got)
	}
	for _, tt := range []struct {
		data string
		want int64
	}{
		{"2147483648\n", 2 << 30},
		{"max\n", 0},
		{"9223372036854771712\n", 0}, // cgroup v1's "no limit"
		{"0\n", 0},
		{"", 0},
	} {
		if got := cgroupLimit(write("limit", tt.data)); got != tt.want {
			t.Errorf("cgroupLimit(%q) = %d, want %d", tt.data, got, tt.want)
		}
	}
}

func TestDefaultMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	if got := DefaultMemoryLimit(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	}); got != 0 {
		t.Errorf("with GOMEMLIMIT set, DefaultMemoryLimit = %d, want 0 (the runtime's own)", got)
	}
	total := MemoryAvailable()
	got := DefaultMemoryLimit(func(string) string { return "" })
	if total == 0 {
		if got != 0 {
			t.Errorf("memory unknown, limit %d", got)
		}
		return
	}
	if want := int64(float64(total) * DefaultLimitShare); got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("DefaultMemoryLimit = %d, runtime %d; want %d (%.0f%% of %d)", got, debug.SetMemoryLimit(-1), want, 100*DefaultLimitShare, total)
	}
}
