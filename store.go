package torii

import (
	"context"
	"time"
)

// Store is the persistence contract. Every backend (SQLite, PostgreSQL)
// implements it and passes the same conformance suite (package storetest).
//
// Unless a method says otherwise it returns ErrNotFound for a missing row and
// ErrConflict for a uniqueness violation. Each method is atomic: a method
// that changes several rows does so in one transaction, so a failure leaves
// nothing half-written.
type Store interface {
	UserStore
	IdentityStore
	GoogleStore
	RoleStore
	SessionStore
	AuditStore
	KeyStore
	RefreshTokenStore
	GroupStore
	GroupInvitationStore
	AllowlistStore
	RoomStore
	MessageStore
	AccountStore
	OutboxStore
	EmailVerificationStore
	RoomPageStore
	SetupStore
	ProofStore
	LanguageStore
	OAuthStore
	RecoveryStores
	ChatStore
	AssistantStore
	AssistantTitleStore

	// Ping checks that the database answers (used by /readyz).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts u (ID, CreatedAt and UpdatedAt are set by the store
	// from u.CreatedAt, or now if zero) and returns it. The email is compared
	// case-insensitively: ErrConflict if any live user already has it.
	CreateUser(ctx context.Context, u User) (User, error)
	// UserByID returns a user that is not deleted.
	UserByID(ctx context.Context, id int64) (User, error)
	// UserByEmail looks the email up case-insensitively among live users.
	UserByEmail(ctx context.Context, email string) (User, error)
	// UpdateUser loads the user, calls update on a copy inside the
	// transaction, and writes the result back (ID and CreatedAt are kept).
	// An error from update aborts the transaction and is returned as is.
	// ErrConflict if the new email is taken.
	UpdateUser(ctx context.Context, id int64, update func(*User) error) (User, error)
	// SetUserStatus changes the status; setting StatusInactive revokes every
	// session and refresh token of the user at `at` in the same transaction.
	SetUserStatus(ctx context.Context, id int64, status UserStatus, at time.Time) (User, error)
	// ListUsers returns users ordered by id.
	ListUsers(ctx context.Context, f UserFilter) ([]User, error)
	// CountUsers returns the number of live users.
	CountUsers(ctx context.Context) (int, error)
}

// IdentityStore keeps the links between users and OpenID identities.
type IdentityStore interface {
	// CreateIdentity links (Issuer, Subject) to a user. ErrConflict if that
	// pair already belongs to any user.
	CreateIdentity(ctx context.Context, id Identity) (Identity, error)
	// IdentityBySubject finds the identity for (issuer, subject).
	IdentityBySubject(ctx context.Context, issuer, subject string) (Identity, error)
	// IdentitiesByUser lists a user's identities, oldest first.
	IdentitiesByUser(ctx context.Context, userID int64) ([]Identity, error)
	// DeleteIdentity removes identity id of user userID (ErrNotFound if the
	// identity is not that user's). An AvatarURL equal to its Picture
	// becomes the Picture of the user's identity linked last that is left
	// and has one, else empty.
	DeleteIdentity(ctx context.Context, userID, id int64) error
	// SetIdentityPicture records the provider's picture of identity id
	// (ErrNotFound if there is no such identity).
	SetIdentityPicture(ctx context.Context, id int64, picture string) error
}

// RoleStore keeps the admin roles of users (admin_roles, admin_role_user).
type RoleStore interface {
	// UserRoles lists the names of the user's admin roles, sorted.
	UserRoles(ctx context.Context, userID int64) ([]string, error)
	// SetUserRoles replaces the user's roles with roles (names that must
	// exist in admin_roles, else a VALIDATION_ERROR).
	SetUserRoles(ctx context.Context, userID int64, roles []string) error
	// AddUserRole grants one role; granting a role the user has is a no-op.
	AddUserRole(ctx context.Context, userID int64, role string) error
	// CountRoleHolders returns how many live users hold role (0 for an
	// unknown role).
	CountRoleHolders(ctx context.Context, role string) (int, error)
}

// SessionStore keeps server-side sessions.
type SessionStore interface {
	// CreateSession stores s (whose ID is the token's hash). ErrConflict if
	// the ID is taken, ErrNotFound if the user does not exist or is
	// deleted, ErrUserInactive if the user is inactive. The user is checked
	// in the same transaction as the insert, so a sign-in racing a
	// deactivation (on any instance) either fails or has its session
	// revoked by it: an inactive user never keeps a live session.
	CreateSession(ctx context.Context, s Session) error
	// CreateSessionAudited stores a session and appends the audit event of
	// the sign-in that started it in one transaction: one commit per
	// sign-in instead of two. Errors as CreateSession.
	CreateSessionAudited(ctx context.Context, s Session, e AuditEvent) error
	// SessionByID returns a session whatever its state; callers decide
	// liveness with Session.Live.
	SessionByID(ctx context.Context, id string) (Session, error)
	// TouchSession sets last_activity to at, only if at is later.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// RevokeSession marks one session of userID revoked, and the refresh
	// tokens minted from it, in one transaction (ErrNotFound if it is not
	// that user's or already revoked).
	RevokeSession(ctx context.Context, userID int64, id string, at time.Time) error
	// RevokeUserSessions revokes every live session of userID except the one
	// whose id is except (may be ""), with their refresh tokens, in one
	// transaction, and returns the ids of the sessions it revoked.
	RevokeUserSessions(ctx context.Context, userID int64, except string, at time.Time) ([]string, error)
	// ListUserSessions returns the user's sessions that are neither revoked
	// nor past their absolute expiry at now, newest first.
	ListUserSessions(ctx context.Context, userID int64, now time.Time) ([]Session, error)
	// DeleteExpiredSessions removes sessions that expired or were revoked
	// before `before`, and returns how many.
	DeleteExpiredSessions(ctx context.Context, before time.Time) (int64, error)
}

// AuditStore keeps the audit log.
type AuditStore interface {
	// AppendAudit stores e and returns it with its id.
	AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error)
	// ListAudit returns events newest first, or oldest first when
	// f.Forward is set.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	// PruneAudit deletes events older than before and returns how many.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}
