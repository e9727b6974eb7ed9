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
