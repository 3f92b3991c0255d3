package torii

import (
	"context"
	"time"
)

// Audit events of group invitations (security.md I.45: nobody joins a
// group without their consent or an admin's act).
const (
	AuditGroupInvite        = "group.invite"
	AuditGroupInviteAccept  = "group.invite.accept"
	AuditGroupInviteDecline = "group.invite.decline"
	AuditGroupInviteCancel  = "group.invite.cancel"
)

// GroupInvitation is a pending offer of a group membership to a user, who
// becomes a member only by accepting it. UserID is the id the inviter
// gave: it need not name a user (so that inviting cannot be used to learn
// which ids exist), and an invitation created before the account holding
// that id is not that account's.
type GroupInvitation struct {
	ID        int64
	GroupID   int64
	UserID    int64
	Role      string // GroupRoleOwner, GroupRoleAdmin or GroupRoleMember
	InvitedBy *int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Live reports whether the invitation can still be accepted at now.
func (i GroupInvitation) Live(now time.Time) bool { return now.Before(i.ExpiresAt) }

// ErrInvitationLimit is returned by CreateGroupInvitation when the group
// already has as many live invitations as it may.
var ErrInvitationLimit = &Error{Code: EValidation, Message: "This group has too many pending invitations.",
	Fields: map[string]string{"userId": "the group has too many pending invitations: cancel some first"}}

// GroupInvitationStore keeps group invitations. It is implemented by
// sqlstore and embedded in Store.
type GroupInvitationStore interface {
	// CreateGroupInvitation stores inv, or renews the invitation of the
	// same (group, user) if there is one: its role, inviter, creation and
	// expiry become inv's, its id is kept. There is never more than one
	// invitation per (group, user). Expired invitations of the group are
	// deleted first; ErrInvitationLimit if the group would then hold more
	// than max invitations. ErrNotFound for a missing group;
	// VALIDATION_ERROR for an unknown role. The user need not exist.
	CreateGroupInvitation(ctx context.Context, inv GroupInvitation, max int) (GroupInvitation, error)
	// GroupInvitationByID returns one invitation, expired or not.
	GroupInvitationByID(ctx context.Context, id int64) (GroupInvitation, error)
	// GroupInvitations lists the group's invitations live at now, ordered
	// by id.
	GroupInvitations(ctx context.Context, groupID int64, now time.Time) ([]GroupInvitation, error)
	// UserGroupInvitations lists the invitations live at now addressed to
	// userID's live account (created at or after the account), ordered by
	// id.
	UserGroupInvitations(ctx context.Context, userID int64, now time.Time) ([]GroupInvitation, error)
	// AcceptGroupInvitation turns invitation id of userID into a
	// membership and deletes the invitation, in one transaction, and
	// returns the membership. A user who is already a member keeps their
	// membership and role. ErrNotFound if the invitation is missing, not
	// that user's live account's, or expired at now.
	AcceptGroupInvitation(ctx context.Context, id, userID int64, now time.Time) (GroupMember, error)
	// DeleteGroupInvitation removes invitation id and returns it.
	DeleteGroupInvitation(ctx context.Context, id int64) (GroupInvitation, error)
	// DeleteGroupInvitationOf removes the invitation of (group, user), if
	// any (a user added directly needs it no more).
	DeleteGroupInvitationOf(ctx context.Context, groupID, userID int64) error
	// DeleteExpiredGroupInvitations removes every invitation expired at
	// now and returns how many (the background prune).
	DeleteExpiredGroupInvitations(ctx context.Context, now time.Time) (int64, error)
}
