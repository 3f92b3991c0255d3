package service

import (
	"context"

	"github.com/toriihq/torii/chat"
)

// accessChanged is called by every rule that may shrink what a user can
// reach: deactivation, allowlist removal, role or group changes, session
// revocation, password change. It revokes the app tokens (OAuth) of
// clients that no longer admit the user, drops the user's cached principals so
// the next request reads the database again, and tells the user's live
// event streams, on every instance, to re-check their access before they
// send anything else (a stream whose session was revoked ends).
func (s *Service) accessChanged(ctx context.Context, userID int64) {
	s.cache.forgetUser(userID)
	s.oauthAccessChanged(ctx, userID)
	if err := s.broker.Publish(context.WithoutCancel(ctx), chat.Event{Kind: chat.KindAccess, UserID: userID}); err != nil {
		// Streams still re-check at their next heartbeat.
		s.log.Warn("chat access event failed", "user", userID, "err", err)
	}
}

// Broker returns the chat broker (the server closes it on shutdown).
func (s *Service) Broker() chat.Broker { return s.broker }
