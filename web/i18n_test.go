package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/i18n"
	"github.com/toriihq/torii/testserver"
)

// Issue 15: the language of a page is ?lang=, then the torii_lang cookie,
// then the signed-in user's preference, then Accept-Language, then
// TORII_DEFAULT_LANGUAGE; <html lang> says which; unknown values fall back.

var htmlLang = regexp.MustCompile(`<html lang="([a-z]+)">`)

func pageLang(t *testing.T, r *testserver.Response) string {
	t.Helper()
	m := htmlLang.FindSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("got %d without <html lang>: %.300s", r.Status, r.Body)
	}
	return string(m[1])
}

func TestLanguage_ChosenInOrderQueryCookiePreferenceHeaderDefault(t *testing.T) {
	srv := start(t, map[string]string{"TORII_DEFAULT_LANGUAGE": "ja"})
	anon := srv.Client(t)
	for _, c := range []struct {
		name, path string
		headers    []string
		want       string
	}{
		{"the default", "/login", nil, "ja"},
		{"Accept-Language over the default", "/login", []string{"Accept-Language", "en-US,en;q=0.9"}, "en"},
		{"Accept-Language ja-JP", "/login", []string{"Accept-Language", "ja-JP,ja;q=0.9"}, "ja"},
		{"an unsupported Accept-Language falls back to the default", "/login", []string{"Accept-Language", "fr-FR"}, "ja"},
		{"a broken Accept-Language falls back", "/login", []string{"Accept-Language", ";;;=q"}, "ja"},
		{"an unknown ?lang falls back", "/login?lang=xx", []string{"Accept-Language", "en"}, "en"},
		{"an unknown cookie falls back", "/login", []string{"Accept-Language", "en", "Cookie", "torii_lang=fr"}, "en"},
		{"the cookie over Accept-Language", "/login", []string{"Accept-Language", "en", "Cookie", "torii_lang=ja"}, "ja"},
		{"?lang over the cookie", "/login?lang=en", []string{"Cookie", "torii_lang=ja"}, "en"},
	} {
		if got := pageLang(t, anon.Do("GET", c.path, nil, c.headers...)); got != c.want {
			t.Errorf("%s: <html lang=%q>, want %q", c.name, got, c.want)
		}
	}

	// The saved preference comes after ?lang and the cookie, before
	// Accept-Language.
	ann := signedIn(t, srv, "ann@example.com")
	wantStatus(t, "save en", ann.Do("PATCH", "/api/v1/me", map[string]string{"language": "en"}), http.StatusOK)
	if got := pageLang(t, ann.Do("GET", "/account", nil, "Accept-Language", "ja")); got != "en" {
		t.Errorf("the preference (en) lost to Accept-Language: %s", got)
	}
	if got := pageLang(t, ann.Do("GET", "/account?lang=ja", nil)); got != "ja" {
		t.Errorf("?lang=ja lost to the preference: %s", got)
	}
	// ?lang= is remembered in the cookie, which then comes first.
	if got := pageLang(t, ann.Do("GET", "/account", nil)); got != "ja" {
		t.Errorf("the torii_lang cookie of ?lang=ja lost to the preference: %s", got)
	}
}

func TestLanguage_QuerySetsTheCookieOnAnyPage(t *testing.T) {
	srv := start(t, nil)
	r := srv.Client(t).Do("GET", "/register?lang=ja", nil)
	c := r.Header.Get("Set-Cookie")
	if !strings.Contains(c, "torii_lang=ja") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "Max-Age=") {
		t.Fatalf("Set-Cookie %q, want a lasting torii_lang=ja", c)
	}
	if r := srv.Client(t).Do("GET", "/register?lang=de", nil); r.Header.Get("Set-Cookie") != "" {
		t.Fatalf("an unknown ?lang set %q", r.Header.Get("Set-Cookie"))
	}
}

