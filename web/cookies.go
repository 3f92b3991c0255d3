package web

import (
	"net/http"
	"time"

	"github.com/toriihq/torii/service"
)

// Cookies of the Google flows. Like the session cookie they are HttpOnly,
// SameSite=Lax (sent on the provider's top-level redirect back, not on
// cross-site POSTs) and, over https, Secure with the __Host- prefix.
const (
	// bindingCookie ties a code flow to the browser that started it.
	bindingCookie = "torii_oauth"
	// pendingCookie holds a verified Google credential while the person
	// finishes registering (TORII_SIGNUP=explicit).
	pendingCookie = "torii_google_pending"
	// pendingTTL is how long a registration may stay pending; the token
	// inside is verified again (exp included) when it is used.
	pendingTTL = 15 * time.Minute
	// gCSRFCookie is set by Google Identity Services for its redirect mode.
	gCSRFCookie = "g_csrf_token"
)

func (s *Server) cookieName(base string) string {
	if s.opts.SecureCookies {
		return "__Host-" + base
	}
	return base
}

func (s *Server) pendingCookieName() string { return s.cookieName(pendingCookie) }

func (s *Server) setTempCookie(w http.ResponseWriter, name, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) setBindingCookie(w http.ResponseWriter, value string) {
	s.setTempCookie(w, s.cookieName(bindingCookie), value, service.OAuthStateTTL)
}

func (s *Server) setPendingCookie(w http.ResponseWriter, credential string) {
	if len(credential) > 3500 {
		return // would not fit a cookie; the page falls back to asking again
	}
	s.setTempCookie(w, s.pendingCookieName(), credential, pendingTTL)
}

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}
