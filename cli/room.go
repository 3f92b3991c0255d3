package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/web"
)

// roomCmd is `torii room export ID --reason R`: the audited export of a
// room's messages (direct conversations included), printed as one JSON
// document, the API's pages joined. Every page read is audited
// (room.export, by "cli"), as through the API.
func roomCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "export" {
		return usageError{"room: missing or unknown subcommand (export)"}
	}
	fs := newFlagSet("room export", env)
	db := fs.String("database", "", "SQLite file or postgres:// URL (default TORII_DATABASE)")
	reason := fs.String("reason", "", "why the room is read (required; written to the audit log)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	id, perr := strconv.ParseInt(firstOr(pos, ""), 10, 64)
	if len(pos) != 1 || perr != nil || id <= 0 {
		return usageError{"usage: torii room export ID --reason R"}
	}
	return withService(ctx, env, *db, func(svc *service.Service) error {
		// Streamed a page at a time, so that a long room is never held
		// whole in memory: the document is the API's first page with
		// every later page's messages appended, without nextAfter.
		w := env.Stdout
		var after int64
		head, first := false, true
		for {
			page, err := svc.AdminExportRoom(ctx, id, *reason, after, 0, service.CLI)
			if err != nil {
				return err
			}
			doc := web.RoomExportDoc(page)
			if !head {
				room, _ := json.Marshal(doc.Room)
				members, _ := json.Marshal(doc.Members)
				fmt.Fprintf(w, "{\"room\": %s,\n\"members\": %s,\n\"messages\": [", room, members)
				head = true
			}
			for _, m := range doc.Messages {
				b, err := json.Marshal(m)
				if err != nil {
					return fmt.Errorf("room export: %w", err)
				}
				if !first {
					fmt.Fprint(w, ",")
				}
				fmt.Fprintf(w, "\n%s", b)
				first = false
			}
			if page.NextAfter == nil {
				fmt.Fprintln(w, "\n]}")
				return nil
			}
			after = *page.NextAfter
		}
	})
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}
