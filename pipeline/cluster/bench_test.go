package cluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/cluster"
)

// BenchmarkKMeans clusters 100,000 rows of 24 columns, drawn around 64
// centres, for exactly 10 iterations, and reports the time per
// iteration; k-means++ costs about one more iteration, shared out among
// the ten.
func BenchmarkKMeans(b *testing.B) {
	const rows, dim, iterations = 100_000, 24, 10
	rng := rand.New(rand.NewPCG(1, 2))
	centres := make([]float64, 64*dim)
	for i := range centres {
		centres[i] = 10 * rng.Float64()
	}
	data := make([]float64, rows*dim)
	for i := range rows {
		c := centres[rng.IntN(64)*dim:]
		for d := range dim {
			data[i*dim+d] = c[d] + 2*rng.NormFloat64()
		}
	}
	for _, k := range []int{64, 256} {
		b.Run(fmt.Sprintf("N=%d/D=%d/K=%d", rows, dim, k), func(b *testing.B) {
			cfg := cluster.Config{K: k, Seed: 1, MaxIter: iterations, Tol: 1e-300}
			total := 0
			for b.Loop() {
				r, err := cluster.KMeans(context.Background(), data, dim, cfg)
				if err != nil {
					b.Fatal(err)
				}
				total += r.Iterations
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/iter")
		})
	}
}
