package main

import "testing"

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name   string
		counts map[string]int
		want   string
	}{
		{"starting", map[string]int{"due": 1000},
			"  sending: 0 of 1000 sent, 0 deferred, 0 failed, 0 uncertain, 0 in flight, 0/s"},
		{"under way", map[string]int{"due": 10000, "sent": 2000, "failed": 10, "skipped": 40, "deferred": 3, "in_flight": 16, "rate": 2500},
			"  sending: 2000 of 10000 sent, 3 deferred, 10 failed, 0 uncertain, 16 in flight, 2500/s, about 3s left"},
		{"an hour to go", map[string]int{"due": 927534, "sent": 27534, "rate": 250},
			"  sending: 27534 of 927534 sent, 0 deferred, 0 failed, 0 uncertain, 0 in flight, 250/s, about 1h0m0s left"},
		{"only deferred left", map[string]int{"due": 100, "sent": 98, "uncertain": 2, "deferred": 5, "rate": 40},
			"  sending: 98 of 100 sent, 5 deferred, 0 failed, 2 uncertain, 0 in flight, 40/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressLine(tt.counts); got != tt.want {
				t.Errorf("progressLine:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
