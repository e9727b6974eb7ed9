package synth_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/tailor-mail/tailor/examples/synth"
)

func Example() {
	var cardholders, transactions bytes.Buffer
	cfg := synth.Config{
		Cardholders: 3,
		Months:      2,
		EndMonth:    time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		Seed:        1,
	}
	st, err := synth.Generate(context.Background(), cfg, &cardholders, &transactions)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", st)
	fmt.Print(head(cardholders.String(), 4))
	fmt.Print(head(transactions.String(), 6))
	// Output:
	// {Cardholders:3 Transactions:6 BadCardholderRows:0 BadTransactionRows:0}
	// cardholder_id,first_name,last_name,email,locale,tier,member_since,status,cancelled_on,cancel_reason,marketing_consent
	// C0000001,Mei,Allen,mallen1@example.com,en-US,green,2006-11-17,active,,,yes
	// C0000002,James,Moore,jmoore2@example.com,en-US,green,2020-03-18,active,,,yes
	// C0000003,Jennifer,Müller,muller_jennifer_3@example.com,en-US,green,2015-12-31,active,,,yes
	// cardholder_id,posted_on,amount,currency,mcc,merchant,channel,country
	// C0000001,2026-09-10,8.31,USD,5814,Slice Avenue Pizza,in_store,US
	// C0000001,2026-09-19,21.99,USD,5541,Summit Fuel Stop,in_store,US
	// C0000001,2026-10-08,60.76,USD,7542,Sudsy Car Wash,in_store,US
	// C0000002,2026-09-20,78.62,USD,5422,Prime Cut Butchery,in_store,US
	// C0000002,2026-10-01,62.04,USD,5812,Casa Marigold Cantina,in_store,US
}

// head returns the first n lines of s.
func head(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}
