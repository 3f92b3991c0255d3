package torii

import (
	"context"
	"time"
)

// Audit events of account recovery (issue 19).
const (
	// AuditPasswordResetRequest records a reset link made for an account,
	// with detail {"via": "mail"|"admin"} (and "by" for an admin). A
	// request for an unknown address writes nothing: the log would
	// otherwise fill with guesses.
	AuditPasswordResetRequest = "password.reset.request"
	// AuditPasswordReset records a password set through a reset link.
	AuditPasswordReset = "password.reset"
	// AuditInvite, AuditInviteAccept and AuditInviteRevoke record the
	// invitations of addresses to register.
	AuditInvite       = "user.invite"
	AuditInviteAccept = "user.invite.accept"
	AuditInviteRevoke = "user.invite.revoke"
	// AuditEmailChangeRequest and AuditEmailChange record a change of
	// address, asked for and confirmed from the new address.
	AuditEmailChangeRequest = "email.change.request"
	AuditEmailChange        = "email.change"
	// AuditProfile records a change of name or picture.
	AuditProfile = "profile.update"
	// AuditUserDelete records an account deleted by its owner or an admin.
	AuditUserDelete = "user.delete"
)

// How a reset link reached its holder (PasswordReset.Via).
const (
	// ResetViaMail: mailed to the address, so using it proves the address.
	ResetViaMail = "mail"
	// ResetViaAdmin: made by an admin and handed over by other means; it
	// proves nothing about the address.
	ResetViaAdmin = "admin"
)

// PasswordReset is an outstanding single-use link that sets a new
// password. ID is the SHA-256 of the token (hex), never the token.
type PasswordReset struct {
	ID     string
	UserID int64
	// Email is the account's address when the link was made: the link
	// works only while the account still has it.
	Email     string
	Via       string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// PasswordResetDone is what ConsumePasswordReset did.
type PasswordResetDone struct {
	User User
	// Verified is set when the reset marked the address verified.
	Verified bool
	// SessionsRevoked counts the sessions it ended.
	SessionsRevoked int
	// IdentitiesRemoved are the identities it unlinked (a mailed reset of
	// an unverified address: see ConsumePasswordReset).
	IdentitiesRemoved []Identity
}

// PasswordResetStore keeps reset links.
type PasswordResetStore interface {
	// CreatePasswordReset stores r and, when m is not nil, queues m in the
	// same transaction: the link exists if and only if its mail is on the
	// way. ErrNotFound if the user does not exist or is deleted.
	CreatePasswordReset(ctx context.Context, r PasswordReset, m *OutboxMail) error
	// PasswordResetByID returns the reset whose hash is id if it is usable
	// at now: unused, unexpired, and its address still the user's.
	// ErrNotFound otherwise.
	PasswordResetByID(ctx context.Context, id string, now time.Time) (PasswordReset, error)
	// ConsumePasswordReset uses the reset whose hash is id at now, in one
	// transaction: the user's password becomes hash, their token epoch
	// moves to now, every session and refresh token of theirs is revoked,
	// and every other reset of theirs is spent. A reset that came by mail
	// also marks the address verified; if it was not verified before,
	// every identity of the account is removed too (each was linked while
	// the address was unproved: security.md D.22). ErrNotFound, with
	// nothing written, if the reset is not usable (PasswordResetByID).
	ConsumePasswordReset(ctx context.Context, id, hash string, now time.Time) (PasswordResetDone, error)
	// DeleteExpiredPasswordResets removes resets that expired before
	// `before` and returns how many.
	DeleteExpiredPasswordResets(ctx context.Context, before time.Time) (int64, error)
}

// RecoveryStores are the stores of issue 19, embedded in Store as one.
type RecoveryStores interface {
	PasswordResetStore
	InvitationStore
	EmailChangeStore
	LeavingStore
	AvatarStore
}

// AvatarStore keeps pictures users uploaded (PNG, made by torii).
type AvatarStore interface {
	// SetAvatar stores data as userID's picture and sets their AvatarURL
	// to url, in one transaction, and returns the user. ErrNotFound for a
	// missing or deleted user.
	SetAvatar(ctx context.Context, userID int64, data []byte, url string, at time.Time) (User, error)
	// DeleteAvatar removes userID's uploaded picture, if any, and replaces
	// an AvatarURL that pointed to it with the Picture of the user's
	// identity linked last that has one (else none), and returns the user.
	DeleteAvatar(ctx context.Context, userID int64, at time.Time) (User, error)
	// Avatar returns userID's uploaded picture (ErrNotFound if none, or
	// the user is deleted).
	Avatar(ctx context.Context, userID int64) ([]byte, time.Time, error)
}

// AvatarPathPrefix starts the AvatarURL of an uploaded picture
// ("/avatars/<id>?v=<version>"): a provider's picture never replaces it.
const AvatarPathPrefix = "/avatars/"

// DeletedEmailDomain is the domain of the placeholder address a deleted
// account keeps ("deleted-<id>@deleted.invalid"): the real address is
// freed and forgotten (.invalid is reserved, RFC 2606).
const DeletedEmailDomain = "deleted.invalid"

// LeavingStore deletes accounts and exports their data.
type LeavingStore interface {
	// DeleteAccount deletes user id at `at`, in one transaction: every
	// session and refresh token is revoked, identities, group
	// memberships, admin roles, pending links and invitations of the
	// account are removed, and the user row is kept (messages refer to
	// it) but emptied: deleted_at set, status inactive, no password, name
	// and avatar blank, the address replaced by
	// deleted-<id>@DeletedEmailDomain, the token epoch moved to at. With
	// eraseMessages the text of the user's messages is blanked too. It
	// returns the user as it was. ErrNotFound if the user does not exist
	// or is already deleted.
	DeleteAccount(ctx context.Context, id int64, at time.Time, eraseMessages bool) (User, error)
	// UserMessages lists the messages userID wrote, oldest first, with
	// ids above after, at most limit (1 to 1000).
	UserMessages(ctx context.Context, userID, after int64, limit int) ([]Message, error)
}
