package mail_test

import (
	"strings"
	"testing"

	"github.com/toriihq/torii/mail"
	"github.com/toriihq/torii/testserver"
)

func message(t *testing.T) mail.Message {
	m, err := mail.VerifyEmail("ann@example.com", mail.VerifyEmailData{Name: "Ann <b>", Link: "http://torii.test/verify-email?token=abc&x=1", Hours: 24})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sender(t *testing.T, smtp *testserver.SMTP, sec mail.Security, user, pass string) *mail.Sender {
	t.Helper()
	s, err := mail.New(mail.Options{
		Server:    mail.Server{Host: smtp.Host, Port: smtp.Port, Security: sec, Username: user, Password: pass},
		From:      "Torii <torii@example.com>",
		TLSConfig: smtp.ClientTLS,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSender_StartTLSRequiredRefusesAServerWithoutIt(t *testing.T) {
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{})
	err := sender(t, smtp, mail.StartTLSRequired, "", "").Send(t.Context(), message(t))
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "starttls") {
		t.Fatalf("Send = %v, want a STARTTLS refusal", err)
	}
	if n := len(smtp.Received()); n != 0 {
		t.Fatalf("%d mails sent in clear", n)
	}
}

func TestSender_StartTLSWithAuthDeliversTextAndHTML(t *testing.T) {
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{StartTLS: true, Username: "u", Password: "p"})
	if err := sender(t, smtp, mail.StartTLSRequired, "u", "p").Send(t.Context(), message(t)); err != nil {
		t.Fatal(err)
	}
	m := smtp.Next(t)
	if !m.TLS || m.From != "torii@example.com" {
		t.Fatalf("mail over TLS %v from %q", m.TLS, m.From)
	}
	text, html := m.Part(t, "text/plain"), m.Part(t, "text/html")
	if !strings.Contains(text, "Hello Ann <b>,") || !strings.Contains(text, "http://torii.test/verify-email?token=abc&x=1") {
		t.Errorf("text part:\n%s", text)
	}
	// html/template escapes the name and the link's &.
	if !strings.Contains(html, "Hello Ann &lt;b&gt;,") || !strings.Contains(html, `href="http://torii.test/verify-email?token=abc&amp;x=1"`) {
		t.Errorf("HTML part:\n%s", html)
	}
}

func TestSender_WrongPasswordFails(t *testing.T) {
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{StartTLS: true, Username: "u", Password: "p"})
	if err := sender(t, smtp, mail.StartTLSRequired, "u", "wrong").Send(t.Context(), message(t)); err == nil {
		t.Fatal("sent with a wrong password")
	}
	if n := len(smtp.Received()); n != 0 {
		t.Fatalf("%d mails accepted", n)
	}
}
