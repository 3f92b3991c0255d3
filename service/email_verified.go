package service

import (
	"context"

	"github.com/toriihq/torii"
)

// afterEmailVerified applies what follows from u's address becoming
// verified (a verification link opened, an admin's confirmation, a
// provider's email_verified: true): the cached principals are dropped so
// the next request sees the flag, a TORII_ADMIN_EMAILS address is promoted
// now (promotion waits for a verified address), and the access change is
// published so that sessions waiting on the confirmation, on every
// instance, are released at once. u must be the user as stored after the
// change (EmailVerified set).
func (s *Service) afterEmailVerified(ctx context.Context, u torii.User, m Meta) error {
	s.cache.forgetUser(u.ID)
	if !u.EmailVerified {
		return nil
	}
	if err := s.bootstrapAdmin(ctx, u, m); err != nil {
		return err
	}
	s.accessChanged(ctx, u.ID)
	return nil
}
