package web

import (
	"context"
	"net/http"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// apiFunc is a JSON handler that reports failure by returning an error;
// api writes it in the one error shape.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// authedFunc is an apiFunc for a signed-in caller.
type authedFunc func(w http.ResponseWriter, r *http.Request, p service.Principal) error

func (s *Server) api(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, _ = withAPIUserSlot(r)
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) authed(h authedFunc) http.Handler {
	return s.api(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.principal(r)
		if err != nil {
			return err
		}
		setAPIUser(r, &p.User)
		if err := gateWaiting(r, p); err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)), p)
	})
}

// principal authenticates the request by its Authorization: Bearer access
// token (whose audience must be the base URL), or else by its session
// cookie. A Bearer header that fails is not rescued by a cookie: the
// caller chose the credential.
func (s *Server) principal(r *http.Request) (service.Principal, error) {
	if p, ok := r.Context().Value(principalKey).(service.Principal); ok {
		return p, nil
	}
	return s.principalFor(r, s.svc.Issuer())
}

// principalFor authenticates as principal does, accepting Bearer tokens
// minted for audience.
func (s *Server) principalFor(r *http.Request, audience string) (service.Principal, error) {
	if raw, ok := bearerToken(r); ok {
		return s.svc.AuthenticateBearer(r.Context(), raw, audience)
	}
	c, err := r.Cookie(s.opts.CookieName)
	if err != nil || c.Value == "" {
		return service.Principal{}, torii.Errorf(torii.EUnauthorized, "Sign in to continue.")
	}
	return s.svc.Authenticate(r.Context(), c.Value)
}

func (s *Server) meta(r *http.Request) service.Meta {
	m := service.Meta{IP: s.clientIP(r), UserAgent: r.UserAgent(), Lang: s.language(r, nil)}
	if c, err := r.Cookie(s.opts.CookieName); err == nil {
		m.PresentedToken = c.Value
	}
	return m
}

// setSessionCookie hands the browser a new session token. HttpOnly keeps it
// from scripts, SameSite=Lax from cross-site POSTs, and over https the
// __Host- prefix pins it to this host with Secure and Path=/.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.opts.CookieName,
		Value:    token,
		Path:     "/",
		MaxAge:   int(s.opts.SessionMax.Seconds()),
		HttpOnly: true,
		Secure:   s.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.opts.CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}
