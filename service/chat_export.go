package service

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/toriihq/torii"
)

// The audited export (issue 17): direct conversations and private rooms
// are visible to their members only, administrators included, except
// through this export. An administrator reads a room's messages, a page
// at a time, only by giving a reason; every page read writes a
// room.export audit event naming who, which room, why and how much.

// MaxExportReasonRunes bounds an export's reason.
const MaxExportReasonRunes = 1000

// maxExportPage bounds the messages of one export page.
const maxExportPage = 100

// AdminRoomExport is one page of a room's export: the room, its members and
// its messages oldest first (tombstones included, without text), with
// the `after` of the next page (nil on the last one).
type AdminRoomExport struct {
	Room      torii.Room
	People    []Author // a direct conversation's
	Members   []Member
	Messages  []ChatMessage
	NextAfter *int64
}

// AdminExportRoom returns the messages of room roomID with an id above after,
// at most limit (default and maximum 100, the store's page), for an administrator who gives
// a reason, and audits the read. Errors: FORBIDDEN (not an administrator),
// VALIDATION_ERROR (reason missing, too long or with control characters),
// NOT_FOUND (no such live room).
func (s *Service) AdminExportRoom(ctx context.Context, roomID int64, reason string, after int64, limit int, by Actor) (AdminRoomExport, error) {
	if err := needAdmin(by); err != nil {
		return AdminRoomExport{}, err
	}
	reason = strings.TrimSpace(reason)
	f := fieldErrors{}
	switch {
	case reason == "":
		f["reason"] = "is required"
	case utf8.RuneCountInString(reason) > MaxExportReasonRunes:
		f["reason"] = "must be at most 1000 characters"
	case strings.IndexFunc(reason, unicode.IsControl) >= 0:
		f["reason"] = "must not contain control characters"
	}
	if err := f.err(); err != nil {
		return AdminRoomExport{}, err
	}
	if limit <= 0 || limit > maxExportPage {
		limit = maxExportPage
	}
	r, err := s.store.RoomByID(ctx, roomID)
	if errors.Is(err, torii.ErrNotFound) {
		return AdminRoomExport{}, errRoomNotFound
	} else if err != nil {
		return AdminRoomExport{}, err
	}
	out := AdminRoomExport{Room: r}
	if r.IsDM() {
		if out.People, err = s.DMMembers(ctx, r); err != nil {
			return AdminRoomExport{}, err
		}
	}
	if out.Members, err = s.membersOf(ctx, r); err != nil {
		return AdminRoomExport{}, err
	}
	ms, err := s.store.MessagesAfter(ctx, r.ID, after, limit)
	if err != nil {
		return AdminRoomExport{}, err
	}
	if out.Messages, err = s.withAuthors(ctx, ms); err == nil {
		err = s.withReplyInfo(ctx, out.Messages)
	}
	if err != nil {
		return AdminRoomExport{}, err
	}
	if len(ms) == limit {
		out.NextAfter = ptr(ms[len(ms)-1].ID)
	}
	s.audit(ctx, torii.AuditRoomExport, by.UserID, by.Email, by.Meta, map[string]any{
		"roomId": r.ID, "dm": r.IsDM(), "visibility": r.Visibility, "reason": reason,
		"after": after, "messages": len(ms), "by": by.Email,
	})
	return out, nil
}
