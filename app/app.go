// Package app assembles torii from its parts: configuration, store,
// service and HTTP server. `torii serve`, the end-to-end tests and the load
// tool all start torii through it, so they exercise the real start-up.
package app

import (
	"cmp"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toriihq/torii/chat"
	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/mail"
	"github.com/toriihq/torii/oidc"
	"github.com/toriihq/torii/password"
	"github.com/toriihq/torii/ratelimit"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/web"
)

// pruneInterval is how often expired sessions and old audit rows are
// deleted in the background.
const pruneInterval = time.Hour

// accessWatchInterval is how often, on SQLite, the audit log is read for
// access changes made by another process (the CLI): within a second, as
// changes made through the server itself.
const accessWatchInterval = time.Second

// App is a running torii: the parts, wired.
type App struct {
	Config  *config.Config
	Store   *sqlstore.Store
	Service *service.Service
	Web     *web.Server
	Log     *slog.Logger

	afterPrune func(error)
	// accessWatch is how often the audit log is read for access changes
	// made by another process (SQLite).
	accessWatch time.Duration
	// metricsLn is the metrics listener, once ListenMetrics bound it.
	metricsLn net.Listener
}

// Options are the seams tests use; the zero value is production.
type Options struct {
	// Now replaces the clock.
	Now func() time.Time
	// Hasher replaces the password hasher (tests use cheaper parameters).
	Hasher *password.Hasher
	// ChatHeartbeat replaces the event streams' 15 s heartbeat, and
	// StreamWriteTimeout their 10 s write timeout (tests shorten them).
	ChatHeartbeat      time.Duration
	StreamWriteTimeout time.Duration
	// AfterPrune, if set, is called after each background prune (expired
	// sessions, old audit events) with its error, so tests can wait for
	// one instead of sleeping.
	AfterPrune func(error)
	// Broker replaces the chat broker. By default New opens the store's
	// (sqlstore.Store.Broker): in-process on SQLite, LISTEN/NOTIFY on
	// PostgreSQL, so that several instances share live chat and access
	// events. The CLI passes the store's too, so that a change it makes
	// reaches the running servers' streams.
	Broker chat.Broker
	// MailTLSConfig replaces the TLS settings of the SMTP connection (tests
	// trust their server's self-signed certificate with it).
	MailTLSConfig *tls.Config
	// RSAKey replaces the making of signing keys' RSA keys (test servers
	// share one made in advance; see service.Options.RSAKey).
	RSAKey func() (*rsa.PrivateKey, error)
	// CheckpointInterval replaces SQLite's background WAL checkpoint
	// interval (200 ms, sqlstore), and AccessWatchInterval the audit log
	// watch's (accessWatchInterval, SQLite). Test servers lengthen both:
	// a test binary runs hundreds of servers, and their idle loops were a
	// third of the browser tests' own CPU. Tests of the watch set theirs.
	CheckpointInterval  time.Duration
	AccessWatchInterval time.Duration
}

// NewLogger returns the logger the configuration asks for.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	hopts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, hopts))
	}
	return slog.New(slog.NewTextHandler(w, hopts))
}

// OpenStore opens and migrates the configured database.
func OpenStore(ctx context.Context, cfg *config.Config, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	st, err := sqlstore.Open(ctx, cfg.Database.Reveal(), opts...)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.Database, err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database %s: %w", cfg.Database, err)
	}
	return st, nil
}

