package torii

import "context"

// LanguageStore keeps each user's language preference (issue 15): "en",
// "ja", or "" for none (the request's own choice then applies). Kept out
// of User so that adding it changed no shared user query.
type LanguageStore interface {
	// UserLanguage returns the user's preference, "" when none is set;
	// ErrNotFound if there is no live user id.
	UserLanguage(ctx context.Context, userID int64) (string, error)
	// SetUserLanguage stores the preference ("" clears it); ErrNotFound if
	// there is no live user id. The caller validates lang.
	SetUserLanguage(ctx context.Context, userID int64, lang string) error
}
