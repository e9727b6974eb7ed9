package pipeline

import (
	"reflect"
	"strings"
	"testing"
)

// TestCountsRoundTrip writes every stage's outcome as the manifest records
// it and reads it back: a count written under one name and read under
// another would come back wrong here.
func TestCountsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		out  outcome
		want map[string]int
	}{
		{"ingest", &ingested{Read: map[string]int{"cardholders": 3, "transactions": 9}, Accepted: map[string]int{"cardholders": 2, "transactions": 8},
			Rejected: map[string]int{"cardholders": 1, "transactions": 1}, Merchants: 4},
			map[string]int{"cardholders_read": 3, "cardholders_accepted": 2, "cardholders_rejected": 1,
				"transactions_read": 9, "transactions_accepted": 8, "transactions_rejected": 1, "merchants": 4}},
		{"profile", &profiled{Audience: Audience{Cardholders: 10, Mail: 5, NoConsent: 2, Cancelled: 2, NoSpend: 1},
			Relationships: map[string]int{"lapsing": 3, "lost": 0}, InWindow: 40, OutsideWindow: 2, UnmappedMCC: 1},
			map[string]int{"profiles": 10, "mail": 5, "no_consent": 2, "cancelled": 2, "no_spend": 1, "relationship_lapsing": 3,
				"relationship_lost": 0, "transactions_in_window": 40, "transactions_outside_window": 2, "unmapped_mcc_transactions": 1,
				"transactions_before_window": 0, "transactions_after_window": 0, "transactions_credits_left_out": 0}},
		{"cluster", &clustered{Clusters: 3, Clustered: 90, Iterations: 7},
			map[string]int{"clusters": 3, "clustered": 90, "iterations": 7}},
		{"cluster after a month", &clustered{Clusters: 3, Clustered: 90, Iterations: 7, Continuity: &continuity{Matched: 2, Born: 1, Retired: 0, Changed: 11}},
			map[string]int{"clusters": 3, "clustered": 90, "iterations": 7, "clusters_matched": 2, "clusters_born": 1,
				"clusters_retired": 0, "cardholders_changed_variant": 11}},
		{"variants", &planned{Variants: 3, OnDefaultBlocks: 1, WithTierBlock: 2, WithRetentionBlock: 3, Distinct: &distinctCount{Newsletters: 2}},
			map[string]int{"variants": 3, "variants_on_default_blocks": 1, "variants_with_tier_block": 2, "variants_with_retention_block": 3,
				"distinct_newsletters": 2}},
		// A manifest written before the distinct newsletters were counted.
		{"variants before distinct", &planned{Variants: 3, OnDefaultBlocks: 1, WithTierBlock: 2, WithRetentionBlock: 3},
			map[string]int{"variants": 3, "variants_on_default_blocks": 1, "variants_with_tier_block": 2, "variants_with_retention_block": 3}},
		{"render", &rendered{Variants: 3, SamplesToCardholders: 2, SamplesToPreview: 1, Rendered: 1, Kept: 2},
			map[string]int{"variants": 3, "samples_to_cardholders": 2, "samples_to_preview_recipient": 1, "variants_rendered": 1, "variants_kept": 2}},
		{"report", &reported{Sheets: 6, LostCustomers: 4, UnmappedCodes: 0},
			map[string]int{"sheets": 6, "lost_customers": 4, "unmapped_codes": 0}},
		{"outbox", &outboxed{Messages: 9, Refused: 1}, map[string]int{"messages": 9, "refused": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := countsOf(tt.out)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("countsOf = %v\nwant %v", got, tt.want)
			}
			back := reflect.New(reflect.TypeOf(tt.out).Elem())
			if err := readCounts(got, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Interface(), tt.out) {
				t.Errorf("read back %+v\nwant %+v", back.Interface(), tt.out)
			}
		})
	}
}

func TestReadCountsMissing(t *testing.T) {
	var p planned
	err := readCounts(map[string]int{"variants": 3, "variants_with_tier_block": 1}, &p)
	if err == nil || !strings.Contains(err.Error(), `"variants_on_default_blocks"`) || !strings.Contains(err.Error(), `"variants_with_retention_block"`) {
		t.Errorf("error %v: want the two missing counts named", err)
	}
	// An optional group with some of its counts is missing the others.
	var c clustered
	err = readCounts(map[string]int{"clusters": 1, "clustered": 1, "iterations": 1, "clusters_born": 1}, &c)
	if err == nil || !strings.Contains(err.Error(), `"clusters_matched"`) {
		t.Errorf("error %v", err)
	}
}
