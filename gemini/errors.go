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

	"github.com/toriihq/torii"
)

// Error is a failed reply: a stable Code (one of torii's Assistant* codes),
// a Message for people, and the underlying cause for the log. It never
// contains the API key.
type Error struct {
	Code    string
	Message string
	// RetryAfter is Gemini's suggested wait (RetryInfo.retryDelay) on
	// torii.AssistantQuota, when it gave one; else 0.
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

// Blocked reports whether Gemini refused to go on (safety filters, or a
// request it would not answer) rather than the reply being cut short: a
// partial reply is then stored as an error, not as incomplete.
func (e *Error) Blocked() bool {
	return e.Code == torii.AssistantBlocked || e.Code == torii.AssistantFailed
}

// messages are the human messages of each code.
var messages = map[string]string{
	torii.AssistantTimeout:       "Gemini took too long to answer. Please try again.",
	torii.AssistantQuota:         "Gemini's usage limit is reached for now. Please try again in a minute.",
	torii.AssistantBlocked:       "Gemini declined to answer this message (safety filters).",
	torii.AssistantMisconfigured: "The assistant is not set up correctly (Gemini refused the key or the model). Please tell an administrator.",
	torii.AssistantUnavailable:   "Gemini is unavailable right now. Please try again in a moment.",
	torii.AssistantInterrupted:   "The reply was cut off before it was finished.",
	torii.AssistantCancelled:     "The reply was stopped.",
	torii.AssistantFailed:        "Gemini could not answer this message.",
}

// newError returns an *Error with the standard message of code.
func newError(code string, cause error) *Error {
	return &Error{Code: code, Message: messages[code], Err: cause}
}

// classify maps an error from the SDK to an *Error. ctx is the caller's
// context (cancelled: stop or shutdown), timedOut reports whether the reply's
// own deadline passed, and started whether any chunk had arrived (a network
// failure after that is a cut-off reply, before it an unreachable Gemini).
func classify(ctx context.Context, err error, timedOut, started bool) *Error {
	switch {
	case ctx.Err() != nil:
		return newError(torii.AssistantCancelled, err)
	case timedOut:
		return newError(torii.AssistantTimeout, err)
	}
	var api genai.APIError
	if errors.As(err, &api) {
		return classifyAPI(api)
	}
	if started {
		return newError(torii.AssistantInterrupted, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return newError(torii.AssistantUnavailable, err)
	}
	return newError(torii.AssistantFailed, err)
}

// classifyAPI maps an error answer of the API (before or within the stream).
func classifyAPI(api genai.APIError) *Error {
	switch {
	case api.Code == 429 || api.Status == "RESOURCE_EXHAUSTED":
		e := newError(torii.AssistantQuota, api)
		e.RetryAfter = retryDelay(api)
		return e
	case api.Code == 401 || api.Code == 403 || api.Code == 404 || keyInvalid(api):
		return newError(torii.AssistantMisconfigured, api)
	case api.Code >= 500 || api.Code == 408:
		return newError(torii.AssistantUnavailable, api)
	}
	return newError(torii.AssistantFailed, api)
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
