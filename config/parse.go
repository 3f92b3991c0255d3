package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/i18n"
)

// Rate is an attempt limit: at most Limit events per Window. Limit 0 means
// no limit. Its variables are written N/duration ("10/15m", "30/1h"); "off",
// "0" or "0/…" disables the limit.
type Rate struct {
	// Limit is the number of events allowed per Window; 0 disables the limit.
	Limit int
	// Window is the period over which events are counted.
	Window time.Duration
}

// Enabled reports whether the rate limits anything.
func (r Rate) Enabled() bool { return r.Limit > 0 && r.Window > 0 }

// String formats r as its variables are written: "10/15m", or "off".
func (r Rate) String() string {
	if !r.Enabled() {
		return "off"
	}
	return strconv.Itoa(r.Limit) + "/" + formatDuration(r.Window)
}

func parseRate(s string) (Rate, error) {
	if strings.EqualFold(s, "off") || s == "0" {
		return Rate{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("invalid rate %s (want N/duration, e.g. 10/15m, or off)", quote(s))
	}
	limit, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || limit < 0 {
		return Rate{}, fmt.Errorf("invalid rate %s: %s is not a count (want N/duration, e.g. 10/15m, or off)", quote(s), quote(n))
	}
	d = strings.TrimSpace(d)
	if d != "" && d[0] >= 'a' && d[0] <= 'z' {
		d = "1" + d // "30/h" reads as 30 per 1h
	}
	window, err := time.ParseDuration(d)
	if err != nil || window <= 0 {
		return Rate{}, fmt.Errorf("invalid rate %s: the window must be a positive duration (want N/duration, e.g. 10/15m, or off)", quote(s))
	}
	if limit == 0 {
		return Rate{}, nil
	}
	return Rate{Limit: limit, Window: window}, nil
}

func parseAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("invalid address %s (want host:port, e.g. :8080 or 127.0.0.1:8080)", quote(s))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("invalid port %s in address %s (want 0 to 65535)", quote(port), quote(s))
	}
	if host != "" && net.ParseIP(host) == nil && checkHostname(host) != nil {
		return "", fmt.Errorf("invalid host %s in address %s", quote(host), quote(s))
	}
	return s, nil
}

