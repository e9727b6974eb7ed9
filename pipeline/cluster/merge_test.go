package cluster

import (
	"context"
	"math"
	"slices"
	"testing"
)

func TestMergeSmall(t *testing.T) {
	// Three groups on a line: 5 rows at 0, 3 at 10, 1 at 11.
	line := []float64{0, 0, 0, 0, 0, 10, 10, 10, 11}
	tests := []struct {
		name      string
		data      []float64
		dim       int
		assign    []int32 // a canonical clustering: sizes non-increasing
		centroids []float64
		min       int
		// What mergeSmall returns.
		wantK         int
		wantInto      []int
		wantCentroids []float64
	}{
		{
			// The single row joins its nearest neighbour (10); that
			// cluster of 4 is large enough.
			name: "a small cluster joins its nearest neighbour", data: line, dim: 1,
			assign: []int32{0, 0, 0, 0, 0, 1, 1, 1, 2}, centroids: []float64{0, 10, 11}, min: 4,
			wantK: 2, wantInto: []int{0, 1, 1}, wantCentroids: []float64{0, 10.25},
		},
		{
			name: "a minimum no cluster reaches leaves one cluster", data: line, dim: 1,
			assign: []int32{0, 0, 0, 0, 0, 1, 1, 1, 2}, centroids: []float64{0, 10, 11}, min: 100,
			wantK: 1, wantInto: []int{0, 0, 0}, wantCentroids: []float64{41.0 / 9},
		},
		{
			// The smallest merges first: the row at 0 joins the two at
			// 10, which are then large enough to stay. Were the two at 10
			// merged first, they would join the ten at 12.
			name:   "smallest first",
			data:   []float64{0, 10, 10, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12},
			assign: []int32{2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, centroids: []float64{12, 10, 0}, dim: 1, min: 3,
			wantK: 2, wantInto: []int{0, 1, 1}, wantCentroids: []float64{12, 20.0 / 3},
		},
		{
			// Two small clusters of one row each: the first in the
			// numbering merges first, into the other, and the two are
			// then large enough.
			name:   "a small cluster may join another",
			data:   []float64{0, 0, 0, 0, 10, 11, 30, 30, 30, 30},
			assign: []int32{0, 0, 0, 0, 2, 3, 1, 1, 1, 1}, centroids: []float64{0, 30, 10, 11}, dim: 1, min: 2,
			wantK: 3, wantInto: []int{0, 1, 2, 2}, wantCentroids: []float64{0, 30, 10.5},
		},
		{
			// The row at 5 is as near 0 as 10: it joins the first.
			name:   "ties in distance go to the lowest number",
			data:   []float64{0, 0, 0, 10, 10, 10, 5},
			assign: []int32{0, 0, 0, 1, 1, 1, 2}, centroids: []float64{0, 10, 5}, dim: 1, min: 2,
			wantK: 2, wantInto: []int{0, 1, 0}, wantCentroids: []float64{1.25, 10},
		},
		{
			name: "no minimum drops empty clusters",
			data: []float64{1, 1, 5, 5, 5}, assign: []int32{1, 1, 0, 0, 0}, centroids: []float64{5, 1, 3}, dim: 1,
			wantK: 2, wantInto: []int{0, 1, -1}, wantCentroids: []float64{5, 1},
		},
		{
			// The third cluster's centroid is nearer the second.
			name: "two dimensions",
			data: []float64{0, 0, 0, 2, 9, 9, 10, 10, 10, 11}, dim: 2,
			assign: []int32{0, 0, 2, 1, 1}, centroids: []float64{0, 1, 10, 10.5, 9, 9}, min: 2,
			wantK: 2, wantInto: []int{0, 1, 1}, wantCentroids: []float64{0, 1, 29.0 / 3, 10},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := newMatrix(tt.data, tt.dim)
			if err != nil {
				t.Fatal(err)
			}
			r := &Result{K: len(tt.centroids) / tt.dim, Dim: tt.dim, Assign: slices.Clone(tt.assign),
				Centroids: slices.Clone(tt.centroids)}
			r.Sizes = make([]int, r.K)
			for _, a := range r.Assign {
				r.Sizes[a]++
			}
			k, into, centroids := mergeSmall(m, r, tt.min)
			if k != tt.wantK || !slices.Equal(into, tt.wantInto) || !slices.Equal(centroids, tt.wantCentroids) {
				t.Errorf("mergeSmall = %d, %v, %v; want %d, %v, %v", k, into, centroids, tt.wantK, tt.wantInto, tt.wantCentroids)
			}
			if !slices.Equal(r.Assign, tt.assign) || !slices.Equal(r.Centroids, tt.centroids) {
				t.Errorf("mergeSmall modified the clustering")
			}
		})
	}
}

