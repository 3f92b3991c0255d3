package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

// Team chat (issue 17): membership, direct messages, edits, deletions,
// reactions, read markers, the event log and presence.

// eventLockClass is the first key of the advisory lock that serialises
// appends to chat_events on PostgreSQL (the second is 0): identity values
// are handed out before commit, so without it a larger event id could be
// visible, and replayed past, before a smaller one. It is always the last
// lock a transaction takes (after a room's), so the two never deadlock.
const eventLockClass = 0x63686174 // "chat"

func itoa(n int) string { return strconv.Itoa(n) }

// appendEvent appends e to the log, in c's transaction.
func (s *Store) appendEvent(ctx context.Context, c conn, e torii.ChatEvent) error {
	if s.f.lockRoom != "" {
		if _, err := c.exec(ctx, s.f.lockRoom, eventLockClass, int32(0)); err != nil {
			return s.f.err("lock chat events", err)
		}
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	var mid, uid any
	if e.MessageID != 0 {
		mid = e.MessageID
	}
	if e.UserID != 0 {
		uid = e.UserID
	}
	_, err := c.exec(ctx, `INSERT INTO chat_events (room_id, kind, message_id, user_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		e.RoomID, e.Kind, mid, uid, s.f.t(e.CreatedAt))
	return s.f.err("append chat event", err)
}

// RoomMembers implements torii.ChatStore.
func (s *Store) RoomMembers(ctx context.Context, roomID int64) ([]torii.RoomMember, error) {
	rows, err := s.reader().query(ctx, `SELECT u.id, u.name, u.avatar_url, u.email, rm.created_at
		FROM room_members rm JOIN users u ON u.id = rm.user_id
		WHERE rm.room_id = ? AND u.deleted_at IS NULL ORDER BY rm.created_at, u.id`, roomID)
	if err != nil {
		return nil, s.f.err("room members", err)
	}
	defer rows.Close()
	out := []torii.RoomMember{}
	for rows.Next() {
		var m torii.RoomMember
		if err := rows.Scan(&m.UserID, &m.Name, &m.AvatarURL, &m.Email, timeCol{&m.JoinedAt}); err != nil {
			return nil, s.f.err("room members", err)
		}
		out = append(out, m)
	}
	return out, s.f.err("room members", rows.Err())
}

// IsRoomMember implements torii.ChatStore.
func (s *Store) IsRoomMember(ctx context.Context, roomID, userID int64) (bool, error) {
	var n int
	err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM room_members WHERE room_id = ? AND user_id = ?`, roomID, userID).Scan(&n)
	return n > 0, s.f.err("is room member", err)
}

// AddRoomMember implements torii.ChatStore.
func (s *Store) AddRoomMember(ctx context.Context, roomID, userID int64, at time.Time) error {
	return s.inTx(ctx, func(c conn) error {
		if err := s.liveRoom(ctx, c, roomID); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO room_members (room_id, user_id, created_at) VALUES (?, ?, ?)`,
			roomID, userID, s.f.t(at)); err != nil {
			return s.f.err("add room member", err)
		}
		// A new member starts with everything so far read.
		if _, err := c.exec(ctx, `INSERT INTO room_reads (room_id, user_id, message_id, updated_at)
			VALUES (?, ?, COALESCE((SELECT MAX(id) FROM messages WHERE room_id = ?), 0), ?)
			ON CONFLICT (room_id, user_id) DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at
			WHERE excluded.message_id > room_reads.message_id`, roomID, userID, roomID, s.f.t(at)); err != nil {
			return s.f.err("add room member", err)
		}
		return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: roomID, Kind: torii.ChatRoomAdd, UserID: userID, CreatedAt: at})
	})
}

// liveRoom locks a live room's row for the transaction (ErrNotFound if
// there is none).
func (s *Store) liveRoom(ctx context.Context, c conn, roomID int64) error {
	var id int64
	err := c.queryRow(ctx, `SELECT id FROM rooms WHERE id = ? AND deleted_at IS NULL`+s.f.forUpdate, roomID).Scan(&id)
	return s.f.err("room", err)
}

// RemoveRoomMember implements torii.ChatStore.
func (s *Store) RemoveRoomMember(ctx context.Context, roomID, userID int64, at time.Time) error {
	return s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM room_members WHERE room_id = ? AND user_id = ?`, roomID, userID)
		if err := s.changed("remove room member", res, err); err != nil {
			return err
		}
		return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: roomID, Kind: torii.ChatRoomRemove, UserID: userID, CreatedAt: at})
	})
}

