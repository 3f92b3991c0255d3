package service

import (
	"context"

	"github.com/toriihq/torii"
)

// afterEmailVerified runs once u's address is proved (a link, an admin, a
// provider): cached principals of u are dropped, so their next request
// sees the verified flag.
func (s *Service) afterEmailVerified(ctx context.Context, u torii.User, m Meta) {
	s.cache.forgetUser(u.ID)
}
