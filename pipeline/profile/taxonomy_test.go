package profile_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/profile"
)

// taxonomySharedDir is the reference MCC data, relative to this package.
const taxonomySharedDir = "../../../shared/data/mcc"

// taxonomySkipf skips the test, or fails it when CI=true: in CI the
// reference data and the go tool must be there.
func taxonomySkipf(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: not skipping)", args...)
	}
	t.Skipf(format, args...)
}

// taxonomyRequireShared skips or fails the test when the reference data is
// absent.
func taxonomyRequireShared(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(taxonomySharedDir); err != nil {
		taxonomySkipf(t, "reference MCC data not available: %v", err)
	}
}

func taxonomyMustDefault(t testing.TB) *profile.Taxonomy {
	t.Helper()
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatalf("DefaultTaxonomy: %v", err)
	}
	return tax
}

func TestDefaultTaxonomyInterests(t *testing.T) {
	want := []struct{ id, name string }{
		{"dining", "Dining"},
		{"groceries", "Groceries"},
		{"fuel", "Fuel"},
		{"airlines", "Airlines"},
		{"lodging", "Hotels & lodging"},
		{"car_rental", "Car rental"},
		{"travel_services", "Travel services"},
		{"transit", "Transit & commuting"},
		{"entertainment", "Entertainment"},
		{"digital", "Digital & streaming"},
		{"fashion", "Fashion"},
		{"department_stores", "Department stores"},
		{"electronics", "Electronics"},
		{"home_garden", "Home & garden"},
		{"health_beauty", "Health & beauty"},
		{"fitness_sports", "Fitness & sports"},
		{"education", "Education"},
		{"family_kids", "Family & kids"},
		{"pets", "Pets"},
		{"luxury", "Luxury"},
		{"auto", "Auto care"},
		{"charity", "Charity"},
		{"utilities", "Bills & utilities"},
		{"other", "Other"},
	}
	tax := taxonomyMustDefault(t)
	got := tax.Interests()
	if len(got) != len(want) || tax.Len() != len(want) {
		t.Fatalf("got %d interests (Len %d), want %d", len(got), tax.Len(), len(want))
	}
	for i, w := range want {
		if got[i].ID != w.id || got[i].Name != w.name {
			t.Errorf("interest %d = %q %q, want %q %q", i, got[i].ID, got[i].Name, w.id, w.name)
		}
		if got[i].Description == "" {
			t.Errorf("interest %q has no description", w.id)
		}
		if i2, ok := tax.Index(w.id); !ok || i2 != i {
			t.Errorf("Index(%q) = %d, %v; want %d, true", w.id, i2, ok, i)
		}
	}
	if tax.Other() != len(want)-1 {
		t.Errorf("Other() = %d, want %d", tax.Other(), len(want)-1)
	}
	if _, ok := tax.Index("dinning"); ok {
		t.Error(`Index("dinning") found an interest`)
	}

	got[0].ID = "changed"
	if tax.Interests()[0].ID != "dining" {
		t.Error("Interests returned the taxonomy's own slice")
	}
}

func TestTaxonomyAnchors(t *testing.T) {
	// The anchor codes of the shared contract.
	anchors := []struct {
		interest string
		codes    string
	}{
		{"dining", "5812 5813 5814"},
		{"groceries", "5411 5422 5451 5499"},
		{"fuel", "5541 5542"},
		{"airlines", "4511 3000 3001 3005 3008"},
		{"lodging", "7011 3501 3502 3504"},
		{"car_rental", "7512 3351 3357"},
		{"travel_services", "4722 4411"},
		{"transit", "4111 4112 4121 4131 4784 7523"},
		{"entertainment", "7832 7922 7929 7991 7996 7999"},
		{"digital", "4899 5815 5816 5817 5818"},
		{"fashion", "5621 5651 5661 5691 5699"},
		{"department_stores", "5311 5310"},
		{"electronics", "5732 5734 5045"},
		{"home_garden", "5200 5211 5261 5712 5719"},
		{"health_beauty", "5912 5977 7230 7298"},
		{"fitness_sports", "7997 5941 5655 7941"},
		{"education", "8211 8220 8299 5942"},
		{"family_kids", "5641 5945 8351"},
		{"pets", "0742 5995"},
		{"luxury", "5944 5094 5681 5631"},
		{"auto", "5533 7538 7542 5511"},
		{"charity", "8398 8661"},
		{"utilities", "4900 4814 6300"},
	}
	tax := taxonomyMustDefault(t)
	for _, a := range anchors {
		t.Run(a.interest, func(t *testing.T) {
			want, ok := tax.Index(a.interest)
			if !ok {
				t.Fatalf("interest %q not in the taxonomy", a.interest)
			}
			for _, code := range strings.Fields(a.codes) {
				if got, ok := tax.Lookup(code); !ok || got != want {
					t.Errorf("Lookup(%q) = %d, %v; want %d (%s), true", code, got, ok, want, a.interest)
				}
			}
		})
	}
	t.Run("private ranges", func(t *testing.T) {
		for _, r := range []struct {
			lo, hi   int
			interest string
		}{{3000, 3350, "airlines"}, {3351, 3500, "car_rental"}, {3501, 3999, "lodging"}} {
			want, _ := tax.Index(r.interest)
			for n := r.lo; n <= r.hi; n++ {
				code := fmt.Sprintf("%04d", n)
				if got, ok := tax.Lookup(code); !ok || got != want {
					t.Errorf("Lookup(%q) = %d, %v; want %d (%s), true", code, got, ok, want, r.interest)
				}
			}
		}
	})
}

