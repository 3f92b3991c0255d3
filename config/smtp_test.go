package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/toriihq/torii/mail"
)

func TestLoad_SMTPURLAndMailFrom(t *testing.T) {
	c := mustLoad(t, env{"TORII_SMTP_URL": "smtp://torii:s3cret-pw@mail.example.com", "TORII_MAIL_FROM": "Torii <torii@example.com>"}, nil)
	srv, err := c.SMTPURL.Server()
	if err != nil || !c.MailEnabled() {
		t.Fatalf("server: %v, enabled %v", err, c.MailEnabled())
	}
	want := mail.Server{Host: "mail.example.com", Port: 587, Username: "torii", Password: "s3cret-pw", Security: mail.StartTLSRequired}
	if srv != want {
		t.Errorf("server = %+v, want %+v", srv, want)
	}
	if c.MailFrom != `"Torii" <torii@example.com>` {
		t.Errorf("MailFrom = %q", c.MailFrom)
	}
	// The summary and every formatting path hide the password.
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "c", *c)
	for _, s := range []string{b.String(), fmt.Sprintf("%v %+v %#v %s", c.SMTPURL, c.SMTPURL, c.SMTPURL, c.SMTPURL)} {
		if strings.Contains(s, "s3cret-pw") || !strings.Contains(s, "smtp://torii:xxxxx@mail.example.com") {
			t.Errorf("formatted: %s", s)
		}
	}
	// From a file, as a secret.
	c = mustLoad(t, env{"TORII_SMTP_URL_FILE": "/run/secrets/smtp", "TORII_MAIL_FROM": "torii@example.com"},
		files{"/run/secrets/smtp": "smtps://u:p@smtp.example.com\n"})
	if srv, _ := c.SMTPURL.Server(); srv.Security != mail.ImplicitTLS || srv.Port != 465 {
		t.Errorf("smtps server = %+v", srv)
	}
	if c := mustLoad(t, env{}, nil); c.MailEnabled() || c.SMTPURL.String() != "[empty]" {
		t.Error("mail on by default")
	}
}

// TestParseURL_StartTLSRequiredUnlessLoopback: smtp:// to any host but
// loopback refuses to send without STARTTLS.
func TestParseURL_StartTLSRequiredUnlessLoopback(t *testing.T) {
	for raw, want := range map[string]mail.Security{
		"smtp://mail.example.com":      mail.StartTLSRequired,
		"smtp://10.0.0.5:25":           mail.StartTLSRequired,
		"smtp://u:p@localhost:1025":    mail.StartTLSOpportunistic,
		"smtp://127.0.0.1:2525":        mail.StartTLSOpportunistic,
		"smtp://[::1]:2525":            mail.StartTLSOpportunistic,
		"smtps://mail.example.com":     mail.ImplicitTLS,
		"SMTPS://u:p@127.0.0.1:465":    mail.ImplicitTLS,
		"smtp://mail.example.com:2587": mail.StartTLSRequired,
	} {
		srv, err := mail.ParseURL(raw)
		if err != nil || srv.Security != want {
			t.Errorf("%s: %v %v, want %v", raw, srv.Security, err, want)
		}
	}
}

func TestLoad_InvalidMailSettingsNameTheVariableNotThePassword(t *testing.T) {
	for _, tc := range []struct {
		env  env
		vr   string
		want string
	}{
		{env{"TORII_SMTP_URL": "http://u:pw-leak@mail.example.com", "TORII_MAIL_FROM": "a@b.example"}, "TORII_SMTP_URL", "not supported"},
		{env{"TORII_SMTP_URL": "smtp://u:pw-leak@", "TORII_MAIL_FROM": "a@b.example"}, "TORII_SMTP_URL", "host is missing"},
		{env{"TORII_SMTP_URL": "smtp://u:pw-leak@mail.example.com:99999", "TORII_MAIL_FROM": "a@b.example"}, "TORII_SMTP_URL", "invalid port"},
		{env{"TORII_SMTP_URL": "smtp://u:pw-leak@mail.example.com/x?y=1", "TORII_MAIL_FROM": "a@b.example"}, "TORII_SMTP_URL", "path"},
		{env{"TORII_SMTP_URL": "smtp://u:pw-leak@mail example.com", "TORII_MAIL_FROM": "a@b.example"}, "TORII_SMTP_URL", "not a URL"},
		{env{"TORII_SMTP_URL": "smtp://onlyuser@mail.example.com", "TORII_MAIL_FROM": "a@b.example"}, "TORII_SMTP_URL", "both a user name and a password"},
		{env{"TORII_SMTP_URL": "smtp://u:pw-leak@mail.example.com"}, "TORII_MAIL_FROM", "is required when TORII_SMTP_URL is set"},
		{env{"TORII_SMTP_URL": "smtp://u:pw-leak@mail.example.com", "TORII_MAIL_FROM": "not an address"}, "TORII_MAIL_FROM", "invalid address"},
	} {
		_, err := load(tc.env, nil)
		var e *Error
		if !errors.As(err, &e) || e.Var != tc.vr || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %s: …%s…", tc.env, err, tc.vr, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "pw-leak") || strings.Contains(err.Error(), "\n") {
			t.Errorf("error leaks the password or spans lines: %v", err)
		}
	}
}