func TestLanguage_PatchMeSavesThePreferenceAndRefusesUnknownOnes(t *testing.T) {
	srv := start(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	if got := me(t, ann)["language"]; got != "" {
		t.Fatalf("a new user's language = %v, want \"\"", got)
	}
	r := ann.Do("PATCH", "/api/v1/me", map[string]string{"language": "ja"}, "Cookie", "torii_lang=en")
	wantStatus(t, "PATCH ja", r, http.StatusOK)
	if r.JSON()["language"] != "ja" || me(t, ann)["language"] != "ja" {
		t.Fatalf("PATCH answered %s; GET /me language %v", r.Body, me(t, ann)["language"])
	}
	if c := r.Header.Get("Set-Cookie"); !strings.Contains(c, "torii_lang=;") || !strings.Contains(c, "Max-Age=0") {
		t.Errorf("saving a preference kept the torii_lang cookie that hides it: %q", c)
	}
	r = ann.Do("PATCH", "/api/v1/me?lang=en", map[string]string{"language": "fr"})
	wantError(t, r, http.StatusUnprocessableEntity, torii.EValidation)
	if f := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)["language"]; f != "must be en or ja" {
		t.Errorf("fields.language = %v", f)
	}
	wantError(t, ann.Do("PATCH", "/api/v1/me", map[string]any{}), http.StatusUnprocessableEntity, torii.EValidation)
	wantError(t, srv.Client(t).Do("PATCH", "/api/v1/me", map[string]string{"language": "ja"}), http.StatusUnauthorized, torii.EUnauthorized)
	// "" follows the browser again.
	wantStatus(t, "PATCH \"\"", ann.Do("PATCH", "/api/v1/me", map[string]string{"language": ""}), http.StatusOK)
	if got := pageLang(t, ann.Do("GET", "/account", nil, "Accept-Language", "en")); got != "en" {
		t.Errorf("after clearing the preference: %s", got)
	}

	// The /account form saves it too, and the page answers in it.
	r = postForm(ann, "/account/language", url.Values{"language": {"ja"}, "next": {"/account?language=1"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account?language=1" {
		t.Fatalf("form: %d %q", r.Status, r.Header.Get("Location"))
	}
	wantPage(t, ann.Do("GET", "/account?language=1", nil), http.StatusOK, `<html lang="ja">`, "言語を保存しました。")
	wantPage(t, postForm(ann, "/account/language", url.Values{"language": {"xx"}}), http.StatusUnprocessableEntity, "en か ja を指定してください。")
}

// API errors: the same code in both languages, the message and the
// validation fields in the reader's language, the user's preference
// included.
func TestLanguage_APIErrorsKeepTheirCodeAndSpeakTheReadersLanguage(t *testing.T) {
	srv := start(t, nil)
	registerUser(t, srv.Client(t), "ann@example.com", "Ann")
	for _, c := range []struct {
		lang, message string
	}{
		{"en", "Wrong email or password."},
		{"ja", "メールアドレスまたはパスワードが正しくありません。"},
	} {
		r := srv.Client(t).Do("POST", "/api/v1/auth/login", map[string]string{"email": "ann@example.com", "password": "wrong password!"},
			"Accept-Language", c.lang)
		wantError(t, r, http.StatusUnauthorized, torii.EInvalidCredentials)
		if got := r.JSON()["error"].(map[string]any)["message"]; got != c.message {
			t.Errorf("%s: message %q, want %q", c.lang, got, c.message)
		}
	}

	// Validation: fields too.
	r := srv.Client(t).Do("POST", "/api/v1/auth/register", map[string]string{"email": "", "password": "x", "name": ""}, "Accept-Language", "ja")
	wantError(t, r, http.StatusUnprocessableEntity, torii.EValidation)
	e := r.JSON()["error"].(map[string]any)
	if e["message"] != "入力内容に誤りがあります。" || e["fields"].(map[string]any)["email"] != "入力してください。" {
		t.Errorf("Japanese validation error: %s", r.Body)
	}

	// A formatted message (Errorf with %s) and a rate limit keep their
	// argument; an unknown message falls back to its code's.
	ann := signedIn(t, srv, "bob@example.com")
	wantStatus(t, "save ja", ann.Do("PATCH", "/api/v1/me", map[string]string{"language": "ja"}), http.StatusOK)
	r = ann.Do("GET", "/api/v1/rooms/999999/messages", nil)
	if code := r.ErrorCode(); code != torii.ENotFound {
		t.Fatalf("room 999999: %s", r.Body)
	}
	if msg := r.JSON()["error"].(map[string]any)["message"].(string); !isJapanese(msg) {
		t.Errorf("the user's preference (ja) did not reach the API error: %q", msg)
	}
	r = ann.Do("POST", "/api/v1/rooms", "{", "Accept-Language", "en")
	wantError(t, r, http.StatusBadRequest, torii.EBadRequest)
	if msg := r.JSON()["error"].(map[string]any)["message"].(string); msg != "リクエストの本文が正しい JSON ではありません。" {
		t.Errorf("bad JSON for a ja user: %q", msg)
	}
}

var kana = regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)

func isJapanese(s string) bool { return kana.MatchString(s) }

// englishFragments are the catalog's English texts, as they would appear
// in a page: split at {{.Fields}} and markup, keeping the pieces with a
// word of letters. Texts the same in both languages (brands, autonyms)
// are left out.
func englishFragments() []string {
	field := regexp.MustCompile(`\{\{[^}]*\}\}|<[^>]*>`)
	word := regexp.MustCompile(`[A-Za-z]{2,}`)
	var out []string
	for _, k := range i18n.Keys(i18n.English) {
		en, ja := i18n.Text(i18n.English, k), i18n.Text(i18n.Japanese, k)
		if slices.Equal(en, ja) || strings.HasPrefix(k, "time.layout") {
			continue
		}
		for _, s := range en {
			if slices.Contains(ja, s) {
				continue
			}
			for _, f := range field.Split(s, -1) {
				f = strings.Trim(f, " ,.:;()?!")
				// Names kept in the translation (Gemini, TORII_…) are not English.
				if slices.ContainsFunc(ja, func(j string) bool { return strings.Contains(j, f) }) {
					continue
				}
				// The default group's name ("everyone") is data, shown as is.
				if len(f) >= 4 && word.MatchString(f) && f != config.DefaultGroupName {
					out = append(out, f)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var (
	scriptOrStyle = regexp.MustCompile(`(?is)<(script|style)\b[^>]*>.*?</(script|style)>`)
	visibleAttr   = regexp.MustCompile(`(?i)\b(?:placeholder|title|alt|aria-label|data-confirm)="([^"]*)"`)
	anyTag        = regexp.MustCompile(`(?s)<[^>]*>`)
)

// visibleText is what a reader of the page sees or hears: text and the
// labelling attributes, no scripts or data.
func visibleText(page []byte) string {
	s := scriptOrStyle.ReplaceAllString(string(page), " ")
	var b strings.Builder
	for _, m := range visibleAttr.FindAllStringSubmatch(s, -1) {
		b.WriteString(m[1] + "\n")
	}
	b.WriteString(anyTag.ReplaceAllString(s, "\n"))
	return html.UnescapeString(b.String())
}

// englishLeft lists the catalog's English fragments found in text, as
// whole words.
func englishLeft(text string, fragments []string) []string {
	var left []string
	for _, f := range fragments {
		// Codes such as group.member.set and granted=admin are data.
		re := regexp.MustCompile(`(^|[^A-Za-z._=])` + regexp.QuoteMeta(f) + `($|[^A-Za-z._=])`)
		if re.MatchString(text) {
			left = append(left, f)
		}
	}
	return left
}

// Every server-rendered page, read with Accept-Language: ja, shows no
// English sentence of the catalog (the chat and admin pages' JavaScript
// is checked in a real browser: e2e/i18n_test.go).
func TestPages_JapaneseReaderSeesNoEnglishSentence(t *testing.T) {
	fragments := englishFragments()
	if len(fragments) < 100 {
		t.Fatalf("only %d English fragments: the detector is broken", len(fragments))
	}
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	ann := signedIn(t, srv, "ann@example.com")
	anon := srv.Client(t)
	ja := []string{"Accept-Language", "ja-JP,ja;q=0.9"}

	for _, c := range []struct {
		name   string
		client *testserver.Client
		method string
		path   string
		form   url.Values
		status int
	}{
		{"login", anon, "GET", "/login", nil, http.StatusOK},
		{"login error", anon, "POST", "/login", url.Values{"email": {"ann@example.com"}, "password": {"wrong password!"}}, http.StatusUnauthorized},
		{"login fields", anon, "POST", "/login", url.Values{}, http.StatusUnprocessableEntity},
		{"register", anon, "GET", "/register", nil, http.StatusOK},
		{"register fields", anon, "POST", "/register", url.Values{"email": {"x"}}, http.StatusUnprocessableEntity},
		{"signed out", anon, "GET", "/login?signedout=1", nil, http.StatusOK},
		{"setup done", anon, "GET", "/setup", nil, http.StatusConflict},
		{"verify without token", anon, "GET", "/verify-email", nil, http.StatusOK},
		{"verify with token", anon, "GET", "/verify-email?token=abc", nil, http.StatusOK},
		{"verify bad token", anon, "POST", "/verify-email", url.Values{"token": {"abc"}}, http.StatusBadRequest},
		{"not found", anon, "GET", "/no-such-page", nil, http.StatusNotFound},
		{"home", ann, "GET", "/", nil, http.StatusOK},
		{"account", ann, "GET", "/account", nil, http.StatusOK},
		{"account reauth", ann, "GET", "/account?reauth=1", nil, http.StatusOK},
		{"account password error", ann, "POST", "/account/password", url.Values{"currentPassword": {"x"}, "newPassword": {"short"}}, 0},
		{"account language error", ann, "POST", "/account/language", url.Values{"language": {"xx"}}, http.StatusUnprocessableEntity},
		{"admin forbidden", ann, "GET", "/admin", nil, http.StatusForbidden},
		// An allowlist entry, for its part of the admin page.
		{"allow", boss, "POST", "/admin/allowlist/add", url.Values{"pattern": {"@example.com"}, "back": {"/admin"}}, http.StatusSeeOther},
		{"admin", boss, "GET", "/admin", nil, http.StatusOK},
		{"admin notice", boss, "GET", "/admin?done=status", nil, http.StatusOK},
		{"admin error", boss, "POST", "/admin/allowlist/add", url.Values{"pattern": {"not a pattern"}}, http.StatusUnprocessableEntity},
		// Account recovery and "Sign in with torii" (issues 16, 19).
		{"forgot password", anon, "GET", "/forgot-password", nil, http.StatusOK},
		{"forgot password fields", anon, "POST", "/forgot-password", url.Values{"email": {"x"}}, 0},
		{"reset password without token", anon, "GET", "/reset-password", nil, 0},
		{"reset password bad token", anon, "GET", "/reset-password?token=abc", nil, http.StatusBadRequest},
		{"reset password bad submit", anon, "POST", "/reset-password", url.Values{"token": {"abc"}, "password": {"short"}}, 0},
		{"invite bad token", anon, "GET", "/invite?token=abc", nil, 0},
		{"invite bad submit", anon, "POST", "/invite", url.Values{"token": {"abc"}}, 0},
		{"confirm email bad token", ann, "GET", "/confirm-email?token=abc", nil, 0},
		{"confirm email bad submit", ann, "POST", "/confirm-email", url.Values{"token": {"abc"}}, 0},
		{"oauth unknown request", ann, "GET", "/oauth2/continue?id=abc", nil, 0},
		{"oauth consent unknown request", ann, "GET", "/oauth2/consent?id=abc", nil, 0},
	} {
		var r *testserver.Response
		if c.form != nil {
			r = c.client.Do(c.method, c.path, c.form.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, ja...)...)
		} else {
			r = c.client.Do(c.method, c.path, nil, ja...)
		}
		if c.status != 0 && r.Status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, r.Status, c.status)
		}
		if r.Status == http.StatusSeeOther || r.Status == http.StatusFound {
			continue
		}
		wantJapanese(t, c.name+" ("+c.method+" "+c.path+")", r, fragments)
	}
	// The detector finds English: the same page in English fails it.
	if left := englishLeft(visibleText(anon.Do("GET", "/login", nil, "Accept-Language", "en").Body), fragments); len(left) == 0 {
		t.Error("the English login page passed the detector")
	}
}

// wantJapanese fails unless r is a Japanese page with no English
// fragment of the catalog left in its visible text.
func wantJapanese(t *testing.T, what string, r *testserver.Response, fragments []string) {
	t.Helper()
	if !strings.Contains(string(r.Body), `<html lang="ja">`) {
		t.Errorf("%s: not a Japanese page: %.200s", what, r.Body)
		return
	}
	text := visibleText(r.Body)
	if left := englishLeft(text, fragments); len(left) > 0 {
		t.Errorf("%s: English left: %q", what, left)
	}
	if !isJapanese(text) {
		t.Errorf("%s: no Japanese text", what)
	}
}

// The waiting page of an unverified account (mail off) in Japanese.
func TestPages_JapaneseWaitingPageHasNoEnglishSentence(t *testing.T) {
	srv := start(t, map[string]string{"TORII_ALLOWED_EMAILS": "@corp.example"})
	c := signedIn(t, srv, "nobody-real@corp.example")
	r := c.Do("GET", "/", nil, "Accept-Language", "ja")
	wantPage(t, r, http.StatusForbidden, `id="waiting-mail-off"`)
	wantJapanese(t, "waiting", r, englishFragments())
}

// The confirmation mail speaks the language of the registration (no
// preference yet), then the recipient's saved preference.
func TestLanguage_MailInTheRecipientsLanguage(t *testing.T) {
	srv, smtp := mailServer(t, app.Options{})
	c := srv.Client(t)
	r := c.Do("POST", "/api/v1/auth/register", map[string]string{"email": "hanako@example.com", "password": goodPassword, "name": "佐藤 花子"},
		"Accept-Language", "ja-JP,ja;q=0.9")
	wantStatus(t, "register", r, http.StatusCreated)
	m := smtp.Next(t)
	if s := m.Header(t, "Subject"); s != "メールアドレスの確認" {
		t.Errorf("subject of a Japanese registration's mail = %q", s)
	}
	if text := m.Part(t, "text/plain"); !strings.Contains(text, "佐藤 花子 様") || !strings.Contains(text, "時間有効です") {
		t.Errorf("text part:\n%s", text)
	}
	if html := m.Part(t, "text/html"); !strings.Contains(html, `<html lang="ja">`) {
		t.Errorf("HTML part is not Japanese:\n%s", html)
	}
	// Saved English wins over the request's Japanese.
	wantStatus(t, "save en", c.Do("PATCH", "/api/v1/me", map[string]string{"language": "en"}), http.StatusOK)
	wantStatus(t, "resend", c.Do("POST", "/api/v1/me/verify-email", nil, "Accept-Language", "ja"), http.StatusAccepted)
	if s := smtp.Next(t).Header(t, "Subject"); s != "Confirm your e-mail address" {
		t.Errorf("subject with an English preference = %q", s)
	}
}

// A field message with a name after its fixed head ("names an unknown
// group: Nope") is translated by its head; the name stays as given.
func TestLanguage_FieldMessageWithANameKeepsTheNameInJapanese(t *testing.T) {
	srv := start(t, adminEnv)
	boss := adminClient(t, srv)
	body := map[string]any{"email": "cy@example.com", "groups": []string{"Nope"}}
	r := boss.Do("POST", "/api/v1/admin/invitations", body, "Accept-Language", "ja")
	wantError(t, r, http.StatusUnprocessableEntity, torii.EValidation)
	if got := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)["groups"]; got != "存在しないグループを指定しています: Nope" {
		t.Errorf("ja: groups %q", got)
	}
	r = boss.Do("POST", "/api/v1/admin/invitations", body, "Accept-Language", "en")
	if got := r.JSON()["error"].(map[string]any)["fields"].(map[string]any)["groups"]; got != "names an unknown group: Nope" {
		t.Errorf("en: groups %q", got)
	}
}
