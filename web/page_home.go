package web

import "net/http"

func (s *Server) homePage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "home", pageData{Title: "chat.title", User: &p.User, IsAdmin: p.IsAdmin(),
		Data: map[string]any{"Assistant": s.svc.AssistantEnabled()}})
}

func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", pageData{
		Title: "status.404",
		Error: "errorPage.noPage",
		Data:  map[string]any{"Status": http.StatusNotFound},
	})
}
