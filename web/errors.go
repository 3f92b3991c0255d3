package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/toriihq/torii"
)

// statusByCode maps every error code to its HTTP status (api.md §2). It is
// the one place where domain errors become HTTP.
var statusByCode = map[string]int{
	torii.EBadRequest:             http.StatusBadRequest,
	torii.EGoogleNotConfigured:    http.StatusBadRequest,
	torii.EAssistantOff:           http.StatusBadRequest,
	torii.EUnauthorized:           http.StatusUnauthorized,
	torii.EInvalidCredentials:     http.StatusUnauthorized,
	torii.EPasswordNotSet:         http.StatusUnauthorized,
	torii.EUserInactive:           http.StatusForbidden,
	torii.EEmailNotVerified:       http.StatusForbidden,
	torii.EReauthRequired:         http.StatusForbidden,
	torii.ENotAllowed:             http.StatusForbidden,
	torii.EForbidden:              http.StatusForbidden,
	torii.EUserNotFound:           http.StatusNotFound,
	torii.ENotFound:               http.StatusNotFound,
	torii.EEmailAlreadyExists:     http.StatusConflict,
	torii.EConflict:               http.StatusConflict,
	torii.ERoomNameTaken:          http.StatusConflict,
	torii.ERoomArchived:           http.StatusConflict,
	torii.EValidation:             http.StatusUnprocessableEntity,
	torii.ERateLimited:            http.StatusTooManyRequests,
	torii.EAssistantQuotaExceeded: http.StatusTooManyRequests,
	torii.ETokenInvalid:           http.StatusBadRequest,
	torii.EMailOff:                http.StatusBadRequest,
	torii.EInternal:               http.StatusInternalServerError,
	torii.EServiceUnavailable:     http.StatusServiceUnavailable,
}

// statusOf returns the HTTP status for err's code.
func statusOf(err error) int {
	if st, ok := statusByCode[torii.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeError answers err in the JSON error shape. Uncoded errors are logged
// with the request id and answered with a generic 500: their text may hold
// internals a client must not see.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = s.boundError(r, err)
	code := torii.ErrorCode(err)
	status := statusOf(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", requestID(r.Context()))
	}
	var e *torii.Error
	var fields map[string]string
	if errors.As(err, &e) {
		fields = e.Fields
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterSeconds(e.RetryAfter))
		}
	}
	// code stays English; message and fields follow the language choice.
	l := s.localizer(r, apiUser(r))
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: errorText(l, err), Fields: fieldsText(l, fields)}})
}

// retryAfterSeconds formats a Retry-After value, rounded up so a client that
// waits exactly that long is not refused again.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
