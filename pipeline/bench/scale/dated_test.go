package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// inDateOrder keeps the header and every row, sorts the rows by date across
// months, and keeps each cardholder's rows of one day in their order.
func TestInDateOrder(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "transactions.csv")
	in := "cardholder_id,posted_on,amount,merchant\n" +
		"C1,2026-02-03,1.00,\"A, B\"\n" +
		"C1,2026-02-03,2.00,M\n" +
		"C1,2026-01-31,3.00,M\n" +
		"C2,2026-02-03,4.00,M\n" +
		"C2,2025-12-01,5.00,M\n" +
		"C3,2026-02-01,6.00,M\n" +
		"C1,2026-02-03,7.00,M" // no final line break
	if err := os.WriteFile(src, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "dated.csv")
	if err := inDateOrder(src, dst, dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if lines[0] != "cardholder_id,posted_on,amount,merchant" {
		t.Fatalf("header %q", lines[0])
	}
	rows := lines[1:]
	want := strings.Split(in, "\n")[1:]
	if a, b := slices.Sorted(slices.Values(rows)), slices.Sorted(slices.Values(want)); !slices.Equal(a, b) {
		t.Fatalf("rows %q, want those of the input %q", rows, want)
	}
	var dates []string
	amounts := map[string][]string{}
	for _, r := range rows {
		f := strings.Split(r, ",")
		dates = append(dates, f[1])
		amounts[f[0]+f[1]] = append(amounts[f[0]+f[1]], f[2])
	}
	if !slices.IsSorted(dates) {
		t.Errorf("dates %v not in order", dates)
	}
	if a := amounts["C12026-02-03"]; !slices.Equal(a, []string{"1.00", "2.00", "7.00"}) {
		t.Errorf("C1's rows of 2026-02-03 in the order %v, want the file's", a)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left in the directory: %v, want the two files", entries)
	}

	// Bad input: a file without posted_on, and a row whose date is not one.
	for name, text := range map[string]string{
		"no column": "cardholder_id,day\nC1,2026-01-01\n",
		"bad date":  "cardholder_id,posted_on\nC1,2026-01-01\nC2,01/02/2026\n",
	} {
		if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := inDateOrder(src, dst+".bad", dir); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "bad date" && !strings.Contains(err.Error(), ":3:") {
			t.Errorf("%s: %v, want line 3 named", name, err)
		}
	}
	if _, err := os.Stat(dst + ".bad"); err == nil {
		t.Error("a file was written from bad input")
	}
}
