// Package cli implements the torii command line. cmd/torii only hands it
// the process's arguments and streams, so tests run the very same commands.
package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/sqlstore"
)

// Version is set at build time with -ldflags "-X …/cli.Version=v1.2.3";
// otherwise the module version or "dev".
var Version = ""

// Env is what a command may read from its process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// ReadFile reads NAME_FILE secrets (default os.ReadFile).
	ReadFile func(string) ([]byte, error)
	// Ready, if set, is called by serve with the bound address once it
	// accepts connections (tests use it instead of polling).
	Ready func(addr string)
	// AppOptions are passed to app.New (tests inject clocks and hashers).
	AppOptions app.Options
	// Listener, if set, is used by serve instead of listening on
	// TORII_ADDR (tests bind 127.0.0.1:0 first to learn the base URL).
	Listener net.Listener
}

// exitUsage is the exit status for a command line that could not be
// understood; other failures exit 1.
const exitUsage = 2

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run executes the command in args (without the program name) and returns
// the process exit status.
func Run(ctx context.Context, args []string, env Env) int {
	if env.ReadFile == nil {
		env.ReadFile = os.ReadFile
	}
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, env)
	case "migrate":
		err = migrate(ctx, rest, env)
	case "user":
		err = userCmd(ctx, rest, env)
	case "allow":
		err = allowCmd(ctx, rest, env)
	case "client":
		err = clientCmd(ctx, rest, env)
	case "room":
		err = roomCmd(ctx, rest, env)
	case "dev-idp":
		err = devIDP(ctx, rest, env)
	case "healthcheck":
		err = healthcheck(ctx, rest, env)
	case "gen-secret":
		err = genSecret(env)
	case "version":
		fmt.Fprintln(env.Stdout, "torii", version())
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "torii: %s\n\n%s", ue.msg, usage)
		return exitUsage
	default:
		fmt.Fprintf(env.Stderr, "torii: %s\n", describe(err))
		return 1
	}
}

// describe renders an error for a terminal: a coded error's message and
// fields, anything else as is.
func describe(err error) string {
	var e *torii.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	msg := e.Message
	for k, v := range e.Fields {
		msg += fmt.Sprintf("\n  %s %s", k, v)
	}
	return msg
}

const usage = `Usage:
  torii [serve] [flags]               run the server (default; torii serve --help lists every setting)
  torii migrate                       apply database migrations and exit
  torii user create --email E --name N [--admin] [--password-stdin]
  torii user list [--status active|inactive] [--query Q]
  torii user set-status E active|inactive
  torii user grant E admin
  torii user verify E                 mark E's address verified (when the server sends no mail)
  torii user reset-link E             print a one-time password reset link for E
  torii user email-link E             print the confirmation link of E's waiting change of address
  torii user invite E [--group G]... [--admin]  print (and mail) an invitation link for E
  torii user delete E                 delete E's account (TORII_DELETED_MESSAGES says what happens to its messages)
  torii allow add E|@domain…          add to the database allowlist (with TORII_ALLOWED_EMAILS)
  torii allow rm E|@domain…           remove from the database allowlist
  torii allow list                    the effective allowlist (database and environment)
  torii client add --name N --redirect-uri URI… [--post-logout-uri URI]… [--public] [--trusted] [--group G]… [--json]
                                      register an app that signs in with torii; prints client_id and client_secret once
  torii client list                   the registered apps
  torii client rm ID                  remove an app with its consents and tokens
  torii client rotate-secret ID [--json]  a new client_secret (printed once); the old one stops working
  torii room export ID --reason R     print a room's messages as JSON (direct conversations too; audited)
  torii dev-idp [--addr 127.0.0.1:9090] a local OpenID provider for development and tests
  torii healthcheck [--ready]         exit 0 if the server on TORII_ADDR (or :$PORT) answers /healthz (/readyz)
  torii gen-secret                    print a random 32-byte hex secret
  torii version

Commands other than serve read the database from TORII_DATABASE (default torii.db)
or --database. Only serve and migrate create a database; the other commands refuse
one that does not exist (or holds no torii tables) and say where they looked.
`

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func genSecret(env Env) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, hex.EncodeToString(b))
	return nil
}

// loadConfig reads the configuration for commands other than serve: the
// environment, with --database overriding TORII_DATABASE.
func loadConfig(env Env, database string) (*config.Config, error) {
	var args []string
	if database != "" {
		args = []string{"--database", database}
	}
	return config.Load(args, env.Getenv, env.ReadFile)
}

func migrate(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("migrate", env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Opening the store applies the migrations; migrate (like serve) may
	// create the database.
	cfg, err := loadConfig(env, *db)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(env.Stdout, "database %s is up to date\n", cfg.Database)
	return nil
}

// withStore opens (and migrates) the configured database for f. The
// database must exist already (existing.go): only serve and migrate
// create one.
func withStore(ctx context.Context, env Env, database string, f func(*config.Config, *sqlstore.Store) error) error {
	cfg, err := loadConfig(env, database)
	if err != nil {
		return err
	}
	st, err := openExisting(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return f(cfg, st)
}

func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

func newLogger(env Env) *slog.Logger {
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
