package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/toriihq/torii"
)

const messageCols = `id, room_id, user_id, author, body, client_id, reply_to, status, created_at, edited_at, deleted_at`

// roomLockClass is the first key of the advisory locks that serialise
// message inserts per room (flavor.lockRoom); the room id is the second.
const roomLockClass = 0x746f7269 // "tori"

func scanMessage(sc scanner) (torii.Message, error) {
	var m torii.Message
	var clientID sql.NullString
	err := sc.Scan(&m.ID, &m.RoomID, &m.UserID, &m.Author, &m.Body, &clientID, &m.ReplyTo, &m.Status, timeCol{&m.CreatedAt},
		nullTimeCol{&m.EditedAt}, nullTimeCol{&m.DeletedAt})
	m.ClientID = clientID.String
	return m, err
}

// CreateMessage implements torii.MessageStore. On SQLite concurrent calls
// are group-committed (groupcommit.go); on PostgreSQL inserts into one room
// take turns under an advisory lock (flavor.lockRoom). ErrNotFound if the
// room (or the user) does not exist.
func (s *Store) CreateMessage(ctx context.Context, m torii.Message) (torii.Message, bool, error) {
	if m.Author == "" {
		m.Author = torii.AuthorUser
	}
	if m.Status == "" {
		m.Status = torii.MessageComplete
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	m.CreatedAt = ts(m.CreatedAt)
	var out torii.Message
	var created bool
	err := s.grouped(ctx, func(ctx context.Context, c conn) error {
		var err error
		out, created, err = s.insertMessage(ctx, c, m)
		return err
	})
	return out, created, err
}

func (s *Store) insertMessage(ctx context.Context, c conn, m torii.Message) (torii.Message, bool, error) {
	if s.f.lockRoom != "" {
		if _, err := c.exec(ctx, s.f.lockRoom, roomLockClass, int32(m.RoomID)); err != nil {
			return m, false, s.f.err("lock room", err)
		}
	}
	var clientID any
	if m.ClientID != "" {
		clientID = m.ClientID
	}
	err := c.queryRow(ctx, `INSERT INTO messages (room_id, user_id, author, body, client_id, reply_to, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_id, user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
		RETURNING id`,
		m.RoomID, m.UserID, m.Author, m.Body, clientID, m.ReplyTo, m.Status, s.f.t(m.CreatedAt)).Scan(&m.ID)
	if err == nil {
		// The mentions and the log entry go in the same transaction:
		// a stream woken for the message finds both.
		for _, u := range m.Mentions {
			if _, err := c.exec(ctx, `INSERT INTO message_mentions (message_id, user_id, room_id) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, m.ID, u, m.RoomID); err != nil {
				return m, false, s.f.err("create message", err)
			}
		}
		err := s.appendEvent(ctx, c, torii.ChatEvent{RoomID: m.RoomID, Kind: torii.ChatMessage, MessageID: m.ID, CreatedAt: m.CreatedAt})
		return m, err == nil, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return m, false, s.f.err("create message", err)
	}
	// The (room, user, clientId) was seen: the first message is the answer.
	old, err := scanMessage(c.queryRow(ctx, `SELECT `+messageCols+` FROM messages
		WHERE room_id = ? AND user_id = ? AND client_id = ?`, m.RoomID, m.UserID, m.ClientID))
	return old, false, s.f.err("create message", err)
}

// MessagesBefore implements torii.MessageStore.
func (s *Store) MessagesBefore(ctx context.Context, roomID, before int64, n int) ([]torii.Message, error) {
	if before <= 0 {
		return s.messages(ctx, `SELECT `+messageCols+` FROM messages WHERE room_id = ?
			ORDER BY id DESC LIMIT ?`, roomID, limit(n))
	}
	return s.messages(ctx, `SELECT `+messageCols+` FROM messages WHERE room_id = ? AND id < ?
		ORDER BY id DESC LIMIT ?`, roomID, before, limit(n))
}

// MessagesAfter implements torii.MessageStore.
func (s *Store) MessagesAfter(ctx context.Context, roomID, after int64, n int) ([]torii.Message, error) {
	return s.messages(ctx, `SELECT `+messageCols+` FROM messages WHERE room_id = ? AND id > ?
		ORDER BY id LIMIT ?`, roomID, after, limit(n))
}

func (s *Store) messages(ctx context.Context, q string, args ...any) ([]torii.Message, error) {
	rows, err := s.reader().query(ctx, q, args...)
	if err != nil {
		return nil, s.f.err("messages", err)
	}
	defer rows.Close()
	out := []torii.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, s.f.err("messages", err)
		}
		out = append(out, m)
	}
	return out, s.f.err("messages", rows.Err())
}
