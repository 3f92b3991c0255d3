package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// Defaults of the settings added for issue 13's "safe defaults" and
// "creation limits" (docs/api.md "Stored strings and creation limits").
const (
	// DefaultMetricsAddr serves /metrics on loopback only, on a port that
	// clashes neither with torii (8080) nor with `torii dev-idp` (9090).
	DefaultMetricsAddr = "127.0.0.1:9091"
	// DefaultRateRoomsUser allows 30 new rooms per user per hour.
	DefaultRateRoomsUser = "30/1h"
	// DefaultRateGroupsUser allows 10 new groups per user per hour.
	DefaultRateGroupsUser = "10/1h"
	// DefaultRateMessagesUser allows 60 messages per user per 10 seconds:
	// far above anyone typing, far below a script flooding a room.
	DefaultRateMessagesUser = "60/10s"
)

// InputSettings are the metrics and creation-limit settings; Config embeds
// them, so their fields read as Config's own.
type InputSettings struct {
	// MetricsAddr is the separate listener that serves /metrics
	// (TORII_METRICS_ADDR, --metrics-addr). Default 127.0.0.1:9091; "off"
	// (stored as "") turns it off.
	MetricsAddr string
	// MetricsToken, when set, also opens /metrics on the main listener to
	// requests carrying `Authorization: Bearer <token>`
	// (TORII_METRICS_TOKEN, --metrics-token, and _FILE). Default empty:
	// the main listener answers /metrics with 404.
	MetricsToken Secret
	// RateRoomsUser limits room creation per user (TORII_RATE_ROOMS_USER,
	// --rate-rooms-user). Default 30/1h.
	RateRoomsUser Rate
	// RateGroupsUser limits group creation per user
	// (TORII_RATE_GROUPS_USER, --rate-groups-user). Default 10/1h.
	RateGroupsUser Rate
	// RateMessagesUser limits messages posted per user
	// (TORII_RATE_MESSAGES_USER, --rate-messages-user). Default 60/10s.
	RateMessagesUser Rate
}

func init() {
	variables = append(variables,
		variable{env: "TORII_METRICS_ADDR", group: "Operations", def: DefaultMetricsAddr,
			help: "a separate listener, host:port, that serves /metrics (Prometheus); off = none. Keep it on loopback or a private network",
			set:  func(c *Config, s string) (err error) { c.MetricsAddr, err = parseMetricsAddr(s); return }},
		variable{env: "TORII_METRICS_TOKEN", group: "Operations", kind: kindSecret,
			help: "when set, the main listener also serves /metrics to `Authorization: Bearer <token>` (Cloud Run); empty = 404 there",
			set:  func(c *Config, s string) (err error) { c.MetricsToken, err = parseMetricsToken(s); return }},
		variable{env: "TORII_RATE_ROOMS_USER", group: "Limits", def: DefaultRateRoomsUser,
			help: "rooms created per user, N/duration; 0/… or off disables",
			set:  func(c *Config, s string) (err error) { c.RateRoomsUser, err = parseRate(s); return }},
		variable{env: "TORII_RATE_GROUPS_USER", group: "Limits", def: DefaultRateGroupsUser,
			help: "groups created per user, N/duration; 0/… or off disables",
			set:  func(c *Config, s string) (err error) { c.RateGroupsUser, err = parseRate(s); return }},
		variable{env: "TORII_RATE_MESSAGES_USER", group: "Limits", def: DefaultRateMessagesUser,
			help: "chat messages posted per user, N/duration; 0/… or off disables",
			set:  func(c *Config, s string) (err error) { c.RateMessagesUser, err = parseRate(s); return }},
	)
}

func parseMetricsAddr(s string) (string, error) {
	if strings.EqualFold(s, "off") {
		return "", nil
	}
	return parseAddr(s)
}

// parseMetricsToken wants a token worth the name: it guards the process's
// internals on a public listener.
func parseMetricsToken(s string) (Secret, error) {
	sec, err := parseSecret(s)
	if err != nil {
		return sec, err
	}
	if n := len(sec.Reveal()); n > 0 && n < 16 {
		return Secret{}, fmt.Errorf("too short (%d characters; use at least 16, e.g. from torii gen-secret)", n)
	}
	return sec, nil
}

// inputRedacted lists InputSettings for Redacted.
func (c *Config) inputRedacted() []slog.Attr {
	addr := c.MetricsAddr
	if addr == "" {
		addr = "off"
	}
	return []slog.Attr{
		slog.String("TORII_METRICS_ADDR", addr),
		slog.String("TORII_METRICS_TOKEN", c.MetricsToken.String()),
		slog.String("TORII_RATE_ROOMS_USER", c.RateRoomsUser.String()),
		slog.String("TORII_RATE_GROUPS_USER", c.RateGroupsUser.String()),
		slog.String("TORII_RATE_MESSAGES_USER", c.RateMessagesUser.String()),
	}
}