// UpdateRoom implements torii.ChatStore.
func (s *Store) UpdateRoom(ctx context.Context, id int64, at time.Time, update func(*torii.Room) error) (torii.Room, error) {
	var r torii.Room
	err := s.inTx(ctx, func(c conn) error {
		var err error
		r, err = scanRoom(c.queryRow(ctx, `SELECT `+roomCols+` FROM rooms r WHERE r.id = ? AND r.deleted_at IS NULL`+s.f.forUpdate, id))
		if err != nil {
			return s.f.err("update room", err)
		}
		if err := update(&r); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `UPDATE rooms SET name = ?, topic = ?, archived = ? WHERE id = ?`,
			r.Name, r.Topic, r.Archived, id); err != nil {
			return s.f.err("update room", err)
		}
		return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: id, Kind: torii.ChatRoomUpdate, CreatedAt: at})
	})
	return r, err
}

// DeleteRoom implements torii.ChatStore. The row stays, nameless, with
// its members, so that ChatEventsFor still shows its room.remove to those
// who could see it.
func (s *Store) DeleteRoom(ctx context.Context, id int64, at time.Time) error {
	return s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE rooms SET deleted_at = ?, name = '', topic = '' WHERE id = ? AND deleted_at IS NULL`, s.f.t(at), id)
		if err := s.changed("delete room", res, err); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM messages WHERE room_id = ?`, `DELETE FROM room_reads WHERE room_id = ?`} {
			if _, err := c.exec(ctx, q, id); err != nil {
				return s.f.err("delete room", err)
			}
		}
		return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: id, Kind: torii.ChatRoomRemove, CreatedAt: at})
	})
}

// DMByKey implements torii.ChatStore.
func (s *Store) DMByKey(ctx context.Context, key string) (torii.Room, error) {
	r, err := scanRoom(s.reader().queryRow(ctx, `SELECT `+roomCols+` FROM rooms r WHERE r.dm_key = ? AND r.deleted_at IS NULL`, key))
	return r, s.f.err("dm by key", err)
}

