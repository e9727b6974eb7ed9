package profile

import (
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
)

func TestApplyFeatures(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]Profile, 3)
	for i := range ps {
		ps[i].Cardholder = &ingest.Cardholder{Consent: true}
		ps[i].Shares = make([]float64, tax.Len())
	}
	ps[2].Spend = 100
	groceries, _ := tax.Index("groceries")
	ps[2].Shares[groceries] = 1
	table := &ingest.FeatureTable{
		Names:   []string{"dining", "share_travel_services", "spend_level"},
		Holders: []int32{0, 2},
		Values:  []float64{3, 1, 7, 1, 1, 9},
	}
	ApplyFeatures(tax, ps, table, FeatureColumns{})
	dining, _ := tax.Index("dining")
	travel, _ := tax.Index("travel_services")
	if ps[0].Shares[dining] != 0.75 || ps[0].Shares[travel] != 0.25 || ps[0].Features[2] != 7 {
		t.Errorf("profile 0: shares %v, features %v", ps[0].Shares, ps[0].Features)
	}
	if ps[2].Shares[groceries] != 1 || ps[2].Shares[dining] != 0 {
		t.Errorf("profile 2 has spend: its shares must stay, got %v", ps[2].Shares)
	}
	if ps[1].Features != nil || ps[1].Clusterable() || ps[1].Status() != StatusNoSpend {
		t.Errorf("profile 1 has no features: %+v", ps[1])
	}
	if !ps[0].Clusterable() || ps[0].Status() != StatusMail {
		t.Errorf("profile 0 with features only: clusterable %v, status %s", ps[0].Clusterable(), ps[0].Status())
	}
	pop := Population(ps[:2], tax.Len())
	if pop[dining] != 0.75 {
		t.Errorf("population of feature-only profiles: dining %v, want 0.75", pop[dining])
	}
	f := FeatureMatrix(ps, table.Names, true)
	if f.Dim != 3 || len(f.Rows) != 2 || f.Rows[1] != 2 {
		t.Fatalf("matrix %+v", f)
	}
	for c := 0; c < 3; c++ {
		a, b := f.Data[c], f.Data[3+c]
		if math.Abs(a+b) > 1e-12 || (math.Abs(a) != 1 && !(a == 0 && b == 0)) {
			t.Errorf("column %d not standardised: %v, %v", c, a, b)
		}
	}
	if raw := FeatureMatrix(ps, table.Names, false); raw.Data[2] != 7 {
		t.Errorf("unscaled matrix changed the values: %v", raw.Data)
	}
}

func TestFavourites(t *testing.T) {
	f := FavouritesOf(map[string]string{"pets": "Paws", "dining": "Olive", "fuel": "Quick"})
	if f.Len() != 3 || f.At(0).Interest != "dining" || f.At(1).Interest != "fuel" || f.At(2) != (Favourite{"pets", "Paws"}) {
		t.Fatalf("FavouritesOf not sorted: %v", f)
	}
	if f.Get("fuel") != "Quick" || f.Get("luxury") != "" {
		t.Errorf("Get: %q %q", f.Get("fuel"), f.Get("luxury"))
	}
	if m := f.Map(); len(m) != 3 || m["pets"] != "Paws" {
		t.Errorf("Map: %v", m)
	}
	var all []Favourite
	for in, m := range f.All() {
		all = append(all, Favourite{in, m})
	}
	if want := []Favourite{{"dining", "Olive"}, {"fuel", "Quick"}, {"pets", "Paws"}}; !reflect.DeepEqual(all, want) {
		t.Errorf("All: %v, want %v", all, want)
	}
	if s := f.String(); s != "[dining=Olive fuel=Quick pets=Paws]" {
		t.Errorf("String: %q", s)
	}
	if e := FavouritesOf(nil); e.Len() != 0 || e.Map() != nil || !reflect.DeepEqual(e, Favourites{}) {
		t.Error("empty favourites are not the zero value")
	}
	// The same favourites, made apart and in another order, are equal
	// to reflect.DeepEqual (the same numbers of the same names); others
	// are not.
	g := MakeFavourites(Favourite{"pets", "Paws"}, Favourite{"fuel", "Quick"}, Favourite{"dining", "Olive"})
	if !reflect.DeepEqual(f, g) {
		t.Errorf("%v and %v differ", f, g)
	}
	if h := MakeFavourites(Favourite{"pets", "Paws"}, Favourite{"dining", "Olive"}); reflect.DeepEqual(f, h) {
		t.Errorf("%v and %v are equal", f, h)
	}
	if d := MakeFavourites(Favourite{"dining", "First"}, Favourite{"dining", "Second"}); d.Len() != 1 || d.Get("dining") != "Second" {
		t.Errorf("an interest twice: %v, want the last", d)
	}
}

