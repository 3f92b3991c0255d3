-- Each user's language preference (issue 15): 'en', 'ja', or '' for none,
-- when the browser's own choice (?lang, cookie, Accept-Language) applies.

-- +goose Up
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN language;
