package service

import "context"

// accessChanged is called by every rule that may shrink what a user can
// reach: deactivation, allowlist removal, role or group changes, session
// revocation, password change. It drops the user's cached principals so
// the next request reads the database again. The chat issue extends it to
// tell live event streams (on every instance) to re-check their access.
func (s *Service) accessChanged(ctx context.Context, userID int64) {
	_ = ctx
	s.cache.forgetUser(userID)
}
