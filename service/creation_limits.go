package service

import (
	"context"
	"strconv"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/ratelimit"
)

// CreationLimits bound how fast one user can make things that are stored
// and shown to others (docs/api.md "Stored strings and creation limits"):
// without them one user made 1,500 rooms in a second, and every open chat
// page then listed them all. Options embeds them; nil disables a limit.
// The limiters are per process: behind several instances a user may
// create up to the limit on each.
type CreationLimits struct {
	RoomsPerUser    *ratelimit.Limiter
	GroupsPerUser   *ratelimit.Limiter
	MessagesPerUser *ratelimit.Limiter
}

// errCreationLimited is RATE_LIMITED for what (e.g. "rooms").
func errCreationLimited(what string, retry time.Duration) error {
	e := torii.Errorf(torii.ERateLimited, "You are creating %s too fast. Try again later.", what)
	e.RetryAfter = retry
	return e
}

// allowCreate counts one creation by userID against l.
func allowCreate(l *ratelimit.Limiter, userID *int64, what string) error {
	if userID == nil {
		return nil // the CLI
	}
	if ok, retry := allow(l, strconv.FormatInt(*userID, 10)); !ok {
		return errCreationLimited(what, retry)
	}
	return nil
}

// RoomPage returns at most limit (api.md bounds: default 50, at most 100)
// of the rooms p can see whose id is larger than after, ordered by id,
// each with its newest message's id, and the `after` of the next page
// (nil on the last page).
func (s *Service) RoomPage(ctx context.Context, p Principal, after int64, limit int) ([]torii.RoomSummary, *int64, error) {
	limit = pageLimit(limit)
	rooms, err := s.store.RoomPage(ctx, p.User.ID, after, limit)
	if err != nil {
		return nil, nil, err
	}
	var next *int64
	if len(rooms) == limit {
		next = ptr(rooms[len(rooms)-1].ID)
	}
	return rooms, next, nil
}
