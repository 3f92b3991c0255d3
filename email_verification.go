package torii

import (
	"context"
	"time"
)

// AuditEmailVerify records that an address was proved, with detail
// {"how": "link"|"admin"|"provider"}.
const AuditEmailVerify = "email.verify"

// EmailVerification is an outstanding proof of an address: a single-use
// token sent to Email. ID is the SHA-256 of the token (hex), never the
// token, so a copy of the database holds no usable link.
type EmailVerification struct {
	ID        string
	UserID    int64
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// EmailVerificationStore keeps verification tokens.
type EmailVerificationStore interface {
	// CreateEmailVerification stores v and queues m in one transaction:
	// the token exists if and only if its mail is on the way. ErrNotFound
	// if the user does not exist or is deleted; ErrConflict if v.ID is
	// taken. m is checked as EnqueueMail checks it.
	CreateEmailVerification(ctx context.Context, v EmailVerification, m OutboxMail) error
	// ConsumeEmailVerification uses the token whose hash is id at now and
	// sets the user's email_verified, in one transaction, and returns the
	// user. ErrNotFound, with nothing written, if the token is unknown,
	// used, expired at now, or its address is no longer the user's (a
	// deleted user has none).
	ConsumeEmailVerification(ctx context.Context, id string, now time.Time) (User, error)
	// DeleteExpiredEmailVerifications removes tokens that expired before
	// `before` and returns how many.
	DeleteExpiredEmailVerifications(ctx context.Context, before time.Time) (int64, error)
}
