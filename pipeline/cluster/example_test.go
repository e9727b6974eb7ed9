package cluster_test

import (
	"context"
	"fmt"
	"log"

	"github.com/tailor-mail/tailor/pipeline/cluster"
)

func ExampleKMeans() {
	// Seven points in two dimensions, one per row.
	points := []float64{
		0, 0,
		10, 10,
		0, 1,
		11, 10,
		1, 0,
		10, 11,
		11, 11,
	}
	r, err := cluster.KMeans(context.Background(), points, 2, cluster.Config{K: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sizes:", r.Sizes)
	fmt.Println("assign:", r.Assign)
	for k := range r.K {
		fmt.Printf("centroid %d: %.2f\n", k, r.Centroid(k))
	}
	// Output:
	// sizes: [4 3]
	// assign: [1 0 1 0 1 0 0]
	// centroid 0: [10.50 10.50]
	// centroid 1: [0.33 0.33]
}

func ExampleConfig_minSize() {
	// Ten rows at 0, ten at 10, and two at 4 and 7: three clusters
	// from these starting centroids, the third too small. It merges into
	// the cluster at 10, its nearest; k-means then goes on, and the row
	// at 4, nearer 0 than the merged centroid, moves there.
	points := []float64{4, 7}
	for range 10 {
		points = append(points, 0, 10)
	}
	cfg := cluster.Config{K: 3, Start: []float64{0, 10, 5.5}, MinSize: 3}
	r, err := cluster.KMeans(context.Background(), points, 1, cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("clusters:", r.K, "merged:", r.Merged)
	fmt.Println("sizes:", r.Sizes)
	fmt.Printf("centroids: %.3f\n", r.Centroids)
	fmt.Printf("inertia: %.3f\n", r.Inertia)
	// Output:
	// clusters: 2 merged: 1
	// sizes: [11 11]
	// centroids: [0.364 9.727]
	// inertia: 22.727
}
