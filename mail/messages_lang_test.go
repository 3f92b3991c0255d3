package mail_test

import (
	"strings"
	"testing"

	"github.com/toriihq/torii/mail"
)

// The confirmation mail speaks the recipient's language; an unknown one
// gets English, never an error.
func TestVerifyEmail_InTheRecipientsLanguage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ lang, subject, text, htmlLang string }{
		{"ja", "メールアドレスの確認", "このリンクは 1 回だけ、24 時間有効です。", `<html lang="ja">`},
		{"en", "Confirm your e-mail address", "The link works once, for 24 hours.", `<html lang="en">`},
		{"fr", "Confirm your e-mail address", "for 24 hours", `<html lang="en">`},
	} {
		m, err := mail.VerifyEmail("ann@example.com", mail.VerifyEmailData{Lang: c.lang, Name: "愛子", Link: "http://torii.test/verify-email?token=abc", Hours: 24})
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != c.subject || !strings.Contains(m.Text, c.text) || !strings.Contains(m.HTML, c.htmlLang) ||
			!strings.Contains(m.Text, "http://torii.test/verify-email?token=abc") {
			t.Errorf("%s: subject %q, text %q, html %q", c.lang, m.Subject, m.Text, m.HTML)
		}
	}
}
