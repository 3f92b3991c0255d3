-- Gemini for a whole team (issue 18): what each reply cost, token budgets
-- per user and per group, each conversation's model and instruction, the
-- groups a model is limited to, and the replies in flight (so that any
-- instance can replay, stop or fail them).

-- +goose Up
-- One row per request to the model: the counts of its UsageMetadata.
-- message_id is the stored reply (NULL when nothing was stored: a prompt
-- blocked before any text). day is the UTC date of created_at, for the
-- per-day report.
CREATE TABLE assistant_usage (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    room_id           BIGINT      REFERENCES rooms (id) ON DELETE SET NULL,
    message_id        BIGINT      REFERENCES messages (id) ON DELETE SET NULL,
    model             TEXT        NOT NULL,
    prompt_tokens     BIGINT      NOT NULL,
    output_tokens     BIGINT      NOT NULL,
    thoughts_tokens   BIGINT      NOT NULL,
    total_tokens      BIGINT      NOT NULL,
    sources           TEXT        NOT NULL DEFAULT '[]',
    day               TEXT        NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX assistant_usage_user ON assistant_usage (user_id, created_at);
CREATE INDEX assistant_usage_created ON assistant_usage (created_at);
CREATE INDEX assistant_usage_message ON assistant_usage (message_id);

-- Budget overrides: NULL in a period leaves it to the other rules.
CREATE TABLE assistant_user_quotas (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    daily   BIGINT,
    monthly BIGINT
);
CREATE TABLE assistant_group_quotas (
    group_id BIGINT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    daily    BIGINT,
    monthly  BIGINT
);

-- A conversation's own settings; no row means the server's defaults.
CREATE TABLE assistant_rooms (
    room_id       BIGINT  PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    model         TEXT    NOT NULL DEFAULT '',
    system_prompt TEXT    NOT NULL DEFAULT '',
    grounding     BOOLEAN NOT NULL DEFAULT FALSE
);

-- A model with rows here is offered only to members of those groups.
CREATE TABLE assistant_model_groups (
    model    TEXT   NOT NULL,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (model, group_id)
);

-- The reply in flight in a room (at most one): its text so far, and the
-- lease its instance renews; a row whose lease passed was abandoned.
CREATE TABLE assistant_runs (
    room_id        BIGINT      PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    run_id         TEXT        NOT NULL,
    user_id        BIGINT      NOT NULL,
    reply_to       BIGINT      NOT NULL,
    body           TEXT        NOT NULL DEFAULT '',
    stop_requested BOOLEAN     NOT NULL DEFAULT FALSE,
    lease_until    TIMESTAMPTZ NOT NULL,
    started_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX assistant_runs_lease ON assistant_runs (lease_until);

-- +goose Down
DROP TABLE assistant_runs;
DROP TABLE assistant_model_groups;
DROP TABLE assistant_rooms;
DROP TABLE assistant_group_quotas;
DROP TABLE assistant_user_quotas;
DROP TABLE assistant_usage;
