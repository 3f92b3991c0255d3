package mail

import (
	htmltemplate "html/template"
	"strings"

	"github.com/toriihq/torii/i18n"
)

// The mails of account recovery (issue 19): password reset, invitation,
// change of address, in the recipient's language from the catalog
// (i18n/locales/recover.*.toml, keys recover.mail.<kind>.*).

// LinkData fills a mail that carries one single-use link.
type LinkData struct {
	// Lang is the recipient's language (unknown: English).
	Lang string
	// Name greets the recipient (may be empty).
	Name string
	// Link is the page, with the token in its query ("" for a notice).
	Link string
	// Minutes, Hours and Days say how long the link works.
	Minutes, Hours, Days int
	// Inviter names who sent an invitation (may be empty).
	Inviter string
	// OldEmail and NewEmail name the addresses of a change.
	OldEmail, NewEmail string
}

// Kinds of recovery mail.
const (
	KindReset             = "reset"
	KindInvite            = "invite"
	KindEmailChange       = "emailChange"
	KindEmailChangeNotice = "emailChangeNotice"
)

var recoverHTML = htmltemplate.Must(htmltemplate.New("recover").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5">
<p>{{.Hello}}</p>
<p>{{.Body}}</p>
{{if .Link}}<p><a href="{{.Link}}" style="display: inline-block; padding: 0.6em 1.2em; background: #b3261e; color: #fff; text-decoration: none; border-radius: 6px">{{.Button}}</a></p>
<p>{{.OrOpen}} <a href="{{.Link}}">{{.Link}}</a></p>
{{end}}<p style="color: #555">{{.Note}}</p>
</body></html>
`))

// Recovery renders the mail of kind (KindReset, …) to `to`.
func Recovery(kind, to string, d LinkData) (Message, error) {
	l := i18n.New(d.Lang)
	args := []any{"Name", d.Name, "Minutes", d.Minutes, "Hours", d.Hours, "Days", d.Days,
		"Inviter", d.Inviter, "OldEmail", d.OldEmail, "NewEmail", d.NewEmail}
	key := "recover.mail." + kind + "."
	hello := l.T("recover.mail.hello")
	if d.Name != "" {
		hello = l.T("recover.mail.helloName", "Name", d.Name)
	}
	body := key + "body"
	if kind == KindInvite && d.Inviter == "" {
		body = key + "bodyNoInviter"
	}
	v := map[string]string{
		"Lang": l.Lang(), "Subject": l.T(key + "subject"), "Hello": hello, "Body": l.T(body, args...),
		"Note": l.T(key+"note", args...), "Link": d.Link, "OrOpen": l.T("recover.mail.orOpen"),
	}
	if d.Link != "" {
		v["Button"] = l.T(key + "button")
	}
	var text strings.Builder
	text.WriteString(v["Hello"] + "\n\n" + v["Body"] + "\n\n")
	if d.Link != "" {
		text.WriteString(d.Link + "\n\n")
	}
	text.WriteString(v["Note"] + "\n")
	var html strings.Builder
	if err := recoverHTML.Execute(&html, v); err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: v["Subject"], Text: text.String(), HTML: html.String()}, nil
}
