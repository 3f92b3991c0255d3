package service

import (
	"context"
	"errors"
	"time"

	"github.com/toriihq/torii"
)

// OAuthStateTTL is how long a code-flow sign-in may take, from the redirect
// to the provider to its callback (security.md B.13: minutes).
const OAuthStateTTL = 10 * time.Minute

// GoogleStart is a started code flow: where to send the browser, and the
// binding cookie value it must hold when it comes back.
type GoogleStart struct {
	URL     string
	Binding string
}

// GoogleCallback is what the provider's redirect brought back, with the
// browser's binding cookie.
type GoogleCallback struct {
	State, Code, Error string
	Binding            string
	// Principal is the signed-in caller, if any (needed to finish a link).
	Principal *Principal
}

// GoogleFinish is a finished code flow.
type GoogleFinish struct {
	GoogleSignIn
	// Next is where to land: the stored, same-origin path.
	Next string
	// Linked is set when the flow linked an identity to a signed-in user
	// (no new session then).
	Linked *torii.Identity
	// Reauthed is set when the flow re-authenticated the signed-in user
	// (no new session either).
	Reauthed bool
}

var (
	errFlowInvalid = torii.Errorf(torii.EBadRequest,
		"This sign-in link has expired, was already used, or was started in another browser. Please sign in again.")
	errFlowCancelled = torii.Errorf(torii.EUnauthorized, "Signing in with Google was cancelled.")
	errFlowProvider  = torii.Errorf(torii.EUnauthorized, "Google could not complete the sign-in. Please try again.")
	errLinkOther     = torii.Errorf(torii.EUnauthorized, "Sign in again to link a Google account: the session that started linking has ended.")
	errCodeFlowOff   = torii.Errorf(torii.EGoogleNotConfigured, "Redirect sign-in with Google is not configured on this server (no client secret).")
)

// StartGoogleLogin begins the authorization-code flow (security.md B): a
// fresh state and nonce, a PKCE S256 challenge, all stored server-side for
// OAuthStateTTL and bound to the browser's binding cookie (a new random
// value unless the browser already holds a well-formed one, so that two
// tabs may sign in at once). next must already be a safe path. linkUser
// is set when a signed-in user links an identity from /account.
func (s *Service) StartGoogleLogin(ctx context.Context, next, binding string, linkUser *int64, m Meta) (GoogleStart, error) {
	return s.startGoogle(ctx, next, binding, linkUser, false, m)
}

func (s *Service) startGoogle(ctx context.Context, next, binding string, linkUser *int64, reauth bool, m Meta) (GoogleStart, error) {
	if s.opts.Google == nil {
		return GoogleStart{}, errGoogleOff
	}
	if !s.opts.GoogleCodeFlow {
		return GoogleStart{}, errCodeFlowOff
	}
	if ok, retry := allow(s.opts.GoogleStartPerIP, m.IP); !ok {
		return GoogleStart{}, errRateLimited(retry)
	}
	if !wellFormedToken(binding) {
		var err error
		if binding, err = s.newToken(); err != nil {
			return GoogleStart{}, err
		}
	}
	state, err := s.newToken()
	if err != nil {
		return GoogleStart{}, err
	}
	nonce, err := s.newToken()
	if err != nil {
		return GoogleStart{}, err
	}
	url, verifier, err := s.opts.Google.AuthCodeURL(ctx, state, nonce)
	if err != nil {
		return GoogleStart{}, err
	}
	now := s.now().UTC()
	err = s.store.CreateOAuthState(ctx, torii.OAuthState{
		ID: SessionID(state), Binding: SessionID(binding), Nonce: nonce, Verifier: verifier,
		Next: storedNext(next), LinkUserID: linkUser, Reauth: reauth, CreatedAt: now, ExpiresAt: now.Add(OAuthStateTTL),
	})
	if err != nil {
		return GoogleStart{}, err
	}
	return GoogleStart{URL: url, Binding: binding}, nil
}

