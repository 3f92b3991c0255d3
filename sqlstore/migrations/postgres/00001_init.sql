-- Initial schema (data-model.md). Times are TIMESTAMPTZ (microseconds, UTC
-- on the wire).

-- +goose Up
CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          TEXT        NOT NULL,
    email_verified BOOLEAN     NOT NULL DEFAULT FALSE,
    name           TEXT        NOT NULL DEFAULT '',
    avatar_url     TEXT        NOT NULL DEFAULT '',
    password_hash  TEXT,
    status         TEXT        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    is_first_login BOOLEAN     NOT NULL DEFAULT TRUE,
    last_login_at  TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    deleted_at     TIMESTAMPTZ
);
-- An email is unique whatever its case among users that are not deleted.
CREATE UNIQUE INDEX users_email_live ON users (lower(email)) WHERE deleted_at IS NULL;

CREATE TABLE identities (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer     TEXT        NOT NULL,
    subject    TEXT        NOT NULL,
    email      TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user_id ON identities (user_id);

CREATE TABLE admin_roles (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);
INSERT INTO admin_roles (name, description) VALUES ('admin', 'Manages users, roles and the allowlist.');

CREATE TABLE admin_role_user (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    admin_role_id BIGINT      NOT NULL REFERENCES admin_roles (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, admin_role_id)
);

CREATE TABLE sessions (
    id            TEXT        PRIMARY KEY, -- hash of the cookie token, never the token
    user_id       BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_address    TEXT        NOT NULL DEFAULT '',
    user_agent    TEXT        NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    last_activity TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- user_id has no foreign key: the log is a record that must accept any
-- event, and outlive the rows it mentions.
CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    user_id    BIGINT,
    event      TEXT        NOT NULL,
    email      TEXT        NOT NULL DEFAULT '',
    ip         TEXT        NOT NULL DEFAULT '',
    user_agent TEXT        NOT NULL DEFAULT '',
    detail     JSONB
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
