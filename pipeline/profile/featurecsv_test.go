package profile

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

func TestFeaturesRoundTrip(t *testing.T) {
	ps := []Profile{
		{Cardholder: &ingest.Cardholder{ID: "A"}, Features: []float64{0.1, -3, math.MaxFloat64}},
		{Cardholder: &ingest.Cardholder{ID: "B"}}, // no features: not written
		{Cardholder: &ingest.Cardholder{ID: "C,1"}, Features: []float64{1.0 / 3, 0, 5e-324}},
	}
	var b bytes.Buffer
	if err := WriteFeatures(&b, []string{"x", "y", "z"}, ps); err != nil {
		t.Fatal(err)
	}
	const want = "cardholder_id,x,y,z\nA,0.1,-3,1.7976931348623157e+308\n\"C,1\",0.3333333333333333,0,5e-324\n"
	if b.String() != want {
		t.Errorf("wrote\n%s\nwant\n%s", b.String(), want)
	}
	back := []Profile{{Cardholder: &ingest.Cardholder{ID: "A"}}, {Cardholder: &ingest.Cardholder{ID: "B"}}, {Cardholder: &ingest.Cardholder{ID: "C,1"}}}
	names, err := ReadFeatures(&b, "features.csv", back)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"x", "y", "z"}) {
		t.Errorf("names %v", names)
	}
	for i := range ps {
		if !reflect.DeepEqual(back[i].Features, ps[i].Features) {
			t.Errorf("%s: features %v, want %v", ps[i].ID, back[i].Features, ps[i].Features)
		}
	}
}

func TestReadFeaturesErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "features.csv: empty file"},
		{"no id column", "x,y\n1,2\n", "features.csv:1: want cardholder_id"},
		{"unknown cardholder", "cardholder_id,x\nA,1\nZ,2\n", `features.csv:3: cardholder "Z" is not among the profiles`},
		{"not a number", "cardholder_id,x\nA,one\n", `features.csv:2: x: strconv.ParseFloat: parsing "one"`},
		{"short row", "cardholder_id,x\nA\n", "features.csv: record on line 2: wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadFeatures(strings.NewReader(tt.in), "features.csv", []Profile{{Cardholder: &ingest.Cardholder{ID: "A"}}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func FuzzReadFeatures(f *testing.F) {
	f.Add("cardholder_id,x\nA,1\n")
	f.Add("cardholder_id,x,y\nA,1e308,-0\nB,NaN,Inf\n")
	f.Fuzz(func(t *testing.T, in string) {
		ps := []Profile{{Cardholder: &ingest.Cardholder{ID: "A"}}, {Cardholder: &ingest.Cardholder{ID: "B"}}}
		ReadFeatures(strings.NewReader(in), "features.csv", ps) // must not panic
	})
}
