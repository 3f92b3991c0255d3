-- Proof of an address (issue 12).
-- users.tokens_valid_after: the user's token epoch; an access token issued
-- (iat, in whole seconds) at or before it is refused.
-- oauth_states.reauth: the code flow re-authenticates its signed-in user.
-- sessions.auth_at: when the session's user last proved who they are
-- (NULL: at the sign-in that created it, created_at).
-- Emails are compared exactly in their normalised form (torii.NormalizeEmail:
-- NFC, ASCII lower case): lower() would fold Unicode on PostgreSQL (U+212A
-- KELVIN SIGN into "k"), so the unique index is on the stored form.

-- +goose Up
ALTER TABLE users ADD COLUMN tokens_valid_after TIMESTAMPTZ;
ALTER TABLE oauth_states ADD COLUMN reauth BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN auth_at TIMESTAMPTZ;
CREATE UNIQUE INDEX users_email_exact_live ON users (email) WHERE deleted_at IS NULL;
DROP INDEX users_email_live;

-- +goose Down
CREATE UNIQUE INDEX users_email_live ON users (lower(email)) WHERE deleted_at IS NULL;
DROP INDEX users_email_exact_live;
ALTER TABLE sessions DROP COLUMN auth_at;
ALTER TABLE oauth_states DROP COLUMN reauth;
ALTER TABLE users DROP COLUMN tokens_valid_after;
