-- torii as an OpenID Provider (issue 16): registered clients, consents,
-- authorization requests, their one-time codes, and the tokens issued to
-- clients. Lists (URIs, scopes, group ids, amr) are JSON arrays in TEXT.


-- +goose Up
-- secret_hash is NULL for public clients; the secret itself is shown once
-- and never stored. group_ids has no foreign key on purpose: a deleted
-- group then matches nobody instead of opening the client to everyone.
CREATE TABLE oauth_clients (
    id               TEXT    PRIMARY KEY,
    name             TEXT    NOT NULL,
    secret_hash      TEXT,
    redirect_uris    TEXT    NOT NULL,
    post_logout_uris TEXT    NOT NULL,
    public           BOOLEAN NOT NULL DEFAULT FALSE,
    trusted          BOOLEAN NOT NULL DEFAULT FALSE,
    group_ids        TEXT    NOT NULL,
    created_by       BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE oauth_consents (
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE oauth_auth_requests (
    id                    TEXT    PRIMARY KEY,
    client_id             TEXT    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    redirect_uri          TEXT    NOT NULL,
    state                 TEXT    NOT NULL,
    nonce                 TEXT    NOT NULL,
    scopes                TEXT    NOT NULL,
    response_type         TEXT    NOT NULL,
    response_mode         TEXT    NOT NULL,
    code_challenge        TEXT    NOT NULL,
    code_challenge_method TEXT    NOT NULL,
    prompt                TEXT    NOT NULL,
    max_age               BIGINT,
    login_hint            TEXT    NOT NULL,
    hint_subject          TEXT    NOT NULL, -- the sub of a valid id_token_hint
    user_id               BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    session_id            TEXT,
    auth_time             TIMESTAMPTZ,
    amr                   TEXT    NOT NULL,
    done                  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            TIMESTAMPTZ NOT NULL,
    expires_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_auth_requests_expires_at ON oauth_auth_requests (expires_at);

-- id is the SHA-256 of the code. One code per request.
CREATE TABLE oauth_codes (
    id              TEXT    PRIMARY KEY,
    auth_request_id TEXT    NOT NULL UNIQUE REFERENCES oauth_auth_requests (id) ON DELETE CASCADE,
    client_id       TEXT    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    spent_at        TIMESTAMPTZ
);

-- id is the access token's jti, or the SHA-256 of the refresh token.
-- grant_id (the authorization request's id, which may be gone) is what a
-- reused code or refresh token revokes.
CREATE TABLE oauth_tokens (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_id  TEXT    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grant_id   TEXT    NOT NULL,
    parent_id  TEXT,
    scopes     TEXT    NOT NULL,
    auth_time  TIMESTAMPTZ NOT NULL,
    amr        TEXT    NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    spent_at   TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX oauth_tokens_grant_id ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_user_client ON oauth_tokens (user_id, client_id);
CREATE INDEX oauth_tokens_client_id ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_expires_at ON oauth_tokens (expires_at);

-- +goose Down
DROP TABLE oauth_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_auth_requests;
DROP TABLE oauth_consents;
DROP TABLE oauth_clients;
