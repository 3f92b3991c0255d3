package torii

import "time"

// Session is a server-side sign-in session (seed 003's sessions table). ID is
// the hash of the token held in the browser's cookie: the token itself is
// never stored, so a copy of the database cannot be replayed as cookies.
type Session struct {
	ID           string
	UserID       int64
	IP           string
	UserAgent    string
	CreatedAt    time.Time
	LastActivity time.Time
	ExpiresAt    time.Time // the absolute limit
	RevokedAt    *time.Time
	// AuthAt is when the user last proved who they are in this session
	// again (ProofStore.ReauthSession); zero: only at the sign-in that
	// created it. Read it through AuthenticatedAt.
	AuthAt time.Time
}

// AuthenticatedAt is when the session's user last proved who they are:
// the latest re-authentication, else the sign-in that created it.
// Lasting changes (password, identities) need it recent.
func (s Session) AuthenticatedAt() time.Time {
	if s.AuthAt.After(s.CreatedAt) {
		return s.AuthAt
	}
	return s.CreatedAt
}

// Live reports whether the session may still be used at now, given the idle
// timeout.
func (s Session) Live(now time.Time, idle time.Duration) bool {
	if s.RevokedAt != nil || !now.Before(s.ExpiresAt) {
		return false
	}
	return idle <= 0 || now.Before(s.LastActivity.Add(idle))
}

// AuditEvent is one row of the audit log.
type AuditEvent struct {
	ID        int64
	At        time.Time
	Event     string
	UserID    *int64
	Email     string
	IP        string
	UserAgent string
	// Detail is a small JSON-encodable object (reason codes, changed fields).
	Detail map[string]any
}

// Audit event names (api.md, admin audit endpoint).
const (
	AuditSignInSuccess   = "signin.success"
	AuditSignInFailure   = "signin.failure"
	AuditRegister        = "register"
	AuditLink            = "link"
	AuditUnlink          = "unlink"
	AuditLogout          = "logout"
	AuditSessionRevoke   = "session.revoke"
	AuditPasswordChange  = "password.change"
	AuditUserStatus      = "user.status"
	AuditUserRoles       = "user.roles"
	AuditAllowlistAdd    = "allowlist.add"
	AuditAllowlistRemove = "allowlist.remove"
	AuditTokenReuse      = "token.reuse"
	AuditUserCreate      = "user.create"

	AuditGroupCreate       = "group.create"
	AuditGroupMemberSet    = "group.member.set"
	AuditGroupMemberRemove = "group.member.remove"
)

// AuditEvents lists every audit event name, in the order the admin page's
// filter offers them. Every Audit* constant is listed here (a test checks),
// so every event torii writes can be found.
var AuditEvents = []string{
	AuditSignInSuccess, AuditSignInFailure, AuditRegister, AuditLink, AuditUnlink,
	AuditLogout, AuditSessionRevoke, AuditPasswordChange, AuditUserStatus,
	AuditUserRoles, AuditUserCreate, AuditAllowlistAdd, AuditAllowlistRemove,
	AuditTokenReuse, AuditGroupCreate, AuditGroupMemberSet, AuditGroupMemberRemove,
	AuditGroupInvite, AuditGroupInviteAccept, AuditGroupInviteDecline, AuditGroupInviteCancel,
	AuditEmailVerify,
	AuditOAuthToken, AuditOAuthRevoke, AuditOAuthConsent, AuditClientAdd, AuditClientUpdate, AuditClientRemove,
	AuditPasswordResetRequest, AuditPasswordReset, AuditInvite, AuditInviteAccept, AuditInviteRevoke,
	AuditEmailChangeRequest, AuditEmailChange, AuditProfile, AuditUserDelete,
	AuditRoomMemberAdd, AuditRoomMemberRemove, AuditRoomUpdate, AuditRoomDelete, AuditMessageEdit, AuditMessageDelete,
	AuditAssistantQuota, AuditAssistantModel, AuditRoomAssistant,
	AuditRoomExport,
}

// AuditFilter narrows ListAudit. Results are newest first.
type AuditFilter struct {
	UserID *int64
	Event  string
	// Events, when set, keeps only events with one of these names (and
	// Event, if also set).
	Events []string
	// Before pages backwards: only events with a smaller id.
	Before int64
	// Forward lists oldest first, only events with an id larger than After
	// (0: from the first): a watcher following the log.
	Forward bool
	After   int64
	Limit   int
}
