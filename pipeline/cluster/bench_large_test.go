package cluster

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// profileData returns rows*24 values shaped like cardholder profiles:
// 18 interest shares drawn from a Dirichlet mixture around 300 personas
// (persona popularity ~ 1/(rank+10); each persona a Dirichlet(0.4)
// draw, each row a Dirichlet(30*persona) draw, shares under 1% zeroed
// and the rest renormalised, so rows are sparse), then 6 behaviour
// features (persona mean plus unit noise), standardised per column.
func profileData(seed uint64, rows int) []float64 {
	const dim, interests, personas = 24, 18, 300
	rng := rand.New(rand.NewPCG(seed, 0xda7a))
	base := make([]float64, personas*interests)
	means := make([]float64, personas*(dim-interests))
	cum := make([]float64, personas)
	total := 0.0
	for p := range personas {
		dirichlet(rng, base[p*interests:(p+1)*interests], func(int) float64 { return 0.4 })
		for d := range dim - interests {
			means[p*(dim-interests)+d] = rng.NormFloat64()
		}
		total += 1 / float64(p+10)
		cum[p] = total
	}
	data := make([]float64, rows*dim)
	for i := range rows {
		u := rng.Float64() * total
		p := 0
		for p < personas-1 && cum[p] <= u {
			p++
		}
		x := data[i*dim : (i+1)*dim]
		b := base[p*interests : (p+1)*interests]
		dirichlet(rng, x[:interests], func(d int) float64 { return 30*b[d] + 0.01 })
		s := 0.0
		for d, v := range x[:interests] {
			if v < 0.01 {
				x[d] = 0
			}
			s += x[d]
		}
		for d := range x[:interests] {
			x[d] /= s
		}
		for d := range dim - interests {
			x[interests+d] = means[p*(dim-interests)+d] + rng.NormFloat64()
		}
	}
	for d := interests; d < dim; d++ {
		var sum, sq float64
		for i := range rows {
			sum += data[i*dim+d]
		}
		mean := sum / float64(rows)
		for i := range rows {
			e := data[i*dim+d] - mean
			sq += e * e
		}
		sd := math.Sqrt(sq / float64(rows))
		for i := range rows {
			data[i*dim+d] = (data[i*dim+d] - mean) / sd
		}
	}
	return data
}

// dirichlet fills x with a Dirichlet draw of parameters alpha(0..).
func dirichlet(rng *rand.Rand, x []float64, alpha func(int) float64) {
	s := 0.0
	for d := range x {
		x[d] = gammaVariate(rng, alpha(d))
		s += x[d]
	}
	if s == 0 {
		x[rng.IntN(len(x))] = 1
		return
	}
	for d := range x {
		x[d] /= s
	}
}

// gammaVariate draws from Gamma(a, 1) (Marsaglia and Tsang).
func gammaVariate(rng *rand.Rand, a float64) float64 {
	if a < 1 {
		return gammaVariate(rng, a+1) * math.Pow(rng.Float64(), 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// BenchmarkKMeansLarge clusters synthetic profiles (profileData),
// N=200,000, D=24, with the default stopping rule (relative inertia
// change 1e-4, at most 100 iterations), three ways in the same run:
//
//   - plain: exact k-means++ on all rows, every distance computed;
//   - pruned: exact k-means++, then bounded Lloyd (same result as plain,
//     bit for bit);
//   - fast: the default, k-means++ on a sample, then bounded Lloyd.
//
// Run it with -benchtime=1x: one plain run at K=1349 takes minutes.
// It reports the time of a whole run, the initialisation alone, Lloyd
// iterations, the share of row-centroid distances skipped and the
// inertia.
func BenchmarkKMeansLarge(b *testing.B) {
	const rows, dim = 200_000, 24
	data := profileData(1, rows)
	for _, k := range []int{256, 1349} {
		for _, v := range []struct {
			name string
			init string
			opt  options
		}{
			{"plain", initAuto, options{plain: true}},
			{"pruned", initAuto, options{allRows: true}},
			{"fast", initAuto, options{}},
		} {
			b.Run(fmt.Sprintf("N=%d/K=%d/%s", rows, k, v.name), func(b *testing.B) {
				cfg := Config{K: k, Seed: 1, Init: v.init}
				var r *Result
				var st stats
				var init time.Duration
				for b.Loop() {
					var err error
					r, st, err = kmeans(context.Background(), data, dim, cfg, v.opt)
					if err != nil {
						b.Fatal(err)
					}
					init += st.init
				}
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
				b.ReportMetric(init.Seconds()/float64(b.N), "init-s/run")
				b.ReportMetric(float64(r.Iterations), "iterations")
				b.ReportMetric(100*(1-float64(st.computed)/float64(st.total)), "%skipped")
				b.ReportMetric(r.Inertia, "inertia")
			})
		}
	}
}

// BenchmarkKMeansMillion is the [cluster] issue's benchmark: synthetic
// profiles, N=1,000,000, D=24, with K=1,349 and K=64, the default path
// (sampled k-means++ refined on the sample, bounded Lloyd, the AVX
// kernels where the CPU has them). Run it with -benchtime=1x.
func BenchmarkKMeansMillion(b *testing.B) {
	const rows, dim = 1_000_000, 24
	data := profileData(1, rows)
	for _, k := range []int{1349, 64} {
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			var r *Result
			var st stats
			for b.Loop() {
				var err error
				r, st, err = kmeans(context.Background(), data, dim, Config{K: k, Seed: 1}, options{})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
			b.ReportMetric(st.init.Seconds(), "init-s/run")
			b.ReportMetric(float64(r.Iterations), "iterations")
			b.ReportMetric(100*(1-float64(st.computed)/float64(st.total)), "%skipped")
			b.ReportMetric(r.Inertia, "inertia")
		})
	}
}

// BenchmarkKMeansMinSize clusters synthetic profiles (profileData),
// N=200,000, D=24, as the pipeline does with k = "auto": K is
// min(1349, N/MinSize), and clusters below MinSize merge into their
// neighbours, Lloyd's iterations running again after every merge. Run
// it with -benchtime=1x. It reports the time of a whole run, the time
// spent after the first run's Lloyd iterations (merging and iterating
// again), the merge rounds, the clusters merged away, the Lloyd
// iterations of all runs and the final inertia.
func BenchmarkKMeansMinSize(b *testing.B) {
	const rows, dim = 200_000, 24
	data := profileData(1, rows)
	for _, minSize := range []int{100, 1000} {
		k := min(1349, rows/minSize)
		b.Run(fmt.Sprintf("N=%d/K=%d/MinSize=%d", rows, k, minSize), func(b *testing.B) {
			cfg := Config{K: k, Seed: 1, MinSize: minSize}
			var r *Result
			var st stats
			var merge time.Duration
			for b.Loop() {
				var err error
				r, st, err = kmeans(context.Background(), data, dim, cfg, options{})
				if err != nil {
					b.Fatal(err)
				}
				merge += st.merge
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
			b.ReportMetric(merge.Seconds()/float64(b.N), "merge-s/run")
			b.ReportMetric(float64(st.rounds), "rounds")
			b.ReportMetric(float64(r.Merged), "merged")
			b.ReportMetric(float64(r.Iterations), "iterations")
			b.ReportMetric(r.Inertia, "inertia")
		})
	}
}
