-- Mail (issue 12): the durable outbox and e-mail verification tokens.
-- Times are INTEGER unix microseconds, as in 00001.

-- +goose Up
-- A mail is inserted in the transaction of the change that caused it and
-- sent by a background sender, which leases a row (lease_until) before
-- sending so that two instances never send it both. text_body and
-- html_body are cleared once sent.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    to_addr         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT    NOT NULL DEFAULT ''
);
-- The sender's query: pending mails by due time.
CREATE INDEX mail_outbox_pending ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- id is the SHA-256 of the token, never the token. email is the exact
-- address the link was sent to: the token proves that address only.
CREATE TABLE email_verifications (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_verifications_user_id ON email_verifications (user_id);

-- +goose Down
DROP TABLE email_verifications;
DROP TABLE mail_outbox;
