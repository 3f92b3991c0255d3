package torii

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// SigningKey is a key torii signs its JWTs with (data-model.md
// signing_keys). Keys are shared by every instance on the database: the
// newest one signs, the older ones are still published in the JWKS until
// every token they signed has expired (NotAfter), then deleted.
type SigningKey struct {
	// ID is the key id (`kid`): the RFC 7638 thumbprint of the public key,
	// so it is stable and unique without coordination.
	ID string
	// Algorithm is the JWS algorithm the key signs with (RS256).
	Algorithm string
	// PrivateKey is the PKCS#8 DER form of the private key. It never
	// leaves the server: it prints and logs as [redacted].
	PrivateKey PrivateKey
	// PublicJWK is the public key as a JSON Web Key (JSON text), exactly
	// as the JWKS endpoint publishes it.
	PublicJWK []byte
	CreatedAt time.Time
	// NotAfter is the end of the key's life: no token it signed is valid
	// after it, so it is no longer published and may be deleted.
	NotAfter time.Time
}

// LogValue shows a key in logs by id, algorithm and times, never its
// private part.
func (k SigningKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.ID), slog.String("alg", k.Algorithm),
		slog.Time("created_at", k.CreatedAt), slog.Time("not_after", k.NotAfter))
}

// String names the key without its private part.
func (k SigningKey) String() string {
	return fmt.Sprintf("SigningKey{kid=%s alg=%s}", k.ID, k.Algorithm)
}

// PrivateKey holds private key bytes. Every way of printing, logging or
// encoding it as JSON or text yields "[redacted]", so a key cannot reach a
// log line or an API answer by accident; code that needs the bytes uses
// them as a []byte.
type PrivateKey []byte

const redacted = "[redacted]"

// Format implements fmt.Formatter for every verb, %#v included.
func (PrivateKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// String implements fmt.Stringer.
func (PrivateKey) String() string { return redacted }

// LogValue implements slog.LogValuer.
func (PrivateKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler (and so JSON encoding).
func (PrivateKey) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// RefreshToken is one link of a refresh token chain (data-model.md
// refresh_tokens). The token itself is 256 random bits held by the client;
// ID is its hash, so a copy of the database cannot be replayed. Every
// rotation spends one token and adds its child to the same chain; a chain
// lives no longer than the session it was minted from.
type RefreshToken struct {
	ID        string
	UserID    int64
	SessionID string
	// ChainID is the ID of the chain's first token; revoking a chain
	// revokes every token that shares it.
	ChainID string
	// ParentID is the token this one replaced ("" for the first).
	ParentID string
	// Audience is the `aud` of the access tokens the chain mints.
	Audience  string
	CreatedAt time.Time
	ExpiresAt time.Time
	SpentAt   *time.Time
	RevokedAt *time.Time
}

// Usable reports whether the token may be exchanged at now: neither spent,
// revoked nor expired.
func (t RefreshToken) Usable(now time.Time) bool {
	return t.SpentAt == nil && t.RevokedAt == nil && now.Before(t.ExpiresAt)
}

// ErrRefreshTokenReused is returned by RotateRefreshToken for a token that
// was already spent: someone holds a copy of it, so its whole chain has
// been revoked.
var ErrRefreshTokenReused = &Error{Code: EUnauthorized, Message: "This refresh token was already used; its chain is revoked."}

// KeyStore keeps the signing keys shared by every instance.
type KeyStore interface {
	// SigningKeys returns every stored key, newest first (by CreatedAt,
	// then ID).
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// UpdateSigningKeys is how keys are created, retired and deleted. It
	// reads the stored keys (newest first) and calls update with them
	// inside a transaction that excludes every other UpdateSigningKeys on
	// the database, whichever instance runs it; then it stores what update
	// returns: keys with a new ID are inserted, keys left out are deleted,
	// and a changed NotAfter is written (a key is otherwise immutable).
	// So when several instances decide at once that a new key is due,
	// exactly one adds it: the others see it in their update's argument.
	// An error from update aborts and is returned as is; update must not
	// call the store. It returns the keys as stored afterwards.
	UpdateSigningKeys(ctx context.Context, update func(keys []SigningKey) ([]SigningKey, error)) ([]SigningKey, error)
}

// RefreshTokenStore keeps refresh tokens. Revoking a session (RevokeSession,
// RevokeUserSessions) or deactivating or deleting a user (SetUserStatus,
// UpdateUser) revokes the refresh tokens bound to it in the same
// transaction.
type RefreshTokenStore interface {
	// CreateRefreshToken stores the first token of a new chain (ChainID
	// defaults to ID). ErrNotFound if the user or session does not exist
	// or the session is revoked, ErrConflict if the ID is taken.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// RefreshTokenByID returns a token whatever its state.
	RefreshTokenByID(ctx context.Context, id string) (RefreshToken, error)
	// RotateRefreshToken spends token id at `at` and stores next as its
	// child, in one transaction: next takes UserID, SessionID, ChainID and
	// Audience from the spent token and ParentID = id; its ID, CreatedAt
	// and ExpiresAt are the caller's. It returns the spent token. Of
	// several concurrent rotations of one token exactly one succeeds.
	// Errors: ErrNotFound if no token has that id, or it is revoked or
	// expired, or its session is revoked (checked in the transaction, so a
	// rotation racing the revocation leaves no live child); ErrRefreshTokenReused if it was already spent — the whole
	// chain is then revoked at `at` (and that is committed), and the
	// spent token is returned with the error so the caller knows whose
	// chain it was.
	RotateRefreshToken(ctx context.Context, id string, next RefreshToken, at time.Time) (RefreshToken, error)
	// RevokeRefreshChain revokes every unrevoked token of a chain and
	// returns how many.
	RevokeRefreshChain(ctx context.Context, chainID string, at time.Time) (int64, error)
}
