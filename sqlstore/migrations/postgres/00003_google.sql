-- Google (OpenID) sign-in: the authorization-code flows in progress. A row
-- is consumed (deleted) by the callback that finishes its flow, so a state
-- works once, on any instance sharing the database.

-- +goose Up
CREATE TABLE oauth_states (
    id           TEXT        PRIMARY KEY, -- SHA-256 of the state parameter
    binding      TEXT        NOT NULL,    -- SHA-256 of the browser's binding cookie
    nonce        TEXT        NOT NULL,
    verifier     TEXT        NOT NULL,    -- PKCE code verifier
    next         TEXT        NOT NULL DEFAULT '/',
    link_user_id BIGINT      REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

-- +goose Down
DROP TABLE oauth_states;
