package config

import (
	"fmt"
	"log/slog"
)

// RecoverySettings are the settings of issue 19 (accounts people can
// recover and leave); Config embeds them.
type RecoverySettings struct {
	// EraseDeletedMessages erases the text of a deleted account's messages
	// (TORII_DELETED_MESSAGES=erase, --deleted-messages). Default false
	// (keep): the messages stay, shown as from "deleted user".
	EraseDeletedMessages bool
}

func init() {
	variables = append(variables,
		variable{env: "TORII_DELETED_MESSAGES", group: "Operations", def: "keep",
			help: "what happens to a deleted account's chat messages: keep (shown as from \"deleted user\") or erase (their text is blanked)",
			set: func(c *Config, s string) error {
				switch s {
				case "keep", "erase":
					c.EraseDeletedMessages = s == "erase"
					return nil
				}
				return fmt.Errorf("invalid value %s (want keep or erase)", quote(s))
			}})
}

// recoveryAttrs lists the recovery settings for the start-up summary.
func (c *Config) recoveryAttrs() []slog.Attr {
	v := "keep"
	if c.EraseDeletedMessages {
		v = "erase"
	}
	return []slog.Attr{slog.String("TORII_DELETED_MESSAGES", v)}
}
