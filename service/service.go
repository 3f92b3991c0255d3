// Package service holds torii's business rules: who may register and sign
// in, how sessions live and die, what gets audited. The JSON API, the pages
// and the CLI all call it, so none of them can bypass a rule another enforces.
package service

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
	"github.com/toriihq/torii/password"
	"github.com/toriihq/torii/ratelimit"
)

// touchInterval bounds how often a session's last_activity is written: once
// a minute is precise enough for "last seen" and idle expiry, and keeps
// authenticated reads from turning into writes.
const touchInterval = time.Minute

// Options configures a Service. The zero value of every optional field is a
// safe default.
type Options struct {
	Store  torii.Store
	Hasher *password.Hasher
	// Now is the clock (default time.Now); tests inject their own.
	Now func() time.Time
	// Rand is the source of session tokens (default crypto/rand.Reader).
	Rand   io.Reader
	Logger *slog.Logger
	// RSAKey, if set, makes the RSA key of each new signing key instead of
	// rsa.GenerateKey: test servers hand out a key made in advance, as
	// making one costs about a second of CPU under -race.
	RSAKey func() (*rsa.PrivateKey, error)

	SessionIdle time.Duration // default 336h
	SessionMax  time.Duration // default 720h
	// Signup is torii.SignupAuto (default), SignupExplicit or SignupClosed.
	Signup torii.SignupMode
	// PasswordLogin enables the password endpoints.
	PasswordLogin bool
	// AllowedEmails are normalised `user@x.com` and `@x.com` entries from
	// the environment; empty means everyone may sign in.
	AllowedEmails []string
	// AdminEmails get the admin role when they sign in.
	AdminEmails []string
	// DefaultGroup is the group a new user joins as a member unless they
	// found their own company's group (TORII_DEFAULT_GROUP); empty: none.
	DefaultGroup string

	// Limits on attempts; nil disables a limit.
	LoginPerAccount *ratelimit.Limiter
	LoginPerIP      *ratelimit.Limiter
	RegisterPerIP   *ratelimit.Limiter
	AuditRetention  time.Duration

	// Issuer is the `iss` of the JWTs torii issues: the base URL. Bearer
	// tokens must name it as their audience to be accepted by the API.
	Issuer string
	// TokenAudiences are the audiences a token may be minted for, Issuer
	// first (config.TokenAudiences).
	TokenAudiences []string

	// Google is the OpenID provider; nil turns Google sign-in off (every
	// Google endpoint answers GOOGLE_NOT_CONFIGURED).
	Google GoogleProvider
	// GoogleClientID is told to the pages (GIS needs it).
	GoogleClientID string
	// GoogleCodeFlow enables the redirect (code) flow: a client secret is set.
	GoogleCodeFlow bool
	// GoogleStartPerIP limits code-flow starts, each of which stores a row.
	GoogleStartPerIP *ratelimit.Limiter

	// Broker carries chat events between instances (default: in-process,
	// one instance).
	Broker chat.Broker
	// Assistant is the model that answers in assistant rooms and to
	// @gemini; nil turns the assistant off (ASSISTANT_NOT_CONFIGURED).
	Assistant AssistantModel
	// AssistantPerUser limits assistant requests per user; nil disables.
	AssistantPerUser *ratelimit.Limiter
	// AssistantTeam: models offered, token quotas, reply leases
	// (assistant_team.go).
	AssistantTeam

	// Mailer sends the outbox's mail; nil turns mail off (an admin then
	// verifies addresses by hand).
	Mailer Mailer
	// VerifyMailPerUser limits "send the verification mail again" per
	// user; nil disables.
	VerifyMailPerUser *ratelimit.Limiter
	// CreationLimits bound rooms, groups and messages per user.
	CreationLimits
	// DefaultLanguage is TORII_DEFAULT_LANGUAGE: the language of pages,
	// errors and mail when nothing else chooses one (default en).
	DefaultLanguage string
	RecoveryOptions
}

