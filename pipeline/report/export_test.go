package report

import "github.com/xuri/excelize/v2"

// SheetTexts writes the sheets of s as Write does, unfinished, and returns
// the text of each sheet that is not streamed as the book reads it back
// to fit its columns, and as excelize's GetRows reads it.
func SheetTexts(s Summary) (text, rows map[string][][]string, err error) {
	f := excelize.NewFile()
	defer f.Close()
	b := &book{f: f}
	if err := b.sheets(s); err != nil {
		return nil, nil, err
	}
	text, rows = map[string][][]string{}, map[string][][]string{}
	for _, sheet := range f.GetSheetList() {
		if b.streamed[sheet] {
			continue
		}
		if text[sheet], err = b.text(sheet); err != nil {
			return nil, nil, err
		}
		if rows[sheet], err = f.GetRows(sheet); err != nil {
			return nil, nil, err
		}
	}
	return text, rows, nil
}
