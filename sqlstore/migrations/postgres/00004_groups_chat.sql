-- Groups and roles (seed 003), the database allowlist (issue 4), rooms and
-- messages (issue 5).

-- +goose Up
CREATE TABLE groups (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT        NOT NULL,
    description TEXT        NOT NULL DEFAULT '',
    created_by  BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
-- Group names are unique whatever their case: the default group and a
-- company registered twice must resolve to one group.
CREATE UNIQUE INDEX groups_name ON groups (lower(name));

CREATE TABLE group_roles (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO group_roles (name) VALUES ('owner'), ('admin'), ('member');

CREATE TABLE group_members (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id      BIGINT      NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_role_id BIGINT      NOT NULL REFERENCES group_roles (id),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_members_user_id ON group_members (user_id);

CREATE TABLE allowlist (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pattern    TEXT        NOT NULL UNIQUE, -- normalised: `user@x.com` or `@x.com`
    added_by   BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE rooms (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT        NOT NULL,
    visibility TEXT        NOT NULL CHECK (visibility IN ('public', 'group', 'private')),
    group_id   BIGINT      REFERENCES groups (id) ON DELETE CASCADE,
    assistant  BOOLEAN     NOT NULL DEFAULT FALSE,
    created_by BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CHECK ((visibility = 'group') = (group_id IS NOT NULL))
);
CREATE INDEX rooms_group_id ON rooms (group_id);
CREATE INDEX rooms_created_by ON rooms (created_by);
-- The default public room of a fresh install (issue 5).
INSERT INTO rooms (name, visibility, created_at) VALUES ('general', 'public', to_timestamp(0));

-- id is the SSE event id. An identity only grows, but on PostgreSQL ids are
-- handed out before commit: the store serialises message inserts per room
-- (a transaction-scoped advisory lock, see sqlstore) so that "everything after id N" is a
-- complete replay.
CREATE TABLE messages (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id    BIGINT      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    author     TEXT        NOT NULL CHECK (author IN ('user', 'assistant')),
    body       TEXT        NOT NULL,
    client_id  TEXT,
    reply_to   BIGINT,
    status     TEXT        NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'incomplete', 'error')),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_room_id ON messages (room_id, id);
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, user_id, client_id) WHERE client_id IS NOT NULL;

-- +goose Down
DROP TABLE messages;
DROP TABLE rooms;
DROP TABLE allowlist;
DROP TABLE group_members;
DROP TABLE group_roles;
DROP TABLE groups;
