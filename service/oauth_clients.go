package service

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/toriihq/torii"
)

// The apps that sign their users in with torii (issue 16). Only an admin
// (or the CLI) registers, changes or removes one; the API, the /admin page
// and `torii client …` all call these methods.

// Client limits: bounded input (security.md H.41).
const (
	maxClientURIs   = 10
	maxClientURI    = 2000
	maxClientGroups = 20
	clientIDBytes   = 16
	clientSecretLen = 32
)

// ClientInput is what an admin gives to register a client.
type ClientInput struct {
	Name           string
	RedirectURIs   []string
	PostLogoutURIs []string
	// Public clients (single-page and native apps) get no secret and must
	// use PKCE.
	Public bool
	// Trusted clients skip the consent page.
	Trusted bool
	// Groups are group names; the client is then limited to their members.
	Groups []string
}

// ClientPatch changes a client; nil fields are left as they are. Whether a
// client is public cannot change (a new client is registered instead).
type ClientPatch struct {
	Name           *string
	RedirectURIs   *[]string
	PostLogoutURIs *[]string
	Trusted        *bool
	Groups         *[]string
}

// ClientView is a client with the names of the groups it is limited to
// (a deleted group shows as its id, "#12").
type ClientView struct {
	torii.OAuthClient
	GroupNames []string
}

// ClientCredentials is the answer to registering a client or rotating its
// secret: the only moment the secret is known ("" for public clients).
type ClientCredentials struct {
	Client ClientView
	Secret string
}

// errClientPublicSecret refuses to rotate a secret a client does not have.
var errClientPublicSecret = torii.Invalid(map[string]string{"public": "a public client has no secret"})

// CreateClient registers a client and returns its id and, for a
// confidential client, its secret, which is shown this once: only its hash
// is stored. Audited as client.add. Errors: FORBIDDEN, VALIDATION_ERROR.
func (s *Service) CreateClient(ctx context.Context, in ClientInput, by Actor) (ClientCredentials, error) {
	if err := needAdmin(by); err != nil {
		return ClientCredentials{}, err
	}
	f := fieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	f.checkName(in.Name)
	redirects := checkClientURIs(f, "redirectUris", in.RedirectURIs, true)
	logouts := checkClientURIs(f, "postLogoutUris", in.PostLogoutURIs, false)
	groups := s.clientGroups(ctx, f, in.Groups)
	if err := f.err(); err != nil {
		return ClientCredentials{}, err
	}
	id, err := s.randomHex(clientIDBytes)
	if err != nil {
		return ClientCredentials{}, err
	}
	c := torii.OAuthClient{ID: id, Name: in.Name, RedirectURIs: redirects, PostLogoutURIs: logouts,
		Public: in.Public, Trusted: in.Trusted, GroupIDs: groups, CreatedBy: by.UserID, CreatedAt: s.now().UTC()}
	var secret string
	if !in.Public {
		if secret, err = s.randomString(clientSecretLen); err != nil {
			return ClientCredentials{}, err
		}
		c.SecretHash = SessionID(secret)
	}
	if c, err = s.store.CreateOAuthClient(ctx, c); err != nil {
		return ClientCredentials{}, err
	}
	s.audit(ctx, torii.AuditClientAdd, by.UserID, by.Email, by.Meta, map[string]any{"clientId": c.ID, "name": c.Name})
	v, err := s.clientView(ctx, c)
	return ClientCredentials{Client: v, Secret: secret}, err
}

