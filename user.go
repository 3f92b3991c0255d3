package torii

import (
	"strings"
	"time"
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
	IsFirstLogin bool
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeletedAt    *time.Time
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
	ID        int64
	UserID    int64
	Issuer    string
	Subject   string
	Email     string
	CreatedAt time.Time
}

// NormalizeEmail trims an email and lowers its case, the one form in which
// emails are stored and compared.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
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
