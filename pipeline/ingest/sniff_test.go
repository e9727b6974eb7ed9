package ingest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/xuri/excelize/v2"
)

// ole2File makes a small OLE2 compound file whose directory, in sector 0,
// lists names.
func ole2File(names ...string) []byte {
	b := make([]byte, 1024)
	copy(b, magicOLE2)
	binary.LittleEndian.PutUint16(b[0x1C:], 0xFFFE) // byte order
	binary.LittleEndian.PutUint16(b[0x1E:], 9)      // 512-byte sectors
	binary.LittleEndian.PutUint32(b[0x30:], 0)      // the directory starts at sector 0
	for i, name := range names {
		e := b[512+128*i:]
		units := append([]rune(name), 0)
		for k, r := range units {
			binary.LittleEndian.PutUint16(e[2*k:], uint16(r))
		}
		binary.LittleEndian.PutUint16(e[0x40:], uint16(2*len(units)))
	}
	return b
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestForeignFormats(t *testing.T) {
	// testdata/legacy.xls: LibreOffice's "libreoffice --headless
	// --convert-to xls" of a two-line transactions CSV. Its directory is at
	// the end of the file, after the workbook stream.
	xls, err := os.ReadFile("testdata/legacy.xls")
	if err != nil {
		t.Fatal(err)
	}
	// A workbook saved with a password: excelize writes it as Excel does,
	// an encrypted package in an OLE2 file.
	encrypted := xlsxWorkbook(t, func(f *excelize.File) {
		xlsxMust(t, f.SetCellStr("Sheet1", "A1", "cardholder_id"))
	})
	{
		f, err := excelize.OpenReader(bytes.NewReader(encrypted))
		xlsxMust(t, err)
		var buf bytes.Buffer
		xlsxMust(t, f.Write(&buf, excelize.Options{Password: "secret"}))
		encrypted = buf.Bytes()
	}
	var ods bytes.Buffer
	zw := zip.NewWriter(&ods)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	w.Write([]byte("application/vnd.oasis.opendocument.spreadsheet"))
	zw.Close()
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	tw.WriteHeader(&tar.Header{Name: "transactions.csv", Mode: 0o644, Size: 4})
	tw.Write([]byte("a,b\n"))
	tw.Close()

	const xlsAdvice = `tailor reads .xlsx, CSV and tab-separated text; convert it with "libreoffice --headless --convert-to xlsx x.xls" or save it as .xlsx in Excel`
	tests := []struct {
		name, file string
		in         []byte
		want       string
	}{
		{"Excel 97-2003", "x.xls", xls, "ingest: x.xls: an Excel 97-2003 .xls workbook: " + xlsAdvice},
		{"Excel 5.0/95", "x.xls", ole2File("Root Entry", "Book"), "ingest: x.xls: an Excel 97-2003 .xls workbook: " + xlsAdvice},
		{"a name to quote", "Oct 2026 (final).xls", xls,
			`ingest: Oct 2026 (final).xls: an Excel 97-2003 .xls workbook: tailor reads .xlsx, CSV and tab-separated text; convert it with "libreoffice --headless --convert-to xlsx 'Oct 2026 (final).xls'" or save it as .xlsx in Excel`},
		{"encrypted workbook", "x.xlsx", encrypted,
			"ingest: x.xlsx: an encrypted Office file (a workbook protected by a password or a sensitivity label): tailor cannot read it; in Excel, save a copy without the protection (File > Info > Protect Workbook) as .xlsx or CSV"},
		{"Word", "x.doc", ole2File("Root Entry", "WordDocument"),
			"ingest: x.doc: a Word 97-2003 document: tailor reads .xlsx, CSV and tab-separated text; export the data as CSV or .xlsx"},
		{"OLE2, directory not read", "x.xls", xls[:600],
			"ingest: x.xls: a Microsoft Office 97-2003 file (OLE2), such as an Excel 97-2003 .xls workbook: " + xlsAdvice},
		{"OLE2, directory listing nothing known", "x.xls", ole2File("Root Entry", "Other"),
			"ingest: x.xls: a Microsoft Office 97-2003 file (OLE2), such as an Excel 97-2003 .xls workbook: " + xlsAdvice},
		{"PDF", "t.pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
			"ingest: t.pdf: a PDF document: tailor reads .xlsx, CSV and tab-separated text; export the data as CSV or .xlsx from where it comes from"},
		{"OpenDocument", "t.ods", ods.Bytes(),
			`ingest: t.ods: an OpenDocument spreadsheet (.ods): tailor reads .xlsx, CSV and tab-separated text; convert it with "libreoffice --headless --convert-to xlsx t.ods" or save it as .xlsx in LibreOffice or Excel`},
		{"zipped CSV", "t.zip", xlsxZipOf(t, "transactions.csv", "cardholder_id,posted_on,amount,mcc\n"),
			"ingest: t.zip: not a readable XLSX file: a zip archive holding transactions.csv, not a workbook: unzip it and give tailor the file inside"},
		{"gzipped tar", "t.tar.gz", gzipped(t, tarball.Bytes()),
			"ingest: t.tar.gz: gzip-compressed, and inside it a tar archive: extract it (tar -xf t.tar.gz) and give tailor the file inside"},
		{"gzipped xls", "x.xls.gz", gzipped(t, xls),
			`ingest: x.xls.gz: gzip-compressed, and inside it an Excel 97-2003 .xls workbook: tailor reads .xlsx, CSV and tab-separated text; convert it with "libreoffice --headless --convert-to xlsx x.xls.gz" or save it as .xlsx in Excel`},
		{"xz", "t.csv.xz", []byte("\xFD7zXZ\x00\x00\x04\xE6\xD6\xB4\x46"),
			"ingest: t.csv.xz: compressed with xz: tailor reads gzip-compressed files only; decompress it (unxz t.csv.xz) or compress it with gzip"},
		{"bzip2", "t.csv.bz2", []byte("BZh91AY&SY\x12\x34"),
			"ingest: t.csv.bz2: compressed with bzip2: tailor reads gzip-compressed files only; decompress it (bunzip2 t.csv.bz2) or compress it with gzip"},
		{"zstd", "t.csv.zst", []byte("\x28\xB5\x2F\xFD\x04\x00"),
			"ingest: t.csv.zst: compressed with zstd: tailor reads gzip-compressed files only; decompress it (unzstd t.csv.zst) or compress it with gzip"},
		{"7z", "t.7z", []byte("7z\xBC\xAF\x27\x1C\x00\x04"), "ingest: t.7z: a 7-Zip archive: extract it (7z x t.7z) and give tailor the file inside"},
		{"SQLite", "t.db", []byte("SQLite format 3\x00\x10\x00"),
			`ingest: t.db: an SQLite database: tailor reads .xlsx, CSV and tab-separated text; export the table as CSV (sqlite3 -csv -header t.db "SELECT ...")`},
		{"Parquet", "t.parquet", []byte("PAR1\x15\x04\x15\x10\x00"), "ingest: t.parquet: an Apache Parquet file: tailor reads .xlsx, CSV and tab-separated text; export the data as CSV"},
		{"a CSV starting PAR1", "t.csv", []byte("PAR1,posted_on\n"), `ingest: t.csv:1: missing required column "cardholder_id" (header has: PAR1, posted_on); map it with a column mapping if it has another name`},
		{"unknown binary", "t.csv", []byte("\x01\x02\x00\x00garbage"),
			"ingest: t.csv:1: not a CSV file: binary data (is it a spreadsheet saved in another format, or compressed with something other than gzip?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadTransactions(context.Background(), bytes.NewReader(tt.in), tt.file, Options{Classifier: classes{}},
				NewCardholderSet(nil), nil, func([]Record) error { return nil })
			var fe *FileError
			if !errors.As(err, &fe) || err.Error() != tt.want {
				t.Errorf("error = %v\nwant %s", err, tt.want)
			}
			_, _, err = ReadCardholders(context.Background(), bytes.NewReader(tt.in), tt.file, Options{}, nil)
			if !errors.As(err, &fe) {
				t.Errorf("cardholders: error %v, want a *FileError", err)
			}
		})
	}
}

// An XLSX workbook compressed with gzip is read like any other.
func TestGzippedXLSX(t *testing.T) {
	data := xlsxWorkbook(t, func(f *excelize.File) {
		xlsxMust(t, f.SetSheetRow("Sheet1", "A1", &[]any{"cardholder_id", "posted_on", "amount", "mcc"}))
		xlsxMust(t, f.SetSheetRow("Sheet1", "A2", &[]any{"C1", "2026-10-01", 42.1, 5812}))
	})
	got, st, _, err := readTx(t, string(gzipped(t, data)), Options{}, "C1")
	if err != nil || st.Accepted != 1 || len(got) != 1 || got[0].Amount != 4210 || st.Encoding != "" {
		t.Errorf("%+v, %+v, %v", got, st, err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"x.xls":                "x.xls",
		"data/Oct-2026_v2.xls": "data/Oct-2026_v2.xls",
		"a b.xls":              "'a b.xls'",
		"O'Brien.xls":          `'O'\''Brien.xls'`,
		"$(rm).xls":            "'$(rm).xls'",
		"":                     "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
