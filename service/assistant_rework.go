package service

import (
	"context"
	"errors"

	"github.com/toriihq/torii"
)

// Regenerate and edit-and-resend (docs/api.md "Working with replies"): in
// a Gemini conversation, the person who asked the last question may have
// it answered again, as it is or edited. The last reply, if any, becomes a
// tombstone (its usage stays counted), the question is answered again
// like a new one: the same per-user limit, token budget and one reply at
// a time per room (a reply in progress → RATE_LIMITED, "still answering").

var (
	errNothingToRedo = torii.Errorf(torii.EConflict, "There is no question to answer again in this conversation.")
	errNotLastAsked  = torii.Errorf(torii.EConflict, "Only the last question can be edited and sent again.")
	errNotAsker      = torii.Errorf(torii.EForbidden, "Only the person who asked the last question can have it answered again.")
)

// lookBack bounds how many of a room's newest messages are read to find
// its last exchange (tombstones of earlier regenerations come first).
const lookBack = 50

// exchange is a room's last question and its reply (nil: unanswered).
type exchange struct {
	question torii.Message
	reply    *torii.Message
}

// lastExchange finds roomID's last question and its reply.
func (s *Service) lastExchange(ctx context.Context, roomID int64) (exchange, error) {
	ms, err := s.store.MessagesBefore(ctx, roomID, 0, lookBack)
	if err != nil {
		return exchange{}, err
	}
	for _, m := range ms {
		if m.DeletedAt != nil {
			continue
		}
		if m.Author == torii.AuthorUser {
			return exchange{question: m}, nil
		}
		if m.ReplyTo == nil {
			return exchange{}, errNothingToRedo
		}
		q, err := s.store.MessageByID(ctx, roomID, *m.ReplyTo)
		if errors.Is(err, torii.ErrNotFound) || (err == nil && (q.DeletedAt != nil || q.Author != torii.AuthorUser)) {
			return exchange{}, errNothingToRedo
		}
		if err != nil {
			return exchange{}, err
		}
		reply := m
		return exchange{question: q, reply: &reply}, nil
	}
	return exchange{}, errNothingToRedo
}

// RegenerateReply answers room roomID's last question again: 202 with the
// question; the new reply streams as any other.
func (s *Service) RegenerateReply(ctx context.Context, p Principal, roomID int64, meta Meta) (ChatMessage, error) {
	return s.answerAgain(ctx, p, roomID, 0, nil, meta)
}

// ResendQuestion replaces the text of the last question, messageID, with
// body and answers it again. A message that is not the last question →
// CONFLICT.
func (s *Service) ResendQuestion(ctx context.Context, p Principal, roomID, messageID int64, body string, meta Meta) (ChatMessage, error) {
	return s.answerAgain(ctx, p, roomID, messageID, &body, meta)
}

func (s *Service) answerAgain(ctx context.Context, p Principal, roomID, messageID int64, body *string, meta Meta) (ChatMessage, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return ChatMessage{}, err
	}
	if !r.Assistant {
		return ChatMessage{}, torii.Invalid(map[string]string{"roomId": "is only for assistant rooms"})
	}
	if !s.AssistantEnabled() {
		return ChatMessage{}, errAssistantOff
	}
	if r.Archived {
		return ChatMessage{}, errRoomArchived
	}
	if body != nil {
		f := fieldErrors{}
		validBody(*body, f)
		if err := f.err(); err != nil {
			return ChatMessage{}, err
		}
	}
	check := func() (exchange, error) {
		ex, err := s.lastExchange(ctx, r.ID)
		if err != nil {
			return ex, err
		}
		if ex.question.UserID == nil || *ex.question.UserID != p.User.ID {
			return ex, errNotAsker
		}
		if body != nil && ex.question.ID != messageID {
			return ex, errNotLastAsked
		}
		return ex, nil
	}
	// Checked before the slot is claimed, so that a refusal spends no
	// request of the per-user limit, and again after: while the slot is
	// ours no reply can land.
	if _, err := check(); err != nil {
		return ChatMessage{}, err
	}
	run, err := s.reserveAssistant(ctx, p, r.ID)
	if err != nil {
		return ChatMessage{}, err
	}
	ex, err := check()
	if err != nil {
		s.releaseAssistant(r.ID, run)
		return ChatMessage{}, err
	}
	q := ex.question
	if body != nil && *body != q.Body {
		mentions, err := s.mentions(ctx, r, *body)
		if err == nil {
			_, err = s.store.EditMessage(ctx, r.ID, q.ID, *body, mentions, s.now().UTC())
		}
		if err != nil {
			s.releaseAssistant(r.ID, run)
			return ChatMessage{}, err
		}
		s.audit(ctx, torii.AuditMessageEdit, &p.User.ID, p.User.Email, meta, map[string]any{"roomId": r.ID, "messageId": q.ID})
		s.publishLog(ctx, r.ID, 0, torii.ChatMessageEdit, q.ID)
	}
	if ex.reply != nil {
		// Announced before the new reply's first delta: a page drops the
		// old reply, then streams the new one.
		if _, err := s.store.DeleteMessage(ctx, r.ID, ex.reply.ID, s.now().UTC()); err != nil && !errors.Is(err, torii.ErrNotFound) {
			s.releaseAssistant(r.ID, run)
			return ChatMessage{}, err
		}
		s.publishLog(ctx, r.ID, 0, torii.ChatMessageDelete, ex.reply.ID)
	}
	cm, err := s.messageView(ctx, r.ID, q.ID)
	if err != nil {
		s.releaseAssistant(r.ID, run)
		return ChatMessage{}, err
	}
	go s.reply(r, cm, run)
	return cm, nil
}
