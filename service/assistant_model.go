package service

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/toriihq/torii"
)

// AssistantModel is the language model behind the assistant: app wires the
// Gemini client (package gemini) to it; tests may use anything that
// streams. A nil AssistantModel turns the assistant off.
type AssistantModel interface {
	// Stream answers history (oldest first, ending with the message to
	// answer) and yields the reply's text chunk by chunk. It ends after the
	// last chunk when the reply is finished, or with one ("", err) pair;
	// err should be an *AssistantError. Cancelling ctx ends the request.
	Stream(ctx context.Context, history []AssistantTurn) iter.Seq2[string, error]
}

// AssistantTurn is one message of the history sent to the model.
type AssistantTurn struct {
	// Model is true for the assistant's own replies.
	Model bool
	// Name is the display name of the person who wrote a user turn.
	Name string
	Text string
}

// AssistantError is a failed reply as the model reports it: a stable Code
// (one of torii.Assistant*, the assistant.error codes of docs/api.md), a
// Message for people, and the cause for the log.
type AssistantError struct {
	Code    string
	Message string
	// Blocked is true when the model refused to go on (safety filters, a
	// refusal), as opposed to a reply cut short: a partial reply is then
	// stored with status "error" rather than "incomplete".
	Blocked bool
	// RetryAfter is the model's suggested wait, if it gave one.
	RetryAfter time.Duration
	Err        error
}

func (e *AssistantError) Error() string {
	if e.Err != nil {
		return "assistant: " + e.Code + ": " + e.Err.Error()
	}
	return "assistant: " + e.Code + ": " + e.Message
}

func (e *AssistantError) Unwrap() error { return e.Err }

// assistantError returns err as an *AssistantError, wrapping errors of
// other types as torii.AssistantFailed.
func assistantError(err error) *AssistantError {
	var e *AssistantError
	if errors.As(err, &e) {
		return e
	}
	return &AssistantError{Code: torii.AssistantFailed, Message: "The assistant could not answer this message.", Err: err}
}
