package sqlstore

import (
	"context"

	"github.com/toriihq/torii"
)

const roomCols = `id, name, visibility, group_id, assistant, created_by, created_at`

func scanRoom(sc scanner) (torii.Room, error) {
	var r torii.Room
	err := sc.Scan(&r.ID, &r.Name, &r.Visibility, &r.GroupID, &r.Assistant, &r.CreatedBy, timeCol{&r.CreatedAt})
	return r, err
}

// CreateRoom implements torii.RoomStore. ErrNotFound if the group or the
// creator does not exist; VALIDATION_ERROR if the visibility is unknown or
// a group is given for a non-group room (or missing for a group room).
func (s *Store) CreateRoom(ctx context.Context, r torii.Room) (torii.Room, error) {
	switch r.Visibility {
	case torii.RoomPublic, torii.RoomPrivate:
		if r.GroupID != nil {
			return torii.Room{}, torii.Invalid(map[string]string{"groupId": "is only for group rooms"})
		}
	case torii.RoomGroup:
		if r.GroupID == nil {
			return torii.Room{}, torii.Invalid(map[string]string{"groupId": "is required"})
		}
	default:
		return torii.Room{}, torii.Invalid(map[string]string{"visibility": "must be public, group or private"})
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	r.CreatedAt = ts(r.CreatedAt)
	err := s.writer().queryRow(ctx, `INSERT INTO rooms (name, visibility, group_id, assistant, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Name, r.Visibility, r.GroupID, r.Assistant, r.CreatedBy, s.f.t(r.CreatedAt)).Scan(&r.ID)
	return r, s.f.err("create room", err)
}

// RoomByID implements torii.RoomStore.
func (s *Store) RoomByID(ctx context.Context, id int64) (torii.Room, error) {
	r, err := scanRoom(s.reader().queryRow(ctx, `SELECT `+roomCols+` FROM rooms WHERE id = ?`, id))
	return r, s.f.err("room by id", err)
}

// RoomsVisibleTo implements torii.RoomStore.
func (s *Store) RoomsVisibleTo(ctx context.Context, userID int64) ([]torii.Room, error) {
	rows, err := s.reader().query(ctx, `SELECT `+roomCols+` FROM rooms r
		WHERE r.visibility = 'public'
		   OR (r.visibility = 'private' AND r.created_by = ?)
		   OR (r.visibility = 'group' AND EXISTS (
		       SELECT 1 FROM group_members gm WHERE gm.group_id = r.group_id AND gm.user_id = ?))
		ORDER BY r.id`, userID, userID)
	if err != nil {
		return nil, s.f.err("rooms visible to", err)
	}
	defer rows.Close()
	out := []torii.Room{}
	for rows.Next() {
		r, err := scanRoom(rows)
		if err != nil {
			return nil, s.f.err("rooms visible to", err)
		}
		out = append(out, r)
	}
	return out, s.f.err("rooms visible to", rows.Err())
}
