package send

import (
	"context"
	"fmt"
	"time"
)

// DefaultProbeTimeout bounds a Probe when the relay sets no Timeout.
const DefaultProbeTimeout = 10 * time.Second

// Probe checks that relay answers as a send needs it to, sending nothing:
// it connects, says EHLO, starts TLS as the relay's TLS mode asks,
// authenticates when the relay has an Auth, and says QUIT. The whole
// exchange is bounded by the relay's Timeout (default
// DefaultProbeTimeout). The error names the relay and, for a refusal,
// carries the server's reply; it never holds the password.
func Probe(ctx context.Context, relay *Relay) error {
	probe := *relay
	probe.DKIM = nil // nothing is signed
	if probe.Timeout <= 0 {
		probe.Timeout = DefaultProbeTimeout
	}
	cl, err := probe.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, probe.timeout())
	defer cancel()
	sc, err := cl.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("relay %s: %w", relay, err)
	}
	if err := cl.CloseWithSMTPClient(sc); err != nil {
		return fmt.Errorf("relay %s: quit: %w", relay, err)
	}
	return nil
}