// Service implements the rules. It is safe for concurrent use.
type Service struct {
	store  torii.Store
	hasher *password.Hasher
	now    func() time.Time
	rand   io.Reader
	log    *slog.Logger
	opts   Options
	cache  *principalCache
	keys   keyring
	fwd    forwardTokens
	broker chat.Broker
	// assistant tracks the replies in flight (assistant.go).
	assistant assistantRuns
	reads     readGroup
	lastReads lastReads
	views     messageViews // shared by the user streams (chat_views.go)
	tail      logTail      // the user streams' copy of the log's newest rows (chat_log_tail.go)
	groups    groupReads   // group members as the tail's readers last read them
	allow     allowlistCache
	outbox    outboxWake
	resetJobs resetJobs
	team      teamChat // presence and typing (chat_presence.go)
	beats     *heartbeatChecks
}

// New returns a Service for opts.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = 336 * time.Hour
	}
	if opts.SessionMax <= 0 {
		opts.SessionMax = 720 * time.Hour
	}
	if opts.Signup == "" {
		opts.Signup = torii.SignupAuto
	}
	if opts.Broker == nil {
		opts.Broker = chat.NewLocal()
	}
	if opts.Hasher == nil {
		opts.Hasher = password.New(password.DefaultParams, 0, opts.Rand)
	}
	s := &Service{
		store:  opts.Store,
		hasher: opts.Hasher,
		now:    opts.Now,
		rand:   opts.Rand,
		log:    opts.Logger,
		opts:   opts,
		broker: opts.Broker,
		cache:  newPrincipalCache(),
		beats:  newHeartbeatChecks(),
	}
	return s
}

// Meta describes the request behind an action, for sessions and the audit
// log.
type Meta struct {
	IP        string
	UserAgent string
	// PresentedToken is the session token the request arrived with, if
	// any. A sign-in revokes it, so the cookie a browser held before
	// signing in is dead afterwards (security.md F.31).
	PresentedToken string
	// Lang is the language of the request ("en", "ja"; web picks it from
	// ?lang, the cookie, Accept-Language), for the mails it causes until
	// the recipient saves a preference. It is the one carrier of the
	// request's language into the service.
	Lang string
}

// Config is what a client may know about how sign-in works here.
type Config struct {
	PasswordLogin bool
	Signup        torii.SignupMode
	// Google is nil when Google sign-in is off.
	Google *GoogleConfig
	// Mail is whether torii sends mail (verification links).
	Mail bool
}

// PublicConfig reports the sign-in settings the pages and /auth/config show.
func (s *Service) PublicConfig() Config {
	return Config{PasswordLogin: s.opts.PasswordLogin, Signup: s.opts.Signup, Google: s.googleConfig(), Mail: s.MailEnabled()}
}

func (s *Service) isBootstrapAdmin(email string) bool {
	return slices.Contains(s.opts.AdminEmails, torii.NormalizeEmail(email))
}

// audit appends an event; a failure to audit is logged, never fatal to the
// action it records (the action already happened).
func (s *Service) audit(ctx context.Context, event string, userID *int64, email string, m Meta, detail map[string]any) {
	_, err := s.store.AppendAudit(context.WithoutCancel(ctx), s.auditEvent(event, userID, email, m, detail))
	if err != nil {
		s.log.Error("audit append failed", "event", event, "err", err)
	}
}

// Prune deletes expired sessions, expired signing keys, expired group
// invitations and audit rows older than the retention.
// The server runs it periodically.
func (s *Service) Prune(ctx context.Context) error {
	now := s.now().UTC()
	if _, err := s.store.DeleteExpiredSessions(ctx, now.Add(-24*time.Hour)); err != nil {
		return err
	}
	if _, err := s.store.DeleteExpiredOAuthStates(ctx, now); err != nil {
		return err
	}
	if _, err := s.store.DeleteExpiredGroupInvitations(ctx, now); err != nil {
		return err
	}
	// Spent codes and refresh tokens stay an hour past their expiry, so
	// that a late replay is still recognised as one (and its grant revoked).
	if _, err := s.store.DeleteExpiredOAuth(ctx, now.Add(-time.Hour)); err != nil {
		return err
	}
	// Rotates a due signing key and deletes expired ones even when no
	// token is being issued.
	if _, err := s.signingKeys(ctx); err != nil {
		return err
	}
	if err := s.pruneRecovery(ctx, now); err != nil {
		return err
	}
	if err := s.pruneMail(ctx, now); err != nil {
		return err
	}
	if s.opts.AuditRetention > 0 {
		if _, err := s.store.PruneAudit(ctx, now.Add(-s.opts.AuditRetention)); err != nil {
			return err
		}
	}
	return nil
}

// Ping checks the store.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

func ptr[T any](v T) *T { return &v }
