package cli

import (
	"context"
	"fmt"

	"github.com/toriihq/torii/service"
)

// allowCmd is `torii allow add|rm|list`: the database allowlist, through
// the same service rules as /admin and the admin API.
func allowCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError{"allow: missing subcommand (add, rm, list)"}
	}
	fs := newFlagSet("allow "+args[0], env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "add", "rm":
		if fs.NArg() == 0 {
			return usageError{fmt.Sprintf("usage: torii allow %s EMAIL|@DOMAIN…", args[0])}
		}
	case "list":
		if fs.NArg() != 0 {
			return usageError{"usage: torii allow list"}
		}
	default:
		return usageError{fmt.Sprintf("allow: unknown subcommand %q", args[0])}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		switch args[0] {
		case "add":
			for _, p := range fs.Args() {
				e, err := svc.AddAllowlist(ctx, p, service.CLI)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "allowed %s\n", e.Pattern)
			}
		case "rm":
			for _, p := range fs.Args() {
				e, err := svc.RemoveAllowlistPattern(ctx, p, service.CLI)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "removed %s\n", e.Pattern)
			}
		case "list":
			return allowList(ctx, svc, env)
		}
		return nil
	})
}

func allowList(ctx context.Context, svc *service.Service, env Env) error {
	list, err := svc.Allowlist(ctx, service.CLI)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, "the allowlist is empty: everyone may sign in")
		return nil
	}
	tw := newTable(env.Stdout)
	fmt.Fprintln(tw, "PATTERN\tSOURCE\tADDED")
	for _, e := range list {
		added := "-"
		if e.Source == service.SourceDB {
			added = e.CreatedAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Pattern, e.Source, added)
	}
	return tw.Flush()
}