// CreateDM implements torii.ChatStore. Two racing creations of the same
// DM meet at the unique index: the loser returns the winner's room.
func (s *Store) CreateDM(ctx context.Context, r torii.Room, userIDs []int64) (torii.Room, bool, error) {
	if old, err := s.DMByKey(ctx, r.DMKey); err == nil {
		return old, false, nil
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	r.CreatedAt = ts(r.CreatedAt)
	r.Visibility = torii.RoomPrivate
	err := s.inTx(ctx, func(c conn) error { return s.insertRoom(ctx, c, &r, userIDs) })
	if err == torii.ErrConflict {
		old, err := s.DMByKey(ctx, r.DMKey)
		return old, false, err
	}
	return r, err == nil, err
}

// RoomNameTaken implements torii.ChatStore.
func (s *Store) RoomNameTaken(ctx context.Context, r torii.Room, except int64) (bool, error) {
	var n int
	var err error
	switch r.Visibility {
	case torii.RoomPublic:
		err = s.reader().queryRow(ctx, `SELECT COUNT(*) FROM rooms WHERE visibility = 'public' AND deleted_at IS NULL
			AND lower(name) = lower(?) AND id <> ?`, r.Name, except).Scan(&n)
	case torii.RoomGroup:
		err = s.reader().queryRow(ctx, `SELECT COUNT(*) FROM rooms WHERE visibility = 'group' AND deleted_at IS NULL
			AND group_id = ? AND lower(name) = lower(?) AND id <> ?`, r.GroupID, r.Name, except).Scan(&n)
	}
	return n > 0, s.f.err("room name taken", err)
}

// MessageByID implements torii.ChatStore.
func (s *Store) MessageByID(ctx context.Context, roomID, id int64) (torii.Message, error) {
	m, err := scanMessage(s.reader().queryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE room_id = ? AND id = ?`, roomID, id))
	return m, s.f.err("message by id", err)
}

// inList returns "?, ?, …" for n binds and the ids as arguments.
func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", "), args
}

// idRange returns the smallest and largest of ids and the set of them. A
// page's messages have neighbouring ids, so one range query (the same
// text whatever the page, hence prepared once) reads their reactions or
// mentions; rows of other messages in the range are dropped.
func idRange(ids []int64) (lo, hi int64, want map[int64]bool) {
	want = make(map[int64]bool, len(ids))
	lo, hi = ids[0], ids[0]
	for _, id := range ids {
		lo, hi = min(lo, id), max(hi, id)
		want[id] = true
	}
	return lo, hi, want
}

// MessagesByID implements torii.ChatStore.
func (s *Store) MessagesByID(ctx context.Context, ids []int64) ([]torii.Message, error) {
	if len(ids) == 0 {
		return []torii.Message{}, nil
	}
	q, args := inList(ids)
	return s.messages(ctx, `SELECT `+messageCols+` FROM messages WHERE id IN (`+q+`)`, args...)
}

// EditMessage implements torii.ChatStore.
func (s *Store) EditMessage(ctx context.Context, roomID, id int64, body string, mentions []int64, at time.Time) (torii.Message, error) {
	var m torii.Message
	err := s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE messages SET body = ?, edited_at = ? WHERE room_id = ? AND id = ? AND deleted_at IS NULL`,
			body, s.f.t(at), roomID, id)
		if err := s.changed("edit message", res, err); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM message_mentions WHERE message_id = ?`, id); err != nil {
			return s.f.err("edit message", err)
		}
		for _, u := range mentions {
			if _, err := c.exec(ctx, `INSERT INTO message_mentions (message_id, user_id, room_id) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, id, u, roomID); err != nil {
				return s.f.err("edit message", err)
			}
		}
		if m, err = scanMessage(c.queryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id)); err != nil {
			return s.f.err("edit message", err)
		}
		m.Mentions = mentions
		return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: roomID, Kind: torii.ChatMessageEdit, MessageID: id, CreatedAt: at})
	})
	return m, err
}

// DeleteMessage implements torii.ChatStore.
func (s *Store) DeleteMessage(ctx context.Context, roomID, id int64, at time.Time) (torii.Message, error) {
	var m torii.Message
	err := s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE messages SET body = '', deleted_at = ? WHERE room_id = ? AND id = ? AND deleted_at IS NULL`,
			s.f.t(at), roomID, id)
		if err := s.changed("delete message", res, err); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM message_mentions WHERE message_id = ?`, `DELETE FROM message_reactions WHERE message_id = ?`} {
			if _, err := c.exec(ctx, q, id); err != nil {
				return s.f.err("delete message", err)
			}
		}
		if m, err = scanMessage(c.queryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id)); err != nil {
			return s.f.err("delete message", err)
		}
		return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: roomID, Kind: torii.ChatMessageDelete, MessageID: id, CreatedAt: at})
	})
	return m, err
}