func TestTaxonomyLookup(t *testing.T) {
	tax := taxonomyMustDefault(t)
	idx := func(id string) int {
		i, ok := tax.Index(id)
		if !ok {
			t.Fatalf("interest %q not in the taxonomy", id)
		}
		return i
	}
	tests := []struct {
		name, mcc string
		want      int
		ok        bool
	}{
		{"padded", "0742", idx("pets"), true},
		{"leading zero dropped", "742", idx("pets"), true},
		{"mapped to other", "6011", idx("other"), true},
		{"private range", "3008", idx("airlines"), true},
		{"unknown", "0001", tax.Other(), false},
		{"unknown short", "1", tax.Other(), false},
		{"unknown high", "9999", tax.Other(), false},
		{"empty", "", tax.Other(), false},
		{"too long", "05812", tax.Other(), false},
		{"letter", "58a2", tax.Other(), false},
		{"sign", "-742", tax.Other(), false},
		{"space", " 742", tax.Other(), false},
		{"non-ASCII digit", "５８１２", tax.Other(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tax.Lookup(tt.mcc)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Lookup(%q) = %d, %v; want %d, %v", tt.mcc, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTaxonomyDescribe(t *testing.T) {
	tax := taxonomyMustDefault(t)
	tests := []struct{ mcc, want string }{
		{"0742", "Veterinary Services"},
		{"742", "Veterinary Services"},
		{"5812", "Eating places and Restaurants"},
		{"3000", "UNITED AIRLINES"},
		{"0001", ""},
		{"58x2", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.mcc, func(t *testing.T) {
			if got := tax.Describe(tt.mcc); got != tt.want {
				t.Errorf("Describe(%q) = %q, want %q", tt.mcc, got, tt.want)
			}
		})
	}
}

func TestTaxonomyLookupAllocs(t *testing.T) {
	tax := taxonomyMustDefault(t)
	allocs := testing.AllocsPerRun(100, func() {
		tax.Lookup("5812")
		tax.Lookup("742")
		tax.Lookup("bad!")
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates %v times per run, want 0", allocs)
	}
}

// taxonomySharedCodes returns every code found in the reference files that
// the generator reads, with the file it was first seen in.
func taxonomySharedCodes(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(taxonomySharedDir, "iso18245", "*_list.csv"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(taxonomySharedDir, "greggles", "mcc_codes.csv")}, files...)
	codes := make(map[string]string)
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(recs) < 2 || !strings.EqualFold(recs[0][0], "mcc") {
			t.Fatalf("%s: want a header starting with mcc and data rows", path)
		}
		for _, rec := range recs[1:] {
			if _, ok := codes[rec[0]]; !ok {
				codes[rec[0]] = filepath.Base(path)
			}
		}
	}
	return codes
}

func TestTaxonomySharedData(t *testing.T) {
	taxonomyRequireShared(t)
	tax := taxonomyMustDefault(t)
	codes := taxonomySharedCodes(t)
	if len(codes) < 981 {
		t.Fatalf("read %d codes from the reference data, want at least the 981 of greggles", len(codes))
	}
	for code, file := range codes {
		if _, ok := tax.Lookup(code); !ok {
			t.Errorf("code %s (from %s) is not in the embedded table", code, file)
		}
		if tax.Describe(code) == "" {
			t.Errorf("code %s (from %s) has no description in the embedded table", code, file)
		}
	}

	// The embedded table holds nothing else.
	embedded, err := os.ReadFile(filepath.Join("data", "mcc_interests.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(embedded)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(recs) - 1; got != len(codes) {
		t.Errorf("embedded table has %d codes, reference data %d", got, len(codes))
	}
}

func TestTaxonomyGenerator(t *testing.T) {
	taxonomyRequireShared(t)
	goTool, err := exec.LookPath("go")
	if err != nil {
		taxonomySkipf(t, "go tool not found: %v", err)
	}
	out := filepath.Join(t.TempDir(), "mcc_interests.csv")
	cmd := exec.Command(goTool, "run", "./internal/mccgen", "-shared", taxonomySharedDir, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("data", "mcc_interests.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("data/mcc_interests.csv is stale (run go generate); line %d:\ngenerated: %s\nembedded:  %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("data/mcc_interests.csv is stale (run go generate): generated %d lines, embedded %d", len(gl), len(wl))
	}
}

// taxonomyTestInterests is a small valid interests file.
const taxonomyTestInterests = "id,name,description\ndining,Dining,food\ntravel,Travel,trips\nother,Other,the rest\n"

func TestLoadTaxonomy(t *testing.T) {
	// Columns in another order, an extra column, a byte order mark, codes
	// without leading zeros, no descriptions.
	interests := "\ufeffname,id,extra\nDining,dining,x\nTravel,travel,y\nOther,other,z\n"
	mapping := "interest,mcc\ndining,5812\ntravel,4511\nother,742\n"
	tax, err := profile.LoadTaxonomy(strings.NewReader(interests), strings.NewReader(mapping))
	if err != nil {
		t.Fatal(err)
	}
	travel, _ := tax.Index("travel")
	tests := []struct {
		mcc  string
		want int
		ok   bool
	}{
		{"5812", 0, true},
		{"0742", 2, true},
		{"4511", travel, true},
		{"3005", travel, true}, // folds like 4511
		{"3400", 2, false},     // 7512 is not listed: no fold
		{"3600", 2, false},     // 7011 is not listed: no fold
		{"5411", 2, false},     // not listed
	}
	for _, tt := range tests {
		if got, ok := tax.Lookup(tt.mcc); got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%q) = %d, %v; want %d, %v", tt.mcc, got, ok, tt.want, tt.ok)
		}
	}
	if got := tax.Interests()[0]; got != (profile.Interest{ID: "dining", Name: "Dining"}) {
		t.Errorf("first interest = %+v", got)
	}
}

func TestLoadTaxonomyErrors(t *testing.T) {
	const mapping = "mcc,interest,description\n5812,dining,Restaurants\n"
	tests := []struct {
		name, interests, mapping, want string
	}{
		{
			name:    "unknown interest",
			mapping: "mcc,interest,description\n5812,dining,x\n5813,dinning,y\n",
			want:    `profile: mcc_interests.csv:3:2: interest "dinning": not in the taxonomy`,
		},
		{
			name:    "bad code",
			mapping: "mcc,interest\n58a2,dining\n",
			want:    `profile: mcc_interests.csv:2:1: mcc "58a2": want up to 4 digits`,
		},
		{
			name:    "code too long",
			mapping: "interest,mcc\ndining,05812\n",
			want:    `profile: mcc_interests.csv:2:2: mcc "05812": want up to 4 digits`,
		},
		{
			name:    "empty code",
			mapping: "mcc,interest\n,dining\n",
			want:    `profile: mcc_interests.csv:2:1: mcc "": want up to 4 digits`,
		},
		{
			name:    "duplicate code",
			mapping: "mcc,interest\n0742,other\n5812,dining\n742,dining\n",
			want:    `profile: mcc_interests.csv:4:1: mcc "742": listed twice`,
		},
		{
			name:    "missing mapping column",
			mapping: "mcc,description\n5812,Restaurants\n",
			want:    `profile: mcc_interests.csv:1: missing column "interest"`,
		},
		{
			name:    "empty mapping",
			mapping: "",
			want:    `profile: mcc_interests.csv: empty file, want a header row`,
		},
		{
			name:    "wrong number of fields",
			mapping: "mcc,interest\n5812,dining\n5813\n",
			want:    `profile: mcc_interests.csv:3: wrong number of fields`,
		},
		{
			name:    "bad quote",
			mapping: "mcc,interest\n5812,din\"ing\n",
			want:    `profile: mcc_interests.csv:2: bare " in non-quoted-field`,
		},
		{
			name:      "missing interests column",
			interests: "id,description\ndining,food\nother,rest\n",
			want:      `profile: interests.csv:1: missing column "name"`,
		},
		{
			name:      "no other",
			interests: "id,name\ndining,Dining\n",
			want:      `profile: interests.csv: no "other" interest`,
		},
		{
			name:      "other not last",
			interests: "id,name\nother,Other\ndining,Dining\n",
			want:      `profile: interests.csv:3:1: interest "dining": "other" must be the last interest`,
		},
		{
			name:      "duplicate interest",
			interests: "id,name\ndining,Dining\ndining,Eating out\nother,Other\n",
			want:      `profile: interests.csv:3:1: interest "dining": listed twice`,
		},
		{
			name:      "bad interest id",
			interests: "name,id\nDining,Dining\nOther,other\n",
			want:      `profile: interests.csv:2:2: interest "Dining": want lower-case letters, digits and underscores`,
		},
		{
			name:      "empty name",
			interests: "id,name\ndining, \nother,Other\n",
			want:      `profile: interests.csv:2:2: interest "dining": empty name`,
		},
		{
			name:      "empty interests",
			interests: "",
			want:      `profile: interests.csv: empty file, want a header row`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			interests, m := tt.interests, tt.mapping
			if interests == "" && !strings.HasPrefix(tt.want, "profile: interests.csv") {
				interests = taxonomyTestInterests
			}
			if m == "" && !strings.HasPrefix(tt.want, "profile: mcc_interests.csv") {
				m = mapping
			}
			tax, err := profile.LoadTaxonomy(strings.NewReader(interests), strings.NewReader(m))
			if err == nil {
				t.Fatalf("LoadTaxonomy succeeded (%d interests), want error %q", tax.Len(), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant    %q", err, tt.want)
			}
			if _, ok := errors.AsType[*profile.TaxonomyError](err); !ok {
				t.Errorf("error %T is not a *profile.TaxonomyError", err)
			}
		})
	}
}

func TestLoadTaxonomyReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := profile.LoadTaxonomy(strings.NewReader(taxonomyTestInterests), io.MultiReader(strings.NewReader("mcc,interest\n5812,dining\n"), taxonomyErrReader{boom}))
	if !errors.Is(err, boom) {
		t.Errorf("error = %v, want it to wrap %v", err, boom)
	}
}

type taxonomyErrReader struct{ err error }

func (r taxonomyErrReader) Read([]byte) (int, error) { return 0, r.err }

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"", "0742", "742", "5812", "3000", "3999", "9999", "0000", "05812", "58a2", "-1", " 742", "٧٤٢", "\xff"} {
		f.Add(s)
	}
	tax := taxonomyMustDefault(f)
	f.Fuzz(func(t *testing.T, mcc string) {
		i, ok := tax.Lookup(mcc)
		if i < 0 || i >= tax.Len() {
			t.Fatalf("Lookup(%q) = %d, out of range [0, %d)", mcc, i, tax.Len())
		}
		if !ok && i != tax.Other() {
			t.Fatalf("Lookup(%q) = %d, false; want Other() %d", mcc, i, tax.Other())
		}
		desc := tax.Describe(mcc)
		if len(mcc) >= 1 && len(mcc) <= 4 && strings.Trim(mcc, "0123456789") == "" {
			padded := strings.Repeat("0", 4-len(mcc)) + mcc
			if i2, ok2 := tax.Lookup(padded); i2 != i || ok2 != ok {
				t.Fatalf("Lookup(%q) = %d, %v but Lookup(%q) = %d, %v", mcc, i, ok, padded, i2, ok2)
			}
			if d2 := tax.Describe(padded); d2 != desc {
				t.Fatalf("Describe(%q) = %q but Describe(%q) = %q", mcc, desc, padded, d2)
			}
		} else if ok || desc != "" {
			t.Fatalf("malformed code %q: Lookup = %d, %v, Describe = %q", mcc, i, ok, desc)
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	tax := taxonomyMustDefault(b)
	codes := []string{"5812", "5411", "5541", "4511", "3005", "7011", "0742", "742", "5999", "6011", "9999", "bad"}
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if _, ok := tax.Lookup(codes[i%len(codes)]); ok {
			n++
		}
	}
	if n == 0 {
		b.Fatal("no code found")
	}
}

func ExampleTaxonomy_Lookup() {
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		panic(err)
	}
	for _, mcc := range []string{"5812", "742", "3005", "7x11"} {
		i, ok := tax.Lookup(mcc)
		fmt.Printf("%s %s %v %q\n", mcc, tax.Interests()[i].ID, ok, tax.Describe(mcc))
	}
	// Output:
	// 5812 dining true "Eating places and Restaurants"
	// 742 pets true "Veterinary Services"
	// 3005 airlines true "BRITISH AIRWAYS"
	// 7x11 other false ""
}
