package service

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/password"
)

// Field limits. Emails follow RFC 5321's 254-octet path limit; names are
// display names, so a generous bound that still fits a line.
const (
	maxEmailBytes = 254
	maxNameRunes  = 100
)

// fieldErrors collects validation failures by field name.
type fieldErrors map[string]string

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return torii.Invalid(f)
}

// checkEmail validates an already normalised email address.
func (f fieldErrors) checkEmail(email string) {
	switch {
	case email == "":
		f["email"] = "is required"
	case len(email) > maxEmailBytes:
		f["email"] = "is too long"
	case !plausibleEmail(email):
		f["email"] = "is not a valid email address"
	case torii.EmailImitatesASCII(email):
		// U+212A KELVIN SIGN and the like fold into ASCII letters
		// elsewhere: refused, so no address can pass for another.
		f["email"] = "contains a character that imitates an ASCII letter"
	}
}

// checkName validates a trimmed display name.
func (f fieldErrors) checkName(name string) {
	switch {
	case name == "":
		f["name"] = "is required"
	case utf8.RuneCountInString(name) > maxNameRunes:
		f["name"] = "must be at most 100 characters"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		f["name"] = "must not contain control characters"
	}
}

// checkPassword validates a new password (password.Validate) and files
// its message under field: "password", or "newPassword" on a form that
// also asks for the current one.
func (f fieldErrors) checkPassword(field, plain string) {
	err := password.Validate(plain)
	if err == nil {
		return
	}
	f[field] = "is not valid"
	var e *torii.Error
	if errors.As(err, &e) && e.Fields["password"] != "" {
		f[field] = e.Fields["password"]
	}
}

// plausibleEmail accepts a bare addr-spec with a dotted domain: the forms
// people type, not the whole of RFC 5322 (no display names, no comments).
func plausibleEmail(email string) bool {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// cleanName trims a display name and folds inner runs of white space.
func cleanName(name string) string {
	return strings.Join(strings.Fields(name), " ")
}
