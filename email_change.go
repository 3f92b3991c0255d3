package torii

import (
	"context"
	"time"
)

// EmailChange is a change of a user's address waiting for the owner of the
// new address to open its link. ID is the SHA-256 of the link's token
// (hex), never the token.
type EmailChange struct {
	ID       string
	UserID   int64
	OldEmail string
	NewEmail string
	// Via is how the link reaches the new address's owner:
	// EmailChangeViaMail or EmailChangeViaAdmin.
	Via       string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// How the link of an e-mail change reaches the new address's owner
// (EmailChange.Via).
const (
	// EmailChangeViaMail: mailed to the new address; opening it proves
	// the address (its owner read the mail).
	EmailChangeViaMail = "mail"
	// EmailChangeViaAdmin: made by an admin and handed over by other
	// means, after the admin checked that the new address is the user's;
	// the admin's act is the proof (security.md I.42). A change asked
	// for on a server that sends no mail waits with this Via, its link
	// unknown to anyone, until an admin makes one (ReissueEmailChange).
	EmailChangeViaAdmin = "admin"
)

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
	// PendingEmailChanges lists the live changes (unused, unexpired, the
	// user live and still at OldEmail) at now, newest first, at most
	// limit (1 to 1000); of user userID only when userID is not 0.
	PendingEmailChanges(ctx context.Context, userID int64, now time.Time, limit int) ([]EmailChange, error)
	// ReissueEmailChange gives user userID's newest live change (see
	// PendingEmailChanges) the hash newID, Via EmailChangeViaAdmin and
	// the expiry expires, and returns it: any earlier link of that change
	// dies. ErrNotFound if the user has no live change.
	ReissueEmailChange(ctx context.Context, userID int64, newID string, now, expires time.Time) (EmailChange, error)
	// DeleteExpiredEmailChanges removes changes that expired before
	// `before` and returns how many.
	DeleteExpiredEmailChanges(ctx context.Context, before time.Time) (int64, error)
}
