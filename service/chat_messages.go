package service

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/chat"
)

// Edits, deletions, reactions, replies, mentions and read markers (issue
// 17).

const (
	// MaxMentions bounds the people one message mentions.
	MaxMentions = 20
	// MaxReactionEmoji bounds the distinct emoji on one message, and
	// maxEmojiBytes one emoji (a flag or a family sequence fits).
	MaxReactionEmoji = 20
	maxEmojiBytes    = 32
	// replyPreviewRunes bounds a reply's quoted preview.
	replyPreviewRunes = 140
)

var (
	errNoSuchMessage = torii.Errorf(torii.ENotFound, "There is no such message.")
	errNotAuthor     = torii.Errorf(torii.EForbidden, "Only the author may edit a message.")
	errMayNotDelete  = torii.Errorf(torii.EForbidden, "Only the author, the room's owner or an administrator may delete a message.")
	errTooManyEmoji  = torii.Errorf(torii.EConflict, "This message already has 20 different reactions.")
)

// ReplyPreview is the quoted preview of the message a reply answers.
type ReplyPreview struct {
	ID      int64
	Author  string
	User    *Author
	Body    string // at most replyPreviewRunes runes; "" for a deleted message
	Deleted bool
}

// validBody checks a message body (docs/api.md "Chat"), adding to f.
func validBody(body string, f fieldErrors) {
	switch {
	case strings.TrimSpace(body) == "":
		f["body"] = "is required"
	case len(body) > MaxMessageBytes:
		f["body"] = "must be at most 8192 bytes"
	case !utf8.ValidString(body) || strings.ContainsRune(body, 0):
		f["body"] = "must be text"
	}
}

