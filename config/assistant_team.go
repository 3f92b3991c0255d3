package config

import (
	"fmt"
	"github.com/toriihq/torii/service"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// DefaultAssistantLease is the default TORII_ASSISTANT_LEASE: the
// service's own default, so the two cannot disagree.
const DefaultAssistantLease = service.DefaultAssistantLease

// AssistantTeam are the assistant's team settings (docs/api.md "Gemini for
// a team"); Config embeds them.
type AssistantTeam struct {
	// GeminiModels are the models users may pick (TORII_GEMINI_MODELS,
	// comma-separated; the first is the default). Default empty: only
	// TORII_GEMINI_MODEL. Read them through Models.
	GeminiModels []string
	// AssistantQuotaDaily and AssistantQuotaMonthly are the default token
	// budgets per user per UTC day and month (TORII_ASSISTANT_QUOTA_DAILY,
	// _MONTHLY). Default 0: no limit.
	AssistantQuotaDaily, AssistantQuotaMonthly int64
	// AssistantLease bounds how long a reply abandoned by a crashed
	// instance keeps its room busy (TORII_ASSISTANT_LEASE). Default 30s.
	AssistantLease time.Duration
}

// Models returns the models users may pick, the default first:
// TORII_GEMINI_MODELS, or TORII_GEMINI_MODEL alone.
func (c *Config) Models() []string {
	if len(c.GeminiModels) > 0 {
		return c.GeminiModels
	}
	return []string{c.GeminiModel}
}

var assistantTeamVariables = []variable{
	{env: "TORII_GEMINI_MODELS", group: "Assistant", def: "",
		defDoc: "empty: TORII_GEMINI_MODEL only",
		help:   "comma-separated models users may pick per conversation; the first is the default (and replaces TORII_GEMINI_MODEL); an admin may limit a model to groups",
		set: func(c *Config, s string) error {
			c.GeminiModels = nil
			for _, m := range strings.Split(s, ",") {
				m = strings.TrimSpace(m)
				if m == "" {
					continue
				}
				if _, err := parseToken(m); err != nil {
					return err
				}
				c.GeminiModels = append(c.GeminiModels, m)
			}
			return nil
		}},
	{env: "TORII_ASSISTANT_QUOTA_DAILY", group: "Assistant", def: "0",
		help: "tokens each user may spend per UTC day (0 = no limit); groups and users may get overrides in /admin",
		set:  func(c *Config, s string) (err error) { c.AssistantQuotaDaily, err = parseTokens(s); return }},
	{env: "TORII_ASSISTANT_QUOTA_MONTHLY", group: "Assistant", def: "0",
		help: "tokens each user may spend per UTC calendar month (0 = no limit)",
		set:  func(c *Config, s string) (err error) { c.AssistantQuotaMonthly, err = parseTokens(s); return }},
	{env: "TORII_ASSISTANT_LEASE", group: "Assistant", def: formatDuration(DefaultAssistantLease),
		help: "how long a reply whose instance died keeps its room busy before another instance marks it failed (renewed every third of it, at most every 2s)",
		set: func(c *Config, s string) (err error) {
			c.AssistantLease, err = parseDuration(s, "30s", false)
			return
		}},
}

func init() { variables = append(variables, assistantTeamVariables...) }

// parseTokens parses a token budget ≥ 0.
func parseTokens(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid token budget %s (want a whole number ≥ 0, e.g. 200000; 0 = no limit)", quote(s))
	}
	return n, nil
}

func (c *Config) assistantTeamAttrs() []slog.Attr {
	return []slog.Attr{
		slog.String("TORII_GEMINI_MODELS", strings.Join(c.GeminiModels, ",")),
		slog.Int64("TORII_ASSISTANT_QUOTA_DAILY", c.AssistantQuotaDaily),
		slog.Int64("TORII_ASSISTANT_QUOTA_MONTHLY", c.AssistantQuotaMonthly),
		slog.String("TORII_ASSISTANT_LEASE", formatDuration(c.AssistantLease)),
	}
}
