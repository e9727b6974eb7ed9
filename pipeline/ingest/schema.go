package ingest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tailor-mail/tailor/variants"
)

// cardholderIDAliases are the header names that mean cardholder_id in
// every input.
var cardholderIDAliases = []string{"customer_id", "cust_id", "client_id", "card_ref", "member_id"}

// column is one of tailor's columns of an input.
type column struct {
	name     string
	required bool
	aliases  []string // other header names that mean this column
}

// schema is the set of columns of one kind of input.
type schema struct {
	columns []column
	// oneOf lists groups of columns of which at least one is required.
	oneOf [][]string
	// insteadOf lists, by required column, columns that stand in for it
	// when all of them are there: debit and credit for amount.
	insteadOf map[string][]string
	// attrs says whether unknown columns become attributes.
	attrs bool
}

var (
	cardholderSchema = schema{
		columns: []column{
			{"cardholder_id", true, cardholderIDAliases},
			{"first_name", true, []string{"firstname", "given_name"}},
			{"last_name", false, []string{"lastname", "surname", "family_name"}},
			{"email", true, []string{"email_address", "e_mail"}},
			{"locale", false, []string{"language"}},
			{"tier", false, []string{"card_tier", "product"}},
			{"member_since", false, []string{"open_date", "opened_on"}},
			{"status", false, []string{"account_status"}},
			{"cancelled_on", false, []string{"canceled_on", "closed_on", "cancel_date"}},
			{"cancel_reason", false, []string{"cancellation_reason", "close_reason"}},
			{"marketing_consent", true, []string{"consent", "opt_in", "email_opt_in"}},
		},
		attrs: true,
	}
	transactionSchema = schema{
		columns: []column{
			{"cardholder_id", true, cardholderIDAliases},
			{"posted_on", true, []string{"posting_date", "post_date", "transaction_date", "date"}},
			{"amount", true, []string{"amount_usd", "value"}},
			{"currency", false, []string{"currency_code", "ccy"}},
			{"mcc", false, []string{"merchant_category_code", "mcc_code"}},
			{"category", false, []string{"spend_category", "merchant_category"}},
			{"merchant", false, []string{"merchant_name", "description"}},
			{"channel", false, []string{"pos_channel"}},
			{"country", false, []string{"merchant_country", "country_code"}},
			{"debit", false, []string{"debit_amount", "debits", "paid_out", "money_out"}},
			{"credit", false, []string{"credit_amount", "credits", "paid_in", "money_in"}},
		},
		oneOf:     [][]string{{"mcc", "category"}},
		insteadOf: map[string][]string{"amount": {"debit", "credit"}},
	}
)

// binding says where each of tailor's columns is in a file.
type binding struct {
	file   string
	header []string
	width  int
	index  map[string]int // tailor's column name -> field index
	names  []string       // field index -> tailor's column name or attribute name
	attrs  []attrColumn
}

type attrColumn struct {
	name  string
	index int
}

// normalizeHeader lower-cases a header name and turns spaces, dashes and
// dots into underscores.
func normalizeHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '/':
			return '_'
		}
		return r
	}, h)
}

