-- Group invitations (issue 12, security.md I.45): nobody joins a group
-- without accepting.

-- +goose Up
-- user_id has no foreign key on purpose: an invitation keeps whatever id
-- the inviter gave, so that inviting an id nobody holds looks exactly like
-- inviting a user (ids cannot be walked to find accounts). An invitation
-- older than the account holding its id is not that account's.
CREATE TABLE group_invitations (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id      BIGINT      NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id       BIGINT      NOT NULL,
    group_role_id BIGINT      NOT NULL REFERENCES group_roles (id),
    invited_by    BIGINT      REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_invitations_user_id ON group_invitations (user_id);

-- +goose Down
DROP TABLE group_invitations;
