// Package config loads torii's settings from flags, the environment and
// secret files (api.md §1), validates every one of them at load, and exposes
// them as a Config. A bad value is reported as one line naming the variable;
// nothing starts half-configured.
//
// Precedence is flag > environment > default. Secrets accept NAME_FILE, a
// path whose content is the value. Secret values are held in Secret and DSN,
// which never print their content.
package config

import (
	"errors"
	"flag"
	"fmt"
	"github.com/toriihq/torii/gemini"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/i18n"
)

// The log formats of TORII_LOG_FORMAT.
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// Defaults, used when neither a flag nor a variable gives a value.
const (
	// DefaultAddr is the listen address when neither TORII_ADDR nor PORT is set.
	DefaultAddr = ":8080"
	// DefaultBaseURL is the public URL for local use.
	DefaultBaseURL = "http://localhost:8080"
	// DefaultDatabase is a SQLite file in the working directory.
	DefaultDatabase = "torii.db"
	// DefaultOIDCIssuer is Google's issuer.
	DefaultOIDCIssuer = "https://accounts.google.com"
	// DefaultLanguage is the language of pages, errors and mail when
	// nothing else chooses one (issue 15).
	DefaultLanguage = i18n.English
	// DefaultSignup creates allowed users at their first sign-in.
	DefaultSignup = torii.SignupAuto
	// DefaultPasswordLogin enables email + password sign-in.
	DefaultPasswordLogin = true
	// DefaultSessionIdle is how long an unused session lives: 14 days.
	DefaultSessionIdle = 336 * time.Hour
	// DefaultSessionMax is the absolute lifetime of a session: 30 days.
	DefaultSessionMax = 720 * time.Hour
	// DefaultGeminiModel is the assistant's model: the gemini package's
	// own default, so the two cannot disagree.
	DefaultGeminiModel = gemini.DefaultModel
	// DefaultGeminiSystemPrompt is the assistant's built-in system instruction.
	DefaultGeminiSystemPrompt = "You are a helpful assistant taking part in a team chat. " +
		"Answer concisely and to the point. " +
		"Reply in the language of the message you answer. " +
		"Use Markdown sparingly: a short list or a code block only when it helps."
	// DefaultLogFormat is human-readable text; use json in production.
	DefaultLogFormat = LogFormatText
	// DefaultLogLevel is info.
	DefaultLogLevel = slog.LevelInfo
	// DefaultRateLoginAccount allows 10 failed sign-ins per account per 15 minutes.
	DefaultRateLoginAccount = "10/15m"
	// DefaultRateLoginIP allows 100 failed sign-ins per client IP per 15 minutes.
	DefaultRateLoginIP = "100/15m"
	// DefaultRateRegisterIP allows 30 registrations per client IP per hour.
	DefaultRateRegisterIP = "30/1h"
	// DefaultRateAssistantUser allows 20 assistant requests per user per minute.
	DefaultRateAssistantUser = "20/1m"
	// DefaultTrustProxyHeaders ignores X-Forwarded-For.
	DefaultTrustProxyHeaders = false
	// DefaultPasswordHashConcurrency 0 means runtime.NumCPU().
	DefaultPasswordHashConcurrency = 0
	// DefaultAuditRetention keeps audit events for 90 days.
	DefaultAuditRetention = 2160 * time.Hour
	// DefaultGroupName is the group every new user joins.
	DefaultGroupName = "everyone"
	// DefaultShutdownTimeout bounds the whole graceful shutdown: within
	// the 10 s that Cloud Run and `docker stop` give after SIGTERM.
	DefaultShutdownTimeout = 8 * time.Second
)

