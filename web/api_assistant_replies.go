package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/service"
)

// Working with replies (docs/api.md "Working with replies"): regenerate
// the last reply, edit and resend the last question, export a room.

// regenerateReply is POST /api/v1/rooms/{id}/assistant/regenerate → 202
// {"message": the question}; the new reply streams as any other.
func (s *Server) regenerateReply(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	m, err := s.svc.RegenerateReply(r.Context(), p, id, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"message": messageOf(m)})
	return nil
}

// resendQuestion is POST /api/v1/rooms/{id}/assistant/resend
// {"messageId", "body"} → 202 {"message": the edited question}.
func (s *Server) resendQuestion(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	var in struct {
		MessageID int64  `json:"messageId"`
		Body      string `json:"body"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.MessageID <= 0 {
		return torii.Invalid(map[string]string{"messageId": "is required"})
	}
	m, err := s.svc.ResendQuestion(r.Context(), p, id, in.MessageID, in.Body, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"message": messageOf(m)})
	return nil
}

// exportRoom is GET /api/v1/rooms/{id}/export?format=markdown|json (json
// by default): the room's history as a file to download.
func (s *Server) exportRoom(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	id, err := roomID(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json":
		format = "json"
	case "markdown", "md":
		format = "markdown"
	default:
		return torii.Invalid(map[string]string{"format": "must be markdown or json"})
	}
	x, err := s.svc.ExportRoom(r.Context(), p, id)
	if err != nil {
		return err
	}
	now := x.At
	name := fmt.Sprintf("torii-room-%d", x.Room.ID)
	if format == "markdown" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.md"`)
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, err := w.Write([]byte(exportMarkdown(x, now)))
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
	ms := make([]messageJSON, len(x.Messages))
	for i, m := range x.Messages {
		ms[i] = messageOf(m)
	}
	out := map[string]any{"room": roomOf(x.Room), "messages": ms, "exportedAt": now, "truncated": x.Truncated}
	if x.Settings != nil {
		out["assistant"] = settingsOf(*x.Settings)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// exportMarkdown writes a room as Markdown: its name as the title, then
// each message under a heading naming its author and time (and a reply's
// model), its body as written. Labels are names and times only, so the
// file reads the same in every language.
func exportMarkdown(x service.RoomExport, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", oneLineMD(x.Room.Name))
	meta := fmt.Sprintf("torii room %d, exported %s", x.Room.ID, at.Format(time.RFC3339))
	if x.Settings != nil {
		meta += ", model " + x.Settings.Model
	}
	if x.Truncated {
		meta += fmt.Sprintf(", newest %d messages", service.MaxRoomExportMessages)
	}
	fmt.Fprintf(&b, "<!-- %s -->\n", strings.ReplaceAll(meta, "--", "- -"))
	for _, m := range x.Messages {
		who := "Gemini"
		if m.Author != torii.AuthorAssistant {
			who = "?"
			if m.User != nil {
				who = oneLineMD(m.User.Name)
			}
		} else if m.Assistant != nil && m.Assistant.Model != "" {
			who += " (" + m.Assistant.Model + ")"
		}
		fmt.Fprintf(&b, "\n## %s · %s\n\n%s\n", who, m.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), strings.TrimRight(m.Body, "\n"))
	}
	return b.String()
}

// oneLineMD keeps a name on its heading's line.
func oneLineMD(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
