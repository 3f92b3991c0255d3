package service

import (
	"context"
	"time"

	"github.com/toriihq/torii"
)

// The apps a user signed in to with torii (issue 16), on /account: each
// holds the user's consent (given on the consent page, or recorded without
// a page for a trusted app), and "revoke access" takes it back with every
// token the app holds for the user.

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
