package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
)

// serve serves srv on ln until ctx is done, then shuts it down, letting
// the requests in flight finish for shutdownGrace. listening, when set, is
// told the address once the server is up.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, listening func(net.Addr)) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if listening != nil {
		listening(ln.Addr())
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(stop)
	<-served // http.ErrServerClosed, once Shutdown has begun
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
