package profile

import (
	"errors"
	"strings"
	"testing"
)

func TestCategory(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	withTable, err := tax.WithCategories("categories.csv", strings.NewReader("category,interest\nRestaurants & Bars,dining\nSupermarkets,groceries\n"))
	if err != nil {
		t.Fatal(err)
	}
	dining, _ := tax.Index("dining")
	groceries, _ := tax.Index("groceries")
	home, _ := tax.Index("home_garden")
	tests := []struct {
		name string
		tax  *Taxonomy
		in   string
		want int
		ok   bool
	}{
		{"interest id", tax, "dining", dining, true},
		{"interest name, any case", tax, "DINING", dining, true},
		{"name with ampersand", tax, "Home & garden", home, true},
		{"id with underscore", tax, "home_garden", home, true},
		{"unknown", tax, "Restaurants & Bars", tax.Other(), false},
		{"table", withTable, "restaurants and bars", dining, true},
		{"table, spacing", withTable, " Supermarkets ", groceries, true},
		{"table keeps interest names", withTable, "Groceries", groceries, true},
		{"other is not a category", tax, "other", tax.Other(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.tax.Category(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Category(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
	if tax.Hash() == withTable.Hash() {
		t.Error("a category table does not change the hash")
	}
}

func TestWithOverrides(t *testing.T) {
	tax, err := DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	o, err := tax.WithOverrides("mcc.csv", strings.NewReader("mcc,interest,description\n5942,entertainment,Books\n9999,charity,\n"))
	if err != nil {
		t.Fatal(err)
	}
	ent, _ := tax.Index("entertainment")
	charity, _ := tax.Index("charity")
	if k, ok := o.Lookup("5942"); k != ent || !ok {
		t.Errorf("5942 -> %d, %v; want entertainment", k, ok)
	}
	if k, ok := o.Lookup("9999"); k != charity || !ok {
		t.Errorf("9999 -> %d, %v; want charity", k, ok)
	}
	if a, b := tax.Lookup("5812"); true {
		if c, d := o.Lookup("5812"); a != c || b != d {
			t.Error("an unlisted code changed")
		}
	}
	if k, _ := tax.Lookup("5942"); k == ent {
		t.Error("WithOverrides changed the original taxonomy")
	}
	if tax.Hash() == o.Hash() {
		t.Error("overrides do not change the hash")
	}
	for _, tt := range []struct{ in, want string }{
		{"mcc,interest\n5942,dinning\n", `mcc.csv:2:2: interest "dinning": not in the taxonomy`},
		{"mcc,interest\n59420,dining\n", `mcc.csv:2:1: mcc "59420": want up to 4 digits`},
		{"mcc,interest\n5942,dining\n5942,pets\n", `mcc.csv:3:1: mcc "5942": listed twice`},
		{"code,interest\n", `mcc.csv:1: missing column "mcc"`},
	} {
		_, err := tax.WithOverrides("mcc.csv", strings.NewReader(tt.in))
		var te *TaxonomyError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("WithOverrides(%q) = %v, want %s", tt.in, err, tt.want)
		}
	}
}
