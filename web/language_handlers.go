package web

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// patchMeLanguage handles PATCH /api/v1/me {"language": "ja"}: it saves
// the user's language ("" follows the browser again). Saving drops a
// torii_lang cookie, which comes first and would hide the new preference.
func (s *Server) patchMeLanguage(w http.ResponseWriter, r *http.Request, p service.Principal, raw json.RawMessage) (torii.User, error) {
	var lang string
	if err := json.Unmarshal(raw, &lang); err != nil {
		return torii.User{}, torii.Invalid(map[string]string{"language": "must be en or ja"})
	}
	if err := s.svc.SetLanguage(r.Context(), p, lang); err != nil {
		return torii.User{}, err
	}
	s.clearLanguageCookie(w, r)
	return p.User, nil
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
