package service

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/toriihq/torii"
)

// Stored-string limits (docs/api.md "Stored strings and creation limits").
// Every string a client controls and torii stores without refusing it
// (request headers, the e-mail of a failed sign-in, audit details) is cut
// here, in one place, before it reaches the store: a hostile client can
// then add at most a few kilobytes per row, and an audit page of 100 rows
// stays under half a megabyte. Strings a client chooses on purpose (names,
// messages) are refused with VALIDATION_ERROR when too long instead
// (validate.go, chat.go, groups.go).
const (
	// MaxUserAgentBytes bounds a stored User-Agent (sessions, audit rows):
	// real browsers send 100–300 bytes.
	MaxUserAgentBytes = 512
	// maxIPBytes bounds a stored client address (an IPv6 address with a
	// zone fits).
	maxIPBytes = 64
	// MaxAuditEmailBytes bounds the e-mail of an audit row: RFC 5321's
	// 254-octet limit, so a real address is never cut.
	MaxAuditEmailBytes = maxEmailBytes
	// maxAuditDetailValueBytes bounds each string inside an audit detail.
	maxAuditDetailValueBytes = 256
	// maxAuditDetailBytes bounds an audit detail's JSON; a larger one is
	// replaced by {"truncated": true}.
	maxAuditDetailBytes = 2048
	// maxNextBytes bounds a stored return path (the code flow's `next`);
	// a longer one becomes "/".
	maxNextBytes = 2048
)

// storedText makes s valid UTF-8 (each invalid byte sequence becomes
// U+FFFD), drops NUL bytes (PostgreSQL refuses them in text) and cuts the
// result to at most n bytes on a rune boundary.
func storedText(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return truncate(s, n)
}

// stored returns m with its client-controlled fields made fit to store.
func (m Meta) stored() Meta {
	m.IP = storedText(m.IP, maxIPBytes)
	m.UserAgent = storedText(m.UserAgent, MaxUserAgentBytes)
	return m
}

// auditEvent builds an audit row with every client string bounded.
func (s *Service) auditEvent(event string, userID *int64, email string, m Meta, detail map[string]any) torii.AuditEvent {
	m = m.stored()
	return torii.AuditEvent{
		At: s.now().UTC(), Event: event, UserID: userID, Email: storedText(email, MaxAuditEmailBytes),
		IP: m.IP, UserAgent: m.UserAgent, Detail: boundedDetail(detail),
	}
}

// boundedDetail cuts every string of an audit detail (nested values too)
// and, if the whole is still too large, keeps only a marker.
func boundedDetail(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	out, _ := boundValue(d, 0).(map[string]any)
	if b, err := json.Marshal(out); err != nil || len(b) > maxAuditDetailBytes {
		return map[string]any{"truncated": true}
	}
	return out
}

// boundValue copies v with its strings bounded; depth stops runaway
// nesting (the service builds details, so it never gets deep).
func boundValue(v any, depth int) any {
	switch x := v.(type) {
	case string:
		return storedText(x, maxAuditDetailValueBytes)
	case map[string]any:
		if depth > 4 {
			return nil
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[storedText(k, maxAuditDetailValueBytes)] = boundValue(e, depth+1)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = storedText(e, maxAuditDetailValueBytes)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = boundValue(e, depth+1)
		}
		return out
	}
	return v
}

// storedNext bounds a return path before it is stored.
func storedNext(next string) string {
	if len(next) > maxNextBytes || !utf8.ValidString(next) || strings.IndexByte(next, 0) >= 0 {
		return "/"
	}
	return next
}
