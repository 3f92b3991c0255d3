package storetest

import (
	"testing"

	"github.com/toriihq/torii"
)

var languageTests = []test{
	{"UserLanguage_StartsEmptyIsStoredAndCleared", testUserLanguage},
}

func testUserLanguage(t *testing.T, s torii.Store) {
	ctx := t.Context()
	ann := newUser(t, s, "ann@example.com")
	if got := must[string](t)(s.UserLanguage(ctx, ann.ID)); got != "" {
		t.Fatalf("a new user's language = %q, want none", got)
	}
	ok(t, s.SetUserLanguage(ctx, ann.ID, "ja"))
	if got := must[string](t)(s.UserLanguage(ctx, ann.ID)); got != "ja" {
		t.Fatalf("language = %q, want ja", got)
	}
	ok(t, s.SetUserLanguage(ctx, ann.ID, ""))
	if got := must[string](t)(s.UserLanguage(ctx, ann.ID)); got != "" {
		t.Fatalf("cleared language = %q", got)
	}
	is(t, s.SetUserLanguage(ctx, 999999, "en"), torii.ErrNotFound)
	_, err := s.UserLanguage(ctx, 999999)
	is(t, err, torii.ErrNotFound)
}
