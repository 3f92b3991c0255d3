package app

import (
	"time"

	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/service"
)

// The limits of password reset requests (docs/api.md "Password reset"):
// per client IP (429 past it) and per address (dropped silently past it).
var (
	resetIPRate      = config.Rate{Limit: 20, Window: time.Hour}
	resetAddressRate = config.Rate{Limit: 3, Window: time.Hour}
)

// recoveryOptions configures issue 19's flows.
func recoveryOptions(cfg *config.Config, now func() time.Time) service.RecoveryOptions {
	o := service.RecoveryOptions{
		ResetPerIP:      limiter(resetIPRate, now),
		ResetPerAddress: limiter(resetAddressRate, now),
		DeletedMessages: service.DeletedMessagesKeep,
	}
	if cfg.EraseDeletedMessages {
		o.DeletedMessages = service.DeletedMessagesErase
	}
	return o
}
