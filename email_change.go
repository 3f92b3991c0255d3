package torii

import (
	"context"
	"time"
)

// EmailChange is a change of a user's address waiting for the owner of the
// new address to open the link mailed to it. ID is the SHA-256 of the
// link's token (hex), never the token.
type EmailChange struct {
	ID        string
	UserID    int64
	OldEmail  string
	NewEmail  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// EmailChangeStore keeps pending changes of address.
type EmailChangeStore interface {
	// CreateEmailChange stores c and queues mails in the same
	// transaction. ErrNotFound if the user does not exist, is deleted or
	// no longer has c.OldEmail; ErrConflict if a live user has c.NewEmail.
	CreateEmailChange(ctx context.Context, c EmailChange, mails []OutboxMail) error
	// ConsumeEmailChange uses the change whose hash is id at now, in one
	// transaction: the user's address becomes NewEmail, verified, and
	// every other pending change of theirs is spent. ErrNotFound, with
	// nothing written, if it is unknown, used, expired, or the user no
	// longer has OldEmail; ErrConflict if NewEmail was taken meanwhile.
	ConsumeEmailChange(ctx context.Context, id string, now time.Time) (EmailChange, User, error)
	// DeleteExpiredEmailChanges removes changes that expired before
	// `before` and returns how many.
	DeleteExpiredEmailChanges(ctx context.Context, before time.Time) (int64, error)
}
