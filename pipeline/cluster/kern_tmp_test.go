package cluster

import (
	"math"
	"math/rand/v2"
	"testing"
)

func sqDist4a(x, c0, c1, c2, c3 []float64) (float64, float64, float64, float64) {
	c0, c1, c2, c3 = c0[:len(x)], c1[:len(x)], c2[:len(x)], c3[:len(x)]
	var s0, s1, s2, s3 float64
	for i, v := range x {
		e0 := v - c0[i]
		e1 := v - c1[i]
		e2 := v - c2[i]
		e3 := v - c3[i]
		s0 += e0 * e0
		s1 += e1 * e1
		s2 += e2 * e2
		s3 += e3 * e3
	}
	return s0, s1, s2, s3
}

func sqDist4b(x, c0, c1, c2, c3 []float64) (float64, float64, float64, float64) {
	n := len(x) &^ 1
	c0, c1, c2, c3 = c0[:len(x)], c1[:len(x)], c2[:len(x)], c3[:len(x)]
	var s0, s1, s2, s3, t0, t1, t2, t3 float64
	for i := 0; i < n; i += 2 {
		xs := x[i : i+2 : i+2]
		a0, a1, a2, a3 := c0[i:i+2:i+2], c1[i:i+2:i+2], c2[i:i+2:i+2], c3[i:i+2:i+2]
		v, w := xs[0], xs[1]
		e0 := v - a0[0]
		e1 := v - a1[0]
		e2 := v - a2[0]
		e3 := v - a3[0]
		f0 := w - a0[1]
		f1 := w - a1[1]
		f2 := w - a2[1]
		f3 := w - a3[1]
		s0 += e0 * e0
		s1 += e1 * e1
		s2 += e2 * e2
		s3 += e3 * e3
		t0 += f0 * f0
		t1 += f1 * f1
		t2 += f2 * f2
		t3 += f3 * f3
	}
	if n < len(x) {
		v := x[n]
		e0 := v - c0[n]
		e1 := v - c1[n]
		e2 := v - c2[n]
		e3 := v - c3[n]
		s0 += e0 * e0
		s1 += e1 * e1
		s2 += e2 * e2
		s3 += e3 * e3
	}
	return s0 + t0, s1 + t1, s2 + t2, s3 + t3
}

func nearestA(x, cents []float64, dim int) (int32, float64) {
	best, bd := int32(0), math.Inf(1)
	j := int32(0)
	c := cents
	for ; len(c) >= 4*dim; c = c[4*dim:] {
		d0, d1, d2, d3 := sqDist4a(x, c[:dim], c[dim:2*dim], c[2*dim:3*dim], c[3*dim:4*dim])
		if d0 < bd { best, bd = j, d0 }
		if d1 < bd { best, bd = j+1, d1 }
		if d2 < bd { best, bd = j+2, d2 }
		if d3 < bd { best, bd = j+3, d3 }
		j += 4
	}
	for ; len(c) >= dim; c = c[dim:] {
		if d := sqDist(x, c[:dim]); d < bd { best, bd = j, d }
		j++
	}
	return best, bd
}

func nearestB(x, cents []float64, dim int) (int32, float64) {
	best, bd := int32(0), math.Inf(1)
	j := int32(0)
	c := cents
	for ; len(c) >= 4*dim; c = c[4*dim:] {
		d0, d1, d2, d3 := sqDist4b(x, c[:dim], c[dim:2*dim], c[2*dim:3*dim], c[3*dim:4*dim])
		if d0 < bd { best, bd = j, d0 }
		if d1 < bd { best, bd = j+1, d1 }
		if d2 < bd { best, bd = j+2, d2 }
		if d3 < bd { best, bd = j+3, d3 }
		j += 4
	}
	for ; len(c) >= dim; c = c[dim:] {
		if d := sqDist(x, c[:dim]); d < bd { best, bd = j, d }
		j++
	}
	return best, bd
}

func nearest1(x, cents []float64, dim int) (int32, float64) {
	best, bd := int32(0), math.Inf(1)
	j := int32(0)
	for c := cents; len(c) >= dim; c = c[dim:] {
		if d := sqDist(x, c[:dim]); d < bd { best, bd = j, d }
		j++
	}
	return best, bd
}

var sink float64

func BenchmarkKern(b *testing.B) {
	const dim, k, rows = 24, 64, 1000
	rng := rand.New(rand.NewPCG(1, 1))
	data := make([]float64, rows*dim)
	for i := range data { data[i] = rng.Float64() }
	cents := make([]float64, k*dim)
	for i := range cents { cents[i] = rng.Float64() }
	for _, f := range []struct{ name string; fn func([]float64, []float64, int) (int32, float64) }{{"one", nearest1}, {"four", nearestA}, {"four2", nearestB}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				for i := range rows {
					_, d := f.fn(data[i*dim:(i+1)*dim], cents, dim)
					sink += d
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows*k), "ns/pair")
		})
	}
}

func sqDist8(x []float64, c []float64, dim int) (d [8]float64) {
	c0, c1, c2, c3 := c[:dim], c[dim:2*dim], c[2*dim:3*dim], c[3*dim:4*dim]
	c4, c5, c6, c7 := c[4*dim:5*dim], c[5*dim:6*dim], c[6*dim:7*dim], c[7*dim:8*dim]
	c0, c1, c2, c3 = c0[:len(x)], c1[:len(x)], c2[:len(x)], c3[:len(x)]
	c4, c5, c6, c7 = c4[:len(x)], c5[:len(x)], c6[:len(x)], c7[:len(x)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float64
	for i, v := range x {
		e0 := v - c0[i]
		e1 := v - c1[i]
		e2 := v - c2[i]
		e3 := v - c3[i]
		e4 := v - c4[i]
		e5 := v - c5[i]
		e6 := v - c6[i]
		e7 := v - c7[i]
		s0 += e0 * e0
		s1 += e1 * e1
		s2 += e2 * e2
		s3 += e3 * e3
		s4 += e4 * e4
		s5 += e5 * e5
		s6 += e6 * e6
		s7 += e7 * e7
	}
	return [8]float64{s0, s1, s2, s3, s4, s5, s6, s7}
}

func nearest8(x, cents []float64, dim int) (int32, float64) {
	best, bd := int32(0), math.Inf(1)
	j := int32(0)
	c := cents
	for ; len(c) >= 8*dim; c = c[8*dim:] {
		d := sqDist8(x, c, dim)
		for t, v := range d {
			if v < bd { best, bd = j+int32(t), v }
		}
		j += 8
	}
	for ; len(c) >= dim; c = c[dim:] {
		if d := sqDist(x, c[:dim]); d < bd { best, bd = j, d }
		j++
	}
	return best, bd
}

func BenchmarkKern8(b *testing.B) {
	const dim, k, rows = 24, 64, 1000
	rng := rand.New(rand.NewPCG(1, 1))
	data := make([]float64, rows*dim)
	for i := range data { data[i] = rng.Float64() }
	cents := make([]float64, k*dim)
	for i := range cents { cents[i] = rng.Float64() }
	for b.Loop() {
		for i := range rows {
			_, d := nearest8(data[i*dim:(i+1)*dim], cents, dim)
			sink += d
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows*k), "ns/pair")
}
