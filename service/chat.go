package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
)

// Chat limits (docs/api.md "Chat").
const (
	// MaxMessageBytes bounds a message body: 8 KiB of UTF-8 is several
	// pages of text, and keeps a replay page (100 messages) under a
	// megabyte.
	MaxMessageBytes  = 8 << 10
	maxRoomNameRunes = 80
	maxClientIDBytes = 64
)

// assistantMention starts a message that asks the assistant in a room
// without assistant: true.
const assistantMention = "@gemini"

// Author is the public profile shown next to a message.
type Author struct {
	ID        int64
	Name      string
	AvatarURL string
}

// ChatMessage is a message with its author's profile (nil for the
// assistant, or a user who no longer exists).
type ChatMessage struct {
	torii.Message
	User *Author
	// Reactions and Reply (the quoted preview of the message answered)
	// are issue 17's.
	Reactions []torii.Reaction
	Reply     *ReplyPreview
	// Assistant is the model and cost of an assistant reply (nil
	// otherwise, and for replies stored before usage was kept).
	Assistant *ReplyInfo
}

// RoomInput is what a client sends to create a room.
type RoomInput struct {
	Name       string
	Visibility string
	GroupID    *int64
	Assistant  bool
	// AutoTitle (assistant rooms only) says Name is a placeholder: the
	// first exchange names the room (assistant_title.go).
	AutoTitle bool
}

// AssistantEnabled reports whether an assistant is configured.
func (s *Service) AssistantEnabled() bool { return s.opts.Assistant != nil }

var errAssistantOff = torii.Errorf(torii.EAssistantOff, "The assistant is not configured on this server.")

var errRoomNotFound = torii.Errorf(torii.ENotFound, "There is no such room.")

// Rooms lists the rooms p can see, ordered by id.
func (s *Service) Rooms(ctx context.Context, p Principal) ([]torii.Room, error) {
	return s.store.RoomsVisibleTo(ctx, p.User.ID)
}

// CreateRoom creates a room for p. Any active user may create public and
// private rooms; group rooms only members of the group (FORBIDDEN
// otherwise, and NOT_FOUND for a group that does not exist, so group ids
// are not probed). An assistant room needs an assistant.
func (s *Service) CreateRoom(ctx context.Context, p Principal, in RoomInput) (torii.Room, error) {
	f := fieldErrors{}
	in.Name = validRoomName(in.Name, f)
	switch in.Visibility {
	case torii.RoomPublic, torii.RoomPrivate:
		if in.GroupID != nil {
			f["groupId"] = "is only for group rooms"
		}
	case torii.RoomGroup:
		if in.GroupID == nil {
			f["groupId"] = "is required for a group room"
		}
	default:
		f["visibility"] = "must be public, group or private"
	}
	if err := f.err(); err != nil {
		return torii.Room{}, err
	}
	if in.AutoTitle && !in.Assistant {
		return torii.Room{}, torii.Invalid(map[string]string{"autoTitle": "is only for assistant rooms"})
	}
	if in.Assistant && !s.AssistantEnabled() {
		return torii.Room{}, errAssistantOff
	}
	if in.Visibility == torii.RoomGroup {
		if _, err := s.store.GroupRole(ctx, *in.GroupID, p.User.ID); errors.Is(err, torii.ErrNotFound) {
			if _, gerr := s.store.GroupByID(ctx, *in.GroupID); gerr != nil {
				return torii.Room{}, gerr
			}
			return torii.Room{}, torii.Errorf(torii.EForbidden, "Only members of the group may create its rooms.")
		} else if err != nil {
			return torii.Room{}, err
		}
	}
	if err := allowCreate(s.opts.RoomsPerUser, &p.User.ID, "rooms"); err != nil {
		return torii.Room{}, err
	}
	cand := torii.Room{Name: in.Name, Visibility: in.Visibility, GroupID: in.GroupID,
		Assistant: in.Assistant, CreatedBy: &p.User.ID, CreatedAt: s.now().UTC()}
	if taken, err := s.store.RoomNameTaken(ctx, cand, 0); err != nil {
		return torii.Room{}, err
	} else if taken {
		return torii.Room{}, errRoomNameTaken
	}
	r, err := s.store.CreateRoom(ctx, cand)
	if errors.Is(err, torii.ErrConflict) {
		return torii.Room{}, errRoomNameTaken
	}
	if err != nil {
		return torii.Room{}, err
	}
	if in.AutoTitle {
		if err := s.store.MarkAutoTitle(ctx, r.ID); err != nil {
			// The room is made: it keeps the name it was given.
			s.log.Warn("assistant room not marked for a title", "room", r.ID, "err", err)
		}
	}
	s.publishLog(ctx, r.ID, 0, torii.ChatRoomAdd, 0)
	return r, nil
}