// Clients lists every client, oldest first. Errors: FORBIDDEN.
func (s *Service) Clients(ctx context.Context, by Actor) ([]ClientView, error) {
	if err := needAdmin(by); err != nil {
		return nil, err
	}
	list, err := s.store.ListOAuthClients(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ClientView, 0, len(list))
	for _, c := range list {
		v, err := s.clientView(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Client returns one client. Errors: FORBIDDEN, NOT_FOUND.
func (s *Service) Client(ctx context.Context, id string, by Actor) (ClientView, error) {
	if err := needAdmin(by); err != nil {
		return ClientView{}, err
	}
	c, err := s.store.OAuthClientByID(ctx, id)
	if err != nil {
		return ClientView{}, err
	}
	return s.clientView(ctx, c)
}

// UpdateClient applies p. Narrowing a client's groups revokes the tokens of
// users who are no longer admitted. Audited as client.update. Errors:
// FORBIDDEN, NOT_FOUND, VALIDATION_ERROR.
func (s *Service) UpdateClient(ctx context.Context, id string, p ClientPatch, by Actor) (ClientView, error) {
	if err := needAdmin(by); err != nil {
		return ClientView{}, err
	}
	f := fieldErrors{}
	var name string
	if p.Name != nil {
		name = strings.TrimSpace(*p.Name)
		f.checkName(name)
	}
	var redirects, logouts []string
	if p.RedirectURIs != nil {
		redirects = checkClientURIs(f, "redirectUris", *p.RedirectURIs, true)
	}
	if p.PostLogoutURIs != nil {
		logouts = checkClientURIs(f, "postLogoutUris", *p.PostLogoutURIs, false)
	}
	var groups []int64
	if p.Groups != nil {
		groups = s.clientGroups(ctx, f, *p.Groups)
	}
	if err := f.err(); err != nil {
		return ClientView{}, err
	}
	var changed []string
	c, err := s.store.UpdateOAuthClient(ctx, id, func(c *torii.OAuthClient) error {
		if p.Name != nil {
			c.Name, changed = name, append(changed, "name")
		}
		if p.RedirectURIs != nil {
			c.RedirectURIs, changed = redirects, append(changed, "redirectUris")
		}
		if p.PostLogoutURIs != nil {
			c.PostLogoutURIs, changed = logouts, append(changed, "postLogoutUris")
		}
		if p.Trusted != nil {
			c.Trusted, changed = *p.Trusted, append(changed, "trusted")
		}
		if p.Groups != nil {
			c.GroupIDs, changed = groups, append(changed, "groups")
		}
		c.UpdatedAt = s.now().UTC()
		return nil
	})
	if err != nil {
		return ClientView{}, err
	}
	s.audit(ctx, torii.AuditClientUpdate, by.UserID, by.Email, by.Meta, map[string]any{"clientId": c.ID, "fields": changed})
	if p.Groups != nil {
		s.recheckClientUsers(ctx, c)
	}
	return s.clientView(ctx, c)
}

// DeleteClient removes a client with its consents and every token issued
// to it. Audited as client.remove. Errors: FORBIDDEN, NOT_FOUND.
func (s *Service) DeleteClient(ctx context.Context, id string, by Actor) error {
	if err := needAdmin(by); err != nil {
		return err
	}
	c, err := s.store.OAuthClientByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteOAuthClient(ctx, id); err != nil {
		return err
	}
	s.audit(ctx, torii.AuditClientRemove, by.UserID, by.Email, by.Meta, map[string]any{"clientId": c.ID, "name": c.Name})
	return nil
}

// RotateClientSecret gives a confidential client a new secret (returned
// this once); the old one stops working at once. Audited as client.update.
// Errors: FORBIDDEN, NOT_FOUND, VALIDATION_ERROR (a public client).
func (s *Service) RotateClientSecret(ctx context.Context, id string, by Actor) (ClientCredentials, error) {
	if err := needAdmin(by); err != nil {
		return ClientCredentials{}, err
	}
	secret, err := s.randomString(clientSecretLen)
	if err != nil {
		return ClientCredentials{}, err
	}
	c, err := s.store.UpdateOAuthClient(ctx, id, func(c *torii.OAuthClient) error {
		if c.Public {
			return errClientPublicSecret
		}
		c.SecretHash, c.UpdatedAt = SessionID(secret), s.now().UTC()
		return nil
	})
	if err != nil {
		return ClientCredentials{}, err
	}
	s.audit(ctx, torii.AuditClientUpdate, by.UserID, by.Email, by.Meta, map[string]any{"clientId": c.ID, "fields": []string{"secret"}})
	v, err := s.clientView(ctx, c)
	return ClientCredentials{Client: v, Secret: secret}, err
}

// CheckClientSecret reports whether secret is the client's (in constant
// time); a public client has no secret to match.
func CheckClientSecret(c torii.OAuthClient, secret string) bool {
	if c.Public || c.SecretHash == "" || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(SessionID(secret)), []byte(c.SecretHash)) == 1
}

func (s *Service) clientView(ctx context.Context, c torii.OAuthClient) (ClientView, error) {
	v := ClientView{OAuthClient: c, GroupNames: make([]string, 0, len(c.GroupIDs))}
	for _, id := range c.GroupIDs {
		g, err := s.store.GroupByID(ctx, id)
		switch {
		case err == nil:
			v.GroupNames = append(v.GroupNames, g.Name)
		case torii.IsCode(err, torii.ENotFound):
			v.GroupNames = append(v.GroupNames, fmt.Sprintf("#%d", id))
		default:
			return ClientView{}, err
		}
	}
	return v, nil
}

// clientGroups resolves group names to ids (fields.groups names an unknown
// one).
func (s *Service) clientGroups(ctx context.Context, f fieldErrors, names []string) []int64 {
	if len(names) > maxClientGroups {
		f["groups"] = fmt.Sprintf("at most %d groups", maxClientGroups)
		return nil
	}
	ids := []int64{}
	for _, n := range names {
		g, err := s.store.GroupByName(ctx, strings.TrimSpace(n))
		if err != nil {
			f["groups"] = fmt.Sprintf("no group is named %q", n)
			return nil
		}
		if !slices.Contains(ids, g.ID) {
			ids = append(ids, g.ID)
		}
	}
	return ids
}

// checkClientURIs validates redirect or post-logout URIs: absolute, no
// fragment, https, or http only for a loopback host (RFC 8252 §7.3 and
// OAuth 2.0 Security BCP §4.1: matched exactly, so no wildcards either).
func checkClientURIs(f fieldErrors, field string, uris []string, required bool) []string {
	out := []string{}
	switch {
	case required && len(uris) == 0:
		f[field] = "at least one is required"
		return nil
	case len(uris) > maxClientURIs:
		f[field] = fmt.Sprintf("at most %d", maxClientURIs)
		return nil
	}
	for _, raw := range uris {
		raw = strings.TrimSpace(raw)
		if msg := clientURIProblem(raw); msg != "" {
			f[field] = fmt.Sprintf("%q %s", raw, msg)
			return nil
		}
		if !slices.Contains(out, raw) {
			out = append(out, raw)
		}
	}
	return out
}

func clientURIProblem(raw string) string {
	if raw == "" || len(raw) > maxClientURI {
		return "must be a URL of at most 2000 characters"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return "is not an absolute URL"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment"
	case u.User != nil:
		return "must not carry a user name or password"
	case strings.ContainsAny(u.Host, "*"):
		return "must not contain wildcards"
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return ""
	case u.Scheme == "http":
		return "may use http only on a loopback host (localhost, 127.0.0.1, [::1])"
	}
	return "must use https"
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// randomString returns n random bytes, base64url-encoded.
func (s *Service) randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// randomHex returns n random bytes in hex: client ids, which never start
// with "-" (a CLI argument) and need no escaping anywhere.
func (s *Service) randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}
