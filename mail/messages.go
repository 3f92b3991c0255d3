package mail

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/toriihq/torii/i18n"
)

// The verification mail, in the recipient's language: its sentences come
// from the catalog (i18n/locales/mail.*.toml, keys mail.verify.*); these
// templates only lay them out.

// VerifyEmailData fills the verification mail.
type VerifyEmailData struct {
	// Lang is the recipient's language (their preference, else
	// TORII_DEFAULT_LANGUAGE; unknown: English).
	Lang string
	// Name greets the user (may be empty).
	Name string
	// Link is the confirmation page, with the token in its query.
	Link string
	// Hours is how long the link works.
	Hours int
}

// verifyView is what the templates receive: the catalog's sentences.
type verifyView struct {
	Lang, Subject, Hello, Body, Button, OrOpen, Note, Link string
}

var verifyText = texttemplate.Must(texttemplate.New("verify").Parse(`{{.Hello}}

{{.Body}}

{{.Link}}

{{.Note}}
`))

var verifyHTML = htmltemplate.Must(htmltemplate.New("verify").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: system-ui, -apple-system, 'Hiragino Sans', 'Yu Gothic UI', Meiryo, 'Noto Sans JP', sans-serif; line-height: 1.6">
<p>{{.Hello}}</p>
<p>{{.Body}}</p>
<p><a href="{{.Link}}" style="display: inline-block; padding: 0.6em 1.2em; background: #b3261e; color: #fff; text-decoration: none; border-radius: 6px">{{.Button}}</a></p>
<p>{{.OrOpen}} <a href="{{.Link}}">{{.Link}}</a></p>
<p style="color: #555">{{.Note}}</p>
</body></html>
`))

// VerifyEmail renders the verification mail to `to`.
func VerifyEmail(to string, d VerifyEmailData) (Message, error) {
	l := i18n.New(d.Lang)
	v := verifyView{
		Lang:    l.Lang(),
		Subject: l.T("mail.verify.subject"),
		Hello:   l.T("mail.verify.hello"),
		Body:    l.T("mail.verify.body"),
		Button:  l.T("mail.verify.button"),
		OrOpen:  l.T("mail.verify.orOpen"),
		Note:    l.T("mail.verify.note", "Count", d.Hours),
		Link:    d.Link,
	}
	if d.Name != "" {
		v.Hello = l.T("mail.verify.helloName", "Name", d.Name)
	}
	var text, html strings.Builder
	if err := verifyText.Execute(&text, v); err != nil {
		return Message{}, err
	}
	if err := verifyHTML.Execute(&html, v); err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}
