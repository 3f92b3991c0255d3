package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/toriihq/torii"
)

// Text that is not UTF-8 is refused at the door (docs/api.md "Stored
// strings and creation limits"): SQLite would store it raw and PostgreSQL
// refuses it with an error, so it must never reach the service. A query
// parameter, a form field or a JSON string holding invalid UTF-8 or a NUL
// byte is a 422 VALIDATION_ERROR naming the field. Headers are not refused
// (a browser cannot fix its User-Agent): the service makes them valid
// before storing them (service/limits.go).

const notText = "must be valid UTF-8 text without NUL characters"

// isText reports whether s is valid UTF-8 without NUL bytes.
func isText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// invalidField is the VALIDATION_ERROR for one field that is not text; its
// message names the field, so the error page of a form says it too.
func invalidField(name string) error {
	if !isText(name) {
		name = strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "\uFFFD")
	}
	e := torii.Errorf(torii.EValidation, "The field %s is not valid text.", name)
	e.Fields = map[string]string{name: notText}
	return e
}

// checkValues returns the error for the first (in name order, so the
// answer is stable) parameter whose name or value is not text.
func checkValues(v url.Values) error {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !isText(k) {
			return invalidField(k)
		}
		for _, s := range v[k] {
			if !isText(s) {
				return invalidField(k)
			}
		}
	}
	return nil
}

// textQuery refuses a request whose query string holds a parameter that is
// not text, on every route: handlers then never see one (e.g. the admin
// search `q`, which PostgreSQL would refuse with a 500).
func (s *Server) textQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			next.ServeHTTP(w, r)
			return
		}
		if err := checkValues(r.URL.Query()); err != nil {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				s.writeError(w, r, err)
			} else {
				s.renderError(w, r, err)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkJSONText finds a JSON body's field whose value is not text. The raw
// bytes are checked, since encoding/json silently replaces invalid UTF-8
// with U+FFFD. A body that is all valid UTF-8 and has no \u0000 escape is
// passed without further work. Invalid bytes that are in no top-level
// field's value (a key, or between values) are a BAD_REQUEST.
func checkJSONText(raw []byte) error {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		// Not an object: the decoder reports it.
		if !utf8.Valid(raw) {
			return torii.Errorf(torii.EBadRequest, "The body is not valid UTF-8.")
		}
		return nil
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := fields[k]
		if !utf8.Valid(v) {
			return invalidField(k)
		}
		var decoded any
		if err := json.Unmarshal(v, &decoded); err == nil && hasNUL(decoded) {
			return invalidField(k)
		}
	}
	if !utf8.Valid(raw) {
		return torii.Errorf(torii.EBadRequest, "The body is not valid UTF-8.")
	}
	return nil
}

// hasNUL reports whether a decoded JSON value holds a NUL in any string.
func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) >= 0
	case map[string]any:
		for k, e := range x {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	}
	return false
}
