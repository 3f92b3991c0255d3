package torii

import "context"

// GroupJoin is the group a new account joins in the transaction that
// creates it (seed 003: a registration with a company name founds that
// group; anyone else joins the default group).
type GroupJoin struct {
	// Name names the group (matched case-insensitively). Empty: no group.
	Name string
	// Role is the new user's group role (GroupRoleOwner, …).
	Role string
	// Found makes a new group created by the user; ErrGroupTaken if a
	// group with that name exists. Without it the group is found by name
	// and created (by nobody) if missing.
	Found bool
}

// ErrGroupTaken is returned when an account would found a group whose
// name is taken. It is not ErrConflict, which means the email or identity.
var ErrGroupTaken = &Error{Code: EConflict, Message: "A group with this name already exists."}

// AccountStore creates accounts together with what comes with them.
type AccountStore interface {
	// CreateAccount creates u (as CreateUser does), links id to it when id
	// is not nil, and adds it to the group j names, all in one
	// transaction: on any error nothing is written. ErrConflict if the
	// email or the identity is taken, ErrGroupTaken (j.Found), a
	// VALIDATION_ERROR for an unknown group role.
	CreateAccount(ctx context.Context, u User, id *Identity, j GroupJoin) (User, error)
}
