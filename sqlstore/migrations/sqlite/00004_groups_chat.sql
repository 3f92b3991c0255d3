-- Groups and roles (seed 003), the database allowlist (issue 4), rooms and
-- messages (issue 5). Times are INTEGER unix microseconds, as in 00001.

-- +goose Up
CREATE TABLE groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- Group names are unique whatever their case: the default group and a
-- company registered twice must resolve to one group.
CREATE UNIQUE INDEX groups_name ON groups (lower(name));

CREATE TABLE group_roles (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT    NOT NULL UNIQUE
);
INSERT INTO group_roles (name) VALUES ('owner'), ('admin'), ('member');

CREATE TABLE group_members (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id      INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_role_id INTEGER NOT NULL REFERENCES group_roles (id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_members_user_id ON group_members (user_id);

CREATE TABLE allowlist (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pattern    TEXT    NOT NULL UNIQUE, -- normalised: `user@x.com` or `@x.com`
    added_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    visibility TEXT    NOT NULL CHECK (visibility IN ('public', 'group', 'private')),
    group_id   INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    assistant  INTEGER NOT NULL DEFAULT 0 CHECK (assistant IN (0, 1)),
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    CHECK ((visibility = 'group') = (group_id IS NOT NULL))
);
CREATE INDEX rooms_group_id ON rooms (group_id);
CREATE INDEX rooms_created_by ON rooms (created_by);
-- The default public room of a fresh install (issue 5).
INSERT INTO rooms (name, visibility, created_at) VALUES ('general', 'public', 0);

-- id is the SSE event id: AUTOINCREMENT makes it only grow, never reused.
CREATE TABLE messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    author     TEXT    NOT NULL CHECK (author IN ('user', 'assistant')),
    body       TEXT    NOT NULL,
    client_id  TEXT,
    reply_to   INTEGER, -- the user message an assistant reply answers
    status     TEXT    NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'incomplete', 'error')),
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_room_id ON messages (room_id, id);
-- Idempotent sends: one message per (room, user, clientId).
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, user_id, client_id) WHERE client_id IS NOT NULL;

-- +goose Down
DROP TABLE messages;
DROP TABLE rooms;
DROP TABLE allowlist;
DROP TABLE group_members;
DROP TABLE group_roles;
DROP TABLE groups;
