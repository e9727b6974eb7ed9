package pipeline

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/variants"
)

// kindsOf counts each cluster's eligible members as variants.Count counts
// the members of the cluster's variant gathered one by one: profiles of a
// variant no cluster has, without a variant or not to be mailed count
// nowhere; a cluster without a variant id has variants.ID's; two clusters
// of one variant count the same members.
func TestKindsOf(t *testing.T) {
	tiers := []string{"gold", "green", ""}
	rels := []profile.Relationship{"lost-for-good", "intermediate", "lapsing"}
	var ps []profile.Profile
	var assigned assignment
	ids := []string{"v0001", "v0002", "v0003", "v9999", ""}
	for i := range 400 {
		ch := &ingest.Cardholder{ID: fmt.Sprint(i), Tier: tiers[i%3], Locale: []string{"en-US", "fr-CA"}[i/3%2],
			Consent: i%7 != 0, Cancelled: i%11 == 0}
		if i%5 == 0 {
			ch.Attrs = map[string]string{"segment": []string{"a", "b"}[i/5%2], "points": "100"}
		}
		spend := int64(100)
		if i%13 == 0 {
			spend = 0
		}
		ps = append(ps, profile.Profile{Cardholder: ch, Spend: spend, Relationship: rels[i/2%3]})
		assigned = append(assigned, ids[i*7%len(ids)])
	}
	clusters := []variants.Cluster{{Variant: "v0001"}, {Variant: "v0002"}, {}, {Variant: "v0002"}, {Variant: "v0004"}}
	blocks := []variants.Block{{ID: "b1", Attributes: map[string][]string{"segment": {"a"}}}, {ID: "b2"}}
	kindsOf(clusters, blocks, ps, assigned)

	for i, c := range clusters {
		id := c.Variant
		if id == "" {
			id = variants.ID(i)
		}
		var members []variants.Member
		for j := range ps {
			if p := &ps[j]; p.Status() == profile.StatusMail && assigned[j] == id {
				members = append(members, variants.Member{Tier: p.Tier, Relationship: string(p.Relationship), Locale: p.Locale, Attrs: p.Attrs})
			}
		}
		want := variants.Count(func(yield func(variants.Member) bool) {
			for _, m := range members {
				if !yield(m) {
					return
				}
			}
		}, []string{"segment"})
		if !reflect.DeepEqual(c.Kinds, want) {
			t.Errorf("cluster %d (%s): kinds\n%+v\nwant\n%+v", i, id, c.Kinds, want)
		}
		if n := len(members); (n == 0) != (id == "v0004") {
			t.Errorf("cluster %d (%s): %d members", i, id, n)
		}
	}
}
