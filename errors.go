// Package torii holds the domain of the torii service: its types, the store
// contract, and the coded errors every other package speaks. It depends on
// nothing but the standard library, so every other package can depend on it.
package torii

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. They are part of the external contract (api.md §2): clients
// switch on them, so they never change once published.
const (
	EBadRequest           = "BAD_REQUEST"
	EGoogleNotConfigured  = "GOOGLE_NOT_CONFIGURED"
	EAssistantOff         = "ASSISTANT_NOT_CONFIGURED"
	EUnauthorized         = "UNAUTHORIZED"
	EInvalidCredentials   = "INVALID_CREDENTIALS"
	EPasswordNotSet       = "PASSWORD_NOT_SET"
	EUserInactive         = "USER_INACTIVE"
	EEmailNotVerified     = "EMAIL_NOT_VERIFIED"
	EReauthRequired       = "REAUTH_REQUIRED"
	ENotAllowed           = "NOT_ALLOWED"
	EForbidden            = "FORBIDDEN"
	EUserNotFound         = "USER_NOT_FOUND"
	ENotFound             = "NOT_FOUND"
	EEmailAlreadyExists   = "EMAIL_ALREADY_EXISTS"
	EConflict             = "CONFLICT"
	EValidation           = "VALIDATION_ERROR"
	ERateLimited          = "RATE_LIMITED"
	ETokenInvalid         = "TOKEN_INVALID"
	EMailOff              = "MAIL_NOT_CONFIGURED"
	EInternal             = "INTERNAL_SERVER_ERROR"
	EServiceUnavailable   = "SERVICE_UNAVAILABLE"
	errDefaultInternalMsg = "An internal error occurred."
)

// Error is an error with a stable code, a message safe to show to a client,
// and, for validation errors, the offending fields. Anything that is not an
// *Error is treated as internal: its text is logged, never sent.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// RetryAfter is set on RATE_LIMITED errors.
	RetryAfter time.Duration
	// Format and Args are the message before formatting (Errorf's), so
	// the web layer can translate the format through the message catalog
	// (package i18n) and format it again; Message stays English.
	Format string
	Args   []any
}

func (e *Error) Error() string {
	return fmt.Sprintf("torii: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// InvalidMessage is the message of Invalid's errors: the fields say the
// rest.
const InvalidMessage = "Some fields are invalid."

// Invalid returns a VALIDATION_ERROR naming the fields that failed.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: EValidation, Message: InvalidMessage, Fields: fields}
}

// ErrorCode returns the code of err, "" for nil, and INTERNAL_SERVER_ERROR
// for errors that carry no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-safe message of err. Uncoded errors get a
// generic message so that internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return errDefaultInternalMsg
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool {
	return err != nil && ErrorCode(err) == code
}

// Common store errors. Stores return these (or wrap them) so the service can
// tell "absent" and "taken" apart without knowing the backend.
var (
	ErrNotFound = &Error{Code: ENotFound, Message: "Not found."}
	ErrConflict = &Error{Code: EConflict, Message: "Already exists."}
	// ErrUserInactive is returned by a write that needs an active user
	// (CreateSession) when the user is inactive.
	ErrUserInactive = &Error{Code: EUserInactive, Message: "This account is disabled."}
)
