package segment_test

import (
	"fmt"

	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/variants"
)

func ExampleLabel() {
	fmt.Println(segment.Label(nil))
	// Travel has the highest lift; fuel, spent on no more than by all
	// cardholders, and luxury, too small a share, are not named.
	fmt.Println(segment.Label([]variants.Interest{
		{ID: "dining", Name: "Dining", Share: 0.45, Lift: 1.8},
		{ID: "travel", Name: "Travel", Share: 0.30, Lift: 3.2},
		{ID: "fuel", Name: "Fuel", Share: 0.20, Lift: 1},
		{ID: "luxury", Name: "Luxury", Share: 0.03, Lift: 6},
	}))
	// Only "other", unmapped spending, has lift: nothing to name.
	fmt.Println(segment.Label([]variants.Interest{
		{ID: "other", Name: "Other", Share: 0.81, Lift: 2.5},
		{ID: "fashion", Name: "Fashion", Share: 0.06, Lift: 0.7},
	}))
	// Output:
	// Mixed spending
	// Travel + Dining
	// Mixed spending
}
