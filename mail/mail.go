// Package mail sends torii's mails through an SMTP server, with
// github.com/wneessen/go-mail. It knows how to reach the server
// (TORII_SMTP_URL) and how torii's mails read (messages.go); when and how
// often a mail is sent is the outbox's business (package service).
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Security is how the connection to the SMTP server is protected.
type Security int

const (
	// StartTLSRequired upgrades the connection with STARTTLS and refuses a
	// server that does not offer it (smtp:// to any host but loopback).
	StartTLSRequired Security = iota
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and
	// sends in clear otherwise (smtp:// to a loopback host: a local relay).
	StartTLSOpportunistic
	// ImplicitTLS speaks TLS from the first byte (smtps://).
	ImplicitTLS
)

func (s Security) String() string {
	switch s {
	case StartTLSRequired:
		return "starttls"
	case StartTLSOpportunistic:
		return "starttls-if-offered"
	case ImplicitTLS:
		return "tls"
	}
	return "unknown"
}

// Default ports of the two schemes.
const (
	DefaultSubmissionPort = 587
	DefaultSMTPSPort      = 465
)

// DefaultTimeout bounds one delivery: dial, TLS, authentication and
// transfer.
const DefaultTimeout = 30 * time.Second

// Server is where mail is sent, as TORII_SMTP_URL says.
type Server struct {
	Host     string
	Port     int
	Username string
	Password string
	Security Security
}

// ParseURL reads smtp://[user:pass@]host[:port] (STARTTLS; required unless
// the host is loopback; default port 587) or smtps://[user:pass@]host[:port]
// (implicit TLS; default port 465). Its errors never contain the password.
func ParseURL(raw string) (Server, error) {
	const want = "want smtp://user:pass@host:587 or smtps://user:pass@host:465"
	u, err := url.Parse(raw)
	if err != nil {
		// url's error quotes the whole URL, password included.
		return Server{}, fmt.Errorf("not a URL (%s)", want)
	}
	var srv Server
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		srv.Port = DefaultSubmissionPort
	case "smtps":
		srv.Port, srv.Security = DefaultSMTPSPort, ImplicitTLS
	default:
		return Server{}, fmt.Errorf("scheme %q is not supported (%s)", u.Scheme, want)
	}
	srv.Host = strings.ToLower(u.Hostname())
	if srv.Host == "" {
		return Server{}, fmt.Errorf("the host is missing (%s)", want)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Server{}, fmt.Errorf("invalid port %q (want 1 to 65535)", p)
		}
		srv.Port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Server{}, fmt.Errorf("must not have a path, query or fragment (%s)", want)
	}
	if u.User != nil {
		srv.Username = u.User.Username()
		srv.Password, _ = u.User.Password()
		if srv.Username == "" || srv.Password == "" {
			return Server{}, errors.New("give both a user name and a password, or neither")
		}
	}
	if srv.Security == StartTLSRequired && isLoopback(srv.Host) {
		srv.Security = StartTLSOpportunistic
	}
	return srv, nil
}

// isLoopback reports whether host is localhost or a loopback address: the
// only hosts mail may reach without TLS.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// ParseFrom checks a From address: "torii@example.com" or
// "Torii <torii@example.com>".
func ParseFrom(s string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("invalid address %q (want torii@example.com or \"Torii <torii@example.com>\")", s)
	}
	return a, nil
}

// Options configure a Sender.
type Options struct {
	Server Server
	// From is the sender, as ParseFrom accepts it.
	From string
	// TLSConfig replaces the default TLS settings (tests trust their own
	// certificate with it). ServerName defaults to the host.
	TLSConfig *tls.Config
	// Timeout bounds one delivery (default DefaultTimeout).
	Timeout time.Duration
}

// Message is one mail: plain text and HTML alternatives of the same text.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers messages to the SMTP server. It is safe for concurrent
// use: every Send opens its own connection.
type Sender struct {
	opts Options
	from string
}

// New returns a Sender for opts; it does not connect yet.
func New(opts Options) (*Sender, error) {
	if opts.Server.Host == "" {
		return nil, errors.New("mail: no SMTP host")
	}
	from, err := ParseFrom(opts.From)
	if err != nil {
		return nil, fmt.Errorf("mail: from: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return &Sender{opts: opts, from: from.String()}, nil
}

// Send delivers m. An error says the server did not take the mail; the
// caller retries later. Send returns when ctx ends even if the server is
// in the middle of the conversation (go-mail heeds ctx only while
// dialing): a shutdown is never held up by a slow server. The abandoned
// conversation ends by itself within Timeout; the server may still have
// taken the mail, so a retry can deliver it twice (at least once, never
// lost).
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	c, err := gomail.NewClient(s.opts.Server.Host, s.clientOptions()...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	sent := make(chan error, 1)
	go func() { sent <- c.DialAndSendWithContext(ctx, msg) }()
	select {
	case err = <-sent:
	case <-ctx.Done():
		select {
		case err = <-sent: // it finished as ctx ended
		default:
			err = ctx.Err()
		}
	}
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

func (s *Sender) clientOptions() []gomail.Option {
	srv := s.opts.Server
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.opts.TLSConfig != nil {
		tc = s.opts.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = srv.Host
	}
	opts := []gomail.Option{
		gomail.WithPort(srv.Port),
		gomail.WithTimeout(s.opts.Timeout),
		gomail.WithTLSConfig(tc),
	}
	switch srv.Security {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case StartTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if srv.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(srv.Username), gomail.WithPassword(srv.Password))
	}
	return opts
}
