package testserver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions adjust a test SMTP server.
type SMTPOptions struct {
	// StartTLS offers STARTTLS with a self-signed certificate for
	// 127.0.0.1 and localhost (SMTP.ClientTLS trusts it).
	StartTLS bool
	// Username and Password, when set, are required (AUTH PLAIN).
	Username, Password string
}

// SMTP is a real SMTP server (github.com/emersion/go-smtp) on a loopback
// port that keeps what it receives, for tests of the mail torii sends.
type SMTP struct {
	// Host and Port are where it listens.
	Host string
	Port int
	// ClientTLS trusts the server's certificate (StartTLS).
	ClientTLS *tls.Config

	opts     SMTPOptions
	received chan ReceivedMail
	mu       sync.Mutex
	all      []ReceivedMail
	fail     int
	failed   int
}

// ReceivedMail is one message as the server took it.
type ReceivedMail struct {
	From string
	To   []string
	Data []byte
	// TLS says whether the message came over an encrypted connection.
	TLS bool
}

// StartSMTP runs an SMTP server until the test ends.
func StartSMTP(t testing.TB, opts SMTPOptions) *SMTP {
	t.Helper()
	s := &SMTP{opts: opts, received: make(chan ReceivedMail, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = !opts.StartTLS
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	if opts.StartTLS {
		cert, pool := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.ClientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return s
}

// URL is the TORII_SMTP_URL of the server (with its credentials).
func (s *SMTP) URL() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// Fail makes the next n messages fail with a temporary error (451), as a
// server that is down for a moment does.
func (s *SMTP) Fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Failed returns how many messages were refused by Fail.
func (s *SMTP) Failed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// Received returns every message taken so far.
func (s *SMTP) Received() []ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReceivedMail(nil), s.all...)
}

// Next waits (at most 10 seconds) for the next message.
func (s *SMTP) Next(t testing.TB) ReceivedMail {
	t.Helper()
	select {
	case m := <-s.received:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no mail arrived within 10s")
		return ReceivedMail{}
	}
}

type smtpSession struct {
	srv  *SMTP
	conn *smtp.Conn
	from string
	to   []string
	auth bool
}

func (x *smtpSession) AuthMechanisms() []string {
	if x.srv.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.srv.opts.Username || password != x.srv.opts.Password {
			return errors.New("invalid credentials")
		}
		x.auth = true
		return nil
	}), nil
}

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.srv.opts.Username != "" && !x.auth {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := x.srv
	s.mu.Lock()
	if s.fail > 0 {
		s.fail--
		s.failed++
		s.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later (test failure)"}
	}
	_, isTLS := x.conn.TLSConnectionState()
	m := ReceivedMail{From: x.from, To: x.to, Data: data, TLS: isTLS}
	s.all = append(s.all, m)
	s.mu.Unlock()
	s.received <- m
	return nil
}

func (x *smtpSession) Reset()        { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error { return nil }

// Header returns a header of the message, decoded.
func (m ReceivedMail) Header(t testing.TB, name string) string {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	v, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get(name))
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return v
}

// Part returns the decoded body of the message's part of the given media
// type (text/plain, text/html), whether the message is multipart or not.
func (m ReceivedMail) Part(t testing.TB, mediaType string) string {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	ct, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("mail Content-Type: %v", err)
	}
	if !strings.HasPrefix(ct, "multipart/") {
		if ct != mediaType {
			t.Fatalf("mail is %s, not %s", ct, mediaType)
		}
		b, _ := io.ReadAll(msg.Body)
		return string(b)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("mail has no %s part (%v)", mediaType, err)
		}
		if pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt == mediaType {
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// Link returns the first link of the text part that contains `contains`.
func (m ReceivedMail) Link(t testing.TB, contains string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(m.Part(t, "text/plain"), -1) {
		if strings.Contains(l, contains) {
			return l
		}
	}
	t.Fatalf("no link with %q in the mail", contains)
	return ""
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "torii test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