// Config is torii's validated configuration. Load fills every field; code
// and tests may also build one by hand. Fields are listed with their
// variable, flag and default; see Usage for the same in operator terms.
type Config struct {
	// Addr is the listen address, host:port (TORII_ADDR, --addr). Default
	// ":8080", or ":$PORT" when PORT is set (Cloud Run).
	Addr string
	// BaseURL is the public URL, scheme://host[:port] with no trailing slash,
	// no path, query or fragment, a lower-case host and no default port
	// (TORII_BASE_URL, --base-url). Default "http://localhost:8080". Redirect
	// URIs, the JWT issuer and the cookie flags derive from it.
	BaseURL string
	// Database is a SQLite file path or a postgres:// / postgresql:// URL
	// (TORII_DATABASE, --database, or TORII_DATABASE_FILE). Default
	// "torii.db". Its String hides a URL's password.
	Database DSN

	// GoogleClientID is the OAuth client id (TORII_GOOGLE_CLIENT_ID,
	// --google-client-id). Default empty: Google sign-in off.
	GoogleClientID string
	// GoogleClientSecret is the OAuth client secret, needed by the redirect
	// (code) flow only (TORII_GOOGLE_CLIENT_SECRET or _FILE). Default empty.
	GoogleClientSecret Secret
	// OIDCIssuer is the OpenID provider's issuer URL, found by discovery
	// (TORII_OIDC_ISSUER, --oidc-issuer). Default
	// "https://accounts.google.com". Kept exactly as given (a trailing slash
	// is significant for issuer matching); https unless the host is loopback.
	OIDCIssuer string
	// GoogleHostedDomain, when set, is the only accepted `hd` claim
	// (TORII_GOOGLE_HOSTED_DOMAIN, --google-hosted-domain). Lower-cased.
	// Default empty: any domain.
	GoogleHostedDomain string
	// Signup is auto, explicit or closed (TORII_SIGNUP, --signup). Default auto.
	Signup torii.SignupMode
	// DefaultLanguage is en or ja (TORII_DEFAULT_LANGUAGE,
	// --default-language). Default en.
	DefaultLanguage string
	// AllowedEmails are normalised "user@domain" and "@domain" entries, no
	// duplicates (TORII_ALLOWED_EMAILS, --allowed-emails: comma-separated or
	// a JSON array). Default empty: with an empty DB allowlist, everyone may
	// sign in.
	AllowedEmails []string
	// AdminEmails are normalised emails that get the admin role when they
	// sign in (TORII_ADMIN_EMAILS, --admin-emails; same syntax, emails
	// only). Default empty.
	AdminEmails []string
	// PasswordLogin enables email + password sign-in (TORII_PASSWORD_LOGIN,
	// --password-login). Default true; false = Google/OIDC only.
	PasswordLogin bool
	// SessionIdle is the idle lifetime of a session (TORII_SESSION_IDLE,
	// --session-idle). Default 336h; > 0 and ≤ SessionMax.
	SessionIdle time.Duration
	// SessionMax is the absolute lifetime of a session (TORII_SESSION_MAX,
	// --session-max). Default 720h; > 0.
	SessionMax time.Duration

	// GeminiAPIKey is the Gemini API key (TORII_GEMINI_API_KEY or _FILE,
	// else GEMINI_API_KEY, else GOOGLE_API_KEY). Default empty: with no
	// Vertex settings, the assistant is off.
	GeminiAPIKey Secret
	// GeminiModel is the model name (TORII_GEMINI_MODEL, --gemini-model).
	// Default "gemini-2.5-flash".
	GeminiModel string
	// GeminiBaseURL overrides the Gemini API endpoint, an absolute http(s)
	// URL kept as given (TORII_GEMINI_BASE_URL, --gemini-base-url). Default
	// empty: the SDK's endpoint.
	GeminiBaseURL string
	// GeminiSystemPrompt is the assistant's system instruction
	// (TORII_GEMINI_SYSTEM_PROMPT, --gemini-system-prompt). Default
	// DefaultGeminiSystemPrompt.
	GeminiSystemPrompt string
	// VertexAI selects the Vertex AI backend (GOOGLE_GENAI_USE_VERTEXAI,
	// environment only, as the genai SDK reads it). Default false.
	VertexAI bool
	// GoogleCloudProject is the Vertex AI project (GOOGLE_CLOUD_PROJECT,
	// environment only). Default empty.
	GoogleCloudProject string
	// GoogleCloudLocation is the Vertex AI location (GOOGLE_CLOUD_LOCATION,
	// environment only). Default empty: the SDK's default.
	GoogleCloudLocation string

	// ExtraTokenAudiences are the audiences, besides the base URL, that
	// POST /api/v1/auth/token?audience= may ask for (TORII_TOKEN_AUDIENCES,
	// --token-audiences, comma-separated). Default empty. Use
	// TokenAudiences for the full list.
	ExtraTokenAudiences []string

	// SMTPURL is the SMTP server mail is sent through (TORII_SMTP_URL,
	// --smtp-url, or TORII_SMTP_URL_FILE). Default empty: mail off. Its
	// String hides the password.
	SMTPURL SMTPURL
	// MailFrom is the sender of torii's mails, an address or "Name
	// <address>" (TORII_MAIL_FROM, --mail-from). Required when SMTPURL is
	// set.
	MailFrom string

	// LogFormat is "text" or "json" (TORII_LOG_FORMAT, --log-format).
	// Default "text".
	LogFormat string
	// LogLevel is the minimum level logged (TORII_LOG_LEVEL, --log-level:
	// debug, info, warn or error). Default info.
	LogLevel slog.Level

	// RateLoginAccount limits failed sign-ins per account
	// (TORII_RATE_LOGIN_ACCOUNT, --rate-login-account). Default 10/15m.
	RateLoginAccount Rate
	// RateLoginIP limits failed sign-ins per client IP (TORII_RATE_LOGIN_IP,
	// --rate-login-ip). Default 100/15m.
	RateLoginIP Rate
	// RateRegisterIP limits registrations per client IP
	// (TORII_RATE_REGISTER_IP, --rate-register-ip). Default 30/1h.
	RateRegisterIP Rate
	// RateAssistantUser limits assistant requests per user
	// (TORII_RATE_ASSISTANT_USER, --rate-assistant-user). Default 20/1m.
	RateAssistantUser Rate
	// TrustProxyHeaders takes the client IP from X-Forwarded-For instead of
	// the connection's address (TORII_TRUST_PROXY_HEADERS,
	// --trust-proxy-headers). Default false; set it on Cloud Run or behind
	// a reverse proxy, never when clients reach torii directly.
	TrustProxyHeaders bool
	// PasswordHashConcurrency bounds how many password hashes run at once
	// (TORII_PASSWORD_HASH_CONCURRENCY, --password-hash-concurrency).
	// Default 0, which Load resolves to runtime.NumCPU(); so after Load it
	// is ≥ 1.
	PasswordHashConcurrency int
	// AuditRetention is how long audit events are kept
	// (TORII_AUDIT_RETENTION, --audit-retention). Default 2160h (90 days);
	// 0 keeps them forever.
	AuditRetention time.Duration
	// DefaultGroup is the group every new user joins (TORII_DEFAULT_GROUP,
	// --default-group). Default "everyone".
	DefaultGroup string
	// ShutdownTimeout bounds the graceful shutdown on SIGTERM as a whole:
	// in-flight requests, event streams and assistant replies share it
	// (TORII_SHUTDOWN_TIMEOUT, --shutdown-timeout). Default 8s; > 0.
	ShutdownTimeout time.Duration

	// InputSettings: metrics listener and token, creation limits (input.go).
	InputSettings
	// Bounds are the limits on connections, requests and streams.
	Bounds
	// RecoverySettings: what account deletion does (recovery.go).
	RecoverySettings
	AssistantTeam
}