// bind matches a header row to a schema, applying the format's column
// mapping first, then tailor's names and their common aliases.
func bind(file string, header []string, s schema, f Format) (*binding, error) {
	b := &binding{file: file, header: header, width: len(header), index: map[string]int{}, names: make([]string, len(header))}
	known := map[string]string{} // name or alias -> column
	for _, c := range s.columns {
		known[c.name] = c.name
		for _, a := range c.aliases {
			known[a] = c.name
		}
	}
	mapping := map[string]string{}
	used := map[string]bool{}
	for from, to := range f.Columns {
		target := normalizeHeader(to)
		if _, ok := known[target]; !ok || known[target] != target {
			return nil, &FileError{File: file, Err: fmt.Errorf("column mapping %q = %q: %q is not a column of this input (columns: %s)", from, to, to, s.names())}
		}
		mapping[normalizeHeader(from)] = target
	}
	for i, h := range header {
		n := normalizeHeader(h)
		if n == "" {
			continue
		}
		name, mapped := mapping[n]
		if mapped {
			used[n] = true
		} else if name = known[n]; name == "" {
			if s.attrs {
				b.attrs = append(b.attrs, attrColumn{name: attrName(n), index: i})
				b.names[i] = attrName(n)
			}
			continue
		}
		if prev, dup := b.index[name]; dup {
			return nil, &FileError{File: file, Line: 1, Column: i + 1,
				Err: fmt.Errorf("columns %d (%q) and %d (%q) are both %s", prev+1, header[prev], i+1, h, name)}
		}
		b.index[name] = i
		b.names[i] = name
	}
	var missing []string
	for from := range mapping {
		if !used[from] {
			missing = append(missing, from)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &FileError{File: file, Line: 1, Err: &MissingColumnsError{Mapping: true, Columns: missing, Header: header}}
	}
	for _, c := range s.columns {
		if _, ok := b.index[c.name]; !ok && c.required {
			if alt := s.insteadOf[c.name]; len(alt) > 0 {
				var have, lack []string
				for _, a := range alt {
					if _, ok := b.index[a]; ok {
						have = append(have, a)
					} else {
						lack = append(lack, a)
					}
				}
				if len(lack) == 0 {
					continue
				}
				if len(have) > 0 {
					return nil, &FileError{File: file, Line: 1,
						Err: fmt.Errorf("missing column %s: without %q, the file needs all of %s (header has: %s)",
							strings.Join(quoteAll(lack), ", "), c.name, strings.Join(quoteAll(alt), ", "), strings.Join(header, ", "))}
				}
			}
			return nil, &FileError{File: file, Line: 1,
				Err: fmt.Errorf("missing required column %q (header has: %s); map it with a column mapping if it has another name", c.name, strings.Join(header, ", "))}
		}
	}
	for _, group := range s.oneOf {
		found := false
		for _, name := range group {
			_, ok := b.index[name]
			found = found || ok
		}
		if !found {
			return nil, &FileError{File: file, Line: 1,
				Err: fmt.Errorf("missing column: want one of %s (header has: %s)", strings.Join(quoteAll(group), ", "), strings.Join(header, ", "))}
		}
	}
	return b, nil
}

// attrName makes a header name usable as a template map key:
// letters, digits and underscores.
func attrName(n string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, n)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func (s schema) names() string {
	var ns []string
	for _, c := range s.columns {
		ns = append(ns, c.name)
	}
	return strings.Join(ns, ", ")
}

// column returns the 1-based position of a column, 0 if absent.
func (b *binding) column(name string) int {
	if i, ok := b.index[name]; ok {
		return i + 1
	}
	return 0
}

// rowProblem checks what every row of any input must satisfy: well-formed
// quoting, the header's number of fields, and no card number in any field.
func (b *binding) rowProblem(line int, fields [][]byte, serr *scanError) *RowError {
	return b.rowProblemBut(line, fields, serr, -1)
}

// rowProblemBut is rowProblem that leaves field skip unchecked for a card
// number, for a reader that checks it later.
func (b *binding) rowProblemBut(line int, fields [][]byte, serr *scanError, skip int) *RowError {
	if serr != nil {
		return &RowError{File: b.file, Line: line + serr.Line, Column: serr.Column, Err: serr.Err}
	}
	if len(fields) != b.width {
		return &RowError{File: b.file, Line: line, Err: ErrFieldCount, Detail: fmt.Sprintf("got %d, want %d", len(fields), b.width)}
	}
	for i, f := range fields {
		if len(f) >= 13 && i != skip && LooksLikeCardNumber(f) { // most fields are shorter than any card number
			return &RowError{File: b.file, Line: line, Column: i + 1, Field: b.names[i], Value: string(f), Err: ErrCardNumber}
		}
	}
	return nil
}

// MissingColumnsError says that columns the campaign names are not in a
// file's header: those of a column mapping (Format.Columns), or the
// feature columns asked of pre-aggregated profiles. It is the campaign
// that is wrong, or the file that is not the one it describes.
type MissingColumnsError struct {
	// Mapping is true for a column mapping's names, false for feature
	// columns; Filter is "include" or "exclude" for a row filter's column.
	Mapping bool
	Filter  string
	Columns []string
	Header  []string
}

func (e *MissingColumnsError) Error() string {
	what := "feature columns %s not in the header"
	switch {
	case e.Mapping:
		what = "column mapping names %s, not in the header"
	case e.Filter != "":
		what = e.Filter + " filter on %s, not in the header"
	}
	msg := fmt.Sprintf(what, strings.Join(quoteAll(e.Columns), ", "))
	var hints []string
	for _, c := range e.Columns {
		if h := variants.Closest(c, e.Header); h != "" {
			hints = append(hints, fmt.Sprintf("%q for %q", h, c))
		}
	}
	msg += " (header has: " + strings.Join(e.Header, ", ") + ")"
	if len(hints) > 0 {
		msg += "; did you mean " + strings.Join(hints, ", ") + "?"
	}
	return msg
}
