package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// Room membership, settings, direct messages and people (issue 17;
// docs/api.md "Team chat").

// roomView is roomOf plus, for a direct conversation, its people.
func (s *Server) roomView(ctx context.Context, r torii.Room) (roomJSON, error) {
	out := roomOf(r)
	if r.IsDM() {
		people, err := s.svc.DMMembers(ctx, r)
		if err != nil {
			return out, err
		}
		out.Members = make([]authorJSON, len(people))
		for i, a := range people {
			out.Members[i] = authorJSON{ID: a.ID, Name: a.Name, AvatarURL: a.AvatarURL}
		}
	}
	return out, nil
}

// pathUserID parses the {userId} of a member URL.
func pathUserID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("userId"), 10, 64)
	if err != nil || id <= 0 {
		return 0, torii.Errorf(torii.ENotFound, "There is no such person.")
	}
	return id, nil
}

type roomMemberJSON struct {
	UserID    int64  `json:"userId"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatarUrl"`
	Owner     bool   `json:"owner"`
	Online    bool   `json:"online"`
}

// roomMembers is GET /api/v1/rooms/{id}/members.
func (s *Server) roomMembers(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	list, err := s.svc.RoomMembers(r.Context(), p, id)
	if err != nil {
		return err
	}
	out := make([]roomMemberJSON, len(list))
	for i, m := range list {
		out[i] = roomMemberJSON{UserID: m.UserID, Name: m.Name, AvatarURL: m.AvatarURL, Owner: m.Owner, Online: m.Online}
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out})
	return nil
}

type addMemberJSON struct {
	UserID int64 `json:"userId"`
}

// addRoomMember is POST /api/v1/rooms/{id}/members {"userId"} → 201.
func (s *Server) addRoomMember(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	var in addMemberJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.UserID <= 0 {
		return torii.Invalid(map[string]string{"userId": "is required"})
	}
	if err := s.svc.AddRoomMember(r.Context(), p, id, in.UserID, s.meta(r)); err != nil {
		return err
	}
	list, err := s.svc.RoomMembers(r.Context(), p, id)
	if err != nil {
		return err
	}
	for _, m := range list {
		if m.UserID == in.UserID {
			writeJSON(w, http.StatusCreated, map[string]any{"member": roomMemberJSON{UserID: m.UserID, Name: m.Name,
				AvatarURL: m.AvatarURL, Owner: m.Owner, Online: m.Online}})
			return nil
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"member": roomMemberJSON{UserID: in.UserID}})
	return nil
}

// removeRoomMember is DELETE /api/v1/rooms/{id}/members/{userId} → 204.
func (s *Server) removeRoomMember(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	uid, err := pathUserID(r)
	if err != nil {
		return err
	}
	if err := s.svc.RemoveRoomMember(r.Context(), p, id, uid, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type patchRoomJSON struct {
	Name     *string `json:"name"`
	Topic    *string `json:"topic"`
	Archived *bool   `json:"archived"`
	// The assistant's settings of a Gemini conversation (api_assistant.go).
	assistantPatchJSON
}

func (in patchRoomJSON) roomFields() bool {
	return in.Name != nil || in.Topic != nil || in.Archived != nil
}

// patchRoom is PATCH /api/v1/rooms/{id} {"name", "topic", "archived",
// "model", "systemPrompt", "grounding"} (each optional) → 200 {"room"},
// with "assistant" (the conversation's settings) when any of the last three
// was sent. The assistant's settings are checked and saved first: a model
// not offered (422) or a caller who is not the owner (403) changes nothing.
func (s *Server) patchRoom(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	var in patchRoomJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out := map[string]any{}
	if in.present() {
		if out, err = s.applyAssistantPatch(r, p, id, in.assistantPatchJSON); err != nil {
			return err
		}
	}
	if in.roomFields() || !in.present() {
		room, err := s.svc.UpdateRoom(r.Context(), p, id, service.RoomPatch{Name: in.Name, Topic: in.Topic, Archived: in.Archived}, s.meta(r))
		if err != nil {
			return err
		}
		out["room"] = roomOf(room)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// deleteRoom is DELETE /api/v1/rooms/{id} → 204.
func (s *Server) deleteRoom(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteRoom(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type openDMJSON struct {
	UserIDs []int64 `json:"userIds"`
}

// openDM is POST /api/v1/dms {"userIds"} → 201 {"room"} new, 200 the
// existing one with exactly those people.
func (s *Server) openDM(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in openDMJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.UserIDs) > 2*service.MaxDMPeople {
		return torii.Invalid(map[string]string{"userIds": "must name at most 7 other people"})
	}
	room, created, err := s.svc.OpenDM(r.Context(), p, in.UserIDs)
	if err != nil {
		return err
	}
	out, err := s.roomView(r.Context(), room)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"room": out})
	return nil
}

type personJSON struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatarUrl"`
	Email     string `json:"email"`
}

// people is GET /api/v1/people?q=…&limit=20: the "New message" picker's
// search among the people the user may see.
func (s *Server) people(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	limit, err := queryInt(r.URL.Query(), "limit")
	if err != nil {
		return err
	}
	list, err := s.svc.People(r.Context(), p, r.URL.Query().Get("q"), int(min(limit, 1000)))
	if err != nil {
		return err
	}
	out := make([]personJSON, len(list))
	for i, u := range list {
		out[i] = personJSON{ID: u.ID, Name: u.Name, AvatarURL: u.AvatarURL, Email: u.Email}
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": out})
	return nil
}

// typing is POST /api/v1/rooms/{id}/typing → 204.
func (s *Server) typing(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	if err := s.svc.Typing(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