// wellFormedToken accepts what newToken makes: 43 base64url characters.
func wellFormedToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	for _, c := range []byte(t) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// FinishGoogleLogin completes the code flow. The state is consumed first,
// whatever else the callback says, so it can never be replayed (B.13); an
// unknown, expired, used or foreign state stops the flow before any code
// exchange (B.11, B.12). Then the code is exchanged with the PKCE verifier,
// the ID token verified with the stored nonce (A.6), and the user signed in
// (or the identity linked, for a flow started from /account).
func (s *Service) FinishGoogleLogin(ctx context.Context, cb GoogleCallback, m Meta) (GoogleFinish, error) {
	if s.opts.Google == nil {
		return GoogleFinish{}, errGoogleOff
	}
	if !wellFormedToken(cb.State) || !wellFormedToken(cb.Binding) {
		return GoogleFinish{}, s.googleFailed(ctx, nil, "", m, MethodGoogleCode, errFlowInvalid)
	}
	st, err := s.store.ConsumeOAuthState(ctx, SessionID(cb.State), SessionID(cb.Binding), s.now().UTC())
	if errors.Is(err, torii.ErrNotFound) {
		return GoogleFinish{}, s.googleFailed(ctx, nil, "", m, MethodGoogleCode, errFlowInvalid)
	} else if err != nil {
		return GoogleFinish{}, err
	}
	switch {
	case cb.Error == "access_denied":
		return GoogleFinish{}, s.googleFailed(ctx, st.LinkUserID, "", m, MethodGoogleCode, errFlowCancelled)
	case cb.Error != "":
		return GoogleFinish{}, s.googleFailed(ctx, st.LinkUserID, "", m, MethodGoogleCode,
			errors.Join(errors.New("provider error "+truncate(cb.Error, 64)), errFlowProvider))
	case cb.Code == "":
		return GoogleFinish{}, s.googleFailed(ctx, st.LinkUserID, "", m, MethodGoogleCode, errFlowInvalid)
	}
	raw, err := s.opts.Google.Exchange(ctx, cb.Code, st.Verifier)
	if err != nil {
		return GoogleFinish{}, s.googleFailed(ctx, st.LinkUserID, "", m, MethodGoogleCode, err)
	}
	claims, err := s.opts.Google.Verify(ctx, raw, st.Nonce)
	if err != nil {
		return GoogleFinish{}, s.googleFailed(ctx, st.LinkUserID, "", m, MethodGoogleCode, err)
	}
	if st.LinkUserID != nil && st.Reauth {
		if cb.Principal == nil || cb.Principal.User.ID != *st.LinkUserID {
			return GoogleFinish{}, errLinkOther
		}
		if err := s.finishReauth(ctx, *cb.Principal, claims, m); err != nil {
			return GoogleFinish{}, err
		}
		return GoogleFinish{Next: st.Next, Reauthed: true}, nil
	}
	if st.LinkUserID != nil {
		if cb.Principal == nil || cb.Principal.User.ID != *st.LinkUserID {
			return GoogleFinish{}, errLinkOther
		}
		id, _, err := s.linkClaims(ctx, *cb.Principal, claims, m)
		if err != nil {
			return GoogleFinish{}, err
		}
		return GoogleFinish{Next: st.Next, Linked: &id}, nil
	}
	res, err := s.signInClaims(ctx, claims, m, MethodGoogleCode, true)
	if torii.IsCode(err, torii.EUserNotFound) {
		// Explicit signup: the caller sends the browser to /register with
		// the verified token, to finish there.
		return GoogleFinish{Next: st.Next}, &PendingRegistration{Credential: raw, err: err}
	}
	if err != nil {
		return GoogleFinish{}, err
	}
	return GoogleFinish{GoogleSignIn: res, Next: st.Next}, nil
}

// PendingRegistration is the USER_NOT_FOUND of a flow in explicit signup
// mode, carrying the verified ID token so the page can finish the
// registration (POST /api/v1/auth/google/register) without asking the
// provider again.
type PendingRegistration struct {
	Credential string
	err        error
}

func (e *PendingRegistration) Error() string { return e.err.Error() }
func (e *PendingRegistration) Unwrap() error { return e.err }
