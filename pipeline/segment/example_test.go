package segment_test

import (
	"fmt"

	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/variants"
)

func ExampleMergeSmall() {
	// Nine cardholders on one feature: five at 0, three at 10, one at 11,
	// in three clusters. With a minimum of four, the one at 11 joins its
	// nearest neighbour.
	data := []float64{0, 0, 0, 0, 0, 10, 10, 10, 11}
	assign := []int32{0, 0, 0, 0, 0, 1, 1, 1, 2}
	centroids, sizes, k := segment.MergeSmall(data, 1, assign, []float64{0, 10, 11}, 3, 4)
	fmt.Println(k, sizes, centroids)
	fmt.Println(assign)
	// Output:
	// 2 [5 4] [0 10.25]
	// [0 0 0 0 0 1 1 1 1]
}

func ExampleLabel() {
	fmt.Println(segment.Label(nil))
	fmt.Println(segment.Label([]variants.Interest{{ID: "dining", Name: "Dining"}, {ID: "travel", Name: "Travel"}, {ID: "fuel", Name: "Fuel"}}))
	// Output:
	// Mixed spending
	// Dining + Travel
}
