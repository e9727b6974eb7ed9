package profile

import (
	"math"
	"strings"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

// FeatureColumns says what some columns of pre-aggregated profiles mean,
// for the cardholders whose transactions gave no spend. The zero value
// gives them none.
type FeatureColumns struct {
	// Spend names the column of the cardholder's spend in the window, in
	// the campaign's currency (not cents): their spend level in labels.
	Spend string
	// Transactions names the column of their number of transactions in
	// the window: how active they are.
	Transactions string
	// NoHistory says the campaign has no transactions at all: the
	// relationship type of every cardholder but the cancelled is then
	// RelationshipUnknown, never "inactive".
	NoHistory bool
}

// ApplyFeatures attaches pre-aggregated features to the profiles: each row
// of the table becomes its cardholder's Features. For cardholders whose
// transactions gave no spend, columns named after an interest ("dining",
// "share_dining", "Home & garden") give the interest shares, normalised to
// sum to 1, so that variants can still pick blocks by interest, and the
// columns cols names give their spend and number of transactions.
func ApplyFeatures(tax *Taxonomy, profiles []Profile, t *ingest.FeatureTable, cols FeatureColumns) {
	interest := make([]int, len(t.Names))
	spend, count := -1, -1
	for i, name := range t.Names {
		interest[i] = -1
		if k, ok := tax.Category(strings.TrimPrefix(name, "share_")); ok {
			interest[i] = k
		}
		switch {
		case cols.Spend != "" && strings.EqualFold(name, cols.Spend):
			spend, interest[i] = i, -1
		case cols.Transactions != "" && strings.EqualFold(name, cols.Transactions):
			count, interest[i] = i, -1
		}
	}
	if cols.NoHistory {
		for i := range profiles {
			if p := &profiles[i]; !p.Cancelled {
				p.Relationship = RelationshipUnknown
			}
		}
	}
	for r, h := range t.Holders {
		p := &profiles[h]
		p.Features = append([]float64(nil), t.Row(r)...)
		if p.Spend > 0 {
			continue
		}
		if spend >= 0 && p.Features[spend] > 0 && p.Features[spend] < math.MaxInt64/200 {
			p.Spend = int64(math.Round(p.Features[spend] * 100))
		}
		if count >= 0 && p.Features[count] > 0 && p.Features[count] < math.MaxInt32 {
			p.Transactions = int(math.Round(p.Features[count]))
		}
		var sum float64
		for i, v := range p.Features {
			if interest[i] >= 0 && v > 0 {
				sum += v
			}
		}
		if sum == 0 {
			continue
		}
		for k := range p.Shares {
			p.Shares[k] = 0
		}
		for i, v := range p.Features {
			if interest[i] >= 0 && v > 0 {
				p.Shares[interest[i]] += v / sum
			}
		}
	}
}

// FeatureMatrix returns the clustering input of pre-aggregated profiles:
// the rows of the profiles that have Features, their columns standardised
// to zero mean and unit variance when standardise is set (a column with no
// variance becomes 0).
func FeatureMatrix(profiles []Profile, names []string, standardise bool) Features {
	f := Features{Names: append([]string(nil), names...), Dim: len(names)}
	for i := range profiles {
		if profiles[i].Features != nil {
			f.Rows = append(f.Rows, i)
			f.Data = append(f.Data, profiles[i].Features...)
		}
	}
	if !standardise || len(f.Rows) == 0 {
		return f
	}
	for c := 0; c < f.Dim; c++ {
		var mean, m2 float64
		for r := range f.Rows {
			mean += f.Data[r*f.Dim+c]
		}
		mean /= float64(len(f.Rows))
		for r := range f.Rows {
			d := f.Data[r*f.Dim+c] - mean
			m2 += d * d
		}
		sd := math.Sqrt(m2 / float64(len(f.Rows)))
		for r := range f.Rows {
			v := 0.0
			if sd > 0 {
				v = (f.Data[r*f.Dim+c] - mean) / sd
			}
			f.Data[r*f.Dim+c] = v
		}
	}
	return f
}
