package cluster

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Matrix is a numeric matrix read from a file, row-major, with an optional
// id per row.
type Matrix struct {
	IDs   []string // nil when the file has none
	Names []string // column names, nil when the file has none
	Dim   int
	Data  []float64
}

// Rows returns the number of rows.
func (m *Matrix) Rows() int {
	if m.Dim == 0 {
		return 0
	}
	return len(m.Data) / m.Dim
}

// ReadCSV reads a matrix from CSV with a header row: an id column first,
// then numeric feature columns. name is used in errors.
func ReadCSV(r io.Reader, name string) (*Matrix, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("cluster: %s: header: %w", name, err)
	}
	header = append([]string(nil), header...) // the reader reuses its record
	if len(header) < 2 {
		return nil, fmt.Errorf("cluster: %s:1: want an id column and at least one feature column", name)
	}
	m := &Matrix{Names: append([]string(nil), header[1:]...), Dim: len(header) - 1}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cluster: %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("cluster: %s:%d: %d fields, want %d", name, line, len(rec), len(header))
		}
		m.IDs = append(m.IDs, rec[0])
		for j, f := range rec[1:] {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("cluster: %s:%d:%d: %s %q: not a finite number", name, line, j+2, header[j+1], f)
			}
			m.Data = append(m.Data, v)
		}
	}
	if len(m.IDs) == 0 {
		return nil, fmt.Errorf("cluster: %s: no rows", name)
	}
	return m, nil
}

var npyShape = regexp.MustCompile(`'shape':\s*\((\d+),\s*(\d+)\)`)

// ReadNPY reads a two-dimensional NumPy .npy array of little-endian
// float32 ('<f4') or float64 ('<f8') in C order.
func ReadNPY(r io.Reader, name string) (*Matrix, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var magic [8]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || string(magic[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("cluster: %s: not a .npy file", name)
	}
	var hlen int
	switch magic[6] {
	case 1:
		var n uint16
		if err := binary.Read(br, binary.LittleEndian, &n); err != nil {
			return nil, fmt.Errorf("cluster: %s: header: %w", name, err)
		}
		hlen = int(n)
	case 2, 3:
		var n uint32
		if err := binary.Read(br, binary.LittleEndian, &n); err != nil {
			return nil, fmt.Errorf("cluster: %s: header: %w", name, err)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("cluster: %s: .npy version %d not supported", name, magic[6])
	}
	if hlen > 1<<20 {
		return nil, fmt.Errorf("cluster: %s: header of %d bytes", name, hlen)
	}
	h := make([]byte, hlen)
	if _, err := io.ReadFull(br, h); err != nil {
		return nil, fmt.Errorf("cluster: %s: header: %w", name, err)
	}
	header := string(h)
	if strings.Contains(header, "'fortran_order': True") {
		return nil, fmt.Errorf("cluster: %s: Fortran order not supported: save with C order", name)
	}
	size := 0
	switch {
	case strings.Contains(header, "'descr': '<f4'"):
		size = 4
	case strings.Contains(header, "'descr': '<f8'"):
		size = 8
	default:
		return nil, fmt.Errorf("cluster: %s: want little-endian float32 or float64 ('<f4' or '<f8')", name)
	}
	sm := npyShape.FindStringSubmatch(header)
	if sm == nil {
		return nil, fmt.Errorf("cluster: %s: want a two-dimensional array", name)
	}
	rows, _ := strconv.Atoi(sm[1])
	dim, _ := strconv.Atoi(sm[2])
	if rows < 1 || dim < 1 || rows > math.MaxInt32 || dim > 1<<16 {
		return nil, fmt.Errorf("cluster: %s: shape (%d, %d) not supported", name, rows, dim)
	}
	m := &Matrix{Dim: dim, Data: make([]float64, 0, rows*dim)}
	buf := make([]byte, size)
	for i := 0; i < rows*dim; i++ {
		if _, err := io.ReadFull(br, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("cluster: %s: %d values, want %d", name, i, rows*dim)
			}
			return nil, fmt.Errorf("cluster: %s: %w", name, err)
		}
		var v float64
		if size == 4 {
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf)))
		} else {
			v = math.Float64frombits(binary.LittleEndian.Uint64(buf))
		}
		m.Data = append(m.Data, v)
	}
	return m, nil
}

// WriteNPY writes data, rows of dim values, row-major, as a
// two-dimensional NumPy .npy array of little-endian float64 ('<f8') in C
// order, version 1.0: numpy.load and ReadNPY read back the very same
// values.
func WriteNPY(w io.Writer, data []float64, dim int) error {
	if dim < 1 || len(data)%dim != 0 {
		return fmt.Errorf("cluster: %d values do not make rows of %d", len(data), dim)
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", len(data)/dim, dim)
	// The magic string, version and header length take 10 bytes; the
	// header is padded with spaces and a newline so that the data start
	// on a multiple of 64 bytes, as NumPy writes it.
	pad := 63 - (10+len(header))%64
	header += strings.Repeat(" ", pad) + "\n"
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("\x93NUMPY\x01\x00")
	binary.Write(bw, binary.LittleEndian, uint16(len(header)))
	bw.WriteString(header)
	var buf [8]byte
	for _, v := range data {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
		if _, err := bw.Write(buf[:]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Standardize scales every column of m to zero mean and unit variance; a
// column with no variance becomes 0.
func (m *Matrix) Standardize() {
	n := m.Rows()
	for c := 0; c < m.Dim; c++ {
		var mean, m2 float64
		for r := 0; r < n; r++ {
			mean += m.Data[r*m.Dim+c]
		}
		mean /= float64(n)
		for r := 0; r < n; r++ {
			d := m.Data[r*m.Dim+c] - mean
			m2 += d * d
		}
		sd := math.Sqrt(m2 / float64(n))
		for r := 0; r < n; r++ {
			v := 0.0
			if sd > 0 {
				v = (m.Data[r*m.Dim+c] - mean) / sd
			}
			m.Data[r*m.Dim+c] = v
		}
	}
}
