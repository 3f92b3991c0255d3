package service

import (
	"context"
	"time"

	"github.com/toriihq/torii"
)

// MaxRoomExportMessages bounds a conversation's export: its newest messages
// up to this many (docs/api.md "Working with replies").
const MaxRoomExportMessages = 5000

// RoomExport is a room's history as GET /api/v1/rooms/{id}/export gives
// it.
type RoomExport struct {
	Room torii.Room
	// Settings are an assistant room's model and instructions (nil for
	// other rooms).
	Settings *RoomSettings
	// Messages are oldest first, without tombstones, with authors and
	// the replies' model and usage.
	Messages []ChatMessage
	// Truncated is set when older messages were left out.
	Truncated bool
	// At is when the export was made (the service's clock).
	At time.Time
}

// ExportRoom returns the history of a room p can see (NOT_FOUND
// otherwise): anyone who may read a room may export it.
func (s *Service) ExportRoom(ctx context.Context, p Principal, roomID int64) (RoomExport, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return RoomExport{}, err
	}
	out := RoomExport{Room: r, At: s.now().UTC()}
	if r.Assistant && s.AssistantEnabled() {
		rs, err := s.roomSettings(ctx, r.ID)
		if err != nil {
			return RoomExport{}, err
		}
		out.Settings = &rs
	}
	var all []torii.Message // newest first
	before := int64(0)
	for len(all) < MaxRoomExportMessages {
		page, err := s.store.MessagesBefore(ctx, r.ID, before, 100)
		if err != nil {
			return RoomExport{}, err
		}
		for _, m := range page {
			if m.DeletedAt == nil {
				all = append(all, m)
			}
		}
		if len(page) < 100 {
			break
		}
		before = page[len(page)-1].ID
	}
	if len(all) > MaxRoomExportMessages {
		all = all[:MaxRoomExportMessages]
		out.Truncated = true
	} else if len(all) == MaxRoomExportMessages {
		if more, err := s.store.MessagesBefore(ctx, r.ID, all[len(all)-1].ID, 1); err != nil {
			return RoomExport{}, err
		} else {
			out.Truncated = len(more) > 0
		}
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	ms, err := s.withAuthorsOnly(ctx, all)
	if err == nil {
		err = s.withReplyInfo(ctx, ms)
	}
	if err != nil {
		return RoomExport{}, err
	}
	out.Messages = ms
	return out, nil
}
