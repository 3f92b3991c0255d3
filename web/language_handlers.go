package web

import (
	"net/http"
	"net/url"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// patchMe is PATCH /api/v1/me: {"language": "ja"} saves the user's
// language ("" follows the browser again) and answers like GET /api/v1/me.
// Only "language" is accepted for now; another field is BAD_REQUEST (the
// decoder refuses unknown fields), so a client never believes it changed
// something it did not.
func (s *Server) patchMe(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		Language *string `json:"language"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Language == nil {
		return torii.Invalid(map[string]string{"language": "is required"})
	}
	if err := s.svc.SetLanguage(r.Context(), p, *in.Language); err != nil {
		return err
	}
	s.clearLanguageCookie(w, r)
	return s.me(w, r, p)
}

// languageSubmit is POST /account/language, the form of the /account
// picker and of the footer's picker for a signed-in user: it saves the
// preference and returns to the page it came from (next, else Referer's
// path on this site, else /account).
func (s *Server) languageSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	if err := s.svc.SetLanguage(r.Context(), p, r.PostForm.Get("language")); err != nil {
		s.accountError(w, r, p, err)
		return
	}
	s.clearLanguageCookie(w, r)
	next := r.PostForm.Get("next")
	if next == "" {
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
			q := ref.Query()
			q.Del("lang") // the saved preference decides now
			ref.RawQuery = q.Encode()
			next = ref.RequestURI()
		}
	}
	if next == "" {
		next = "/account?language=1"
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// clearLanguageCookie drops a torii_lang choice when the user saves a
// preference: the cookie comes first, and would otherwise hide it.
func (s *Server) clearLanguageCookie(w http.ResponseWriter, r *http.Request) {
	if cookieValue(r, langCookie) != "" {
		s.clearCookie(w, langCookie)
	}
}
