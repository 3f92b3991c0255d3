package sqlstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/toriihq/torii"
)

const signingKeyCols = `id, algorithm, private_key, public_jwk, created_at, not_after`

func scanSigningKey(sc scanner) (torii.SigningKey, error) {
	var (
		k   torii.SigningKey
		pub string
		pk  []byte
	)
	err := sc.Scan(&k.ID, &k.Algorithm, &pk, &pub, timeCol{&k.CreatedAt}, timeCol{&k.NotAfter})
	k.PrivateKey, k.PublicJWK = pk, []byte(pub)
	return k, err
}

// SigningKeys implements torii.KeyStore.
func (s *Store) SigningKeys(ctx context.Context) ([]torii.SigningKey, error) {
	return s.listSigningKeys(ctx, s.reader())
}

func (s *Store) listSigningKeys(ctx context.Context, c conn) ([]torii.SigningKey, error) {
	rows, err := c.query(ctx, `SELECT `+signingKeyCols+` FROM signing_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, s.f.err("signing keys", err)
	}
	defer rows.Close()
	keys := []torii.SigningKey{}
	for rows.Next() {
		k, err := scanSigningKey(rows)
		if err != nil {
			return nil, s.f.err("signing keys", err)
		}
		keys = append(keys, k)
	}
	return keys, s.f.err("signing keys", rows.Err())
}

// UpdateSigningKeys implements torii.KeyStore. On PostgreSQL the table is
// locked against other writers for the transaction (a row lock would not
// do: the race that matters most is on an empty table, at first start); on
// SQLite the writer's BEGIN IMMEDIATE is that lock, across processes too.
func (s *Store) UpdateSigningKeys(ctx context.Context, update func([]torii.SigningKey) ([]torii.SigningKey, error)) ([]torii.SigningKey, error) {
	var out []torii.SigningKey
	err := s.inTx(ctx, func(c conn) error {
		if s.f.lockTable != "" {
			if _, err := c.exec(ctx, fmt.Sprintf(s.f.lockTable, "signing_keys")); err != nil {
				return s.f.err("lock signing keys", err)
			}
		}
		old, err := s.listSigningKeys(ctx, c)
		if err != nil {
			return err
		}
		next, err := update(cloneKeys(old))
		if err != nil {
			return err
		}
		if err := s.applyKeys(ctx, c, old, next); err != nil {
			return err
		}
		out, err = s.listSigningKeys(ctx, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyKeys writes the difference between the stored keys and next.
func (s *Store) applyKeys(ctx context.Context, c conn, old, next []torii.SigningKey) error {
	stored := make(map[string]torii.SigningKey, len(old))
	for _, k := range old {
		stored[k.ID] = k
	}
	kept := make(map[string]bool, len(next))
	for _, k := range next {
		if err := validKey(k); err != nil {
			return err
		}
		if kept[k.ID] {
			return torii.Invalid(map[string]string{"id": "is repeated"})
		}
		kept[k.ID] = true
		was, ok := stored[k.ID]
		switch {
		case !ok:
			_, err := c.exec(ctx, `INSERT INTO signing_keys (`+signingKeyCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
				k.ID, k.Algorithm, []byte(k.PrivateKey), string(k.PublicJWK), s.f.t(k.CreatedAt), s.f.t(k.NotAfter))
			if err != nil {
				return s.f.err("insert signing key", err)
			}
		case !ts(was.NotAfter).Equal(ts(k.NotAfter)):
			_, err := c.exec(ctx, `UPDATE signing_keys SET not_after = ? WHERE id = ?`, s.f.t(k.NotAfter), k.ID)
			if err != nil {
				return s.f.err("update signing key", err)
			}
		}
	}
	for _, k := range old {
		if !kept[k.ID] {
			if _, err := c.exec(ctx, `DELETE FROM signing_keys WHERE id = ?`, k.ID); err != nil {
				return s.f.err("delete signing key", err)
			}
		}
	}
	return nil
}

func validKey(k torii.SigningKey) error {
	fields := map[string]string{}
	if strings.TrimSpace(k.ID) == "" {
		fields["id"] = "is required"
	}
	if k.Algorithm == "" {
		fields["algorithm"] = "is required"
	}
	if len(k.PrivateKey) == 0 {
		fields["privateKey"] = "is required"
	}
	if len(bytes.TrimSpace(k.PublicJWK)) == 0 {
		fields["publicJwk"] = "is required"
	}
	if len(fields) > 0 {
		return torii.Invalid(fields)
	}
	return nil
}

// cloneKeys copies keys deeply enough that update cannot change what the
// store compares against.
func cloneKeys(keys []torii.SigningKey) []torii.SigningKey {
	out := slices.Clone(keys)
	for i := range out {
		out[i].PrivateKey = slices.Clone(out[i].PrivateKey)
		out[i].PublicJWK = slices.Clone(out[i].PublicJWK)
	}
	return out
}
