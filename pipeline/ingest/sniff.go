package ingest

// Naming the formats tailor does not read. A file that is not CSV, XLSX or
// gzip is refused; when its first bytes say what it is (an old .xls
// workbook, a PDF, an archive), the message names it and says how to turn
// it into something tailor reads.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

// readsWhat is the list of formats tailor reads, for messages.
const readsWhat = "tailor reads .xlsx, CSV and tab-separated text"

// foreignFormat is a recognised format that tailor does not read: what it
// is, and what to do.
type foreignFormat struct {
	what, advice string
}

func (f *foreignFormat) Error() string { return f.what + ": " + f.advice }

// convertAdvice is the advice for a spreadsheet in another format.
func convertAdvice(file, app string) string {
	return fmt.Sprintf("%s; convert it with \"libreoffice --headless --convert-to xlsx %s\" or save it as .xlsx in %s", readsWhat, shellQuote(file), app)
}

// shellQuote quotes a file name for a shell command when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+:@,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Magic numbers.
var (
	magicOLE2    = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicPDF     = []byte("%PDF-")
	magicBzip2   = []byte("BZh")
	magicXZ      = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	magicZstd    = []byte{0x28, 0xB5, 0x2F, 0xFD}
	magic7z      = []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}
	magicRar     = []byte("Rar!\x1A\x07")
	magicParquet = []byte("PAR1")
	magicSQLite  = []byte("SQLite format 3\x00")
	mimeODS      = []byte("mimetypeapplication/vnd.oasis.opendocument.spreadsheet")
)

// sniffForeign names the format of a file whose first bytes are head, when
// it is one tailor recognises and does not read; nil otherwise (for CSV,
// XLSX, gzip, and anything unknown). br, positioned at the start of the
// file, is read further for an OLE2 compound file, whose directory says
// which Office file it is.
func sniffForeign(head []byte, br *bufio.Reader, file string) *foreignFormat {
	switch {
	case bytes.HasPrefix(head, magicOLE2):
		return ole2Format(br, file)
	case bytes.HasPrefix(head, magicPDF):
		return &foreignFormat{"a PDF document", readsWhat + "; export the data as CSV or .xlsx from where it comes from"}
	case isZip(head) && len(head) >= 30+len(mimeODS) && bytes.Equal(head[30:30+len(mimeODS)], mimeODS):
		return &foreignFormat{"an OpenDocument spreadsheet (.ods)", convertAdvice(file, "LibreOffice or Excel")}
	case bytes.HasPrefix(head, magicBzip2) && len(head) >= 10 && head[3] >= '1' && head[3] <= '9' && string(head[4:10]) == "1AY&SY":
		return compressed("bzip2", "bunzip2", file)
	case bytes.HasPrefix(head, magicXZ):
		return compressed("xz", "unxz", file)
	case bytes.HasPrefix(head, magicZstd):
		return compressed("zstd", "unzstd", file)
	case bytes.HasPrefix(head, magic7z):
		return &foreignFormat{"a 7-Zip archive", "extract it (7z x " + shellQuote(file) + ") and give tailor the file inside"}
	case bytes.HasPrefix(head, magicRar):
		return &foreignFormat{"a RAR archive", "extract it and give tailor the file inside"}
	case bytes.HasPrefix(head, magicSQLite):
		return &foreignFormat{"an SQLite database", readsWhat + "; export the table as CSV (sqlite3 -csv -header " + shellQuote(file) + " \"SELECT ...\")"}
	case bytes.HasPrefix(head, magicParquet) && binaryByte(head[:min(len(head), 64)]) >= 0:
		return &foreignFormat{"an Apache Parquet file", readsWhat + "; export the data as CSV"}
	case len(head) > 262 && string(head[257:262]) == "ustar" && (head[262] == 0 || head[262] == ' ') && binaryByte(head[:100]) >= 0:
		return &foreignFormat{"a tar archive", "extract it (tar -xf " + shellQuote(file) + ") and give tailor the file inside"}
	}
	return nil
}

func compressed(format, tool, file string) *foreignFormat {
	return &foreignFormat{"compressed with " + format,
		fmt.Sprintf("tailor reads gzip-compressed files only; decompress it (%s %s) or compress it with gzip", tool, shellQuote(file))}
}

// maxOLE2Seek bounds how far into an OLE2 file ole2Format reads to find its
// directory.
const maxOLE2Seek = 64 << 20

// ole2Format names an OLE2 compound file, the container of Office 97-2003
// documents and of encrypted Office files, by the streams its first
// directory sector lists: "Workbook" (Excel 97-2003) or "Book" (Excel
// 5.0/95), "EncryptedPackage" or "EncryptionInfo" (an .xlsx protected by
// a password or a sensitivity label), "WordDocument". br is at the start
// of the file; it reads up to the directory, at most maxOLE2Seek bytes.
func ole2Format(br *bufio.Reader, file string) *foreignFormat {
	xls := &foreignFormat{"an Excel 97-2003 .xls workbook", convertAdvice(file, "Excel")}
	streams := ole2Streams(br)
	switch {
	case streams["Workbook"] || streams["Book"]:
		return xls
	case streams["EncryptedPackage"] || streams["EncryptionInfo"]:
		return &foreignFormat{"an encrypted Office file (a workbook protected by a password or a sensitivity label)",
			"tailor cannot read it; in Excel, save a copy without the protection (File > Info > Protect Workbook) as .xlsx or CSV"}
	case streams["WordDocument"]:
		return &foreignFormat{"a Word 97-2003 document", readsWhat + "; export the data as CSV or .xlsx"}
	case streams["PowerPoint Document"]:
		return &foreignFormat{"a PowerPoint 97-2003 presentation", readsWhat + "; export the data as CSV or .xlsx"}
	}
	xls.what = "a Microsoft Office 97-2003 file (OLE2), such as an Excel 97-2003 .xls workbook"
	return xls
}

// ole2Streams returns the names of the entries of the first sector of an
// OLE2 file's directory (the first 4 to 32 entries: the root and, in files
// Office writes, the main streams), or nil when it cannot read them.
func ole2Streams(br *bufio.Reader) map[string]bool {
	hdr, err := br.Peek(512)
	if err != nil {
		return nil
	}
	shift := binary.LittleEndian.Uint16(hdr[0x1E:])
	if shift != 9 && shift != 12 {
		return nil
	}
	size := 1 << shift
	dir := (int64(binary.LittleEndian.Uint32(hdr[0x30:])) + 1) << shift
	if dir > maxOLE2Seek {
		return nil
	}
	if _, err := br.Discard(int(dir)); err != nil {
		return nil
	}
	sector, err := br.Peek(min(size, br.Size()))
	if err != nil && len(sector) < 128 {
		return nil
	}
	names := map[string]bool{}
	for e := 0; e+128 <= len(sector); e += 128 {
		entry := sector[e : e+128]
		n := int(binary.LittleEndian.Uint16(entry[0x40:])) // bytes, with the terminating NUL
		if n < 2 || n > 64 || n%2 != 0 {
			continue
		}
		units := make([]uint16, n/2-1)
		for i := range units {
			units[i] = binary.LittleEndian.Uint16(entry[2*i:])
		}
		names[string(utf16.Decode(units))] = true
	}
	return names
}
