package pipeline

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
)

// TestMailees packs recipients and finds each by id with the merge fields
// recipientOf gives, maps nil or not as they were.
func TestMailees(t *testing.T) {
	var ps []profile.Profile
	for i := range 3000 {
		c := &ingest.Cardholder{ID: fmt.Sprintf("C%05d", (i*7919)%3000), FirstName: "Zoë", LastName: "O'Brien\x00x", Email: fmt.Sprintf("c%d@example.com", i),
			Tier: "gold", Locale: "en-GB"}
		p := profile.Profile{Cardholder: c, Relationship: profile.RelationshipLapsing, FavouriteMerchant: "Olive & Thyme"}
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
	var m mailees
	for i := range ps {
		m.add(&ps[i])
	}
	m.finish()
	for i := range ps {
		want := recipientOf(&ps[i])
		got, ok := m.get(ps[i].ID)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %+v, %v\nwant %+v", ps[i].ID, got, ok, want)
		}
	}
	if _, ok := m.get("nobody"); ok {
		t.Error("found a cardholder who is not there")
	}
	if len(m.blocks) != 1 {
		t.Errorf("%d blocks for %d recipients", len(m.blocks), len(ps))
	}
}
