package sqlstore

import (
	"context"

	"github.com/toriihq/torii"
)

// RoomPage implements torii.RoomPageStore. Each room's newest message id
// is one probe of the messages (room_id, id) index; the unread count reads
// at most MaxCountedUnread index entries after the marker, and the
// mentions one range of message_mentions (user_id, room_id, message_id).
func (s *Store) RoomPage(ctx context.Context, userID, after int64, limit int) ([]torii.RoomSummary, error) {
	rows, err := s.reader().query(ctx, `SELECT `+roomCols+`,
		       COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.room_id = r.id), 0),
		       (SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE m.room_id = r.id
		            AND m.id > COALESCE((SELECT rr.message_id FROM room_reads rr WHERE rr.room_id = r.id AND rr.user_id = ?), 0)
		            AND m.deleted_at IS NULL AND (m.user_id IS NULL OR m.user_id <> ?) LIMIT `+itoa(torii.MaxCountedUnread)+`) u),
		       (SELECT COUNT(*) FROM message_mentions mm WHERE mm.user_id = ? AND mm.room_id = r.id
		            AND mm.message_id > COALESCE((SELECT rr.message_id FROM room_reads rr WHERE rr.room_id = r.id AND rr.user_id = ?), 0))
		FROM rooms r
		WHERE r.id > ? AND r.deleted_at IS NULL AND `+roomVisibleSQL+`
		ORDER BY r.id LIMIT ?`, userID, userID, userID, userID, after, userID, userID, limit)
	if err != nil {
		return nil, s.f.err("room page", err)
	}
	defer rows.Close()
	out := []torii.RoomSummary{}
	for rows.Next() {
		var r torii.RoomSummary
		r.Room, err = scanRoom(rows, &r.LastMessageID, &r.Unread, &r.Mentions)
		if err != nil {
			return nil, s.f.err("room page", err)
		}
		out = append(out, r)
	}
	return out, s.f.err("room page", rows.Err())
}
