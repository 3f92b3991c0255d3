package torii

import (
	"context"
	"time"
)

// OAuthState is one authorization-code sign-in in progress (security.md B):
// what the callback needs to finish it, kept server-side so that it is
// single-use even with several instances on one database. Neither the state
// parameter nor the browser's binding cookie is stored, only their hashes.
type OAuthState struct {
	// ID is the SHA-256 (hex) of the `state` parameter sent to the provider.
	ID string
	// Binding is the SHA-256 (hex) of the random cookie that ties the flow
	// to the browser that started it.
	Binding string
	// Nonce is the `nonce` the ID token must carry.
	Nonce string
	// Verifier is the PKCE code verifier (the provider saw its S256 hash).
	Verifier string
	// Next is the same-origin path to land on afterwards.
	Next string
	// LinkUserID is set when a signed-in user started the flow from
	// /account to link the identity to their account (security.md D.23).
	LinkUserID *int64
	// Reauth turns the flow into a re-authentication of the signed-in
	// user LinkUserID names: the callback links nothing and starts no
	// session, it refreshes that session's AuthAt if the identity is
	// already that user's.
	Reauth    bool
	CreatedAt time.Time
	ExpiresAt time.Time
}

// IdentityLink describes linking an identity to an existing user, for
// GoogleStore.LinkIdentity.
type IdentityLink struct {
	// Identity is the identity to create; its UserID names the user.
	Identity Identity
	// VerifyEmail marks the user's email verified: the provider vouched for
	// that very address.
	VerifyEmail bool
	// ResetUnverified applies security.md D.22 to a user whose email was
	// never verified, in the same transaction as the link (someone may have
	// pre-registered the address): its password is cleared, every session
	// and refresh token revoked, every identity it already had deleted
	// (all were linked while the address was unverified), and its token
	// epoch (TokensValidAfter) set to At, so access tokens already issued
	// die too. It does nothing to a user whose email is verified.
	ResetUnverified bool
	// At is when the link is made (identity creation, revocation, update).
	At time.Time
}

// LinkResult is what GoogleStore.LinkIdentity did.
type LinkResult struct {
	User     User
	Identity Identity
	// Reset reports that the D.22 rule applied: the password was cleared
	// and the user's sessions, refresh tokens and earlier identities
	// revoked or deleted.
	Reset bool
	// PasswordCleared, SessionsRevoked and IdentitiesRemoved say what the
	// reset killed (for the audit log).
	PasswordCleared   bool
	SessionsRevoked   int64
	IdentitiesRemoved []Identity
}

// GoogleStore keeps what Google (OpenID) sign-in needs beyond users and
// identities: code-flow state, and the multi-row changes of signing up and
// linking, each in one transaction.
type GoogleStore interface {
	// CreateOAuthState stores a code-flow state. ErrConflict if the id is
	// taken; ErrNotFound if LinkUserID names no user.
	CreateOAuthState(ctx context.Context, st OAuthState) error
	// ConsumeOAuthState deletes and returns the state with this id and
	// binding if it has not expired at now. It is atomic: of two concurrent
	// calls at most one gets the state. ErrNotFound if the state is unknown,
	// already used, expired, or bound to another browser (a state bound to
	// another browser is left in place).
	ConsumeOAuthState(ctx context.Context, id, binding string, now time.Time) (OAuthState, error)
	// DeleteExpiredOAuthStates removes states that expired before `before`
	// and returns how many.
	DeleteExpiredOAuthStates(ctx context.Context, before time.Time) (int64, error)
	// UserByIdentity returns the identity (issuer, subject) and its user in
	// one read, the user even if deleted (DeletedAt set) so the caller can
	// tell "unknown" from "gone". ErrNotFound if no such identity.
	UserByIdentity(ctx context.Context, issuer, subject string) (User, Identity, error)
	// CreateUserWithIdentity creates u (as CreateUser does) and links id to
	// it (id.UserID is ignored) in one transaction. ErrConflict, with
	// nothing created, if the email or the (issuer, subject) pair is taken.
	CreateUserWithIdentity(ctx context.Context, u User, id Identity) (User, Identity, error)
	// LinkIdentity creates l.Identity for its user and applies l's effects
	// on the user in one transaction. ErrConflict, with nothing changed, if
	// the (issuer, subject) pair already belongs to any user; ErrNotFound if
	// the user does not exist.
	LinkIdentity(ctx context.Context, l IdentityLink) (LinkResult, error)
}

// IDClaims is what a verified ID token says about its user.
type IDClaims struct {
	// Issuer is the configured issuer (for Google, whichever of its two
	// spellings the token used), so identities are keyed one way only.
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Picture       string
	HostedDomain  string
}
