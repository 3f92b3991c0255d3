package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
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
	if u != nil && s.svc != nil {
		if lang, ok := i18n.Parse(s.svc.UserLanguage(r.Context(), u.ID)); ok {
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
	if s.svc == nil { // a bare Server of an internal test
		return i18n.English
	}
	return s.svc.DefaultLanguage()
}

// errorText is err's client-safe message in l's language. English keeps
// the service's message as written. Other languages look the message up
// in the catalog, where each English message (or Errorf format, whose
// arguments are formatted again, themselves translated when they are
// catalog keys such as "rooms") is its own key (locales/errors.*.toml);
// a message missing from it falls back to the code's generic message
// ("error.<CODE>"), so a Japanese reader never gets English.
func errorText(l *i18n.Localizer, err error) string {
	var e *torii.Error
	if !errors.As(err, &e) {
		return l.T("error." + torii.EInternal)
	}
	if l.Lang() == i18n.English {
		return e.Message
	}
	if e.Format != "" && len(e.Args) > 0 && l.Has(e.Format) {
		args := make([]any, len(e.Args))
		for i, a := range e.Args {
			if s, ok := a.(string); ok && l.Has(s) {
				a = l.T(s)
			}
			args[i] = a
		}
		return fmt.Sprintf(l.T(e.Format), args...)
	}
	if l.Has(e.Message) {
		return l.T(e.Message)
	}
	if l.Has("error." + e.Code) {
		return l.T("error." + e.Code)
	}
	return e.Message
}

// fieldsText is a VALIDATION_ERROR's field messages in l's language (a
// new map: the error's own stays English), each looked up like a message,
// with "error.field" as the fallback.
func fieldsText(l *i18n.Localizer, fields map[string]string) map[string]string {
	if fields == nil || l.Lang() == i18n.English {
		return fields
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if l.Has(v) {
			out[k] = l.T(v)
		} else if head, tail, ok := strings.Cut(v, ": "); ok && l.Has(head+": ") {
			// A fixed head with a name after it ("names an unknown
			// group: " + name): the head is the key, the name stays.
			out[k] = l.T(head+": ") + tail
		} else {
			out[k] = l.T("error.field")
		}
	}
	return out
}

// apiUser carries the signed-in user of an API request from authed back
// to writeError, whose request predates authentication, so an API error
// follows the user's language preference too.
type apiUserKey struct{}

type apiUserSlot struct{ user *torii.User }

func withAPIUserSlot(r *http.Request) (*http.Request, *apiUserSlot) {
	slot := &apiUserSlot{}
	return r.WithContext(context.WithValue(r.Context(), apiUserKey{}, slot)), slot
}

func setAPIUser(r *http.Request, u *torii.User) {
	if slot, ok := r.Context().Value(apiUserKey{}).(*apiUserSlot); ok {
		slot.user = u
	}
}

func apiUser(r *http.Request) *torii.User {
	if slot, ok := r.Context().Value(apiUserKey{}).(*apiUserSlot); ok {
		return slot.user
	}
	return nil
}
