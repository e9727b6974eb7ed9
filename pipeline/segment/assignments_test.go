package segment

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tailor-mail/tailor/pipeline/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// assignmentsCase is a tiny clustering: c2 is not clustered, "c,3" needs
// quoting, and cluster 1 kept last month's variant v0001.
func assignmentsCase() (ps []profile.Profile, rows []int, assign []int32, variantOf []string) {
	ps = profiles([]member{
		{id: "c1", spend: 100, consent: true},
		{id: "c2", consent: true},
		{id: "c,3", spend: 5, consent: true, cancelled: true},
		{id: "c4", spend: 7},
	})
	return ps, []int{0, 2, 3}, []int32{0, 1, 0}, []string{"v0002", "v0001"}
}

func TestWriteAssignments(t *testing.T) {
	ps, rows, assign, variantOf := assignmentsCase()
	var b bytes.Buffer
	if err := WriteAssignments(&b, ps, rows, assign, variantOf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "assignments.csv.golden")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("WriteAssignments wrote\n%s\nwant (%s)\n%s", b.Bytes(), golden, want)
	}
}

func TestWriteAssignmentsError(t *testing.T) {
	ps, rows, assign, variantOf := assignmentsCase()
	err := WriteAssignments(failingWriter{}, ps, rows, assign, variantOf)
	if !errors.Is(err, errWrite) {
		t.Errorf("WriteAssignments to a failing writer: %v, want %v", err, errWrite)
	}
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestAssignmentsRoundTrip(t *testing.T) {
	ps, rows, assign, variantOf := assignmentsCase()
	var b bytes.Buffer
	if err := WriteAssignments(&b, ps, rows, assign, variantOf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadAssignments(&b, "assignments.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"c1": "v0002", "c,3": "v0001", "c4": "v0002"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadAssignments = %v, want %v", got, want)
	}
}

func TestReadAssignments(t *testing.T) {
	const header = "cardholder_id,cluster,variant,mail_status\n"
	tests := []struct {
		name string
		in   string
		want map[string]string
		// When an error is wanted: what its message holds and what it
		// wraps.
		errHas string
		errIs  error
	}{
		{name: "header only", in: header, want: map[string]string{}},
		{name: "cardholders without a variant are left out", in: header + "a,0,v0001,mail\nb,,,no consent\n",
			want: map[string]string{"a": "v0001"}},
		{name: "no final newline", in: header + "a,0,v0001,mail", want: map[string]string{"a": "v0001"}},
		{name: "CRLF", in: strings.ReplaceAll(header+"a,0,v0001,mail\n", "\n", "\r\n"), want: map[string]string{"a": "v0001"}},
		{name: "empty", in: "", errHas: "assignments.csv: no header", errIs: io.ErrUnexpectedEOF},
		{name: "three fields", in: "cardholder_id,cluster,variant\na,0,v0001\n",
			errHas: "assignments.csv:2: wrong number of fields: 3, want 4", errIs: csv.ErrFieldCount},
		{name: "a record unlike the header", in: header + "a,0,v0001,mail\nb,1,v0002\n",
			errHas: "assignments.csv: record on line 3: wrong number of fields", errIs: csv.ErrFieldCount},
		{name: "a bare quote", in: header + "a\"b,0,v0001,mail\n",
			errHas: "assignments.csv: parse error on line 2, column 2", errIs: csv.ErrBareQuote},
		{name: "a quote left open", in: header + "\"a,0,v0001,mail\n",
			errHas: "assignments.csv: ", errIs: csv.ErrQuote},
		{name: "a bare quote in the header", in: "card\"holder_id,cluster,variant,mail_status\n",
			errHas: "assignments.csv: parse error on line 1", errIs: csv.ErrBareQuote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadAssignments(strings.NewReader(tt.in), "assignments.csv")
			if tt.errIs != nil {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) || !errors.Is(err, tt.errIs) {
					t.Errorf("ReadAssignments = %v, %v; want an error holding %q and wrapping %v", got, err, tt.errHas, tt.errIs)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadAssignments = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestReadAssignmentsReaderError(t *testing.T) {
	errRead := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("cardholder_id,cluster,variant,mail_status\na,0,v0001,mail\n"), iotest.ErrReader(errRead))
	if _, err := ReadAssignments(r, "last.csv"); !errors.Is(err, errRead) || !strings.HasPrefix(err.Error(), "last.csv: ") {
		t.Errorf("ReadAssignments = %v, want an error of last.csv wrapping %v", err, errRead)
	}
}
