package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/toriihq/torii/service"
)

// clientCmd is `torii client add|list|rm|rotate-secret`: the apps that sign
// their users in with torii (docs/provider.md), through the same service
// rules as the admin API and /admin.
func clientCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError{"client: missing subcommand (add, list, rm, rotate-secret)"}
	}
	fs := newFlagSet("client "+args[0], env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	var in service.ClientInput
	var asJSON bool
	switch args[0] {
	case "add":
		fs.StringVar(&in.Name, "name", "", "the app's name, shown on the consent page")
		fs.Func("redirect-uri", "a redirect URI, matched exactly (repeat for more)", func(v string) error {
			in.RedirectURIs = append(in.RedirectURIs, v)
			return nil
		})
		fs.Func("post-logout-uri", "a post_logout_redirect_uri accepted at logout (repeat for more)", func(v string) error {
			in.PostLogoutURIs = append(in.PostLogoutURIs, v)
			return nil
		})
		fs.BoolVar(&in.Public, "public", false, "a public client (no secret; PKCE required)")
		fs.BoolVar(&in.Trusted, "trusted", false, "skip the consent page")
		fs.Func("group", "limit the app to members of this group (repeat for more)", func(v string) error {
			in.Groups = append(in.Groups, v)
			return nil
		})
		fs.BoolVar(&asJSON, "json", false, `print {"clientId": …, "clientSecret": …}`)
	case "rotate-secret":
		fs.BoolVar(&asJSON, "json", false, `print {"clientId": …, "clientSecret": …}`)
	case "list", "rm":
	default:
		return usageError{fmt.Sprintf("client: unknown subcommand %q", args[0])}
	}
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "add", "list":
		if len(pos) != 0 {
			return usageError{fmt.Sprintf("client %s takes no arguments (got %q)", args[0], pos)}
		}
	default:
		if len(pos) != 1 {
			return usageError{fmt.Sprintf("usage: torii client %s ID", args[0])}
		}
	}
	id := strings.Join(pos, "")
	return withService(ctx, env, *db, func(svc *service.Service) error {
		switch args[0] {
		case "add":
			cred, err := svc.CreateClient(ctx, in, service.CLI)
			if err != nil {
				return err
			}
			return printCredentials(env, cred, asJSON)
		case "rotate-secret":
			cred, err := svc.RotateClientSecret(ctx, id, service.CLI)
			if err != nil {
				return err
			}
			return printCredentials(env, cred, asJSON)
		case "rm":
			if err := svc.DeleteClient(ctx, id, service.CLI); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "removed client %s\n", id)
			return nil
		default:
			return clientList(ctx, svc, env)
		}
	})
}

// printCredentials prints the client id and, for a confidential client,
// the secret: the only time torii shows it (only its hash is stored).
func printCredentials(env Env, cred service.ClientCredentials, asJSON bool) error {
	if asJSON {
		out := struct {
			ClientID     string  `json:"clientId"`
			ClientSecret *string `json:"clientSecret"`
		}{ClientID: cred.Client.ID}
		if cred.Secret != "" {
			out.ClientSecret = &cred.Secret
		}
		return json.NewEncoder(env.Stdout).Encode(out)
	}
	fmt.Fprintf(env.Stdout, "client_id:     %s\n", cred.Client.ID)
	if cred.Secret == "" {
		fmt.Fprintln(env.Stdout, "(a public client: no secret; it must use PKCE)")
		return nil
	}
	fmt.Fprintf(env.Stdout, "client_secret: %s\n", cred.Secret)
	fmt.Fprintln(env.Stderr, "The secret is shown only this once: torii keeps only its hash. Lost, it can be replaced with torii client rotate-secret.")
	return nil
}

func clientList(ctx context.Context, svc *service.Service, env Env) error {
	list, err := svc.Clients(ctx, service.CLI)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, "no clients: register one with torii client add")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT_ID\tNAME\tKIND\tGROUPS\tREDIRECT URIS")
	for _, c := range list {
		kind := "confidential"
		if c.Public {
			kind = "public"
		}
		if c.Trusted {
			kind += ",trusted"
		}
		groups := "-"
		if len(c.GroupNames) > 0 {
			groups = strings.Join(c.GroupNames, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, kind, groups, strings.Join(c.RedirectURIs, " "))
	}
	return tw.Flush()
}

// parseInterspersed parses flags wherever they stand among the arguments
// (`torii client rotate-secret ID --json` as well as `--json ID`) and
// returns the other arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
