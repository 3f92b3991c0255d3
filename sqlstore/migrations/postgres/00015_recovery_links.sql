-- Issue 19, follow-up: an e-mail change can be confirmed through a link an
-- admin made (no mail configured), and the provider's picture comes back
-- when a user removes the picture they uploaded.

-- +goose Up
-- via is how the change's link reaches the new address's owner: 'mail'
-- (mailed to it) or 'admin' (made by an admin and handed over; a change
-- asked for on a server that sends no mail waits as 'admin' until an
-- admin makes its link).
ALTER TABLE email_changes ADD COLUMN via TEXT NOT NULL DEFAULT 'mail' CHECK (via IN ('mail', 'admin'));

-- picture is the provider's picture (https URL) at the identity's last
-- sign-in, kept even while the user shows an uploaded picture instead.
ALTER TABLE identities ADD COLUMN picture TEXT NOT NULL DEFAULT '';
-- Until the next sign-in, the account's current provider picture stands
-- for each identity's.
UPDATE identities SET picture = (SELECT u.avatar_url FROM users u WHERE u.id = identities.user_id)
WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = identities.user_id AND u.avatar_url LIKE 'https://%');

-- +goose Down
ALTER TABLE identities DROP COLUMN picture;
ALTER TABLE email_changes DROP COLUMN via;
