package pipeline

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
)

// TestByCentre checks byCentre against the order it promises, computed
// plainly: by the distance of the shares from their mean, missing shares
// as 0, ties in input order.
func TestByCentre(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shares := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(rng.IntN(4)) / 4 // few values: many ties
		}
		return s
	}
	member := func(j int, s []float64) *profile.Profile {
		return &profile.Profile{Cardholder: &ingest.Cardholder{ID: fmt.Sprint(j)}, Shares: s}
	}
	cases := map[string][]*profile.Profile{}
	for _, size := range []int{0, 1, 2, 3, 10, 200} {
		var ps, ragged, none []*profile.Profile
		for j := range size {
			ps = append(ps, member(j, shares(5)))
			ragged = append(ragged, member(j, shares(rng.IntN(6))))
			none = append(none, member(j, nil))
		}
		cases[fmt.Sprintf("%d equal", size)] = ps
		cases[fmt.Sprintf("%d ragged", size)] = ragged
		cases[fmt.Sprintf("%d without shares", size)] = none
	}
	for name, ps := range cases {
		t.Run(name, func(t *testing.T) {
			want := slices.Clone(ps)
			n := 0
			for _, p := range ps {
				n = max(n, len(p.Shares))
			}
			at := func(p *profile.Profile, i int) float64 {
				if i < len(p.Shares) {
					return p.Shares[i]
				}
				return 0
			}
			mean := make([]float64, n)
			for i := range mean {
				for _, p := range ps {
					mean[i] += at(p, i)
				}
				mean[i] /= float64(len(ps))
			}
			dist := map[*profile.Profile]float64{}
			for _, p := range ps {
				for i, m := range mean {
					dist[p] += (at(p, i) - m) * (at(p, i) - m)
				}
			}
			slices.SortStableFunc(want, func(a, b *profile.Profile) int { return cmp.Compare(dist[a], dist[b]) })
			got := slices.Clone(ps)
			byCentre(got)
			if !slices.Equal(got, want) {
				var g, w []string
				for i := range got {
					g, w = append(g, got[i].ID), append(w, want[i].ID)
				}
				t.Errorf("byCentre = %v, want %v", g, w)
			}
		})
	}
}

// TestSpendingOrder checks spendingOrder against its definition: the
// interests with spend but "other", the largest share first, ties in
// taxonomy order; on given shares and on random ones with many ties.
func TestSpendingOrder(t *testing.T) {
	plain := func(shares []float64, other int) []int {
		idx := []int{}
		for k, v := range shares {
			if v > 0 && k != other {
				idx = append(idx, k)
			}
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(shares[b], shares[a]) })
		return idx
	}
	nan := math.NaN()
	tests := []struct {
		shares []float64
		other  int
		want   []int
	}{
		{nil, 0, []int{}},
		{[]float64{0, 0, 0}, 2, []int{}},
		{[]float64{0.2, 0.5, 0.3}, 3, []int{1, 2, 0}},
		{[]float64{0.2, 0.5, 0.3}, 1, []int{2, 0}},
		{[]float64{0.25, 0.25, 0.5, 0.25}, 9, []int{2, 0, 1, 3}},
		{[]float64{-0.1, 0.4, nan, 0.6, math.Copysign(0, -1)}, 9, []int{3, 1}},
	}
	room := []int{7, 7, 7, 7}
	for _, tt := range tests {
		if got := spendingOrder(room, tt.shares, tt.other); !slices.Equal(got, tt.want) {
			t.Errorf("spendingOrder(%v, other %d) = %v, want %v", tt.shares, tt.other, got, tt.want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		shares := make([]float64, rng.IntN(20))
		for k := range shares {
			if rng.IntN(3) > 0 {
				shares[k] = float64(rng.IntN(4)) / 4
			}
		}
		other := rng.IntN(len(shares) + 1)
		want := plain(shares, other)
		if got := spendingOrder(room[:0], shares, other); !slices.Equal(got, want) {
			t.Fatalf("spendingOrder(%v, other %d) = %v, want %v", shares, other, got, want)
		}
	}
}
