package smtptest_test

import (
	"context"
	"fmt"
	"log"

	mail "github.com/wneessen/go-mail"

	"github.com/tailor-mail/tailor/pipeline/send/smtptest"
)

// A server that drops every connection right after accepting a message:
// the client's error comes with a message that is delivered all the same.
func ExampleStart() {
	s, err := smtptest.Start(smtptest.Options{Faults: smtptest.Faults{DropAfterData: 1}})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	c, err := mail.NewClient(s.Host(), mail.WithPort(s.Port()), mail.WithTLSPolicy(mail.NoTLS))
	if err != nil {
		log.Fatal(err)
	}
	m := mail.NewMsg()
	_ = m.From("news@tailor.test")
	_ = m.To("ada@example.test")
	m.Subject("Your October")
	m.SetBodyString(mail.TypeTextPlain, "Hello Ada")

	err = c.DialAndSendWithContext(context.Background(), m)
	fmt.Println("error:", err != nil)
	fmt.Println("delivered:", m.IsDelivered())
	fmt.Println("received:", s.Received("ada@example.test"))
	fmt.Println("dropped after data:", s.Stats().DroppedAfterData)
	// Output:
	// error: true
	// delivered: true
	// received: 1
	// dropped after data: 1
}
