package mail

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// Every text torii mails is in this file, in English; localisation will
// replace the templates, not the code that sends them.

// VerifyEmailData fills the verification mail.
type VerifyEmailData struct {
	// Name greets the user (may be empty).
	Name string
	// Link is the confirmation page, with the token in its query.
	Link string
	// Hours is how long the link works.
	Hours int
}

const verifySubject = "Confirm your e-mail address"

var verifyText = texttemplate.Must(texttemplate.New("verify").Parse(`Hello{{with .Name}} {{.}}{{end}},

please confirm that this is your e-mail address by opening this link:

{{.Link}}

The link works once, for {{.Hours}} hours. If you did not create an account, ignore this mail: nothing happens without the link.
`))

var verifyHTML = htmltemplate.Must(htmltemplate.New("verify").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>` + verifySubject + `</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5">
<p>Hello{{with .Name}} {{.}}{{end}},</p>
<p>please confirm that this is your e-mail address:</p>
<p><a href="{{.Link}}" style="display: inline-block; padding: 0.6em 1.2em; background: #b3261e; color: #fff; text-decoration: none; border-radius: 6px">Confirm my address</a></p>
<p>Or open this link: <a href="{{.Link}}">{{.Link}}</a></p>
<p style="color: #555">The link works once, for {{.Hours}} hours. If you did not create an account, ignore this mail: nothing happens without the link.</p>
</body></html>
`))

// VerifyEmail renders the verification mail to `to`.
func VerifyEmail(to string, d VerifyEmailData) (Message, error) {
	var text, html strings.Builder
	if err := verifyText.Execute(&text, d); err != nil {
		return Message{}, err
	}
	if err := verifyHTML.Execute(&html, d); err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: verifySubject, Text: text.String(), HTML: html.String()}, nil
}
