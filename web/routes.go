package web

import (
	"net/http"

	"github.com/toriihq/torii/oidcop"
)

// routes registers every route of the server, so the whole surface can be
// read in one place.
func (s *Server) routes(mux *http.ServeMux) {
	// Operations.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metricsOnMain())

	// JSON API: auth.
	mux.Handle("GET /api/v1/auth/config", s.api(s.authConfig))
	mux.Handle("POST /api/v1/auth/register", s.api(s.register))
	mux.Handle("POST /api/v1/auth/login", s.api(s.login))
	mux.Handle("POST /api/v1/auth/logout", s.authed(s.logout))
	mux.Handle("POST /api/v1/auth/token", s.authed(s.issueTokens))
	mux.Handle("POST /api/v1/auth/token/refresh", s.api(s.refreshTokens))
	mux.Handle("GET /api/v1/auth/verify", s.api(s.verify))
	mux.Handle("GET /.well-known/jwks.json", s.api(s.jwks))
	mux.Handle("GET /api/v1/me", s.authed(s.me))
	mux.Handle("PATCH /api/v1/me", s.authed(s.patchMe))
	mux.Handle("POST /api/v1/auth/verify-email", s.api(s.verifyEmail))
	mux.Handle("POST /api/v1/me/verify-email", s.authed(s.resendVerification))
	mux.Handle("GET /api/v1/me/sessions", s.authed(s.mySessions))
	mux.Handle("DELETE /api/v1/me/sessions", s.authed(s.revokeOtherSessions))
	mux.Handle("DELETE /api/v1/me/sessions/{id}", s.authed(s.revokeSession))

	// JSON API: Google sign-in, linking, password.
	mux.Handle("POST /api/v1/auth/google", s.api(s.googleSignIn))
	mux.Handle("POST /api/v1/auth/google/register", s.api(s.googleRegister))
	mux.Handle("POST /api/v1/me/identities", s.authed(s.linkIdentity))
	mux.Handle("DELETE /api/v1/me/identities/{id}", s.authed(s.unlinkIdentity))
	mux.Handle("PUT /api/v1/me/password", s.authed(s.setPassword))
	mux.Handle("POST /api/v1/me/reauth", s.authed(s.reauth))
	// Account recovery (issue 19).
	mux.Handle("POST /api/v1/auth/password-reset", s.api(s.passwordResetRequest))
	mux.Handle("POST /api/v1/auth/password-reset/confirm", s.api(s.passwordResetConfirm))
	mux.Handle("POST /api/v1/auth/invitations/accept", s.api(s.acceptInvitation))
	mux.Handle("POST /api/v1/me/email", s.authed(s.requestEmailChange))
	mux.Handle("POST /api/v1/auth/email-change/confirm", s.api(s.confirmEmailChange))
	mux.Handle("DELETE /api/v1/me", s.authed(s.deleteMe))
	mux.Handle("GET /api/v1/me/export", s.authed(s.exportMe))
	mux.Handle("PUT /api/v1/me/avatar", s.authed(s.putAvatar))
	mux.Handle("DELETE /api/v1/me/avatar", s.authed(s.deleteAvatar))

	// JSON API: chat.
	mux.Handle("GET /api/v1/rooms", s.authed(s.listRooms))
	mux.Handle("POST /api/v1/rooms", s.authed(s.createRoom))
	mux.Handle("GET /api/v1/rooms/{id}/messages", s.authed(s.listMessages))
	mux.Handle("POST /api/v1/rooms/{id}/messages", s.authed(s.postMessage))
	mux.Handle("GET /api/v1/rooms/{id}/events", s.authed(s.roomEvents))
	mux.Handle("POST /api/v1/rooms/{id}/assistant/cancel", s.authed(s.stopAssistant))
	s.teamChatRoutes(mux)
	// The assistant for a team (api_assistant.go).
	mux.Handle("GET /api/v1/rooms/{id}/assistant", s.authed(s.roomAssistant))
	mux.Handle("GET /api/v1/assistant/models", s.authed(s.myModels))
	mux.Handle("GET /api/v1/me/usage", s.authed(s.myUsage))
	// Working with replies (api_assistant_replies.go).
	mux.Handle("POST /api/v1/rooms/{id}/assistant/regenerate", s.authed(s.regenerateReply))
	mux.Handle("POST /api/v1/rooms/{id}/assistant/resend", s.authed(s.resendQuestion))
	mux.Handle("GET /api/v1/rooms/{id}/export", s.authed(s.exportRoom))
	// JSON API: groups and administration.
	mux.Handle("GET /api/v1/groups", s.authed(s.groups))
	mux.Handle("POST /api/v1/groups", s.authed(s.createGroup))
	mux.Handle("GET /api/v1/groups/{id}/members", s.authed(s.groupMembers))
	mux.Handle("POST /api/v1/groups/{id}/members", s.authed(s.setGroupMember))
	mux.Handle("DELETE /api/v1/groups/{id}/members", s.authed(s.removeGroupMember))
	// Group invitations: a member joins only by accepting (security.md I.45).
	mux.Handle("GET /api/v1/groups/{id}/invitations", s.authed(s.groupInvitations))
	mux.Handle("DELETE /api/v1/groups/{id}/invitations/{invitationId}", s.authed(s.cancelGroupInvitation))
	mux.Handle("GET /api/v1/me/group-invitations", s.authed(s.myGroupInvitations))
	mux.Handle("POST /api/v1/me/group-invitations/{id}/accept", s.authed(s.acceptGroupInvitation))
	mux.Handle("POST /api/v1/me/group-invitations/{id}/decline", s.authed(s.declineGroupInvitation))
	mux.Handle("DELETE /api/v1/me/group-invitations/{id}", s.authed(s.declineGroupInvitation))
	for _, rt := range adminRoutes {
		mux.Handle(rt.pattern, s.admin(rt.handler(s)))
	}
	mux.Handle("/api/", s.api(notFound))

	// Pages.
	mux.Handle("GET /static/", staticFiles())
	mux.HandleFunc("GET /{$}", s.homePage)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginSubmit)
	mux.HandleFunc("GET /register", s.registerPage)
	mux.HandleFunc("POST /register", s.registerSubmit)
	mux.HandleFunc("POST /logout", s.logoutSubmit)
	mux.HandleFunc("GET /account", s.accountPage)
	mux.HandleFunc("POST /account/sessions/revoke", s.revokeSessionSubmit)
	mux.HandleFunc("POST /account/sessions/revoke-others", s.revokeOthersSubmit)
	mux.HandleFunc("POST /account/password", s.accountPasswordSubmit)
	mux.HandleFunc("POST /account/identities/unlink", s.accountUnlinkSubmit)
	mux.HandleFunc("POST /account/group-invitations/accept", s.accountInvitationAcceptSubmit)
	mux.HandleFunc("POST /account/group-invitations/decline", s.accountInvitationDeclineSubmit)
	mux.HandleFunc("POST /account/verify-email", s.accountVerifySubmit)
	mux.HandleFunc("POST /account/language", s.languageSubmit)
	mux.HandleFunc("GET /verify-email", s.verifyEmailPage)
	mux.HandleFunc("POST /verify-email", s.verifyEmailSubmit)
	mux.HandleFunc("POST /account/reauth", s.accountReauthSubmit)
	// Sign in with torii (issue 16): revoking an app's access from /account.
	mux.HandleFunc("POST /account/apps/revoke", s.accountAppRevokeSubmit)

	// Google sign-in pages: the code flow, GIS redirect mode, registration.
	mux.HandleFunc("GET /auth/google/login", s.googleLogin)
	mux.HandleFunc("POST /auth/google/link", s.googleLinkStart)
	mux.HandleFunc("POST /auth/google/reauth", s.googleReauthStart)
	mux.HandleFunc("GET /auth/google/callback", s.googleCallback)
	mux.HandleFunc(googleRedirectRoute, s.googleRedirect)
	mux.HandleFunc("POST /register/google", s.registerGoogleSubmit)

	// The admin page: its forms post to the service's admin rules.
	mux.HandleFunc("GET /admin", s.adminPage)
	mux.HandleFunc("POST /admin/users/status", s.adminSubmit("status", s.adminStatusSubmit))
	mux.HandleFunc("POST /admin/users/roles", s.adminSubmit("roles", s.adminRolesSubmit))
	mux.HandleFunc("POST /admin/users/verify-email", s.adminSubmit("verified", s.adminVerifySubmit))
	mux.HandleFunc("POST /admin/allowlist/add", s.adminSubmit("allow", s.adminAllowAddSubmit))
	mux.HandleFunc("POST /admin/allowlist/remove", s.adminSubmit("disallow", s.adminAllowRemoveSubmit))
	mux.HandleFunc("POST /admin/clients/add", s.adminClientAddSubmit)
	mux.HandleFunc("POST /admin/clients/update", s.adminSubmit("client", s.adminClientUpdateSubmit))
	mux.HandleFunc("POST /admin/clients/rotate", s.adminClientRotateSubmit)
	mux.HandleFunc("POST /admin/clients/remove", s.adminSubmit("unclient", s.adminClientRemoveSubmit))
	// First run: the one-time link that makes the first admin.
	// Account recovery (issue 19).
	mux.HandleFunc("GET /forgot-password", s.forgotPasswordPage)
	mux.HandleFunc("POST /forgot-password", s.forgotPasswordSubmit)
	mux.HandleFunc("GET /reset-password", s.resetPasswordPage)
	mux.HandleFunc("POST /reset-password", s.resetPasswordSubmit)
	mux.HandleFunc("GET /invite", s.invitePage)
	mux.HandleFunc("POST /invite", s.inviteSubmit)
	mux.HandleFunc("POST /admin/users/reset-link", s.adminResetLinkSubmit)
	mux.HandleFunc("POST /admin/users/email-link", s.adminEmailLinkSubmit)
	mux.HandleFunc("GET /admin/invitations", s.adminInvitationsPage)
	mux.HandleFunc("POST /admin/invitations", s.adminInviteSubmit)
	mux.HandleFunc("POST /admin/invitations/revoke", s.adminRevokeInvitationSubmit)
	mux.HandleFunc("POST /account/name", s.accountNameSubmit)
	mux.HandleFunc("POST /account/email", s.accountEmailSubmit)
	mux.HandleFunc("POST /account/delete", s.accountDeleteSubmit)
	mux.HandleFunc("POST /account/avatar", s.accountAvatarSubmit)
	mux.HandleFunc("GET /avatars/{id}", s.avatarImage)
	mux.HandleFunc("POST /admin/users/delete", s.adminDeleteSubmit)
	mux.HandleFunc("GET /confirm-email", s.confirmEmailPage)
	mux.HandleFunc("POST /confirm-email", s.confirmEmailSubmit)
	mux.HandleFunc("GET /setup", s.setupPage)
	mux.HandleFunc("POST /setup", s.setupSubmit)
	// Sign in with torii: the OpenID Provider (oidcop) and its pages.
	mux.Handle("GET "+oidcop.DiscoveryPath, s.op.Handler(s.oauthSession))
	mux.Handle("/oauth2/", s.op.Handler(s.oauthSession))
	mux.HandleFunc("GET "+oidcop.ContinuePath, s.oauthContinue)
	mux.HandleFunc("GET "+oidcop.ConsentPath, s.oauthConsentPage)
	mux.HandleFunc("POST "+oidcop.ConsentPath, s.oauthConsentSubmit)
	mux.HandleFunc("/", s.notFoundPage)
}

