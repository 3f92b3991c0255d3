package web

import (
	"context"
	"net/http"

	"github.com/toriihq/torii/service"
)

// eventStream is what pump and detach serve: a room's stream
// (service.Stream) or a user's (service.UserStream).
type eventStream interface {
	Next(context.Context) ([]service.StreamEvent, bool, error)
	Ready() <-chan struct{}
	Recheck(context.Context) error
	Close()
	UserID() int64
}

// streamRoom names a stream's room in log lines ("user" for a user
// stream).
func streamRoom(st eventStream) any {
	if rs, ok := st.(*service.Stream); ok {
		return rs.Room().ID
	}
	return "user"
}

// userEvents serves GET /api/v1/events (issue 17; docs/api.md "Team
// chat"): every event the user may see, one stream per browser, resumable
// with Last-Event-ID (or ?after=) as the room streams are. It takes one of
// the user's stream slots (TORII_MAX_STREAMS_PER_USER), is detached over
// HTTP/1.1, and ends on shutdown with a reconnect hint, exactly as a room
// stream.
func (s *Server) userEvents(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	release, err := s.streamSlots.acquire(p.User.ID)
	if err != nil {
		return err
	}
	after, err := lastEventID(r)
	if err != nil {
		release()
		return err
	}
	auth := func(ctx context.Context) (service.Principal, error) {
		return s.principalFor(r.WithContext(ctx), s.svc.Issuer())
	}
	st, err := s.svc.OpenUserStream(r.Context(), p, after, auth)
	if err != nil {
		release()
		return err
	}
	s.serveStream(w, r, st, release)
	return nil
}

// roomEventJSON is the data of room.add and room.update.
type roomEventJSON struct {
	RoomID int64        `json:"roomId"`
	Room   roomListJSON `json:"room"`
}

func roomEventOf(v service.RoomView) roomEventJSON {
	rj := roomOf(v.Room)
	if v.Room.IsDM() {
		rj.Members = make([]authorJSON, len(v.People))
		for i, a := range v.People {
			rj.Members[i] = authorJSON{ID: a.ID, Name: a.Name, AvatarURL: a.AvatarURL}
		}
	}
	return roomEventJSON{RoomID: v.Room.ID, Room: roomListJSON{roomJSON: rj, Unread: v.Unread, Mentions: v.Mentions}}
}
