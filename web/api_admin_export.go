package web

import (
	"net/http"

	"github.com/toriihq/torii/service"
)

// The audited export of a room's messages (issue 17; docs/api.md "Audited
// export"): the one way an administrator reads a direct conversation or a
// private room they are not a member of.

type exportInJSON struct {
	Reason string `json:"reason"`
}

type roomExportJSON struct {
	Room      roomJSON         `json:"room"`
	Members   []roomMemberJSON `json:"members"`
	Messages  []messageJSON    `json:"messages"`
	NextAfter *int64           `json:"nextAfter"`
}

// adminExportRoom is POST /api/v1/admin/rooms/{id}/export?after=&limit=
// {"reason"}: one page of the room's messages, oldest first; each page
// read is audited (room.export).
func (s *Server) adminExportRoom(w http.ResponseWriter, r *http.Request, by service.Actor) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	after, err := queryInt(q, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(q, "limit")
	if err != nil {
		return err
	}
	var in exportInJSON
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ex, err := s.svc.AdminExportRoom(r.Context(), id, in.Reason, after, int(min(limit, 1<<20)), by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, roomExportOf(ex))
	return nil
}

func roomExportOf(ex service.AdminRoomExport) roomExportJSON {
	out := roomExportJSON{Room: roomOf(ex.Room), Members: make([]roomMemberJSON, len(ex.Members)),
		Messages: make([]messageJSON, len(ex.Messages)), NextAfter: ex.NextAfter}
	for _, a := range ex.People {
		out.Room.Members = append(out.Room.Members, authorJSON{ID: a.ID, Name: a.Name, AvatarURL: a.AvatarURL})
	}
	for i, m := range ex.Members {
		out.Members[i] = roomMemberJSON{UserID: m.UserID, Name: m.Name, AvatarURL: m.AvatarURL, Owner: m.Owner}
	}
	for i, m := range ex.Messages {
		out.Messages[i] = messageOf(m)
	}
	return out
}

// RoomExportPage is an export page's room, members and messages as the
// API writes them, for the CLI (`torii room export`), so that both print
// the same objects.
type RoomExportPage struct {
	Room     any
	Members  any
	Messages []any
}

// RoomExportDoc returns ex as the API writes it.
func RoomExportDoc(ex service.AdminRoomExport) RoomExportPage {
	j := roomExportOf(ex)
	out := RoomExportPage{Room: j.Room, Members: j.Members, Messages: make([]any, len(j.Messages))}
	for i, m := range j.Messages {
		out.Messages[i] = m
	}
	return out
}
