package web

import (
	"net/url"
	"strings"
)

// safeNext returns next if it is a same-origin relative path, else "/".
// It refuses scheme-relative (`//evil.com`), backslash (`/\evil.com`, which
// browsers treat as `//`), absolute and `javascript:` targets, also when
// percent-encoded, and control characters (security.md B.16).
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") {
		return "/"
	}
	decoded, err := url.PathUnescape(next)
	if err != nil {
		return "/"
	}
	for _, s := range []string{next, decoded} {
		if strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\") || strings.IndexFunc(s, isControl) >= 0 {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
