package config

import (
	"errors"
	"flag"
	"io/fs"
	"strconv"
	"strings"
)

// Names used outside the table.
const (
	envAddr        = "TORII_ADDR"
	envPort        = "PORT"
	envSessionIdle = "TORII_SESSION_IDLE"
	envSessionMax  = "TORII_SESSION_MAX"
)

type kind int

const (
	kindString kind = iota
	kindBool        // a boolean flag: --name alone means true
	kindSecret      // also NAME_FILE and --name-file
)

// variable is one setting: its environment variable, the flag derived from
// it, its default and how to parse it into a Config.
type variable struct {
	env     string
	group   string // Usage section
	kind    kind
	envOnly bool     // no flag: read by other tools from the environment too
	def     string   // the default, in the variable's own syntax
	defDoc  string   // how Usage shows the default, when def alone would mislead
	alias   []string // read, in order, when env is not set
	help    string
	set     func(c *Config, raw string) error
}

// flagName derives the flag from the variable: TORII_BASE_URL → base-url.
func (v variable) flagName() string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(v.env, "TORII_"), "_", "-"))
}

// variables is every setting of `torii serve`, in the order of api.md §1
// followed by the settings it leaves to us. Load applies them in this order
// and reports the first problem.
var variables = []variable{
	{env: envAddr, group: "Server", def: DefaultAddr, defDoc: ":8080, or :$PORT when PORT is set (Cloud Run)",
		help: "listen address, host:port",
		set:  func(c *Config, s string) (err error) { c.Addr, err = parseAddr(s); return }},
	{env: "TORII_BASE_URL", group: "Server", def: DefaultBaseURL,
		help: "public URL, http(s)://host[:port] without a path; redirect URIs derive from it; https turns on Secure cookies and the __Host- prefix",
		set:  func(c *Config, s string) (err error) { c.BaseURL, err = parseBaseURL(s); return }},
	{env: "TORII_DATABASE", group: "Server", kind: kindSecret, def: DefaultDatabase,
		help: "a SQLite file path, or a postgres:// / postgresql:// URL (TORII_DATABASE_FILE is a file holding this value, not the SQLite file)",
		set:  func(c *Config, s string) (err error) { c.Database, err = parseDSN(s); return }},

	{env: "TORII_GOOGLE_CLIENT_ID", group: "Sign-in",
		help: "OAuth client id; empty = Google sign-in off",
		set:  func(c *Config, s string) (err error) { c.GoogleClientID, err = parseToken(s); return }},
	{env: "TORII_GOOGLE_CLIENT_SECRET", group: "Sign-in", kind: kindSecret,
		help: "OAuth client secret, needed for the redirect (code) flow; the button flow works without it",
		set:  func(c *Config, s string) (err error) { c.GoogleClientSecret, err = parseSecret(s); return }},
	{env: "TORII_OIDC_ISSUER", group: "Sign-in", def: DefaultOIDCIssuer,
		help: "OpenID provider issuer URL, found by discovery; https unless the host is loopback (torii dev-idp)",
		set:  func(c *Config, s string) (err error) { c.OIDCIssuer, err = parseIssuer(s); return }},
	{env: "TORII_GOOGLE_HOSTED_DOMAIN", group: "Sign-in",
		help: "when set (e.g. example.com), only ID tokens whose hd claim equals it are accepted",
		set:  func(c *Config, s string) (err error) { c.GoogleHostedDomain, err = parseHostedDomain(s); return }},
	{env: "TORII_SIGNUP", group: "Sign-in", def: string(DefaultSignup),
		help: "auto: allowed users are created at first sign-in; explicit: unknown users must register; closed: only users an admin created",
		set:  func(c *Config, s string) (err error) { c.Signup, err = parseSignup(s); return }},
	{env: "TORII_DEFAULT_LANGUAGE", group: "Sign-in", def: DefaultLanguage,
		help: "the pages' language (en or ja) when neither ?lang, the torii_lang cookie, the user's preference nor Accept-Language chooses one",
		set:  func(c *Config, s string) (err error) { c.DefaultLanguage, err = parseLanguage(s); return }},
	{env: "TORII_ALLOWED_EMAILS", group: "Sign-in",
		help: `emails and @domain entries, comma-separated or a JSON array; empty (and an empty DB allowlist) = everyone may sign in`,
		set:  func(c *Config, s string) (err error) { c.AllowedEmails, err = parseEmailList(s, true); return }},
	{env: "TORII_ADMIN_EMAILS", group: "Sign-in",
		help: "emails, comma-separated or a JSON array, that get the admin role when they sign in",
		set:  func(c *Config, s string) (err error) { c.AdminEmails, err = parseEmailList(s, false); return }},
	{env: "TORII_PASSWORD_LOGIN", group: "Sign-in", kind: kindBool, def: strconv.FormatBool(DefaultPasswordLogin),
		help: "email + password sign-in; false = Google/OIDC only",
		set:  func(c *Config, s string) (err error) { c.PasswordLogin, err = parseBool(s); return }},

	{env: envSessionIdle, group: "Sessions", def: formatDuration(DefaultSessionIdle),
		help: "idle lifetime of a session, at most TORII_SESSION_MAX",
		set: func(c *Config, s string) (err error) {
			c.SessionIdle, err = parseDuration(s, formatDuration(DefaultSessionIdle), false)
			return
		}},
	{env: envSessionMax, group: "Sessions", def: formatDuration(DefaultSessionMax),
		help: "absolute lifetime of a session",
		set: func(c *Config, s string) (err error) {
			c.SessionMax, err = parseDuration(s, formatDuration(DefaultSessionMax), false)
			return
		}},

	{env: "TORII_GEMINI_API_KEY", group: "Assistant", kind: kindSecret, alias: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"},
		defDoc: "empty; GEMINI_API_KEY, then GOOGLE_API_KEY, are read when unset",
		help:   "Gemini API key; empty and no Vertex AI settings = assistant off",
		set:    func(c *Config, s string) (err error) { c.GeminiAPIKey, err = parseSecret(s); return }},
	{env: "TORII_GEMINI_MODEL", group: "Assistant", def: DefaultGeminiModel,
		help: "model name",
		set:  func(c *Config, s string) (err error) { c.GeminiModel, err = parseToken(s); return }},
	{env: "TORII_GEMINI_BASE_URL", group: "Assistant",
		help: "override of the Gemini API endpoint (tests, proxies); empty = the SDK's",
		set:  func(c *Config, s string) (err error) { c.GeminiBaseURL, err = parseEndpoint(s); return }},
	{env: "TORII_GEMINI_SYSTEM_PROMPT", group: "Assistant", def: DefaultGeminiSystemPrompt,
		defDoc: "a built-in instruction: a helpful, concise team-chat assistant answering in the user's language",
		help:   "the assistant's system instruction",
		set:    func(c *Config, s string) error { c.GeminiSystemPrompt = s; return nil }},
	{env: "GOOGLE_GENAI_USE_VERTEXAI", group: "Assistant", kind: kindBool, envOnly: true, def: "false",
		help: "true = use Vertex AI (with GOOGLE_CLOUD_PROJECT) instead of an API key",
		set:  func(c *Config, s string) (err error) { c.VertexAI, err = parseBool(s); return }},
	{env: "GOOGLE_CLOUD_PROJECT", group: "Assistant", envOnly: true,
		help: "Vertex AI project",
		set:  func(c *Config, s string) (err error) { c.GoogleCloudProject, err = parseToken(s); return }},
	{env: "GOOGLE_CLOUD_LOCATION", group: "Assistant", envOnly: true,
		help: "Vertex AI location (e.g. us-central1); empty = the SDK's default",
		set:  func(c *Config, s string) (err error) { c.GoogleCloudLocation, err = parseToken(s); return }},

	{env: "TORII_TOKEN_AUDIENCES", group: "Tokens",
		help: "comma-separated audiences, besides the base URL, that POST /api/v1/auth/token?audience= may ask for",
		set:  func(c *Config, s string) (err error) { c.ExtraTokenAudiences, err = parseAudiences(s); return }},

	{env: envSMTPURL, group: "Mail", kind: kindSecret,
		help: "SMTP server for verification mails: smtp://user:pass@host:587 (STARTTLS, required unless the host is loopback) or smtps://user:pass@host:465 (TLS); empty = mail off",
		set:  func(c *Config, s string) (err error) { c.SMTPURL, err = parseSMTPURL(s); return }},
	{env: envMailFrom, group: "Mail",
		help: `sender of torii's mails, e.g. torii@example.com or "Torii <torii@example.com>"; required with TORII_SMTP_URL`,
		set:  func(c *Config, s string) (err error) { c.MailFrom, err = parseMailFrom(s); return }},

	{env: "TORII_LOG_FORMAT", group: "Logging", def: DefaultLogFormat,
		help: "text or json (json for production)",
		set:  func(c *Config, s string) (err error) { c.LogFormat, err = parseLogFormat(s); return }},
	{env: "TORII_LOG_LEVEL", group: "Logging", def: strings.ToLower(DefaultLogLevel.String()),
		help: "debug, info, warn or error",
		set:  func(c *Config, s string) (err error) { c.LogLevel, err = parseLogLevel(s); return }},

	{env: "TORII_RATE_LOGIN_ACCOUNT", group: "Limits", def: DefaultRateLoginAccount,
		help: "failed sign-ins per account, N/duration; 0/… or off disables",
		set:  func(c *Config, s string) (err error) { c.RateLoginAccount, err = parseRate(s); return }},
	{env: "TORII_RATE_LOGIN_IP", group: "Limits", def: DefaultRateLoginIP,
		help: "failed sign-ins per client IP, N/duration; 0/… or off disables",
		set:  func(c *Config, s string) (err error) { c.RateLoginIP, err = parseRate(s); return }},
	{env: "TORII_RATE_REGISTER_IP", group: "Limits", def: DefaultRateRegisterIP,
		help: "registrations per client IP, N/duration; 0/… or off disables",
		set:  func(c *Config, s string) (err error) { c.RateRegisterIP, err = parseRate(s); return }},
	{env: "TORII_RATE_ASSISTANT_USER", group: "Limits", def: DefaultRateAssistantUser,
		help: "assistant requests per user, N/duration; 0/… or off disables",
		set:  func(c *Config, s string) (err error) { c.RateAssistantUser, err = parseRate(s); return }},
	{env: "TORII_TRUST_PROXY_HEADERS", group: "Limits", kind: kindBool, def: strconv.FormatBool(DefaultTrustProxyHeaders),
		help: "take the client IP from X-Forwarded-For; set it on Cloud Run or behind a reverse proxy, never when clients connect directly",
		set:  func(c *Config, s string) (err error) { c.TrustProxyHeaders, err = parseBool(s); return }},
	{env: "TORII_PASSWORD_HASH_CONCURRENCY", group: "Limits", def: strconv.Itoa(DefaultPasswordHashConcurrency),
		defDoc: "0, meaning the number of CPUs",
		help:   "how many password hashes may run at once",
		set:    func(c *Config, s string) (err error) { c.PasswordHashConcurrency, err = parseCount(s); return }},

	{env: "TORII_AUDIT_RETENTION", group: "Operations", def: formatDuration(DefaultAuditRetention),
		defDoc: "2160h (90 days)",
		help:   "how long audit events are kept; 0 = forever",
		set: func(c *Config, s string) (err error) {
			c.AuditRetention, err = parseDuration(s, formatDuration(DefaultAuditRetention), true)
			return
		}},
	{env: "TORII_DEFAULT_GROUP", group: "Operations", def: DefaultGroupName,
		help: "the group every new user joins",
		set:  func(c *Config, s string) (err error) { c.DefaultGroup, err = parseGroupName(s); return }},
	{env: "TORII_SHUTDOWN_TIMEOUT", group: "Operations", def: formatDuration(DefaultShutdownTimeout),
		help: "how long a graceful shutdown (SIGTERM) may take before connections are cut",
		set: func(c *Config, s string) (err error) {
			c.ShutdownTimeout, err = parseDuration(s, formatDuration(DefaultShutdownTimeout), false)
			return
		}},
}

