package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// googleLogin is GET /auth/google/login?next=: it starts the code flow and
// sends the browser to the provider (302, as api.md says).
func (s *Server) googleLogin(w http.ResponseWriter, r *http.Request) {
	s.startGoogle(w, r, safeNext(r.URL.Query().Get("next")), nil, http.StatusFound)
}

// googleLinkStart is POST /auth/google/link, the "Link a Google account"
// button of /account: a code flow whose callback links instead of signing
// in. It is a POST so that another site cannot start it.
func (s *Server) googleLinkStart(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pagePrincipal(r)
	if !ok {
		http.Redirect(w, r, loginURL("/account"), http.StatusSeeOther)
		return
	}
	// Linking is a lasting change: checked here too so the browser is not
	// sent to the provider for a link the callback would refuse.
	if err := s.svc.CheckLastingChange(p); isReauth(err) {
		http.Redirect(w, r, "/account?reauth=1", http.StatusSeeOther)
		return
	} else if err != nil {
		s.googleError(w, r, err)
		return
	}
	s.startGoogle(w, r, "/account?linked=1", &p.User.ID, http.StatusSeeOther)
}

func (s *Server) startGoogle(w http.ResponseWriter, r *http.Request, next string, link *int64, status int) {
	start, err := s.svc.StartGoogleLogin(r.Context(), next, cookieValue(r, s.cookieName(bindingCookie)), link, s.meta(r))
	if err != nil {
		s.googleError(w, r, err)
		return
	}
	s.setBindingCookie(w, start.Binding)
	http.Redirect(w, r, start.URL, status)
}

// googleCallback is GET /auth/google/callback, where the provider sends
// the browser back. Every failure is a friendly page with no session.
func (s *Server) googleCallback(w http.ResponseWriter, r *http.Request) {
	if !s.svc.GoogleEnabled() {
		s.googleError(w, r, googleOff())
		return
	}
	q := r.URL.Query()
	cb := service.GoogleCallback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"),
		Binding: cookieValue(r, s.cookieName(bindingCookie))}
	if p, ok := s.pagePrincipal(r); ok {
		cb.Principal = &p
	}
	res, err := s.svc.FinishGoogleLogin(r.Context(), cb, s.meta(r))
	if cb.Principal == nil || (res.Linked == nil && !res.Reauthed) {
		s.metrics.signIn(service.MethodGoogleCode, resultOf(err))
	}
	if pending, ok := isPending(err); ok {
		s.setPendingCookie(w, pending.Credential)
		http.Redirect(w, r, registerURL(res.Next), http.StatusSeeOther)
		return
	}
	if isReauth(err) {
		http.Redirect(w, r, "/account?reauth=1", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.googleError(w, r, err)
		return
	}
	if res.Linked == nil && !res.Reauthed {
		s.setSessionCookie(w, res.Token)
	}
	http.Redirect(w, r, safeNext(res.Next), http.StatusSeeOther)
}

// googleRedirect is POST /auth/google/redirect, GIS's redirect mode: Google
// posts the credential from its own origin, so this one route is exempt
// from the cross-origin check and relies on Google's double-submit token
// instead (security.md C.17): the g_csrf_token cookie must be present and
// equal to the g_csrf_token field.
func (s *Server) googleRedirect(w http.ResponseWriter, r *http.Request) {
	if !s.svc.GoogleEnabled() {
		s.googleError(w, r, googleOff())
		return
	}
	if err := parseForm(w, r); err != nil {
		s.googleError(w, r, err)
		return
	}
	cookie, field := cookieValue(r, gCSRFCookie), r.PostForm.Get(gCSRFCookie)
	if cookie == "" || field == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(field)) != 1 {
		s.googleError(w, r, torii.Errorf(torii.EBadRequest, "The sign-in could not be confirmed as coming from this browser. Please try again."))
		return
	}
	credential := r.PostForm.Get("credential")
	res, err := s.svc.SignInWithGoogle(r.Context(), credential, s.meta(r))
	s.metrics.signIn(service.MethodGoogle, resultOf(err))
	next := safeNext(r.URL.Query().Get("next"))
	if torii.IsCode(err, torii.EUserNotFound) {
		s.setPendingCookie(w, credential)
		http.Redirect(w, r, registerURL(next), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.googleError(w, r, err)
		return
	}
	s.setSessionCookie(w, res.Token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func registerURL(next string) string {
	if next == "/" || next == "" {
		return "/register"
	}
	return "/register?next=" + url.QueryEscape(next)
}

// googleError shows a friendly page for a failed Google sign-in: the coded
// error's message (never the provider's text), with a way to try again.
func (s *Server) googleError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= 500 && !torii.IsCode(err, torii.EServiceUnavailable) {
		s.log.Error("google sign-in failed", "err", err, "request_id", requestID(r.Context()))
	} else {
		s.log.Info("google sign-in refused", "code", torii.ErrorCode(err), "reason", err.Error(), "request_id", requestID(r.Context()))
	}
	var e *torii.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(e.RetryAfter))
	}
	title := "google.error.title"
	if status == http.StatusServiceUnavailable {
		// The provider (or its discovery, keys or token endpoint) could
		// not be reached: not a bad sign-in, so say "try again".
		title = "google.error.unreachable"
	}
	s.render(w, r, status, "google_error", pageData{
		Title: title,
		Error: torii.ErrorMessage(err),
		Data:  map[string]any{"Status": status, "RequestID": requestID(r.Context()), "Code": torii.ErrorCode(err)},
	})
}

// registerGoogleSubmit is POST /register/google: the form that finishes a
// pending Google registration (explicit signup) with the chosen name.
func (s *Server) registerGoogleSubmit(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	credential := cookieValue(r, s.pendingCookieName())
	in := service.GoogleRegisterInput{Credential: credential, Name: r.PostForm.Get("name"), CompanyName: r.PostForm.Get("companyName")}
	res, err := s.svc.RegisterWithGoogle(r.Context(), in, s.meta(r))
	s.metrics.signIn("google_register", resultOf(err))
	if err != nil {
		if torii.IsCode(err, torii.EValidation) {
			claims, perr := s.svc.PendingGoogle(r.Context(), credential)
			if perr == nil {
				form := map[string]string{"name": in.Name, "companyName": in.CompanyName}
				s.formError(w, r, "register", pageData{Title: "register.title", Next: next, Form: form,
					Data: registerView{Pending: &claims}}, err)
				return
			}
		}
		if !torii.IsCode(err, torii.EValidation) {
			s.clearCookie(w, s.pendingCookieName())
		}
		s.googleError(w, r, err)
		return
	}
	s.clearCookie(w, s.pendingCookieName())
	s.setSessionCookie(w, res.Token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// registerView is the register page's data: Pending is set while a Google
// registration waits for its name.
type registerView struct {
	Pending *torii.IDClaims
}