// New opens the database, applies migrations and builds the service and
// HTTP server.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) (*App, error) {
	st, err := OpenStore(ctx, cfg, sqlstore.WithCheckpointInterval(opts.CheckpointInterval))
	if err != nil {
		return nil, err
	}
	var google *oidc.Client
	if cfg.GoogleEnabled() {
		google = newGoogle(cfg, log, opts)
		// Discovery runs in the background, retried until it succeeds;
		// until then the Google endpoints answer 503 and the first
		// request waits for the attempt under way.
		go google.Run(ctx)
	}
	assistant, err := newAssistant(ctx, cfg, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	if opts.Broker == nil {
		if opts.Broker, err = st.Broker(ctx, log); err != nil {
			st.Close()
			return nil, err
		}
	}
	closeAll := func() { opts.Broker.Close(); st.Close() }
	mailer, err := newMailer(cfg, opts)
	if err != nil {
		closeAll()
		return nil, err
	}
	svc := newService(cfg, st, log, opts, google, assistant, mailer)
	// The first start makes the first signing key, so the JWKS is never
	// empty; a restart after a long stop rotates a due one.
	if err := svc.EnsureSigningKeys(ctx); err != nil {
		closeAll()
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if hint, err := svc.AdminHint(ctx); err != nil {
		log.Warn("could not check for an admin", "err", err)
	} else if hint != "" {
		log.Warn(hint)
		logSetupLink(ctx, cfg, log, svc)
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		closeAll()
		return nil, err
	}
	w, err := web.New(web.Options{
		Service:            svc,
		Logger:             log,
		BaseURL:            base,
		CookieName:         cfg.SessionCookieName(),
		SecureCookies:      cfg.SecureCookies(),
		SessionMax:         cfg.SessionMax,
		TrustProxyHeaders:  cfg.TrustProxyHeaders,
		Heartbeat:          opts.ChatHeartbeat,
		StreamWriteTimeout: cmp.Or(opts.StreamWriteTimeout, cfg.StreamWriteTimeout),
		Registry:           prometheus.NewRegistry(),
		MetricsToken:       cfg.MetricsToken.Reveal(),
		Limits:             webLimits(cfg),
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	return &App{Config: cfg, Store: st, Service: svc, Web: w, Log: log, afterPrune: opts.AfterPrune,
		accessWatch: cmp.Or(opts.AccessWatchInterval, accessWatchInterval)}, nil
}

// NewService builds the service for cfg over st; the CLI uses it without
// the HTTP server (and without Google sign-in).
func NewService(cfg *config.Config, st *sqlstore.Store, log *slog.Logger, opts Options) *service.Service {
	// No mailer: the CLI queues no mail (the servers' outbox senders
	// deliver whatever is queued).
	return newService(cfg, st, log, opts, nil, nil, nil)
}

// newMailer returns the SMTP sender for cfg, or nil when mail is off.
func newMailer(cfg *config.Config, opts Options) (*mail.Sender, error) {
	if !cfg.MailEnabled() {
		return nil, nil
	}
	srv, err := cfg.SMTPURL.Server()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", "TORII_SMTP_URL", err)
	}
	return mail.New(mail.Options{Server: srv, From: cfg.MailFrom, TLSConfig: opts.MailTLSConfig})
}

// verifyMailRate bounds "send the verification mail again" per user.
var verifyMailRate = config.Rate{Limit: 3, Window: 10 * time.Minute}

// newGoogle returns the OpenID provider client for cfg (Google, or the
// provider TORII_OIDC_ISSUER names). It does not contact the provider
// until Run.
func newGoogle(cfg *config.Config, log *slog.Logger, opts Options) *oidc.Client {
	return oidc.New(oidc.Config{
		Issuer:       cfg.OIDCIssuer,
		ClientID:     cfg.GoogleClientID,
		ClientSecret: cfg.GoogleClientSecret.Reveal(),
		RedirectURL:  cfg.GoogleRedirectURL(),
		HostedDomain: cfg.GoogleHostedDomain,
		Now:          opts.Now,
		Logger:       log,
	})
}

// googleStartRate bounds code-flow starts per client IP: each stores a
// row until it expires, so an unbounded GET must not grow the table.
var googleStartRate = config.Rate{Limit: 60, Window: time.Minute}

func newService(cfg *config.Config, st *sqlstore.Store, log *slog.Logger, opts Options, google *oidc.Client, assistant service.AssistantModel, mailer *mail.Sender) *service.Service {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	hasher := opts.Hasher
	if hasher == nil {
		hasher = password.New(password.DefaultParams, cfg.PasswordHashConcurrency, nil)
	}
	so := service.Options{
		Store:           st,
		Broker:          opts.Broker,
		Hasher:          hasher,
		Now:             now,
		Logger:          log,
		SessionIdle:     cfg.SessionIdle,
		SessionMax:      cfg.SessionMax,
		Signup:          cfg.Signup,
		DefaultLanguage: cfg.DefaultLanguage,
		PasswordLogin:   cfg.PasswordLogin,
		AllowedEmails:   cfg.AllowedEmails,
		AdminEmails:     cfg.AdminEmails,
		DefaultGroup:    cfg.DefaultGroup,
		LoginPerAccount: limiter(cfg.RateLoginAccount, now),
		LoginPerIP:      limiter(cfg.RateLoginIP, now),
		RegisterPerIP:   limiter(cfg.RateRegisterIP, now),
		AuditRetention:  cfg.AuditRetention,
		Issuer:          cfg.BaseURL,
		TokenAudiences:  cfg.TokenAudiences(),
		CreationLimits: service.CreationLimits{
			RoomsPerUser:    limiter(cfg.RateRoomsUser, now),
			GroupsPerUser:   limiter(cfg.RateGroupsUser, now),
			MessagesPerUser: limiter(cfg.RateMessagesUser, now),
		},
	}
	so.RecoveryOptions = recoveryOptions(cfg, now)
	if google != nil {
		so.Google, so.GoogleClientID = google, cfg.GoogleClientID
		so.GoogleCodeFlow = cfg.GoogleClientSecret.IsSet()
		so.GoogleStartPerIP = limiter(googleStartRate, now)
	}
	if assistant != nil {
		so.Assistant, so.AssistantPerUser = assistant, limiter(cfg.RateAssistantUser, now)
		so.AssistantTeam = service.AssistantTeam{Models: cfg.Models(), QuotaDaily: cfg.AssistantQuotaDaily,
			QuotaMonthly: cfg.AssistantQuotaMonthly, Lease: cfg.AssistantLease}
	}
	if mailer != nil {
		so.Mailer, so.VerifyMailPerUser = mailer, limiter(verifyMailRate, now)
	}
	so.RSAKey = opts.RSAKey
	return service.New(so)
}

func limiter(r config.Rate, now func() time.Time) *ratelimit.Limiter {
	if !r.Enabled() {
		return nil
	}
	return ratelimit.New(r.Limit, r.Window, now)
}

// Serve answers HTTP on ln until ctx is cancelled, then shuts down
// gracefully within the configured timeout (shutdown.go) and returns.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if n := a.Config.ConnsPerIP(); n > 0 {
		ln = web.LimitConnsPerIP(ln, n, a.Log)
	}
	srv := &http.Server{
		Handler:           a.Web,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go a.pruneLoop(ctx)
	if a.Service.AssistantEnabled() {
		// Replies abandoned by a crashed instance are failed by any other.
		go a.Service.RunAssistantSweeper(ctx)
	}
	// The outbox sender stops with ctx: a send under way is cut and the
	// mail released for the next round (shutdown waits for that, within
	// its deadline).
	octx, ocancel := context.WithCancel(ctx)
	outboxDone := make(chan struct{})
	go func() { defer close(outboxDone); a.Service.RunOutbox(octx, 0) }()
	background := func(deadline context.Context) {
		ocancel()
		a.waitBackground(deadline, outboxDone)
	}
	mctx, mcancel := context.WithCancel(ctx)
	defer mcancel()
	go a.serveMetrics(mctx)
	if a.Store.Dialect() == "sqlite" {
		go a.Service.WatchAccessLog(ctx, a.accessWatch)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		// The server failed: stop the background work within the same
		// bound as a shutdown.
		_ = srv.Close()
		dctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
		defer cancel()
		background(dctx)
		return err
	case <-ctx.Done():
	}
	return a.shutdown(srv, errc, background)
}

func (a *App) pruneLoop(ctx context.Context) {
	t := time.NewTicker(pruneInterval)
	defer t.Stop()
	for {
		err := a.Service.Prune(ctx)
		if err != nil && ctx.Err() == nil {
			a.Log.Warn("prune failed", "err", err)
		}
		if a.afterPrune != nil {
			a.afterPrune(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close releases the chat broker and the database.
func (a *App) Close() error {
	a.Service.Broker().Close()
	return a.Store.Close()
}