// adminRoutes are the admin API's routes, in one list so that a test can
// check that every one of them refuses a non-admin.
var adminRoutes = []struct {
	pattern string
	handler func(*Server) adminFunc
}{
	{"GET /api/v1/admin/users", func(s *Server) adminFunc { return s.adminUsers }},
	{"PATCH /api/v1/admin/users/{id}", func(s *Server) adminFunc { return s.adminUpdateUser }},
	{"POST /api/v1/admin/users/{id}/verify-email", func(s *Server) adminFunc { return s.adminVerifyEmail }},
	{"GET /api/v1/admin/allowlist", func(s *Server) adminFunc { return s.adminAllowlist }},
	{"POST /api/v1/admin/allowlist", func(s *Server) adminFunc { return s.adminAllowlistAdd }},
	{"DELETE /api/v1/admin/allowlist/{id}", func(s *Server) adminFunc { return s.adminAllowlistRemove }},
	{"GET /api/v1/admin/audit", func(s *Server) adminFunc { return s.adminAudit }},
	// Apps that sign in with torii (issue 16): web/api_clients.go.
	{"GET /api/v1/admin/clients", func(s *Server) adminFunc { return s.adminClients }},
	{"POST /api/v1/admin/clients", func(s *Server) adminFunc { return s.adminClientAdd }},
	{"GET /api/v1/admin/clients/{id}", func(s *Server) adminFunc { return s.adminClient }},
	{"PATCH /api/v1/admin/clients/{id}", func(s *Server) adminFunc { return s.adminClientUpdate }},
	{"DELETE /api/v1/admin/clients/{id}", func(s *Server) adminFunc { return s.adminClientRemove }},
	{"POST /api/v1/admin/clients/{id}/rotate-secret", func(s *Server) adminFunc { return s.adminClientRotate }},
	{"POST /api/v1/admin/users/{id}/password-reset", func(s *Server) adminFunc { return s.adminPasswordReset }},
	{"POST /api/v1/admin/users/{id}/email-change", func(s *Server) adminFunc { return s.adminEmailChangeLink }},
	{"GET /api/v1/admin/email-changes", func(s *Server) adminFunc { return s.adminEmailChanges }},
	{"POST /api/v1/admin/invitations", func(s *Server) adminFunc { return s.adminInvite }},
	{"GET /api/v1/admin/invitations", func(s *Server) adminFunc { return s.adminInvitations }},
	{"DELETE /api/v1/admin/invitations/{id}", func(s *Server) adminFunc { return s.adminRevokeInvitation }},
	{"DELETE /api/v1/admin/users/{id}", func(s *Server) adminFunc { return s.adminDeleteUser }},
	{"GET /api/v1/admin/usage", func(s *Server) adminFunc { return s.adminUsage }},
	{"GET /api/v1/admin/quotas", func(s *Server) adminFunc { return s.adminQuotas }},
	{"PUT /api/v1/admin/quotas/users/{id}", func(s *Server) adminFunc { return s.adminSetUserQuota }},
	{"PUT /api/v1/admin/quotas/groups/{id}", func(s *Server) adminFunc { return s.adminSetGroupQuota }},
	{"GET /api/v1/admin/models", func(s *Server) adminFunc { return s.adminModels }},
	{"PUT /api/v1/admin/models/{model}/groups", func(s *Server) adminFunc { return s.adminLimitModel }},
	// The audited export of a room (issue 17): web/api_admin_export.go.
	{"POST /api/v1/admin/rooms/{id}/export", func(s *Server) adminFunc { return s.adminExportRoom }},
}

// AdminRoutes lists the admin API's route patterns ("METHOD /path/{id}").
func AdminRoutes() []string {
	out := make([]string, len(adminRoutes))
	for i, rt := range adminRoutes {
		out[i] = rt.pattern
	}
	return out
}

// oauthMachineRoutes are the provider's endpoints that apps call from
// their own origin, exempt from the cross-origin form protection.
var oauthMachineRoutes = []string{
	"POST " + oidcop.AuthorizePath, "POST " + oidcop.TokenPath, "POST " + oidcop.UserinfoPath,
	"POST " + oidcop.RevokePath, "POST " + oidcop.IntrospectPath, "POST " + oidcop.EndSessionPath,
}
