package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/preview"
)

// defaultPreviewAddr is where tailor preview listens: loopback only, as
// its pages show cardholders' data.
const defaultPreviewAddr = "127.0.0.1:8025"

type previewOptions struct {
	dir       string
	addr      string
	templates string
	line      string
	// listening, when set, is told the address the preview listens on,
	// once it does.
	listening func(net.Addr)
}

func newPreviewCmd(stdout, stderr io.Writer) *cobra.Command {
	o := previewOptions{addr: defaultPreviewAddr}
	cmd := &cobra.Command{
		Use:   "preview RUN_DIR",
		Short: "Serve a run's variants for review in a browser",
		Long: `preview serves the variants of a run directory (out/quickstart/2026-10) on
--addr, loopback by default: an index of every variant with its audience,
interests, tier and relationship mix, subject and fit rate, and a page per
variant with the newsletter at desktop and mobile widths, its text part, the
headers of its sample message, the blocks it is made of and what the fit audit
found. The pages load nothing from elsewhere; they are read from the run
directory at each request, so a page loaded again after tailor render shows
the new newsletter. It serves until interrupted (Ctrl-C, SIGTERM).

It renders the variants with the campaign's template folder (or --templates)
when they are out of date, then watches the folder: on every save the variants
are rendered again, as tailor render does, and open pages reload; a template
error shows in the pages with its file and line until a save fixes it.

The pages show cardholders' data: an address other than loopback prints a
warning, and the preview answers only requests addressed to it.`,
		Example: `  tailor preview out/quickstart/2026-10
  tailor preview out/quickstart/2026-10 --templates my-templates
  tailor preview out/quickstart/2026-10 --addr 127.0.0.1:9000`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir, o.line = args[0], commandLine(cmd, args)
			return servePreview(cmd.Context(), o, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&o.addr, "addr", o.addr, "address to listen on; anything but loopback shows cardholders' data to the network")
	cmd.Flags().StringVar(&o.templates, "templates", "", "template set folder to render with and watch (default: the campaign's templates.dir; the built-in set is not watched)")
	return cmd
}

// servePreview serves the preview of o.dir until ctx is done.
func servePreview(ctx context.Context, o previewOptions, stdout, stderr io.Writer) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.addr)
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	events := preview.NewEvents()
	opts := preview.Options{Reload: events}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		fmt.Fprintf(stderr, "warning: preview: %s is not a loopback address: anyone who reaches it sees the cardholders' data in the previews\n", ln.Addr())
		opts.Remote = true
		if host, _, err := net.SplitHostPort(o.addr); err == nil && host != "" {
			opts.Hosts = append(opts.Hosts, host)
		}
	}
	h, err := preview.New(o.dir, opts)
	if err != nil {
		ln.Close()
		return err
	}
	defer h.Close()
	// The watcher writes from its own goroutine.
	stdout, stderr = &syncWriter{w: stdout}, &syncWriter{w: stderr}
	// Render what is out of date, and learn the template folder to watch.
	render := func() (string, error) {
		start := time.Now()
		res, err := pipeline.Render(ctx, pipeline.RenderConfig{RunDir: o.dir, Templates: o.templates, Version: Version, Command: o.line})
		if err != nil {
			return "", err
		}
		if len(res.Ran) > 0 {
			one, many := "variant", "variants"
			if res.Newsletters != res.Variants {
				one, many = "newsletter", "newsletters"
			}
			fmt.Fprintf(stdout, "  %-13s %d of %d %s in %s (the others read no file that changed)\n", "rendered", res.Rendered, res.Newsletters,
				plural(res.Newsletters, one, many), time.Since(start).Round(time.Millisecond))
			events.Reload()
		}
		return res.Templates, nil
	}
	set, err := render()
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(stdout, "tailor: preview of %s on http://%s/\n", o.dir, ln.Addr())
	watching := make(chan error, 1)
	if set != "" {
		// The folder is watched before the preview listens: a save right
		// after the first page is served is not missed.
		w, err := preview.StartWatch(set)
		if err != nil {
			ln.Close()
			return fmt.Errorf("preview: watching %s: %w", set, err)
		}
		fmt.Fprintf(stdout, "  %-13s %s: pages reload when a file is saved\n", "watching", set)
		go func() {
			watching <- w.Run(ctx, 150*time.Millisecond, func() {
				if _, err := render(); err != nil {
					events.Problem(preview.WithSource(err.Error(), set))
					fmt.Fprintf(stderr, "preview: %v\n", err)
					return
				}
				events.Reload()
			})
		}()
	} else {
		fmt.Fprintf(stdout, "  %-13s the built-in templates: nothing to watch (--templates DIR watches a folder)\n", "templates")
		close(watching)
	}
	logw := &syncWriter{w: stderr}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(logw, "preview: ", log.LstdFlags|log.LUTC),
	}
	srv.RegisterOnShutdown(events.Close)
	if err := serve(ctx, srv, ln, o.listening); err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	if err := <-watching; err != nil {
		return fmt.Errorf("preview: watching %s: %w", set, err)
	}
	fmt.Fprintln(stdout, "tailor: preview stopped")
	return nil
}
