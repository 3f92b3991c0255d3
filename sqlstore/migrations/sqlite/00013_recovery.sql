-- Accounts people can recover (issue 19): password reset links, invitations
-- by e-mail, and e-mail changes confirmed from the new address. Every token
-- is stored as its SHA-256 (hex) only, so a copy of the database holds no
-- usable link. Times are INTEGER unix microseconds, as in 00001.

-- +goose Up
-- email is the address the link was made for: a reset works only while the
-- account still has it. via is 'mail' (sent to the address: using it proves
-- the address) or 'admin' (handed over by other means: it proves nothing).
CREATE TABLE password_resets (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    via        TEXT    NOT NULL CHECK (via IN ('mail', 'admin')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_user_id ON password_resets (user_id);

-- An invitation lets one address register (even with signup closed) into
-- the groups it names (group_ids: a JSON array of ids), with the admin role
-- if asked. It is deleted when it is used or revoked.
CREATE TABLE invitations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT    NOT NULL UNIQUE,
    email      TEXT    NOT NULL,
    group_ids  TEXT    NOT NULL, -- JSON array
    admin      INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    invited_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX invitations_email ON invitations (email);

-- A change of address waits here until the new address's owner opens the
-- link; it applies only if the account still has old_email.
CREATE TABLE email_changes (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    old_email  TEXT    NOT NULL,
    new_email  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_changes_user_id ON email_changes (user_id);

-- A picture a user uploaded, re-encoded as PNG by torii (never the bytes
-- as sent), served from /avatars/{user_id}.
CREATE TABLE user_avatars (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    data       BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE user_avatars;
DROP TABLE email_changes;
DROP TABLE invitations;
DROP TABLE password_resets;
