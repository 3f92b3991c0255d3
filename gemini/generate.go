package gemini

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genai"

	"github.com/toriihq/torii"
)

// Generate asks Gemini one question in one request (generateContent, no
// stream) and returns the answer's text and what it cost. It is for short
// jobs beside the conversation, such as naming it: system is the whole
// system instruction (no note about names), opts.Model picks the model,
// opts.Grounding is ignored. maxOutput bounds the answer's tokens (0: the
// model's own limit). Errors are *Error, as Reply's; the usage is returned
// whenever the API reported it, even with an error.
func (c *Client) Generate(ctx context.Context, system, text string, maxOutput int32, opts Options) (string, *Usage, error) {
	if strings.TrimSpace(text) == "" {
		return "", nil, newError(torii.AssistantFailed, errors.New("gemini: nothing to ask"))
	}
	rctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errReplyTimeout)
	defer cancel()
	cfg := &genai.GenerateContentConfig{}
	if system = strings.TrimSpace(system); system != "" {
		cfg.SystemInstruction = &genai.Content{Parts: []*genai.Part{{Text: system}}}
	}
	if maxOutput > 0 {
		cfg.MaxOutputTokens = maxOutput
	}
	model := c.model
	if opts.Model != "" {
		model = opts.Model
	}
	resp, err := c.sdk.Models.GenerateContent(rctx, model, []*genai.Content{genai.NewContentFromText(text, genai.RoleUser)}, cfg)
	if err != nil {
		return "", nil, classify(ctx, err, errors.Is(context.Cause(rctx), errReplyTimeout), false)
	}
	var usage *Usage
	if u := resp.UsageMetadata; u != nil {
		usage = &Usage{PromptTokens: int64(u.PromptTokenCount), CandidatesTokens: int64(u.CandidatesTokenCount),
			ThoughtsTokens: int64(u.ThoughtsTokenCount), TotalTokens: int64(u.TotalTokenCount)}
	}
	if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" {
		return "", usage, newError(torii.AssistantBlocked, fmt.Errorf("gemini: prompt blocked: %s", pf.BlockReason))
	}
	if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
		return "", usage, newError(torii.AssistantFailed, errors.New("gemini: no candidate"))
	}
	cand := resp.Candidates[0]
	switch cand.FinishReason {
	case "", genai.FinishReasonUnspecified, genai.FinishReasonStop, genai.FinishReasonMaxTokens:
	default:
		return "", usage, finishError(cand.FinishReason)
	}
	return partsText(cand.Content), usage, nil
}
