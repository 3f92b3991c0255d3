package torii

import (
	"context"
	"time"
)

// SetupStore keeps the first-run setup tokens (only their hashes): while
// no admin exists, a valid token makes its holder the first admin.
type SetupStore interface {
	// AddSetupToken stores a token hash.
	AddSetupToken(ctx context.Context, hash string, at time.Time) error
	// SetupTokenExists reports whether hash is a stored token.
	SetupTokenExists(ctx context.Context, hash string) (bool, error)
	// ClaimSetupToken, in one transaction serialised with every other
	// claim, spends token hash and grants userID the admin role, if no
	// live user holds it yet. ErrNotFound if the token is not stored (or
	// the user does not exist); ErrAlreadySetUp if an admin exists (the
	// token is then left unspent, and useless).
	ClaimSetupToken(ctx context.Context, hash string, userID int64) error
	// DeleteSetupTokens removes every setup token (once an admin exists).
	DeleteSetupTokens(ctx context.Context) error
}

// ErrAlreadySetUp is ClaimSetupToken's answer once an admin exists.
var ErrAlreadySetUp = &Error{Code: EConflict, Message: "This server is already set up: it has an admin."}
