package torii

import (
	"context"
	"time"
)

// Invitation lets one address register, even with signup closed, into
// the groups it names and with the admin role if Admin is set. It is
// single-use: registering deletes it. TokenHash is the SHA-256 of the
// link's token (hex), never the token.
type Invitation struct {
	ID        int64
	TokenHash string
	Email     string
	GroupIDs  []int64
	Admin     bool
	InvitedBy *int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ErrInvitationsFull is returned by CreateInvitation when as many live
// invitations exist as may.
var ErrInvitationsFull = &Error{Code: EValidation, Message: "There are too many pending invitations.",
	Fields: map[string]string{"email": "too many invitations are pending: revoke some first"}}

// InvitationStore keeps invitations to register.
type InvitationStore interface {
	// CreateInvitation stores inv and, when m is not nil, queues m in the
	// same transaction. Earlier invitations of the same address are
	// replaced (deleted), and expired ones of anyone dropped, first;
	// ErrInvitationsFull if more than max would then be live. ErrConflict
	// if a live user has the address. It returns inv with its ID.
	CreateInvitation(ctx context.Context, inv Invitation, m *OutboxMail, max int) (Invitation, error)
	// Invitations lists the invitations live at now, newest first.
	Invitations(ctx context.Context, now time.Time) ([]Invitation, error)
	// InvitationByToken returns the invitation whose token hash is hash,
	// if it is live at now (ErrNotFound otherwise).
	InvitationByToken(ctx context.Context, hash string, now time.Time) (Invitation, error)
	// DeleteInvitation removes invitation id and returns it.
	DeleteInvitation(ctx context.Context, id int64) (Invitation, error)
	// AcceptInvitation, in one transaction: deletes the invitation whose
	// token hash is hash (ErrNotFound if it is not live at now), creates
	// u with the invitation's address, verified, adds it as a member of
	// every invited group that still exists, and grants it the admin role
	// if the invitation says so. ErrConflict, with nothing written, if the
	// address is taken. It returns the user and the invitation.
	AcceptInvitation(ctx context.Context, hash string, u User, now time.Time) (User, Invitation, error)
	// DeleteExpiredInvitations removes invitations expired at now and
	// returns how many.
	DeleteExpiredInvitations(ctx context.Context, now time.Time) (int64, error)
}
