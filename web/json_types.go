package web

import (
	"time"

	"github.com/toriihq/torii"
)

// The JSON shapes of api.md: camelCase fields, integer ids, RFC 3339 UTC
// times.

type userJSON struct {
	ID            int64     `json:"id"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"emailVerified"` // api.md "What counts as a verified address"
	Name          string    `json:"name"`
	AvatarURL     string    `json:"avatarUrl"`
	Status        string    `json:"status"`
	AuthProvider  string    `json:"authProvider"`
	CreatedAt     time.Time `json:"createdAt"`
}

func userOf(u torii.User, identities int) userJSON {
	return userJSON{
		ID:            u.ID,
		Email:         u.Email,
		EmailVerified: u.EmailVerified,
		Name:          u.Name,
		AvatarURL:     u.AvatarURL,
		Status:        string(u.Status),
		AuthProvider:  u.AuthProvider(identities),
		CreatedAt:     u.CreatedAt.UTC(),
	}
}

type identityJSON struct {
	ID        int64     `json:"id"`
	Issuer    string    `json:"issuer"`
	Subject   string    `json:"subject"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"createdAt"`
}

func identityOf(id torii.Identity) identityJSON {
	return identityJSON{ID: id.ID, Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, CreatedAt: id.CreatedAt.UTC()}
}

// sessionJSON's id is an opaque string, not an integer: a session is keyed
// by the hash of its token (data-model.md), and that hash is what a client
// passes back to revoke it. See docs/api.md.
type sessionJSON struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"createdAt"`
	LastActivity time.Time `json:"lastActivity"`
	ExpiresAt    time.Time `json:"expiresAt"`
	IP           string    `json:"ip"`
	UserAgent    string    `json:"userAgent"`
	Current      bool      `json:"current"`
}

func sessionOf(s torii.Session, current string) sessionJSON {
	return sessionJSON{
		ID: s.ID, CreatedAt: s.CreatedAt.UTC(), LastActivity: s.LastActivity.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
		IP: s.IP, UserAgent: s.UserAgent, Current: s.ID == current,
	}
}
