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
	// Issue 17: kind is the visibility, or "dm" for a direct
	// conversation (whose visibility is "private"); members only for a
	// direct conversation (its name is "").
	Kind     string       `json:"kind"`
	Topic    string       `json:"topic"`
	Archived bool         `json:"archived"`
	OwnerID  *int64       `json:"ownerId"`
	Members  []authorJSON `json:"members,omitempty"`
}

func roomOf(r torii.Room) roomJSON {
	kind := r.Visibility
	if r.IsDM() {
		kind = "dm"
	}
	return roomJSON{ID: r.ID, Name: r.Name, Visibility: r.Visibility, GroupID: r.GroupID,
		Assistant: r.Assistant, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(),
		Kind: kind, Topic: r.Topic, Archived: r.Archived, OwnerID: r.OwnerID}
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
	// Issue 17 (docs/api.md "Team chat").
	EditedAt     *time.Time        `json:"editedAt"`
	Deleted      bool              `json:"deleted"`
	Reactions    []reactionJSON    `json:"reactions"`
	Mentions     []int64           `json:"mentions"`
	ReplyPreview *replyPreviewJSON `json:"replyPreview"`
	// model, usage, sources: assistant replies only (api_assistant.go).
	replyJSON
}

type reactionJSON struct {
	Emoji   string  `json:"emoji"`
	Count   int     `json:"count"`
	UserIDs []int64 `json:"userIds"`
}

type replyPreviewJSON struct {
	ID      int64       `json:"id"`
	Author  string      `json:"author"`
	User    *authorJSON `json:"user"`
	Body    string      `json:"body"`
	Deleted bool        `json:"deleted"`
}

func authorOf(a *service.Author) *authorJSON {
	if a == nil {
		return nil
	}
	return &authorJSON{ID: a.ID, Name: a.Name, AvatarURL: a.AvatarURL}
}

func messageOf(m service.ChatMessage) messageJSON {
	out := messageJSON{ID: m.ID, RoomID: m.RoomID, Author: m.Author, User: authorOf(m.User), Body: m.Body,
		ClientID: m.ClientID, ReplyTo: m.ReplyTo, CreatedAt: m.CreatedAt.UTC(), Status: m.Status,
		Deleted: m.DeletedAt != nil, Reactions: []reactionJSON{}, Mentions: m.Mentions}
	if m.EditedAt != nil {
		t := m.EditedAt.UTC()
		out.EditedAt = &t
	}
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, reactionJSON{Emoji: r.Emoji, Count: len(r.UserIDs), UserIDs: r.UserIDs})
	}
	if out.Mentions == nil {
		out.Mentions = []int64{}
	}
	if rp := m.Reply; rp != nil {
		out.ReplyPreview = &replyPreviewJSON{ID: rp.ID, Author: rp.Author, User: authorOf(rp.User), Body: rp.Body, Deleted: rp.Deleted}
	}
	out.replyJSON = replyOf(m)
	return out
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
		rj, err := s.roomView(r.Context(), x.Room)
		if err != nil {
			return err
		}
		out[i] = roomListJSON{roomJSON: rj, Unread: x.Unread, Mentions: x.Mentions}
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
	// Unread and mentions after the user's read marker (issue 17).
	Unread   int `json:"unread"`
	Mentions int `json:"mentions"`
}

type createRoomJSON struct {
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
	GroupID    *int64 `json:"groupId"`
	Assistant  bool   `json:"assistant"`
	AutoTitle  bool   `json:"autoTitle"`
}

func (s *Server) createRoom(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in createRoomJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	room, err := s.svc.CreateRoom(r.Context(), p, service.RoomInput{Name: in.Name, Visibility: in.Visibility,
		GroupID: in.GroupID, Assistant: in.Assistant, AutoTitle: in.AutoTitle})
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
	ReplyTo  *int64 `json:"replyTo"`
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
	m, created, err := s.svc.PostReply(r.Context(), p, id, in.Body, in.ClientID, in.ReplyTo)
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
