package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// files is a fake file system for NAME_FILE; a missing file fails like
// os.ReadFile.
type files map[string]string

func (f files) read(p string) ([]byte, error) {
	s, ok := f[p]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

func load(e env, f files, args ...string) (*Config, error) {
	return Load(args, e.get, f.read)
}

func mustLoad(t *testing.T, e env, f files, args ...string) *Config {
	t.Helper()
	c, err := load(e, f, args...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoad_DefaultsWithEmptyEnvironment(t *testing.T) {
	got := mustLoad(t, nil, nil)
	want := &Config{
		Addr:                    DefaultAddr,
		BaseURL:                 DefaultBaseURL,
		Database:                newDSN(DefaultDatabase),
		OIDCIssuer:              DefaultOIDCIssuer,
		Signup:                  DefaultSignup,
		DefaultLanguage:         DefaultLanguage,
		PasswordLogin:           DefaultPasswordLogin,
		SessionIdle:             DefaultSessionIdle,
		SessionMax:              DefaultSessionMax,
		GeminiModel:             DefaultGeminiModel,
		GeminiSystemPrompt:      DefaultGeminiSystemPrompt,
		LogFormat:               DefaultLogFormat,
		LogLevel:                DefaultLogLevel,
		RateLoginAccount:        Rate{10, 15 * time.Minute},
		RateLoginIP:             Rate{100, 15 * time.Minute},
		RateRegisterIP:          Rate{30, time.Hour},
		RateAssistantUser:       Rate{20, time.Minute},
		TrustProxyHeaders:       DefaultTrustProxyHeaders,
		PasswordHashConcurrency: runtime.NumCPU(),
		AuditRetention:          DefaultAuditRetention,
		DefaultGroup:            DefaultGroupName,
		ShutdownTimeout:         DefaultShutdownTimeout,
		InputSettings: InputSettings{MetricsAddr: DefaultMetricsAddr, RateRoomsUser: Rate{30, time.Hour},
			RateGroupsUser: Rate{10, time.Hour}, RateMessagesUser: Rate{60, 10 * time.Second}},
		AssistantTeam: AssistantTeam{AssistantLease: DefaultAssistantLease},
		Bounds: Bounds{
			MaxConnsPerIP:      connsPerIPAuto,
			MaxStreamsPerUser:  DefaultMaxStreamsPerUser,
			BodyTimeout:        DefaultBodyTimeout,
			RequestTimeout:     DefaultRequestTimeout,
			StreamLifetime:     DefaultStreamLifetime,
			StreamWriteTimeout: DefaultStreamWriteTimeout,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"SecureCookies", got.SecureCookies(), false},
		{"SessionCookieName", got.SessionCookieName(), "torii_session"},
		{"GoogleRedirectURL", got.GoogleRedirectURL(), "http://localhost:8080/auth/google/callback"},
		{"GoogleEnabled", got.GoogleEnabled(), false},
		{"AssistantEnabled", got.AssistantEnabled(), false},
		{"DatabaseIsPostgres", got.DatabaseIsPostgres(), false},
		{"TokenAudiences", got.TokenAudiences(), []string{"http://localhost:8080"}},
		{"Warnings", got.Warnings(), []string(nil)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s() = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

// TestLoad_ValidValues checks the accepted forms of every variable, one
// case per form.
func TestLoad_ValidValues(t *testing.T) {
	tests := []struct {
		name  string
		env   env
		files files
		args  []string
		get   func(*Config) any
		want  any
	}{
		{"addr host:port", env{"TORII_ADDR": "127.0.0.1:9000"}, nil, nil, func(c *Config) any { return c.Addr }, "127.0.0.1:9000"},
		{"addr ipv6", env{"TORII_ADDR": "[::1]:8080"}, nil, nil, func(c *Config) any { return c.Addr }, "[::1]:8080"},
		{"addr port 0 for tests", env{"TORII_ADDR": "localhost:0"}, nil, nil, func(c *Config) any { return c.Addr }, "localhost:0"},
		{"addr from PORT", env{"PORT": "9090"}, nil, nil, func(c *Config) any { return c.Addr }, ":9090"},
		{"addr beats PORT", env{"PORT": "9090", "TORII_ADDR": ":7000"}, nil, nil, func(c *Config) any { return c.Addr }, ":7000"},
		{"addr flag beats PORT", env{"PORT": "9090"}, nil, []string{"--addr", ":7001"}, func(c *Config) any { return c.Addr }, ":7001"},

		{"base url trailing slash trimmed", env{"TORII_BASE_URL": "https://torii.example.com/"}, nil, nil, func(c *Config) any { return c.BaseURL }, "https://torii.example.com"},
		{"base url host lower-cased, default port dropped", env{"TORII_BASE_URL": "HTTPS://Torii.Example.COM:443"}, nil, nil, func(c *Config) any { return c.BaseURL }, "https://torii.example.com"},
		{"base url keeps other port", env{"TORII_BASE_URL": "http://localhost:3000"}, nil, nil, func(c *Config) any { return c.BaseURL }, "http://localhost:3000"},
		{"base url ipv6", env{"TORII_BASE_URL": "http://[::1]:8080"}, nil, nil, func(c *Config) any { return c.BaseURL }, "http://[::1]:8080"},
		{"https base url secures cookies", env{"TORII_BASE_URL": "https://t.example.com"}, nil, nil, func(c *Config) any { return c.SecureCookies() }, true},
		{"https base url uses __Host- cookie", env{"TORII_BASE_URL": "https://t.example.com"}, nil, nil, func(c *Config) any { return c.SessionCookieName() }, "__Host-torii_session"},
		{"redirect url derives from base url", env{"TORII_BASE_URL": "https://t.example.com/"}, nil, nil, func(c *Config) any { return c.GoogleRedirectURL() }, "https://t.example.com/auth/google/callback"},

		{"database path", env{"TORII_DATABASE": "/var/lib/torii/torii.db"}, nil, nil, func(c *Config) any { return c.Database.Reveal() }, "/var/lib/torii/torii.db"},
		{"database sqlite uri", env{"TORII_DATABASE": "file:torii.db?_pragma=busy_timeout(5000)"}, nil, nil, func(c *Config) any { return c.DatabaseIsPostgres() }, false},
		{"database postgres", env{"TORII_DATABASE": "postgres://torii:pw@db:5432/torii?sslmode=disable"}, nil, nil, func(c *Config) any { return c.DatabaseIsPostgres() }, true},
		{"database path with space and =", env{"TORII_DATABASE": "file:my db.sqlite?mode=rwc"}, nil, nil, func(c *Config) any { return c.Database.Reveal() }, "file:my db.sqlite?mode=rwc"},
		{"database postgresql", env{"TORII_DATABASE": "postgresql://torii@db/torii"}, nil, nil, func(c *Config) any { return c.DatabaseIsPostgres() }, true},
		{"database unix socket", env{"TORII_DATABASE": "postgres:///torii?host=/cloudsql/p:r:i"}, nil, nil, func(c *Config) any { return c.Database.Reveal() }, "postgres:///torii?host=/cloudsql/p:r:i"},

		{"google client id enables google", env{"TORII_GOOGLE_CLIENT_ID": "123.apps.googleusercontent.com"}, nil, nil, func(c *Config) any { return c.GoogleEnabled() }, true},
		{"google client secret", env{"TORII_GOOGLE_CLIENT_SECRET": "s3cret"}, nil, nil, func(c *Config) any { return c.GoogleClientSecret.Reveal() }, "s3cret"},

		{"oidc issuer https kept as given", env{"TORII_OIDC_ISSUER": "https://login.example.com/realms/t/"}, nil, nil, func(c *Config) any { return c.OIDCIssuer }, "https://login.example.com/realms/t/"},
		{"oidc issuer http on 127.0.0.1", env{"TORII_OIDC_ISSUER": "http://127.0.0.1:9090"}, nil, nil, func(c *Config) any { return c.OIDCIssuer }, "http://127.0.0.1:9090"},
		{"oidc issuer http on localhost", env{"TORII_OIDC_ISSUER": "http://localhost:9090"}, nil, nil, func(c *Config) any { return c.OIDCIssuer }, "http://localhost:9090"},
		{"oidc issuer http on ::1", env{"TORII_OIDC_ISSUER": "http://[::1]:9090"}, nil, nil, func(c *Config) any { return c.OIDCIssuer }, "http://[::1]:9090"},

		{"hosted domain lower-cased", env{"TORII_GOOGLE_HOSTED_DOMAIN": "Example.COM"}, nil, nil, func(c *Config) any { return c.GoogleHostedDomain }, "example.com"},

		{"signup explicit", env{"TORII_SIGNUP": "explicit"}, nil, nil, func(c *Config) any { return c.Signup }, torii.SignupExplicit},
		{"signup closed", env{"TORII_SIGNUP": "closed"}, nil, nil, func(c *Config) any { return c.Signup }, torii.SignupClosed},
		{"signup any case", env{"TORII_SIGNUP": "AUTO"}, nil, nil, func(c *Config) any { return c.Signup }, torii.SignupAuto},
		{"default language ja", env{"TORII_DEFAULT_LANGUAGE": "ja-JP"}, nil, nil, func(c *Config) any { return c.DefaultLanguage }, "ja"},

		{"allowed emails comma-separated, normalised, deduplicated", env{"TORII_ALLOWED_EMAILS": " Bob@Example.com , @Corp.Example.com,,bob@example.com "}, nil, nil,
			func(c *Config) any { return c.AllowedEmails }, []string{"bob@example.com", "@corp.example.com"}},
		{"allowed emails JSON array", env{"TORII_ALLOWED_EMAILS": `["Ann@X.org", "@y.org", "", "ann@x.org"]`}, nil, nil,
			func(c *Config) any { return c.AllowedEmails }, []string{"ann@x.org", "@y.org"}},
		{"allowed emails localhost", env{"TORII_ALLOWED_EMAILS": "dev@localhost"}, nil, nil, func(c *Config) any { return c.AllowedEmails }, []string{"dev@localhost"}},
		{"admin emails", env{"TORII_ADMIN_EMAILS": "Root@Example.com,ops@example.com"}, nil, nil,
			func(c *Config) any { return c.AdminEmails }, []string{"root@example.com", "ops@example.com"}},
		{"admin emails JSON array", env{"TORII_ADMIN_EMAILS": `["root@example.com"]`}, nil, nil,
			func(c *Config) any { return c.AdminEmails }, []string{"root@example.com"}},

		{"password login false", env{"TORII_PASSWORD_LOGIN": "false"}, nil, nil, func(c *Config) any { return c.PasswordLogin }, false},
		{"password login 0", env{"TORII_PASSWORD_LOGIN": "0"}, nil, nil, func(c *Config) any { return c.PasswordLogin }, false},
		{"password login TRUE", env{"TORII_PASSWORD_LOGIN": "TRUE"}, nil, nil, func(c *Config) any { return c.PasswordLogin }, true},

		{"session idle", env{"TORII_SESSION_IDLE": "1h30m"}, nil, nil, func(c *Config) any { return c.SessionIdle }, 90 * time.Minute},
		{"session max", env{"TORII_SESSION_MAX": "8760h"}, nil, nil, func(c *Config) any { return c.SessionMax }, 8760 * time.Hour},
		{"session idle equal to max", env{"TORII_SESSION_IDLE": "2h", "TORII_SESSION_MAX": "2h"}, nil, nil, func(c *Config) any { return c.SessionIdle }, 2 * time.Hour},

		{"gemini key", env{"TORII_GEMINI_API_KEY": "k1"}, nil, nil, func(c *Config) any { return c.GeminiAPIKey.Reveal() }, "k1"},
		{"gemini key enables the assistant", env{"TORII_GEMINI_API_KEY": "k1"}, nil, nil, func(c *Config) any { return c.AssistantEnabled() }, true},
		{"gemini key from GEMINI_API_KEY", env{"GEMINI_API_KEY": "k2", "GOOGLE_API_KEY": "k3"}, nil, nil, func(c *Config) any { return c.GeminiAPIKey.Reveal() }, "k2"},
		{"gemini key from GOOGLE_API_KEY", env{"GOOGLE_API_KEY": "k3"}, nil, nil, func(c *Config) any { return c.GeminiAPIKey.Reveal() }, "k3"},
		{"TORII_GEMINI_API_KEY beats GEMINI_API_KEY", env{"TORII_GEMINI_API_KEY": "k1", "GEMINI_API_KEY": "k2"}, nil, nil, func(c *Config) any { return c.GeminiAPIKey.Reveal() }, "k1"},
		{"gemini key file beats GEMINI_API_KEY", env{"TORII_GEMINI_API_KEY_FILE": "/k", "GEMINI_API_KEY": "k2"}, files{"/k": "k4\n"}, nil, func(c *Config) any { return c.GeminiAPIKey.Reveal() }, "k4"},
		{"gemini model", env{"TORII_GEMINI_MODEL": "gemini-2.5-pro"}, nil, nil, func(c *Config) any { return c.GeminiModel }, "gemini-2.5-pro"},
		{"gemini base url", env{"TORII_GEMINI_BASE_URL": "http://127.0.0.1:1234/v1beta/"}, nil, nil, func(c *Config) any { return c.GeminiBaseURL }, "http://127.0.0.1:1234/v1beta/"},
		{"gemini system prompt", env{"TORII_GEMINI_SYSTEM_PROMPT": "Be brief."}, nil, nil, func(c *Config) any { return c.GeminiSystemPrompt }, "Be brief."},
		{"vertex with project enables the assistant", env{"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_LOCATION": "us-central1"}, nil, nil,
			func(c *Config) any { return []any{c.AssistantEnabled(), c.GoogleCloudProject, c.GoogleCloudLocation} }, []any{true, "p", "us-central1"}},
		{"vertex without project leaves the assistant off", env{"GOOGLE_GENAI_USE_VERTEXAI": "true"}, nil, nil, func(c *Config) any { return c.AssistantEnabled() }, false},
		{"project without vertex leaves the assistant off", env{"GOOGLE_CLOUD_PROJECT": "p"}, nil, nil, func(c *Config) any { return c.AssistantEnabled() }, false},

		{"token audiences trimmed and deduplicated", env{"TORII_TOKEN_AUDIENCES": " https://dash.example.com, api://x,,https://dash.example.com"}, nil, nil,
			func(c *Config) any { return c.ExtraTokenAudiences }, []string{"https://dash.example.com", "api://x"}},
		{"token audiences start with the base url", env{"TORII_BASE_URL": "https://t.example.com", "TORII_TOKEN_AUDIENCES": "https://t.example.com,api://x"}, nil, nil,
			func(c *Config) any { return c.TokenAudiences() }, []string{"https://t.example.com", "api://x"}},

		{"log format json", env{"TORII_LOG_FORMAT": "json"}, nil, nil, func(c *Config) any { return c.LogFormat }, LogFormatJSON},
		{"log level debug", env{"TORII_LOG_LEVEL": "debug"}, nil, nil, func(c *Config) any { return c.LogLevel }, slog.LevelDebug},
		{"log level WARN", env{"TORII_LOG_LEVEL": "WARN"}, nil, nil, func(c *Config) any { return c.LogLevel }, slog.LevelWarn},
		{"log level error", env{"TORII_LOG_LEVEL": "error"}, nil, nil, func(c *Config) any { return c.LogLevel }, slog.LevelError},

		{"rate", env{"TORII_RATE_LOGIN_ACCOUNT": "5/1m"}, nil, nil, func(c *Config) any { return c.RateLoginAccount }, Rate{5, time.Minute}},
		{"rate unit alone means one", env{"TORII_RATE_LOGIN_IP": "30/h"}, nil, nil, func(c *Config) any { return c.RateLoginIP }, Rate{30, time.Hour}},
		{"rate off", env{"TORII_RATE_REGISTER_IP": "off"}, nil, nil, func(c *Config) any { return c.RateRegisterIP.Enabled() }, false},
		{"rate zero", env{"TORII_RATE_ASSISTANT_USER": "0/1m"}, nil, nil, func(c *Config) any { return c.RateAssistantUser }, Rate{}},

		{"trust proxy headers", env{"TORII_TRUST_PROXY_HEADERS": "true"}, nil, nil, func(c *Config) any { return c.TrustProxyHeaders }, true},
		{"password hash concurrency", env{"TORII_PASSWORD_HASH_CONCURRENCY": "4"}, nil, nil, func(c *Config) any { return c.PasswordHashConcurrency }, 4},
		{"password hash concurrency 0 is NumCPU", env{"TORII_PASSWORD_HASH_CONCURRENCY": "0"}, nil, nil, func(c *Config) any { return c.PasswordHashConcurrency }, runtime.NumCPU()},
		{"audit retention", env{"TORII_AUDIT_RETENTION": "24h"}, nil, nil, func(c *Config) any { return c.AuditRetention }, 24 * time.Hour},
		{"audit retention 0 keeps forever", env{"TORII_AUDIT_RETENTION": "0"}, nil, nil, func(c *Config) any { return c.AuditRetention }, time.Duration(0)},
		{"default group", env{"TORII_DEFAULT_GROUP": "Staff"}, nil, nil, func(c *Config) any { return c.DefaultGroup }, "Staff"},
		{"shutdown timeout", env{"TORII_SHUTDOWN_TIMEOUT": "30s"}, nil, nil, func(c *Config) any { return c.ShutdownTimeout }, 30 * time.Second},

		// Precedence: flag > environment > default.
		{"flag beats env", env{"TORII_SESSION_IDLE": "1h"}, nil, []string{"--session-idle", "2h"}, func(c *Config) any { return c.SessionIdle }, 2 * time.Hour},
		{"single-dash flag", nil, nil, []string{"-signup=closed"}, func(c *Config) any { return c.Signup }, torii.SignupClosed},
		{"empty flag means the default, not env", env{"TORII_GOOGLE_CLIENT_ID": "id"}, nil, []string{"--google-client-id="}, func(c *Config) any { return c.GoogleClientID }, ""},
		{"bool flag alone means true", nil, nil, []string{"--trust-proxy-headers"}, func(c *Config) any { return c.TrustProxyHeaders }, true},
		{"bool flag false beats env", env{"TORII_PASSWORD_LOGIN": "true"}, nil, []string{"--password-login=false"}, func(c *Config) any { return c.PasswordLogin }, false},
		{"flag beats GEMINI_API_KEY", env{"GEMINI_API_KEY": "k2"}, nil, []string{"--gemini-api-key", "k5"}, func(c *Config) any { return c.GeminiAPIKey.Reveal() }, "k5"},
		{"flag beats env file", env{"TORII_GOOGLE_CLIENT_SECRET_FILE": "/nope"}, nil, []string{"--google-client-secret", "s"}, func(c *Config) any { return c.GoogleClientSecret.Reveal() }, "s"},
		{"values are trimmed", env{"TORII_LOG_FORMAT": " json\n"}, nil, nil, func(c *Config) any { return c.LogFormat }, LogFormatJSON},

		// NAME_FILE.
		{"secret file, trailing newline trimmed", env{"TORII_GOOGLE_CLIENT_SECRET_FILE": "/run/secrets/gcs"}, files{"/run/secrets/gcs": "s3cret\n"}, nil,
			func(c *Config) any { return c.GoogleClientSecret.Reveal() }, "s3cret"},
		{"database file", env{"TORII_DATABASE_FILE": "/run/secrets/db"}, files{"/run/secrets/db": "postgres://u:p@db/torii \r\n"}, nil,
			func(c *Config) any { return c.Database.Reveal() }, "postgres://u:p@db/torii"},
		{"secret file flag", nil, files{"/k": "k6"}, []string{"--gemini-api-key-file=/k"}, func(c *Config) any { return c.GeminiAPIKey.Reveal() }, "k6"},
		{"secret file flag beats env value", env{"TORII_GEMINI_API_KEY": "k1"}, files{"/k": "k6"}, []string{"--gemini-api-key-file", "/k"},
			func(c *Config) any { return c.GeminiAPIKey.Reveal() }, "k6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.env, tt.files, tt.args...)
			if got := tt.get(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestLoad_InvalidValues checks that every bad value stops Load with one
// precise line naming the variable (and the flag, when a flag gave it).
func TestLoad_InvalidValues(t *testing.T) {
	tests := []struct {
		name  string
		env   env
		files files
		args  []string
		want  string
	}{
		{"addr without port", env{"TORII_ADDR": "8080"}, nil, nil, `TORII_ADDR: invalid address "8080" (want host:port, e.g. :8080 or 127.0.0.1:8080)`},
		{"addr port out of range", env{"TORII_ADDR": ":99999"}, nil, nil, `TORII_ADDR: invalid port "99999" in address ":99999" (want 0 to 65535)`},
		{"addr bad host", env{"TORII_ADDR": "bad_host:80"}, nil, nil, `TORII_ADDR: invalid host "bad_host" in address "bad_host:80"`},
		{"PORT not a number", env{"PORT": "http"}, nil, nil, `PORT: invalid port "http" (want a number from 1 to 65535, e.g. 8080)`},

		{"base url scheme", env{"TORII_BASE_URL": "ftp://torii.example.com"}, nil, nil, `TORII_BASE_URL: "ftp://torii.example.com" is not an absolute http or https URL (e.g. https://torii.example.com)`},
		{"base url without scheme", env{"TORII_BASE_URL": "torii.example.com"}, nil, nil, `TORII_BASE_URL: "torii.example.com" is not an absolute http or https URL (e.g. https://torii.example.com)`},
		{"base url without host", env{"TORII_BASE_URL": "https:///x"}, nil, nil, `TORII_BASE_URL: "https:///x" has no host (e.g. https://torii.example.com)`},
		{"base url path prefix", env{"TORII_BASE_URL": "https://example.com/torii/"}, nil, nil, `TORII_BASE_URL: path prefix "/torii" is not supported yet: serve torii at the root of its host (e.g. https://torii.example.com)`},
		{"base url query", env{"TORII_BASE_URL": "https://example.com/?a=1"}, nil, nil, `TORII_BASE_URL: "https://example.com/?a=1" must not have a query or fragment`},
		{"base url fragment", env{"TORII_BASE_URL": "https://example.com#x"}, nil, nil, `TORII_BASE_URL: "https://example.com#x" must not have a query or fragment`},
		{"base url user info", env{"TORII_BASE_URL": "https://u:p@example.com"}, nil, nil, `TORII_BASE_URL: URL must not contain user info (e.g. https://torii.example.com)`},
		{"base url unparseable", env{"TORII_BASE_URL": "http://exa mple.com"}, nil, nil, `TORII_BASE_URL: invalid URL "http://exa mple.com": invalid character " " in host name (e.g. https://torii.example.com)`},

		{"database other scheme", env{"TORII_DATABASE": "mysql://u:p@h/db"}, nil, nil, `TORII_DATABASE: unsupported scheme "mysql://" (want a SQLite file path or a postgres:// URL)`},
		{"database key=value", env{"TORII_DATABASE": "host=db user=torii password=pw"}, nil, nil, `TORII_DATABASE: looks like a PostgreSQL key=value string; write it as a postgres:// URL`},
		{"database bad postgres url hides the password", env{"TORII_DATABASE": "postgres://u:p w@h/db"}, nil, nil, `TORII_DATABASE: invalid postgres URL: net/url: invalid userinfo (percent-encode special characters in the user and password)`},

		{"google client id with space", env{"TORII_GOOGLE_CLIENT_ID": "a b"}, nil, nil, `TORII_GOOGLE_CLIENT_ID: "a b" must not contain whitespace`},
		{"google client secret with space hides it", env{"TORII_GOOGLE_CLIENT_SECRET": "sec ret"}, nil, nil, `TORII_GOOGLE_CLIENT_SECRET: contains whitespace or control characters (value not shown)`},

		{"oidc issuer http remote", env{"TORII_OIDC_ISSUER": "http://idp.example.com"}, nil, nil, `TORII_OIDC_ISSUER: issuer "http://idp.example.com" must use https (http is allowed only for a loopback host: localhost, 127.0.0.1, ::1)`},
		{"oidc issuer not absolute", env{"TORII_OIDC_ISSUER": "accounts.google.com"}, nil, nil, `TORII_OIDC_ISSUER: "accounts.google.com" is not an absolute http or https URL (e.g. https://accounts.google.com)`},
		{"oidc issuer query", env{"TORII_OIDC_ISSUER": "https://idp.example.com?x=1"}, nil, nil, `TORII_OIDC_ISSUER: issuer "https://idp.example.com?x=1" must not have a query or fragment`},

		{"hosted domain with space", env{"TORII_GOOGLE_HOSTED_DOMAIN": "example .com"}, nil, nil, `TORII_GOOGLE_HOSTED_DOMAIN: "example .com": invalid domain "example .com" (letters, digits, hyphens and dots; use the ASCII form of an international name)`},
		{"hosted domain without dot", env{"TORII_GOOGLE_HOSTED_DOMAIN": "example"}, nil, nil, `TORII_GOOGLE_HOSTED_DOMAIN: "example": domain "example" has no dot`},
		{"hosted domain leading hyphen", env{"TORII_GOOGLE_HOSTED_DOMAIN": "-x.com"}, nil, nil, `TORII_GOOGLE_HOSTED_DOMAIN: "-x.com": invalid domain "-x.com" (letters, digits, hyphens and dots; use the ASCII form of an international name)`},
		{"hosted domain an email", env{"TORII_GOOGLE_HOSTED_DOMAIN": "a@x.com"}, nil, nil, `TORII_GOOGLE_HOSTED_DOMAIN: "a@x.com": invalid domain "a@x.com" (letters, digits, hyphens and dots; use the ASCII form of an international name)`},

		{"signup unknown", env{"TORII_SIGNUP": "open"}, nil, nil, `TORII_SIGNUP: invalid value "open" (want auto, explicit or closed)`},
		{"default language unknown", env{"TORII_DEFAULT_LANGUAGE": "fr"}, nil, nil, `TORII_DEFAULT_LANGUAGE: invalid language "fr" (want en or ja)`},

		{"allowed entry without @", env{"TORII_ALLOWED_EMAILS": "a@x.com,bob"}, nil, nil, `TORII_ALLOWED_EMAILS: entry "bob": not an email (want user@example.com or @example.com)`},
		{"allowed entry two @", env{"TORII_ALLOWED_EMAILS": "a@b@x.com"}, nil, nil, `TORII_ALLOWED_EMAILS: entry "a@b@x.com": not an email (want user@example.com or @example.com)`},
		{"allowed entry bare @", env{"TORII_ALLOWED_EMAILS": "@"}, nil, nil, `TORII_ALLOWED_EMAILS: entry "@": missing domain (want user@example.com or @example.com)`},
		{"allowed entry bad domain", env{"TORII_ALLOWED_EMAILS": "a@x..com"}, nil, nil, `TORII_ALLOWED_EMAILS: entry "a@x..com": invalid domain "x..com" (letters, digits, hyphens and dots; use the ASCII form of an international name) (want user@example.com or @example.com)`},
		{"allowed entry space in local part", env{"TORII_ALLOWED_EMAILS": "a b@x.com"}, nil, nil, `TORII_ALLOWED_EMAILS: entry "a b@x.com": invalid part before @ (want user@example.com or @example.com)`},
		{"allowed entries space-separated", env{"TORII_ALLOWED_EMAILS": "a@x.com b@x.com"}, nil, nil, `TORII_ALLOWED_EMAILS: entry "a@x.com b@x.com": not an email (want user@example.com or @example.com)`},
		{"allowed JSON not strings", env{"TORII_ALLOWED_EMAILS": `[1, 2]`}, nil, nil, `TORII_ALLOWED_EMAILS: invalid JSON array of strings: json: cannot unmarshal number into Go value of type string`},
		{"allowed JSON malformed", env{"TORII_ALLOWED_EMAILS": `["a@x.com",]`}, nil, nil, `TORII_ALLOWED_EMAILS: invalid JSON array of strings: invalid character ']' looking for beginning of value`},
		{"allowed JSON bad entry", env{"TORII_ALLOWED_EMAILS": `["a@x.com", "nope"]`}, nil, nil, `TORII_ALLOWED_EMAILS: entry "nope": not an email (want user@example.com or @example.com)`},
		{"admin entry a domain", env{"TORII_ADMIN_EMAILS": "@example.com"}, nil, nil, `TORII_ADMIN_EMAILS: entry "@example.com": missing the part before @ (want user@example.com)`},

		{"password login yes", env{"TORII_PASSWORD_LOGIN": "yes"}, nil, nil, `TORII_PASSWORD_LOGIN: invalid boolean "yes" (want true or false)`},

		{"session idle not a duration", env{"TORII_SESSION_IDLE": "abc"}, nil, nil, `TORII_SESSION_IDLE: invalid duration "abc" (example: 336h)`},
		{"session idle days", env{"TORII_SESSION_IDLE": "14d"}, nil, nil, `TORII_SESSION_IDLE: invalid duration "14d" (example: 336h)`},
		{"session idle negative", env{"TORII_SESSION_IDLE": "-1h"}, nil, nil, `TORII_SESSION_IDLE: duration "-1h" must not be negative (example: 336h)`},
		{"session idle zero", env{"TORII_SESSION_IDLE": "0"}, nil, nil, `TORII_SESSION_IDLE: duration "0" must be greater than zero (example: 336h)`},
		{"session max zero", env{"TORII_SESSION_MAX": "0s"}, nil, nil, `TORII_SESSION_MAX: duration "0s" must be greater than zero (example: 720h)`},
		{"session idle above max", env{"TORII_SESSION_IDLE": "48h", "TORII_SESSION_MAX": "24h"}, nil, nil, `TORII_SESSION_IDLE: 48h exceeds TORII_SESSION_MAX=24h; the idle lifetime cannot be longer than the absolute one`},
		{"session idle above max, from a flag", nil, nil, []string{"--session-max=1h"}, `TORII_SESSION_IDLE: 336h exceeds TORII_SESSION_MAX=1h; the idle lifetime cannot be longer than the absolute one`},

		{"gemini key with space hides it", env{"GEMINI_API_KEY": "AIza secret"}, nil, nil, `GEMINI_API_KEY: contains whitespace or control characters (value not shown)`},
		{"gemini model with space", env{"TORII_GEMINI_MODEL": "gemini flash"}, nil, nil, `TORII_GEMINI_MODEL: "gemini flash" must not contain whitespace`},
		{"gemini base url relative", env{"TORII_GEMINI_BASE_URL": "/v1beta"}, nil, nil, `TORII_GEMINI_BASE_URL: "/v1beta" is not an absolute http or https URL (e.g. https://generativelanguage.googleapis.com/)`},
		{"vertex flag not a bool", env{"GOOGLE_GENAI_USE_VERTEXAI": "sure"}, nil, nil, `GOOGLE_GENAI_USE_VERTEXAI: invalid boolean "sure" (want true or false)`},

		{"token audience with space", env{"TORII_TOKEN_AUDIENCES": "api://a b"}, nil, nil, `TORII_TOKEN_AUDIENCES: audience "api://a b" must not contain whitespace (separate audiences with commas)`},

		{"log format xml", env{"TORII_LOG_FORMAT": "xml"}, nil, nil, `TORII_LOG_FORMAT: invalid value "xml" (want text or json)`},
		{"log level verbose", env{"TORII_LOG_LEVEL": "verbose"}, nil, nil, `TORII_LOG_LEVEL: invalid level "verbose" (want debug, info, warn or error)`},

		{"rate without window", env{"TORII_RATE_LOGIN_ACCOUNT": "10"}, nil, nil, `TORII_RATE_LOGIN_ACCOUNT: invalid rate "10" (want N/duration, e.g. 10/15m, or off)`},
		{"rate count not a number", env{"TORII_RATE_LOGIN_IP": "x/15m"}, nil, nil, `TORII_RATE_LOGIN_IP: invalid rate "x/15m": "x" is not a count (want N/duration, e.g. 10/15m, or off)`},
		{"rate negative", env{"TORII_RATE_REGISTER_IP": "-1/1h"}, nil, nil, `TORII_RATE_REGISTER_IP: invalid rate "-1/1h": "-1" is not a count (want N/duration, e.g. 10/15m, or off)`},
		{"rate bad window", env{"TORII_RATE_ASSISTANT_USER": "20/soon"}, nil, nil, `TORII_RATE_ASSISTANT_USER: invalid rate "20/soon": the window must be a positive duration (want N/duration, e.g. 10/15m, or off)`},
		{"rate zero window", env{"TORII_RATE_ASSISTANT_USER": "20/0s"}, nil, nil, `TORII_RATE_ASSISTANT_USER: invalid rate "20/0s": the window must be a positive duration (want N/duration, e.g. 10/15m, or off)`},

		{"trust proxy headers maybe", env{"TORII_TRUST_PROXY_HEADERS": "maybe"}, nil, nil, `TORII_TRUST_PROXY_HEADERS: invalid boolean "maybe" (want true or false)`},
		{"password hash concurrency negative", env{"TORII_PASSWORD_HASH_CONCURRENCY": "-1"}, nil, nil, `TORII_PASSWORD_HASH_CONCURRENCY: invalid count "-1" (want a whole number ≥ 0; 0 = number of CPUs)`},
		{"password hash concurrency word", env{"TORII_PASSWORD_HASH_CONCURRENCY": "many"}, nil, nil, `TORII_PASSWORD_HASH_CONCURRENCY: invalid count "many" (want a whole number ≥ 0; 0 = number of CPUs)`},
		{"audit retention negative", env{"TORII_AUDIT_RETENTION": "-24h"}, nil, nil, `TORII_AUDIT_RETENTION: duration "-24h" must not be negative (example: 2160h)`},
		{"audit retention forever", env{"TORII_AUDIT_RETENTION": "forever"}, nil, nil, `TORII_AUDIT_RETENTION: invalid duration "forever" (example: 2160h)`},
		{"default group control character", env{"TORII_DEFAULT_GROUP": "a\x00b"}, nil, nil, `TORII_DEFAULT_GROUP: invalid group name "a\x00b" (at most 100 characters, no control characters)`},
		{"shutdown timeout zero", env{"TORII_SHUTDOWN_TIMEOUT": "0"}, nil, nil, `TORII_SHUTDOWN_TIMEOUT: duration "0" must be greater than zero (example: 8s)`},

		// Flags are named too.
		{"flag named", nil, nil, []string{"--session-idle=abc"}, `TORII_SESSION_IDLE (flag --session-idle): invalid duration "abc" (example: 336h)`},
		{"bool flag named", nil, nil, []string{"--trust-proxy-headers=maybe"}, `TORII_TRUST_PROXY_HEADERS (flag --trust-proxy-headers): invalid boolean "maybe" (want true or false)`},
		{"unknown flag", nil, nil, []string{"--base-uri=x"}, `torii serve: flag provided but not defined: -base-uri (see torii serve --help)`},
		{"flag without value", nil, nil, []string{"--base-url"}, `torii serve: flag needs an argument: -base-url (see torii serve --help)`},
		{"stray argument", nil, nil, []string{"--signup=auto", "extra"}, `torii serve: unexpected argument "extra" (see torii serve --help)`},
		{"env-only variable has no flag", nil, nil, []string{"--google-cloud-project=p"}, `torii serve: flag provided but not defined: -google-cloud-project (see torii serve --help)`},

		// NAME and NAME_FILE.
		{"value and file both set", env{"TORII_GOOGLE_CLIENT_SECRET": "s", "TORII_GOOGLE_CLIENT_SECRET_FILE": "/s"}, files{"/s": "s"}, nil,
			`TORII_GOOGLE_CLIENT_SECRET: set either TORII_GOOGLE_CLIENT_SECRET or TORII_GOOGLE_CLIENT_SECRET_FILE, not both`},
		{"value and file flags both set", nil, files{"/k": "k"}, []string{"--gemini-api-key=k", "--gemini-api-key-file=/k"},
			`TORII_GEMINI_API_KEY (flag --gemini-api-key): set either --gemini-api-key or --gemini-api-key-file, not both`},
		{"unreadable file", env{"TORII_DATABASE_FILE": "/run/secrets/db"}, nil, nil, `TORII_DATABASE_FILE: cannot read "/run/secrets/db": file does not exist`},
		{"unreadable file from a flag", nil, nil, []string{"--google-client-secret-file", "/nope"}, `TORII_GOOGLE_CLIENT_SECRET_FILE (flag --google-client-secret-file): cannot read "/nope": file does not exist`},
		{"empty file", env{"TORII_GEMINI_API_KEY_FILE": "/k"}, files{"/k": "\n"}, nil, `TORII_GEMINI_API_KEY_FILE: file "/k" is empty`},
		{"bad value in a file names the file variable", env{"TORII_DATABASE_FILE": "/db"}, files{"/db": "mysql://x"}, nil, `TORII_DATABASE_FILE: unsupported scheme "mysql://" (want a SQLite file path or a postgres:// URL)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(tt.env, tt.files, tt.args...)
			if err == nil {
				t.Fatalf("Load succeeded (%+v), want error %q", c, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestLoad_ErrorIsTyped(t *testing.T) {
	_, err := load(env{"TORII_SIGNUP": "x"}, nil, "--log-level=loud")
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not *config.Error", err)
	}
	if ce.Var != "TORII_SIGNUP" || ce.Flag != "" {
		t.Errorf("first problem = %+v, want TORII_SIGNUP from the environment", ce)
	}
}

func TestLoad_Help(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		if _, err := load(nil, nil, arg); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("Load(%q) error = %v, want flag.ErrHelp", arg, err)
		}
	}
}

func TestUsage_ListsEveryVariable(t *testing.T) {
	u := Usage()
	for _, v := range variables {
		if !strings.Contains(u, v.env) {
			t.Errorf("Usage lacks %s", v.env)
		}
		if !v.envOnly && !strings.Contains(u, "--"+v.flagName()+" ") && !strings.Contains(u, "--"+v.flagName()+"[") {
			t.Errorf("Usage lacks --%s", v.flagName())
		}
		if v.kind == kindSecret && !strings.Contains(u, v.env+"_FILE") {
			t.Errorf("Usage lacks %s_FILE", v.env)
		}
	}
	for _, s := range []string{"PORT", "GEMINI_API_KEY", "GOOGLE_API_KEY", "default: 10/15m", "default: 336h"} {
		if !strings.Contains(u, s) {
			t.Errorf("Usage lacks %q", s)
		}
	}
}

func TestFlagNames_FollowTheVariables(t *testing.T) {
	for env, flag := range map[string]string{
		"TORII_BASE_URL":                  "base-url",
		"TORII_GOOGLE_CLIENT_ID":          "google-client-id",
		"TORII_OIDC_ISSUER":               "oidc-issuer",
		"TORII_PASSWORD_HASH_CONCURRENCY": "password-hash-concurrency",
	} {
		if got := (variable{env: env}).flagName(); got != flag {
			t.Errorf("flag of %s = %s, want %s", env, got, flag)
		}
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want string // a substring of the only warning; "" = none
	}{
		{"nobody can sign in", env{"TORII_PASSWORD_LOGIN": "false"}, "no one can sign in"},
		{"google secret without id", env{"TORII_GOOGLE_CLIENT_SECRET": "s"}, "TORII_GOOGLE_CLIENT_SECRET is set"},
		{"hosted domain without id", env{"TORII_GOOGLE_HOSTED_DOMAIN": "x.com"}, "TORII_GOOGLE_HOSTED_DOMAIN is set"},
		{"vertex without project", env{"GOOGLE_GENAI_USE_VERTEXAI": "1"}, "GOOGLE_CLOUD_PROJECT is empty"},
		{"google only is fine", env{"TORII_PASSWORD_LOGIN": "false", "TORII_GOOGLE_CLIENT_ID": "id"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := mustLoad(t, tt.env, nil).Warnings()
			switch {
			case tt.want == "" && len(w) != 0:
				t.Errorf("warnings %q, want none", w)
			case tt.want != "" && (len(w) != 1 || !strings.Contains(w[0], tt.want)):
				t.Errorf("warnings %q, want one containing %q", w, tt.want)
			}
		})
	}
}

// Secret values used by the redaction tests: none may appear in any output.
const (
	secretGoogle   = "gcs-SECRET-google"
	secretGemini   = "gk-SECRET-gemini"
	secretPGUser   = "pg-SECRET-userinfo"
	secretPGQuery  = "pg-SECRET-query"
	redactionDBURL = "postgres://torii:" + secretPGUser + "@db:5432/torii?sslmode=disable&password=" + secretPGQuery
)

var allSecrets = []string{secretGoogle, secretGemini, secretPGUser, secretPGQuery}

func TestConfig_SecretsNeverFormatted(t *testing.T) {
	cfg := mustLoad(t, env{
		"TORII_GOOGLE_CLIENT_SECRET": secretGoogle,
		"TORII_GEMINI_API_KEY":       secretGemini,
		"TORII_DATABASE":             redactionDBURL,
	}, nil)
	if cfg.GoogleClientSecret.Reveal() != secretGoogle || cfg.GeminiAPIKey.Reveal() != secretGemini || cfg.Database.Reveal() != redactionDBURL {
		t.Fatal("Reveal does not return the loaded values")
	}

	var text, jsonLog bytes.Buffer
	tl := slog.New(slog.NewTextHandler(&text, nil))
	jl := slog.New(slog.NewJSONHandler(&jsonLog, nil))
	for _, l := range []*slog.Logger{tl, jl} {
		l.Info("config", "cfg", cfg)
		l.Info("config value", "cfg", *cfg)
		l.LogAttrs(t.Context(), slog.LevelInfo, "config attrs", cfg.Redacted()...)
		l.Info("secret", "google", cfg.GoogleClientSecret, "db", cfg.Database)
	}
	jsonBytes, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"fmt pointer":  fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg),
		"fmt value":    fmt.Sprintf("%v %+v %#v", *cfg, *cfg, *cfg),
		"fmt secrets":  fmt.Sprint(cfg.GoogleClientSecret, cfg.GeminiAPIKey, cfg.Database) + fmt.Sprintf("%#v %q %x %d", cfg.GeminiAPIKey, cfg.GeminiAPIKey, cfg.GeminiAPIKey, cfg.Database),
		"String":       cfg.GoogleClientSecret.String() + cfg.GeminiAPIKey.GoString() + cfg.Database.String() + cfg.Database.GoString(),
		"slog text":    text.String(),
		"slog json":    jsonLog.String(),
		"json.Marshal": string(jsonBytes),
	}
	for name, out := range outputs {
		for _, s := range allSecrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains the secret %q:\n%s", name, s, out)
			}
		}
	}
	if !strings.Contains(text.String(), "TORII_GEMINI_API_KEY=[set]") || !strings.Contains(text.String(), "TORII_GOOGLE_CLIENT_ID=\"\"") {
		t.Errorf("slog text output does not show the settings:\n%s", text.String())
	}
	if !strings.Contains(text.String(), "postgres://torii:xxxxx@db:5432/torii?password=xxxxx&sslmode=disable") {
		t.Errorf("slog text output does not show the redacted database URL:\n%s", text.String())
	}
}

func TestConfig_RedactedListsEverySetting(t *testing.T) {
	cfg := mustLoad(t, nil, nil)
	keys := map[string]bool{}
	for _, a := range cfg.Redacted() {
		keys[a.Key] = true
	}
	for _, v := range variables {
		if !keys[v.env] {
			t.Errorf("Redacted lacks %s", v.env)
		}
	}
	if len(keys) != len(variables) {
		t.Errorf("Redacted has %d settings, the table %d", len(keys), len(variables))
	}
	want := map[string]string{"TORII_GOOGLE_CLIENT_SECRET": "[empty]", "TORII_GEMINI_API_KEY": "[empty]", "TORII_DATABASE": "torii.db", "TORII_SESSION_IDLE": "336h", "TORII_LOG_LEVEL": "info"}
	for _, a := range cfg.Redacted() {
		if w, ok := want[a.Key]; ok && a.Value.String() != w {
			t.Errorf("Redacted %s = %q, want %q", a.Key, a.Value.String(), w)
		}
	}
}

func TestDSN_String(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "[empty]"},
		{"torii.db", "torii.db"},
		{"postgres://u:pw@h/db", "postgres://u:xxxxx@h/db"},
		{"postgresql://u@h/db?sslmode=require", "postgresql://u@h/db?sslmode=require"},
		{"postgres://h/db?password=pw&sslpassword=pw2", "postgres://h/db?password=xxxxx&sslpassword=xxxxx"},
		{"postgres://u:p%zz@h/db", "postgres://[set]"},
	}
	for _, tt := range tests {
		if got := newDSN(tt.in).String(); got != tt.want {
			t.Errorf("newDSN(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecret_String(t *testing.T) {
	if got := newSecret("").String(); got != "[empty]" {
		t.Errorf("empty secret = %q", got)
	}
	if got := fmt.Sprintf("%v|%s|%q", newSecret("x"), newSecret("x"), newSecret("x")); got != `[set]|[set]|"[set]"` {
		t.Errorf("set secret = %q", got)
	}
	if !newSecret("x").Equal(newSecret("x")) || newSecret("x").Equal(newSecret("y")) {
		t.Error("Equal compares the values")
	}
}

func TestRate_String(t *testing.T) {
	tests := []struct {
		in   Rate
		want string
	}{
		{Rate{10, 15 * time.Minute}, "10/15m"},
		{Rate{30, time.Hour}, "30/1h"},
		{Rate{5, 90 * time.Second}, "5/1m30s"},
		{Rate{}, "off"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.in, got, tt.want)
		}
		if tt.in.Enabled() {
			if r, err := parseRate(tt.want); err != nil || r != tt.in {
				t.Errorf("parseRate(%q) = %v, %v; want %v", tt.want, r, err, tt.in)
			}
		}
	}
}

func TestLoad_NilFunctionsUseTheProcess(t *testing.T) {
	t.Setenv("TORII_SIGNUP", "closed")
	c, err := Load(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Signup != torii.SignupClosed {
		t.Errorf("Signup = %q, want closed from os.Getenv", c.Signup)
	}
}
