package segment

import (
	"slices"
	"testing"
)

func TestMergeSmall(t *testing.T) {
	// Three groups on a line: 5 points at 0, 3 at 10, 1 at 11.
	line := []float64{0, 0, 0, 0, 0, 10, 10, 10, 11}
	tests := []struct {
		name      string
		data      []float64
		assign    []int32
		centroids []float64
		k, min    int
		// What MergeSmall returns, and assign after it.
		wantCentroids []float64
		wantSizes     []int
		wantK         int
		wantAssign    []int32
	}{
		{
			// The single point joins its nearest neighbour (10); that
			// cluster of 4 is large enough.
			name: "a small cluster joins its nearest neighbour", data: line,
			assign: []int32{0, 0, 0, 0, 0, 1, 1, 1, 2}, centroids: []float64{0, 10, 11}, k: 3, min: 4,
			wantCentroids: []float64{0, 10.25}, wantSizes: []int{5, 4}, wantK: 2,
			wantAssign: []int32{0, 0, 0, 0, 0, 1, 1, 1, 1},
		},
		{
			name: "a minimum no cluster reaches leaves one cluster", data: line,
			assign: []int32{0, 0, 0, 0, 0, 1, 1, 1, 2}, centroids: []float64{0, 10, 11}, k: 3, min: 100,
			wantCentroids: []float64{41.0 / 9}, wantSizes: []int{9}, wantK: 1,
			wantAssign: []int32{0, 0, 0, 0, 0, 0, 0, 0, 0},
		},
		{
			// The smallest merges first: the point at 0 joins the two at
			// 10, which are then large enough to stay. Were the two at 10
			// merged first, they would join the ten at 12.
			name:   "smallest first",
			data:   []float64{0, 10, 10, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12},
			assign: []int32{0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, centroids: []float64{0, 10, 12}, k: 3, min: 3,
			wantCentroids: []float64{12, 20.0 / 3}, wantSizes: []int{10, 3}, wantK: 2,
			wantAssign: []int32{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		},
		{
			name: "no minimum renumbers by decreasing size and drops empty clusters",
			data: []float64{1, 1, 5, 5, 5}, assign: []int32{0, 0, 2, 2, 2}, centroids: []float64{1, 3, 5}, k: 3,
			wantCentroids: []float64{5, 1}, wantSizes: []int{3, 2}, wantK: 2,
			wantAssign: []int32{1, 1, 0, 0, 0},
		},
		{
			name: "ties in size keep the order of index",
			data: []float64{1, 1, 5, 5}, assign: []int32{1, 1, 0, 0}, centroids: []float64{5, 1}, k: 2,
			wantCentroids: []float64{5, 1}, wantSizes: []int{2, 2}, wantK: 2,
			wantAssign: []int32{1, 1, 0, 0},
		},
		{
			name: "two dimensions",
			data: []float64{0, 0, 0, 2, 9, 9, 10, 10, 10, 11},
			// The second cluster's centroid is nearer the third.
			assign: []int32{0, 0, 1, 2, 2}, centroids: []float64{0, 1, 9, 9, 10, 10.5}, k: 3, min: 2,
			wantCentroids: []float64{29.0 / 3, 10, 0, 1}, wantSizes: []int{3, 2}, wantK: 2,
			wantAssign: []int32{1, 1, 0, 0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assign := slices.Clone(tt.assign)
			dim := len(tt.centroids) / tt.k
			centroids, sizes, k := MergeSmall(tt.data, dim, assign, tt.centroids, tt.k, tt.min)
			if k != tt.wantK || !slices.Equal(sizes, tt.wantSizes) || !slices.Equal(centroids, tt.wantCentroids) {
				t.Errorf("MergeSmall = %v, %v, %d; want %v, %v, %d", centroids, sizes, k, tt.wantCentroids, tt.wantSizes, tt.wantK)
			}
			if !slices.Equal(assign, tt.wantAssign) {
				t.Errorf("assign = %v, want %v", assign, tt.wantAssign)
			}
		})
	}
}
