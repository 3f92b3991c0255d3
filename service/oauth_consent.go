package service

import (
	"context"
	"slices"
	"time"

	"github.com/toriihq/torii"
)

// Consent (issue 16): before an app learns anything about a user, the user
// approves it on a page that names the app and what it will learn, once per
// app (remembered until revoked from /account). Trusted apps skip the page.

// errConsentRequest answers for an authorization request that is not the
// caller's, is unknown or has expired: nothing about it is revealed.
var errConsentRequest = torii.Errorf(torii.ENotFound,
	"This sign-in request has expired or is not yours. Go back to the app and sign in again.")

// ConsentNeeded reports whether userID must approve client c learning
// scopes. A trusted client never asks; it records the consent without a
// page so the app is listed on /account (and its access can be revoked
// there). A remembered consent covering every scope asked for is enough.
func (s *Service) ConsentNeeded(ctx context.Context, c torii.OAuthClient, userID int64, scopes []string) (bool, error) {
	prev, err := s.store.OAuthConsent(ctx, userID, c.ID)
	switch {
	case err == nil && covers(prev.Scopes, scopes):
		return false, nil
	case err != nil && !torii.IsCode(err, torii.ENotFound):
		return false, err
	case c.Trusted:
		return false, s.saveConsent(ctx, c, userID, prev.Scopes, scopes, "", Meta{}, true)
	}
	return true, nil
}

// covers reports whether every scope of want is in have.
func covers(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// ConsentView is what the consent page shows.
type ConsentView struct {
	Request torii.OAuthAuthRequest
	Client  torii.OAuthClient
	// Scopes are the request's scopes that tell the app something, in a
	// fixed order: openid, profile, email, groups, offline_access.
	Scopes []string
}

// consentScopes orders what the page explains; unknown scopes are not
// granted by torii and not shown.
var consentScopes = []string{"openid", "profile", "email", "groups", "offline_access"}

// ConsentRequest returns the request p is asked to approve: it must be
// p's own (the sign-in step bound it to the user), unexpired and not yet
// done. Errors: NOT_FOUND.
func (s *Service) ConsentRequest(ctx context.Context, p Principal, id string) (ConsentView, error) {
	req, err := s.store.OAuthAuthRequestByID(ctx, id)
	if err != nil || req.UserID != p.User.ID || req.Done || !s.now().Before(req.ExpiresAt) {
		if err != nil && !torii.IsCode(err, torii.ENotFound) {
			return ConsentView{}, err
		}
		return ConsentView{}, errConsentRequest
	}
	c, err := s.store.OAuthClientByID(ctx, req.ClientID)
	if err != nil {
		if torii.IsCode(err, torii.ENotFound) {
			return ConsentView{}, errConsentRequest
		}
		return ConsentView{}, err
	}
	v := ConsentView{Request: req, Client: c}
	for _, sc := range consentScopes {
		if slices.Contains(req.Scopes, sc) {
			v.Scopes = append(v.Scopes, sc)
		}
	}
	return v, nil
}

// ApproveConsent records that p lets the request's app learn its scopes
// (audited as oauth.consent) and marks the request done, so the code can be
// issued. The app must still admit p: a user removed from the app's groups
// while the page was open is refused. Errors: NOT_FOUND, and ClientAdmits'.
func (s *Service) ApproveConsent(ctx context.Context, p Principal, id string, m Meta) (torii.OAuthAuthRequest, error) {
	v, err := s.ConsentRequest(ctx, p, id)
	if err != nil {
		return torii.OAuthAuthRequest{}, err
	}
	if err := s.ClientAdmits(ctx, v.Client, p.User); err != nil {
		return torii.OAuthAuthRequest{}, err
	}
	var prev []string
	if c, err := s.store.OAuthConsent(ctx, p.User.ID, v.Client.ID); err == nil {
		prev = c.Scopes
	}
	if err := s.saveConsent(ctx, v.Client, p.User.ID, prev, v.Request.Scopes, p.User.Email, m, false); err != nil {
		return torii.OAuthAuthRequest{}, err
	}
	return s.store.UpdateOAuthAuthRequest(ctx, id, func(r *torii.OAuthAuthRequest) error {
		if r.UserID != p.User.ID || r.Done {
			return errConsentRequest
		}
		r.Done = true
		return nil
	})
}

// DenyConsent ends a request the user refused: it is deleted, so no code
// can come of it, and returned so the caller can tell the app
// (access_denied). Errors: NOT_FOUND.
func (s *Service) DenyConsent(ctx context.Context, p Principal, id string) (torii.OAuthAuthRequest, error) {
	v, err := s.ConsentRequest(ctx, p, id)
	if err != nil {
		return torii.OAuthAuthRequest{}, err
	}
	if err := s.store.DeleteOAuthAuthRequest(ctx, id); err != nil && !torii.IsCode(err, torii.ENotFound) {
		return torii.OAuthAuthRequest{}, err
	}
	return v.Request, nil
}

// saveConsent stores the union of the scopes granted before and now, and
// audits it (oauth.consent; detail.trusted for a consent without a page).
func (s *Service) saveConsent(ctx context.Context, c torii.OAuthClient, userID int64, prev, scopes []string, email string, m Meta, trusted bool) error {
	all := slices.Clone(prev)
	for _, sc := range scopes {
		if !slices.Contains(all, sc) {
			all = append(all, sc)
		}
	}
	now := s.now().UTC()
	if err := s.store.SaveOAuthConsent(ctx, torii.OAuthConsent{UserID: userID, ClientID: c.ID, Scopes: all, CreatedAt: now, UpdatedAt: now}); err != nil {
		return err
	}
	detail := map[string]any{"clientId": c.ID, "client": c.Name, "scopes": all}
	if trusted {
		detail["trusted"] = true
	}
	s.audit(ctx, torii.AuditOAuthConsent, &userID, email, m, detail)
	return nil
}

// AppAccess is an app the user signed in to, for /account.
type AppAccess struct {
	ClientID string
	Name     string
	Scopes   []string
	// Since is when the user first let the app in, LastAt the latest.
	Since  time.Time
	LastAt time.Time
}

// MyApps lists the apps p signed in to (those holding p's consent), newest
// first.
func (s *Service) MyApps(ctx context.Context, p Principal) ([]AppAccess, error) {
	list, err := s.store.ListOAuthConsents(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	out := make([]AppAccess, 0, len(list))
	for _, c := range list {
		cl, err := s.store.OAuthClientByID(ctx, c.ClientID)
		if err != nil {
			if torii.IsCode(err, torii.ENotFound) {
				continue // removed meanwhile: its consents went with it
			}
			return nil, err
		}
		out = append(out, AppAccess{ClientID: c.ClientID, Name: cl.Name, Scopes: c.Scopes, Since: c.CreatedAt, LastAt: c.UpdatedAt})
	}
	return out, nil
}

// RevokeApp is "revoke access" on /account: the user's consent for the app
// is deleted and every token the app holds for them revoked, in one
// transaction; the next sign-in to the app asks again. Audited as
// oauth.revoke. Errors: NOT_FOUND.
func (s *Service) RevokeApp(ctx context.Context, p Principal, clientID string, m Meta) error {
	if err := s.store.DeleteOAuthConsent(ctx, p.User.ID, clientID, s.now().UTC()); err != nil {
		return err
	}
	s.audit(ctx, torii.AuditOAuthRevoke, &p.User.ID, p.User.Email, m, map[string]any{"clientId": clientID, "reason": "user"})
	return nil
}
