package torii

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// UserStatus says whether an account may sign in.
type UserStatus string

// The two statuses of a user (data-model.md, seed 003).
const (
	StatusActive   UserStatus = "active"
	StatusInactive UserStatus = "inactive"
)

// Valid reports whether s is one of the known statuses.
func (s UserStatus) Valid() bool { return s == StatusActive || s == StatusInactive }

// Auth providers as shown to clients: derived from what a user can sign in
// with, never stored.
const (
	ProviderLocal  = "local"
	ProviderGoogle = "google"
	ProviderBoth   = "both"
)

// RoleAdmin is the admin role seeded by the first migration.
const RoleAdmin = "admin"

// User is an account. Email is stored normalised (see NormalizeEmail) and is
// unique among users that are not deleted.
type User struct {
	ID            int64
	Email         string
	EmailVerified bool
	Name          string
	AvatarURL     string
	// PasswordHash is an argon2id PHC string, or "" for an account that signs
	// in through an identity provider only.
	PasswordHash string
	Status       UserStatus
	// TokensValidAfter is the user's token epoch: an access token whose
	// `iat`, in whole seconds, is not after it (iat <= epoch, truncated to
	// the second) is refused. Set by the pre-account-takeover reset,
	// deactivation, a password change and "sign out everywhere else";
	// nil: no token was ever revoked this way.
	TokensValidAfter *time.Time
	IsFirstLogin     bool
	LastLoginAt      *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	DeletedAt        *time.Time
}

// HasPassword reports whether the user can sign in with a password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }

// AuthProvider derives the api.md `authProvider` field from the user's
// password and the number of linked identities.
func (u User) AuthProvider(identities int) string {
	switch {
	case identities > 0 && u.HasPassword():
		return ProviderBoth
	case identities > 0:
		return ProviderGoogle
	default:
		return ProviderLocal
	}
}

// Identity links a user to an account at an OpenID provider. (Issuer,
// Subject) is the stable key: never the email (seed 002).
type Identity struct {
	ID      int64
	UserID  int64
	Issuer  string
	Subject string
	Email   string
	// Picture is the provider's picture (an https URL) at the identity's
	// last sign-in: it comes back when the user removes an uploaded one.
	Picture   string
	CreatedAt time.Time
}

// NormalizeEmail is the one form in which emails are stored and compared
// (security.md I.44): white space trimmed, Unicode NFC, and ASCII letters
// lowered. Only ASCII is case-folded: Unicode case folding would turn
// U+0130 into "i" or U+017F LONG S into "s", and NFC alone turns U+212A
// KELVIN SIGN into "K", so that "\u212Aim@example.com" landed in
// kim@example.com's account. An address with such a character
// (EmailImitatesASCII) is returned trimmed but otherwise as given: it then
// equals no stored address (none holds such a character, registration
// refuses them), so it never matches at sign-in.
func NormalizeEmail(email string) string {
	e := strings.TrimSpace(email)
	if EmailImitatesASCII(e) {
		return e
	}
	b := []byte(norm.NFC.String(e))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// EmailImitatesASCII reports whether email, as given or in NFC, holds a
// non-ASCII character that stands for an ASCII letter: one whose Unicode
// case mapping or folding is ASCII (U+0130, U+0131, U+017F LONG S, …) or
// whose canonical form is ASCII (U+212A KELVIN SIGN is "K" in NFC). Such
// an address reads as, and elsewhere folds into, an ASCII one: it is
// refused at registration and never matched at sign-in.
func EmailImitatesASCII(email string) bool {
	return imitatesASCII(email) || imitatesASCII(norm.NFC.String(email))
}

func imitatesASCII(s string) bool {
	for _, r := range s {
		if r < 0x80 {
			continue
		}
		if unicode.ToLower(r) < 0x80 || unicode.ToUpper(r) < 0x80 {
			return true
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < 0x80 {
				return true
			}
		}
		if c := norm.NFC.String(string(r)); c != "" && c[0] < 0x80 {
			return true
		}
	}
	return false
}

// TokenIssuedBeforeEpoch reports whether an access token issued at iat
// falls under the token epoch validAfter. Token times have one-second
// granularity, so the comparison is in whole seconds and a token issued
// in the very second of the epoch counts as before it: refused, even if
// it was minted a moment after the reset (the client mints another).
func TokenIssuedBeforeEpoch(iat time.Time, validAfter *time.Time) bool {
	return validAfter != nil && iat.Unix() <= validAfter.Unix()
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	// Query matches a substring of the email or the name, case-insensitively.
	Query  string
	Status UserStatus
	Limit  int
	// AfterID pages forward: only users with a larger id.
	AfterID int64
}
