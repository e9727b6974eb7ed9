package pipeline

import (
	"reflect"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/report"
	"github.com/tailor-mail/tailor/variants"
)

// members sums each variant's members: spend medians (the lower middle of
// an even count) and means, tiers, and the mean share of wallet; a
// profile of an unknown variant, or of one past n, counts nowhere.
func TestMembers(t *testing.T) {
	holder := func(tier string) *ingest.Cardholder { return &ingest.Cardholder{Tier: tier} }
	p := func(tier string, spend, ticket int64, tx, months int, shares ...float64) profile.Profile {
		return profile.Profile{Cardholder: holder(tier), Spend: spend, AverageTicket: ticket, Transactions: tx, ActiveMonths: months, Shares: shares}
	}
	in := reportIn{
		profiles: []profile.Profile{
			p("gold", 300, 30, 10, 2, 1, 0),
			p("green", 100, 10, 2, 1, 0.5, 0.5),
			p("gold", 900, 90, 6, 3, 0, 1),
			p("gold", 500, 50, 4, 4, 0, 1),
			p("platinum", 700, 70, 8, 4, 1, 0),
			p("gold", 1, 1, 1, 1, 1, 0),
			p("gold", 2, 2, 1, 1, 1, 0),
		},
		assigned: assignment{"v2", "v2", "v2", "v2", "v1", "v9", "v3"},
		plan:     &variants.Plan{Variants: []variants.Variant{{ID: "v1"}, {ID: "v2"}, {ID: "v3"}}},
	}
	got, wallets := members(in, 2, 2)
	want := []report.Members{
		{MedianSpend: 700, MeanSpend: 700, AverageTicket: 70, Transactions: 8, ActiveMonths: 4, Tiers: map[string]int{"platinum": 1}},
		{MedianSpend: 300, MeanSpend: 450, AverageTicket: 30, Transactions: 5.5, ActiveMonths: 2.5, Tiers: map[string]int{"gold": 3, "green": 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members\n%+v\nwant\n%+v", got, want)
	}
	if want := [][]float64{{1, 0}, {0.375, 0.625}}; !reflect.DeepEqual(wallets, want) {
		t.Errorf("wallets %v, want %v", wallets, want)
	}
}
