package profile_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
)

func ExampleBuilder_AddRecords() {
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		panic(err)
	}
	holders := []ingest.Cardholder{{ID: "C1", FirstName: "Ann", Consent: true,
		MemberSince: ingest.DateOf(time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC))}}
	b := profile.NewBuilder(tax, holders, profile.Options{End: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)})

	// Ingest hands on compact records: a dinner at Olive & Thyme and the
	// week's shopping at Corner Deli every month of the window.
	names := map[uint64]string{}
	key := func(name string) uint64 {
		k := ingest.MerchantKey([]byte(name))
		names[k] = name
		return k
	}
	dining, _ := tax.Index("dining")
	groceries, _ := tax.Index("groceries")
	var recs []ingest.Record
	for m := range 12 {
		day := int32(time.Date(2025, time.Month(11+m), 12, 0, 0, 0, 0, time.UTC).Unix() / 86400)
		recs = append(recs,
			ingest.Record{Holder: 0, Day: day, Amount: 6450, Merchant: key("Olive & Thyme"),
				Interest: int16(dining), Mapped: true, Code: 5812, Flags: ingest.FlagInStore},
			ingest.Record{Holder: 0, Day: day + 2, Amount: 8120, Merchant: key("Corner Deli"),
				Interest: int16(groceries), Mapped: true, Code: 5411, Flags: ingest.FlagInStore})
	}
	b.AddRecords(recs)

	ps, err := b.Profiles(context.Background(), func(k uint64) string { return names[k] })
	if err != nil {
		panic(err)
	}
	p := ps[0]
	fmt.Println(p.Relationship, p.ActiveMonths, p.TransactionsPerMonth, profile.FormatCents(p.AverageTicket))
	fmt.Printf("concentration %.3f\n", p.Concentration)
	fmt.Println(p.TopMerchants.Get("dining"), "/", p.FavouriteMerchant)
	// Output:
	// lost-for-good 12 2 72.85
	// concentration 0.507
	// Olive & Thyme / Corner Deli
}
