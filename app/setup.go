package app

import (
	"context"
	"log/slog"
	"net/url"

	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/service"
)

// logSetupLink logs the first-run link (service.StartSetup) while no admin
// exists. The link holds a secret: whoever reads the start-up log can
// become admin, as whoever can run the CLI on the server can.
func logSetupLink(ctx context.Context, cfg *config.Config, log *slog.Logger, svc *service.Service) {
	token, err := svc.StartSetup(ctx)
	if err != nil {
		log.Warn("could not make a first-run setup link", "err", err)
		return
	}
	if token == "" {
		return
	}
	log.Warn("no admin yet: open this one-time link, signed in, to become the first admin (valid until an admin exists)",
		"setup_url", cfg.BaseURL+"/setup?token="+url.QueryEscape(token))
}
