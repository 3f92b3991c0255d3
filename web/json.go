package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/toriihq/torii"
)

// maxJSONBody bounds every JSON request body; sign-in and profile bodies are
// tiny, and a bound keeps a client from making the server buffer megabytes.
const maxJSONBody = 64 << 10

// decodeJSON reads a JSON object from r into v. A wrong content type, a body
// that is not JSON, too large, or followed by more data is BAD_REQUEST; a
// field of the wrong type is VALIDATION_ERROR naming the field (never 500).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return torii.Errorf(torii.EBadRequest, "Content-Type must be application/json.")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		return jsonError(err)
	}
	if err := checkJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return torii.Errorf(torii.EBadRequest, "The body must hold one JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		return torii.Errorf(torii.EBadRequest, "The body is too large.")
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return torii.Invalid(map[string]string{typeErr.Field: "must be a " + jsonKind(typeErr.Type.Kind().String())})
	case errors.As(err, &typeErr):
		return torii.Errorf(torii.EBadRequest, "The body must be a JSON object.")
	default:
		return torii.Errorf(torii.EBadRequest, "The body is not valid JSON.")
	}
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch {
	case kind == "string":
		return "string"
	case kind == "bool":
		return "boolean"
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "slice", kind == "array":
		return "array"
	default:
		return "object"
	}
}

// writeJSON writes v with the given status. API answers are private and
// never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
