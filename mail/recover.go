package mail

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// The mails of account recovery (issue 19): password reset, invitation,
// change of address. Like messages.go, English only until the catalog
// replaces the templates.

// LinkData fills a mail that carries one single-use link.
type LinkData struct {
	// Name greets the recipient (may be empty).
	Name string
	// Link is the page, with the token in its query.
	Link string
	// Minutes and Days say how long the link works (one of them is set).
	Minutes int
	Days    int
	// Inviter names who sent an invitation (may be empty).
	Inviter string
	// OldEmail and NewEmail name the addresses of a change.
	OldEmail string
	NewEmail string
}

const htmlHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{template "subject" .}}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5">
<p>Hello{{with .Name}} {{.}}{{end}},</p>
`

const htmlButton = `<p><a href="{{.Link}}" style="display: inline-block; padding: 0.6em 1.2em; background: #b3261e; color: #fff; text-decoration: none; border-radius: 6px">{{template "button" .}}</a></p>
<p>Or open this link: <a href="{{.Link}}">{{.Link}}</a></p>
`

const textValidity = `{{if .Minutes}}{{.Minutes}} minutes{{else}}{{.Days}} days{{end}}`

// linkMail is one kind of mail: a subject and the two bodies.
type linkMail struct {
	subject string
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

func newLinkMail(subject, button, text, html string) linkMail {
	defs := `{{define "subject"}}` + subject + `{{end}}{{define "button"}}` + button + `{{end}}{{define "validity"}}` + textValidity + `{{end}}`
	return linkMail{
		subject: subject,
		text:    texttemplate.Must(texttemplate.New("t").Parse(defs + "Hello{{with .Name}} {{.}}{{end}},\n\n" + text)),
		html:    htmltemplate.Must(htmltemplate.New("h").Parse(defs + htmlHead + html + "</body></html>\n")),
	}
}

func (k linkMail) render(to string, d LinkData) (Message, error) {
	var text, html strings.Builder
	if err := k.text.Execute(&text, d); err != nil {
		return Message{}, err
	}
	if err := k.html.Execute(&html, d); err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: k.subject, Text: text.String(), HTML: html.String()}, nil
}

var resetMail = newLinkMail("Reset your password", "Choose a new password",
	`someone (we hope you) asked to reset the password of your torii account. Choose a new one here:

{{.Link}}

The link works once, for {{template "validity" .}}. Setting a new password signs you out everywhere.
If you did not ask for this, ignore this mail: your password stays as it is.
`,
	`<p>someone (we hope you) asked to reset the password of your torii account.</p>
`+htmlButton+`<p style="color: #555">The link works once, for {{template "validity" .}}. Setting a new password signs you out everywhere. If you did not ask for this, ignore this mail: your password stays as it is.</p>
`)

var inviteMail = newLinkMail("You are invited to torii", "Accept the invitation",
	`{{with .Inviter}}{{.}} invites{{else}}you are invited{{end}} you to torii. Create your account here:

{{.Link}}

The link works once, for {{template "validity" .}}. If you do not know what this is about, ignore this mail.
`,
	`<p>{{with .Inviter}}{{.}} invites{{else}}you are invited{{end}} you to torii.</p>
`+htmlButton+`<p style="color: #555">The link works once, for {{template "validity" .}}. If you do not know what this is about, ignore this mail.</p>
`)

var emailChangeMail = newLinkMail("Confirm your new e-mail address", "Confirm my new address",
	`please confirm that {{.NewEmail}} is your new address for torii by opening this link:

{{.Link}}

The link works once, for {{template "validity" .}}. Until then your address stays {{.OldEmail}}.
If you did not ask for this, ignore this mail.
`,
	`<p>please confirm that {{.NewEmail}} is your new address for torii.</p>
`+htmlButton+`<p style="color: #555">The link works once, for {{template "validity" .}}. Until then your address stays {{.OldEmail}}. If you did not ask for this, ignore this mail.</p>
`)

var emailChangeNotice = newLinkMail("Your torii e-mail address is being changed", "",
	`someone signed in to your torii account asked to change its address from {{.OldEmail}} to {{.NewEmail}}.
The change happens when the link sent to the new address is opened.

If this was not you, sign in and change your password now, or ask an administrator for help.
`,
	`<p>someone signed in to your torii account asked to change its address from {{.OldEmail}} to {{.NewEmail}}. The change happens when the link sent to the new address is opened.</p>
<p>If this was not you, sign in and change your password now, or ask an administrator for help.</p>
`)

// ResetPassword renders the password reset mail to `to`.
func ResetPassword(to string, d LinkData) (Message, error) { return resetMail.render(to, d) }

// Invite renders the invitation mail to `to`.
func Invite(to string, d LinkData) (Message, error) { return inviteMail.render(to, d) }

// EmailChange renders the confirmation mail to the new address.
func EmailChange(to string, d LinkData) (Message, error) { return emailChangeMail.render(to, d) }

// EmailChangeNotice renders the notice to the old address.
func EmailChangeNotice(to string, d LinkData) (Message, error) {
	return emailChangeNotice.render(to, d)
}
