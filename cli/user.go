package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
)

func userCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError{"user: missing subcommand (create, list, set-status, grant, verify, reset-link, email-link, invite, delete)"}
	}
	switch args[0] {
	case "create":
		return userCreate(ctx, args[1:], env)
	case "list":
		return userList(ctx, args[1:], env)
	case "set-status":
		return userSetStatus(ctx, args[1:], env)
	case "grant":
		return userGrant(ctx, args[1:], env)
	case "verify":
		return userVerify(ctx, args[1:], env)
	case "reset-link":
		return userResetLink(ctx, args[1:], env)
	case "email-link":
		return userEmailLink(ctx, args[1:], env)
	case "invite":
		return userInvite(ctx, args[1:], env)
	case "delete":
		return userDelete(ctx, args[1:], env)
	default:
		return usageError{fmt.Sprintf("user: unknown subcommand %q", args[0])}
	}
}

// withService opens the configured database and runs f with a service over
// it, so the CLI applies exactly the rules the API does.
func withService(ctx context.Context, env Env, database string, f func(*service.Service) error) error {
	return withStore(ctx, env, database, func(cfg *config.Config, st *sqlstore.Store) error {
		log := newLogger(env)
		opts := env.AppOptions
		if opts.Broker == nil {
			// On PostgreSQL the running servers hear what the command
			// changes (a deactivation closes the user's live streams).
			br, err := st.Broker(ctx, log)
			if err != nil {
				return err
			}
			defer br.Close()
			opts.Broker = br
		}
		return f(app.NewService(cfg, st, log, opts))
	})
}

func userCreate(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user create", env)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (required)")
	admin := fs.Bool("admin", false, "grant the admin role")
	pwStdin := fs.Bool("password-stdin", false, "read a password from the first line of standard input")
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var pw string
	if *pwStdin {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("--password-stdin: no password on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
		if pw == "" {
			return fmt.Errorf("--password-stdin: the password is empty")
		}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		u, err := svc.CreateUser(ctx, service.CreateUserInput{Email: *email, Name: *name, Password: pw, Admin: *admin}, service.CLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created user %d <%s>%s\n", u.ID, u.Email, map[bool]string{true: " (admin)"}[*admin])
		if *admin && pw == "" {
			return printSetPasswordLink(ctx, env, svc, u.ID)
		}
		return nil
	})
}

func userList(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user list", env)
	status := fs.String("status", "", "only users with this status (active or inactive)")
	query := fs.String("query", "", "only users whose email or name contains this")
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *status != "" && !torii.UserStatus(*status).Valid() {
		return usageError{"user list: --status must be active or inactive"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		tw := newTable(env.Stdout)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tSTATUS\tROLES\tLAST SIGN-IN")
		var after int64
		for {
			users, err := svc.ListUsers(ctx, torii.UserFilter{Query: *query, Status: torii.UserStatus(*status), Limit: 100, AfterID: after})
			if err != nil {
				return err
			}
			for _, u := range users {
				roles, err := svc.UserRoles(ctx, u.ID)
				if err != nil {
					return err
				}
				last := "never"
				if u.LastLoginAt != nil {
					last = u.LastLoginAt.UTC().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Status, strings.Join(roles, ","), last)
				after = u.ID
			}
			if len(users) < 100 {
				return tw.Flush()
			}
		}
	})
}

func userSetStatus(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user set-status", env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 || !torii.UserStatus(fs.Arg(1)).Valid() {
		return usageError{"usage: torii user set-status EMAIL active|inactive"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		u, err := svc.UserByEmail(ctx, fs.Arg(0))
		if err != nil {
			return notFoundAs(err, fs.Arg(0))
		}
		u, err = svc.SetUserStatus(ctx, u.ID, torii.UserStatus(fs.Arg(1)), service.CLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is now %s\n", u.Email, u.Status)
		return nil
	})
}

func userGrant(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user grant", env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"usage: torii user grant EMAIL ROLE"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		u, err := svc.UserByEmail(ctx, fs.Arg(0))
		if err != nil {
			return notFoundAs(err, fs.Arg(0))
		}
		if err := svc.SetRole(ctx, u.ID, fs.Arg(1), true, service.CLI); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s now has the %s role\n", u.Email, fs.Arg(1))
		return nil
	})
}

func notFoundAs(err error, email string) error {
	if torii.IsCode(err, torii.ENotFound) {
		return fmt.Errorf("no user with email %s", email)
	}
	return err
}

// userVerify is `torii user verify EMAIL`: the operator vouches for the
// address, as an admin's "Mark verified" does (for servers without mail).
func userVerify(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user verify", env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: torii user verify EMAIL"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		u, err := svc.UserByEmail(ctx, fs.Arg(0))
		if err != nil {
			return notFoundAs(err, fs.Arg(0))
		}
		if _, err := svc.AdminVerifyEmail(ctx, u.ID, service.CLI); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is now verified\n", u.Email)
		return nil
	})
}