// SetReaction implements torii.ChatStore. The message's row is locked, so
// the distinct-emoji bound holds against concurrent reactions.
func (s *Store) SetReaction(ctx context.Context, roomID, id, userID int64, emoji string, on bool, maxEmoji int, at time.Time) (bool, error) {
	var changed bool
	err := s.inTx(ctx, func(c conn) error {
		var mid int64
		if err := c.queryRow(ctx, `SELECT id FROM messages WHERE room_id = ? AND id = ? AND deleted_at IS NULL`+s.f.forUpdate,
			roomID, id).Scan(&mid); err != nil {
			return s.f.err("set reaction", err)
		}
		var res sql.Result
		var err error
		if on {
			var distinct, same int
			if err := c.queryRow(ctx, `SELECT COUNT(DISTINCT emoji), COUNT(CASE WHEN emoji = ? THEN 1 END)
				FROM message_reactions WHERE message_id = ?`, emoji, id).Scan(&distinct, &same); err != nil {
				return s.f.err("set reaction", err)
			}
			if same == 0 && distinct >= maxEmoji {
				return torii.ErrConflict
			}
			res, err = c.exec(ctx, `INSERT INTO message_reactions (message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, id, userID, emoji, s.f.t(at))
		} else {
			res, err = c.exec(ctx, `DELETE FROM message_reactions WHERE message_id = ? AND user_id = ? AND emoji = ?`, id, userID, emoji)
		}
		n, err := s.affected("set reaction", res, err)
		if err != nil || n == 0 {
			return err
		}
		changed = true
		return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: roomID, Kind: torii.ChatReaction, MessageID: id, CreatedAt: at})
	})
	return changed, err
}

// Reactions implements torii.ChatStore.
func (s *Store) Reactions(ctx context.Context, ids []int64) (map[int64][]torii.Reaction, error) {
	out := map[int64][]torii.Reaction{}
	if len(ids) == 0 {
		return out, nil
	}
	lo, hi, want := idRange(ids)
	rows, err := s.reader().query(ctx, `SELECT message_id, emoji, user_id FROM message_reactions
		WHERE message_id BETWEEN ? AND ? ORDER BY message_id, created_at, user_id`, lo, hi)
	if err != nil {
		return nil, s.f.err("reactions", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mid, uid int64
		var emoji string
		if err := rows.Scan(&mid, &emoji, &uid); err != nil {
			return nil, s.f.err("reactions", err)
		}
		if !want[mid] {
			continue
		}
		list := out[mid]
		i := 0
		for i < len(list) && list[i].Emoji != emoji {
			i++
		}
		if i == len(list) {
			list = append(list, torii.Reaction{Emoji: emoji})
		}
		list[i].UserIDs = append(list[i].UserIDs, uid)
		out[mid] = list
	}
	return out, s.f.err("reactions", rows.Err())
}

// Mentions implements torii.ChatStore.
func (s *Store) Mentions(ctx context.Context, ids []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	lo, hi, want := idRange(ids)
	rows, err := s.reader().query(ctx, `SELECT message_id, user_id FROM message_mentions
		WHERE message_id BETWEEN ? AND ? ORDER BY message_id, user_id`, lo, hi)
	if err != nil {
		return nil, s.f.err("mentions", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mid, uid int64
		if err := rows.Scan(&mid, &uid); err != nil {
			return nil, s.f.err("mentions", err)
		}
		if want[mid] {
			out[mid] = append(out[mid], uid)
		}
	}
	return out, s.f.err("mentions", rows.Err())
}

// MarkRead implements torii.ChatStore. The read event is appended only
// when the marker moved.
func (s *Store) MarkRead(ctx context.Context, roomID, userID, messageID int64, at time.Time) (int64, error) {
	var marker int64
	err := s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `INSERT INTO room_reads (room_id, user_id, message_id, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (room_id, user_id) DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at
			WHERE excluded.message_id > room_reads.message_id`, roomID, userID, messageID, s.f.t(at))
		n, err := s.affected("mark read", res, err)
		if err != nil {
			return err
		}
		if err := c.queryRow(ctx, `SELECT message_id FROM room_reads WHERE room_id = ? AND user_id = ?`, roomID, userID).Scan(&marker); err != nil {
			return s.f.err("mark read", err)
		}
		if n == 0 {
			return nil
		}
		return s.appendEvent(ctx, c, torii.ChatEvent{RoomID: roomID, Kind: torii.ChatRead, MessageID: marker, UserID: userID, CreatedAt: at})
	})
	return marker, err
}

// RoomCounts implements torii.ChatStore.
func (s *Store) RoomCounts(ctx context.Context, roomID, userID int64) (torii.RoomCounts, error) {
	var rc torii.RoomCounts
	err := s.reader().queryRow(ctx, `SELECT
		COALESCE((SELECT rr.message_id FROM room_reads rr WHERE rr.room_id = ? AND rr.user_id = ?), 0)`,
		roomID, userID).Scan(&rc.LastRead)
	if err != nil {
		return rc, s.f.err("room counts", err)
	}
	err = s.reader().queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM messages m WHERE m.room_id = ? AND m.id > ? AND m.deleted_at IS NULL
		     AND (m.user_id IS NULL OR m.user_id <> ?) LIMIT `+itoa(torii.MaxCountedUnread)+`) u),
		(SELECT COUNT(*) FROM message_mentions mm WHERE mm.user_id = ? AND mm.room_id = ? AND mm.message_id > ?)`,
		roomID, rc.LastRead, userID, userID, roomID, rc.LastRead).Scan(&rc.Unread, &rc.Mentions)
	return rc, s.f.err("room counts", err)
}

// ChatEventsFor implements torii.ChatStore. The visibility rule is the
// room list's without its "not deleted" part: a deleted room's
// room.remove reaches those who could see it.
func (s *Store) ChatEventsFor(ctx context.Context, userID, after int64, n int) ([]torii.ChatEvent, error) {
	rows, err := s.reader().query(ctx, `SELECT `+chatEventColumns+`
		FROM chat_events e
		WHERE e.id > ? AND (e.user_id = ? OR (e.user_id IS NULL AND EXISTS (
		      SELECT 1 FROM rooms r WHERE r.id = e.room_id AND `+roomVisibleSQL+`)))
		ORDER BY e.id LIMIT ?`, after, userID, userID, userID, limit(n))
	return s.chatEvents(rows, err)
}

// ChatEventsAfter implements torii.ChatStore.
func (s *Store) ChatEventsAfter(ctx context.Context, after int64, n int) ([]torii.ChatEvent, error) {
	rows, err := s.reader().query(ctx, `SELECT `+chatEventColumns+`
		FROM chat_events e WHERE e.id > ? ORDER BY e.id LIMIT ?`, after, limit(n))
	return s.chatEvents(rows, err)
}

// chatEventColumns are the columns chatEvents scans, in its order.
const chatEventColumns = `e.id, e.room_id, e.kind, COALESCE(e.message_id, 0), COALESCE(e.user_id, 0), e.created_at`

// chatEvents reads the rows of a chatEventColumns query.
func (s *Store) chatEvents(rows *sql.Rows, err error) ([]torii.ChatEvent, error) {
	if err != nil {
		return nil, s.f.err("chat events", err)
	}
	defer rows.Close()
	out := []torii.ChatEvent{}
	for rows.Next() {
		var e torii.ChatEvent
		if err := rows.Scan(&e.ID, &e.RoomID, &e.Kind, &e.MessageID, &e.UserID, timeCol{&e.CreatedAt}); err != nil {
			return nil, s.f.err("chat events", err)
		}
		out = append(out, e)
	}
	return out, s.f.err("chat events", rows.Err())
}

// LastChatEventID implements torii.ChatStore.
func (s *Store) LastChatEventID(ctx context.Context) (int64, error) {
	var id int64
	err := s.reader().queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM chat_events`).Scan(&id)
	return id, s.f.err("last chat event", err)
}

// peopleSQL is "user u is one of the people user ? may see": active, not
// them, and sharing a group or a live room's membership. Binds: the user
// id three times.
const peopleSQL = `u.deleted_at IS NULL AND u.status = 'active' AND u.id <> ? AND (
	EXISTS (SELECT 1 FROM group_members a JOIN group_members b ON b.group_id = a.group_id
	        WHERE a.user_id = ? AND b.user_id = u.id)
	OR EXISTS (SELECT 1 FROM room_members a JOIN room_members b ON b.room_id = a.room_id
	        JOIN rooms r ON r.id = a.room_id
	        WHERE r.deleted_at IS NULL AND a.user_id = ? AND b.user_id = u.id))`

// PeopleVisibleTo implements torii.ChatStore.
func (s *Store) PeopleVisibleTo(ctx context.Context, userID int64, q string, n int) ([]torii.User, error) {
	pattern := "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(strings.ToLower(q)) + "%"
	rows, err := s.reader().query(ctx, `SELECT `+userCols+` FROM users u WHERE `+peopleSQL+`
		AND (lower(u.name) LIKE ? ESCAPE '!' OR lower(u.email) LIKE ? ESCAPE '!')
		ORDER BY lower(u.name), u.id LIMIT ?`, userID, userID, userID, pattern, pattern, limit(n))
	if err != nil {
		return nil, s.f.err("people", err)
	}
	defer rows.Close()
	out := []torii.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.f.err("people", err)
		}
		out = append(out, u)
	}
	return out, s.f.err("people", rows.Err())
}

// CanSeePerson implements torii.ChatStore.
func (s *Store) CanSeePerson(ctx context.Context, userID, other int64) (bool, error) {
	var n int
	err := s.reader().queryRow(ctx, `SELECT COUNT(*) FROM users u WHERE u.id = ? AND `+peopleSQL,
		other, userID, userID, userID).Scan(&n)
	return n > 0, s.f.err("can see person", err)
}

// SetPresence implements torii.ChatStore.
func (s *Store) SetPresence(ctx context.Context, userID int64, instance string, online bool, at time.Time) error {
	if !online {
		_, err := s.writer().exec(ctx, `DELETE FROM chat_presence WHERE user_id = ? AND instance = ?`, userID, instance)
		return s.f.err("presence", err)
	}
	_, err := s.writer().exec(ctx, `INSERT INTO chat_presence (user_id, instance, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id, instance) DO UPDATE SET seen_at = excluded.seen_at`, userID, instance, s.f.t(at))
	return s.f.err("presence", err)
}

// TouchPresence implements torii.ChatStore.
func (s *Store) TouchPresence(ctx context.Context, instance string, at time.Time) error {
	_, err := s.writer().exec(ctx, `UPDATE chat_presence SET seen_at = ? WHERE instance = ?`, s.f.t(at), instance)
	return s.f.err("presence", err)
}

// OnlineUsers implements torii.ChatStore.
func (s *Store) OnlineUsers(ctx context.Context, ids []int64, since time.Time) ([]int64, error) {
	out := []int64{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args := inList(ids)
	rows, err := s.reader().query(ctx, `SELECT DISTINCT user_id FROM chat_presence WHERE seen_at > ? AND user_id IN (`+q+`)
		ORDER BY user_id`, append([]any{s.f.t(since)}, args...)...)
	if err != nil {
		return nil, s.f.err("online users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, s.f.err("online users", err)
		}
		out = append(out, id)
	}
	return out, s.f.err("online users", rows.Err())
}

// MemberRoomIDs implements torii.ChatStore.
func (s *Store) MemberRoomIDs(ctx context.Context, userID int64) ([]int64, error) {
	// From the user's memberships (indexed by user), not from every room:
	// each user stream reads this at each heartbeat.
	rows, err := s.reader().query(ctx, `SELECT r.id FROM room_members rm JOIN rooms r ON r.id = rm.room_id
		WHERE rm.user_id = ? AND r.deleted_at IS NULL AND r.visibility IN ('public', 'private')
		UNION ALL
		SELECT r.id FROM group_members gm JOIN rooms r ON r.group_id = gm.group_id
		WHERE gm.user_id = ? AND r.deleted_at IS NULL AND r.visibility = 'group'
		ORDER BY 1`, userID, userID)
	if err != nil {
		return nil, s.f.err("member rooms", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, s.f.err("member rooms", err)
		}
		out = append(out, id)
	}
	return out, s.f.err("member rooms", rows.Err())
}
