package config

import (
	"fmt"
	"log/slog"

	"github.com/toriihq/torii/mail"
)

// Names of the mail settings, for the cross-checks in Load.
const (
	envSMTPURL  = "TORII_SMTP_URL"
	envMailFrom = "TORII_MAIL_FROM"
)

// SMTPURL is TORII_SMTP_URL: smtp://user:pass@host:587 or
// smtps://user:pass@host:465. It formats like a DSN: only the password is
// hidden ("xxxxx"). The zero SMTPURL is empty: mail is off.
type SMTPURL struct {
	value string
}

// Reveal returns the plain URL, for connecting.
func (s SMTPURL) Reveal() string { return s.value }

// IsSet reports whether a URL is configured.
func (s SMTPURL) IsSet() bool { return s.value != "" }

// Server returns the parsed URL (Load validated it).
func (s SMTPURL) Server() (mail.Server, error) { return mail.ParseURL(s.value) }

// Equal reports whether two URLs are the same (go-cmp uses it).
func (s SMTPURL) Equal(o SMTPURL) bool { return s.value == o.value }

// String returns the URL with its password replaced by "xxxxx".
func (s SMTPURL) String() string {
	if s.value == "" {
		return redactedEmpty
	}
	return redactURL(s.value, redactedSet)
}

// GoString is String, so %#v redacts too.
func (s SMTPURL) GoString() string { return s.String() }

// Format makes every fmt verb print the redacted form.
func (s SMTPURL) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s.String()) }

// LogValue makes slog print the redacted form.
func (s SMTPURL) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText makes text and JSON encoders print the redacted form.
func (s SMTPURL) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// parseSMTPURL validates TORII_SMTP_URL; empty means mail is off.
func parseSMTPURL(s string) (SMTPURL, error) {
	if s == "" {
		return SMTPURL{}, nil
	}
	if _, err := mail.ParseURL(s); err != nil {
		return SMTPURL{}, err
	}
	return SMTPURL{value: s}, nil
}

// parseMailFrom validates TORII_MAIL_FROM.
func parseMailFrom(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseFrom(s)
	if err != nil {
		return "", err
	}
	return a.String(), nil
}

// MailEnabled reports whether torii sends mail: an SMTP URL is set (Load
// then requires TORII_MAIL_FROM too).
func (c *Config) MailEnabled() bool { return c.SMTPURL.IsSet() }
