package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/toriihq/torii"
)

func TestWriteError_UncodedErrorIsGeneric500AndLogged(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
	w := httptest.NewRecorder()
	s.writeError(w, httptest.NewRequest("GET", "/", nil), errors.New("pq: connection to 10.0.0.5 refused"))
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), `"code":"INTERNAL_SERVER_ERROR"`) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "10.0.0.5") {
		t.Fatal("internal detail leaked to the client")
	}
	if !strings.Contains(logs.String(), "10.0.0.5") {
		t.Fatal("internal detail not logged")
	}
}

func TestStatusOf_EveryContractCode(t *testing.T) {
	want := map[string]int{
		"BAD_REQUEST": 400, "GOOGLE_NOT_CONFIGURED": 400, "ASSISTANT_NOT_CONFIGURED": 400,
		"UNAUTHORIZED": 401, "INVALID_CREDENTIALS": 401, "PASSWORD_NOT_SET": 401,
		"USER_INACTIVE": 403, "EMAIL_NOT_VERIFIED": 403, "NOT_ALLOWED": 403, "FORBIDDEN": 403,
		"USER_NOT_FOUND": 404, "NOT_FOUND": 404, "EMAIL_ALREADY_EXISTS": 409,
		"VALIDATION_ERROR": 422, "RATE_LIMITED": 429, "INTERNAL_SERVER_ERROR": 500,
	}
	for code, status := range want {
		if got := statusOf(torii.Errorf(code, "x")); got != status {
			t.Errorf("%s → %d, want %d", code, got, status)
		}
	}
}
