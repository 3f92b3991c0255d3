-- Initial schema (data-model.md). Times are INTEGER unix microseconds in
-- UTC: exact at PostgreSQL's precision and ordered like the times they hold.
-- Ids use AUTOINCREMENT so that, as on PostgreSQL, an id is never reused
-- after its row is deleted.

-- +goose Up
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT    NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    name           TEXT    NOT NULL DEFAULT '',
    avatar_url     TEXT    NOT NULL DEFAULT '',
    password_hash  TEXT,
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    is_first_login INTEGER NOT NULL DEFAULT 1 CHECK (is_first_login IN (0, 1)),
    last_login_at  INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER
);
-- An email is unique whatever its case among users that are not deleted.
CREATE UNIQUE INDEX users_email_live ON users (lower(email)) WHERE deleted_at IS NULL;

CREATE TABLE identities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    email      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user_id ON identities (user_id);

CREATE TABLE admin_roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);
INSERT INTO admin_roles (name, description) VALUES ('admin', 'Manages users, roles and the allowlist.');

CREATE TABLE admin_role_user (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    admin_role_id INTEGER NOT NULL REFERENCES admin_roles (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    UNIQUE (user_id, admin_role_id)
);

CREATE TABLE sessions (
    id            TEXT    PRIMARY KEY, -- hash of the cookie token, never the token
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_address    TEXT    NOT NULL DEFAULT '',
    user_agent    TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    last_activity INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- user_id has no foreign key: the log is a record that must accept any
-- event, and outlive the rows it mentions.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    user_id    INTEGER,
    event      TEXT    NOT NULL,
    email      TEXT    NOT NULL DEFAULT '',
    ip         TEXT    NOT NULL DEFAULT '',
    user_agent TEXT    NOT NULL DEFAULT '',
    detail     TEXT -- JSON object
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user_id ON audit_log (user_id);
CREATE INDEX audit_log_event ON audit_log (event);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE admin_role_user;
DROP TABLE admin_roles;
DROP TABLE identities;
DROP TABLE users;
