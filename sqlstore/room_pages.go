package sqlstore

import (
	"context"

	"github.com/toriihq/torii"
)

// RoomPage implements torii.RoomPageStore. Each room's newest message id
// is one probe of the messages (room_id, id) index.
func (s *Store) RoomPage(ctx context.Context, userID, after int64, limit int) ([]torii.RoomSummary, error) {
	rows, err := s.reader().query(ctx, `SELECT `+roomCols+`,
		       COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.room_id = r.id), 0)
		FROM rooms r
		WHERE r.id > ? AND (r.visibility = 'public'
		   OR (r.visibility = 'private' AND r.created_by = ?)
		   OR (r.visibility = 'group' AND EXISTS (
		       SELECT 1 FROM group_members gm WHERE gm.group_id = r.group_id AND gm.user_id = ?)))
		ORDER BY r.id LIMIT ?`, after, userID, userID, limit)
	if err != nil {
		return nil, s.f.err("room page", err)
	}
	defer rows.Close()
	out := []torii.RoomSummary{}
	for rows.Next() {
		var r torii.RoomSummary
		err := rows.Scan(&r.ID, &r.Name, &r.Visibility, &r.GroupID, &r.Assistant, &r.CreatedBy, timeCol{&r.CreatedAt}, &r.LastMessageID)
		if err != nil {
			return nil, s.f.err("room page", err)
		}
		out = append(out, r)
	}
	return out, s.f.err("room page", rows.Err())
}
