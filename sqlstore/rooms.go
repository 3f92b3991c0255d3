package sqlstore

import (
	"context"
	"database/sql"

	"github.com/toriihq/torii"
)

const roomCols = `r.id, r.name, r.visibility, r.group_id, r.assistant, r.created_by, r.created_at,
	r.owner_id, r.topic, r.archived, r.dm_key, r.deleted_at`

func scanRoom(sc scanner, extra ...any) (torii.Room, error) {
	var r torii.Room
	var dm sql.NullString
	dest := append([]any{&r.ID, &r.Name, &r.Visibility, &r.GroupID, &r.Assistant, &r.CreatedBy, timeCol{&r.CreatedAt},
		&r.OwnerID, &r.Topic, &r.Archived, &dm, nullTimeCol{&r.DeletedAt}}, extra...)
	err := sc.Scan(dest...)
	r.DMKey = dm.String
	return r, err
}

// roomVisibleSQL is the rule "user ? can see room r" (issue 17): every
// public room, the group rooms of the user's groups, and the private rooms
// (direct messages included) they are a member of. Binds: the user id,
// twice. Deleted rooms are the caller's to exclude.
const roomVisibleSQL = `(r.visibility = 'public'
	OR (r.visibility = 'private' AND EXISTS (
	    SELECT 1 FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = ?))
	OR (r.visibility = 'group' AND EXISTS (
	    SELECT 1 FROM group_members gm WHERE gm.group_id = r.group_id AND gm.user_id = ?)))`

// CreateRoom implements torii.RoomStore. ErrNotFound if the group or the
// creator does not exist; VALIDATION_ERROR if the visibility is unknown or
// a group is given for a non-group room (or missing for a group room);
// ErrConflict if a live room of the same kind has the name (public rooms;
// group rooms of one group). The creator becomes the owner and a member,
// and the room's room.add event is appended.
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
	if r.OwnerID == nil {
		r.OwnerID = r.CreatedBy
	}
	err := s.inTx(ctx, func(c conn) error {
		return s.insertRoom(ctx, c, &r, nil)
	})
	return r, err
}

// insertRoom inserts r with its owner and the members as members, and
// appends room.add for everyone who can see it.
func (s *Store) insertRoom(ctx context.Context, c conn, r *torii.Room, members []int64) error {
	var dm any
	if r.DMKey != "" {
		dm = r.DMKey
	}
	err := c.queryRow(ctx, `INSERT INTO rooms (name, visibility, group_id, assistant, created_by, created_at, owner_id, topic, archived, dm_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Name, r.Visibility, r.GroupID, r.Assistant, r.CreatedBy, s.f.t(r.CreatedAt), r.OwnerID, r.Topic, r.Archived, dm).Scan(&r.ID)
	if err != nil {
		return s.f.err("create room", err)
	}
	if r.OwnerID != nil {
		members = append([]int64{*r.OwnerID}, members...)
	}
	seen := map[int64]bool{}
	for _, u := range members {
		if seen[u] {
			continue
		}
		seen[u] = true
		if _, err := c.exec(ctx, `INSERT INTO room_members (room_id, user_id, created_at) VALUES (?, ?, ?)`,
			r.ID, u, s.f.t(r.CreatedAt)); err != nil {
			return s.f.err("create room", err)
		}
	}
	return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: r.ID, Kind: torii.ChatRoomAdd, CreatedAt: r.CreatedAt})
}

// RoomByID implements torii.RoomStore: live rooms only.
func (s *Store) RoomByID(ctx context.Context, id int64) (torii.Room, error) {
	r, err := scanRoom(s.reader().queryRow(ctx, `SELECT `+roomCols+` FROM rooms r WHERE r.id = ? AND r.deleted_at IS NULL`, id))
	return r, s.f.err("room by id", err)
}

// RoomsVisibleTo implements torii.RoomStore.
func (s *Store) RoomsVisibleTo(ctx context.Context, userID int64) ([]torii.Room, error) {
	// roomVisibleSQL's three branches, each from its own side (public
	// rooms; the user's room and group memberships, indexed by user)
	// rather than a test of every room: user streams read this at each
	// heartbeat.
	rows, err := s.reader().query(ctx, `SELECT `+roomCols+` FROM rooms r
		WHERE r.deleted_at IS NULL AND r.visibility = 'public'
		UNION ALL
		SELECT `+roomCols+` FROM room_members rm JOIN rooms r ON r.id = rm.room_id
		WHERE rm.user_id = ? AND r.deleted_at IS NULL AND r.visibility = 'private'
		UNION ALL
		SELECT `+roomCols+` FROM group_members gm JOIN rooms r ON r.group_id = gm.group_id
		WHERE gm.user_id = ? AND r.deleted_at IS NULL AND r.visibility = 'group'
		ORDER BY 1`, userID, userID)
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