// TestKMeansMinSize checks that a clustering with small clusters merged
// reports the inertia of its final clusters, and that those are k-means
// clusters: before the fix, the inertia reported was that of the
// clusters before merging, and the merged clusters kept rows nearer
// another centroid.
func TestKMeansMinSize(t *testing.T) {
	tests := []struct {
		name  string
		data  []float64 // one column
		start []float64 // the first run's centroids
		min   int
		// The first run's clusters, as k-means leaves them, and the
		// inertia of their merge, which the first run's inertia is not.
		firstSizes    []int
		firstInertia  float64
		mergedInertia float64
		// The final clustering.
		wantAssign     []int32
		wantCentroids  []float64
		wantInertia    float64
		wantMerged     int
		wantIterations int
	}{
		{
			// Ten rows at 0, ten at 10, and a cluster of two rows, at 4
			// and 7, whose centroid 5.5 is nearer 10. Merged into the
			// rows at 10, the row at 4 is nearer 0 (4 away) than the
			// merged centroid 111/12 (5.25 away); Lloyd's iterations from
			// the merged means send it to the rows at 0.
			name:  "a merged row moves to a nearer centroid",
			data:  []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 7, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10},
			start: []float64{0, 10, 5.5}, min: 3,
			firstSizes: []int{10, 10, 2}, firstInertia: 4.5, mergedInertia: 38.25,
			wantAssign:    []int32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
			wantCentroids: []float64{4.0 / 11, 107.0 / 11},
			// 10*(4/11)^2 + (40/11)^2 + 10*(3/11)^2 + (30/11)^2
			wantInertia: 2750.0 / 121, wantMerged: 1,
			// One in the first run, whose start is already k-means
			// clusters, one after the merge.
			wantIterations: 2,
		},
		{
			// Ten rows at 2, three at 6, 10 and 11, two at 12 and 17, ten
			// at 21, with a minimum of 4. The two join the three (their
			// centroids 14.5 and 9 are 5.5 apart; 21 is 6.5 away), but
			// the rows at 6 and 17 are then nearer 2 and 21 than the
			// merged centroid 11.2: Lloyd's iterations leave the merged
			// cluster with three rows, and it merges again, into the
			// rows at 2 (its centroid 11 is 95/11 from theirs, 106/11
			// from those at 21).
			name:  "a cluster left too small by the iterations merges again",
			data:  []float64{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 6, 10, 11, 12, 17, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21},
			start: []float64{2, 9, 14.5, 21}, min: 4,
			firstSizes: []int{10, 10, 3, 2}, firstInertia: 26.5, mergedInertia: 62.8,
			wantAssign:    []int32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
			wantCentroids: []float64{59.0 / 14, 227.0 / 11},
			// 10*(31/14)^2 + (25/14)^2 + (81/14)^2 + (95/14)^2 +
			// (109/14)^2 + (40/11)^2 + 10*(4/11)^2
			wantInertia: 37702.0/196 + 1760.0/121, wantMerged: 2,
			// One in each of the three runs.
			wantIterations: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := len(tt.start)
			// Before the fix: k-means, then the merge, and the first
			// run's inertia and iterations reported for the merged
			// clusters.
			first, err := KMeans(context.Background(), tt.data, 1, Config{K: k, Start: tt.start})
			if err != nil {
				t.Fatal(err)
			}
			m, _ := newMatrix(tt.data, 1)
			_, into, merged := mergeSmall(m, first, tt.min)
			mergedAssign := make([]int32, len(first.Assign))
			for i, a := range first.Assign {
				mergedAssign[i] = int32(into[a])
			}
			if !slices.Equal(first.Sizes, tt.firstSizes) || first.Inertia != tt.firstInertia {
				t.Fatalf("first run: sizes %v, inertia %g; want %v, %g", first.Sizes, first.Inertia, tt.firstSizes, tt.firstInertia)
			}
			if got := inertiaOf(tt.data, 1, mergedAssign, merged); math.Abs(got-tt.mergedInertia) > 1e-9*tt.mergedInertia ||
				got == first.Inertia {
				t.Errorf("merged clusters: inertia %g, want %g, not the %g reported before the fix", got, tt.mergedInertia, first.Inertia)
			}
			if i, c := nearerCentroid(tt.data, 1, mergedAssign, merged); i < 0 {
				t.Errorf("merged clusters: every row is nearest its own centroid; the fixture shows nothing")
			} else {
				t.Logf("merged clusters: row %d (%g) is nearer centroid %d than its own", i, tt.data[i], c)
			}

			// After: the same run with MinSize.
			cfg := Config{K: k, Start: tt.start, MinSize: tt.min}
			r, err := KMeans(context.Background(), tt.data, 1, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Assign, tt.wantAssign) || r.Merged != tt.wantMerged || r.K != k-tt.wantMerged {
				t.Errorf("Assign = %v, K %d, Merged %d; want %v, %d, %d", r.Assign, r.K, r.Merged, tt.wantAssign, k-tt.wantMerged, tt.wantMerged)
			}
			if len(r.Centroids) != len(tt.wantCentroids) {
				t.Fatalf("Centroids = %v, want %v", r.Centroids, tt.wantCentroids)
			}
			for c, want := range tt.wantCentroids {
				if math.Abs(r.Centroids[c]-want) > 1e-12*math.Abs(want) {
					t.Errorf("Centroids = %v, want %v", r.Centroids, tt.wantCentroids)
					break
				}
			}
			if r.Iterations != tt.wantIterations || !r.Converged {
				t.Errorf("Iterations = %d, Converged %t; want %d, true", r.Iterations, r.Converged, tt.wantIterations)
			}
			// The inertia is that of the final clusters, computed anew.
			if want := inertiaOf(tt.data, 1, r.Assign, r.Centroids); math.Abs(r.Inertia-want) > 1e-9*want {
				t.Errorf("Inertia = %.17g, recomputed %.17g", r.Inertia, want)
			}
			if math.Abs(r.Inertia-tt.wantInertia) > 1e-9*tt.wantInertia {
				t.Errorf("Inertia = %.17g, want %.17g", r.Inertia, tt.wantInertia)
			}
			if i, c := nearerCentroid(tt.data, 1, r.Assign, r.Centroids); i >= 0 {
				t.Errorf("row %d (%g) of cluster %d is nearer centroid %d", i, tt.data[i], r.Assign[i], c)
			}
			for c, n := range r.Sizes {
				if n < tt.min {
					t.Errorf("cluster %d has %d rows, below the minimum %d", c, n, tt.min)
				}
			}
		})
	}
}

// inertiaOf returns the sum of the squared distances of the rows of
// data to the centroids assign gives them, in row and column order.
func inertiaOf(data []float64, dim int, assign []int32, centroids []float64) float64 {
	var s float64
	for i, a := range assign {
		for d := range dim {
			e := data[i*dim+d] - centroids[int(a)*dim+d]
			s += e * e
		}
	}
	return s
}

// nearerCentroid returns the first row that is nearer another centroid
// than the one assign gives it, and that centroid; -1, -1 if none is.
func nearerCentroid(data []float64, dim int, assign []int32, centroids []float64) (row, centroid int) {
	dist := func(i, c int) float64 {
		var s float64
		for d := range dim {
			e := data[i*dim+d] - centroids[c*dim+d]
			s += e * e
		}
		return s
	}
	for i, a := range assign {
		own := dist(i, int(a))
		for c := range len(centroids) / dim {
			if dist(i, c) < own {
				return i, c
			}
		}
	}
	return -1, -1
}
