package ingest

import "testing"

// holderColumn must follow the order of cardholderSchema.
func TestHolderColumnOrder(t *testing.T) {
	if len(cardholderSchema.columns) != len(holderParser{}.idx) {
		t.Fatalf("%d columns, %d indexes", len(cardholderSchema.columns), len(holderParser{}.idx))
	}
	for k, c := range cardholderSchema.columns {
		if got := holderColumn(c.name); got != k {
			t.Errorf("holderColumn(%q) = %d, want %d", c.name, got, k)
		}
	}
}
