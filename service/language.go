package service

import (
	"context"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/i18n"
)

// DefaultLanguage is TORII_DEFAULT_LANGUAGE ("en" when unset or unknown).
func (s *Service) DefaultLanguage() string {
	if lang, ok := i18n.Parse(s.opts.DefaultLanguage); ok {
		return lang
	}
	return i18n.English
}

// UserLanguage is the user's saved language, "" when none is saved (or it
// cannot be read: the language is a preference, never a reason to fail a
// page).
func (s *Service) UserLanguage(ctx context.Context, userID int64) string {
	lang, err := s.store.UserLanguage(ctx, userID)
	if err != nil {
		return ""
	}
	return lang
}

// SetLanguage saves p's language preference: "en", "ja", or "" to follow
// the browser again. Anything else is VALIDATION_ERROR.
func (s *Service) SetLanguage(ctx context.Context, p Principal, lang string) error {
	if lang != "" && !i18n.Supported(lang) {
		return torii.Invalid(map[string]string{"language": "must be en or ja"})
	}
	return s.store.SetUserLanguage(ctx, p.User.ID, lang)
}

// mailLanguage is the language of mail to userID, who is the reader of
// the request whose language is requestLang (Meta.Lang; "" outside a
// request): their saved preference, else the request's language, else the
// server's default.
func (s *Service) mailLanguage(ctx context.Context, userID int64, requestLang string) string {
	if lang := s.UserLanguage(ctx, userID); lang != "" {
		return lang
	}
	if i18n.Supported(requestLang) {
		return requestLang
	}
	return s.DefaultLanguage()
}
