package torii

import (
	"context"
	"time"
)

// ProofStore keeps what proving a sign-in needs beyond sessions and users
// (issue 12): when a session last authenticated. The per-user token epoch
// is User.TokensValidAfter, written by UpdateUser, SetUserStatus and
// LinkIdentity.
type ProofStore interface {
	// ReauthSession records that the user of live session id proved who
	// they are again at `at` (password or provider sign-in): its AuthAt
	// moves forward to at, never back. ErrNotFound if the session is
	// unknown or revoked.
	ReauthSession(ctx context.Context, id string, at time.Time) error
}
