package cluster

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestAssemblyAndGoAgree runs whole clusterings twice, with the
// assembly kernels and with the Go code that CPUs without AVX run, and
// checks that assignments, centroids, inertia and iterations are the
// same bit for bit.
func TestAssemblyAndGoAgree(t *testing.T) {
	if !useAVX {
		t.Skip("this CPU has no AVX: only the Go code runs")
	}
	data := profileData(3, 20_000)
	for _, k := range []int{7, 64, 300} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			cfg := Config{K: k, Seed: 5, MaxIter: 20}
			fast, _, err := kmeans(context.Background(), data, 24, cfg, options{})
			if err != nil {
				t.Fatal(err)
			}
			useAVX = false
			defer func() { useAVX = true }()
			slow, _, err := kmeans(context.Background(), data, 24, cfg, options{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fast.Assign, slow.Assign) {
				t.Error("assignments differ")
			}
			for i, v := range fast.Centroids {
				if math.Float64bits(v) != math.Float64bits(slow.Centroids[i]) {
					t.Fatalf("centroid value %d: %v with assembly, %v in Go", i, v, slow.Centroids[i])
				}
			}
			if math.Float64bits(fast.Inertia) != math.Float64bits(slow.Inertia) || fast.Iterations != slow.Iterations {
				t.Errorf("inertia %v after %d iterations with assembly, %v after %d in Go", fast.Inertia, fast.Iterations, slow.Inertia, slow.Iterations)
			}
		})
	}
}