// Room returns room id if p may see it, else NOT_FOUND: a room one cannot
// see does not exist for them (security.md H.40).
//
// The room's row may come from the principal cache (read within its TTL):
// every message sent and every stream opened looks its room up.
func (s *Service) Room(ctx context.Context, p Principal, id int64) (torii.Room, error) {
	now := s.now()
	r, ok := s.cache.room(id, now)
	if !ok {
		var err error
		r, err = s.store.RoomByID(ctx, id)
		if errors.Is(err, torii.ErrNotFound) {
			return torii.Room{}, errRoomNotFound
		}
		if err != nil {
			return torii.Room{}, err
		}
		s.cache.putRoom(r, now)
	}
	ok, err := s.canSee(ctx, p.User.ID, r)
	if err != nil {
		return torii.Room{}, err
	}
	if !ok {
		return torii.Room{}, errRoomNotFound
	}
	return r, nil
}

// canSee applies the visibility rules; the caller is already an active,
// allowed user (Authenticate checked).
func (s *Service) canSee(ctx context.Context, userID int64, r torii.Room) (bool, error) {
	switch r.Visibility {
	case torii.RoomPublic:
		return true, nil
	case torii.RoomPrivate:
		// Its members only (direct conversations too; administrators
		// included: issue 17).
		return s.store.IsRoomMember(ctx, r.ID, userID)
	case torii.RoomGroup:
		if r.GroupID == nil {
			return false, nil
		}
		_, err := s.store.GroupRole(ctx, *r.GroupID, userID)
		if errors.Is(err, torii.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	return false, nil
}

// Messages returns a page of room roomID's history, newest first, and the
// `before` of the next page (nil at the beginning of the room).
func (s *Service) Messages(ctx context.Context, p Principal, roomID, before int64, limit int) ([]ChatMessage, *int64, error) {
	if _, err := s.Room(ctx, p, roomID); err != nil {
		return nil, nil, err
	}
	limit = pageLimit(limit)
	ms, err := s.store.MessagesBefore(ctx, roomID, before, limit)
	if err != nil {
		return nil, nil, err
	}
	var next *int64
	if len(ms) == limit {
		next = ptr(ms[len(ms)-1].ID)
	}
	out, err := s.withAuthors(ctx, ms)
	if err == nil {
		err = s.withReplyInfo(ctx, out)
	}
	return out, next, err
}

// pageLimit applies api.md's list bounds: default 50, at most 100.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 100:
		return 100
	}
	return n
}

// PostMessage stores a user message in roomID and announces it. A retry
// with the same clientID returns the first message and created=false,
// announcing nothing. The body is text: at most MaxMessageBytes of valid
// UTF-8, not blank.
func (s *Service) PostMessage(ctx context.Context, p Principal, roomID int64, body, clientID string) (ChatMessage, bool, error) {
	return s.PostReply(ctx, p, roomID, body, clientID, nil)
}

// PostReply is PostMessage with, when replyTo is set, the id of the
// message of the same room it answers (issue 17: shown with a quoted
// preview). @name mentions of the room's members are stored with it.
func (s *Service) PostReply(ctx context.Context, p Principal, roomID int64, body, clientID string, replyTo *int64) (ChatMessage, bool, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return ChatMessage{}, false, err
	}
	if r.Archived {
		return ChatMessage{}, false, errRoomArchived
	}
	f := fieldErrors{}
	validBody(body, f)
	if replyTo != nil {
		if m, err := s.store.MessageByID(ctx, r.ID, *replyTo); errors.Is(err, torii.ErrNotFound) || (err == nil && m.DeletedAt != nil) {
			f["replyTo"] = "is not a message of this room"
		} else if err != nil {
			return ChatMessage{}, false, err
		}
	}
	if len(clientID) > maxClientIDBytes || strings.IndexFunc(clientID, unicode.IsControl) >= 0 {
		f["clientId"] = "must be at most 64 printable bytes"
	}
	if err := f.err(); err != nil {
		return ChatMessage{}, false, err
	}
	if err := allowCreate(s.opts.MessagesPerUser, &p.User.ID, "messages"); err != nil {
		return ChatMessage{}, false, err
	}
	asks := r.Assistant || hasPrefixFold(strings.TrimSpace(body), assistantMention)
	var run *assistantRun
	if asks {
		if !s.AssistantEnabled() {
			return ChatMessage{}, false, errAssistantOff
		}
		// Claimed before the message is stored, so a refused request
		// (busy room, per-user limit) stores nothing.
		if run, err = s.reserveAssistant(ctx, p, r.ID); err != nil {
			return ChatMessage{}, false, err
		}
	}
	mentions, err := s.mentions(ctx, r, body)
	if err != nil {
		if run != nil {
			s.releaseAssistant(r.ID, run)
		}
		return ChatMessage{}, false, err
	}
	m, created, err := s.store.CreateMessage(ctx, torii.Message{RoomID: r.ID, UserID: &p.User.ID,
		Author: torii.AuthorUser, Body: body, ClientID: clientID, ReplyTo: replyTo, Status: torii.MessageComplete,
		CreatedAt: s.now().UTC(), Mentions: mentions})
	if err != nil || !created {
		if run != nil {
			s.releaseAssistant(r.ID, run)
		}
	}
	if err != nil {
		return ChatMessage{}, false, err
	}
	views, err := s.withAuthors(ctx, []torii.Message{m})
	if err != nil {
		return ChatMessage{}, false, err
	}
	cm := views[0]
	if !created {
		return cm, false, nil
	}
	s.announce(ctx, m)
	if run != nil {
		go s.reply(r, cm, run)
	}
	return cm, true, nil
}

