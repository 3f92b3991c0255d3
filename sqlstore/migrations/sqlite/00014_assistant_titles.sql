-- Gemini conversations named after their first exchange (issue 18, part
-- 5): auto_title marks a conversation whose name is a placeholder, to be
-- replaced by a generated title after its first reply (and cleared when
-- that happens, or when its owner renames it first).

-- +goose Up
ALTER TABLE assistant_rooms ADD COLUMN auto_title INTEGER NOT NULL DEFAULT 0 CHECK (auto_title IN (0, 1));

-- +goose Down
ALTER TABLE assistant_rooms DROP COLUMN auto_title;
