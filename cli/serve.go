package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/config"
)

func serve(ctx context.Context, args []string, env Env) error {
	cfg, err := config.Load(args, env.Getenv, env.ReadFile)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stdout, config.Usage())
		return err
	}
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, env.Stderr)
	log.Info("starting torii", "version", version(), "config", cfg)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	a, err := app.New(ctx, cfg, log, env.AppOptions)
	if err != nil {
		return err
	}
	defer a.Close()
	ln := env.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("TORII_ADDR: cannot listen on %s: %w", cfg.Addr, err)
		}
	}
	metricsAddr, err := a.ListenMetrics()
	if err != nil {
		return err
	}
	if metricsAddr != "" {
		log.Info("metrics listening", "url", "http://"+metricsAddr+"/metrics")
	}
	if n, err := a.Store.CountUsers(ctx); err == nil && n == 0 {
		// How to become admin is the service's hint, logged by app.New.
		log.Info("no users yet: create the first account at " + cfg.BaseURL + "/register")
	}
	log.Info("torii is ready", "url", cfg.BaseURL, "addr", ln.Addr().String(), "database", cfg.Database)
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	return a.Serve(ctx, ln)
}
