package web

import (
	"io"
	"net/http"
	"strconv"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// Pictures (issue 19): upload, removal, and serving.

// readAvatar reads an upload body, bounded: one byte over the limit is
// enough to refuse it.
func readAvatar(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, service.MaxAvatarBytes+1))
	if err != nil {
		return nil, torii.Errorf(torii.EBadRequest, "The body could not be read.")
	}
	return data, nil
}

// putAvatar is PUT /api/v1/me/avatar with the image as the body (any
// Content-Type: the content decides): 200 {"user"}.
func (s *Server) putAvatar(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	data, err := readAvatar(http.MaxBytesReader(w, r.Body, service.MaxAvatarBytes+1))
	if err != nil {
		return err
	}
	u, err := s.svc.SetAvatar(r.Context(), p, data, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userOf(u, len(p.Identities))})
	return nil
}

// deleteAvatar is DELETE /api/v1/me/avatar: 200 {"user"}.
func (s *Server) deleteAvatar(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	u, err := s.svc.RemoveAvatar(r.Context(), p, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userOf(u, len(p.Identities))})
	return nil
}

// avatarImage is GET /avatars/{id}: the uploaded picture, to signed-in
// users, as torii's own PNG with a type browsers must not second-guess.
func (s *Server) avatarImage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var data []byte
	if ok && err == nil {
		data, _, err = s.svc.Avatar(r.Context(), p, id)
	}
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	// The URL carries a version (?v=), so a new picture is a new URL.
	h.Set("Cache-Control", "private, max-age=86400")
	_, _ = w.Write(data)
}

// accountAvatarSubmit is POST /account/avatar (multipart, field
// "picture"; or "remove" to drop the upload).
func (s *Server) accountAvatarSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/account"), http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, service.MaxAvatarBytes+64<<10)
	if err := r.ParseMultipartForm(service.MaxAvatarBytes + 64<<10); err != nil {
		s.accountError(w, r, p, torii.Invalid(map[string]string{"picture": "must be at most 2 MiB"}))
		return
	}
	var u torii.User
	var err error
	if r.PostFormValue("remove") != "" {
		u, err = s.svc.RemoveAvatar(r.Context(), p, s.meta(r))
	} else {
		f, _, ferr := r.FormFile("picture")
		if ferr != nil {
			s.accountError(w, r, p, torii.Invalid(map[string]string{"picture": "is required"}))
			return
		}
		defer f.Close()
		var data []byte
		if data, err = readAvatar(f); err == nil {
			u, err = s.svc.SetAvatar(r.Context(), p, data, s.meta(r))
		}
	}
	if err != nil {
		s.accountError(w, r, p, err)
		return
	}
	p.User = u
	s.renderAccount(w, r, p, http.StatusOK, pageData{Notice: "recover.account.pictureSaved"})
}