func parseBaseURL(s string) (string, error) {
	u, err := parseAbsURL(s, "e.g. https://torii.example.com")
	if err != nil {
		return "", err
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return "", fmt.Errorf("%s must not have a query or fragment", quote(s))
	}
	if p := strings.TrimRight(u.EscapedPath(), "/"); p != "" {
		return "", fmt.Errorf("path prefix %s is not supported yet: serve torii at the root of its host (e.g. https://torii.example.com)", quote(p))
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return u.Scheme + "://" + host, nil
}

func parseIssuer(s string) (string, error) {
	u, err := parseAbsURL(s, "e.g. https://accounts.google.com")
	if err != nil {
		return "", err
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		return "", fmt.Errorf("issuer %s must not have a query or fragment", quote(s))
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("issuer %s must use https (http is allowed only for a loopback host: localhost, 127.0.0.1, ::1)", quote(s))
	}
	return s, nil
}

func parseEndpoint(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := parseAbsURL(s, "e.g. https://generativelanguage.googleapis.com/")
	if err != nil {
		return "", err
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return "", fmt.Errorf("%s must not have a fragment", quote(s))
	}
	return s, nil
}

// parseAbsURL parses an absolute http(s) URL with a host and no user info.
func parseAbsURL(s, example string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid URL %s: %v (%s)", quote(s), err, example)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s is not an absolute http or https URL (%s)", quote(s), example)
	}
	if u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%s has no host (%s)", quote(s), example)
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL must not contain user info (%s)", example)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("invalid port %s in %s", quote(p), quote(s))
		}
	}
	if h := u.Hostname(); net.ParseIP(h) == nil && checkHostname(h) != nil {
		return nil, fmt.Errorf("invalid host %s in %s", quote(h), quote(s))
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseDSN accepts a postgres URL or a SQLite path. It never quotes the
// value: a URL may hold a password.
func parseDSN(s string) (DSN, error) {
	if isPostgresURL(s) {
		if _, err := url.Parse(s); err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return DSN{}, fmt.Errorf("invalid postgres URL: %v (percent-encode special characters in the user and password)", err)
		}
		return DSN{value: s}, nil
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok && !strings.ContainsAny(scheme, `/\`) {
		return DSN{}, fmt.Errorf("unsupported scheme %s (want a SQLite file path or a postgres:// URL)", quote(scheme+"://"))
	}
	if isKeywordDSN(s) {
		return DSN{}, errors.New("looks like a PostgreSQL key=value string; write it as a postgres:// URL")
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return DSN{}, errors.New("the SQLite path contains control characters")
	}
	return DSN{value: s}, nil
}

// isKeywordDSN spots a libpq "host=… user=…" string, which would otherwise
// silently become the name of a SQLite file.
func isKeywordDSN(s string) bool {
	if !strings.ContainsAny(s, " \t") || strings.HasPrefix(s, "file:") {
		return false
	}
	for _, k := range []string{"host=", "dbname=", "user=", "port=", "sslmode="} {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// parseSecret accepts any value without whitespace inside. It never quotes
// the value.
func parseSecret(s string) (Secret, error) {
	if strings.ContainsFunc(s, unicode.IsSpace) || strings.ContainsFunc(s, unicode.IsControl) {
		return Secret{}, errors.New("contains whitespace or control characters (value not shown)")
	}
	return Secret{value: s}, nil
}

// parseToken accepts an optional identifier: empty, or no whitespace.
func parseToken(s string) (string, error) {
	if strings.ContainsFunc(s, unicode.IsSpace) || strings.ContainsFunc(s, unicode.IsControl) {
		return "", fmt.Errorf("%s must not contain whitespace", quote(s))
	}
	return s, nil
}

func parseHostedDomain(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	d := strings.ToLower(s)
	if err := checkDomain(d); err != nil {
		return "", fmt.Errorf("%s: %v", quote(s), err)
	}
	return d, nil
}

func parseLanguage(s string) (string, error) {
	if lang, ok := i18n.Parse(s); ok {
		return lang, nil
	}
	return "", fmt.Errorf("invalid language %s (want %s)", quote(s), strings.Join(i18n.Languages, " or "))
}

func parseSignup(s string) (torii.SignupMode, error) {
	if m := torii.SignupMode(strings.ToLower(s)); m.Valid() {
		return m, nil
	}
	return "", fmt.Errorf("invalid value %s (want auto, explicit or closed)", quote(s))
}

func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("invalid boolean %s (want true or false)", quote(s))
	}
	return b, nil
}

// parseDuration parses a time.ParseDuration duration, > 0 (or ≥ 0 when
// zero is allowed).
func parseDuration(s, example string, zeroOK bool) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %s (example: %s)", quote(s), example)
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("duration %s must not be negative (example: %s)", quote(s), example)
	case d == 0 && !zeroOK:
		return 0, fmt.Errorf("duration %s must be greater than zero (example: %s)", quote(s), example)
	}
	return d, nil
}

func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid count %s (want a whole number ≥ 0; 0 = number of CPUs)", quote(s))
	}
	return n, nil
}

func parseLogFormat(s string) (string, error) {
	switch f := strings.ToLower(s); f {
	case LogFormatText, LogFormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("invalid value %s (want text or json)", quote(s))
}

func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("invalid level %s (want debug, info, warn or error)", quote(s))
}

func parseGroupName(s string) (string, error) {
	if len(s) > 100 || strings.ContainsFunc(s, unicode.IsControl) {
		return "", fmt.Errorf("invalid group name %s (at most 100 characters, no control characters)", quote(s))
	}
	return s, nil
}

// parseAudiences reads a comma-separated list of audiences.
func parseAudiences(s string) ([]string, error) {
	var out []string
	for a := range strings.SplitSeq(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if strings.ContainsFunc(a, unicode.IsSpace) || strings.ContainsFunc(a, unicode.IsControl) {
			return nil, fmt.Errorf("audience %s must not contain whitespace (separate audiences with commas)", quote(a))
		}
		out = appendUnique(out, a)
	}
	return out, nil
}

// parseEmailList reads comma-separated entries or a JSON array of strings.
// With domains, an entry may be "@domain"; otherwise only emails.
func parseEmailList(s string, domains bool) ([]string, error) {
	var entries []string
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &entries); err != nil {
			return nil, fmt.Errorf("invalid JSON array of strings: %v", err)
		}
	} else {
		entries = strings.Split(s, ",")
	}
	var out []string
	for _, e := range entries {
		e = torii.NormalizeEmail(e)
		if e == "" {
			continue
		}
		if err := checkEmail(e, domains); err != nil {
			return nil, fmt.Errorf("entry %s: %v", quote(e), err)
		}
		out = appendUnique(out, e)
	}
	return out, nil
}

// checkEmail checks a normalised "local@domain", or "@domain" when domains
// are allowed.
func checkEmail(e string, domains bool) error {
	want := "want user@example.com"
	if domains {
		want = "want user@example.com or @example.com"
	}
	if strings.Count(e, "@") != 1 {
		return fmt.Errorf("not an email (%s)", want)
	}
	local, domain, _ := strings.Cut(e, "@")
	if local == "" && !domains {
		return fmt.Errorf("missing the part before @ (%s)", want)
	}
	if len(local) > 64 || strings.ContainsFunc(local, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`"(),:;<>[\]`, r)
	}) {
		return fmt.Errorf("invalid part before @ (%s)", want)
	}
	if err := checkDomain(domain); err != nil {
		return fmt.Errorf("%v (%s)", err, want)
	}
	return nil
}

// checkDomain checks a lower-case DNS name with at least two labels
// (or "localhost"), in ASCII.
func checkDomain(d string) error {
	if d == "" {
		return errors.New("missing domain")
	}
	if err := checkHostname(d); err != nil {
		return err
	}
	if !strings.Contains(d, ".") && d != "localhost" {
		return fmt.Errorf("domain %s has no dot", quote(d))
	}
	labels := strings.Split(d, ".")
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("%s is not a domain name", quote(d))
	}
	return nil
}

// checkHostname checks DNS name syntax: labels of letters, digits and
// hyphens, 1 to 63 characters, not starting or ending with a hyphen.
func checkHostname(h string) error {
	if h == "" || len(h) > 253 {
		return fmt.Errorf("invalid domain %s", quote(h))
	}
	for l := range strings.SplitSeq(h, ".") {
		ok := len(l) >= 1 && len(l) <= 63 && l[0] != '-' && l[len(l)-1] != '-'
		for i := 0; ok && i < len(l); i++ {
			c := l[i]
			ok = c == '-' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		}
		if !ok {
			return fmt.Errorf("invalid domain %s (letters, digits, hyphens and dots; use the ASCII form of an international name)", quote(h))
		}
	}
	return nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// formatDuration writes d without zero units: 336h, 15m, 1h30m, 15s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// quote quotes a value for an error message, shortened if long.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}

// oneLine makes sure an error message is a single line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
