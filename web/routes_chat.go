package web

import "net/http"

// teamChatRoutes registers the team chat's routes (issue 17; docs/api.md
// "Team chat").
func (s *Server) teamChatRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/events", s.authed(s.userEvents))
	mux.Handle("PATCH /api/v1/rooms/{id}", s.authed(s.patchRoom))
	mux.Handle("DELETE /api/v1/rooms/{id}", s.authed(s.deleteRoom))
	mux.Handle("GET /api/v1/rooms/{id}/members", s.authed(s.roomMembers))
	mux.Handle("POST /api/v1/rooms/{id}/members", s.authed(s.addRoomMember))
	mux.Handle("DELETE /api/v1/rooms/{id}/members/{userId}", s.authed(s.removeRoomMember))
	mux.Handle("POST /api/v1/rooms/{id}/typing", s.authed(s.typing))
	mux.Handle("POST /api/v1/dms", s.authed(s.openDM))
	mux.Handle("GET /api/v1/people", s.authed(s.people))
	mux.Handle("PATCH /api/v1/rooms/{id}/messages/{mid}", s.authed(s.editMessage))
	mux.Handle("DELETE /api/v1/rooms/{id}/messages/{mid}", s.authed(s.deleteMessage))
	mux.Handle("PUT /api/v1/rooms/{id}/messages/{mid}/reactions/{emoji}", s.authed(s.react(true)))
	mux.Handle("DELETE /api/v1/rooms/{id}/messages/{mid}/reactions/{emoji}", s.authed(s.react(false)))
	mux.Handle("POST /api/v1/rooms/{id}/read", s.authed(s.markRead))
}
