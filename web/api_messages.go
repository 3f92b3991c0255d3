package web

import (
	"net/http"
	"strconv"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// Edits, deletions, reactions and read markers (issue 17; docs/api.md
// "Team chat").

// messageID parses the {mid} of a message URL.
func messageID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	if err != nil || id <= 0 {
		return 0, torii.Errorf(torii.ENotFound, "There is no such message.")
	}
	return id, nil
}

func roomAndMessage(r *http.Request) (int64, int64, error) {
	room, err := roomID(r)
	if err != nil {
		return 0, 0, err
	}
	mid, err := messageID(r)
	return room, mid, err
}

type editMessageJSON struct {
	Body string `json:"body"`
}

// editMessage is PATCH /api/v1/rooms/{id}/messages/{mid} {"body"} → 200
// {"message"} with editedAt.
func (s *Server) editMessage(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	room, mid, err := roomAndMessage(r)
	if err != nil {
		return err
	}
	var in editMessageJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.svc.EditMessage(r.Context(), p, room, mid, in.Body, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": messageOf(m)})
	return nil
}

// deleteMessage is DELETE /api/v1/rooms/{id}/messages/{mid} → 204.
func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	room, mid, err := roomAndMessage(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteMessage(r.Context(), p, room, mid, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// react is PUT (on) and DELETE (off)
// /api/v1/rooms/{id}/messages/{mid}/reactions/{emoji} → 200 {"message"}.
func (s *Server) react(on bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, p service.Principal) error {
		room, mid, err := roomAndMessage(r)
		if err != nil {
			return err
		}
		m, err := s.svc.React(r.Context(), p, room, mid, r.PathValue("emoji"), on)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"message": messageOf(m)})
		return nil
	}
}

type markReadJSON struct {
	MessageID int64 `json:"messageId"`
}

// markRead is POST /api/v1/rooms/{id}/read {"messageId"} → 200 {"roomId",
// "lastRead", "unread", "mentions"}.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	room, err := roomID(r)
	if err != nil {
		return err
	}
	var in markReadJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.MessageID <= 0 {
		return torii.Invalid(map[string]string{"messageId": "is required"})
	}
	c, err := s.svc.MarkRead(r.Context(), p, room, in.MessageID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, readJSON{RoomID: room, LastRead: c.LastRead, Unread: c.Unread, Mentions: c.Mentions})
	return nil
}

// readJSON is the answer of POST …/read and the data of a read event.
type readJSON struct {
	RoomID   int64 `json:"roomId"`
	LastRead int64 `json:"lastRead"`
	Unread   int   `json:"unread"`
	Mentions int   `json:"mentions"`
}
