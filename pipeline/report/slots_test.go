package report

import (
	"testing"

	"github.com/tailor-mail/tailor/variants"
)

func TestSlotsText(t *testing.T) {
	tests := []struct {
		name  string
		slots []variants.Slot
		want  string
	}{
		{"none", nil, ""},
		{"every member matched", []variants.Slot{{Name: "tier", Alternatives: []variants.Alternative{
			{Block: "tier-gold", Recipients: 98}, {Block: "tier-green", Recipients: 278}}}},
			"tier: tier-gold 98, tier-green 278"},
		{"two slots, some unmatched", []variants.Slot{
			{Name: "tier", Alternatives: []variants.Alternative{{Block: "tier-gold", Recipients: 3}}, Unmatched: 4},
			{Name: "retention", Alternatives: []variants.Alternative{{Block: "retention-winback", Recipients: 0}}}},
			"tier: tier-gold 3, none 4; retention: retention-winback 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slotsText(tt.slots); got != tt.want {
				t.Errorf("slotsText = %q, want %q", got, tt.want)
			}
		})
	}
}