// Error is a configuration problem: one line naming the variable (and the
// flag, when a flag gave the value) and what is wrong. It never contains a
// secret value.
type Error struct {
	// Var is the variable the bad value came from, e.g. TORII_SESSION_IDLE,
	// TORII_DATABASE_FILE, GEMINI_API_KEY or PORT.
	Var string
	// Flag is the flag that gave the value, e.g. "--session-idle", or "".
	Flag string
	// Problem says what is wrong.
	Problem string
}

// Error returns "VAR: problem", or "VAR (flag --name): problem", on one line.
func (e *Error) Error() string {
	name := e.Var
	if e.Flag != "" {
		name += " (flag " + e.Flag + ")"
	}
	return oneLine(name + ": " + e.Problem)
}

// source is where a raw value came from, for error messages.
type source struct {
	name string // variable name
	flag string // "--flag" when a flag gave the value
}

func (s source) errorf(format string, args ...any) error {
	return &Error{Var: s.name, Flag: s.flag, Problem: fmt.Sprintf(format, args...)}
}

// Load reads the configuration of `torii serve`: args are the flags after
// the command, getenv and readFile read the environment and secret files
// (nil means os.Getenv and os.ReadFile). Precedence is flag > environment >
// default. It returns flag.ErrHelp for -h/--help, and otherwise the first
// problem found as an *Error (or a flag parsing error), one line each.
func Load(args []string, getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if readFile == nil {
		readFile = os.ReadFile
	}
	fs := flag.NewFlagSet("torii serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	l := &loader{getenv: getenv, readFile: readFile, flags: map[string]*flagValue{}, src: map[string]source{}}
	for _, v := range variables {
		if v.envOnly {
			continue
		}
		l.define(fs, v.flagName(), v.kind == kindBool)
		if v.kind == kindSecret {
			l.define(fs, v.flagName()+"-file", false)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		return nil, fmt.Errorf("torii serve: %w (see torii serve --help)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("torii serve: unexpected argument %q (see torii serve --help)", fs.Arg(0))
	}

	c := &Config{}
	for _, v := range variables {
		raw, src, err := l.lookup(v)
		if err != nil {
			return nil, err
		}
		l.src[v.env] = src
		if err := v.set(c, raw); err != nil {
			return nil, src.errorf("%s", err.Error())
		}
	}
	if c.SessionIdle > c.SessionMax {
		return nil, l.src[envSessionIdle].errorf("%s exceeds %s=%s; the idle lifetime cannot be longer than the absolute one",
			formatDuration(c.SessionIdle), envSessionMax, formatDuration(c.SessionMax))
	}
	if c.SMTPURL.IsSet() && c.MailFrom == "" {
		return nil, l.src[envMailFrom].errorf("is required when %s is set (the sender of torii's mails, e.g. torii@example.com)", envSMTPURL)
	}
	if c.PasswordHashConcurrency == 0 {
		c.PasswordHashConcurrency = runtime.NumCPU()
	}
	return c, nil
}

// SecureCookies reports whether cookies get the Secure attribute: the base
// URL is https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// SessionCookieName is "__Host-torii_session" when the base URL is https,
// else "torii_session" (browsers refuse __Host- cookies without Secure).
func (c *Config) SessionCookieName() string {
	if c.SecureCookies() {
		return "__Host-torii_session"
	}
	return "torii_session"
}

// GoogleRedirectURL is the OAuth redirect URI: BASE_URL/auth/google/callback.
func (c *Config) GoogleRedirectURL() string { return c.BaseURL + "/auth/google/callback" }

// GoogleEnabled reports whether Google (OIDC) sign-in is on: a client id is set.
func (c *Config) GoogleEnabled() bool { return c.GoogleClientID != "" }

// AssistantEnabled reports whether the Gemini assistant is on: an API key is
// set, or Vertex AI is selected with a project.
func (c *Config) AssistantEnabled() bool {
	return c.GeminiAPIKey.IsSet() || (c.VertexAI && c.GoogleCloudProject != "")
}

// DatabaseIsPostgres reports whether Database is a PostgreSQL URL (else a
// SQLite file path).
func (c *Config) DatabaseIsPostgres() bool { return c.Database.IsPostgres() }

// TokenAudiences lists the audiences a token may be minted for: the base URL
// first (always allowed, the default), then ExtraTokenAudiences.
func (c *Config) TokenAudiences() []string {
	out := []string{c.BaseURL}
	for _, a := range c.ExtraTokenAudiences {
		if a != c.BaseURL {
			out = append(out, a)
		}
	}
	return out
}

// Warnings lists settings that are valid but probably not what the operator
// meant, one line each, for logging at start-up.
func (c *Config) Warnings() []string {
	var w []string
	if !c.PasswordLogin && !c.GoogleEnabled() {
		w = append(w, "TORII_PASSWORD_LOGIN=false and TORII_GOOGLE_CLIENT_ID is empty: no one can sign in until a provider is configured")
	}
	if c.GoogleClientSecret.IsSet() && !c.GoogleEnabled() {
		w = append(w, "TORII_GOOGLE_CLIENT_SECRET is set but TORII_GOOGLE_CLIENT_ID is empty: Google sign-in is off")
	}
	if c.GoogleEnabled() && !c.GoogleClientSecret.IsSet() && c.OIDCIssuer != DefaultOIDCIssuer {
		w = append(w, "TORII_GOOGLE_CLIENT_SECRET is empty and TORII_OIDC_ISSUER is not Google: the redirect flow needs the secret and only Google offers the GIS button, so the pages show no sign-in button for this provider")
	}
	if c.GoogleHostedDomain != "" && !c.GoogleEnabled() {
		w = append(w, "TORII_GOOGLE_HOSTED_DOMAIN is set but TORII_GOOGLE_CLIENT_ID is empty: Google sign-in is off")
	}
	if c.MailFrom != "" && !c.SMTPURL.IsSet() {
		w = append(w, "TORII_MAIL_FROM is set but TORII_SMTP_URL is empty: mail is off")
	}
	if c.VertexAI && c.GoogleCloudProject == "" && !c.GeminiAPIKey.IsSet() {
		w = append(w, "GOOGLE_GENAI_USE_VERTEXAI is true but GOOGLE_CLOUD_PROJECT is empty: the assistant is off")
	}
	return w
}

// Redacted lists every setting for logging at start-up, keyed by variable
// name; secrets show as "[set]"/"[empty]", a database URL's password as
// "xxxxx".
func (c *Config) Redacted() []slog.Attr {
	d := formatDuration
	return append([]slog.Attr{
		slog.String(envAddr, c.Addr),
		slog.String("TORII_BASE_URL", c.BaseURL),
		slog.String("TORII_DATABASE", c.Database.String()),
		slog.String("TORII_GOOGLE_CLIENT_ID", c.GoogleClientID),
		slog.String("TORII_GOOGLE_CLIENT_SECRET", c.GoogleClientSecret.String()),
		slog.String("TORII_OIDC_ISSUER", c.OIDCIssuer),
		slog.String("TORII_GOOGLE_HOSTED_DOMAIN", c.GoogleHostedDomain),
		slog.String("TORII_SIGNUP", string(c.Signup)),
		slog.String("TORII_DEFAULT_LANGUAGE", c.DefaultLanguage),
		slog.String("TORII_ALLOWED_EMAILS", strings.Join(c.AllowedEmails, ",")),
		slog.String("TORII_ADMIN_EMAILS", strings.Join(c.AdminEmails, ",")),
		slog.Bool("TORII_PASSWORD_LOGIN", c.PasswordLogin),
		slog.String(envSessionIdle, d(c.SessionIdle)),
		slog.String(envSessionMax, d(c.SessionMax)),
		slog.String("TORII_GEMINI_API_KEY", c.GeminiAPIKey.String()),
		slog.String("TORII_GEMINI_MODEL", c.GeminiModel),
		slog.String("TORII_GEMINI_BASE_URL", c.GeminiBaseURL),
		slog.String("TORII_GEMINI_SYSTEM_PROMPT", c.GeminiSystemPrompt),
		slog.Bool("GOOGLE_GENAI_USE_VERTEXAI", c.VertexAI),
		slog.String("GOOGLE_CLOUD_PROJECT", c.GoogleCloudProject),
		slog.String("GOOGLE_CLOUD_LOCATION", c.GoogleCloudLocation),
		slog.String("TORII_TOKEN_AUDIENCES", strings.Join(c.ExtraTokenAudiences, ",")),
		slog.String(envSMTPURL, c.SMTPURL.String()),
		slog.String(envMailFrom, c.MailFrom),
		slog.String("TORII_LOG_FORMAT", c.LogFormat),
		slog.String("TORII_LOG_LEVEL", strings.ToLower(c.LogLevel.String())),
		slog.String("TORII_RATE_LOGIN_ACCOUNT", c.RateLoginAccount.String()),
		slog.String("TORII_RATE_LOGIN_IP", c.RateLoginIP.String()),
		slog.String("TORII_RATE_REGISTER_IP", c.RateRegisterIP.String()),
		slog.String("TORII_RATE_ASSISTANT_USER", c.RateAssistantUser.String()),
		slog.Bool("TORII_TRUST_PROXY_HEADERS", c.TrustProxyHeaders),
		slog.Int("TORII_PASSWORD_HASH_CONCURRENCY", c.PasswordHashConcurrency),
		slog.String("TORII_AUDIT_RETENTION", d(c.AuditRetention)),
		slog.String("TORII_DEFAULT_GROUP", c.DefaultGroup),
		slog.String("TORII_SHUTDOWN_TIMEOUT", d(c.ShutdownTimeout)),
	}, slices.Concat(c.inputRedacted(), c.boundsAttrs(), c.recoveryAttrs(), c.assistantTeamAttrs())...)
}

// LogValue logs the configuration as a group of Redacted settings. It has a
// value receiver so that both a Config and a *Config log this way.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.Redacted()...) }
