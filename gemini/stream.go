package gemini

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"

	"google.golang.org/genai"

	"github.com/toriihq/torii"
)

// errReplyTimeout is the cause of a reply's own deadline, to tell it from
// the caller's cancellation.
var errReplyTimeout = errors.New("gemini: reply timeout")

// Stream asks Gemini to answer history (oldest first, ending with the
// message to answer; see Conversation for what is sent) and yields the
// reply's text as it arrives, chunk by chunk. The sequence ends after the
// last chunk when Gemini says the reply is finished (finishReason STOP, or
// MAX_TOKENS when the model's output limit is reached); otherwise it ends
// with one ("", *Error) pair. Chunks already yielded stay valid: a caller
// keeps them as an incomplete reply.
//
// Cancelling ctx (a stop button, a shutdown) ends the request and yields
// torii.AssistantCancelled; breaking out of the loop ends the request too. Config.Timeout
// bounds the whole reply (torii.AssistantTimeout).
func (c *Client) Stream(ctx context.Context, history []Turn) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		contents := Conversation(history, c.contextChars)
		if len(contents) == 0 {
			yield("", newError(torii.AssistantFailed, errors.New("gemini: no message to answer")))
			return
		}
		rctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errReplyTimeout)
		defer cancel()
		cfg := &genai.GenerateContentConfig{
			SystemInstruction: &genai.Content{Parts: []*genai.Part{{Text: c.system}}},
		}
		fail := func(err error, started bool) {
			timedOut := errors.Is(context.Cause(rctx), errReplyTimeout)
			yield("", classify(ctx, err, timedOut, started))
		}
		started, finished := false, false
		for resp, err := range c.sdk.Models.GenerateContentStream(rctx, c.model, contents, cfg) {
			if err != nil {
				fail(err, started)
				return
			}
			if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" {
				yield("", newError(torii.AssistantBlocked, fmt.Errorf("gemini: prompt blocked: %s", pf.BlockReason)))
				return
			}
			if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
				continue
			}
			cand := resp.Candidates[0]
			if text := partsText(cand.Content); text != "" {
				started = true
				if !yield(text, nil) {
					return
				}
			}
			switch fr := cand.FinishReason; fr {
			case "", genai.FinishReasonUnspecified:
			case genai.FinishReasonStop, genai.FinishReasonMaxTokens:
				finished = true
			default:
				yield("", finishError(fr))
				return
			}
		}
		if !finished {
			fail(errors.New("gemini: the stream ended without a finishReason"), true)
		}
	}
}

// partsText joins the text parts of c, leaving out the model's thoughts.
func partsText(c *genai.Content) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range c.Parts {
		if p != nil && !p.Thought {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// finishError maps a finishReason other than STOP and MAX_TOKENS.
func finishError(fr genai.FinishReason) *Error {
	cause := fmt.Errorf("gemini: finishReason %s", fr)
	switch fr {
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII, genai.FinishReasonLanguage,
		genai.FinishReasonImageSafety, genai.FinishReasonImageProhibitedContent,
		genai.FinishReasonImageRecitation:
		return newError(torii.AssistantBlocked, cause)
	}
	return newError(torii.AssistantFailed, cause)
}
