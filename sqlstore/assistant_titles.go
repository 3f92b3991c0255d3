package sqlstore

import "context"

// MarkAutoTitle implements torii.AssistantTitleStore.
func (s *Store) MarkAutoTitle(ctx context.Context, roomID int64) error {
	_, err := s.writer().exec(ctx, `INSERT INTO assistant_rooms (room_id, auto_title) VALUES (?, ?)
		ON CONFLICT (room_id) DO UPDATE SET auto_title = excluded.auto_title`, roomID, true)
	return s.f.err("mark auto title", err)
}

// TakeAutoTitle implements torii.AssistantTitleStore: one conditional
// UPDATE, so two callers cannot both see the mark.
func (s *Store) TakeAutoTitle(ctx context.Context, roomID int64) (bool, error) {
	res, err := s.writer().exec(ctx, `UPDATE assistant_rooms SET auto_title = ? WHERE room_id = ? AND auto_title = ?`,
		false, roomID, true)
	n, err := s.affected("take auto title", res, err)
	return n > 0, err
}