func TestBuildFeaturesWeights(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]Profile, 4)
	for i := range ps {
		ps[i].Cardholder = &ingest.Cardholder{Consent: true}
		ps[i].Shares = make([]float64, tax.Len())
		ps[i].Shares[0] = 1
		ps[i].Spend = 100
		ps[i].TransactionsPerMonth = float64(i)
		ps[i].RecencyDays = 10 * i
		ps[i].Trend = -0.5
	}
	f := BuildFeatures(tax, ps, FeatureOptions{Interests: 2, Frequency: 0.5, Recency: 0.25})
	want := append(make([]string, 0), "transactions_per_month", "recency_days")
	if f.Dim != tax.Len()+2 || f.Names[tax.Len()] != want[0] || f.Names[tax.Len()+1] != want[1] {
		t.Fatalf("names %v", f.Names[tax.Len():])
	}
	if f.Data[0] != 2 {
		t.Errorf("share weighted by 2: %v", f.Data[0])
	}
	// Standardised columns times their weights: row 0 is the lowest.
	freq0, rec3 := f.Data[tax.Len()], f.Data[3*f.Dim+tax.Len()+1]
	if freq0 >= 0 || rec3 <= 0 || math.Abs(freq0) > 0.5*2 || math.Abs(rec3) > 0.25*2 {
		t.Errorf("behaviour columns %v %v", freq0, rec3)
	}
	// Trend has no spread here and weight 0: it is left out.
	for _, n := range f.Names {
		if n == "trend" {
			t.Error("a column of weight 0 is in")
		}
	}
}

// Without transactions, mapped columns give the spend and the number of
// transactions, and the relationship type is unknown but for the
// cancelled.
func TestApplyFeaturesColumns(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]Profile, 3)
	for i := range ps {
		ps[i].Cardholder = &ingest.Cardholder{Consent: true}
		ps[i].Shares = make([]float64, tax.Len())
		ps[i].Relationship = RelationshipInactive
	}
	ps[2].Cancelled = true
	ps[2].Relationship = RelationshipLost
	table := &ingest.FeatureTable{
		Names:   []string{"PURCHASES", "dining", "PURCHASES_TRX", "tenure"},
		Holders: []int32{0, 1, 2},
		Values:  []float64{1234.5, 2, 17.4, 3, 0, 0, 0, 12, 99.5, 1, 3, 1},
	}
	ApplyFeatures(tax, ps, table, FeatureColumns{Spend: "purchases", Transactions: "purchases_trx", NoHistory: true})
	dining, _ := tax.Index("dining")
	for i, want := range []struct {
		spend int64
		n     int
		rel   Relationship
		share float64
	}{{123450, 17, RelationshipUnknown, 1}, {0, 0, RelationshipUnknown, 0}, {9950, 3, RelationshipLost, 1}} {
		p := &ps[i]
		if p.Spend != want.spend || p.Transactions != want.n || p.Relationship != want.rel || p.Shares[dining] != want.share {
			t.Errorf("profile %d: spend %d, %d transactions, %s, dining share %v; want %+v", i, p.Spend, p.Transactions, p.Relationship, p.Shares[dining], want)
		}
	}
	if ps[1].Status() != StatusMail || ps[0].Status() != StatusMail {
		t.Errorf("statuses %s %s: profiles with features are mailable", ps[0].Status(), ps[1].Status())
	}
}

// TestNameTable numbers names from many goroutines at once, past several
// blocks, while others read the names of the numbers handed out: each
// name gets one number, and every number reads back as its name.
func TestNameTable(t *testing.T) {
	var table nameTable
	const names, workers = 5 * nameBlock, 8
	got := make([][]uint32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ids := make([]uint32, names)
			for i := range names {
				// Each worker goes through the names in its own order:
				// a multiplier prime to 5*1024 makes a permutation.
				n := (i*[...]int{1, 3, 7, 9, 11, 13, 17, 19}[w] + w) % names
				ids[n] = table.id(fmt.Sprintf("merchant %d", n))
				if back := table.name(ids[n]); back != fmt.Sprintf("merchant %d", n) {
					t.Errorf("name(%d) = %q, want merchant %d", ids[n], back, n)
					return
				}
			}
			got[w] = ids
		})
	}
	wg.Wait()
	seen := map[uint32]bool{}
	for n, id := range got[0] {
		if seen[id] {
			t.Fatalf("number %d given twice", id)
		}
		seen[id] = true
		for w := 1; w < workers; w++ {
			if got[w][n] != id {
				t.Fatalf("merchant %d: number %d for worker 0, %d for worker %d", n, id, got[w][n], w)
			}
		}
	}
	if len(seen) != names || table.n != names {
		t.Errorf("%d numbers for %d names (table says %d)", len(seen), names, table.n)
	}
}
