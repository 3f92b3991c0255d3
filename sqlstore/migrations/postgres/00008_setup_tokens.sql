-- First-run setup links (issue 13): while no admin exists, each instance
-- that starts logs a one-time link whose token makes the user who opens it
-- the first admin. Only the token's SHA-256 is stored, here in the
-- database so that a link logged by one instance works on every instance.

-- +goose Up
CREATE TABLE setup_tokens (
    token_hash TEXT        PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE setup_tokens;
