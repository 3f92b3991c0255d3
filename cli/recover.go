package cli

import (
	"context"
	"fmt"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// multiFlag collects a repeated flag (--group G --group H).
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// userResetLink is `torii user reset-link EMAIL`: one password reset link
// on stdout, for the operator to hand over (no mail needed).
func userResetLink(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user reset-link", env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: torii user reset-link EMAIL"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		u, err := svc.UserByEmail(ctx, fs.Arg(0))
		if err != nil {
			return notFoundAs(err, fs.Arg(0))
		}
		link, err := svc.AdminResetLink(ctx, u.ID, service.CLI)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, link.URL)
		return nil
	})
}

// userEmailLink is `torii user email-link EMAIL`: the confirmation link
// of the waiting change of address of the account at EMAIL (its current
// address), on stdout, for the operator to hand over once they know the
// new address is the user's (stderr says which it is).
func userEmailLink(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user email-link", env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: torii user email-link EMAIL"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		u, err := svc.UserByEmail(ctx, fs.Arg(0))
		if err != nil {
			return notFoundAs(err, fs.Arg(0))
		}
		link, err := svc.AdminEmailChangeLink(ctx, u.ID, service.CLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "Opening this link changes %s to %s, confirmed by you (it works once, until %s):\n",
			link.OldEmail, link.NewEmail, link.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
		fmt.Fprintln(env.Stdout, link.URL)
		return nil
	})
}

// userInvite is `torii user invite EMAIL [--group G]... [--admin]`: one
// invitation link on stdout (also mailed when mail is configured).
func userInvite(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user invite", env)
	var groups multiFlag
	fs.Var(&groups, "group", "a group the invitee joins (repeatable)")
	admin := fs.Bool("admin", false, "grant the admin role")
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	// EMAIL may come before the flags: parse what follows it too.
	var email string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		email, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if email == "" && fs.NArg() == 1 {
		email = fs.Arg(0)
	} else if email == "" || fs.NArg() != 0 {
		return usageError{"usage: torii user invite EMAIL [--group G]... [--admin]"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		_, link, err := svc.Invite(ctx, service.InviteInput{Email: email, Groups: groups, Admin: *admin}, service.CLI)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, link)
		return nil
	})
}

// printSetPasswordLink follows `torii user create --admin` without
// --password-stdin: an admin nobody can sign in to (no password, perhaps
// no provider) would be a dead end, so it prints a one-time link that
// sets the password, on a line of its own (stdout's last line).
func printSetPasswordLink(ctx context.Context, env Env, svc *service.Service, id int64) error {
	link, err := svc.AdminResetLink(ctx, id, service.CLI)
	if torii.IsCode(err, torii.ENotAllowed) {
		// Password sign-in is off: the admin signs in with the provider.
		fmt.Fprintln(env.Stderr, "Password sign-in is off: this admin signs in with the identity provider.")
		return nil
	} else if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "Open this link to set the password (it works once, until %s):\n", link.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(env.Stdout, link.URL)
	return nil
}

// userDelete is `torii user delete EMAIL`: the account is deleted as an
// admin's "Delete" does.
func userDelete(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("user delete", env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: torii user delete EMAIL"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		u, err := svc.UserByEmail(ctx, fs.Arg(0))
		if err != nil {
			return notFoundAs(err, fs.Arg(0))
		}
		if err := svc.AdminDeleteUser(ctx, u.ID, service.CLI); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is deleted\n", u.Email)
		return nil
	})
}
