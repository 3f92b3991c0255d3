package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

type roomJSON struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Visibility string    `json:"visibility"`
	GroupID    *int64    `json:"groupId"`
	Assistant  bool      `json:"assistant"`
	CreatedBy  *int64    `json:"createdBy"`
	CreatedAt  time.Time `json:"createdAt"`
}

func roomOf(r torii.Room) roomJSON {
	return roomJSON{ID: r.ID, Name: r.Name, Visibility: r.Visibility, GroupID: r.GroupID,
		Assistant: r.Assistant, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
}

type authorJSON struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatarUrl"`
}

// messageJSON is api.md's message object, plus replyTo (the user message an
// assistant reply answers; null otherwise).
type messageJSON struct {
	ID        int64       `json:"id"`
	RoomID    int64       `json:"roomId"`
	Author    string      `json:"author"`
	User      *authorJSON `json:"user"`
	Body      string      `json:"body"`
	ClientID  string      `json:"clientId"`
	ReplyTo   *int64      `json:"replyTo"`
	CreatedAt time.Time   `json:"createdAt"`
	Status    string      `json:"status"`
	// model, usage, sources: assistant replies only (api_assistant.go).
	replyJSON
}

func messageOf(m service.ChatMessage) messageJSON {
	var a *authorJSON
	if m.User != nil {
		a = &authorJSON{ID: m.User.ID, Name: m.User.Name, AvatarURL: m.User.AvatarURL}
	}
	return messageJSON{ID: m.ID, RoomID: m.RoomID, Author: m.Author, User: a, Body: m.Body,
		ClientID: m.ClientID, ReplyTo: m.ReplyTo, CreatedAt: m.CreatedAt.UTC(), Status: m.Status, replyJSON: replyOf(m)}
}

// roomID parses the {id} of a room URL; anything but a positive integer
// names no room.
func roomID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, torii.Errorf(torii.ENotFound, "There is no such room.")
	}
	return id, nil
}

// listRooms is GET /api/v1/rooms?after=ID&limit=50: the rooms the user can
// see, by id, a page at a time, each with its newest message's id (one
// request tells the page which rooms have unread messages).
func (s *Server) listRooms(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	after, err := queryInt(r.URL.Query(), "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(r.URL.Query(), "limit")
	if err != nil {
		return err
	}
	rooms, next, err := s.svc.RoomPage(r.Context(), p, after, int(min(limit, 1000)))
	if err != nil {
		return err
	}
	out := make([]roomListJSON, len(rooms))
	for i, x := range rooms {
		out[i] = roomListJSON{roomJSON: roomOf(x.Room)}
		if x.LastMessageID != 0 {
			out[i].LastMessageID = &x.LastMessageID
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rooms": out, "nextAfter": next})
	return nil
}

// roomListJSON is a room of the room list: the room object plus the id of
// its newest message (null for an empty room).
type roomListJSON struct {
	roomJSON
	LastMessageID *int64 `json:"lastMessageId"`
}

type createRoomJSON struct {
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
	GroupID    *int64 `json:"groupId"`
	Assistant  bool   `json:"assistant"`
}

func (s *Server) createRoom(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in createRoomJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	room, err := s.svc.CreateRoom(r.Context(), p, service.RoomInput{Name: in.Name, Visibility: in.Visibility,
		GroupID: in.GroupID, Assistant: in.Assistant})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"room": roomOf(room)})
	return nil
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	before, err := queryInt(r.URL.Query(), "before")
	if err != nil {
		return err
	}
	limit, err := queryInt(r.URL.Query(), "limit")
	if err != nil {
		return err
	}
	ms, next, err := s.svc.Messages(r.Context(), p, id, before, int(min(limit, 1000)))
	if err != nil {
		return err
	}
	out := make([]messageJSON, len(ms))
	for i, m := range ms {
		out[i] = messageOf(m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out, "nextBefore": next})
	return nil
}

type postMessageJSON struct {
	Body     string `json:"body"`
	ClientID string `json:"clientId"`
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	var in postMessageJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, created, err := s.svc.PostMessage(r.Context(), p, id, in.Body, in.ClientID)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"message": messageOf(m)})
	return nil
}

// stopAssistant is POST /api/v1/rooms/{id}/assistant/cancel (docs/api.md,
// an addition to the contract): the page's stop button.
func (s *Server) stopAssistant(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	if err := s.svc.StopAssistant(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
