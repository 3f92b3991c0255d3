package password

import (
	"unicode/utf8"

	"github.com/toriihq/torii"
)

// Length limits for a new password (security.md E.26).
const (
	// minLength is the minimum length of a password in characters (runes,
	// so that "é" counts once whatever its encoding length).
	minLength = 12
	// MaxBytes is the maximum length of a password in bytes. It caps the
	// work and memory one request can cause; it is far above any real
	// passphrase, so nothing legitimate is refused, and nothing is ever
	// silently truncated.
	MaxBytes = 1024
)

// Validate checks a new password: at least minLength runes and at most
// MaxBytes bytes, otherwise a torii VALIDATION_ERROR on the field
// "password". Any character is accepted, spaces included; the password is
// never trimmed, normalised or truncated, so what is hashed is exactly what
// the user typed.
func Validate(plain string) error {
	if len(plain) > MaxBytes {
		return torii.Invalid(map[string]string{"password": "must be at most 1024 bytes"})
	}
	if utf8.RuneCountInString(plain) < minLength {
		return torii.Invalid(map[string]string{"password": "must be at least 12 characters"})
	}
	return nil
}
