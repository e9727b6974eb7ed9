package cluster_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/cluster"
)

func TestReadCSV(t *testing.T) {
	m, err := cluster.ReadCSV(strings.NewReader("id,a,b\nx,1,2\ny,3.5,-4e-1\n"), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows() != 2 || m.Dim != 2 || m.IDs[1] != "y" || m.Data[3] != -0.4 || m.Names[1] != "b" {
		t.Errorf("matrix %+v", m)
	}
	for _, tt := range []struct{ in, want string }{
		{"id\nx\n", "want an id column and at least one feature column"},
		{"id,a\nx,NaN\n", `f.csv:2:2: a "NaN": not a finite number`},
		{"id,a\nx,1,2\n", "f.csv:2: 3 fields, want 2"},
		{"id,a\n", "f.csv: no rows"},
	} {
		if _, err := cluster.ReadCSV(strings.NewReader(tt.in), "f.csv"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadCSV(%q) = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func npy(descr string, rows, cols int, vals []float64) []byte {
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, cols)
	for (10+len(header)+1)%64 != 0 {
		header += " "
	}
	header += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	for _, v := range vals {
		if descr == "<f4" {
			binary.Write(&b, binary.LittleEndian, math.Float32bits(float32(v)))
		} else {
			binary.Write(&b, binary.LittleEndian, math.Float64bits(v))
		}
	}
	return b.Bytes()
}

func TestReadNPY(t *testing.T) {
	for _, descr := range []string{"<f4", "<f8"} {
		m, err := cluster.ReadNPY(bytes.NewReader(npy(descr, 2, 3, []float64{1, 2, 3, 4, 5, 6.5})), "m.npy")
		if err != nil {
			t.Fatal(err)
		}
		if m.Rows() != 2 || m.Dim != 3 || m.Data[5] != 6.5 || m.IDs != nil {
			t.Errorf("%s: %+v", descr, m)
		}
	}
	bad := []struct {
		in   []byte
		want string
	}{
		{[]byte("not numpy"), "not a .npy file"},
		{npy("<i4", 1, 1, []float64{1}), "want little-endian float32 or float64"},
		{npy("<f8", 2, 2, []float64{1, 2, 3}), "3 values, want 4"},
	}
	for _, tt := range bad {
		if _, err := cluster.ReadNPY(bytes.NewReader(tt.in), "m.npy"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadNPY: %v, want %s", err, tt.want)
		}
	}
}

func TestWriteNPY(t *testing.T) {
	vals := []float64{1, -0.5, 1.0 / 3, math.Copysign(0, -1), 5e-324, math.MaxFloat64, -7, 1e10}
	for _, dim := range []int{1, 2, 4, 8} {
		var b bytes.Buffer
		if err := cluster.WriteNPY(&b, vals, dim); err != nil {
			t.Fatal(err)
		}
		if want := npy("<f8", len(vals)/dim, dim, vals); !bytes.Equal(b.Bytes(), want) {
			t.Errorf("dim %d: wrote\n%q\nwant\n%q", dim, b.Bytes(), want)
		}
		if start := b.Len() - 8*len(vals); start%64 != 0 {
			t.Errorf("dim %d: the data start at byte %d, want a multiple of 64", dim, start)
		}
		m, err := cluster.ReadNPY(&b, "m.npy")
		if err != nil {
			t.Fatal(err)
		}
		if m.Dim != dim || m.Rows() != len(vals)/dim {
			t.Errorf("dim %d: read %d x %d", dim, m.Rows(), m.Dim)
		}
		for i, v := range m.Data {
			if math.Float64bits(v) != math.Float64bits(vals[i]) {
				t.Errorf("dim %d: value %d read %v, wrote %v", dim, i, v, vals[i])
			}
		}
	}
	for _, dim := range []int{0, 3} {
		if err := cluster.WriteNPY(io.Discard, vals, dim); err == nil {
			t.Errorf("dim %d: no error for %d values", dim, len(vals))
		}
	}
}

func TestStandardize(t *testing.T) {
	m := &cluster.Matrix{Dim: 2, Data: []float64{1, 5, 3, 5}}
	m.Standardize()
	if m.Data[0] != -1 || m.Data[2] != 1 || m.Data[1] != 0 || m.Data[3] != 0 {
		t.Errorf("standardized %v", m.Data)
	}
}

func FuzzReadNPY(f *testing.F) {
	f.Add(npy("<f4", 2, 2, []float64{1, 2, 3, 4}))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := cluster.ReadNPY(bytes.NewReader(b), "f.npy")
		if err == nil && len(m.Data) != m.Rows()*m.Dim {
			t.Fatalf("%d values for %d x %d", len(m.Data), m.Rows(), m.Dim)
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add("id,a,b\nx,1,2\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := cluster.ReadCSV(strings.NewReader(s), "f.csv")
		if err == nil && (len(m.Data) != len(m.IDs)*m.Dim || m.Dim < 1) {
			t.Fatalf("inconsistent matrix %+v", m)
		}
	})
}

func TestStartCentroids(t *testing.T) {
	// Two blobs; starting from their centres converges at once.
	data := []float64{0, 0, 0.1, 0, 0, 0.1, 10, 10, 10.1, 10, 10, 10.1, 10.2, 10}
	res, err := cluster.KMeans(context.Background(), data, 2, cluster.Config{K: 2, Start: []float64{10, 10, 0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations > 2 || res.Sizes[0] != 4 || res.Sizes[1] != 3 {
		t.Errorf("iterations %d sizes %v", res.Iterations, res.Sizes)
	}
	for _, bad := range [][]float64{{1, 2, 3}, {math.NaN(), 0, 1, 1}} {
		if _, err := cluster.KMeans(context.Background(), data, 2, cluster.Config{K: 2, Start: bad}); err == nil {
			t.Errorf("start %v accepted", bad)
		}
	}
}
