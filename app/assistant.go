package app

import (
	"context"
	"errors"
	"iter"
	"log/slog"

	"github.com/toriihq/torii/config"
	"github.com/toriihq/torii/gemini"
	"github.com/toriihq/torii/service"
)

// newAssistant returns the Gemini model for cfg, or nil when the assistant
// is off (no key, no Vertex AI project). It makes no request.
func newAssistant(ctx context.Context, cfg *config.Config, log *slog.Logger) (service.AssistantModel, error) {
	if !cfg.AssistantEnabled() {
		return nil, nil
	}
	c, err := gemini.New(ctx, gemini.Config{
		APIKey:       cfg.GeminiAPIKey.Reveal(),
		VertexAI:     cfg.VertexAI,
		Project:      cfg.GoogleCloudProject,
		Location:     cfg.GoogleCloudLocation,
		Model:        cfg.Models()[0],
		BaseURL:      cfg.GeminiBaseURL,
		SystemPrompt: cfg.GeminiSystemPrompt,
	})
	if err != nil {
		return nil, err
	}
	log.Info("assistant on", "backend", c.Backend(), "model", c.Model())
	return geminiModel{c}, nil
}

// geminiModel adapts a gemini.Client to service.AssistantModel.
type geminiModel struct{ c *gemini.Client }

func (m geminiModel) Stream(ctx context.Context, history []service.AssistantTurn) iter.Seq2[string, error] {
	turns := make([]gemini.Turn, len(history))
	for i, t := range history {
		turns[i] = gemini.Turn(t)
	}
	return func(yield func(string, error) bool) {
		for chunk, err := range m.c.Stream(ctx, turns) {
			if err != nil {
				var e *gemini.Error
				if !errors.As(err, &e) {
					yield("", err)
					return
				}
				yield("", &service.AssistantError{Code: e.Code, Message: e.Message,
					Blocked: e.Blocked(), RetryAfter: e.RetryAfter, Err: e.Err})
				return
			}
			if !yield(chunk, nil) {
				return
			}
		}
	}
}

// Reply implements service.AssistantReplier: the conversation's model,
// instruction and grounding, and the usage Gemini reports.
func (m geminiModel) Reply(ctx context.Context, history []service.AssistantTurn, req service.AssistantRequest) iter.Seq2[service.AssistantChunk, error] {
	turns := make([]gemini.Turn, len(history))
	for i, t := range history {
		turns[i] = gemini.Turn(t)
	}
	opts := gemini.Options{Model: req.Model, SystemPrompt: req.SystemPrompt, Grounding: req.Grounding}
	return func(yield func(service.AssistantChunk, error) bool) {
		for ch, err := range m.c.Reply(ctx, turns, opts) {
			if err != nil {
				yield(service.AssistantChunk{}, serviceError(err))
				return
			}
			out := service.AssistantChunk{Text: ch.Text}
			if u := ch.Usage; u != nil {
				out.Usage = &service.AssistantTokens{Prompt: u.PromptTokens, Output: u.CandidatesTokens,
					Thoughts: u.ThoughtsTokens, Total: u.TotalTokens}
			}
			for _, s := range ch.Sources {
				out.Sources = append(out.Sources, service.AssistantSource(s))
			}
			if !yield(out, nil) {
				return
			}
		}
	}
}

// serviceError turns a *gemini.Error into a *service.AssistantError.
func serviceError(err error) error {
	var e *gemini.Error
	if !errors.As(err, &e) {
		return err
	}
	return &service.AssistantError{Code: e.Code, Message: e.Message, Blocked: e.Blocked(), RetryAfter: e.RetryAfter, Err: e.Err}
}

// Generate implements service.AssistantGenerator: one request, no stream
// (a conversation's title).
func (m geminiModel) Generate(ctx context.Context, model, system, text string, maxOutput int) (string, *service.AssistantTokens, error) {
	out, u, err := m.c.Generate(ctx, system, text, int32(maxOutput), gemini.Options{Model: model})
	var usage *service.AssistantTokens
	if u != nil {
		usage = &service.AssistantTokens{Prompt: u.PromptTokens, Output: u.CandidatesTokens, Thoughts: u.ThoughtsTokens, Total: u.TotalTokens}
	}
	return out, usage, serviceError(err)
}
