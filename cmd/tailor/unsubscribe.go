package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/suppress"
	"github.com/tailor-mail/tailor/pipeline/unsubscribe"
)

// defaultUnsubscribeAddr is where tailor unsubscribe serve listens unless
// told: loopback, for a reverse proxy in front that terminates TLS.
const defaultUnsubscribeAddr = "127.0.0.1:8026"

// shutdownGrace is how long requests in flight may take to finish once
// the endpoint is stopped.
const shutdownGrace = 10 * time.Second

type unsubscribeOptions struct {
	campaign string
	addr     string
	out      string
	// getenv reads the environment (default os.Getenv).
	getenv func(string) string
	// listening, when set, is told the address the endpoint listens on,
	// once it does.
	listening func(net.Addr)
}

func newUnsubscribeCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "unsubscribe",
		Short: "Serve the one-click unsubscribe links of a campaign",
		Long: `unsubscribe holds the commands of the campaign's unsubscribe links, the
links every message carries in its List-Unsubscribe header and footer.`,
		Example: `  tailor unsubscribe serve --campaign campaign.toml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newUnsubscribeServeCmd(stdout, stderr))
	return cmd
}

func newUnsubscribeServeCmd(stdout, stderr io.Writer) *cobra.Command {
	o := unsubscribeOptions{addr: defaultUnsubscribeAddr}
	cmd := &cobra.Command{
		Use:   "serve --campaign CAMPAIGN.toml",
		Short: "Serve the endpoint of a campaign's one-click unsubscribe links",
		Long: `serve answers the campaign's unsubscribe links (sender.unsubscribe_url,
signed with the key in the environment variable sender.unsubscribe_secret_env
names, TAILOR_UNSUBSCRIBE_SECRET by default, which must be set): the one-click
POST of mailbox providers (RFC 8058), and a confirmation page for a person
who opens the link. Each unsubscribe is appended to the campaign's
suppression file, <out>/<campaign>/suppressions.csv, which tailor send reads;
forged or altered links are refused (400) and write nothing.

It listens on --addr, loopback by default: put it behind a reverse proxy that
serves sender.unsubscribe_url over https. It serves until interrupted
(Ctrl-C, SIGTERM), then lets requests in flight finish.`,
		Example: `  TAILOR_UNSUBSCRIBE_SECRET=... tailor unsubscribe serve --campaign campaign.toml
  tailor unsubscribe serve --campaign campaign.toml --addr 127.0.0.1:9000 --out /srv/tailor`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.campaign == "" {
				return usageError{errors.New("unsubscribe serve: --campaign is required")}
			}
			return serveUnsubscribe(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.campaign, "campaign", "", "campaign file (required)")
	f.StringVar(&o.addr, "addr", o.addr, "address to listen on; anything but loopback must sit behind TLS")
	f.StringVar(&o.out, "out", "", "output root, where the suppression file is (default: the campaign's output, else ./out)")
	return cmd
}

// serveUnsubscribe serves the campaign's unsubscribe endpoint until ctx is
// done, then shuts it down gracefully.
func serveUnsubscribe(ctx context.Context, o unsubscribeOptions, stdout, stderr io.Writer) error {
	c, err := pipeline.LoadCampaign(o.campaign)
	if err != nil {
		return err
	}
	getenv := o.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	env := c.Sender.UnsubscribeSecretEnv
	if env == "" {
		env = pipeline.DefaultSecretEnv
	}
	secret := getenv(env)
	if secret == "" {
		return usageError{fmt.Errorf("unsubscribe serve: %s is not set: it holds the key the campaign's unsubscribe links are signed with (sender.unsubscribe_secret_env); set it to the key the messages were rendered with", env)}
	}
	path := suppress.Path(outRoot(o.out, o.campaign, c.Output), c.Name)
	list, err := suppress.OpenAppender(path)
	if err != nil {
		return err
	}
	defer list.Close()
	seen, err := suppress.Load(path)
	if err != nil {
		return err
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.addr)
	if err != nil {
		return fmt.Errorf("unsubscribe serve: %w", err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		fmt.Fprintf(stderr, "warning: unsubscribe: %s is not a loopback address: the endpoint must sit behind TLS (https), as its links carry their tokens\n", ln.Addr())
	}
	fmt.Fprintf(stdout, "tailor: %s: unsubscribe endpoint listening on http://%s/\n", c.Name, ln.Addr())
	fmt.Fprintf(stdout, "  %-13s %s\n", "suppressions", path)

	logw := &syncWriter{w: stderr}
	h := unsubscribe.New(unsubscribe.Config{
		Campaign: c.Name, Newsletter: c.Sender.Name, Secret: secret, List: list, Seen: seen,
		Log: func(msg string) { fmt.Fprintf(logw, "%s %s\n", time.Now().UTC().Format(time.RFC3339), msg) },
	})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(logw, "unsubscribe: ", log.LstdFlags|log.LUTC),
	}
	if err := serve(ctx, srv, ln, o.listening); err != nil {
		return fmt.Errorf("unsubscribe serve: %w", err)
	}
	fmt.Fprintf(stdout, "tailor: %s: unsubscribe endpoint stopped\n", c.Name)
	return nil
}

// outRoot is the output root as pipeline.Run computes it: --out, else the
// campaign's output relative to the campaign file's folder, else ./out.
func outRoot(out, campaignFile, output string) string {
	switch {
	case out != "":
		return out
	case output == "":
		return "out"
	case filepath.IsAbs(output):
		return output
	}
	return filepath.Join(filepath.Dir(campaignFile), output)
}

// syncWriter serializes writes to w, which the handler's goroutines share.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