// PostAssistantReply stores the assistant's reply to message replyTo of
// roomID (status torii.MessageComplete, MessageIncomplete or MessageError)
// and announces it.
func (s *Service) PostAssistantReply(ctx context.Context, roomID, replyTo int64, body, status string) (ChatMessage, error) {
	if len(body) > MaxMessageBytes*4 {
		body = truncate(body, MaxMessageBytes*4)
	}
	m, _, err := s.store.CreateMessage(ctx, torii.Message{RoomID: roomID, Author: torii.AuthorAssistant,
		Body: body, ReplyTo: &replyTo, Status: status, CreatedAt: s.now().UTC()})
	if err != nil {
		return ChatMessage{}, err
	}
	s.announce(ctx, m)
	return ChatMessage{Message: m}, nil
}

// PublishAssistant sends an ephemeral assistant event (kind is
// chat.KindAssistantDelta, KindAssistantDone or KindAssistantError; data
// its JSON payload, api.md) to the streams of roomID.
func (s *Service) PublishAssistant(ctx context.Context, roomID int64, kind string, data []byte) error {
	// Compact JSON holds no newline, so it fits one SSE data line.
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return fmt.Errorf("service: assistant event: %w", err)
	}
	if b.Len() > chat.MaxDataSize {
		return errors.New("service: assistant event too large")
	}
	return s.broker.Publish(ctx, chat.Event{Kind: kind, RoomID: roomID, Data: b.Bytes()})
}

// announce wakes the streams of m's room. A failed publish is logged: the
// message is stored, and streams find it at their next wake-up or
// reconnect.
func (s *Service) announce(ctx context.Context, m torii.Message) {
	err := s.broker.Publish(context.WithoutCancel(ctx), chat.Event{Kind: chat.KindMessage, RoomID: m.RoomID, MessageID: m.ID})
	if err != nil {
		s.log.Warn("chat publish failed", "room", m.RoomID, "message", m.ID, "err", err)
	}
}

func authorOf(u torii.User) *Author {
	return &Author{ID: u.ID, Name: u.Name, AvatarURL: u.AvatarURL}
}

// withAuthors attaches the authors' profiles, reading each user at most
// once, and not at all if the principal cache read it within its TTL (a
// profile change made through this process is seen at once, one made
// elsewhere within a second, as for principals).
func (s *Service) withAuthors(ctx context.Context, ms []torii.Message) ([]ChatMessage, error) {
	out, err := s.withAuthorsOnly(ctx, ms)
	if err != nil {
		return nil, err
	}
	return out, s.enrich(ctx, out)
}

// withAuthorsOnly is withAuthors without reactions, mentions and replies.
func (s *Service) withAuthorsOnly(ctx context.Context, ms []torii.Message) ([]ChatMessage, error) {
	out := make([]ChatMessage, len(ms))
	seen := map[int64]*Author{}
	now := s.now()
	for i, m := range ms {
		out[i].Message = m
		if m.UserID == nil {
			continue
		}
		a, ok := seen[*m.UserID]
		if !ok {
			if a, ok = s.cache.author(*m.UserID, now); !ok {
				u, err := s.store.UserByID(ctx, *m.UserID)
				switch {
				case err == nil:
					a = authorOf(u)
				case !errors.Is(err, torii.ErrNotFound):
					return nil, err
				}
				s.cache.putAuthor(*m.UserID, a, now)
			}
			seen[*m.UserID] = a
		}
		out[i].User = a
	}
	return out, nil
}
