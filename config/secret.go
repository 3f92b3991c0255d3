package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// Shown in place of a secret by every formatting method.
const (
	redactedSet   = "[set]"
	redactedEmpty = "[empty]"
	// redactedPassword replaces the password of a database URL, as
	// net/url.URL.Redacted does.
	redactedPassword = "xxxxx"
)

// Secret holds a value that must never reach a log or an error message: a
// client secret, an API key. Every formatting path (String, GoString, fmt
// verbs, slog, encoding/json and other text encoders) shows only "[set]" or
// "[empty]"; the code that needs the value calls Reveal. The zero Secret is
// empty.
type Secret struct {
	value string
}

// newSecret returns a Secret holding v, for code and tests that build a
// Config without Load.
func newSecret(v string) Secret { return Secret{value: v} }

// Reveal returns the plain value. Call it only where the value is used,
// never to print it.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s.value != "" }

// Equal reports whether two secrets hold the same value (go-cmp uses it).
func (s Secret) Equal(o Secret) bool { return s.value == o.value }

// String returns "[set]" or "[empty]", never the value.
func (s Secret) String() string {
	if s.IsSet() {
		return redactedSet
	}
	return redactedEmpty
}

// GoString is String, so %#v redacts too.
func (s Secret) GoString() string { return s.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x…) print the redacted
// form.
func (s Secret) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s.String()) }

// LogValue makes slog print the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText makes encoding/json and slog's JSON handler print the redacted
// form. There is deliberately no UnmarshalText.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// DSN is the database setting: a SQLite file path or a postgres:// URL. A
// URL may carry a password, so a DSN formats like a Secret except that only
// the password is hidden: String returns the path, or the URL with its
// password (userinfo or a password query parameter) replaced by "xxxxx".
// The zero DSN is empty.
type DSN struct {
	value string
}

// newDSN returns a DSN holding v without validating it, for code and tests
// that build a Config without Load.
func newDSN(v string) DSN { return DSN{value: v} }

// Reveal returns the plain value, for opening the database.
func (d DSN) Reveal() string { return d.value }

// IsPostgres reports whether the DSN is a postgres:// or postgresql:// URL
// (anything else is a SQLite file path).
func (d DSN) IsPostgres() bool { return isPostgresURL(d.value) }

// Equal reports whether two DSNs hold the same value (go-cmp uses it).
func (d DSN) Equal(o DSN) bool { return d.value == o.value }

// String returns the DSN with any password replaced by "xxxxx".
func (d DSN) String() string {
	if d.value == "" {
		return redactedEmpty
	}
	if !d.IsPostgres() {
		return d.value
	}
	return redactURL(d.value, "postgres://"+redactedSet)
}

// redactURL returns the URL raw with its password, and any query
// parameter named like one, replaced by "xxxxx"; unparseable, it returns
// unparseable (the password cannot be located, so all of it is hidden).
func redactURL(raw, unparseable string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return unparseable
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), redactedPassword)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, redactedPassword)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// GoString is String, so %#v redacts too.
func (d DSN) GoString() string { return d.String() }

// Format makes every fmt verb print the redacted form.
func (d DSN) Format(f fmt.State, verb rune) { formatRedacted(f, verb, d.String()) }

// LogValue makes slog print the redacted form.
func (d DSN) LogValue() slog.Value { return slog.StringValue(d.String()) }

// MarshalText makes text and JSON encoders print the redacted form.
func (d DSN) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func formatRedacted(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = fmt.Sprintf("%q", s)
	}
	_, _ = f.Write([]byte(s))
}

func isPostgresURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}
