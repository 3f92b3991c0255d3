-- Tokens for other services (issue 8): the keys JWTs are signed with, and
-- refresh token chains.

-- +goose Up
-- private_key is PKCS#8 DER, stored unencrypted: whoever can read this table
-- (or a backup of it) can sign tokens as torii. See docs/integrate.md.
CREATE TABLE signing_keys (
    id          TEXT        PRIMARY KEY, -- kid: RFC 7638 thumbprint of the public key
    algorithm   TEXT        NOT NULL,
    private_key BYTEA       NOT NULL,
    public_jwk  TEXT        NOT NULL,    -- JSON, as published in the JWKS
    created_at  TIMESTAMPTZ NOT NULL,
    not_after   TIMESTAMPTZ NOT NULL
);

-- id is the SHA-256 of the token, never the token. parent_id has no
-- foreign key: a chain is a record of rotations, and chain_id (the first
-- token's id) is what revocation follows.
CREATE TABLE refresh_tokens (
    id         TEXT        PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chain_id   TEXT        NOT NULL,
    parent_id  TEXT,
    audience   TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    spent_at   TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_chain_id ON refresh_tokens (chain_id);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

-- +goose Down
DROP TABLE refresh_tokens;
DROP TABLE signing_keys;
