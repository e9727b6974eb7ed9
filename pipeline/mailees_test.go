package pipeline

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
)

// testRecipients returns profiles with and without spend (some of it
// tied), favourites and extra columns, maps nil, empty or not.
func testRecipients(tax *profile.Taxonomy) []profile.Profile {
	var ps []profile.Profile
	for i := range 3000 {
		c := &ingest.Cardholder{ID: fmt.Sprintf("C%05d", (i*7919)%3000), FirstName: "Zoë", LastName: "O'Brien\x00x", Email: fmt.Sprintf("c%d@example.com", i),
			Tier: "gold", Locale: "en-GB"}
		p := profile.Profile{Cardholder: c, Relationship: profile.RelationshipLapsing, FavouriteMerchant: "Olive & Thyme"}
		if i%5 != 0 {
			p.Shares = make([]float64, tax.Len())
			p.Shares[i%tax.Len()], p.Shares[(i+3)%tax.Len()], p.Shares[tax.Other()] = 0.5, 0.2, 0.3
			if i%7 == 0 {
				p.Shares[(i+5)%tax.Len()] = 0.2
			}
		}
		if i%3 == 0 {
			p.TopMerchants = profile.FavouritesOf(map[string]string{"dining": "Olive & Thyme", "fuel": "Shell; Ltd=1"})
		}
		switch i % 4 {
		case 1:
			c.Attrs = map[string]string{}
		case 2:
			c.Attrs = map[string]string{"points_balance": "1200", "b": ""}
		}
		ps = append(ps, p)
	}
	return ps
}

// TestMailees packs recipients and finds each by id with the merge fields
// recipientOf gives, maps nil or not as they were.
func TestMailees(t *testing.T) {
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	r := &run{tax: tax}
	ps := testRecipients(tax)
	m := mailees{ids: r.interestIDs(), other: tax.Other()}
	withSpending := 0
	for i := range ps {
		m.add(&ps[i])
	}
	m.finish()
	for i := range ps {
		want := r.recipientOf(&ps[i])
		got, ok := m.get(ps[i].ID)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %+v, %v\nwant %+v", ps[i].ID, got, ok, want)
		}
		if len(got.Spending) == 2 {
			withSpending++
		}
	}
	if withSpending < len(ps)/2 {
		t.Errorf("%d recipients with their two interests of spend", withSpending)
	}
	if _, ok := m.get("nobody"); ok {
		t.Error("found a cardholder who is not there")
	}
	if len(m.blocks) != 1 {
		t.Errorf("%d blocks for %d recipients", len(m.blocks), len(ps))
	}
}

// TestRecipientIn checks that the merge fields the audit reads into one
// room, recipient after recipient, are recipientOf's.
func TestRecipientIn(t *testing.T) {
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	r := &run{tax: tax}
	ps := testRecipients(tax)
	var room recipientRoom
	for i := range ps {
		want := r.recipientOf(&ps[i])
		if got := r.recipientIn(&room, &ps[i]); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %+v\nwant %+v", ps[i].ID, got, want)
		}
	}
}