// mentionRE finds @name tokens: an @ at the start or after a character
// that is not part of a name, then letters, digits, '.', '_' or '-'.
var mentionRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}][\p{L}\p{N}._-]*)`)

// mentions resolves the @name tokens of body to members of room r (a
// group room's: its group's). A token names a member when it equals,
// ignoring case, their name without spaces ("@AnaGarcía") or the part of
// their e-mail before the @ ("@ana.garcia"); or their first name ("@ana")
// when exactly one member has it. Unknown tokens are text. At most
// MaxMentions people, the author included if they name themselves.
func (s *Service) mentions(ctx context.Context, r torii.Room, body string) ([]int64, error) {
	if !strings.Contains(body, "@") {
		return nil, nil
	}
	var tokens []string
	for _, m := range mentionRE.FindAllStringSubmatch(body, 4*MaxMentions) {
		t := strings.ToLower(strings.TrimRight(m[1], ".-_"))
		if t != "" && t != strings.TrimPrefix(assistantMention, "@") {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 {
		return nil, nil
	}
	type cand struct {
		id                 int64
		compact, local, fn string
	}
	var cands []cand
	addCand := func(id int64, name, email string) {
		c := cand{id: id, compact: strings.ToLower(strings.Join(strings.Fields(name), ""))}
		if i := strings.IndexByte(email, '@'); i > 0 {
			c.local = strings.ToLower(email[:i])
		}
		if f := strings.Fields(name); len(f) > 0 {
			c.fn = strings.ToLower(f[0])
		}
		cands = append(cands, c)
	}
	if r.Visibility == torii.RoomGroup && r.GroupID != nil {
		gms, err := s.store.GroupMembers(ctx, *r.GroupID)
		if err != nil {
			return nil, err
		}
		for _, gm := range gms {
			u, err := s.store.UserByID(ctx, gm.UserID)
			if errors.Is(err, torii.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
			addCand(u.ID, u.Name, u.Email)
		}
	} else {
		ms, err := s.store.RoomMembers(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			addCand(m.UserID, m.Name, m.Email)
		}
	}
	var out []int64
	add := func(id int64) {
		for _, x := range out {
			if x == id {
				return
			}
		}
		if len(out) < MaxMentions {
			out = append(out, id)
		}
	}
	for _, t := range tokens {
		found := false
		for _, c := range cands {
			if t == c.compact || t == c.local {
				add(c.id)
				found = true
			}
		}
		if found {
			continue
		}
		var byFirst []int64
		for _, c := range cands {
			if t == c.fn {
				byFirst = append(byFirst, c.id)
			}
		}
		if len(byFirst) == 1 {
			add(byFirst[0])
		}
	}
	return out, nil
}

// enrich attaches reactions, mentions and reply previews to a page of
// messages: three reads, whatever the page's size.
func (s *Service) enrich(ctx context.Context, out []ChatMessage) error {
	if len(out) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(out))
	var replyIDs []int64
	for _, m := range out {
		if m.DeletedAt != nil {
			continue
		}
		ids = append(ids, m.ID)
		if m.ReplyTo != nil {
			replyIDs = append(replyIDs, *m.ReplyTo)
		}
	}
	reactions, err := s.store.Reactions(ctx, ids)
	if err != nil {
		return err
	}
	mentions, err := s.store.Mentions(ctx, ids)
	if err != nil {
		return err
	}
	replies := map[int64]*ReplyPreview{}
	if len(replyIDs) > 0 {
		rs, err := s.store.MessagesByID(ctx, replyIDs)
		if err != nil {
			return err
		}
		views, err := s.withAuthorsOnly(ctx, rs)
		if err != nil {
			return err
		}
		for _, v := range views {
			replies[v.ID] = &ReplyPreview{ID: v.ID, Author: v.Author, User: v.User, Body: previewOf(v.Body),
				Deleted: v.DeletedAt != nil}
		}
	}
	for i := range out {
		m := &out[i]
		m.Reactions = reactions[m.ID]
		m.Mentions = mentions[m.ID]
		if m.ReplyTo != nil {
			if rp := replies[*m.ReplyTo]; rp != nil && rp.ID != 0 {
				// A reply and the message it answers share a room: the
				// preview never shows another room's text.
				m.Reply = rp
			}
		}
	}
	return nil
}

// previewOf cuts a reply's preview, marking the cut.
func previewOf(s string) string {
	if t := truncateRunes(s, replyPreviewRunes); t != s {
		return t + "…"
	}
	return s
}

// messageView returns one message of roomID as the API shows it.
func (s *Service) messageView(ctx context.Context, roomID, id int64) (ChatMessage, error) {
	m, err := s.store.MessageByID(ctx, roomID, id)
	if errors.Is(err, torii.ErrNotFound) {
		return ChatMessage{}, errNoSuchMessage
	}
	if err != nil {
		return ChatMessage{}, err
	}
	out, err := s.withAuthors(ctx, []torii.Message{m})
	if err != nil {
		return ChatMessage{}, err
	}
	return out[0], nil
}

// userMessage returns message id of a room p can see and may write in.
func (s *Service) userMessage(ctx context.Context, p Principal, roomID, id int64) (torii.Room, torii.Message, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return r, torii.Message{}, err
	}
	m, err := s.store.MessageByID(ctx, r.ID, id)
	if errors.Is(err, torii.ErrNotFound) || (err == nil && m.DeletedAt != nil) {
		return r, m, errNoSuchMessage
	}
	return r, m, err
}

// EditMessage replaces the body of p's own message (200 with editedAt);
// its mentions are parsed again. Audited (ids only, never the text).
func (s *Service) EditMessage(ctx context.Context, p Principal, roomID, id int64, body string, meta Meta) (ChatMessage, error) {
	r, m, err := s.userMessage(ctx, p, roomID, id)
	if err != nil {
		return ChatMessage{}, err
	}
	if m.Author != torii.AuthorUser || m.UserID == nil || *m.UserID != p.User.ID {
		return ChatMessage{}, errNotAuthor
	}
	if r.Archived {
		return ChatMessage{}, errRoomArchived
	}
	f := fieldErrors{}
	validBody(body, f)
	if err := f.err(); err != nil {
		return ChatMessage{}, err
	}
	mentions, err := s.mentions(ctx, r, body)
	if err != nil {
		return ChatMessage{}, err
	}
	if _, err := s.store.EditMessage(ctx, r.ID, id, body, mentions, s.now().UTC()); errors.Is(err, torii.ErrNotFound) {
		return ChatMessage{}, errNoSuchMessage
	} else if err != nil {
		return ChatMessage{}, err
	}
	s.audit(ctx, torii.AuditMessageEdit, &p.User.ID, p.User.Email, meta, map[string]any{"roomId": r.ID, "messageId": id})
	s.publishLog(ctx, r.ID, 0, torii.ChatMessageEdit, id)
	return s.messageView(ctx, r.ID, id)
}

// DeleteMessage makes a message a tombstone (its text gone from the
// database): its author, or the room's owner or an administrator (not in
// a direct conversation, which has neither). Audited.
func (s *Service) DeleteMessage(ctx context.Context, p Principal, roomID, id int64, meta Meta) error {
	r, m, err := s.userMessage(ctx, p, roomID, id)
	if err != nil {
		return err
	}
	own := m.UserID != nil && *m.UserID == p.User.ID && m.Author == torii.AuthorUser
	if !own && !mayManageRoom(p, r) {
		return errMayNotDelete
	}
	if _, err := s.store.DeleteMessage(ctx, r.ID, id, s.now().UTC()); errors.Is(err, torii.ErrNotFound) {
		return errNoSuchMessage
	} else if err != nil {
		return err
	}
	detail := map[string]any{"roomId": r.ID, "messageId": id}
	if m.UserID != nil {
		detail["authorId"] = *m.UserID
	}
	s.audit(ctx, torii.AuditMessageDelete, &p.User.ID, p.User.Email, meta, detail)
	s.views.forget(id)
	s.publishLog(ctx, r.ID, 0, torii.ChatMessageDelete, id)
	return nil
}

// validEmoji: 1 to 32 bytes of text without spaces, control characters
// or '/', and either holding a non-ASCII character (an emoji) or a
// :shortcode: of ASCII letters, digits, '_', '+' and '-'.
func validEmoji(e string) bool {
	if e == "" || len(e) > maxEmojiBytes || !utf8.ValidString(e) {
		return false
	}
	ascii := true
	for _, r := range e {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' {
			return false
		}
		if r >= utf8.RuneSelf {
			ascii = false
		}
	}
	return !ascii || shortcodeRE.MatchString(e)
}

var shortcodeRE = regexp.MustCompile(`^:[a-z0-9_+-]+:$`)

// React puts (on) or takes back p's emoji on a message and returns the
// message with its reactions.
func (s *Service) React(ctx context.Context, p Principal, roomID, id int64, emoji string, on bool) (ChatMessage, error) {
	r, _, err := s.userMessage(ctx, p, roomID, id)
	if err != nil {
		return ChatMessage{}, err
	}
	if !validEmoji(emoji) {
		return ChatMessage{}, torii.Invalid(map[string]string{"emoji": "must be one emoji or a :shortcode:, at most 32 bytes"})
	}
	if r.Archived {
		return ChatMessage{}, errRoomArchived
	}
	changed, err := s.store.SetReaction(ctx, r.ID, id, p.User.ID, emoji, on, MaxReactionEmoji, s.now().UTC())
	switch {
	case errors.Is(err, torii.ErrConflict):
		return ChatMessage{}, errTooManyEmoji
	case errors.Is(err, torii.ErrNotFound):
		return ChatMessage{}, errNoSuchMessage
	case err != nil:
		return ChatMessage{}, err
	}
	if changed {
		s.publishLog(ctx, r.ID, 0, torii.ChatReaction, id)
	}
	return s.messageView(ctx, r.ID, id)
}

// MarkRead moves p's read marker in roomID forward to messageID (a
// message of the room), for all of p's devices, and returns the counts
// after it.
func (s *Service) MarkRead(ctx context.Context, p Principal, roomID, messageID int64) (torii.RoomCounts, error) {
	r, err := s.Room(ctx, p, roomID)
	if err != nil {
		return torii.RoomCounts{}, err
	}
	if _, err := s.store.MessageByID(ctx, r.ID, messageID); errors.Is(err, torii.ErrNotFound) {
		return torii.RoomCounts{}, torii.Invalid(map[string]string{"messageId": "is not a message of this room"})
	} else if err != nil {
		return torii.RoomCounts{}, err
	}
	before, err := s.store.RoomCounts(ctx, r.ID, p.User.ID)
	if err != nil {
		return torii.RoomCounts{}, err
	}
	marker, err := s.store.MarkRead(ctx, r.ID, p.User.ID, messageID, s.now().UTC())
	if err != nil {
		return torii.RoomCounts{}, err
	}
	if marker != before.LastRead {
		s.publishLog(ctx, r.ID, p.User.ID, torii.ChatRead, marker)
	}
	return s.store.RoomCounts(ctx, r.ID, p.User.ID)
}

// logEvent is a room stream's handling of a log wake-up (issue 17): a
// room change re-checks access (a removed member's or a deleted room's
// stream ends); an edit, deletion or reaction of a message already sent
// is sent live, without id.
func (st *Stream) logEvent(ctx context.Context, e chat.Event) (*StreamEvent, error) {
	if e.UserID != 0 && e.UserID != st.uid {
		return nil, nil
	}
	switch e.Log {
	case torii.ChatMessageEdit, torii.ChatMessageDelete, torii.ChatReaction:
		if e.MessageID == 0 || e.MessageID > st.last {
			return nil, nil // not sent yet: it will be, as it is then
		}
		m, err := st.s.messageView(ctx, st.room.ID, e.MessageID)
		if errors.Is(err, errNoSuchMessage) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &StreamEvent{Kind: e.Log, Message: &m}, nil
	case torii.ChatRoomRemove, torii.ChatRoomUpdate, torii.ChatRoomAdd, chat.LogResync:
		return nil, st.Recheck(ctx)
	}
	return nil, nil
}
