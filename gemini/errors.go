package gemini

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"google.golang.org/genai"
)

// Codes of a failed reply. They travel to the page in assistant.error
// events (docs/api.md), so they never change once published.
const (
	// CodeTimeout: the whole reply took longer than Config.Timeout.
	CodeTimeout = "ASSISTANT_TIMEOUT"
	// CodeQuota: Gemini answered 429 (quota or rate exhausted).
	CodeQuota = "ASSISTANT_QUOTA"
	// CodeBlocked: the prompt or the reply was blocked by safety or policy
	// filters (promptFeedback.blockReason, or a finishReason such as SAFETY).
	CodeBlocked = "ASSISTANT_BLOCKED"
	// CodeMisconfigured: Gemini refused the key or the credentials (400
	// API_KEY_INVALID, 401, 403), or does not know the model (404).
	CodeMisconfigured = "ASSISTANT_MISCONFIGURED"
	// CodeUnavailable: Gemini could not be reached, or answered 5xx.
	CodeUnavailable = "ASSISTANT_UNAVAILABLE"
	// CodeInterrupted: the reply stopped before Gemini said it was finished
	// (the connection broke, or the stream ended without a finishReason).
	CodeInterrupted = "ASSISTANT_INTERRUPTED"
	// CodeCancelled: the caller cancelled (stop button, server shutdown).
	CodeCancelled = "ASSISTANT_CANCELLED"
	// CodeFailed: anything else Gemini refused (e.g. 400 for a request it
	// finds invalid); details only in the log.
	CodeFailed = "ASSISTANT_ERROR"
)

// Error is a failed reply: a stable Code, a Message for people, and the
// underlying cause for the log. It never contains the API key.
type Error struct {
	Code    string
	Message string
	// RetryAfter is Gemini's suggested wait (RetryInfo.retryDelay) on
	// CodeQuota, when it gave one; else 0.
	RetryAfter time.Duration
	// Err is the cause (an SDK error, a network error), for the log only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("gemini: %s: %v", e.Code, e.Err)
	}
	return "gemini: " + e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// messages are the human messages of each code.
var messages = map[string]string{
	CodeTimeout:       "Gemini took too long to answer. Please try again.",
	CodeQuota:         "Gemini's usage limit is reached for now. Please try again in a minute.",
	CodeBlocked:       "Gemini declined to answer this message (safety filters).",
	CodeMisconfigured: "The assistant is not set up correctly (Gemini refused the key or the model). Please tell an administrator.",
	CodeUnavailable:   "Gemini is unavailable right now. Please try again in a moment.",
	CodeInterrupted:   "The reply was cut off before it was finished.",
	CodeCancelled:     "The reply was stopped.",
	CodeFailed:        "Gemini could not answer this message.",
}

// newError returns an *Error with the standard message of code.
func newError(code string, cause error) *Error {
	return &Error{Code: code, Message: messages[code], Err: cause}
}

// ErrorCode returns the code of err: its Code if err is an *Error, else
// CodeFailed; "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeFailed
}

// classify maps an error from the SDK to an *Error. ctx is the caller's
// context (cancelled: stop or shutdown), timedOut reports whether the reply's
// own deadline passed, and started whether any chunk had arrived (a network
// failure after that is a cut-off reply, before it an unreachable Gemini).
func classify(ctx context.Context, err error, timedOut, started bool) *Error {
	switch {
	case ctx.Err() != nil:
		return newError(CodeCancelled, err)
	case timedOut:
		return newError(CodeTimeout, err)
	}
	var api genai.APIError
	if errors.As(err, &api) {
		return classifyAPI(api)
	}
	if started {
		return newError(CodeInterrupted, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return newError(CodeUnavailable, err)
	}
	return newError(CodeFailed, err)
}

// classifyAPI maps an error answer of the API (before or within the stream).
func classifyAPI(api genai.APIError) *Error {
	switch {
	case api.Code == 429 || api.Status == "RESOURCE_EXHAUSTED":
		e := newError(CodeQuota, api)
		e.RetryAfter = retryDelay(api)
		return e
	case api.Code == 401 || api.Code == 403 || api.Code == 404 || keyInvalid(api):
		return newError(CodeMisconfigured, api)
	case api.Code >= 500 || api.Code == 408:
		return newError(CodeUnavailable, api)
	}
	return newError(CodeFailed, api)
}

// keyInvalid reports the Gemini API's answer to a bad key: 400
// INVALID_ARGUMENT with an ErrorInfo whose reason is API_KEY_INVALID.
func keyInvalid(api genai.APIError) bool {
	for _, d := range api.Details {
		if r, _ := d["reason"].(string); r == "API_KEY_INVALID" {
			return true
		}
	}
	return api.Code == 400 && strings.Contains(api.Message, "API key not valid")
}

// retryDelay reads google.rpc.RetryInfo's retryDelay ("33s") from the
// details of a 429, or 0.
func retryDelay(api genai.APIError) time.Duration {
	for _, d := range api.Details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		if s, ok := d["retryDelay"].(string); ok {
			if d, err := time.ParseDuration(s); err == nil && d > 0 {
				return d
			}
		}
	}
	return 0
}
