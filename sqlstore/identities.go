package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/toriihq/torii"
)

const identityCols = `id, user_id, issuer, subject, email, picture, created_at`

func scanIdentity(sc scanner) (torii.Identity, error) {
	var id torii.Identity
	err := sc.Scan(&id.ID, &id.UserID, &id.Issuer, &id.Subject, &id.Email, &id.Picture, timeCol{&id.CreatedAt})
	return id, err
}

// CreateIdentity implements torii.IdentityStore. CreatedAt defaults to now;
// ErrNotFound if the user does not exist. The email is kept as the provider
// gave it: it records what the link was made with.
func (s *Store) CreateIdentity(ctx context.Context, id torii.Identity) (torii.Identity, error) {
	return s.insertIdentity(ctx, s.writer(), id)
}

// insertIdentity inserts an identity on c (a pool or a transaction).
func (s *Store) insertIdentity(ctx context.Context, c conn, id torii.Identity) (torii.Identity, error) {
	if id.CreatedAt.IsZero() {
		id.CreatedAt = s.now()
	}
	id.CreatedAt = ts(id.CreatedAt)
	err := c.queryRow(ctx, `INSERT INTO identities (user_id, issuer, subject, email, picture, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		id.UserID, id.Issuer, id.Subject, id.Email, id.Picture, s.f.t(id.CreatedAt)).Scan(&id.ID)
	if err != nil {
		return torii.Identity{}, s.f.err("create identity", err)
	}
	return id, nil
}

// IdentityBySubject implements torii.IdentityStore.
func (s *Store) IdentityBySubject(ctx context.Context, issuer, subject string) (torii.Identity, error) {
	id, err := scanIdentity(s.reader().queryRow(ctx,
		`SELECT `+identityCols+` FROM identities WHERE issuer = ? AND subject = ?`, issuer, subject))
	return id, s.f.err("identity by subject", err)
}

// IdentitiesByUser implements torii.IdentityStore. A user without
// identities, or no user at all, gets an empty list.
func (s *Store) IdentitiesByUser(ctx context.Context, userID int64) ([]torii.Identity, error) {
	rows, err := s.reader().query(ctx,
		`SELECT `+identityCols+` FROM identities WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, s.f.err("identities by user", err)
	}
	defer rows.Close()
	ids := []torii.Identity{}
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return nil, s.f.err("identities by user", err)
		}
		ids = append(ids, id)
	}
	return ids, s.f.err("identities by user", rows.Err())
}

// DeleteIdentity implements torii.IdentityStore. The user id is part of the
// condition so that a caller can never unlink another user's identity.
// If the account shows the identity's picture, it shows the picture of
// the identity linked last that is left, or none: an unlinked account's
// picture does not stay.
func (s *Store) DeleteIdentity(ctx context.Context, userID, id int64) error {
	return s.inTx(ctx, func(c conn) error {
		var pic string
		err := c.queryRow(ctx, `DELETE FROM identities WHERE id = ? AND user_id = ? RETURNING picture`, id, userID).Scan(&pic)
		if err != nil {
			return s.f.err("delete identity", err)
		}
		if pic == "" {
			return nil
		}
		var next string
		err = c.queryRow(ctx, `SELECT picture FROM identities WHERE user_id = ? AND picture <> ''
			ORDER BY id DESC LIMIT 1`, userID).Scan(&next)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.f.err("delete identity", err)
		}
		_, err = c.exec(ctx, `UPDATE users SET avatar_url = ?, updated_at = ? WHERE id = ? AND avatar_url = ?`,
			next, s.f.t(s.now()), userID, pic)
		return s.f.err("delete identity", err)
	})
}

// SetIdentityPicture implements torii.IdentityStore.
func (s *Store) SetIdentityPicture(ctx context.Context, id int64, picture string) error {
	res, err := s.writer().exec(ctx, `UPDATE identities SET picture = ? WHERE id = ?`, picture, id)
	return s.changed("set identity picture", res, err)
}