// flagValue records a flag's raw value and whether it was given, so that an
// unset flag falls back to the environment.
type flagValue struct {
	value   string
	set     bool
	boolean bool
}

func (f *flagValue) String() string   { return f.value }
func (f *flagValue) IsBoolFlag() bool { return f.boolean }
func (f *flagValue) Set(s string) error {
	f.value, f.set = s, true
	return nil
}

type loader struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	flags    map[string]*flagValue // by flag name
	src      map[string]source     // by variable, once looked up
}

func (l *loader) define(fs *flag.FlagSet, name string, boolean bool) {
	fv := &flagValue{boolean: boolean}
	l.flags[name] = fv
	fs.Var(fv, name, "")
}

func (l *loader) env(name string) string { return strings.TrimSpace(l.getenv(name)) }

// lookup finds the raw value of v: its flag (or --name-file), else its
// variable (or NAME_FILE, or an alias), else its default. Values are
// trimmed; an empty one counts as unset, and an explicitly empty flag means
// the default.
func (l *loader) lookup(v variable) (string, source, error) {
	if !v.envOnly {
		name := v.flagName()
		flagSrc := source{name: v.env, flag: "--" + name}
		fv := l.flags[name]
		if v.kind == kindSecret {
			ff := l.flags[name+"-file"]
			fileSrc := source{name: v.env + "_FILE", flag: "--" + name + "-file"}
			switch {
			case fv.set && ff.set:
				return "", flagSrc, flagSrc.errorf("set either --%s or --%s-file, not both", name, name)
			case ff.set:
				return l.readSecretFile(fileSrc, ff.value)
			}
		}
		if fv.set {
			if s := strings.TrimSpace(fv.value); s != "" {
				return s, flagSrc, nil
			}
			return l.defaultValue(v)
		}
	}
	src := source{name: v.env}
	if v.kind == kindSecret {
		file := l.env(v.env + "_FILE")
		if file != "" && l.env(v.env) != "" {
			return "", src, src.errorf("set either %s or %s_FILE, not both", v.env, v.env)
		}
		if file != "" {
			return l.readSecretFile(source{name: v.env + "_FILE"}, file)
		}
	}
	if s := l.env(v.env); s != "" {
		return s, src, nil
	}
	for _, a := range v.alias {
		if s := l.env(a); s != "" {
			return s, source{name: a}, nil
		}
	}
	return l.defaultValue(v)
}

// defaultValue is v's default; for TORII_ADDR it is ":$PORT" when PORT is set.
func (l *loader) defaultValue(v variable) (string, source, error) {
	if v.env == envAddr {
		if p := l.env(envPort); p != "" {
			src := source{name: envPort}
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return "", src, src.errorf("invalid port %s (want a number from 1 to 65535, e.g. 8080)", quote(p))
			}
			return ":" + p, src, nil
		}
	}
	return v.def, source{name: v.env}, nil
}

// readSecretFile reads a NAME_FILE: its content, trimmed, is the value.
func (l *loader) readSecretFile(src source, path string) (string, source, error) {
	path = strings.TrimSpace(path)
	if path == "" {
		return "", src, src.errorf("empty file path")
	}
	b, err := l.readFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", src, src.errorf("cannot read %s: %v", quote(path), err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", src, src.errorf("file %s is empty", quote(path))
	}
	return s, src, nil
}
