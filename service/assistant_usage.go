package service

import (
	"context"
	"encoding/json"

	"github.com/toriihq/torii"
)

// ReplyInfo is what an assistant reply cost and which model wrote it.
type ReplyInfo struct {
	Model   string
	Usage   AssistantTokens
	Sources []AssistantSource
}

// replyCost is what reply records with the message it stores.
type replyCost struct {
	userID  int64
	model   string
	usage   *AssistantTokens
	sources []AssistantSource
}

// maxSources bounds the grounding sources kept with a reply.
const maxSources = 20

// appendSources adds the sources not seen yet, up to maxSources.
func appendSources(have, more []AssistantSource) []AssistantSource {
	for _, m := range more {
		if len(have) >= maxSources {
			break
		}
		dup := false
		for _, h := range have {
			dup = dup || h.URI == m.URI
		}
		if !dup && m.URI != "" {
			have = append(have, m)
		}
	}
	return have
}

// storeReply stores the assistant's reply (when there is text) and its
// usage, then announces it: the usage is written before the announcement,
// so that every stream reading the message sees its model and tokens. A
// reply with no text but usage (a prompt blocked after it was billed)
// records the usage alone and returns nil.
func (s *Service) storeReply(ctx context.Context, roomID, replyTo int64, body, status string, c replyCost) (*ChatMessage, error) {
	var msg *ChatMessage
	if body != "" {
		if len(body) > MaxMessageBytes*4 {
			body = truncate(body, MaxMessageBytes*4)
		}
		m, _, err := s.store.CreateMessage(ctx, torii.Message{RoomID: roomID, Author: torii.AuthorAssistant,
			Body: body, ReplyTo: &replyTo, Status: status, CreatedAt: s.now().UTC()})
		if err != nil {
			return nil, err
		}
		msg = &ChatMessage{Message: m}
	}
	var u AssistantTokens
	if c.usage != nil {
		u = *c.usage
	}
	src, _ := json.Marshal(append([]AssistantSource{}, c.sources...))
	rec := torii.AssistantUsage{UserID: c.userID, RoomID: roomID, Model: c.model,
		PromptTokens: u.Prompt, OutputTokens: u.Output, ThoughtsTokens: u.Thoughts, TotalTokens: u.Total,
		SourcesJSON: string(src), CreatedAt: s.now().UTC()}
	if msg != nil {
		rec.MessageID = &msg.ID
		msg.Assistant = &ReplyInfo{Model: c.model, Usage: u, Sources: c.sources}
	}
	if _, err := s.store.RecordUsage(ctx, rec); err != nil {
		// The reply is worth more than its accounting: keep it, log this.
		s.log.Error("assistant usage not recorded", "room", roomID, "err", err)
	}
	if msg != nil {
		s.announce(ctx, msg.Message)
	}
	return msg, nil
}

// withReplyInfo attaches the model and usage of the assistant replies in
// ms (one query, none when ms holds no reply).
func (s *Service) withReplyInfo(ctx context.Context, ms []ChatMessage) error {
	var ids []int64
	for _, m := range ms {
		if m.Author == torii.AuthorAssistant {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	us, err := s.store.UsageOfMessages(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ms {
		u, ok := us[ms[i].ID]
		if !ok {
			continue
		}
		info := &ReplyInfo{Model: u.Model, Usage: AssistantTokens{Prompt: u.PromptTokens, Output: u.OutputTokens,
			Thoughts: u.ThoughtsTokens, Total: u.TotalTokens}}
		_ = json.Unmarshal([]byte(u.SourcesJSON), &info.Sources)
		ms[i].Assistant = info
	}
	return nil
}
