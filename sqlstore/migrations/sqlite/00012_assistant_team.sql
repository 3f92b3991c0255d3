-- Gemini for a whole team (issue 18): what each reply cost, token budgets
-- per user and per group, each conversation's model and instruction, the
-- groups a model is limited to, and the replies in flight (so that any
-- instance can replay, stop or fail them). Times are INTEGER unix
-- microseconds, as in 00001.

-- +goose Up
-- One row per request to the model: the counts of its UsageMetadata.
-- message_id is the stored reply (NULL when nothing was stored: a prompt
-- blocked before any text). day is the UTC date of created_at, for the
-- per-day report.
CREATE TABLE assistant_usage (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    room_id           INTEGER REFERENCES rooms (id) ON DELETE SET NULL,
    message_id        INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    model             TEXT    NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    output_tokens     INTEGER NOT NULL,
    thoughts_tokens   INTEGER NOT NULL,
    total_tokens      INTEGER NOT NULL,
    sources           TEXT    NOT NULL DEFAULT '[]',
    day               TEXT    NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX assistant_usage_user ON assistant_usage (user_id, created_at);
CREATE INDEX assistant_usage_created ON assistant_usage (created_at);
CREATE INDEX assistant_usage_message ON assistant_usage (message_id);

-- Budget overrides: NULL in a period leaves it to the other rules.
CREATE TABLE assistant_user_quotas (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    daily   INTEGER,
    monthly INTEGER
);
CREATE TABLE assistant_group_quotas (
    group_id INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    daily    INTEGER,
    monthly  INTEGER
);

-- A conversation's own settings; no row means the server's defaults.
CREATE TABLE assistant_rooms (
    room_id       INTEGER PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    model         TEXT    NOT NULL DEFAULT '',
    system_prompt TEXT    NOT NULL DEFAULT '',
    grounding     INTEGER NOT NULL DEFAULT 0 CHECK (grounding IN (0, 1))
);

-- A model with rows here is offered only to members of those groups.
CREATE TABLE assistant_model_groups (
    model    TEXT    NOT NULL,
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (model, group_id)
);

-- The reply in flight in a room (at most one): its text so far, and the
-- lease its instance renews; a row whose lease passed was abandoned.
CREATE TABLE assistant_runs (
    room_id        INTEGER PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    run_id         TEXT    NOT NULL,
    user_id        INTEGER NOT NULL,
    reply_to       INTEGER NOT NULL,
    body           TEXT    NOT NULL DEFAULT '',
    stop_requested INTEGER NOT NULL DEFAULT 0 CHECK (stop_requested IN (0, 1)),
    lease_until    INTEGER NOT NULL,
    started_at     INTEGER NOT NULL
);
CREATE INDEX assistant_runs_lease ON assistant_runs (lease_until);

-- +goose Down
DROP TABLE assistant_runs;
DROP TABLE assistant_model_groups;
DROP TABLE assistant_rooms;
DROP TABLE assistant_group_quotas;
DROP TABLE assistant_user_quotas;
DROP TABLE assistant_usage;
