package sqlstore

import "context"

// UserLanguage implements torii.LanguageStore.
func (s *Store) UserLanguage(ctx context.Context, userID int64) (string, error) {
	var lang string
	err := s.reader().queryRow(ctx, `SELECT language FROM users WHERE id = ? AND deleted_at IS NULL`, userID).Scan(&lang)
	return lang, s.f.err("user language", err)
}

// SetUserLanguage implements torii.LanguageStore.
func (s *Store) SetUserLanguage(ctx context.Context, userID int64, lang string) error {
	res, err := s.writer().exec(ctx, `UPDATE users SET language = ? WHERE id = ? AND deleted_at IS NULL`, lang, userID)
	return s.changed("set user language", res, err)
}
