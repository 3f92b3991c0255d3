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
		for ch, err := range c.Reply(ctx, history, Options{}) {
			if err != nil {
				yield("", err)
				return
			}
			if ch.Text != "" && !yield(ch.Text, nil) {
				return
			}
		}
	}
}

// Options choose, per request, what Config fixes for the Client: a
// conversation's own model, system instruction and grounding.
type Options struct {
	// Model overrides Config.Model when not empty.
	Model string
	// SystemPrompt, when not empty, replaces Config.SystemPrompt (the note
	// about names is still appended).
	SystemPrompt string
	// Grounding adds the GoogleSearch tool: Gemini may search the web and
	// reports the pages it used (Chunk.Sources).
	Grounding bool
}

// Usage is what a request cost, as the API reports it (UsageMetadata).
type Usage struct {
	PromptTokens     int64
	CandidatesTokens int64
	ThoughtsTokens   int64
	TotalTokens      int64
}

// Source is a web page a grounded reply used.
type Source struct {
	Title string `json:"title"`
	URI   string `json:"uri"`
}

// Chunk is one piece of a reply: text, and, on the pieces that carry them,
// the usage so far (the API sends it on the last response; later values
// replace earlier ones) and the grounding sources.
type Chunk struct {
	Text    string
	Usage   *Usage
	Sources []Source
}

// Reply is Stream with per-request Options, yielding Chunks that also
// carry the usage and the grounding sources. The caller keeps the last
// Usage it saw: it is what the request was billed, even when an error
// follows (a blocked prompt is billed its prompt tokens).
func (c *Client) Reply(ctx context.Context, history []Turn, opts Options) iter.Seq2[Chunk, error] {
	return func(yield func(Chunk, error) bool) {
		contents := Conversation(history, c.contextChars)
		if len(contents) == 0 {
			yield(Chunk{}, newError(torii.AssistantFailed, errors.New("gemini: no message to answer")))
			return
		}
		rctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errReplyTimeout)
		defer cancel()
		system := c.system
		if p := strings.TrimSpace(opts.SystemPrompt); p != "" {
			system = p + "\n\n" + namesNote
		}
		cfg := &genai.GenerateContentConfig{
			SystemInstruction: &genai.Content{Parts: []*genai.Part{{Text: system}}},
		}
		if opts.Grounding {
			cfg.Tools = []*genai.Tool{{GoogleSearch: &genai.GoogleSearch{}}}
		}
		model := c.model
		if opts.Model != "" {
			model = opts.Model
		}
		fail := func(err error, started bool) {
			timedOut := errors.Is(context.Cause(rctx), errReplyTimeout)
			yield(Chunk{}, classify(ctx, err, timedOut, started))
		}
		started, finished := false, false
		for resp, err := range c.sdk.Models.GenerateContentStream(rctx, model, contents, cfg) {
			if err != nil {
				fail(err, started)
				return
			}
			var ch Chunk
			if u := resp.UsageMetadata; u != nil {
				ch.Usage = &Usage{PromptTokens: int64(u.PromptTokenCount), CandidatesTokens: int64(u.CandidatesTokenCount),
					ThoughtsTokens: int64(u.ThoughtsTokenCount), TotalTokens: int64(u.TotalTokenCount)}
			}
			if pf := resp.PromptFeedback; pf != nil && pf.BlockReason != "" {
				if ch.Usage != nil && !yield(ch, nil) {
					return
				}
				yield(Chunk{}, newError(torii.AssistantBlocked, fmt.Errorf("gemini: prompt blocked: %s", pf.BlockReason)))
				return
			}
			var fr genai.FinishReason
			if len(resp.Candidates) > 0 && resp.Candidates[0] != nil {
				cand := resp.Candidates[0]
				ch.Text = partsText(cand.Content)
				ch.Sources = sources(cand.GroundingMetadata)
				fr = cand.FinishReason
			}
			if ch.Text != "" {
				started = true
			}
			if ch.Text != "" || ch.Usage != nil || len(ch.Sources) > 0 {
				if !yield(ch, nil) {
					return
				}
			}
			switch fr {
			case "", genai.FinishReasonUnspecified:
			case genai.FinishReasonStop, genai.FinishReasonMaxTokens:
				finished = true
			default:
				yield(Chunk{}, finishError(fr))
				return
			}
		}
		if !finished {
			fail(errors.New("gemini: the stream ended without a finishReason"), true)
		}
	}
}

// sources lists the web pages of a grounded reply, without duplicates.
func sources(g *genai.GroundingMetadata) []Source {
	if g == nil {
		return nil
	}
	var out []Source
	seen := map[string]bool{}
	for _, c := range g.GroundingChunks {
		if c == nil || c.Web == nil || c.Web.URI == "" || seen[c.Web.URI] {
			continue
		}
		seen[c.Web.URI] = true
		title := c.Web.Title
		if title == "" {
			title = c.Web.Domain
		}
		out = append(out, Source{Title: title, URI: c.Web.URI})
	}
	return out
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
