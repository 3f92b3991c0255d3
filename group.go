package torii

import (
	"context"
	"time"
)

// Group roles, seeded by migration 00004 (data-model.md group_roles).
const (
	GroupRoleOwner  = "owner"
	GroupRoleAdmin  = "admin"
	GroupRoleMember = "member"
)

// ValidGroupRole reports whether r is one of the seeded group roles.
func ValidGroupRole(r string) bool {
	return r == GroupRoleOwner || r == GroupRoleAdmin || r == GroupRoleMember
}

// Group is a company or team (seed 003). Name is unique whatever its case.
type Group struct {
	ID          int64
	Name        string
	Description string
	CreatedBy   *int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// GroupMember is a user's membership of a group, with its group role.
type GroupMember struct {
	GroupID   int64
	UserID    int64
	Role      string // GroupRoleOwner, GroupRoleAdmin or GroupRoleMember
	CreatedAt time.Time
}

// Membership is a group as seen from one member: the group and the member's
// role in it.
type Membership struct {
	Group Group
	Role  string
}

// AllowlistEntry is one row of the database allowlist. Pattern is a
// normalised email (`user@x.com`) or domain (`@x.com`).
type AllowlistEntry struct {
	ID        int64
	Pattern   string
	AddedBy   *int64
	CreatedAt time.Time
}

// GroupStore keeps groups and their members. It is implemented by sqlstore
// and embedded in Store.
type GroupStore interface {
	// CreateGroup inserts g and returns it with its id. ErrConflict if a
	// group with the same name (whatever its case) exists.
	CreateGroup(ctx context.Context, g Group) (Group, error)
	// GroupByID returns one group.
	GroupByID(ctx context.Context, id int64) (Group, error)
	// GroupByName finds a group by name, case-insensitively.
	GroupByName(ctx context.Context, name string) (Group, error)
	// ListGroups returns every group ordered by id (for admins).
	ListGroups(ctx context.Context) ([]Group, error)
	// UserGroups returns the groups userID belongs to, with their role,
	// ordered by group id.
	UserGroups(ctx context.Context, userID int64) ([]Membership, error)
	// GroupMembers lists a group's members ordered by user id.
	GroupMembers(ctx context.Context, groupID int64) ([]GroupMember, error)
	// GroupRole returns userID's role in groupID (ErrNotFound if not a
	// member).
	GroupRole(ctx context.Context, groupID, userID int64) (string, error)
	// SetGroupMember adds userID to groupID with role, or changes the role
	// of an existing member. VALIDATION_ERROR for an unknown role,
	// ErrNotFound for a missing group or user.
	SetGroupMember(ctx context.Context, m GroupMember) error
	// RemoveGroupMember removes userID from groupID (ErrNotFound if not a
	// member).
	RemoveGroupMember(ctx context.Context, groupID, userID int64) error
}

// AllowlistStore keeps the database allowlist (the environment's entries
// are configuration, not rows).
type AllowlistStore interface {
	// AddAllowlist inserts e (Pattern already normalised). ErrConflict if
	// the pattern is present.
	AddAllowlist(ctx context.Context, e AllowlistEntry) (AllowlistEntry, error)
	// RemoveAllowlist deletes entry id and returns it.
	RemoveAllowlist(ctx context.Context, id int64) (AllowlistEntry, error)
	// ListAllowlist returns every entry ordered by id.
	ListAllowlist(ctx context.Context) ([]AllowlistEntry, error)
}
