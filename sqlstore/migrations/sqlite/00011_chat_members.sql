-- Team chat (issue 17): room owners, members, topics, archiving and
-- deletion; direct messages; edited and deleted messages (tombstones);
-- reactions, mentions and read markers; the per-user event log that
-- GET /api/v1/events replays; presence from open connections.
-- Times are INTEGER unix microseconds, as in 00001.

-- +goose Up
ALTER TABLE rooms ADD COLUMN owner_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1));
-- A deleted room stays as a tombstone (its messages are gone) so that the
-- event log can still tell its former readers that it went.
ALTER TABLE rooms ADD COLUMN deleted_at INTEGER;
-- A direct-message room is a private room with dm_key set: its members'
-- ids, sorted, joined by commas ("opening a DM with them again reuses it").
ALTER TABLE rooms ADD COLUMN dm_key TEXT;
UPDATE rooms SET owner_id = created_by;

-- Names are unique where two rooms would confuse a user: public rooms, and
-- the rooms of one group. Existing duplicates get their id appended first.
UPDATE rooms SET name = name || ' (' || id || ')'
 WHERE visibility = 'public' AND EXISTS (SELECT 1 FROM rooms r2
       WHERE r2.visibility = 'public' AND lower(r2.name) = lower(rooms.name) AND r2.id < rooms.id);
UPDATE rooms SET name = name || ' (' || id || ')'
 WHERE visibility = 'group' AND EXISTS (SELECT 1 FROM rooms r2
       WHERE r2.visibility = 'group' AND r2.group_id = rooms.group_id AND lower(r2.name) = lower(rooms.name) AND r2.id < rooms.id);
CREATE UNIQUE INDEX rooms_public_name ON rooms (lower(name)) WHERE visibility = 'public' AND deleted_at IS NULL;
CREATE UNIQUE INDEX rooms_group_name ON rooms (group_id, lower(name)) WHERE visibility = 'group' AND deleted_at IS NULL;
CREATE UNIQUE INDEX rooms_dm_key ON rooms (dm_key) WHERE dm_key IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE room_members (
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user_id ON room_members (user_id);
-- Every existing room's creator is a member (a private room was its
-- creator's alone).
INSERT INTO room_members (room_id, user_id, created_at)
SELECT id, created_by, created_at FROM rooms WHERE created_by IS NOT NULL;

-- Read markers, shared by the user's devices: the newest message read.
CREATE TABLE room_reads (
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;

CREATE TABLE message_mentions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id    INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_mentions_user_room ON message_mentions (user_id, room_id, message_id);

CREATE TABLE message_reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

-- The event log of GET /api/v1/events: its id is the stream's event id.
-- Rows name what changed, never the text (read at send time), so a
-- deleted message's text is gone from here too. user_id NULL: for
-- everyone who can see the room; set: for that user only (invited,
-- removed, read marker moved).
CREATE TABLE chat_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    message_id INTEGER,
    user_id    INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX chat_events_room_id ON chat_events (room_id, id);
CREATE INDEX chat_events_user_id ON chat_events (user_id, id);

-- Who has an open user stream, per instance (presence across instances);
-- rows of an instance that died expire with seen_at.
CREATE TABLE chat_presence (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    instance TEXT    NOT NULL,
    seen_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, instance)
);

-- +goose Down
DROP TABLE chat_presence;
DROP TABLE chat_events;
DROP TABLE message_reactions;
DROP TABLE message_mentions;
ALTER TABLE messages DROP COLUMN deleted_at;
ALTER TABLE messages DROP COLUMN edited_at;
DROP TABLE room_reads;
DROP TABLE room_members;
DROP INDEX rooms_dm_key;
DROP INDEX rooms_group_name;
DROP INDEX rooms_public_name;
ALTER TABLE rooms DROP COLUMN dm_key;
ALTER TABLE rooms DROP COLUMN deleted_at;
ALTER TABLE rooms DROP COLUMN archived;
ALTER TABLE rooms DROP COLUMN topic;
ALTER TABLE rooms DROP COLUMN owner_id;
