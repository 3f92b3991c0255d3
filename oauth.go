package torii

import (
	"context"
	"time"
)

// torii as an OpenID Provider (issue 16, "Sign in with torii"): the apps
// an admin registered (clients), what each user let each app learn
// (consents), the authorization requests in flight, their one-time codes,
// and the access and refresh tokens issued to the apps. The protocol itself
// is github.com/zitadel/oidc/v3's pkg/op; these types are what it is
// backed by.

// Audit events of the OpenID Provider. oauth.consent and client.* are
// written by the consent page and the client administration.
const (
	AuditOAuthToken   = "oauth.token"
	AuditOAuthRevoke  = "oauth.revoke"
	AuditOAuthConsent = "oauth.consent"
	AuditClientAdd    = "client.add"
	AuditClientUpdate = "client.update"
	AuditClientRemove = "client.remove"
)

// OAuthClient is an app registered by an admin to sign its users in with
// torii. Nobody registers a client but an admin (no dynamic registration).
type OAuthClient struct {
	// ID is the public client_id (random, chosen by the service).
	ID   string
	Name string
	// SecretHash is the hash of the client secret (never the secret,
	// which is shown once); "" for a public client.
	SecretHash string
	// RedirectURIs are matched exactly, never as patterns.
	RedirectURIs []string
	// PostLogoutURIs are the post_logout_redirect_uri values accepted at
	// the end_session endpoint.
	PostLogoutURIs []string
	// Public clients (single-page and native apps) hold no secret and
	// must use PKCE.
	Public bool
	// Trusted clients skip the consent page.
	Trusted bool
	// GroupIDs limit the client to members of at least one of these
	// groups; empty: everyone torii admits. A deleted group matches
	// nobody, so deleting it never opens the client to everyone.
	GroupIDs  []int64
	CreatedBy *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OAuthConsent records that a user let a client learn the given scopes.
// It is also the record that the user signed in to the app (trusted
// clients get one without a page), which /account lists.
type OAuthConsent struct {
	UserID    int64
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OAuthAuthRequest is an authorization request between /authorize and the
// code exchange. Its ID is random and appears in torii's own URLs (the
// login and consent steps); it expires within minutes.
type OAuthAuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	State               string
	Nonce               string
	Scopes              []string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	// Prompt holds the prompt values (none, login, consent,
	// select_account).
	Prompt []string
	// MaxAge is the max_age parameter in seconds; nil when absent.
	MaxAge    *int64
	LoginHint string
	// HintSubject is the `sub` of the request's id_token_hint ("" if
	// none): the user the client expects to come back.
	HintSubject string
	// UserID is the signed-in user, 0 until the sign-in step is done.
	UserID    int64
	SessionID string
	// AuthTime is when the user last proved who they are (the session's
	// AuthenticatedAt), AMR how ("pwd", "fed").
	AuthTime time.Time
	AMR      []string
	// Done is set once the user is signed in, allowed and has consented:
	// only then may a code be issued.
	Done      bool
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OAuthCode is a one-time authorization code. ID is the code's hash.
// A code is bound to its request (and so to the client, the redirect URI
// and the PKCE challenge) and expires within a minute.
type OAuthCode struct {
	ID            string
	AuthRequestID string
	ClientID      string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	SpentAt       *time.Time
}

// OAuth token kinds.
const (
	OAuthAccess  = "access"
	OAuthRefresh = "refresh"
)

// OAuthToken is an access or refresh token issued to a client. ID is the
// access token's jti, or the refresh token's hash. Every token issued from
// one code shares its GrantID (the authorization request's ID): a reused
// code or a reused refresh token revokes the whole grant.
type OAuthToken struct {
	ID       string
	Kind     string
	ClientID string
	UserID   int64
	GrantID  string
	// ParentID is the refresh token this one was issued for ("" for the
	// first ones).
	ParentID  string
	Scopes    []string
	AuthTime  time.Time
	AMR       []string
	CreatedAt time.Time
	ExpiresAt time.Time
	SpentAt   *time.Time
	RevokedAt *time.Time
}

// Usable reports whether the token may be used at now.
func (t OAuthToken) Usable(now time.Time) bool {
	return t.SpentAt == nil && t.RevokedAt == nil && now.Before(t.ExpiresAt)
}

// ErrOAuthCodeReused is returned by SpendOAuthCode for a code that was
// already exchanged: every token issued from it has been revoked.
var ErrOAuthCodeReused = &Error{Code: EUnauthorized, Message: "This authorization code was already used; what it issued is revoked."}

// OAuthStore keeps the OpenID Provider's state. Deleting a client deletes
// its consents, requests, codes and tokens; deleting a user (hard) does the
// same for the user's.
type OAuthStore interface {
	// CreateOAuthClient stores c (CreatedAt and UpdatedAt default to now).
	// ErrConflict if the ID is taken.
	CreateOAuthClient(ctx context.Context, c OAuthClient) (OAuthClient, error)
	// OAuthClientByID returns a client.
	OAuthClientByID(ctx context.Context, id string) (OAuthClient, error)
	// ListOAuthClients returns every client, oldest first.
	ListOAuthClients(ctx context.Context) ([]OAuthClient, error)
	// UpdateOAuthClient loads the client, calls update on a copy inside the
	// transaction and writes the result (ID and CreatedAt are kept). An
	// error from update aborts and is returned as is.
	UpdateOAuthClient(ctx context.Context, id string, update func(*OAuthClient) error) (OAuthClient, error)
	// DeleteOAuthClient removes a client with everything issued to it.
	DeleteOAuthClient(ctx context.Context, id string) error

	// SaveOAuthConsent stores or replaces the consent of (UserID,
	// ClientID); CreatedAt is kept on replace. ErrNotFound if the user or
	// client does not exist.
	SaveOAuthConsent(ctx context.Context, c OAuthConsent) error
	// OAuthConsent returns the consent of a user for a client.
	OAuthConsent(ctx context.Context, userID int64, clientID string) (OAuthConsent, error)
	// ListOAuthConsents returns a user's consents, newest first.
	ListOAuthConsents(ctx context.Context, userID int64) ([]OAuthConsent, error)
	// DeleteOAuthConsent removes a user's consent for a client and revokes
	// every token the client holds for the user at `at`, in one
	// transaction ("revoke access" on /account). ErrNotFound if there was
	// no consent.
	DeleteOAuthConsent(ctx context.Context, userID int64, clientID string, at time.Time) error

	// CreateOAuthAuthRequest stores a new request. ErrConflict if the ID
	// is taken, ErrNotFound if the client does not exist.
	CreateOAuthAuthRequest(ctx context.Context, r OAuthAuthRequest) error
	// OAuthAuthRequestByID returns a request whatever its expiry; callers
	// check ExpiresAt.
	OAuthAuthRequestByID(ctx context.Context, id string) (OAuthAuthRequest, error)
	// UpdateOAuthAuthRequest loads, updates (as UpdateOAuthClient) and
	// writes a request; ID, ClientID, RedirectURI, the PKCE challenge and
	// CreatedAt are kept.
	UpdateOAuthAuthRequest(ctx context.Context, id string, update func(*OAuthAuthRequest) error) (OAuthAuthRequest, error)
	// DeleteOAuthAuthRequest removes a request and its codes; the tokens
	// issued from it stay (their grant is its ID).
	DeleteOAuthAuthRequest(ctx context.Context, id string) error

	// CreateOAuthCode stores a code for a request that is Done.
	// ErrNotFound if the request does not exist, ErrConflict if the code's
	// ID is taken or the request already has a code (one code per
	// request).
	CreateOAuthCode(ctx context.Context, c OAuthCode) error
	// SpendOAuthCode marks code id spent at `at` and returns its request,
	// in one transaction; of two concurrent spends exactly one succeeds.
	// ErrNotFound if the code is unknown or expired (or its request is
	// gone); ErrOAuthCodeReused if it was spent already: every token of
	// its grant is then revoked at `at`, and that is committed.
	SpendOAuthCode(ctx context.Context, id string, at time.Time) (OAuthAuthRequest, error)

	// CreateOAuthTokens stores tokens (an access token and, maybe, a
	// refresh token of one grant) in one transaction. ErrNotFound if the
	// client or user is missing, ErrConflict if an ID is taken.
	CreateOAuthTokens(ctx context.Context, tokens ...OAuthToken) error
	// OAuthTokenByID returns a token whatever its state.
	OAuthTokenByID(ctx context.Context, id string) (OAuthToken, error)
	// RotateOAuthRefreshToken spends refresh token id at `at` and stores
	// next (the new access and refresh tokens, whose ClientID, UserID,
	// GrantID and ParentID are set from the spent token) in one
	// transaction, and returns the spent token. Of concurrent rotations
	// exactly one succeeds. ErrNotFound if the token is unknown, not a
	// refresh token, revoked or expired; ErrRefreshTokenReused if it was
	// spent already: its whole grant is then revoked at `at` (committed)
	// and the spent token is returned with the error.
	RotateOAuthRefreshToken(ctx context.Context, id string, next []OAuthToken, at time.Time) (OAuthToken, error)
	// RevokeOAuthGrant revokes every unrevoked token of a grant and
	// returns how many.
	RevokeOAuthGrant(ctx context.Context, grantID string, at time.Time) (int64, error)
	// RevokeUserOAuthTokens revokes every unrevoked token of userID, of
	// one client when clientID is not "", and returns how many.
	RevokeUserOAuthTokens(ctx context.Context, userID int64, clientID string, at time.Time) (int64, error)
	// OAuthTokenClients lists the ids of the clients for which userID
	// holds a usable token at now, sorted.
	OAuthTokenClients(ctx context.Context, userID int64, now time.Time) ([]string, error)
	// DeleteExpiredOAuth removes requests, codes and tokens that expired
	// before `before` and returns how many rows went.
	DeleteExpiredOAuth(ctx context.Context, before time.Time) (int64, error)
}
